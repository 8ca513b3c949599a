#!/usr/bin/env bash
# MIME parsing throughput, one thread (issue target: ≥ 2,000 typical messages/s on one core).
#
#   Benchmarks/run-mime.sh [seconds] [release|debug]     # defaults: 20 release
#
# Compiles Benchmarks/mime/main.swift with Sources/CareMail/MIME/*.swift using swiftc directly
# (-O -wmo as a SwiftPM release build, or -Onone for "debug"; no SwiftPM, so it never touches .build) into .build-bench-mime/
# (gitignored), then parses the fixture corpus and generated typical messages for the given time
# and prints messages/s, MB/s and peak RSS.
set -euo pipefail

seconds="${1:-20}"
mode="${2:-release}"
root="$(cd "$(dirname "$0")/.." && pwd)"
build="${BENCH_BUILD_DIR:-$root/.build-bench-mime}"
mkdir -p "$build"

case "$mode" in
    release) flags=(-O -wmo) ;;   # as `swift build -c release` (whole-module: generics specialized)
    debug) flags=(-Onone) ;;
    *) echo "usage: $0 [seconds] [release|debug]" >&2; exit 2 ;;
esac
binary="$build/mime-bench-$mode"

echo "== building $binary (swiftc ${flags[*]})"
swiftc "${flags[@]}" -parse-as-library -module-name MIMEBench \
    "$root/Benchmarks/mime/main.swift" "$root"/Sources/CareMail/MIME/*.swift -o "$binary"

echo "== $(uname -m), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores, $(swiftc --version 2>&1 | head -1)"
"$binary" "$root/Tests/Fixtures/mail" "$seconds"
