#!/usr/bin/env python3
"""Soak test (not in CI): a release `snackbase` under mixed S1-S3 load for a long time.

Reuses the load benchmark's swift adapter and wrk driver from ../shared/bench (same seeding, same
requests), rotating S1 (rule-filtered list), S2 (get by id) and S3 (create) in windows of
--window seconds for --minutes minutes, sampling the server's RSS. Passes when there were no
errors and the RSS at the end is within 10 % of the RSS after warm-up.

    swift build -c release
    python3 Benchmarks/soak/soak.py --minutes 30            # the issue's 30-minute soak
    python3 Benchmarks/soak/soak.py --minutes 2 --records 2000   # a quick check

Loopback only (127.0.0.1:8100), bounded by --minutes; stops the server on exit.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
sys.path.insert(0, str(BENCH))

from adapters.swift import SwiftAdapter  # noqa: E402
from common import Client, rss_kib, run_wrk, start_server, stop_server  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--window", type=int, default=10, help="seconds per scenario window")
    parser.add_argument("--conns", type=int, default=32)
    parser.add_argument("--swift-bin", default=".build/release/snackbase")
    args = parser.parse_args()

    adapter = SwiftAdapter(args.swift_bin)
    problem = adapter.check()
    if problem:
        print(problem, file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="snackbase-soak-") as tmp:
        run_dir = Path(tmp)
        adapter.prepare(run_dir)
        argv, env, cwd = adapter.server_cmd(run_dir)
        server = start_server(argv, env, cwd, run_dir / "server.log", adapter.base_url + adapter.health_path, None)
        try:
            client = Client(adapter.base_url)
            ctx = adapter.seed(client, args.records)
            scenarios = {sc.key: sc for sc in adapter.scenarios(ctx) if sc.key in ("S1", "S2", "S3")}
            work = run_dir / "wrk"
            print("warm-up: one window of each scenario")
            for key in ("S1", "S2", "S3"):
                run_wrk(adapter.base_url, scenarios[key], work, f"{args.window}s", args.conns, 1, None)
            first = rss_kib(server.pid)
            baseline = first["rss_kib"]
            print(f"RSS after warm-up: {baseline / 1024:.1f} MiB (anon {first['anon_kib'] / 1024:.1f}, file {first['file_kib'] / 1024:.1f})")
            deadline = time.monotonic() + args.minutes * 60
            errors = 0
            requests = 0
            samples = []
            while time.monotonic() < deadline:
                for key in ("S1", "S2", "S3"):
                    res = run_wrk(adapter.base_url, scenarios[key], work, f"{args.window}s", args.conns, 1, None)
                    requests += int(res.get("requests", 0))
                    errors += sum(int(v) for v in res.get("errors", {}).values())
                sample = rss_kib(server.pid)
                rss = sample["rss_kib"]
                samples.append(rss)
                print(f"{time.strftime('%H:%M:%S')} requests {requests} errors {errors} RSS {rss / 1024:.1f} MiB"
                      f" (anon {sample['anon_kib'] / 1024:.1f}, file {sample['file_kib'] / 1024:.1f})", flush=True)
            end = samples[-1] if samples else baseline
            growth = (end - baseline) / baseline
            print(f"RSS after warm-up {baseline / 1024:.1f} MiB, at the end {end / 1024:.1f} MiB ({growth * 100:+.1f} %), "
                  f"{requests} requests, {errors} errors")
            ok = errors == 0 and growth <= 0.10
            print("soak: " + ("1 passed, 0 failed" if ok else "0 passed, 1 failed"))
            return 0 if ok else 1
        finally:
            stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
