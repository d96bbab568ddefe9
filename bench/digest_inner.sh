#!/usr/bin/env bash
# Runs inside `recotrack sandbox` (see bench/digest.sh).
set -euo pipefail
ITEMS=${ITEMS:-1000000}
MANAGERS=500
STALLED=10000
db="bench_$$"
admin_url="$RECOTRACK_TEST_DATABASE_URL"
url="${admin_url%/*}/$db"
psql -q "$admin_url" -c "CREATE DATABASE $db TEMPLATE $RECOTRACK_TEST_TEMPLATE"
trap 'psql -q "$admin_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)"' EXIT

echo "generating $ITEMS items for $MANAGERS managers, $STALLED stalled ..."
now() { date +%s.%N; }
elapsed() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.3f", b - a }'; }
start=$(now)
psql -q -v ON_ERROR_STOP=1 "$url" <<SQL
INSERT INTO users (id, email, display_name, role)
SELECT gen_random_uuid(), 'manager' || g || '@bench.test', 'Manager ' || g, 'manager'
FROM generate_series(1, $MANAGERS) g;
INSERT INTO reports (id, key, title)
SELECT gen_random_uuid(), 'bench-' || g, 'Bench report ' || g FROM generate_series(1, $MANAGERS) g;
INSERT INTO report_managers (report_id, user_id)
SELECT r.id, u.id FROM reports r JOIN users u ON u.email = 'manager' || substr(r.key, 7) || '@bench.test';
INSERT INTO recommendations (id, report_id, key, ordinal, title, body, response, status,
                             last_activity_at, status_changed_at)
SELECT gen_random_uuid(), r.id, r.key || '/' || n, n, 'Item ' || n || ' of ' || r.title,
       'Body text of item ' || n, 'accepted', 'in_progress',
       CASE WHEN n <= $STALLED / $MANAGERS THEN now() - interval '100 days' ELSE now() - interval '1 day' END,
       now() - interval '120 days'
FROM reports r, generate_series(1, $ITEMS / $MANAGERS) n;
ANALYZE;
SQL
echo "generated in $(elapsed "$start") s"

if [ -n "${SLOW_MS:-}" ]; then
  psql -q "$admin_url" -c "ALTER DATABASE $db SET log_min_duration_statement = ${SLOW_MS}" \
    -c "ALTER DATABASE $db SET session_preload_libraries = 'auto_explain'" \
    -c "ALTER DATABASE $db SET auto_explain.log_min_duration = ${SLOW_MS}" \
    -c "ALTER DATABASE $db SET auto_explain.log_analyze = on"
fi
baseline_start=$(now)
psql -q -At "$url" -c "SELECT count(*), sum(length(title)) FROM recommendations" > /dev/null
baseline=$(elapsed "$baseline_start")

export RECOTRACK__DATABASE__URL="$url"
export RECOTRACK__AUTH__JWT_SECRET="bench-secret-bench-secret-bench-secret-0"
export RECOTRACK__HISTORY__KEY="bench-history-key-bench-history-key-00"
export RECOTRACK__LOG__FILTER="${RECOTRACK__LOG__FILTER:-warn}"
export RECOTRACK__EMAIL__OUTBOX_DIR="$(mktemp -d)"
/usr/bin/time -f "%e %M" -o /tmp/digest-bench.$$ "$RECOTRACK_BIN" digest run --dry-run > /tmp/digest-out.$$
if [ -n "${SLOW_MS:-}" ]; then
  # Statements slower than SLOW_MS during the run, from the server log (for profiling).
  cp "$(psql -At "$admin_url" -c 'SHOW data_directory')/server.log" /tmp/digest-bench-server.log
  grep -a "duration:" /tmp/digest-bench-server.log | cut -c1-220 | tail -20 || echo "no statement slower than ${SLOW_MS} ms"
fi
read -r seconds peak_kb < /tmp/digest-bench.$$
tail -1 /tmp/digest-out.$$
rm -f /tmp/digest-bench.$$ /tmp/digest-out.$$
echo "items=$ITEMS managers=$MANAGERS stalled=$STALLED"
echo "select+render all digests: ${seconds} s, peak memory $((peak_kb / 1024)) MB (targets: < 2 s, < 200 MB)"
echo "baseline full scan of recommendations: ${baseline} s; ratio digest/scan: $(awk -v a="$seconds" -v b="$baseline" 'BEGIN { printf "%.1f", a / b }')"
