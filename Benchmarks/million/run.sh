#!/usr/bin/env bash
# S1 (first page of 50, newest first, owner rule) with 10,000 and with 1,000,000 records, same binary,
# interleaved rounds. The 10,000-record database comes from a benchmark run kept with --keep-data;
# the million is made from it with the sqlite3 CLI (990,000 more rows for the same two users, older
# than the benchmark's, so the first page is the same), which takes about 15 s.
#
#   python3 ../shared/bench/bench.py --servers swift --scenarios S1 --runs 1 --keep-data
#   Benchmarks/million/run.sh .build/release/snackbase /tmp/bench-swift-r1-XXXX/sb_data/data.db [rounds]
#
# Needs wrk, sqlite3, curl, taskset. Prints req/s and latency per round; compare the medians.
#
#   SCENARIO=S2 Benchmarks/million/run.sh …   a get by id (of the first record of that page) instead of S1
#   CREATES=100 Benchmarks/million/run.sh …   the million only, each round read-only and then with 100 creates a
#     second offered beside the measured run by creates.py (as alice, on core 0 beside wrk)
#   DATABASE_URL=postgres://postgres@127.0.0.1:5433/bench_sb Benchmarks/million/run.sh .build/release/snackbase - [rounds]
#     PostgreSQL: the database a `bench.py --keep-data` run with BENCH_SWIFT_DATABASE_URL left is copied to
#     <name>_10k and <name>_1m (CREATE DATABASE … TEMPLATE), the same 990,000 rows are added to the second with psql
#     (as the connecting user, which row-level security does not restrict), then VACUUM (ANALYZE) of both copies; needs psql.
#     The vacuum sets the visibility map, as autovacuum does within a minute of such a load (PostgreSQL 13+ vacuums
#     after autovacuum_vacuum_insert_threshold inserts): without it a count of the owner's half million rows is a
#     sequential scan of the heap (285 ms here instead of 45-65 ms) and measures the minute after a bulk load.
#     NOVACUUM=1 skips it, to measure that minute.
set -euo pipefail
bin=$(realpath "$1"); rounds=${3:-2}; scenario=${SCENARIO:-S1}
here=$(cd "$(dirname "$0")" && pwd)
lua="$(cd "$here/../../../shared/bench/lua" && pwd)/scenario.lua"
work=$(mktemp -d /tmp/snackbase-million.XXXXXX)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/10k" "$work/1m"
if [ -n "${DATABASE_URL:-}" ]; then
  server=${DATABASE_URL%/*}; name=${DATABASE_URL##*/}
  for copy in 10k 1m; do
    psql -q "$server/postgres" -c "DROP DATABASE IF EXISTS ${name}_$copy WITH (FORCE)" -c "CREATE DATABASE ${name}_$copy TEMPLATE $name"
  done
  psql -q "$server/${name}_1m" <<'SQL'
INSERT INTO col_posts (id, account_id, created_at, updated_at, created_by, updated_by, title, body, status, views)
SELECT 'rec_million' || lpad(i::text, 21, '0'), p.account_id,
       to_char(timestamp '2020-01-01' - i * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       to_char(timestamp '2020-01-01' - i * interval '1 second', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'),
       CASE i % 2 WHEN 0 THEN u.u0 ELSE u.u1 END, CASE i % 2 WHEN 0 THEN u.u0 ELSE u.u1 END,
       p.title, p.body, CASE i % 3 WHEN 0 THEN 'draft' WHEN 1 THEN 'published' ELSE 'archived' END, i % 1000
FROM generate_series(1, 990000) AS i, (SELECT account_id, title, body FROM col_posts LIMIT 1) p,
     (SELECT MIN(created_by) u0, MAX(created_by) u1 FROM col_posts) u;
SQL
  for copy in 10k 1m; do
    if [ -z "${NOVACUUM:-}" ]; then psql -q "$server/${name}_$copy" -c 'VACUUM (ANALYZE) col_posts'; else psql -q "$server/${name}_$copy" -c 'ANALYZE'; fi
  done
  echo "records: 10k=$(psql -At "$server/${name}_10k" -c 'SELECT COUNT(*) FROM col_posts') 1m=$(psql -At "$server/${name}_1m" -c 'SELECT COUNT(*) FROM col_posts')"
else
seeded=$(realpath "$2")
cp "$seeded" "$work/10k/data.db"
sqlite3 "$work/10k/data.db" "PRAGMA wal_checkpoint(TRUNCATE);" >/dev/null
cp "$work/10k/data.db" "$work/1m/data.db"
sqlite3 "$work/1m/data.db" <<'SQL'
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 990000)
INSERT INTO col_posts (id, account_id, created_at, updated_at, created_by, updated_by, title, body, status, views)
SELECT 'rec_million' || printf('%021d', i), p.account_id,
       strftime('%Y-%m-%dT%H:%M:%fZ', '2020-01-01', '-' || i || ' seconds'), strftime('%Y-%m-%dT%H:%M:%fZ', '2020-01-01', '-' || i || ' seconds'),
       CASE i % 2 WHEN 0 THEN u.u0 ELSE u.u1 END, CASE i % 2 WHEN 0 THEN u.u0 ELSE u.u1 END,
       p.title, p.body, CASE i % 3 WHEN 0 THEN 'draft' WHEN 1 THEN 'published' ELSE 'archived' END, i % 1000
FROM n, (SELECT account_id, title, body FROM col_posts LIMIT 1) p,
     (SELECT MIN(created_by) u0, MAX(created_by) u1 FROM col_posts) u;
PRAGMA wal_checkpoint(TRUNCATE);
SQL
echo "records: 10k=$(sqlite3 "$work/10k/data.db" 'SELECT COUNT(*) FROM col_posts') 1m=$(sqlite3 "$work/1m/data.db" 'SELECT COUNT(*) FROM col_posts')"
fi

run() {  # run <label> <database file, or PostgreSQL URL> [creates a second]
  local dir="$work/run"; rm -rf "$dir"; mkdir -p "$dir"
  local url=""
  case "$2" in postgres://*) url=$2 ;; *) cp "$2" "$dir/data.db" ;; esac
  env ${url:+SNACKBASE_DATABASE_URL=$url} SNACKBASE_SECRET_KEY="bench-secret-key-0123456789abcdef0123456789abcdef" \
    taskset -c 1 "$bin" serve --host 127.0.0.1 --port 8100 --data-dir "$dir" >"$work/server.log" 2>&1 &
  local pid=$!
  for _ in $(seq 200); do curl -sf -o /dev/null http://127.0.0.1:8100/health && break; sleep 0.05; done
  local token
  token=$(curl -sf -X POST http://127.0.0.1:8100/api/v1/auth/login -H 'Content-Type: application/json' \
    -d '{"account":"bench","email":"alice@bench.example.com","password":"UserPass-12345!"}' | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])')
  echo "/api/v1/records/posts?limit=50&sort=-created_at" >"$work/paths"
  if [ "$scenario" = S2 ]; then
    curl -sf "http://127.0.0.1:8100/api/v1/records/posts?limit=1&sort=-created_at" -H "Authorization: Bearer $token" |
      python3 -c 'import json,sys; print("/api/v1/records/posts/" + json.load(sys.stdin)["items"][0]["id"])' >"$work/paths"
  fi
  echo "Authorization: Bearer $token" >"$work/headers"
  export BENCH_METHOD=GET BENCH_PATHS="$work/paths" BENCH_HEADERS="$work/headers" BENCH_BODY="" BENCH_OUT="$work/out.json"
  taskset -c 0 wrk -t1 -c32 -d3s -s "$lua" http://127.0.0.1:8100 >/dev/null
  local line creator=""
  if [ -n "${3:-}" ]; then
    taskset -c 0 python3 "$here/creates.py" 8100 "$token" "$3" 10 >"$work/creates.out" 2>&1 &
    creator=$!
  fi
  line=$(taskset -c 0 wrk -t1 -c32 -d10s --latency -s "$lua" http://127.0.0.1:8100 | awk '/Requests\/sec/{r=$2} / 50%/{p=$2} /Non-2xx/{e=$0} END{print r " req/s, p50 " p, e}')
  if [ -n "$creator" ]; then wait "$creator" || true; line="$line; $(cat "$work/creates.out")"; fi
  echo "$1: $line"
  kill "$pid"; wait "$pid" 2>/dev/null || true
}
million=$work/1m/data.db
if [ -n "${DATABASE_URL:-}" ]; then million=$server/${name}_1m; fi
for _ in $(seq "$rounds"); do
  if [ -n "${CREATES:-}" ]; then
    run "$scenario 1,000,000 records, read-only  " "$million"
    run "$scenario 1,000,000 records, $CREATES creates/s" "$million" "$CREATES"
  elif [ -n "${DATABASE_URL:-}" ]; then
    run "$scenario 10,000 records   " "$server/${name}_10k"
    run "$scenario 1,000,000 records" "$server/${name}_1m"
  else
    run "$scenario 10,000 records   " "$work/10k/data.db"
    run "$scenario 1,000,000 records" "$work/1m/data.db"
  fi
done
