#!/usr/bin/env bash
# rushdb.find over N records (default 1,000,000; 3/4 label Item, 1/4 Order):
# a number n (1..N), a category cat (1,000 values), a price and a datetime at
# (one per minute). Property indexes on n (num, sort) and at (time). For each
# query: the plan (explain_find's first index or scan line) and p50 / p99 /
# mean latency of `rushdb.find` over ITER calls with varying constants
# (pgbench -M prepared, one client, per-call log).
# Usage: test/bench/find/run_find.sh [records=1000000] [iterations=300]
source "$(dirname "$0")/../../../scripts/lib.sh"
N="${1:-1000000}"; ITER="${2:-300}"
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-find-bench"
start_cluster "$BENCH_DIR"
trap '[ "${RUSHDB_BENCH_KEEP:-0}" = 1 ] || stop_cluster "$BENCH_DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
now() { date +%s.%N; }

t0=$(now)
"${PSQL[@]}" <<SQL
CREATE EXTENSION rushdb;
INSERT INTO rushdb.records (id, label, properties, proptypes)
SELECT rushdb.uuid_v7(), CASE WHEN i % 4 = 0 THEN 'Order' ELSE 'Item' END,
       jsonb_build_object('n', i, 'cat', 'c' || (i % 1000), 'price', (i % 997) * 1.5,
                          'at', to_char(timestamp '2020-01-01' + i * interval '1 minute', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')),
       '{"n": "number", "cat": "string", "price": "number", "at": "datetime"}'
FROM generate_series(1, $N) i;
VACUUM ANALYZE rushdb.records;
SQL
t1=$(now)
"${PSQL[@]}" -c "SELECT rushdb.create_property_index('n', ARRAY['num', 'sort'])" >/dev/null
t2=$(now)
"${PSQL[@]}" -c "SELECT rushdb.create_property_index('at', ARRAY['time'])" >/dev/null
t3=$(now)
python3 - "$N" "$t0" "$t1" "$t2" "$t3" <<'PY'
import sys
n, t0, t1, t2, t3 = int(sys.argv[1]), *map(float, sys.argv[2:])
print(f"load {n:,} records: {t1 - t0:.1f} s; property index n (num + sort): {t2 - t1:.1f} s; at (time): {t3 - t2:.1f} s")
PY

# name | find request with @V (a random integer 1..N/1000) substituted
QUERIES=(
  'label only, newest 10|{"labels": ["Item"], "limit": 10}'
  'label + equality (0.1%)|{"labels": ["Item"], "where": {"cat": "c@V"}, "limit": 10}'
  'label + range, 100 records|{"labels": ["Item"], "where": {"n": {"$gte": @V000, "$lt": @V100}}, "limit": 10}'
  'label + range on datetime, 1 day|{"labels": ["Item"], "where": {"at": {"$gte": {"$year": 2020, "$month": 3, "$day": 1}, "$lt": {"$year": 2020, "$month": 3, "$day": 2}}}, "limit": 10}'
  'label + equality + range, orderBy price|{"labels": ["Item"], "where": {"cat": "c@V", "n": {"$lt": 500000}}, "orderBy": {"price": "desc"}, "limit": 10}'
  'label, orderBy n desc (sort index)|{"labels": ["Item"], "orderBy": {"n": "desc"}, "limit": 10, "skip": @V}'
  'groupBy cat over a range (0.1%)|{"labels": ["Item"], "where": {"n": {"$gte": @V000, "$lt": @V999}}, "select": {"n": {"$count": "*"}, "avg": {"$avg": "$record.price"}}, "groupBy": ["$record.cat"], "orderBy": {"n": "desc"}, "limit": 5}'
)
printf '%-42s %9s %9s %9s  %s\n' query p50_ms p99_ms mean_ms plan
for entry in "${QUERIES[@]}"; do
    name="${entry%%|*}"; request="${entry#*|}"
    script="$BENCH_DIR/q.sql"
    {
        echo "\\set v random(1, $((N / 1000 - 1)))"
        echo "SELECT rushdb.find(replace('$request', '@V', :v::text)::jsonb);"
    } >"$script"
    sample="${request//@V/7}"
    plan=$("${PSQL[@]}" -c "SELECT line FROM rushdb.explain_find('$sample') line" |
           grep -m1 -oE '(Index Only Scan|Index Scan( Backward)?|Bitmap Index Scan|Seq Scan|Parallel Seq Scan) (using|on) [a-z0-9_]+' || echo '?')
    rm -f "$BENCH_DIR"/pgbench_log.*
    (cd "$BENCH_DIR" && pgbench -n -M prepared -c 1 -t "$ITER" -f "$script" -l >/dev/null 2>&1)
    "$REPO_ROOT/test/bench/pgbench_latency.py" "$name" "$BENCH_DIR" 42 "$plan"
done
