#!/usr/bin/env bash
# Measures inbound messages through POST /api/v1/messages with 4 concurrent clients on SQLite.
# Usage: Benchmarks/run-ingest.sh [debug|release] [seconds]
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-release}
SECONDS_TO_RUN=${2:-20}
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk"; exit 1; }
# Release builds get their own folder so they never wait for (or invalidate) the debug build.
SCRATCH=$([ "$CONFIG" = release ] && echo .build-release || echo .build)
swift build -c "$CONFIG" --product caredesk --scratch-path "$SCRATCH" >/dev/null
BIN="$SCRATCH/$CONFIG/caredesk"
DATA=$(mktemp -d /tmp/caredesk-bench.XXXXXX)
export CAREDESK_DATA_DIR="$DATA" LOG_LEVEL=warning
"$BIN" admin create --email bench@bench.local --name Bench --password bench-password >/dev/null
TOKEN=$("$BIN" token create --email bench@bench.local --name bench | tail -n 1)
"$BIN" serve --hostname 127.0.0.1 --port 18090 >"$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null; rm -rf "$DATA"' EXIT
for _ in $(seq 1 100); do curl -sf http://127.0.0.1:18090/readyz >/dev/null && break; sleep 0.1; done
CAREDESK_BENCH_TOKEN="$TOKEN" wrk -t4 -c4 -d"${SECONDS_TO_RUN}s" --latency -s Benchmarks/ingest.lua http://127.0.0.1:18090 | tail -3
echo "server RSS after load: $(( $(ps -o rss= -p $PID) / 1024 )) MB"
STORED=$(sqlite3 "$DATA/caredesk.sqlite" "select count(*) from messages where direction='inbound'" 2>/dev/null || echo "?")
echo "inbound messages committed: $STORED"
