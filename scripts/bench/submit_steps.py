#!/usr/bin/env python3
"""Where submits spent their time, from a gateway's access log ([log] level = info).

usage: submit_steps.py GATEWAY_LOG

Reads the access log lines of POST /api/v1/vision/analyze answered 202 (their upload_ms,
commit_ms, record_ms and publish_ms) and prints the mean of each step for all submits, for the
middle tenth (around the median) and for the slowest 2% and 0.5% by duration_ms.
"""
import json
import sys

STEPS = ["upload_ms", "commit_ms", "record_ms", "publish_ms"]


def main(path):
    rows = []
    with open(path, encoding="utf-8", errors="replace") as log:
        for line in log:
            if '"route":"/api/v1/vision/analyze"' not in line:
                continue
            row = json.loads(line)
            if row.get("status") == 202 and all(step in row for step in STEPS):
                rows.append(row)
    if not rows:
        sys.exit(f"{path}: no access log lines of accepted submits (is [log] level = info?)")
    rows.sort(key=lambda row: row["duration_ms"])
    n = len(rows)
    groups = [("all", rows), ("middle 10%", rows[n * 45 // 100:n * 55 // 100 + 1]),
              ("slowest 2%", rows[n * 98 // 100:]), ("slowest 0.5%", rows[n * 995 // 1000:])]
    print(f"  mean ms of {n} submits: {'  '.join(s[:-3] for s in STEPS)}  (whole request)")
    for name, group in groups:
        means = [sum(row[key] for row in group) / len(group) for key in STEPS + ["duration_ms"]]
        print(f"  {name:<13} ({len(group):>5}) " + " ".join(f"{m:8.2f}" for m in means))


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    main(sys.argv[1])
