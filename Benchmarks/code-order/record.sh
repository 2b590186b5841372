#!/usr/bin/env bash
# Records which functions the server runs, in the order file the release link uses
# (Package.swift: lld --symbol-ordering-file). lld places the listed functions first, in this order,
# so the code a start and a login run shares pages instead of being spread over the 35 MB of .text:
# the kernel maps 64 KiB around every page of code touched, and idle memory is mostly those pages.
#
# Three groups, each sorted by name so that a new recording diffs cleanly:
#   1. what a start on a seeded database and one login per user run (the benchmark's idle point),
#   2. what S1, S2, S3 and S5 requests run besides,
#   3. what a stop runs besides.
# Functions renamed since the recording are skipped by lld and land where they would anyway, so a
# stale file costs memory, never correctness; re-record after large changes:
#
#   python3 ../shared/bench/bench.py --servers swift --runs 1 --keep-data
#   swift build -c release --static-swift-stdlib
#   Benchmarks/code-order/record.sh .build/release/snackbase /tmp/bench-swift-r1-XXXX
#   rm .build/release/snackbase && swift build -c release --static-swift-stdlib   # SwiftPM does not
#                                   # see the file as an input: remove the binary so it links again
#
# Needs valgrind (callgrind), objcopy, nm, curl, python3. Takes about half a minute.
set -euo pipefail
bin=$(realpath "$1"); bench=$(realpath "$2")
here=$(cd "$(dirname "$0")" && pwd)
work=$(mktemp -d /tmp/snackbase-order.XXXXXX)
trap 'rm -rf "$work"' EXIT
port=8112
# valgrind 3.19 cannot read DWARF 5: record on a copy without debug information (same symbols).
objcopy --strip-debug "$bin" "$work/snackbase"
mkdir -p "$work/data"; cp "$bench/sb_data/data.db" "$work/data/data.db"
SNACKBASE_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789abcdef" \
  valgrind --tool=callgrind --demangle=no --compress-strings=no --compress-pos=no \
  --callgrind-out-file="$work/cg.out" "$work/snackbase" serve --host 127.0.0.1 --port $port \
  --data-dir "$work/data" >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 600); do curl -sf -o /dev/null http://127.0.0.1:$port/health && break; sleep 0.2; done
for user in alice bob; do
  curl -sf -o "$work/login-$user.json" -X POST http://127.0.0.1:$port/api/v1/auth/login \
    -H 'Content-Type: application/json' \
    -d "{\"account\":\"bench\",\"email\":\"$user@bench.example.com\",\"password\":\"UserPass-12345!\"}"
done
sleep 2
callgrind_control --dump=start $pid >/dev/null 2>&1
token=$(python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["token"])' "$work/login-alice.json")
for s in S1 S2 S5; do
  head -20 "$bench/wrk/$s.paths" | while read -r path; do
    curl -sf -o /dev/null -H "Authorization: Bearer $token" "http://127.0.0.1:$port$path"
  done
done
for _ in 1 2 3; do
  curl -sf -o /dev/null -X POST -H "Authorization: Bearer $token" -H 'Content-Type: application/json' \
    --data-binary @"$bench/wrk/S3.body" "http://127.0.0.1:$port$(head -1 "$bench/wrk/S3.paths")"
done
sleep 2
callgrind_control --dump=requests $pid >/dev/null 2>&1
kill $pid; wait $pid || true
python3 - "$work" "$bin" >"$here/functions.txt" <<'PY'
import subprocess, sys
work, binary = sys.argv[1], sys.argv[2]
def functions(path):
    names = set()
    for line in open(path, errors="replace"):
        if line.startswith(("fn=", "cfn=")):
            names.add(line.split("=", 1)[1].strip())
    return names
code = set()
for line in subprocess.run(["nm", "--defined-only", binary], capture_output=True, text=True, check=True).stdout.splitlines():
    parts = line.split()
    if len(parts) == 3 and parts[1] in "tTwW":
        code.add(parts[2])
start = functions(f"{work}/cg.out.1")
requests = functions(f"{work}/cg.out.2") - start
stop = functions(f"{work}/cg.out") - start - requests
for group in (start, requests, stop):
    for name in sorted(group & code):
        print(name)
PY
echo "$(wc -l <"$here/functions.txt") functions in $here/functions.txt"
