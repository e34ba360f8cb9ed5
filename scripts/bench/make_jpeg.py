#!/usr/bin/env python3
"""make_jpeg.py OUT TARGET_BYTES WIDTH HEIGHT NOISE

Writes a real baseline JPEG of WIDTH x HEIGHT whose size is close to TARGET_BYTES: a vertical
grey gradient with uniform random noise of +-NOISE per channel (noise is what keeps a JPEG
large), encoded by cjpeg (Debian libjpeg-turbo-progs) at the quality whose output comes closest
to the target. Prints "<size> <quality>".
"""
import os
import subprocess
import sys
import tempfile


def ppm(width, height, noise):
    noise = max(0, min(127, noise))
    span = 2 * noise + 1
    rows = []
    for y in range(height):
        grey = 64 + (y * 127) // max(1, height - 1)
        # One translation table per row: a random byte becomes grey + (byte % span) - noise.
        table = bytes(max(0, min(255, grey + (i % span) - noise)) for i in range(256))
        rows.append(os.urandom(width * 3).translate(table))
    return b"P6 %d %d 255\n" % (width, height) + b"".join(rows)


def encode(ppm_path, quality):
    return subprocess.run(["cjpeg", "-quality", str(quality), ppm_path],
                          check=True, capture_output=True).stdout


def main():
    if len(sys.argv) != 6:
        sys.exit(__doc__)
    out, target = sys.argv[1], int(sys.argv[2])
    width, height, noise = map(int, sys.argv[3:6])
    with tempfile.NamedTemporaryFile(suffix=".ppm") as tmp:
        tmp.write(ppm(width, height, noise))
        tmp.flush()
        lo, hi, best = 5, 98, None
        while lo <= hi:  # the size grows with the quality: binary search the closest
            quality = (lo + hi) // 2
            data = encode(tmp.name, quality)
            if best is None or abs(len(data) - target) < abs(len(best[0]) - target):
                best = (data, quality)
            if len(data) < target:
                lo = quality + 1
            else:
                hi = quality - 1
    with open(out, "wb") as f:
        f.write(best[0])
    print(len(best[0]), best[1])


if __name__ == "__main__":
    main()
