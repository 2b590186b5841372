#!/usr/bin/env bash
# Starts a live SnackBase server on a free port with a throw-away data folder, runs every
# clients/js/test/*.test.mjs against it (node --test), and stops the server on exit.
#   SNACKBASE_BIN=/path/to/snackbase clients/js/test/run.sh
# Default binary: .build/debug/snackbase relative to the repository root.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../../.." && pwd)"
bin="${SNACKBASE_BIN:-$root/.build/debug/snackbase}"
[ -x "$bin" ] || { echo "run.sh: no server binary at $bin (set SNACKBASE_BIN)" >&2; exit 2; }

data="$(mktemp -d "${TMPDIR:-/tmp}/snackbase-js.XXXXXX")"
port="$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
secret="$(node -e 'console.log(require("crypto").randomBytes(48).toString("base64url").slice(0,64))')"
ttl="${SNACKBASE_JS_TOKEN_TTL:-3}"
server_pid=""

cleanup() {
  if [ -n "$server_pid" ]; then kill "$server_pid" 2>/dev/null || true; wait "$server_pid" 2>/dev/null || true; fi
  if [ "${KEEP_DATA:-0}" = 1 ]; then echo "run.sh: server log and data kept in $data" >&2; else rm -rf "$data"; fi
}
trap cleanup EXIT INT TERM

SNACKBASE_SECRET_KEY="$secret" \
SNACKBASE_ARGON2_MEMORY_KIB=64 SNACKBASE_ARGON2_ITERATIONS=1 SNACKBASE_ARGON2_PARALLELISM=1 \
SNACKBASE_ACCESS_TOKEN_TTL="$ttl" SNACKBASE_RATE_LIMITS="register=1000/h" \
SNACKBASE_SUPERADMIN_EMAIL=root@example.com SNACKBASE_SUPERADMIN_PASSWORD='Change-me-123!' \
  "$bin" serve --host 127.0.0.1 --port "$port" --data-dir "$data" >"$data/server.log" 2>&1 &
server_pid=$!

url="http://127.0.0.1:$port"
for _ in $(seq 1 300); do
  if curl -fsS "$url/health" >/dev/null 2>&1; then break; fi
  if ! kill -0 "$server_pid" 2>/dev/null; then echo "run.sh: the server stopped:" >&2; cat "$data/server.log" >&2; exit 1; fi
  sleep 0.1
done
curl -fsS "$url/health" >/dev/null || { echo "run.sh: no /health after 30 s" >&2; cat "$data/server.log" >&2; exit 1; }

cd "$here"
status=0
SNACKBASE_URL="$url" SNACKBASE_TOKEN_TTL="$ttl" \
SNACKBASE_SUPERADMIN_EMAIL=root@example.com SNACKBASE_SUPERADMIN_PASSWORD='Change-me-123!' \
  node --test --test-concurrency=1 "$@" ./*.test.mjs || status=$?
if [ "$status" -ne 0 ]; then echo "run.sh: server log: $data/server.log (KEEP_DATA=1 to keep it)" >&2; tail -n 40 "$data/server.log" >&2; fi
exit "$status"
