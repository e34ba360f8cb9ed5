#!/usr/bin/env python3
"""soak.py HOST PORT JPEG SECONDS GATEWAY_PID FAULTS_FILE [options]

The load and the report of scripts/bench/soak. For SECONDS it drives mixed traffic at the
gateway, all at once:
  - submits of distinct images (JPEG with its own COM segment each, roundtrip.body_for) from
    --submitters keep-alive connections, paced to --rate a second whatever the answers;
  - GETs of accepted jobs (half among the latest, half among all), --get-rate a second;
  - event streams (SSE) of a share of the accepted jobs, followed to their final state and
    reopened with Last-Event-ID when cut, as a browser's EventSource does;
  - cancels of another share, each a random 0-20 ms after its 202 (a worker takes a job
    within milliseconds: later, nearly every cancel would find the job completed);
  - malformed requests, --malformed-rate a second, each on its own connection, in turn the
    cases of malformed_cases (bad multipart, bad Content-Length, unknown routes and methods,
    oversize bodies and heads), each with the status the contract gives it;
  - a GET /health a second on a new connection, as a load balancer would;
while it samples the gateway's RSS and open file descriptors every second. The shell restarts
the broker and Redis meanwhile and writes "<epoch> <service> stop|up" lines to FAULTS_FILE.

After the load it waits up to --drain seconds for accepted jobs still short of a final state,
then reads every accepted job through the API once more, and prints the report: answers by
kind and status, the 202 rate before, during and after each fault, and each criterion with
PASS or FAIL. The last line is "SOAK failed=N accepted=N unknown=N" (unknown: submits that got
no answer, which may or may not have made a job). Exit status 1 when a criterion failed.
Loopback only; every socket has a timeout and every phase is bounded.
"""
import argparse
import collections
import http.client
import itertools
import json
import os
import queue
import random
import socket
import threading
import time
import uuid

from burst import status_kib
from roundtrip import BOUNDARY, FINAL, TIMEOUT, body_for

API = "/api/v1/vision"
DOCUMENTED_503 = {"service_unavailable", "too_many_connections"}
IDLE_REOPEN = 2.0  # a keep-alive connection idle this long is reopened, not reused
FOLLOW_LIMIT = 120.0  # seconds an event stream follower spends on one job


class Answer:
    """What one request got: an HTTP status with its headers and body, or an error name."""

    def __init__(self, status=None, headers=None, body=b"", error=None):
        self.status, self.headers, self.body, self.error = status, headers or {}, body, error

    def outcome(self):
        return self.status if self.status is not None else self.error

    def error_code(self):
        try:
            return json.loads(self.body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            return None


class Client:
    """One keep-alive connection to the gateway; reopened after an error or a pause."""

    def __init__(self, host, port):
        self.host, self.port, self.connection, self.used = host, port, None, 0.0

    def call(self, method, path, body=None, headers=None):
        if self.connection is None or time.monotonic() - self.used > IDLE_REOPEN:
            self.close()
            self.connection = http.client.HTTPConnection(self.host, self.port, timeout=TIMEOUT)
        try:
            self.connection.request(method, path, body=body, headers=headers or {})
            response = self.connection.getresponse()
            answer = Answer(response.status, {k.lower(): v for k, v in response.getheaders()},
                            response.read())
            if response.will_close:
                self.close()
        except (OSError, http.client.HTTPException) as e:
            self.close()
            return Answer(error=type(e).__name__)
        self.used = time.monotonic()
        return answer

    def close(self):
        if self.connection is not None:
            self.connection.close()
            self.connection = None


class Pace:
    """Hands out evenly spaced start times, rate a second, to any number of threads."""

    def __init__(self, rate):
        self.interval, self.next, self.lock = 1.0 / rate, time.monotonic(), threading.Lock()

    def wait(self, stop):
        with self.lock:
            now = time.monotonic()
            self.next = max(self.next + self.interval, now)
            start = self.next
        stop.wait(max(0.0, start - time.monotonic()))


class Ledger:
    """Every answer of the run, and every accepted job with the last state seen of it."""

    def __init__(self):
        self.lock = threading.Lock()
        self.answers = []  # (time sent, kind, status or error name)
        self.accepted = {}  # job id -> time of its 202
        self.order = []  # accepted job ids, oldest first
        self.state = {}  # job id -> last status seen
        self.missing = []  # (kind, job id): an accepted job answered 404
        self.bad = []  # (kind, what was wrong, outcome, request id, body excerpt)
        self.unknown_submits = 0

    def record(self, sent, kind, answer):
        with self.lock:
            self.answers.append((sent, kind, answer.outcome()))
            status = answer.status
            if status is None:
                if kind == "submit":
                    self.unknown_submits += 1
                return
            wrong = None
            if status >= 500 and status != 503:
                wrong = "5xx"
            elif status == 503 and (answer.error_code() not in DOCUMENTED_503
                                    or "retry-after" not in answer.headers):
                wrong = "undocumented 503"
            if wrong:
                self.bad.append((kind, wrong, status, answer.headers.get("x-request-id", "-"),
                                 answer.body[:200].decode("latin-1")))

    def note_bad(self, kind, wrong, outcome, answer=None):
        with self.lock:
            self.bad.append((kind, wrong, outcome,
                             answer.headers.get("x-request-id", "-") if answer else "-",
                             answer.body[:200].decode("latin-1") if answer else ""))

    def accept(self, job_id, sent):
        with self.lock:
            self.accepted[job_id] = sent
            self.order.append(job_id)
            self.state[job_id] = "queued"

    def lost(self, kind, job_id):
        with self.lock:
            self.missing.append((kind, job_id))

    def seen(self, job_id, status):
        with self.lock:
            self.state[job_id] = status

    def pick(self):
        with self.lock:
            if not self.order:
                return None
            if random.random() < 0.5:
                return random.choice(self.order[-50:])
            return random.choice(self.order)

    def unfinished(self):
        with self.lock:
            return [job for job in self.order if self.state.get(job) not in FINAL]


def job_answer(ledger, kind, job_id, answer):
    """Notes what an answer about an accepted job says of it: its state, or that it is gone."""
    if answer.status == 404:
        ledger.lost(kind, job_id)
    elif answer.status == 200:
        try:
            ledger.seen(job_id, json.loads(answer.body)["status"])
        except (ValueError, KeyError):
            ledger.note_bad(kind, "200 without a job", answer.status, answer)


# ---- malformed requests: (name, expected statuses, request bytes, half-close after sending) --
def malformed_cases(jpeg, max_file_size):
    b = "soak-bad-6c1f"

    def form(fields, image=None, closed=True):
        body = b""
        for name, value in fields.items():
            body += (f"--{b}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n"
                     f"{value}\r\n").encode()
        if image is not None:
            body += (f"--{b}\r\nContent-Disposition: form-data; name=\"image\"; "
                     f"filename=\"leaf.jpg\"\r\nContent-Type: image/jpeg\r\n\r\n").encode()
            body += image + b"\r\n"
        return body + (f"--{b}--\r\n".encode() if closed else b"")

    def post(body, content_type=f"multipart/form-data; boundary={b}", length=None):
        length = len(body) if length is None else length
        return (f"POST {API}/analyze HTTP/1.1\r\nHost: soak\r\nContent-Type: {content_type}\r\n"
                f"Content-Length: {length}\r\nConnection: close\r\n\r\n").encode() + body

    def get(target, method="GET"):
        return f"{method} {target} HTTP/1.1\r\nHost: soak\r\nConnection: close\r\n\r\n".encode()

    pest = {"analysis_type": "pest"}
    whole = form(pest, jpeg)
    oversize = jpeg + b"\0" * (max_file_size + 64 * 1024 - len(jpeg))
    return [
        ("unknown route", {404}, get(f"{API}/nothing-here"), False),
        ("target not a URI", {400}, get("/%zz"), False),
        ("wrong method", {405}, get(f"{API}/analyze", "PUT"), False),
        ("job id not a UUID", {400}, get(f"{API}/jobs/not-a-uuid"), False),
        # These two ask the job store: while Redis is down, its documented 503 is right.
        ("unknown job", {404, 503}, get(f"{API}/jobs/{uuid.uuid4()}"), False),
        ("cancel of an unknown job", {404, 503},
         get(f"{API}/jobs/{uuid.uuid4()}/cancel", "DELETE"), False),
        ("not multipart", {415}, post(b'{"image": 1}', "application/json"), False),
        ("multipart without boundary", {415},
         post(whole, "multipart/form-data"), False),
        ("multipart without closing boundary", {400}, post(form(pest, jpeg, closed=False)),
         False),
        ("multipart cut mid-image", {400}, post(whole[:len(whole) // 2]), False),
        ("form without image", {400}, post(form(pest)), False),
        ("image part not an image", {415}, post(form(pest, b"not an image " * 40)), False),
        ("unknown analysis type", {400}, post(form({"analysis_type": "nonsense"}, jpeg)), False),
        ("threshold out of range", {400},
         post(form({"analysis_type": "pest", "confidence_threshold": "7"}, jpeg)), False),
        ("negative Content-Length", {400}, post(b"", length=-5), False),
        ("Content-Length not a number", {400}, post(b"", length="12ab"), False),
        ("Content-Length over the limit", {413}, post(b"", length=50 * max_file_size), False),
        ("image over the limit, streamed", {413}, post(form(pest, oversize)), False),
        ("body shorter than Content-Length", {400}, post(whole, length=len(whole) + 4096), True),
        ("header over the limits", {431},
         b"GET /health HTTP/1.1\r\nHost: soak\r\nX-Big: " + b"a" * 70000 + b"\r\n\r\n", False),
        ("request line not HTTP", {400}, b"HELLO THERE\r\n\r\n", False),
        ("bad chunk size", {400},
         (f"POST {API}/analyze HTTP/1.1\r\nHost: soak\r\nContent-Type: multipart/form-data; "
          f"boundary={b}\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n").encode(),
         False),
    ]


def raw_request(host, port, data, half_close):
    """Sends bytes on a new connection; returns the Answer read until the server closes."""
    with socket.create_connection((host, port), timeout=TIMEOUT) as sock:
        try:
            sock.sendall(data)
            if half_close:
                sock.shutdown(socket.SHUT_WR)
        except OSError:
            pass  # an early answer (413) may close the connection mid-body: read it anyway
        received = b""
        try:
            while len(received) < 1 << 20:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except ConnectionResetError:
            pass
    head, _, body = received.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) < 2 or not parts[0].startswith("HTTP/") or not parts[1].isdigit():
        return Answer(error="no answer" if not received else "not HTTP")
    headers = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return Answer(int(parts[1]), headers, body)


Sample = collections.namedtuple("Sample", "time rss_kib fds threads kinds")
CLOSE_WAIT = "08"  # the state /proc/net/tcp gives a socket whose peer closed it


def tcp_sockets():
    """{socket inode: (local port, remote port, state)} of every TCP socket of the machine."""
    sockets = {}
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as f:
            next(f)
            for line in f:
                fields = line.split()
                sockets[fields[9]] = (int(fields[1].rsplit(":", 1)[1], 16),
                                      int(fields[2].rsplit(":", 1)[1], 16), fields[3])
    return sockets


def sample_gateway(pid, ports):
    """The gateway's RSS, open fds and threads, and its fds by kind: ports maps the gateway's
    own port and its peers' ports to a kind ("clients", "redis", "rabbitmq"); the rest is
    "other" (files, pipes, the listening socket...). "close-wait" counts the sockets of any kind
    whose peer closed them: leak candidates."""
    fd_dir = f"/proc/{pid}/fd"
    targets = []
    for fd in os.listdir(fd_dir):
        try:
            targets.append(os.readlink(f"{fd_dir}/{fd}"))
        except OSError:
            pass  # closed meanwhile
    kinds, sockets = collections.Counter(), tcp_sockets()
    for target in targets:
        local, remote, state = sockets.get(target[len("socket:["):-1], (0, 0, ""))
        if remote and local in ports:
            kinds[ports[local]] += 1
        elif remote in ports:
            kinds[ports[remote]] += 1
        else:
            kinds["other"] += 1
        kinds["close-wait"] += state == CLOSE_WAIT
    return Sample(time.time(), status_kib(pid, "VmRSS"), len(targets),
                  status_kib(pid, "Threads"), kinds)


class Soak:
    def __init__(self, args):
        self.args = args
        with open(args.jpeg, "rb") as f:
            self.jpeg = f.read()
        self.ledger = Ledger()
        self.stop_load, self.stop_all = threading.Event(), threading.Event()
        self.cancels, self.streams = queue.Queue(), queue.Queue()
        self.numbers = itertools.count()
        self.samples = []  # (time, rss KiB, fds, threads)
        self.health_ms = []
        self.stream_stats = collections.Counter()

    def client(self):
        return Client(self.args.host, self.args.port)

    # ---- the load ----------------------------------------------------------------------------
    def submitter(self, pace):
        client, headers = self.client(), {
            "Content-Type": "multipart/form-data; boundary=" + BOUNDARY}
        while not self.stop_load.is_set():
            pace.wait(self.stop_load)
            if self.stop_load.is_set():
                break
            sent = time.time()
            answer = client.call("POST", f"{API}/analyze", body_for(self.jpeg, next(self.numbers)),
                                 headers)
            self.ledger.record(sent, "submit", answer)
            if answer.status != 202:
                continue
            job_id = json.loads(answer.body)["job_id"]
            self.ledger.accept(job_id, sent)
            roll = random.random()
            if roll < self.args.cancel_share:
                self.cancels.put(job_id)
            elif roll < self.args.cancel_share + self.args.events_share:
                self.streams.put(job_id)
        client.close()

    def getter(self):
        client, pace = self.client(), Pace(self.args.get_rate)
        while not self.stop_load.is_set():
            pace.wait(self.stop_load)
            job_id = self.ledger.pick()
            if job_id is None or self.stop_load.is_set():
                continue
            sent = time.time()
            answer = client.call("GET", f"{API}/jobs/{job_id}")
            self.ledger.record(sent, "get", answer)
            job_answer(self.ledger, "get", job_id, answer)
        client.close()

    def canceller(self):
        client = self.client()
        while not self.stop_load.is_set():
            try:
                job_id = self.cancels.get(timeout=0.5)
            except queue.Empty:
                continue
            time.sleep(random.uniform(0, 0.02))
            sent = time.time()
            answer = client.call("DELETE", f"{API}/jobs/{job_id}/cancel")
            self.ledger.record(sent, "cancel", answer)
            job_answer(self.ledger, "cancel", job_id, answer)
        client.close()

    def follower(self):
        while not self.stop_all.is_set():
            try:
                job_id = self.streams.get(timeout=0.5)
            except queue.Empty:
                continue
            self.follow(job_id)

    def follow(self, job_id):
        """Reads the job's event stream to a final state, reopening it as EventSource would."""
        last_id, deadline = None, time.monotonic() + FOLLOW_LIMIT
        while time.monotonic() < deadline and not self.stop_all.is_set():
            connection = http.client.HTTPConnection(self.args.host, self.args.port,
                                                    timeout=TIMEOUT)
            headers = {"Accept": "text/event-stream"}
            if last_id:
                headers["Last-Event-ID"] = last_id
            sent = time.time()
            try:
                connection.request("GET", f"{API}/jobs/{job_id}/events", headers=headers)
                response = connection.getresponse()
            except (OSError, http.client.HTTPException) as e:
                connection.close()
                self.ledger.record(sent, "events", Answer(error=type(e).__name__))
                self.stop_all.wait(1)
                continue
            try:
                if response.status != 200:
                    answer = Answer(response.status,
                                    {k.lower(): v for k, v in response.getheaders()},
                                    response.read())
                    self.ledger.record(sent, "events", answer)
                    job_answer(self.ledger, "events", job_id, answer)
                    if response.status in (204, 404):
                        return  # 204: the final state was already sent on this stream
                    self.stop_all.wait(1)
                    continue
                self.ledger.record(sent, "events", Answer(200))
                self.stream_stats["streams"] += 1
                while True:
                    line = response.readline()
                    if not line:
                        break
                    if line.startswith(b"id:"):
                        last_id = line[3:].strip().decode()
                    elif line.startswith(b"data:"):
                        self.stream_stats["frames"] += 1
                        status = json.loads(line[5:])["status"]
                        self.ledger.seen(job_id, status)
                        if status in FINAL:
                            self.stream_stats["final"] += 1
                            return
                self.stream_stats["cut"] += 1
            except (OSError, http.client.HTTPException, ValueError):
                self.stream_stats["cut"] += 1
            finally:
                connection.close()
            self.stop_all.wait(1)
        self.stream_stats["given up"] += 1

    def malformed(self):
        cases = malformed_cases(self.jpeg, self.args.max_file_size)
        pace = Pace(self.args.malformed_rate)
        for name, expected, data, half_close in itertools.cycle(cases):
            pace.wait(self.stop_load)
            if self.stop_load.is_set():
                return
            sent = time.time()
            try:
                answer = raw_request(self.args.host, self.args.port, data, half_close)
            except OSError as e:
                answer = Answer(error=type(e).__name__)
            self.ledger.record(sent, "malformed", answer)
            if answer.status not in expected:
                self.ledger.note_bad("malformed", name + " (expected " +
                                     "/".join(map(str, sorted(expected))) + ")",
                                     answer.outcome(), answer if answer.status else None)

    def health(self):
        while not self.stop_load.wait(1):
            sent, started = time.time(), time.monotonic()
            client = self.client()
            answer = client.call("GET", "/health")
            client.close()
            self.health_ms.append((time.monotonic() - started) * 1000)
            self.ledger.record(sent, "health", answer)

    def sampler(self):
        while not self.stop_all.wait(1):
            self.sample()

    def sample(self):
        a = self.args
        ports = {a.port: "clients", a.redis_port: "redis", a.amqp_port: "rabbitmq"}
        try:
            self.samples.append(sample_gateway(a.gateway_pid, ports))
        except OSError:
            pass  # the gateway is gone: the run stops below

    def gateway_alive(self):
        return os.path.exists(f"/proc/{self.args.gateway_pid}/status")

    # ---- the run -------------------------------------------------------------------------------
    def run(self):
        a = self.args
        self.sample()
        self.idle_before = self.samples[-1]
        self.started = time.time()
        pace = Pace(a.rate)
        load = [threading.Thread(target=self.submitter, args=(pace,)) for _ in range(a.submitters)]
        load += [threading.Thread(target=f) for f in
                 (self.getter, self.canceller, self.malformed, self.health)]
        background = [threading.Thread(target=self.follower) for _ in range(a.followers)]
        background.append(threading.Thread(target=self.sampler))
        for thread in load + background:
            thread.daemon = True
            thread.start()
        end = self.started + a.seconds
        while time.time() < end and self.gateway_alive():
            time.sleep(min(1.0, max(0.0, end - time.time())))
        self.sample()
        self.end_sample = self.samples[-1]  # the last one under load
        self.load_end = time.time()
        self.stop_load.set()
        for thread in load:
            thread.join(TIMEOUT + 5)

        # Stragglers: accepted jobs not yet seen final, polled until final or the drain is over.
        drain_end = time.monotonic() + a.drain
        client = self.client()
        while self.gateway_alive() and time.monotonic() < drain_end:
            pending = self.ledger.unfinished()
            if not pending:
                break
            for job_id in pending:
                job_answer(self.ledger, "drain", job_id, client.call("GET", f"{API}/jobs/{job_id}"))
            time.sleep(1)
        self.drained = time.time()
        self.stop_all.set()
        for thread in background:
            thread.join(TIMEOUT + 5)
        client.close()

        # The final word: every accepted job read once more through the API.
        self.final = {}
        ids = list(self.ledger.order)
        def check(part):
            reader = self.client()
            for job_id in part:
                answer = reader.call("GET", f"{API}/jobs/{job_id}")
                if answer.status == 200:
                    job = json.loads(answer.body)
                    error = (job.get("error") or {}).get("code", "") if job["status"] == "failed" else ""
                    self.final[job_id] = job["status"] + (":" + error if error else "")
                else:
                    self.final[job_id] = str(answer.outcome())
            reader.close()
        checkers = [threading.Thread(target=check, args=(ids[i::4],)) for i in range(4)]
        for thread in checkers:
            thread.start()
        for thread in checkers:
            thread.join()
        time.sleep(1)  # connections closed, the gateway idle
        self.sample()
        self.idle_after = self.samples[-1]
        if self.args.timeline:
            self.write_timeline(self.args.timeline)

    def write_timeline(self, path):
        """One line a sample: seconds into the load, RSS KiB, threads, fds and fds by kind."""
        kinds = ("clients", "redis", "rabbitmq", "other", "close-wait")
        with open(path, "w") as f:
            f.write("second rss_kib threads fds " + " ".join(kinds) + "\n")
            for s in self.samples:
                f.write(f"{s.time - self.started:.1f} {s.rss_kib} {s.threads} {s.fds} " +
                        " ".join(str(s.kinds[k]) for k in kinds) + "\n")

    # ---- the report ----------------------------------------------------------------------------
    def report(self):
        a, ledger = self.args, self.ledger
        failed = 0

        def criterion(name, ok, value, bound):
            nonlocal failed
            failed += 0 if ok else 1
            print(f"  {'PASS' if ok else 'FAIL'}  {name:<52} {value:<14} {bound}")

        def at(t):
            return f"+{t - self.started:.0f}s"

        print(f"load: {a.seconds:.0f} s from {time.strftime('%H:%M:%S', time.gmtime(self.started))} UTC; "
              f"submits paced at {a.rate:g}/s on {a.submitters} connections, GETs {a.get_rate:g}/s, "
              f"{a.followers} event stream followers ({a.events_share:.0%} of the 202s), "
              f"cancels ({a.cancel_share:.0%} of the 202s), malformed {a.malformed_rate:g}/s, "
              f"/health 1/s")
        print("answers by kind (time of sending within the load):")
        by_kind = collections.defaultdict(collections.Counter)
        for _, kind, outcome in ledger.answers:
            by_kind[kind][outcome] += 1
        for kind in ("submit", "get", "events", "cancel", "malformed", "health"):
            counts = by_kind.get(kind, {})
            text = ", ".join(f"{k}: {v}" for k, v in sorted(counts.items(), key=lambda kv: str(kv[0])))
            print(f"  {kind:<10} {sum(counts.values()):>7}  {text}")
        s = self.stream_stats
        print(f"  event streams: {s['streams']} opened, {s['frames']} frames, {s['final']} "
              f"ended with a final state, {s['cut']} cut before one (then reopened), "
              f"{s['given up']} given up after {FOLLOW_LIMIT:.0f} s")
        if self.health_ms:
            ordered = sorted(self.health_ms)
            print(f"  /health latency: p50 {ordered[len(ordered) // 2]:.1f} ms, max {ordered[-1]:.1f} ms")

        # Faults and the 202 rate around them.
        faults = []
        try:
            with open(a.faults) as f:
                marks = [line.split() for line in f if line.strip()]
        except OSError:
            marks = []
        stops = {}
        for when, service, what in marks:
            if what == "stop":
                stops[service] = float(when)
            elif what == "up" and service in stops:
                faults.append((service, stops.pop(service), float(when)))
        faults.sort(key=lambda fault: fault[1])
        submits = [(t, outcome) for t, kind, outcome in ledger.answers if kind == "submit"]

        def window(start, end):
            inside = [o for t, o in submits if start <= t < end]
            span = max(end - start, 1e-9)
            return (sum(1 for o in inside if o == 202) / span,
                    sum(1 for o in inside if o == 503), len(inside))

        print("faults (202 rate of the submits sent in each window):")
        if not faults:
            print("  none recorded")
        boundary = self.started
        for i, (service, stop, up) in enumerate(faults):
            following = faults[i + 1][1] if i + 1 < len(faults) else self.load_end
            first = min((t for t, o in submits if o == 202 and t >= up), default=None)
            last = max((t for t, o in submits if o == 202 and t < stop), default=None)
            print(f"  {service} restart: stopped at {at(stop)}, back at {at(up)} "
                  f"({up - stop:.1f} s down)")
            for label, start, end in (("before", boundary, stop), ("during", stop, up),
                                      ("after", up, following)):
                rate, unavailable, total = window(start, end)
                print(f"    {label:<7} {at(start):>6} - {at(end):<6} {rate:6.1f} 202/s   "
                      f"{unavailable} of {total} submits answered 503")
            gap = (f"{first - up:.1f} s after it was back" if first else "none before the load ended")
            print(f"    last 202 before the stop: {at(last) if last else '-'}; "
                  f"first 202 after it: {gap}")
            boundary = up
        if faults:
            rate, unavailable, total = window(self.started, self.load_end)
            print(f"  whole run: {rate:.1f} 202/s, {unavailable} of {total} submits answered 503")

        # Accepted jobs.
        finals = collections.Counter(self.final.values())
        print(f"accepted jobs: {len(ledger.order)}; after the load and {self.drained - self.load_end:.0f} s "
              f"of waiting for stragglers, through the API: "
              + ", ".join(f"{k} {v}" for k, v in finals.most_common()))
        print(f"  submits without an answer (a job may or may not exist): {ledger.unknown_submits}")

        def mib(kib):
            return kib / 1024
        samples = self.samples
        middle = min(samples, key=lambda s: abs(s.time - (self.started + a.seconds / 2)))
        start = min(samples, key=lambda s: abs(s.time - (self.started + a.seconds / 10)))
        kinds = ("clients", "redis", "rabbitmq", "other", "close-wait")
        print("gateway:                         RSS MiB  threads  fds   of them: " +
              " ".join(f"{k:>10}" for k in kinds))
        for label, sample in (("idle before the load", self.idle_before),
                              (f"start ({at(start.time)})", start),
                              (f"middle ({at(middle.time)})", middle),
                              (f"end ({at(self.end_sample.time)})", self.end_sample),
                              ("idle after the final check", self.idle_after)):
            print(f"  {label:<30} {mib(sample.rss_kib):7.1f} {sample.threads:8d} {sample.fds:4d}"
                  f"            " + " ".join(f"{sample.kinds[k]:>10}" for k in kinds))
        peak = max(samples, key=lambda s: s.rss_kib)
        print(f"  peak RSS {mib(peak.rss_kib):.1f} MiB at {at(peak.time)}; most fds "
              f"{max(s.fds for s in samples)}, most Redis connections "
              f"{max(s.kinds['redis'] for s in samples)}")

        problems, shown = [], collections.Counter()
        for kind, what, outcome, request_id, body in ledger.bad:
            shown[what] += 1
            if shown[what] <= 5:
                problems.append(f"{what}: {kind} -> {outcome} (request id {request_id}) {body}")
        for kind, job_id in ledger.missing[:5]:
            problems.append(f"accepted job {job_id} answered 404 to a {kind}")
        unfinished = [(job_id, status) for job_id, status in self.final.items()
                      if status.split(":")[0] not in FINAL]
        for job_id, status in unfinished[:10]:
            problems.append(f"not final: {job_id} {status} "
                            f"(accepted at {at(ledger.accepted[job_id])})")
        if problems:
            print("what went wrong (the first few of each kind):")
            for line in problems:
                print("  " + line)
        print("criteria:")
        criterion("accepted jobs without a final state", not unfinished, len(unfinished),
                  "must be 0")
        failed_jobs = sum(v for k, v in finals.items() if k.startswith("failed"))
        criterion("accepted jobs failed (all images valid)", not failed_jobs,
                  failed_jobs, "must be 0")
        criterion("accepted jobs answered 404 during the load", not ledger.missing,
                  len(ledger.missing), "must be 0")
        silent = sum(1 for _, kind, outcome in ledger.answers
                     if kind != "malformed" and not isinstance(outcome, int))
        criterion("well-formed requests without an HTTP answer", not silent, silent,
                  "must be 0")
        fives = [b for b in ledger.bad if b[1] == "5xx"]
        criterion("5xx answers other than 503", not fives, len(fives), "must be 0")
        odd = [b for b in ledger.bad if b[1] == "undocumented 503"]
        criterion("503 without Retry-After or its JSON error code", not odd, len(odd), "must be 0")
        wrong = [b for b in ledger.bad if b[0] == "malformed"]
        criterion("malformed requests answered otherwise than expected", not wrong, len(wrong),
                  "must be 0")
        rss_growth = mib(self.end_sample.rss_kib - start.rss_kib)
        criterion("RSS growth from start to end (MiB)", rss_growth <= a.rss_bound_mib,
                  f"{rss_growth:+.1f}", f"<= {a.rss_bound_mib:g}")
        before, after = self.idle_before.kinds, self.idle_after.kinds
        growth = after["other"] - before["other"]
        criterion("other fds, idle after minus idle before", growth <= a.fd_bound,
                  f"{growth:+d}", f"<= {a.fd_bound}")
        criterion("Redis connections, idle after", after["redis"] <= a.redis_pool,
                  after["redis"], f"<= {a.redis_pool} (the pool's size)")
        criterion("broker connections, idle after", after["rabbitmq"] <= before["rabbitmq"],
                  after["rabbitmq"], f"<= {before['rabbitmq']} (idle before)")
        criterion("sockets closed by their peer, idle after", after["close-wait"] == 0,
                  after["close-wait"], "must be 0")
        criterion("gateway still running", self.gateway_alive(), "", "")
        print(f"SOAK failed={failed} accepted={len(ledger.order)} unknown={ledger.unknown_submits}")
        return failed


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("host")
    parser.add_argument("port", type=int)
    parser.add_argument("jpeg")
    parser.add_argument("seconds", type=float)
    parser.add_argument("gateway_pid", type=int)
    parser.add_argument("faults")
    parser.add_argument("--rate", type=float, default=25, help="submits a second")
    parser.add_argument("--submitters", type=int, default=4, help="submit connections")
    parser.add_argument("--get-rate", type=float, default=20, help="GETs a second")
    parser.add_argument("--followers", type=int, default=4, help="event stream followers")
    parser.add_argument("--events-share", type=float, default=0.1,
                        help="share of the 202s followed on their event stream")
    parser.add_argument("--cancel-share", type=float, default=0.1,
                        help="share of the 202s cancelled")
    parser.add_argument("--malformed-rate", type=float, default=4, help="malformed requests a second")
    parser.add_argument("--max-file-size", type=int, required=True,
                        help="the gateway's image size limit (for the oversize requests)")
    parser.add_argument("--drain", type=float, default=120,
                        help="seconds to wait for stragglers after the load")
    parser.add_argument("--rss-bound-mib", type=float, default=8)
    parser.add_argument("--fd-bound", type=int, default=4,
                        help="growth of the fds other than connections, idle after vs before")
    parser.add_argument("--redis-port", type=int, required=True)
    parser.add_argument("--amqp-port", type=int, required=True)
    parser.add_argument("--timeline", help="file for every sample of the gateway")
    parser.add_argument("--redis-pool", type=int, default=16,
                        help="the gateway's [redis] pool_size (the shipped ini's default)")
    args = parser.parse_args()
    soak = Soak(args)
    soak.run()
    raise SystemExit(1 if soak.report() else 0)


if __name__ == "__main__":
    main()
