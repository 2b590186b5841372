#!/usr/bin/env bash
# Fuzzes the rule engine with libFuzzer + AddressSanitizer.
#   Fuzz/fuzz-rules.sh [seconds]      (default 60)
# The engine's sources and the entry point are compiled as one module with swiftc: SwiftPM can
# build with -sanitize=fuzzer, but links executables with `main` renamed to `<target>_main`, which
# hides libFuzzer's `main` (a target forwarding to LLVMFuzzerRunDriver works too, but then cannot be
# built without the sanitizer, so it cannot live in Package.swift).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-60}"
out="${TMPDIR:-/tmp}/snackbase-rules-fuzz"
mkdir -p "$out/corpus"
printf '%s' '(@has_role("admin") or @owns_record()) and not status == "locked"' > "$out/corpus/seed-complex"
printf '%s' "(@owns_record() and status in ['draft', 'pending']) or @has_role('admin')" > "$out/corpus/seed-update"
printf '%s' "published_at > '2025-01-15T09:59:59.5+02:00' && !(priority < -1.5) || tags != null" > "$out/corpus/seed-types"
swiftc -O -sanitize=fuzzer,address -parse-as-library -swift-version 6 -enable-upcoming-feature ExistentialAny \
    -module-name RulesFuzz $(find Sources/SnackBaseRules -name '*.swift') Fuzz/RulesFuzzer.swift -o "$out/rules-fuzzer"
"$out/rules-fuzzer" -max_total_time="$seconds" -max_len=4200 -artifact_prefix="$out/" "$out/corpus"
