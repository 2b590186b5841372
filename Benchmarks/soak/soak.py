#!/usr/bin/env python3
"""Soak test (not in CI): a release `snackbase` under mixed S1-S3 load for a long time.

Reuses the load benchmark's swift adapter and wrk driver from ../shared/bench (same seeding, same
requests), rotating S1 (rule-filtered list), S2 (get by id) and S3 (create) in windows of
--window seconds for --minutes minutes, sampling the server's RSS. Meanwhile --streams realtime
streams of `posts` stay open (half as alice, whose creates S3 makes, half as bob, the tenant's admin),
each read by a process of its own as `EventSource` would: on `closed` (an expired token, a slow
consumer) it signs in again if needed and reconnects with `Last-Event-ID`. Passes when there were no
errors, the RSS at the end is within 10 % of the RSS after warm-up, and every stream received each
record created while it was open exactly once, in increasing event ids, with no `reset`.

    swift build -c release
    python3 Benchmarks/soak/soak.py --minutes 30            # the issue's 30-minute soak
    python3 Benchmarks/soak/soak.py --minutes 2 --records 2000   # a quick check

Loopback only (127.0.0.1:8100), bounded by --minutes; stops the server on exit.
"""
from __future__ import annotations

import argparse
import http.client
import json
import multiprocessing
import sys
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path

BENCH = Path(__file__).resolve().parents[3] / "shared" / "bench"
sys.path.insert(0, str(BENCH))

from adapters.base import USER_EMAILS, USER_PASSWORD  # noqa: E402
from adapters.swift import TENANT_SLUG, SwiftAdapter  # noqa: E402
from common import Client, rss_kib, run_wrk, start_server, stop_server  # noqa: E402


def login(base_url: str, email: str) -> str:
    body = json.dumps({"account": TENANT_SLUG, "email": email, "password": USER_PASSWORD}).encode()
    request = urllib.request.Request(f"{base_url}/api/v1/auth/login", data=body, headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def created_total(base_url: str, token: str) -> int:
    request = urllib.request.Request(f"{base_url}/api/v1/records/posts?limit=1", headers={"Authorization": "Bearer " + token})
    with urllib.request.urlopen(request, timeout=30) as response:
        return int(json.load(response)["total"])


def follow(base_url: str, email: str, stop, ready, report) -> None:
    """One stream of `posts` as `email` until `stop`; puts its counts on `report`."""
    url = urllib.parse.urlsplit(base_url)
    token = login(base_url, email)
    counts = {"email": email, "created": 0, "connects": 0, "closed": {}, "resets": 0, "out_of_order": 0, "refused": []}
    last_id = None
    while not stop.is_set():
        connection = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        headers = {"Authorization": "Bearer " + token, "Accept": "text/event-stream"}
        if last_id is not None:
            headers["Last-Event-ID"] = str(last_id)
        connection.request("GET", "/api/v1/realtime?topics=posts", headers=headers)
        response = connection.getresponse()
        if response.status != 200:
            counts["refused"].append(response.status)
            response.read()
            connection.close()
            token = login(base_url, email)
            time.sleep(0.5)
            continue
        counts["connects"] += 1
        ready.set()
        pending = b""
        reason = None
        while reason is None and not stop.is_set():
            try:
                chunk = response.read1(65536)
            except TimeoutError:
                continue  # a heartbeat comes every 15 s; the timeout only lets `stop` be seen
            if not chunk:
                reason = "connection ended"
                break
            pending += chunk
            *frames, pending = pending.split(b"\n\n")
            for frame in frames:
                fields = {}
                for line in frame.split(b"\n"):
                    if line and not line.startswith(b":"):
                        name, _, value = line.partition(b": ")
                        fields[name] = value
                if b"id" in fields:
                    event_id = int(fields[b"id"])
                    if last_id is not None and event_id <= last_id:
                        counts["out_of_order"] += 1
                    last_id = event_id
                event = fields.get(b"event")
                if event == b"record.created":
                    counts["created"] += 1
                elif event == b"reset":
                    counts["resets"] += 1
                elif event == b"closed":
                    reason = json.loads(fields.get(b"data", b"{}")).get("reason", "?")
        connection.close()
        if reason is not None:
            counts["closed"][reason] = counts["closed"].get(reason, 0) + 1
            if "expired" in reason or "revoked" in reason:
                token = login(base_url, email)
    report.put(counts)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--minutes", type=float, default=30)
    parser.add_argument("--records", type=int, default=10000)
    parser.add_argument("--window", type=int, default=10, help="seconds per scenario window")
    parser.add_argument("--conns", type=int, default=32)
    parser.add_argument("--swift-bin", default=".build/release/snackbase")
    parser.add_argument("--streams", type=int, default=4, help="realtime streams open during the soak (0: none)")
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
        stop, report = multiprocessing.Event(), multiprocessing.Queue()
        followers = []
        try:
            client = Client(adapter.base_url)
            ctx = adapter.seed(client, args.records)
            scenarios = {sc.key: sc for sc in adapter.scenarios(ctx) if sc.key in ("S1", "S2", "S3")}
            work = run_dir / "wrk"
            admin = login(adapter.base_url, USER_EMAILS[1])
            for index in range(args.streams):
                ready = multiprocessing.Event()
                process = multiprocessing.Process(target=follow, args=(adapter.base_url, USER_EMAILS[index % 2], stop, ready, report))
                process.start()
                if not ready.wait(30):
                    print(f"stream {index} did not open", file=sys.stderr)
                    return 1
                followers.append(process)
            created_before = created_total(adapter.base_url, admin)
            print(f"{len(followers)} realtime streams open; {created_before} records")
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
            time.sleep(3)  # the last events reach the streams
            created = created_total(adapter.base_url, admin) - created_before
            stop.set()
            streams_ok = True
            for _ in followers:
                counts = report.get(timeout=60)
                good = counts["created"] == created and counts["resets"] == 0 and counts["out_of_order"] == 0 and not counts["refused"]
                streams_ok = streams_ok and good
                print(f"stream {counts['email']}: {counts['created']} of {created} creates, {counts['connects']} connections,"
                      f" closed {counts['closed']}, resets {counts['resets']}, out of order {counts['out_of_order']},"
                      f" refused {counts['refused']}" + ("" if good else "  <- FAILED"))
            for process in followers:
                process.join(30)
            ok = errors == 0 and growth <= 0.10 and streams_ok
            print("soak: " + ("1 passed, 0 failed" if ok else "0 passed, 1 failed"))
            return 0 if ok else 1
        finally:
            stop.set()
            for process in followers:
                if process.is_alive():
                    process.terminate()
            stop_server(server)


if __name__ == "__main__":
    sys.exit(main())
