// Vision Gateway console: plain JavaScript on the gateway's public API only.
'use strict';

const API = '/api/v1/vision';
const KEY_ITEM = 'visiongw.apiKey';
const $ = (id) => document.getElementById(id);

// The API key of this tab (sessionStorage: gone with the tab, never in a URL).
const apiKey = () => sessionStorage.getItem(KEY_ITEM) || '';
const authHeaders = () => (apiKey() ? { Authorization: 'Bearer ' + apiKey() } : {});

// What a person should read for an error answer: the gateway's own message, introduced by
// what the status means for them.
function explain(status, body, headers) {
  const message = body && body.error ? body.error.message : '';
  const retry = headers && headers.get ? headers.get('Retry-After') : null;
  const intro = {
    401: 'The gateway needs a valid API key: enter it at the top of the page.',
    403: 'Your API key is not allowed to do this (the operator view needs the admin role).',
    413: 'The image is too large.',
    415: 'That file is not an image the gateway accepts.',
    422: 'The gateway refused this image.',
    429: 'Too many requests' + (retry ? ': try again in ' + retry + ' s.' : '.'),
    503: 'A service the gateway needs is down' + (retry ? '; try again in ' + retry + ' s.' : '.'),
    507: 'The gateway has no room for more images.',
  }[status] || ('The gateway answered ' + status + '.');
  return message ? intro + ' ' + message : intro;
}

class ApiError extends Error {
  constructor(status, body, headers) {
    super(explain(status, body, headers));
    this.status = status;
  }
}

async function api(path, options = {}) {
  let answer;
  try {
    answer = await fetch(path, { ...options, headers: { ...authHeaders(), ...(options.headers || {}) } });
  } catch (error) {
    throw new Error('The gateway cannot be reached: ' + error.message);
  }
  const text = await answer.text();
  let body = null;
  try { body = text ? JSON.parse(text) : null; } catch (_) { body = text; }
  if (!answer.ok) throw new ApiError(answer.status, body, answer.headers);
  return body;
}

function show(element, text) {
  element.textContent = text || '';
  element.hidden = !text;
}

function el(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (name === 'text') node.textContent = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) node.append(child);
  return node;
}

// ---- views -------------------------------------------------------------------------------

function showView(name) {
  for (const panel of document.querySelectorAll('[data-view-panel]')) panel.hidden = panel.dataset.viewPanel !== name;
  for (const link of document.querySelectorAll('nav a')) {
    if (link.dataset.view === name) link.setAttribute('aria-current', 'page');
    else link.removeAttribute('aria-current');
  }
}

function route() {
  const hash = location.hash.slice(1);
  if (hash.startsWith('job/')) {
    showView('job');
    follow(decodeURIComponent(hash.slice(4)));
  } else if (hash === 'jobs') {
    showView('jobs');
    loadJobs([]);
  } else if (hash === 'operator') {
    showView('operator');
    loadOperator();
  } else {
    showView('submit');
  }
}

// ---- analysis types and parameters ------------------------------------------------------

let analysisTypes = [];

async function loadAnalysisTypes() {
  try {
    analysisTypes = (await api(API + '/analysis-types')).analysis_types;
  } catch (error) {
    show($('submit-error'), error.message);
    return;
  }
  const select = $('analysis-type');
  select.replaceChildren(...analysisTypes.map((type) => el('option', { value: type.name, text: type.name })));
  const filter = $('filter-type');
  filter.replaceChildren(el('option', { value: '', text: 'any' }),
    ...analysisTypes.map((type) => el('option', { value: type.name, text: type.name })));
  renderParameters();
}

function renderParameters() {
  const fieldset = $('parameters');
  const type = analysisTypes.find((t) => t.name === $('analysis-type').value);
  fieldset.replaceChildren(el('legend', { text: 'Parameters' }));
  if (!type) return;
  for (const parameter of type.parameters) {
    const id = 'param-' + parameter.name;
    const help = parameter.description ? el('span', { class: 'hint', text: ' ' + parameter.description }) : '';
    if (parameter.type === 'boolean') {
      const box = el('input', { id, name: parameter.name, type: 'checkbox' });
      box.checked = parameter.default === true;
      fieldset.append(el('div', { class: 'check' }, box, el('label', { for: id, text: parameter.name }), help));
    } else if (parameter.type === 'number') {
      const input = el('input', { id, name: parameter.name, type: 'number', step: 'any' });
      if (parameter.minimum !== undefined) input.min = parameter.minimum;
      if (parameter.maximum !== undefined) input.max = parameter.maximum;
      if (parameter.default !== null && parameter.default !== undefined) input.value = parameter.default;
      fieldset.append(el('label', { for: id, text: parameter.name }, help), input);
    } else {
      const input = el('input', { id, name: parameter.name, type: 'text' });
      if (parameter.max_length) input.maxLength = parameter.max_length;
      if (typeof parameter.default === 'string') input.value = parameter.default;
      fieldset.append(el('label', { for: id, text: parameter.name }, help), input);
    }
  }
}

// ---- submit -----------------------------------------------------------------------------

let chosenFile = null;

function chooseFile(file) {
  chosenFile = file || null;
  $('image-name').textContent = file ? file.name + ' (' + Math.ceil(file.size / 1024) + ' KiB)' : '';
}

function setupDrop() {
  const drop = $('drop');
  $('image').addEventListener('change', () => chooseFile($('image').files[0]));
  drop.addEventListener('dragover', (event) => { event.preventDefault(); drop.classList.add('over'); });
  drop.addEventListener('dragleave', () => drop.classList.remove('over'));
  drop.addEventListener('drop', (event) => {
    event.preventDefault();
    drop.classList.remove('over');
    if (event.dataTransfer.files.length) chooseFile(event.dataTransfer.files[0]);
  });
}

// Sends the form with XMLHttpRequest, whose upload events give the progress fetch() lacks.
function upload(form) {
  return new Promise((resolve, reject) => {
    const request = new XMLHttpRequest();
    request.open('POST', API + '/analyze');
    for (const [name, value] of Object.entries(authHeaders())) request.setRequestHeader(name, value);
    request.upload.onprogress = (event) => {
      if (!event.lengthComputable) return;
      const percent = Math.round((100 * event.loaded) / event.total);
      $('upload-progress').value = percent;
      $('upload-percent').textContent = percent + ' %';
    };
    request.onload = () => {
      let body = null;
      try { body = JSON.parse(request.responseText); } catch (_) { /* not JSON */ }
      const headers = { get: (name) => request.getResponseHeader(name) };
      if (request.status === 202) resolve(body);
      else reject(new ApiError(request.status, body, headers));
    };
    request.onerror = () => reject(new Error('The upload did not reach the gateway (connection lost).'));
    request.send(form);
  });
}

async function submit(event) {
  event.preventDefault();
  show($('submit-error'), '');
  if (!chosenFile) {
    show($('submit-error'), 'Choose an image first.');
    return;
  }
  const form = new FormData();
  form.append('analysis_type', $('analysis-type').value);
  for (const input of $('parameters').querySelectorAll('input')) {
    if (input.type === 'checkbox') form.append(input.name, input.checked ? 'true' : 'false');
    else if (input.value !== '') form.append(input.name, input.value);
  }
  form.append('image', chosenFile, chosenFile.name);
  $('submit-button').disabled = true;
  $('upload-progress').value = 0;
  $('upload-percent').textContent = '';
  try {
    const job = await upload(form);
    location.hash = 'job/' + encodeURIComponent(job.job_id);
  } catch (error) {
    show($('submit-error'), error.message);
  } finally {
    $('submit-button').disabled = false;
  }
}

// ---- follow a job -------------------------------------------------------------------------

const FINAL = ['completed', 'failed', 'cancelled'];
let following = null; // the AbortController or EventSource of the job on screen

function stopFollowing() {
  if (following) following.close ? following.close() : following.abort();
  following = null;
}

function renderJob(job) {
  $('job-id').textContent = job.job_id;
  const status = $('job-status');
  status.textContent = job.status;
  status.className = 'status ' + job.status;
  $('job-type').textContent = job.analysis_type;
  $('job-created').textContent = job.created_at;
  $('job-progress').value = job.progress;
  $('cancel-button').hidden = FINAL.includes(job.status);
  show($('job-error'), job.error ? 'The job failed: ' + (job.error.message || JSON.stringify(job.error)) : '');
  renderResult($('job-result'), job.result);
}

const SHARE_COLOURS = { green: 'var(--green)', yellow: 'var(--yellow)', brown: 'var(--brown)', other: 'var(--other)' };

// The builtin analyzer's result as a colour bar, its summary and lesion score; anything else
// as formatted JSON.
function renderResult(target, result) {
  target.replaceChildren();
  if (!result) return;
  target.append(el('h3', { text: 'Result' }));
  const shares = result.colour_shares;
  if (shares && typeof shares === 'object') {
    if (result.summary) target.append(el('p', { class: 'summary', text: result.summary }));
    const bar = el('div', { class: 'bar', role: 'img', 'aria-label': 'colour shares: ' +
      Object.entries(shares).map(([name, share]) => name + ' ' + Math.round(share * 100) + '%').join(', ') });
    const legend = el('ul', { class: 'legend' });
    for (const [name, share] of Object.entries(shares)) {
      const colour = SHARE_COLOURS[name] || 'var(--other)';
      const segment = el('span', { title: name });
      segment.style.width = (share * 100) + '%';
      segment.style.background = colour;
      bar.append(segment);
      const swatch = el('i');
      swatch.style.background = colour;
      legend.append(el('li', {}, swatch, name + ' ' + (share * 100).toFixed(1) + ' %'));
    }
    target.append(bar, legend);
    const facts = el('dl', { class: 'facts' });
    if (typeof result.lesion_score === 'number') facts.append(el('dt', { text: 'Lesion score' }), el('dd', { class: 'lesion', text: result.lesion_score.toFixed(3) }));
    if (result.analyzer) facts.append(el('dt', { text: 'Analyzer' }), el('dd', { text: result.analyzer }));
    if (result.note) facts.append(el('dt', { text: 'Note' }), el('dd', { text: result.note }));
    target.append(facts);
    const details = el('details', {}, el('summary', { text: 'Full result (JSON)' }), el('pre', { text: JSON.stringify(result, null, 2) }));
    target.append(details);
  } else {
    target.append(el('pre', { class: 'json', text: JSON.stringify(result, null, 2) }));
  }
}

// Reads the job's Server-Sent Events with fetch() (which can send the API key), calling
// `onJob` for each state; resolves when the stream ends.
async function readEvents(jobId, onJob, controller, lastEventId) {
  const headers = { ...authHeaders(), Accept: 'text/event-stream' };
  if (lastEventId) headers['Last-Event-ID'] = lastEventId;
  const answer = await fetch(API + '/jobs/' + jobId + '/events', { headers, signal: controller.signal });
  if (answer.status === 204) return lastEventId;
  if (!answer.ok) {
    let body = null;
    try { body = await answer.json(); } catch (_) { /* not JSON */ }
    throw new ApiError(answer.status, body, answer.headers);
  }
  const reader = answer.body.getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return lastEventId;
    buffer += decoder.decode(value, { stream: true });
    let end;
    while ((end = buffer.indexOf('\n\n')) >= 0) {
      const frame = buffer.slice(0, end);
      buffer = buffer.slice(end + 2);
      let data = '';
      for (const line of frame.split('\n')) {
        if (line.startsWith('data: ')) data += line.slice(6);
        else if (line.startsWith('id: ')) lastEventId = line.slice(4);
      }
      if (data) onJob(JSON.parse(data));
    }
  }
}

async function follow(jobId) {
  stopFollowing();
  show($('job-error'), '');
  $('job-result').replaceChildren();
  $('job-id').textContent = jobId;
  $('job-status').textContent = 'loading';
  let job;
  try {
    job = await api(API + '/jobs/' + encodeURIComponent(jobId));
  } catch (error) {
    $('job-status').textContent = '';
    show($('job-error'), error.message);
    return;
  }
  renderJob(job);
  if (FINAL.includes(job.status)) return;
  if (!apiKey()) {
    // Without a key the browser's own EventSource follows (and reconnects).
    const source = new EventSource(API + '/jobs/' + jobId + '/events');
    following = source;
    source.addEventListener('status', (event) => {
      const now = JSON.parse(event.data);
      renderJob(now);
      if (FINAL.includes(now.status)) source.close();
    });
    return;
  }
  const controller = new AbortController();
  following = controller;
  let lastEventId = '';
  let last = job;
  while (!controller.signal.aborted && !FINAL.includes(last.status)) {
    try {
      lastEventId = await readEvents(jobId, (now) => { last = now; renderJob(now); }, controller, lastEventId);
    } catch (error) {
      if (controller.signal.aborted) return;
      show($('job-error'), error.message);
      return;
    }
  }
}

async function cancelJob() {
  const jobId = $('job-id').textContent;
  try {
    renderJob(await api(API + '/jobs/' + jobId + '/cancel', { method: 'DELETE' }));
  } catch (error) {
    show($('job-error'), error.message);
  }
}

// ---- job list -----------------------------------------------------------------------------

let cursors = []; // the cursor of each page shown so far ('' for the first)

async function loadJobs(stack) {
  cursors = stack;
  const params = new URLSearchParams();
  if ($('filter-status').value) params.set('status', $('filter-status').value);
  if ($('filter-type').value) params.set('analysis_type', $('filter-type').value);
  params.set('limit', $('filter-limit').value);
  const cursor = cursors[cursors.length - 1];
  if (cursor) params.set('cursor', cursor);
  show($('jobs-error'), '');
  let page;
  try {
    page = await api(API + '/jobs?' + params);
  } catch (error) {
    show($('jobs-error'), error.message);
    $('jobs-rows').replaceChildren();
    $('jobs-caption').textContent = '';
    return;
  }
  $('jobs-rows').replaceChildren(...page.jobs.map((job) => el('tr', {},
    el('td', {}, el('a', { href: '#job/' + job.job_id, text: job.created_at.replace('T', ' ').replace('Z', ' UTC') })),
    el('td', { text: job.analysis_type }),
    el('td', {}, el('span', { class: 'status ' + job.status, text: job.status })),
    el('td', { text: job.result_summary || (job.error && job.error.message) || '' }))));
  const first = cursors.length <= 1;
  $('jobs-caption').textContent = page.jobs.length
    ? 'Page ' + Math.max(cursors.length, 1) + ': ' + page.jobs.length + ' jobs, newest first'
    : (first ? 'No jobs yet.' : 'No more jobs.');
  $('jobs-next').disabled = !page.next_cursor;
  $('jobs-next').dataset.cursor = page.next_cursor || '';
  $('jobs-first').disabled = first;
}

// ---- operator -----------------------------------------------------------------------------

// A Prometheus text exposition as {name: [{labels, value}]}.
function parseMetrics(text) {
  const metrics = {};
  for (const line of text.split('\n')) {
    const match = /^([a-zA-Z_:][\w:]*)(\{([^}]*)\})?\s+(\S+)/.exec(line);
    if (!match) continue;
    const labels = {};
    for (const pair of (match[3] || '').matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[pair[1]] = pair[2];
    (metrics[match[1]] = metrics[match[1]] || []).push({ labels, value: Number(match[4]) });
  }
  return metrics;
}

const sum = (samples, test = () => true) => (samples || []).filter((s) => test(s.labels)).reduce((a, s) => a + s.value, 0);
let lastScrape = null;

function fact(list, name, value) {
  list.append(el('dt', { text: name }), el('dd', { text: value }));
}

async function loadOperator() {
  show($('operator-error'), '');
  const errors = [];
  try {
    const answer = await fetch('/health/ready');
    const ready = await answer.json();
    $('ready-state').textContent = ready.status === 'ready' ? 'Ready: every dependency answers.' : 'Not ready: a dependency is down.';
    $('ready-rows').replaceChildren(...Object.entries(ready.checks).map(([name, check]) => el('tr', {},
      el('th', { scope: 'row', text: name }), el('td', {}, el('span', { class: 'status ' + (check.status === 'up' ? 'completed' : 'failed'), text: check.status })),
      el('td', { text: Number(check.latency_ms).toFixed(2) + ' ms' }), el('td', { text: check.detail }))));
  } catch (error) {
    errors.push('Readiness: ' + error.message);
  }
  const storage = $('storage');
  storage.replaceChildren();
  try {
    const stats = await api(API + '/files/stats');
    for (const backend of stats.backends) {
      fact(storage, 'Backend', backend.name);
      fact(storage, 'Files', backend.files + ' (' + (backend.bytes / 1048576).toFixed(1) + ' MiB)');
      fact(storage, 'Oldest', backend.oldest || '–');
      fact(storage, 'Expired', backend.expired_files + ' files, ' + (backend.expired_bytes / 1048576).toFixed(1) + ' MiB');
      fact(storage, 'Free', backend.free_bytes === null ? 'unknown' : (backend.free_bytes / 1073741824).toFixed(1) + ' GiB');
    }
  } catch (error) {
    errors.push('Storage: ' + error.message);
  }
  const list = $('metrics');
  list.replaceChildren();
  try {
    const answer = await fetch('/health/metrics');
    const metrics = parseMetrics(await answer.text());
    const now = Date.now();
    const accepted = sum(metrics.visiongw_http_requests_total, (l) => l.route === API + '/analyze' && l.status === '202');
    const rate = lastScrape ? ((accepted - lastScrape.accepted) * 1000) / (now - lastScrape.at) : null;
    lastScrape = { at: now, accepted };
    fact(list, 'Submits accepted', accepted + (rate === null ? ' (refresh for a rate)' : ' (' + rate.toFixed(2) + ' /s since the last refresh)'));
    const count = sum(metrics.visiongw_queue_publish_duration_seconds_count);
    const seconds = sum(metrics.visiongw_queue_publish_duration_seconds_sum);
    fact(list, 'Queue publish latency', count ? ((1000 * seconds) / count).toFixed(2) + ' ms mean of ' + count : 'no publish yet');
    const byStatus = (metrics.visiongw_jobs_total || []).map((s) => s.labels.status + ' ' + s.value).join(', ');
    fact(list, 'Jobs by status', byStatus || 'none yet');
    fact(list, 'Open event streams', String(sum(metrics.visiongw_event_streams)));
  } catch (error) {
    errors.push('Metrics: ' + error.message);
  }
  show($('operator-error'), errors.join(' '));
}

async function cleanup() {
  try {
    const report = await api(API + '/files/cleanup', { method: 'POST' });
    $('cleanup-result').textContent = 'Removed ' + report.removed_files + ' files (' + report.freed_bytes + ' bytes); kept ' + report.kept_files + ' in use.';
    loadOperator();
  } catch (error) {
    show($('operator-error'), error.message);
  }
}

// ---- start ---------------------------------------------------------------------------------

document.addEventListener('DOMContentLoaded', () => {
  $('api-key').value = apiKey();
  $('key-form').addEventListener('submit', (event) => {
    event.preventDefault();
    sessionStorage.setItem(KEY_ITEM, $('api-key').value.trim());
    show($('notice'), apiKey() ? 'The key is kept in this tab only.' : '');
    loadAnalysisTypes();
    route();
  });
  $('forget-key').addEventListener('click', () => {
    sessionStorage.removeItem(KEY_ITEM);
    $('api-key').value = '';
    show($('notice'), 'Key forgotten.');
  });
  setupDrop();
  $('analysis-type').addEventListener('change', renderParameters);
  $('submit-form').addEventListener('submit', submit);
  $('cancel-button').addEventListener('click', cancelJob);
  $('jobs-filters').addEventListener('submit', (event) => { event.preventDefault(); loadJobs([]); });
  $('jobs-next').addEventListener('click', () => loadJobs([...cursors.length ? cursors : [''], $('jobs-next').dataset.cursor]));
  $('jobs-first').addEventListener('click', () => loadJobs([]));
  $('cleanup-button').addEventListener('click', cleanup);
  $('operator-refresh').addEventListener('click', loadOperator);
  window.addEventListener('hashchange', () => { stopFollowing(); route(); });
  loadAnalysisTypes();
  route();
});
