// The web console in a real browser: Debian's chromium driven by puppeteer-core, against two
// gateways the harness (console_browser_test.cpp) started: OPEN_URL without API keys and with a
// reference worker (images up to 100 kB), AUTH_URL with API keys (API_KEY, role client) and no worker, so its jobs
// stay queued, but for OTHER_RESULT_JOB, completed with a result of another shape than the
// builtin analyzer's. One browser for the whole run; screenshots go to SHOTS_DIR.
// Exits 0 when every check passed; prints each step as it goes.
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';
import puppeteer from 'puppeteer-core';

const { OPEN_URL, AUTH_URL, API_KEY, OTHER_RESULT_JOB, SHOTS_DIR } = process.env;
if (!OPEN_URL || !AUTH_URL || !API_KEY || !OTHER_RESULT_JOB || !SHOTS_DIR) {
  console.error('console_test.mjs needs OPEN_URL, AUTH_URL, API_KEY, OTHER_RESULT_JOB and SHOTS_DIR');
  process.exit(2);
}
const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const scratch = mkdtempSync(join(tmpdir(), 'visiongw-browser-'));
mkdirSync(SHOTS_DIR, { recursive: true });

function check(condition, what) {
  if (!condition) throw new Error('check failed: ' + what);
  console.log('ok   ' + what);
}

// ---- fixtures: a leaf PNG drawn here, and a PDF named .jpg --------------------------------------

const CRC_TABLE = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(bytes) {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const head = Buffer.alloc(8);
  head.writeUInt32BE(data.length, 0);
  head.write(type, 4, 'latin1');
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(Buffer.concat([head.subarray(4), data])));
  return Buffer.concat([head, data, crc]);
}
// A 320x240 RGB PNG: a green leaf with yellow and brown spots on a pale background.
function leafPng(seed) {
  const width = 320, height = 240;
  const raw = Buffer.alloc((width * 3 + 1) * height);
  const spots = [[140, 100, 14, [200, 170, 40]], [190, 140, 10, [120, 70, 30]], [110, 150, 8, [130, 80, 35]]];
  for (let y = 0; y < height; y++) {
    raw[y * (width * 3 + 1)] = 0;
    for (let x = 0; x < width; x++) {
      const dx = (x - 160) / 130, dy = (y - 120) / 80;
      let pixel = [236, 238, 230];
      if (dx * dx + dy * dy < 1) {
        const shade = 20 * Math.sin((x + seed) / 9) + 10 * Math.cos(y / 7);
        pixel = [50 + shade / 2, 130 + shade, 45];
        for (const [sx, sy, r, colour] of spots) if ((x - sx) ** 2 + (y - sy) ** 2 < r * r) pixel = colour;
      }
      raw.set(pixel.map((v) => Math.max(0, Math.min(255, Math.round(v)))), y * (width * 3 + 1) + 1 + x * 3);
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.set([8, 2, 0, 0, 0], 8);
  return Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]);
}
const leafPath = join(scratch, 'leaf.png');
writeFileSync(leafPath, leafPng(1));
const bigPath = join(scratch, 'big.png');
writeFileSync(bigPath, Buffer.concat([leafPng(2), Buffer.alloc(150000)]));
const pdfPath = join(scratch, 'report.jpg');
writeFileSync(pdfPath, '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n');

// ---- helpers -------------------------------------------------------------------------------------

const text = (page, selector) => page.$eval(selector, (node) => node.textContent.trim());
const waitForText = (page, selector, wanted, timeout = 15000) =>
  page.waitForFunction((s, w) => {
    const node = document.querySelector(s);
    return node && !node.hidden && node.textContent.includes(w);
  }, { timeout }, selector, wanted);

async function submitThroughPage(page, file) {
  await page.evaluate(() => { location.hash = 'submit'; });
  await page.waitForFunction(() => document.querySelectorAll('#analysis-type option').length > 0);
  const input = await page.$('#image');
  await input.uploadFile(file);
  await page.click('#submit-button');
}

// Every form control is labelled, and Tab reaches the submit button.
async function checkAccessible(page, where) {
  const unlabelled = await page.$$eval('input:not([type=hidden]), select, textarea',
    (nodes) => nodes.filter((n) => n.offsetParent !== null && n.labels.length === 0 && !n.getAttribute('aria-label')).map((n) => n.id));
  check(unlabelled.length === 0, where + ': every visible control has a label (' + unlabelled.join(', ') + ')');
  let reached = false;
  await page.focus('#api-key');
  for (let i = 0; i < 40 && !reached; i++) {
    await page.keyboard.press('Tab');
    reached = await page.evaluate(() => document.activeElement && document.activeElement.id === 'submit-button');
  }
  check(reached, where + ': the submit button is reachable with Tab');
}

// ---- the run -------------------------------------------------------------------------------------

const started = Date.now();
const browser = await puppeteer.launch({
  executablePath: CHROMIUM,
  headless: true,
  userDataDir: join(scratch, 'profile'),
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--no-first-run'],
  env: { ...process.env, XDG_CONFIG_HOME: join(scratch, 'config'), XDG_CACHE_HOME: join(scratch, 'cache') },
});
let status = 0;
try {
  // Desktop, no API keys, a worker: submit, follow, result, 415, operator view.
  const page = await browser.newPage();
  await page.setViewport({ width: 1280, height: 860 });
  const pageErrors = [];
  page.on('pageerror', (error) => pageErrors.push(error.message));
  await page.goto(OPEN_URL + '/', { waitUntil: 'networkidle0' });
  check((await page.title()) === 'Vision Gateway console', 'the console loads at /');
  await checkAccessible(page, 'desktop');
  const types = await page.$$eval('#analysis-type option', (nodes) => nodes.map((n) => n.value));
  check(types.includes('disease') && types.includes('pest'), 'analysis types come from the gateway: ' + types.join(', '));
  await page.select('#analysis-type', 'disease');
  check(await page.$('#param-confidence_threshold') !== null, 'the type\'s parameters are fields');
  const input = await page.$('#image');
  await input.uploadFile(leafPath);
  await page.screenshot({ path: join(SHOTS_DIR, 'submit.png') });
  await page.click('#submit-button');
  await page.waitForFunction(() => location.hash.startsWith('#job/'));
  await waitForText(page, '#job-status', 'completed');
  check(true, 'the PNG job reaches completed on the page');
  await page.waitForSelector('#job-result .bar span');
  const shares = await page.$$eval('#job-result .bar span', (nodes) => nodes.map((n) => n.title));
  check(shares.includes('green') && shares.includes('brown'), 'the colour shares are drawn as a bar: ' + shares.join(', '));
  check((await text(page, '#job-result .summary')).includes('%'), 'the summary is shown');
  check(/^\d\.\d{3}$/.test(await text(page, '#job-result .lesion')), 'the lesion score is shown');
  check(await page.$eval('#cancel-button', (b) => b.hidden), 'no cancel button on a finished job');
  await page.screenshot({ path: join(SHOTS_DIR, 'result.png') });

  await submitThroughPage(page, pdfPath);
  await waitForText(page, '#submit-error', 'not an image the gateway accepts');
  check((await text(page, '#submit-error')).length > 45, 'a PDF named .jpg shows the 415 message: ' + await text(page, '#submit-error'));

  await submitThroughPage(page, bigPath);
  await waitForText(page, '#submit-error', 'The image is too large.');
  check(true, 'an image over the limit shows the 413 message: ' + await text(page, '#submit-error'));

  await page.evaluate(() => { location.hash = 'operator'; });
  await page.waitForSelector('#ready-rows tr');
  await waitForText(page, '#storage', 'Files');
  await waitForText(page, '#metrics', 'Jobs by status');
  check((await text(page, '#ready-state')).startsWith('Ready'), 'the operator view shows readiness');
  await page.click('#cleanup-button');
  await waitForText(page, '#cleanup-result', 'Removed');
  check(true, 'cleanup runs from the operator view');
  await page.screenshot({ path: join(SHOTS_DIR, 'operator.png') });
  check(pageErrors.length === 0, 'no script error on the page (' + pageErrors.join('; ') + ')');

  // Phone width, API keys on, no worker: 401 message, then the key; cancel; the job list.
  const phone = await browser.newPage();
  await phone.setViewport({ width: 390, height: 844, isMobile: true });
  await phone.goto(AUTH_URL + '/', { waitUntil: 'networkidle0' });
  await waitForText(phone, '#submit-error', 'needs a valid API key');
  check(true, 'without a key the page shows the 401 message');
  const tooWide = await phone.evaluate(() => [...document.querySelectorAll('body *')]
    .filter((node) => node.getBoundingClientRect().right > 390.5)
    .map((node) => node.tagName.toLowerCase() + (node.id ? '#' + node.id : '') + ' ' + Math.round(node.getBoundingClientRect().right)));
  check(tooWide.length === 0, 'nothing is wider than 390 px (' + tooWide.join(', ') + ')');
  await phone.type('#api-key', API_KEY);
  await phone.keyboard.press('Enter');
  await phone.waitForFunction(() => document.querySelectorAll('#analysis-type option').length > 0);
  check(await phone.evaluate(() => sessionStorage.getItem('visiongw.apiKey') !== null && !location.href.includes('key')),
    'the key is kept in sessionStorage, not in the URL');
  await submitThroughPage(phone, leafPath);
  await phone.waitForFunction(() => location.hash.startsWith('#job/'));
  await waitForText(phone, '#job-status', 'queued');
  await phone.waitForSelector('#cancel-button:not([hidden])');
  await phone.click('#cancel-button');
  await waitForText(phone, '#job-status', 'cancelled');
  check(true, 'a queued job (no worker) is cancelled from the page');

  await phone.evaluate((id) => { location.hash = 'job/' + id; }, OTHER_RESULT_JOB);
  await waitForText(phone, '#job-status', 'completed');
  await phone.waitForSelector('#job-result pre.json');
  const shown = JSON.parse(await text(phone, '#job-result pre.json'));
  check(shown.labels[0] === 'aphid' && shown.confidence === 0.91 && (await text(phone, '#job-result pre.json')).includes('\n  '),
    'a result of another shape is shown as formatted JSON');

  await phone.evaluate(() => { location.hash = 'operator'; });
  await waitForText(phone, '#operator-error', 'not allowed');
  check(true, 'the operator view with a client key shows the 403 message: ' + await text(phone, '#operator-error'));

  const form = () => {
    const body = new FormData();
    body.append('analysis_type', 'pest');
    body.append('image', new Blob([leafPng(Math.random() * 1000)], { type: 'image/png' }), 'leaf.png');
    return body;
  };
  for (let i = 0; i < 58; i++) { // with the cancelled job and OTHER_RESULT_JOB: 60
    const answer = await fetch(AUTH_URL + '/api/v1/vision/analyze', { method: 'POST', headers: { Authorization: 'Bearer ' + API_KEY }, body: form() });
    if (answer.status !== 202) throw new Error('seeding job ' + i + ': ' + answer.status + ' ' + await answer.text());
  }
  await phone.evaluate(() => { location.hash = 'jobs'; });
  await phone.select('#filter-limit', '20');
  await phone.click('#jobs-filters button[type=submit]');
  const seen = new Set();
  for (let pages = 1; ; pages++) {
    await phone.waitForFunction((p) => document.querySelector('#jobs-caption').textContent.startsWith('Page ' + p), {}, pages);
    const ids = await phone.$$eval('#jobs-rows a', (links) => links.map((a) => a.getAttribute('href')));
    ids.forEach((id) => seen.add(id));
    if (pages === 1) await phone.screenshot({ path: join(SHOTS_DIR, 'list.png') });
    if (await phone.$eval('#jobs-next', (b) => b.disabled)) {
      check(pages === 3, 'the list has 3 pages of 20 (' + pages + ')');
      break;
    }
    if (pages > 5) throw new Error('more pages than jobs');
    await phone.click('#jobs-next');
  }
  check(seen.size === 60, 'paging through the list shows each of the 60 jobs once (' + seen.size + ')');
  await phone.click('#jobs-rows a');
  await phone.waitForFunction(() => location.hash.startsWith('#job/'));
  await waitForText(phone, '#job-status', 'queued');
  check(true, 'a click in the list opens the job');
} catch (error) {
  console.error('FAILED: ' + (error.stack || error.message));
  status = 1;
} finally {
  await browser.close();
  rmSync(scratch, { recursive: true, force: true });
}
console.log('browser run took ' + ((Date.now() - started) / 1000).toFixed(1) + ' s');
process.exit(status);
