#!/usr/bin/env bash
# What row-level security costs a search (docs/security.md): search queries/s
# through rushdb.search (limit 10, default ef) for the superuser, for a role
# that reads every record (SELECT on rushdb.records, no policy), and for a
# role under a records policy that hides half the records. The vector
# tables' own policy asks rushdb_internal.record_visible per returned row.
# Usage: test/bench/byov/run_rls.sh [n=50000] [dims=32] [seconds=10]
source "$(dirname "$0")/../../../scripts/lib.sh"
N="${1:-50000}"; D="${2:-32}"; SECS="${3:-10}"
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-rls-bench"
start_cluster "$BENCH_DIR"
trap 'stop_cluster "$BENCH_DIR"' EXIT
psql -X -q -v ON_ERROR_STOP=1 <<SQL
CREATE EXTENSION rushdb;
SELECT setseed(0.42);
SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": $D}') IS NOT NULL;
SELECT jsonb_array_length(rushdb.create_records('Doc', (SELECT jsonb_agg(jsonb_build_object(
    'body', 'b' || g, 'owner', CASE WHEN g % 2 = 0 THEN 'reader' ELSE 'other' END,
    '\$vectors', jsonb_build_array(jsonb_build_object('propertyName', 'body',
        'vector', (SELECT jsonb_agg(random()) FROM generate_series(1, $D) WHERE g > 0)))))
    FROM generate_series(1, $N) g))) IS NOT NULL;
ANALYZE;
CREATE ROLE reader LOGIN;
GRANT SELECT ON rushdb.records TO reader;
SQL
cat >"$BENCH_DIR/q.sql" <<SQL
SELECT count(*) FROM rushdb.search('Doc', 'body',
    (SELECT ('[' || string_agg(random()::text, ',') || ']') FROM generate_series(1, $D))::rushdb.vector, 10);
SQL
tps() { pgbench -n -T "$SECS" -f "$BENCH_DIR/q.sql" -U "$1" postgres 2>&1 | sed -n 's/^tps = \([0-9.]*\).*/\1/p'; }
printf '%-40s %s\n' "caller" "searches/s"
printf '%-40s %s\n' "superuser" "$(tps postgres)"
printf '%-40s %s\n' "reader (reads every record)" "$(tps reader)"
psql -X -q -c "ALTER TABLE rushdb.records ENABLE ROW LEVEL SECURITY" \
     -c "CREATE POLICY own ON rushdb.records FOR SELECT USING (properties ->> 'owner' = current_user)"
printf '%-40s %s\n' "reader under a policy (sees half)" "$(tps reader)"
printf '%-40s %s\n' "superuser (bypasses the policy)" "$(tps postgres)"
