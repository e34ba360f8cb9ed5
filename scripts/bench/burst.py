#!/usr/bin/env python3
"""burst.py HOST PORT JPEG CLIENTS GATEWAY_PID

Opens CLIENTS connections to the gateway, lets them all start their upload at the same moment
(a barrier), and streams to each a multipart POST /api/v1/vision/analyze of JPEG with its own
COM segment (so every upload has distinct bytes), in 64 KiB writes. Meanwhile it samples the
gateway's VmRSS every 50 ms. Prints one "BURST key=value ..." line: the answers by status, the
sampled peak RSS, the kernel's VmHWM afterwards and the wall time. Loopback only; every socket
has a timeout and the whole run is bounded.
"""
import collections
import socket
import sys
import threading
import time

BOUNDARY = b"visiongw-burst-3e8a61c2"
CHUNK = 64 * 1024
TIMEOUT = 120.0  # seconds for any one socket operation


def status_kib(pid, field):
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith(field + ":"):
                return int(line.split()[1])
    return 0


def main():
    host, port, path, clients, pid = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
    with open(path, "rb") as f:
        jpeg = f.read()
    assert jpeg[:2] == b"\xff\xd8", "not a JPEG"
    body_view = memoryview(jpeg)[2:]
    tail = b"\r\n--" + BOUNDARY + b"--\r\n"

    def head_for(n):
        token = (b"burst-%d-%d" % (n, time.time_ns())).ljust(32)[:32]
        return (b"--" + BOUNDARY + b"\r\n"
                b"Content-Disposition: form-data; name=\"analysis_type\"\r\n\r\npest\r\n"
                b"--" + BOUNDARY + b"\r\n"
                b"Content-Disposition: form-data; name=\"image\"; filename=\"big.jpg\"\r\n"
                b"Content-Type: image/jpeg\r\n\r\n"
                b"\xff\xd8\xff\xfe\x00\x22" + token)

    barrier = threading.Barrier(clients + 1, timeout=60)
    results = [None] * clients

    def client(n):
        sock = None
        try:
            part_head = head_for(n)
            length = len(part_head) + len(body_view) + len(tail)
            request = (b"POST /api/v1/vision/analyze HTTP/1.1\r\n"
                       b"Host: %s:%d\r\n"
                       b"Content-Type: multipart/form-data; boundary=%s\r\n"
                       b"Content-Length: %d\r\nConnection: close\r\n\r\n"
                       % (host.encode(), port, BOUNDARY, length))
            sock = socket.create_connection((host, port), timeout=TIMEOUT)
            barrier.wait()
            sock.sendall(request + part_head)
            for offset in range(0, len(body_view), CHUNK):
                sock.sendall(body_view[offset:offset + CHUNK])
            sock.sendall(tail)
            answer = b""
            while True:
                data = sock.recv(65536)
                if not data:
                    break
                answer += data
            line = answer.split(b"\r\n", 1)[0].decode("latin-1")
            results[n] = line.split(" ")[1] if line.startswith("HTTP/") else "no-answer"
            if results[n] != "202":
                results[n] += " " + answer.split(b"\r\n\r\n", 1)[-1][:160].decode("latin-1")
        except threading.BrokenBarrierError:
            results[n] = "barrier-broken"
        except OSError as e:
            results[n] = "error:" + type(e).__name__
        finally:
            if sock:
                sock.close()

    peak = [0]
    stop = threading.Event()

    def sample():
        while not stop.is_set():
            try:
                peak[0] = max(peak[0], status_kib(pid, "VmRSS"))
            except OSError:
                return
            time.sleep(0.05)

    baseline = status_kib(pid, "VmRSS")
    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    for t in threads:
        t.start()
    sampler = threading.Thread(target=sample)
    sampler.start()
    barrier.wait()
    started = time.monotonic()
    for t in threads:
        t.join(TIMEOUT * 3)
    elapsed = time.monotonic() - started
    time.sleep(0.2)  # one more sample after the last answer
    stop.set()
    sampler.join()
    hwm = status_kib(pid, "VmHWM")
    counts = collections.Counter((r or "unfinished").split(" ")[0] for r in results)
    samples = [r for r in results if r is None or not r.startswith("202")]
    print("BURST clients=%d accepted=%d statuses=%s baseline_rss_kib=%d peak_rss_kib=%d "
          "vmhwm_kib=%d seconds=%.2f bytes_each=%d"
          % (clients, counts.get("202", 0),
             ",".join(f"{k}:{v}" for k, v in sorted(counts.items())),
             baseline, peak[0], hwm, elapsed, len(jpeg) + 32 + 4))
    if samples:
        print("BURST_SAMPLE", samples[0])


if __name__ == "__main__":
    main()
