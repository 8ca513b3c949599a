#!/usr/bin/env bash
# Measures the server time of the inbox first page, the conversation page and search with a large history
# (100,000 conversations and 1,000,000 messages by default) on SQLite, signed in as an agent (the visibility
# rules apply), one request at a time so the latency is the server's time on loopback.
# Usage: Benchmarks/run-pages.sh [debug|release] [seconds-per-page] [conversations] [messages]
# The seeded data folder is kept in /tmp/caredesk-bench-<conversations> and reused by later runs.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-release}
SECONDS_TO_RUN=${2:-15}
CONVERSATIONS=${3:-100000}
MESSAGES=${4:-1000000}
command -v wrk >/dev/null || { echo "install wrk: apt-get install wrk"; exit 1; }
command -v sqlite3 >/dev/null || { echo "install sqlite3: apt-get install sqlite3"; exit 1; }
# Release builds get their own folder so they never wait for (or invalidate) the debug build.
SCRATCH=$([ "$CONFIG" = release ] && echo .build-release || echo .build)
swift build -c "$CONFIG" --product caredesk --scratch-path "$SCRATCH" >/dev/null
BIN="$SCRATCH/$CONFIG/caredesk"
DATA=/tmp/caredesk-bench-$CONVERSATIONS
export CAREDESK_DATA_DIR="$DATA" LOG_LEVEL=warning
if [ ! -f "$DATA/seeded" ]; then
  rm -rf "$DATA"
  echo "seeding $CONVERSATIONS conversations / $MESSAGES messages into $DATA (once)..."
  /usr/bin/time -f "seeded in %e s, peak RSS %M KB" "$BIN" bench seed --conversations "$CONVERSATIONS" --messages "$MESSAGES" | tail -1
  touch "$DATA/seeded"
fi
PORT=18091
"$BIN" serve --hostname 127.0.0.1 --port $PORT >"$DATA/server.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null' EXIT
for _ in $(seq 1 200); do curl -sf http://127.0.0.1:$PORT/readyz >/dev/null && break; sleep 0.1; done
echo "server RSS idle: $(( $(ps -o rss= -p $PID) / 1024 )) MB"

AGENT=eleni.papadopoulou@demo.caredesk.local
COOKIE=$(curl -s -o /dev/null -D - --data-urlencode "email=$AGENT" --data-urlencode "password=caredesk-demo" \
  http://127.0.0.1:$PORT/login | tr -d '\r' | sed -n 's/^[Ss]et-[Cc]ookie: \(caredesk_session=[^;]*\).*/\1/p')
[ -n "$COOKIE" ] || { echo "could not sign in as $AGENT"; exit 1; }
TEAM=$(sqlite3 "$DATA/caredesk.sqlite" "select t.id from teams t join team_members m on m.team_id=t.id join agents a on a.id=m.agent_id where a.email='$AGENT' limit 1")
IDS=$(sqlite3 "$DATA/caredesk.sqlite" "select id from conversations where team_id=$TEAM order by random() limit 500" | paste -sd,)
echo "agent $AGENT; $(sqlite3 "$DATA/caredesk.sqlite" "select count(*) from conversations") conversations, $(sqlite3 "$DATA/caredesk.sqlite" "select count(*) from messages") messages"

for KIND in inbox conversation search; do
  # A short warm-up so the first, cold requests (page cache, template parse) do not count.
  CAREDESK_BENCH_KIND=$KIND CAREDESK_BENCH_COOKIE="$COOKIE" CAREDESK_BENCH_IDS="$IDS" \
    wrk -t1 -c1 -d2s -s Benchmarks/pages.lua http://127.0.0.1:$PORT >/dev/null
  CAREDESK_BENCH_KIND=$KIND CAREDESK_BENCH_COOKIE="$COOKIE" CAREDESK_BENCH_IDS="$IDS" \
    wrk -t1 -c1 -d"${SECONDS_TO_RUN}s" --latency -s Benchmarks/pages.lua http://127.0.0.1:$PORT | tail -1
done
echo "server RSS after load: $(( $(ps -o rss= -p $PID) / 1024 )) MB"
