#!/usr/bin/env python3
"""What a write in another tenant costs a tenant's reads (issue 28: "a write in one account or
collection no longer costs another's reads").

    python3 Benchmarks/write-elsewhere/run.py <binary A> <binary B> <bench --keep-data folder> [rounds] [writes/s]

Both servers start on a copy of the seeded database of one `bench.py --keep-data` run, pinned to
core 1. A second tenant (`elsewhere`, with a collection `notes` of its own) is made on each. Then,
in each round and for each server in turn: S1 (alice's list, wrk -t1 -c32 on core 0) for 3 s alone,
then 3 s while a writer creates `writes/s` records (default 100) in the other tenant's `notes`.
Prints each slice and the means: the with-writes rate over the alone rate, per server.
"""
from __future__ import annotations

import http.client
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

SECRET = "bench-secret-key-0123456789abcdef0123456789abcdef"
LUA = Path(__file__).resolve().parents[2].parent / "shared" / "bench" / "lua" / "scenario.lua"


def call(port: int, method: str, path: str, body: dict | None = None, token: str | None = None) -> tuple[int, dict]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = "Bearer " + token
    conn.request(method, path, json.dumps(body) if body is not None else None, headers)
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response.status, (json.loads(data) if data else {})


def start(name: str, port: int, binary: str, bench: Path, work: Path) -> subprocess.Popen:
    folder = work / name
    folder.mkdir()
    shutil.copy(bench / "sb_data" / "data.db", folder / "data.db")
    env = dict(os.environ, SNACKBASE_SECRET_KEY=SECRET, SNACKBASE_SUPERADMIN_EMAIL="admin@bench.example.com",
               SNACKBASE_SUPERADMIN_PASSWORD="AdminPass-12345!")
    process = subprocess.Popen(["taskset", "-c", "1", binary, "serve", "--host", "127.0.0.1", "--port", str(port),
                                "--data-dir", str(folder)], env=env, stdout=open(work / f"{name}.log", "w"), stderr=subprocess.STDOUT)
    for _ in range(200):
        try:
            if call(port, "GET", "/health")[0] == 200:
                break
        except OSError:
            time.sleep(0.05)
    return process


def prepare(port: int, work: Path, name: str) -> str:
    """Alice's token in the headers file for wrk; returns the other tenant's admin token."""
    status, login = call(port, "POST", "/api/v1/auth/login", {"account": "bench", "email": "alice@bench.example.com", "password": "UserPass-12345!"})
    assert status == 200, login
    (work / f"{name}.headers").write_text(f"Authorization: Bearer {login['token']}\n")
    status, root = call(port, "POST", "/api/v1/auth/login", {"account": "SY0000", "email": "admin@bench.example.com", "password": "AdminPass-12345!"})
    assert status == 200, root
    status, made = call(port, "POST", "/api/v1/collections", {"name": "notes", "schema": {"fields": [{"name": "title", "type": "text"}]}}, root["token"])
    assert status in (201, 409), made
    status, registered = call(port, "POST", "/api/v1/auth/register", {"account_name": "Elsewhere", "email": "eve@elsewhere.example.com", "password": "Correct-Horse-9-battery"})
    assert status == 201, registered
    return registered["token"]


def load(port: int, headers: Path, seconds: int) -> float:
    env = dict(os.environ, BENCH_HEADERS=str(headers), BENCH_PATH="/api/v1/records/posts?limit=50&sort=-created_at", BENCH_METHOD="GET")
    out = subprocess.run(["taskset", "-c", "0", "wrk", "-t1", "-c32", f"-d{seconds}s", "-s", str(LUA), f"http://127.0.0.1:{port}"],
                         env=env, capture_output=True, text=True).stdout
    return next(float(line.split()[1]) for line in out.splitlines() if line.startswith("Requests/sec"))


def writer(port: int, token: str, rate: float, stop: threading.Event, counts: list[int]) -> None:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    body = json.dumps({"title": "written elsewhere"})
    headers = {"Content-Type": "application/json", "Authorization": "Bearer " + token}
    next_at = time.monotonic()
    while not stop.is_set():
        conn.request("POST", "/api/v1/records/notes", body, headers)
        response = conn.getresponse()
        response.read()
        counts[0 if response.status == 201 else 1] += 1
        next_at += 1 / rate
        time.sleep(max(0.0, next_at - time.monotonic()))


def main() -> None:
    bin_a, bin_b, bench = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2]), Path(sys.argv[3])
    rounds = int(sys.argv[4]) if len(sys.argv) > 4 else 5
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 100.0
    work = Path(tempfile.mkdtemp(prefix="snackbase-write-elsewhere."))
    servers = {"A": (8131, bin_a), "B": (8132, bin_b)}
    processes = []
    try:
        tokens = {}
        for name, (port, binary) in servers.items():
            processes.append(start(name, port, binary, bench, work))
            tokens[name] = prepare(port, work, name)
            load(port, work / f"{name}.headers", 2)
        results: dict[str, list[tuple[float, float]]] = {"A": [], "B": []}
        for _ in range(rounds):
            line = []
            for name, (port, _) in servers.items():
                alone = load(port, work / f"{name}.headers", 3)
                stop, counts = threading.Event(), [0, 0]
                thread = threading.Thread(target=writer, args=(port, tokens[name], rate, stop, counts))
                thread.start()
                busy = load(port, work / f"{name}.headers", 3)
                stop.set()
                thread.join()
                results[name].append((alone, busy))
                line.append(f"{name}: alone {alone:8.0f} req/s, with {counts[0]} writes elsewhere ({counts[1]} refused) {busy:8.0f} req/s")
            print(" | ".join(line), flush=True)
        for name in servers:
            alone = sum(a for a, _ in results[name]) / rounds
            busy = sum(b for _, b in results[name]) / rounds
            print(f"{name}: alone {alone:.0f} req/s, with writes elsewhere {busy:.0f} req/s: {busy / alone:.3f} of alone")
    finally:
        for process in processes:
            process.terminate()
            process.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
