#!/usr/bin/env bash
# Measures e-mail ingestion end to end over SMTP on SQLite: N connections deliver distinct messages to the
# receiver of `caredesk serve`, which answers 250 only after the commit; afterwards the database must hold
# exactly the messages answered 250 (nothing lost, nothing extra).
# Usage: Benchmarks/run-smtp.sh [debug|release] [seconds] [connections]
# Optional: PERF_OUT=/tmp/smtp.perf.data records `perf record -g` on the server during the measured time;
# BUILD=0 uses the binary as it is (e.g. while someone else holds the build lock); WARMUP=3 seconds;
# KEEP_DATA=1 keeps the data folder (database, blobs, server.log) for a look afterwards.
set -euo pipefail
cd "$(dirname "$0")/.."
CONFIG=${1:-release}
SECONDS_TO_RUN=${2:-20}
CONNECTIONS=${3:-8}
WARMUP=${WARMUP:-3}
command -v sqlite3 >/dev/null || { echo "install sqlite3: apt-get install sqlite3"; exit 1; }

. Benchmarks/build-caredesk.sh
HTTP_PORT=$(free_port)
SMTP_PORT=$(free_port)
while [ "$SMTP_PORT" = "$HTTP_PORT" ]; do SMTP_PORT=$(free_port); done

DATA=$(mktemp -d /tmp/caredesk-smtp-bench.XXXXXX)
export CAREDESK_DATA_DIR="$DATA" LOG_LEVEL=warning
PID=
cleanup() { [ -n "$PID" ] && kill "$PID" 2>/dev/null && wait "$PID" 2>/dev/null; [ "${KEEP_DATA:-0}" = 1 ] || rm -rf "$DATA"; }
trap cleanup EXIT

"$BIN" migrate >/dev/null
# The support mailbox, as Admin → Mailboxes would create it (no IMAP account; dates are Fluent's REAL seconds).
sqlite3 "$DATA/caredesk.sqlite" "INSERT INTO mailboxes (address, name, team_id, signature, active, imap_security,
    imap_folder, imap_last_uid, created_at, updated_at) VALUES ('support@bench.test', 'Bench', NULL, '', 1, 'tls',
    'INBOX', 0, (julianday('now') - 2440587.5) * 86400.0, (julianday('now') - 2440587.5) * 86400.0)"

CAREDESK_SMTP_LISTEN="127.0.0.1:$SMTP_PORT" CAREDESK_SMTP_HOSTNAME=mx.bench.test \
    "$BIN" serve --hostname 127.0.0.1 --port "$HTTP_PORT" >"$DATA/server.log" 2>&1 &
PID=$!
for _ in $(seq 1 200); do curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$HTTP_PORT/healthz" >/dev/null || { echo "server did not start:"; tail -20 "$DATA/server.log"; exit 1; }
for _ in $(seq 1 50); do python3 -c "import socket; socket.create_connection(('127.0.0.1', $SMTP_PORT), 1).close()" 2>/dev/null && break; sleep 0.1; done
echo "$CONFIG build, pid $PID, SMTP 127.0.0.1:$SMTP_PORT, HTTP $HTTP_PORT, data $DATA; RSS idle $(( $(awk '/VmRSS/ {print $2}' /proc/$PID/status) / 1024 )) MB"

PERF_PID=
if [ -n "${PERF_OUT:-}" ]; then
    ( sleep "$WARMUP"; exec perf record -F 999 -g -o "$PERF_OUT" -p "$PID" -- sleep "$SECONDS_TO_RUN" ) >/dev/null 2>&1 &
    PERF_PID=$!
fi

set +e
python3 Benchmarks/smtp_load.py --port "$SMTP_PORT" --rcpt support@bench.test --connections "$CONNECTIONS" \
    --seconds "$SECONDS_TO_RUN" --warmup "$WARMUP" --accepted-file "$DATA/accepted.txt" --json "$DATA/result.json"
LOAD_STATUS=$?
set -e
[ -n "$PERF_PID" ] && wait "$PERF_PID" && echo "perf data: $PERF_OUT"

echo "server peak RSS (VmHWM): $(( $(awk '/VmHWM/ {print $2}' /proc/$PID/status) / 1024 )) MB, now $(( $(awk '/VmRSS/ {print $2}' /proc/$PID/status) / 1024 )) MB"
echo "server CPU time: $(ps -o times= -p "$PID" | tr -d ' ') s"
# Group commit: how many writes shared one SQLite transaction.
curl -sf "http://127.0.0.1:$HTTP_PORT/metrics" | awk '/^caredesk_sqlite_(transactions|writes)_total/ {v[$1]=$2}
    END { t=v["caredesk_sqlite_transactions_total"]; w=v["caredesk_sqlite_writes_total"];
          if (t > 0) printf "SQLite: %d writes in %d transactions (%.2f per commit)\n", w, t, w/t }' || true

# Every 250 must be in the database, and nothing else: compare the Message-IDs.
set +e
python3 - "$DATA/caredesk.sqlite" "$DATA/accepted.txt" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
accepted = [l.strip() for l in open(sys.argv[2]) if l.strip()]
stored = [r[0] for r in db.execute("SELECT external_id FROM messages WHERE channel = 'email' AND direction = 'inbound'")]
conversations = db.execute("SELECT count(*) FROM conversations WHERE channel = 'email'").fetchone()[0]
a, s = set(accepted), set(stored)
print(f"database: {len(stored)} inbound e-mail messages in {conversations} conversations; answered 250: {len(accepted)}")
lost, extra = a - s, s - a
dupes = len(stored) - len(s)
if lost or extra or dupes or len(accepted) != len(a):
    print(f"MISMATCH: {len(lost)} answered 250 but not stored, {len(extra)} stored without a 250, {dupes} stored twice")
    for x in sorted(lost)[:5]: print("  lost:", x)
    for x in sorted(extra)[:5]: print("  extra:", x)
    sys.exit(1)
print("OK: every message answered 250 is stored, once, and nothing else")
EOF
VERIFY=$?
echo "server log lines with error/critical: $(grep -ciE 'error|critical' "$DATA/server.log")"
exit $(( LOAD_STATUS || VERIFY ))
