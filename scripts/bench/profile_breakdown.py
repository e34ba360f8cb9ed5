#!/usr/bin/env python3
"""profile_breakdown.py < `perf script -F comm,tid,ip,sym,dso` output (recorded with
--call-graph dwarf)

Puts each sample of the gateway into one cost category of a submit — the first category of
the table below (in its order: operations before plumbing) that matches any frame of the
sample's stack — and prints the categories by share of the samples, then the top self-time
symbols. A stack that matches none counts as "other: <leaf symbol>".
"""
import collections
import re
import sys

# (category, regular expression on a frame's symbol), tried leaf-first for every frame.
CATEGORIES = [
    ("Redis: job record create", r"RedisJobStore::create"),
    ("Redis: other", r"RedisJobStore::|Poco::Redis::"),
    ("RabbitMQ: publisher thread (publish+confirms)", r"ConfirmingPublisher::run|amqp_"),
    ("RabbitMQ: request waits for confirm", r"ConfirmingPublisher::publish|RabbitmqTransport::publish"),
    ("JSON: job record / message / response text", r"job_json|file_json|job_message_json|parameters_json|Poco::JSON::"),
    ("logging", r"JsonLog::"),
    ("metrics", r"prometheus::|MetricsRegistry|GatewayMetrics"),
    ("job and request ids (UUID)", r"random_uuid|RAND_bytes|choose_request_id"),
    ("storage: write() of image chunks", r"LocalBlobWriter::write"),
    ("storage: commit (close/link/unlink)", r"LocalBlobWriter::commit"),
    ("storage: begin_write (open temp file)", r"LocalStorage::begin_write"),
    ("SHA-256 of the image (OpenSSL)", r"SHA256|sha256_block|Sha256::"),
    ("image header probe", r"probe_image|check_image_policy"),
    ("field validation", r"AnalysisValidator|validator_for|::validate"),
    ("socket recv (request body + headers)", r"SocketImpl::receiveBytes|__libc_recv|RequestBody::"),
    ("multipart parsing (block scanner)", r"MultipartScanner::"),
    ("other parts / stream plumbing", r"check_complete"),
    ("HTTP response send", r"HTTPServerResponseImpl|HTTPResponse::write|sendBytes"),
    ("HTTP request head parsing", r"HTTPServerRequestImpl|HTTPRequest::read|MessageHeader::read"),
    ("malloc/free", r"^malloc$|^free$|_int_free|_int_malloc|operator new|operator delete|cfree|tcache"),
    ("thread wakeups / futex / scheduler", r"futex|__schedule|finish_task_switch|pthread_cond"),
]
COMPILED = [(name, re.compile(pattern)) for name, pattern in CATEGORIES]


def samples(stream):
    stack = []
    comm = None
    for line in stream:
        line = line.rstrip("\n")
        if not line.strip():
            if comm is not None:
                yield comm, stack
            stack, comm = [], None
            continue
        if not line.startswith(("\t", " ")):
            comm = line.split()[0]
            continue
        parts = line.strip().split(" ", 1)
        sym = parts[1] if len(parts) > 1 else "?"
        sym = re.sub(r" \([^()]*\)$", "", sym)  # drop " (dso)"
        stack.append(sym)
    if comm is not None:
        yield comm, stack


def main():
    by_category = collections.Counter()
    by_self = collections.Counter()
    total = 0
    for comm, stack in samples(sys.stdin):
        if not stack:
            continue
        total += 1
        leaf = stack[0]
        by_self[leaf] += 1
        hit = next((name for name, rx in COMPILED if any(rx.search(sym) for sym in stack)), None)
        by_category[hit or "other: " + leaf[:60]] += 1
    if not total:
        print("no samples")
        return
    print(f"  {total} samples; share of the gateway's CPU time by what the sample was doing:")
    other = 0
    for name, n in by_category.most_common():
        if n / total < 0.01:
            other += n
            continue
        print(f"  {100 * n / total:5.1f}%  {name}")
    if other:
        print(f"  {100 * other / total:5.1f}%  (everything under 1% each)")
    print("  top self-time symbols:")
    for sym, n in by_self.most_common(12):
        print(f"  {100 * n / total:5.1f}%  {sym[:100]}")


if __name__ == "__main__":
    main()
