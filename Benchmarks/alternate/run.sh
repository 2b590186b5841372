#!/usr/bin/env bash
# Compares two server builds (or one build under two environments) on one benchmark scenario, with
# the load alternating between them every few seconds, so that both see the same machine: on these
# shared VMs the speed of one build drifts by ±30 % from one 10-second run to the next, which swamps
# any change under ~20 % in back-to-back runs; alternating 2-second slices of load between two servers
# pinned to the same core cancels the drift (an A/A comparison gives 1.00 ± 0.01).
#
#   Benchmarks/alternate/run.sh S3 10 <binary A> <binary B> <bench --keep-data folder>
#   ENV_A="X=1" ENV_B="SOME_SETTING=1" Benchmarks/alternate/run.sh S3 10 <binary> <binary> <folder>
#   Benchmarks/alternate/run.sh S6 10 ...   S1's list with S3's create as every 20th request (bench.py's S6)
#   BENCH_EMAIL=bob@bench.example.com AUTH_B=apikey Benchmarks/alternate/run.sh S2 10 <binary> <binary> <folder>
#     B sends an API key holding the roles of the signed-in user (bob is the tenant's admin, who may create
#     keys and reads every record; alice's owner rule would not let a key read hers), A that user's JWT
#
#   DATABASE_URL=postgres://postgres@127.0.0.1:5433/bench_sb Benchmarks/alternate/run.sh S1 10 A B <folder>
#     both servers on that PostgreSQL database (seeded by a bench.py run with BENCH_SWIFT_DATABASE_URL; the
#     folder then needs only wrk/<S>.paths for ids of that database): both read and write the same rows
#   DATABASE_URL=…/bench_sb DATABASE_URL_B=…/bench_sb2 Benchmarks/alternate/run.sh S3 10 A B <folder>
#     B on a database of its own (a copy: CREATE DATABASE bench_sb2 TEMPLATE bench_sb). On one database each
#     process's listener also receives the other's realtime changes and opens them, on the core the two
#     share, during the other's slice: a change to how a process handles its own changes shows only half of its effect
#
# The folder is one run's data of `python3 ../shared/bench/bench.py --servers swift --runs 1
# --keep-data` (its seeded sb_data/data.db and wrk/ request files). Both servers start on a fresh copy
# of the seeded database, pinned to core 1; wrk (-t1 -c32, as the benchmark) runs on core 0, warms
# each up for 2 s, then alternates A, B for ROUNDS rounds of $SLICE (default 2s) and prints each
# slice's req/s and p99, then the means, B/A, and in how many rounds B was faster.
set -euo pipefail
S=$1; rounds=$2; bin_a=$(realpath "$3"); bin_b=$(realpath "$4"); bench=$(realpath "$5")
wrk_dir="$bench/wrk"; lua="$(cd "$(dirname "$0")/../../../shared/bench/lua" && pwd)/scenario.lua"
work=$(mktemp -d /tmp/snackbase-alternate.XXXXXX)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null || true; wait 2>/dev/null || true; rm -rf "$work"' EXIT

start() { # name port binary env auth database-url
  mkdir -p "$work/$1"
  if [ -z "${6:-}" ]; then cp "$bench/sb_data/data.db" "$work/$1/data.db"; fi
  env ${4:-} ${6:+SNACKBASE_DATABASE_URL=$6} SNACKBASE_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789abcdef" \
    taskset -c 1 "$3" serve --host 127.0.0.1 --port "$2" --data-dir "$work/$1" >"$work/$1.log" 2>&1 &
  pids+=($!)
  for _ in $(seq 100); do curl -fs "http://127.0.0.1:$2/health" >/dev/null 2>&1 && break; sleep 0.05; done
  local token
  token=$(curl -s -X POST "http://127.0.0.1:$2/api/v1/auth/login" -H 'Content-Type: application/json' \
    -d "{\"account\":\"bench\",\"email\":\"${BENCH_EMAIL:-alice@bench.example.com}\",\"password\":\"UserPass-12345!\"}" |
    python3 -c 'import sys, json; print(json.load(sys.stdin)["token"])')
  if [ "${5:-jwt}" = apikey ]; then  # an API key holding the same roles as the user the JWT is for
    token=$(curl -s "http://127.0.0.1:$2/api/v1/auth/me" -H "Authorization: Bearer $token" | python3 -c '
import sys, json, urllib.request
me = json.load(sys.stdin); port = sys.argv[1]; token = sys.argv[2]
request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/api-keys", method="POST",
    data=json.dumps({"name": "bench", "roles": me["roles"]}).encode(),
    headers={"Authorization": "Bearer " + token, "Content-Type": "application/json"})
print(json.load(urllib.request.urlopen(request))["key"])' "$2" "$token")
  fi
  if [ "$S" = S4 ]; then : >"$work/$1.headers"; else echo "Authorization: Bearer $token" >"$work/$1.headers"; fi  # S4 logs in
  if [ -f "$wrk_dir/$S.body" ]; then echo "Content-Type: application/json" >>"$work/$1.headers"; fi
}
start a 8121 "$bin_a" "${ENV_A:-}" "${AUTH_A:-jwt}" "${DATABASE_URL:-}"
start b 8122 "$bin_b" "${ENV_B:-}" "${AUTH_B:-jwt}" "${DATABASE_URL_B:-${DATABASE_URL:-}}"

export BENCH_PATHS="$wrk_dir/$S.paths" BENCH_METHOD=GET BENCH_BODY=
if [ -f "$wrk_dir/$S.body" ]; then export BENCH_METHOD=POST BENCH_BODY="$wrk_dir/$S.body"; fi
if [ "$S" = S6 ]; then  # as bench.py's S6: S1's list with S3's create as every 20th request
  export BENCH_PATHS="$wrk_dir/S1.paths" BENCH_MIX_EVERY=20 BENCH_MIX_METHOD=POST \
    BENCH_MIX_PATH="$(head -n 1 "$wrk_dir/S3.paths")" BENCH_MIX_BODY="$wrk_dir/S3.body"
fi
load() { # name port duration -> "req/s p99"
  BENCH_HEADERS="$work/$1.headers" taskset -c 0 wrk --latency -t1 -c32 -d"$3" -s "$lua" "http://127.0.0.1:$2" 2>/dev/null |
    awk '/Requests\/sec/ {r = $2} / 99%/ {p = $2} END {print r, p}'
}
load a 8121 2s >/dev/null; load b 8122 2s >/dev/null
for _ in $(seq "$rounds"); do
  echo "$(load a 8121 "${SLICE:-2s}") | $(load b 8122 "${SLICE:-2s}")"
done | awk '{ ra += $1; rb += $4; pa += $2 + 0; pb += $5 + 0; n++; if ($4 > $1) w++; print }
  END { printf "A %.0f req/s, B %.0f req/s: B/A %.3f, B faster in %d of %d rounds; mean p99 A %.1f ms, B %.1f ms\n",
        ra / n, rb / n, rb / ra, w, n, pa / n, pb / n }'
