#!/usr/bin/env bash
# Measures web chat delivery under many open visitor connections (docs/CHAT.md): a fresh `caredesk serve` on
# SQLite, an admin and an API token made with the CLI, then Benchmarks/chat_load.py creates a widget through the
# admin form, VISITORS visitors with open sockets and a few agent screens (/ws), and measures visitor -> agent and
# agent -> visitor delivery for SECONDS seconds (see the script's header for the load and what is measured).
# Usage: Benchmarks/run-chat.sh [debug|release] [visitors=500] [seconds=60]
# Optional: BUILD=0 uses the binary as it is (e.g. while someone else holds the build lock); KEEP_DATA=1 keeps the
# data folder; PERF_OUT=/tmp/chat.perf.data records `perf record -g` on the server during the measured time;
# LOAD_ARGS="--agents 5 --no-typing ..." passes more options to chat_load.py. Needs python3 with aiohttp.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-release}
VISITORS=${2:-500}
SECONDS_TO_RUN=${3:-60}
WARMUP=${WARMUP:-15}
python3 -c 'import aiohttp' 2>/dev/null || { echo "install aiohttp: pip install aiohttp"; exit 1; }

. Benchmarks/build-caredesk.sh
HTTP_PORT=$(free_port)

DATA=$(mktemp -d /tmp/caredesk-chat-bench.XXXXXX)
export CAREDESK_DATA_DIR="$DATA" LOG_LEVEL=warning CAREDESK_SMTP_LISTEN=off
PID=
SAMPLER=
cleanup() {
    [ -n "$SAMPLER" ] && kill "$SAMPLER" 2>/dev/null
    [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null
    [ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$DATA"
}
trap cleanup EXIT

EMAIL=bench-admin@bench.test
PASSWORD=bench-password-$RANDOM$RANDOM
"$BIN" migrate >/dev/null
"$BIN" admin create --email "$EMAIL" --name "Bench Admin" --password "$PASSWORD" >/dev/null
TOKEN=$("$BIN" token create --email "$EMAIL" --name bench | tail -1)

"$BIN" serve --hostname 127.0.0.1 --port "$HTTP_PORT" >"$DATA/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null || { echo "server did not start:"; tail -20 "$DATA/server.log"; exit 1; }
echo "$CONFIG build, pid $PID, HTTP 127.0.0.1:$HTTP_PORT, data $DATA; RSS idle $(( $(awk '/VmRSS/ {print $2}' /proc/$PID/status) / 1024 )) MB"
echo "machine load before: $(cut -d' ' -f1-3 /proc/loadavg)"

# RSS every second (the peak is VmHWM at the end); the load average at the end covers the run's last minute.
( while kill -0 "$PID" 2>/dev/null; do echo "$(date +%s) $(awk '/VmRSS/ {print $2}' /proc/$PID/status)"; sleep 1; done ) \
    >"$DATA/rss.txt" 2>/dev/null &
SAMPLER=$!

PERF_PID=
if [ -n "${PERF_OUT:-}" ]; then
    # Setup (visitors, sockets) takes a few seconds before the warm-up starts; record the measured time only.
    ( sleep "$(( WARMUP + 8 ))"; exec perf record -F 999 -g -o "$PERF_OUT" -p "$PID" -- sleep "$SECONDS_TO_RUN" ) >/dev/null 2>&1 &
    PERF_PID=$!
fi

CPU_BEFORE=$(awk '{print $14 + $15}' /proc/$PID/stat)
set +e
# shellcheck disable=SC2086
python3 Benchmarks/chat_load.py --port "$HTTP_PORT" --email "$EMAIL" --password "$PASSWORD" --api-token "$TOKEN" \
    --visitors "$VISITORS" --seconds "$SECONDS_TO_RUN" --warmup "$WARMUP" --json "$DATA/result.json" ${LOAD_ARGS:-}
LOAD_STATUS=$?
set -e
CPU_AFTER=$(awk '{print $14 + $15}' /proc/$PID/stat)
[ -n "$PERF_PID" ] && wait "$PERF_PID" && echo "perf data: $PERF_OUT"

echo "machine load after (1/5/15 min): $(cut -d' ' -f1-3 /proc/loadavg)"
echo "server peak RSS (VmHWM): $(( $(awk '/VmHWM/ {print $2}' /proc/$PID/status) / 1024 )) MB, largest 1 s sample" \
     "$(( $(awk 'm < $2 {m = $2} END {print m}' "$DATA/rss.txt") / 1024 )) MB, now $(( $(awk '/VmRSS/ {print $2}' /proc/$PID/status) / 1024 )) MB"
echo "server CPU during the load (setup, warm-up, measured, drain): $(( (CPU_AFTER - CPU_BEFORE) / $(getconf CLK_TCK) )) s"
curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^caredesk_sqlite_(transactions|writes)_total/ {v[$1]=$2}
    END { t=v["caredesk_sqlite_transactions_total"]; w=v["caredesk_sqlite_writes_total"];
          if (t > 0) printf "SQLite: %d writes in %d transactions (%.2f per commit)\n", w, t, w/t }' || true
echo "server log lines with error/critical: $(grep -ciE 'error|critical' "$DATA/server.log")"
grep -iE 'error|critical' "$DATA/server.log" | head -5 || true
exit "$LOAD_STATUS"
