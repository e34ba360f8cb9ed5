#!/usr/bin/env python3
"""roundtrip.py HOST PORT JPEG JOBS WORKER_LOG

Submits JOBS jobs one after another, each image with its own COM segment (so every upload is
new), and follows each job's GET /api/v1/vision/jobs/{id}/events stream until its final state.
Per job, from the moment its request is sent: when the 202 arrived (submit) and when the final
state arrived on the stream (result). Then reads the worker's log (one JSON object a line with
"time", "message" and "job_id") for the worker's own part of each job: from its "job started"
line to its "job completed" line (the analysis and the broker's confirm of the final event;
millisecond timestamps). Prints one "ROUNDTRIP key=value ..." line, times in milliseconds.
Loopback only; every socket has a timeout.
"""
import datetime
import http.client
import json
import sys
import time

BOUNDARY = "visiongw-roundtrip-5d1c07aa"
TIMEOUT = 30.0  # seconds for any one socket operation
FINAL = {"completed", "failed", "cancelled"}


def percentile(values, share):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def body_for(jpeg, n):
    token = (b"roundtrip-%d-%d" % (n, time.time_ns())).ljust(32)[:32]
    head = ("--" + BOUNDARY + "\r\n"
            "Content-Disposition: form-data; name=\"analysis_type\"\r\n\r\npest\r\n"
            "--" + BOUNDARY + "\r\n"
            "Content-Disposition: form-data; name=\"image\"; filename=\"leaf.jpg\"\r\n"
            "Content-Type: image/jpeg\r\n\r\n").encode()
    tail = ("\r\n--" + BOUNDARY + "--\r\n").encode()
    return head + b"\xff\xd8\xff\xfe\x00\x22" + token + jpeg[2:] + tail


def final_state(host, port, job_id):
    """Reads the job's event stream until a final state; returns that status."""
    events = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    try:
        events.request("GET", f"/api/v1/vision/jobs/{job_id}/events",
                       headers={"Accept": "text/event-stream"})
        answer = events.getresponse()
        if answer.status != 200:
            raise RuntimeError(f"events of {job_id}: HTTP {answer.status}")
        while True:
            line = answer.readline()  # chunked transfer decoded: a frame may span chunks
            if not line:
                raise RuntimeError(f"events of {job_id}: stream closed before a final state")
            if line.startswith(b"data:"):
                status = json.loads(line[5:])["status"]
                if status in FINAL:
                    return status
    finally:
        events.close()


def worker_times(path):
    """{job_id: milliseconds from "job started" to "job completed"} from the worker's log."""
    started, spans = {}, {}
    with open(path) as log:
        for line in log:
            try:
                record = json.loads(line)
            except ValueError:
                continue
            job, message = record.get("job_id"), record.get("message", "")
            if not job:
                continue
            at = datetime.datetime.fromisoformat(record["time"].replace("Z", "+00:00"))
            if message.startswith("job started"):
                started[job] = at
            elif message == "job completed" and job in started:
                spans[job] = (at - started[job]).total_seconds() * 1000
    return spans


def main():
    host, port, path, jobs, worker_log = (sys.argv[1], int(sys.argv[2]), sys.argv[3],
                                          int(sys.argv[4]), sys.argv[5])
    with open(path, "rb") as f:
        jpeg = f.read()
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    submit = http.client.HTTPConnection(host, port, timeout=TIMEOUT)
    headers = {"Content-Type": "multipart/form-data; boundary=" + BOUNDARY}
    submit_ms, result_ms, ids, outcomes = [], [], [], {}
    for n in range(jobs):
        body = body_for(jpeg, n)
        sent = time.perf_counter()
        submit.request("POST", "/api/v1/vision/analyze", body=body, headers=headers)
        answer = submit.getresponse()
        text = answer.read()
        accepted = time.perf_counter()
        if answer.status != 202:
            raise RuntimeError(f"submit {n}: HTTP {answer.status}: {text[:300]!r}")
        job_id = json.loads(text)["job_id"]
        status = final_state(host, port, job_id)
        done = time.perf_counter()
        outcomes[status] = outcomes.get(status, 0) + 1
        submit_ms.append((accepted - sent) * 1000)
        result_ms.append((done - sent) * 1000)
        ids.append(job_id)
    submit.close()

    time.sleep(0.5)  # the worker logs its verdict after the final event's confirm
    spans = worker_times(worker_log)
    worker_ms = [spans[job] for job in ids if job in spans]
    fields = {"jobs": jobs, "completed": outcomes.get("completed", 0),
              "worker_spans": len(worker_ms)}
    for name, values in (("submit", submit_ms), ("result", result_ms), ("worker", worker_ms)):
        if not values:
            continue
        fields[name + "_p50"] = "%.1f" % percentile(values, 0.50)
        fields[name + "_p99"] = "%.1f" % percentile(values, 0.99)
        fields[name + "_max"] = "%.1f" % max(values)
    print("ROUNDTRIP " + " ".join(f"{k}={v}" for k, v in fields.items()), flush=True)


if __name__ == "__main__":
    main()
