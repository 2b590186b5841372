#!/usr/bin/env python3
"""Offers creates at a fixed rate beside a read load (issue 28: "with 100 creates a second beside the list
load S1 keeps >= 0.5x of its read-only rate while every offered create is served").

    creates.py <port> <token> <rate per second> <seconds>

Four threads, each with one keep-alive connection, offer rate/4 creates a second each on a fixed schedule
(a create that comes back late does not move the next one's time). Prints offered, served (201), failed, whether the
last was answered within a second of the window's end, and the creates' latency percentiles; exits 1 when a
create failed or the server fell behind."""
import http.client, json, sys, threading, time

port, token, rate, seconds = int(sys.argv[1]), sys.argv[2], float(sys.argv[3]), float(sys.argv[4])
body = json.dumps({"title": "Created beside the list load", "body": "Short body.", "status": "draft", "views": 1})
headers = {"Authorization": "Bearer " + token, "Content-Type": "application/json"}
threads, lock = 4, threading.Lock()
served, failed, latencies = [0], [0], []
start = time.monotonic() + 0.2


def offer(index: int) -> None:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    interval = threads / rate
    n = 0
    while True:
        due = start + (index / threads + n) * interval
        if due - start >= seconds:
            return
        delay = due - time.monotonic()
        if delay > 0:
            time.sleep(delay)
        began = time.monotonic()
        try:
            connection.request("POST", "/api/v1/records/posts", body=body, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 201
        except Exception:
            ok = False
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        with lock:
            if ok:
                served[0] += 1
                latencies.append(time.monotonic() - began)
            else:
                failed[0] += 1
        n += 1


workers = [threading.Thread(target=offer, args=(i,)) for i in range(threads)]
for worker in workers:
    worker.start()
for worker in workers:
    worker.join()
took = time.monotonic() - start
offered = served[0] + failed[0]
latencies.sort()
pct = lambda p: latencies[min(len(latencies) - 1, int(p * len(latencies)))] * 1000 if latencies else float("nan")
kept_up = took <= seconds + 1
print(f"creates offered {offered} served {served[0]} failed {failed[0]}, the last answered {took:.1f} s after the first "
      f"was due ({'kept up' if kept_up else 'fell behind'}), p50 {pct(0.5):.1f} ms p99 {pct(0.99):.1f} ms")
sys.exit(0 if failed[0] == 0 and kept_up else 1)
