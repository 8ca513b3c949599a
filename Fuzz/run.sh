#!/usr/bin/env bash
# Fuzzes the MIME parser (Sources/CareMail/MIME) with libFuzzer + AddressSanitizer.
#
#   Fuzz/run.sh [seconds]        # default 60
#
# Builds Fuzz/MIMEParser/main.swift with the MIME sources (Foundation only, no SwiftPM, no NIO)
# into .build-fuzz/ (gitignored), seeds a temporary corpus from Tests/Fixtures/mail/*.eml (the
# repository is never written to), runs libFuzzer for the given time and exits non-zero when it
# finds a crash, a timeout or an out-of-memory; the input is printed (path and hexdump head).
# Keep a finding as a test fixture candidate under Fuzz/crashes/.
#
# Environment: FUZZ_BUILD_DIR (default .build-fuzz), FUZZ_CORPUS (default a new temp dir; give a
# directory to keep the corpus between runs), FUZZ_JOBS (unused: one process, one core).
set -euo pipefail

seconds="${1:-60}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${FUZZ_BUILD_DIR:-$root/.build-fuzz}"
mkdir -p "$build"
binary="$build/fuzz-mime-parser"

sources=("$root"/Sources/CareMail/MIME/*.swift)
if grep -lE '^import +NIO' "${sources[@]}" >/dev/null; then
    echo "error: a MIME source imports NIO; the fuzz build takes Foundation-only sources" >&2
    grep -lE '^import +NIO' "${sources[@]}" >&2
    exit 2
fi

echo "== building $binary"
# -O keeps the fuzzer fast; -g for readable stack traces. gold warns about ASan's local
# symbols ("Cannot export local symbol"): harmless, filtered.
swiftc -sanitize=fuzzer,address -parse-as-library -O -g \
    -module-name MIMEFuzz \
    "$root/Fuzz/MIMEParser/main.swift" "${sources[@]}" \
    -o "$binary" 2> >(grep -v "Cannot export local symbol" >&2)

corpus="${FUZZ_CORPUS:-}"
if [[ -z "$corpus" ]]; then
    corpus="$(mktemp -d /tmp/caredesk-fuzz-corpus.XXXXXX)"
    trap 'rm -rf "$corpus"' EXIT
fi
mkdir -p "$corpus"
cp "$root"/Tests/Fixtures/mail/*.eml "$corpus"/
artifacts="$build/artifacts/"
mkdir -p "$artifacts"
log="$build/fuzz-$(date +%Y%m%d-%H%M%S).log"

echo "== fuzzing for ${seconds}s (corpus $corpus, log $log)"
set +e
# Swift's own crash reporter would walk the stack under ASan and be reported as an ASan error
# itself (stack-buffer-underflow in memserver_read): leave crashes to libFuzzer.
SWIFT_BACKTRACE=enable=no "$binary" "$corpus" \
    -max_total_time="$seconds" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
    -artifact_prefix="$artifacts" -print_final_stats=1 2>&1 | tee "$log" \
    | grep -E '^#[0-9]+[[:space:]]+(INITED|DONE|pulse)|ERROR|SUMMARY|Test unit written|stat::|^Done'
status=${PIPESTATUS[0]}
set -e

if [[ $status -ne 0 ]]; then
    echo "== libFuzzer found a problem (exit $status); full log: $log" >&2
    input="$(grep -oE 'Test unit written to [^ ]+' "$log" | tail -1 | sed 's/Test unit written to //')"
    if [[ -n "$input" && -f "$input" ]]; then
        echo "input: $input ($(wc -c <"$input") bytes)" >&2
        head -c 512 "$input" | od -A x -t x1z -v | head -32 >&2
        echo "reproduce: SWIFT_BACKTRACE=enable=no $binary $input" >&2
        echo "keep it: cp $input $root/Fuzz/crashes/" >&2
    fi
    grep -E 'ERROR: |Fatal error|round-trip check failed|SUMMARY' "$log" | head -5 >&2
    exit 1
fi
echo "== no crash, timeout or OOM in ${seconds}s"
