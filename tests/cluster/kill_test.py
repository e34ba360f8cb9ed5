#!/usr/bin/env python3
"""Faults under load on the cluster of scripts/cluster (issue 23), as the brokers' own suites do.

Steady submits go through nginx while, in turn, the RabbitMQ node the gateways are connected to,
the Redis master and one gateway are killed with SIGKILL. Passes when:
  - every job that got a 202 reaches `completed`, read from its record;
  - every other answer is a 503 with Retry-After and the error shape of the API;
  - after each fault, submits are accepted again within RECOVERY_BOUND_S seconds.

usage: kill_test.py CLUSTER_STATE_DIR [REPORT.json]
KILL_TEST_FAULTS (default "rabbitmq,redis,gateway") chooses the faults, in that order.
Only the standard library; every wait is bounded.
"""
import http.client
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid

RECOVERY_BOUND_S = float(os.environ.get("KILL_TEST_RECOVERY_BOUND_S", "20"))
SETTLE_S = float(os.environ.get("KILL_TEST_SETTLE_S", "12"))  # steady load after each fault
SUBMITTERS = int(os.environ.get("KILL_TEST_SUBMITTERS", "3"))
PAUSE_S = 0.05  # between one submitter's requests
COMPLETION_DEADLINE_S = 120


def read_env(state):
    env = {}
    with open(os.path.join(state, "cluster.env")) as f:
        for line in f:
            key, _, value = line.strip().partition("=")
            env[key] = value.strip('"')
    return env


def tiny_jpeg():
    """A 96x96 baseline JPEG of ~6 KB from scripts/bench/make_jpeg.py (a real image the gateway checks)."""
    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    out = os.path.join(os.environ.get("TMPDIR", "/tmp"), "visiongw-kill-test-%d.jpg" % os.getpid())
    subprocess.run([sys.executable, os.path.join(root, "scripts/bench/make_jpeg.py"), out,
                    "6000", "96", "96", "8"], check=True, stdout=subprocess.DEVNULL)
    with open(out, "rb") as f:
        data = f.read()
    os.unlink(out)
    return data


class Load:
    """Submitter threads; every answer is kept as (sent, answered, status, headers, body)."""

    def __init__(self, port, image):
        self.port = port
        self.image = image
        self.answers = []
        self.lock = threading.Lock()
        self.stopping = threading.Event()
        self.threads = [threading.Thread(target=self.run, daemon=True) for _ in range(SUBMITTERS)]

    def start(self):
        for t in self.threads:
            t.start()

    def stop(self):
        self.stopping.set()
        for t in self.threads:
            t.join(timeout=60)

    def submit(self):
        boundary = uuid.uuid4().hex
        body = (b"--" + boundary.encode() + b'\r\nContent-Disposition: form-data; name="analysis_type"'
                b"\r\n\r\npest\r\n--" + boundary.encode() +
                b'\r\nContent-Disposition: form-data; name="image"; filename="leaf.jpg"\r\n'
                b"Content-Type: image/jpeg\r\n\r\n" + self.image + b"\r\n--" + boundary.encode() + b"--\r\n")
        sent = time.monotonic()
        try:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
            conn.request("POST", "/api/v1/vision/analyze", body,
                         {"Content-Type": "multipart/form-data; boundary=" + boundary})
            response = conn.getresponse()
            answer = (sent, time.monotonic(), response.status, dict(response.getheaders()),
                      response.read())
            conn.close()
        except (OSError, http.client.HTTPException) as error:
            answer = (sent, time.monotonic(), 0, {}, str(error).encode())
        with self.lock:
            self.answers.append(answer)

    def run(self):
        while not self.stopping.is_set():
            self.submit()
            time.sleep(PAUSE_S)


def get_json(port, path):
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.request("GET", path)
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, (json.loads(body) if body else None)


def kill9(pid_file):
    """SIGKILL to the pid in pid_file: (when, pid)."""
    with open(pid_file) as f:
        pid = int(f.read().split()[0])
    os.kill(pid, signal.SIGKILL)
    return time.monotonic(), pid


def sentinel_master(env):
    for port in env["SENTINEL_PORTS"].split():
        out = subprocess.run(["redis-cli", "-p", port, "sentinel", "get-master-addr-by-name",
                              env["SENTINEL_MASTER"]], capture_output=True, text=True, timeout=5)
        words = out.stdout.split()
        if out.returncode == 0 and len(words) == 2:
            return words[1]
    return None


def main():
    state = sys.argv[1]
    report_path = sys.argv[2] if len(sys.argv) > 2 else None
    env = read_env(state)
    nginx = int(env["NGINX_PORT"])
    cluster = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "scripts", "cluster")
    load = Load(nginx, tiny_jpeg())
    faults = []  # (name, monotonic time of the kill, detail)

    def fault(name, action):
        killed_at, detail = action()
        faults.append((name, killed_at, detail))
        print("kill_test: %s (%s)" % (name, detail), flush=True)

    def rabbit_node_in_use():
        _, ready = get_json(int(env["GATEWAY_PORTS"].split()[0]), "/health/ready")
        detail = ready["checks"]["rabbitmq"]["detail"]  # "rabbitmq 127.0.0.1:PORT connected, …"
        port = detail.split()[1].split(":")[1]
        index = env["AMQP_PORTS"].split().index(port)
        killed_at, pid = kill9(env["RABBIT_PID_FILES"].split()[index])
        return killed_at, "node %s on :%s, pid %d" % (env["RABBIT_NODES"].split()[index], port, pid)

    def redis_master():
        port = sentinel_master(env)
        killed_at, pid = kill9(os.path.join(env["REDIS_DIR"], "redis-%s.pid" % port))
        # Sentinel promotes the replica; then, as a supervisor would, the killed server is
        # started again and rejoins as a replica (with wait_replicas = 1 submits need one).
        deadline = time.monotonic() + 30
        while sentinel_master(env) in (port, None) and time.monotonic() < deadline:
            time.sleep(0.1)
        promoted_after = time.monotonic() - killed_at
        subprocess.run([cluster, "revive", "redis"], check=True, timeout=60)
        return killed_at, "master :%s, pid %d; Sentinel named :%s after %.1f s" % (
            port, pid, sentinel_master(env), promoted_after)

    def gateway():
        killed_at, pid = kill9(env["GATEWAY_PID_FILES"].split()[0])
        return killed_at, "gateway 1 on :%s, pid %d" % (env["GATEWAY_PORTS"].split()[0], pid)

    load.start()
    time.sleep(SETTLE_S / 2)
    chosen = os.environ.get("KILL_TEST_FAULTS", "rabbitmq,redis,gateway").split(",")
    for part, name, action in (("rabbitmq", "kill -9 the RabbitMQ node in use", rabbit_node_in_use),
                               ("redis", "kill -9 the Redis master", redis_master),
                               ("gateway", "kill -9 gateway 1", gateway)):
        if part not in chosen:
            continue
        fault(name, action)
        time.sleep(SETTLE_S)
    load.stop()
    ended = time.monotonic()

    answers = sorted(load.answers)
    accepted = []
    refused = {}
    wrong = []
    for sent, answered, status, headers, body in answers:
        if status == 202:
            accepted.append(json.loads(body)["job_id"])
            continue
        refused[status] = refused.get(status, 0) + 1
        try:
            code = json.loads(body)["error"]["code"]
        except (ValueError, KeyError, TypeError):
            code = None
        if status != 503 or "Retry-After" not in headers or code != "service_unavailable":
            wrong.append({"status": status, "retry_after": headers.get("Retry-After"),
                          "body": body[:300].decode(errors="replace")})

    # Recovery: from the kill to the answer of the first request sent after it from which on
    # every answer up to the next fault is a 202 (a submit that waited out the failover and was
    # then accepted counts from its answer).
    recoveries = []
    for i, (name, at, detail) in enumerate(faults):
        until = faults[i + 1][1] if i + 1 < len(faults) else ended
        phase = [a for a in answers if at <= a[0] < until]
        recovered_at = None
        for _, answered, status, _, _ in phase:
            if answered >= until:
                continue  # answered after the next fault: that fault's doing
            if status != 202:
                recovered_at = None
            elif recovered_at is None:
                recovered_at = answered
        refused_in_phase = sum(1 for a in phase if a[2] != 202)
        slowest = max((a[1] - a[0] for a in phase), default=0)
        recoveries.append({"fault": name, "detail": detail, "requests": len(phase),
                           "refused": refused_in_phase, "slowest_answer_s": round(slowest, 2),
                           "recovery_s": None if recovered_at is None else round(recovered_at - at, 2)})

    # Every accepted job, read from its record through nginx, must reach completed.
    pending = set(accepted)
    statuses = {}
    deadline = time.monotonic() + COMPLETION_DEADLINE_S
    while pending and time.monotonic() < deadline:
        for job_id in list(pending):
            try:
                status, record = get_json(nginx, "/api/v1/vision/jobs/" + job_id)
            except (OSError, http.client.HTTPException, ValueError):
                continue
            statuses[job_id] = record.get("status") if status == 200 and record else "http %d" % status
            if statuses[job_id] == "completed":
                pending.discard(job_id)
        if pending:
            time.sleep(1)

    report = {"submits": len(answers), "accepted": len(accepted), "refused_by_status": refused,
              "undocumented_answers": wrong[:20], "undocumented_count": len(wrong),
              "not_completed": {j: statuses.get(j) for j in sorted(pending)[:20]},
              "not_completed_count": len(pending), "faults": recoveries,
              "recovery_bound_s": RECOVERY_BOUND_S}
    text = json.dumps(report, indent=2)
    print(text)
    if report_path:
        with open(report_path, "w") as f:
            f.write(text + "\n")

    failures = []
    if len(accepted) < 50:
        failures.append("only %d submits were accepted" % len(accepted))
    if pending:
        failures.append("%d accepted jobs did not reach completed" % len(pending))
    if wrong:
        failures.append("%d answers were neither 202 nor a 503 with Retry-After" % len(wrong))
    for r in recoveries:
        if r["recovery_s"] is None or r["recovery_s"] > RECOVERY_BOUND_S:
            failures.append("after '%s' submits were not accepted again within %.0f s (%s)" %
                            (r["fault"], RECOVERY_BOUND_S, r["recovery_s"]))
    for f in failures:
        print("kill_test: FAIL: " + f, file=sys.stderr)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
