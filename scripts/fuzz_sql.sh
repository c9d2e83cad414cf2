#!/usr/bin/env bash
# SQL-level fuzzing of the installed extension with sqlsmith.
#
#   scripts/fuzz_sql.sh [seconds]        (default 300)
#
# Installs Debian's sqlsmith if missing, builds and installs the extension
# (RUSHDB_PG_BIN selects the PostgreSQL, as for test.sh), starts a throwaway
# cluster in ${RUSHDB_FUZZ_DIR:-/tmp/rushdb-fuzz-sql}, creates the extension
# with a few indexes and records, and, as an unprivileged role
# (statement_timeout 2s):
#   1. calls every function and aggregate of schema rushdb with arguments
#      drawn from a pool of edge cases per type (scripts/fuzz_sql_calls.sql;
#      RUSHDB_FUZZ_CALLS calls per function, default 30), one statement each;
#   2. runs sqlsmith for the rest of the time, restarting it when it exits
#      (e.g. after a crash).
# Then reports:
#   - crashes: backends the postmaster saw die by a signal or a non-zero exit
#     (each with the statement it was running), and PANICs;
#   - ordinary errors: the most frequent ERROR messages of the server log.
# Exits 1 when there was a crash. The cluster is stopped at the end; its
# directory (server.log, sqlsmith.log) is left for inspection.
source "$(dirname "$0")/lib.sh"

SECONDS_TOTAL="${1:-300}"
DIR="${RUSHDB_FUZZ_DIR:-${TMPDIR:-/tmp}/rushdb-fuzz-sql}"

ensure_packages "${BASE_PACKAGES[@]}" sqlsmith
build_and_install

start_cluster "$DIR"
trap 'stop_cluster "$DIR"' EXIT
# Every failed statement is logged with its text (for the report), crashes
# with the statement the backend was running.
cat >>"$DIR/data/postgresql.conf" <<CONF
log_min_error_statement = error
log_line_prefix = '%m [%p] '
CONF
as_cluster_user pg_ctl -D "$DIR/data" -w reload >/dev/null

log "creating the fuzz database"
psql -X -q -v ON_ERROR_STOP=1 -d postgres <<'SQL' >/dev/null
CREATE DATABASE fuzz;
\c fuzz
CREATE EXTENSION rushdb;
CREATE ROLE fuzzer LOGIN;
ALTER ROLE fuzzer SET statement_timeout = '2s';
ALTER ROLE fuzzer SET work_mem = '4MB';
-- The vector type's operators are in schema rushdb: without it sqlsmith's
-- "a = b" on vectors would not resolve.
ALTER ROLE fuzzer SET search_path = public, rushdb;
GRANT USAGE ON SCHEMA rushdb TO fuzzer;
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA rushdb TO fuzzer;
GRANT CREATE ON SCHEMA public TO fuzzer;
SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3}') IS NOT NULL;
SELECT rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": 3,
                             "similarityFunction": "euclidean"}') IS NOT NULL;
SELECT rushdb.create_index('Note', 'text') IS NOT NULL;
SELECT count(*) FROM (
    SELECT rushdb.create_record('Doc', jsonb_build_object('body', 'doc ' || i, 'year', 1990 + i % 30,
               'tags', jsonb_build_array('t' || i % 5), 'when', '2024-01-0' || (1 + i % 9),
               '__vectors', jsonb_build_array(
                   jsonb_build_object('propertyName', 'body', 'similarityFunction', 'cosine',
                                      'vector', jsonb_build_array(random(), random(), random())),
                   jsonb_build_object('propertyName', 'body', 'similarityFunction', 'euclidean',
                                      'vector', jsonb_build_array(random(), random(), random())))))
    FROM generate_series(1, 200) i) s;
SELECT count(*) FROM (SELECT rushdb.create_record('Note', jsonb_build_object('text', 'note number ' || i))
                      FROM generate_series(1, 50) i) s;
CREATE TABLE public.items (id int PRIMARY KEY, v rushdb.vector(4), w rushdb.vector);
INSERT INTO public.items SELECT i, ARRAY[random(), random(), random(), random()]::real[]::rushdb.vector,
       ARRAY[i, -i]::real[]::rushdb.vector FROM generate_series(1, 500) i;
CREATE INDEX items_l2 ON public.items USING rushdb_hnsw (v rushdb.vector_l2_ops);
CREATE INDEX items_cos ON public.items USING rushdb_hnsw (v rushdb.vector_cosine_ops) WITH (m = 4);
CREATE INDEX items_ip ON public.items USING rushdb_hnsw (v rushdb.vector_ip_ops);
ALTER TABLE public.items OWNER TO fuzzer;
ANALYZE;
SQL

target="host=$PGHOST port=$PGPORT dbname=fuzz user=fuzzer"
start=$(date +%s)

# 1. Every rushdb function with edge-case arguments, one statement per call
# (a crash names its statement in the server log).
log "calling every rushdb function with edge-case arguments (log: $DIR/calls.log)"
psql -X -q -At -d fuzz -v rounds="${RUSHDB_FUZZ_CALLS:-30}" -f "$REPO_ROOT/scripts/fuzz_sql_calls.sql" >"$DIR/calls.sql"
psql -X -d fuzz -U fuzzer -f "$DIR/calls.sql" >"$DIR/calls.log" 2>&1 || true
echo "function calls: $(grep -c '^SELECT' "$DIR/calls.sql"), failed with an ERROR: $(grep -c 'ERROR:' "$DIR/calls.log" || true)"
for _ in $(seq 1 30); do
    pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
    sleep 1
done

# 2. sqlsmith for the rest of the time.
SECONDS_TOTAL=$(( SECONDS_TOTAL - ($(date +%s) - start) ))
[ "$SECONDS_TOTAL" -lt 1 ] && SECONDS_TOTAL=1
log "running sqlsmith for ${SECONDS_TOTAL}s (log: $DIR/sqlsmith.log)"
end=$(( $(date +%s) + SECONDS_TOTAL ))
runs=0
: >"$DIR/sqlsmith.log"
while [ "$(date +%s)" -lt "$end" ]; do
    left=$(( end - $(date +%s) ))
    runs=$((runs + 1))
    # sqlsmith stops at the first lost connection; a new seed each run.
    # --exclude-catalog: queries use the fuzz database's own tables (the
    # extension's and public.items), not the system catalogs.
    timeout -s INT "$left" sqlsmith --target="$target" --seed="$((RANDOM * 32768 + RANDOM))" --verbose \
        --exclude-catalog >>"$DIR/sqlsmith.log" 2>&1 || true
    # After a crash the postmaster needs a moment to reinitialise.
    for _ in $(seq 1 30); do
        pg_isready -q -h "$PGHOST" -p "$PGPORT" && break
        sleep 1
    done
done

log "report"
set +o pipefail  # head closing a pipe early is not a failure here
crashes=$(grep -cE 'was terminated by signal|exited with exit code [1-9]|PANIC:' "$DIR/server.log" || true)
errors=$(grep -c ' ERROR: ' "$DIR/server.log" || true)
echo "sqlsmith runs: $runs; statements that failed with an ordinary ERROR: $errors; crashes: $crashes"
if [ "$crashes" -gt 0 ]; then
    echo "--- crashes (server.log) ---"
    grep -E -A2 'was terminated by signal|exited with exit code [1-9]|PANIC:' "$DIR/server.log" | cut -c1-600
fi
echo "--- most frequent errors ---"
grep -oE ' ERROR: .*' "$DIR/server.log" | sed -E 's/[0-9]+/N/g' | cut -c1-140 | sort | uniq -c | sort -rn | head -25
echo "--- errors from rushdb code (messages naming rushdb, vectors, filters, indexes) ---"
grep -oE ' ERROR: .*' "$DIR/server.log" | grep -iE 'rushdb|vector|hnsw|filter|embedding|record|index' |
    sed -E 's/[0-9a-f]{8}-[0-9a-f-]{27}/<id>/g; s/[0-9]+/N/g' | cut -c1-160 | sort | uniq -c | sort -rn | head -25
[ "$crashes" -eq 0 ]
