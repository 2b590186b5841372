#!/usr/bin/env python3
"""Times our Swift Argon2id against argon2-cffi (libargon2) on the same machine, in the same run, interleaved.

    pip install argon2-cffi
    python3 Benchmarks/argon2/compare.py [--runs 21] [--package-path .] [--no-build]

Builds the Argon2Benchmark product in release mode (under `nice`), starts it once in `--serve` mode, then for
each round and shape times one Swift hash and one libargon2 hash back to back, alternating which goes first.
Both sides time only the hash (no process start-up) with the same password, salt, tag length and lane count;
libargon2 runs its p lanes on p threads, as argon2-cffi does. Prints, for wall-clock time and for process CPU
time (all threads, user + system), the medians and the Swift/libargon2 ratios: of the medians, and the median
of the per-round ratios. On a busy machine the CPU-time ratio is the steadier measure of the code's speed.
"""
import argparse
import os
import statistics
import subprocess
import sys
import time

from argon2.low_level import Type, hash_secret_raw

SHAPES = [(65536, 3, 4), (19456, 2, 1)]
PASSWORD = b"benchmark password"
SALT = b"benchmark-salt16"


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--runs", type=int, default=21)
    parser.add_argument("--package-path", default=os.path.join(os.path.dirname(__file__), "..", ".."))
    parser.add_argument("--no-build", action="store_true", help="use the existing release build")
    parser.add_argument("--shape", action="append", metavar="M,T,P",
                        help="memory KiB, iterations, lanes (repeatable; default: 65536,3,4 and 19456,2,1)")
    arguments = parser.parse_args()
    package = os.path.abspath(arguments.package_path)

    if not arguments.no_build:
        subprocess.run(["nice", "-n", "10", "swift", "build", "-c", "release", "--product", "Argon2Benchmark",
                        "--package-path", package], check=True, stdout=sys.stderr)
    binary_dir = subprocess.run(["swift", "build", "-c", "release", "--show-bin-path", "--package-path", package],
                                check=True, capture_output=True, text=True).stdout.strip()
    server = subprocess.Popen([os.path.join(binary_dir, "Argon2Benchmark"), "--serve"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, bufsize=1)

    def swift(m, t, p):
        server.stdin.write("%d %d %d\n" % (m, t, p))
        server.stdin.flush()
        wall, cpu = server.stdout.readline().split()
        return float(wall), float(cpu)

    def libargon2(m, t, p):
        cpu_start = time.process_time()
        start = time.perf_counter()
        hash_secret_raw(PASSWORD, SALT, t, m, p, 32, Type.ID)
        return (time.perf_counter() - start) * 1000, (time.process_time() - cpu_start) * 1000

    print("Argon2id, ms per hash, %d interleaved rounds (Swift and libargon2 alternate going first); "
          "load average before: %s" % (arguments.runs, " ".join("%.2f" % x for x in os.getloadavg())))
    shapes = [tuple(int(x) for x in shape.split(",")) for shape in arguments.shape] if arguments.shape else SHAPES
    for m, t, p in shapes:
        swift(m, t, p), libargon2(m, t, p)  # warm-up: page in the memory, start the threads
        ours, theirs = [], []
        for round_index in range(arguments.runs):
            if round_index % 2 == 0:
                ours.append(swift(m, t, p))
                theirs.append(libargon2(m, t, p))
            else:
                theirs.append(libargon2(m, t, p))
                ours.append(swift(m, t, p))
        for label, which in (("wall", 0), ("CPU ", 1)):
            a = [x[which] for x in ours]
            b = [x[which] for x in theirs]
            print("m=%-6d t=%d p=%d  %s  Swift %7.2f ms  libargon2 %7.2f ms  ratio %.2f  (median per-round ratio %.2f)"
                  % (m, t, p, label, statistics.median(a), statistics.median(b),
                     statistics.median(a) / statistics.median(b), statistics.median(x / y for x, y in zip(a, b))))
    print("load average after: %s" % " ".join("%.2f" % x for x in os.getloadavg()))
    server.stdin.close()
    server.wait()


if __name__ == "__main__":
    main()
