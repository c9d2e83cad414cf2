#!/usr/bin/env bash
# Hybrid search latency beside vector-only and keyword-only search over N
# records (default 100,000): a text property of 8 words drawn from 5,000
# (skewed: low-numbered words are common), a random 64-dim vector each in an
# external cosine index (HNSW m=16, ef_construction=64), a text index on
# the property. pgbench -M prepared, one client, ITER calls each with a
# random query vector and one or two random words; p50 / p99 / mean ms.
# Usage: test/bench/byov/run_hybrid.sh [records=100000] [iterations=500]
source "$(dirname "$0")/../../../scripts/lib.sh"
N="${1:-100000}"; ITER="${2:-500}"; D=64
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-hybrid-bench"
start_cluster "$BENCH_DIR"
trap '[ "${RUSHDB_BENCH_KEEP:-0}" = 1 ] || stop_cluster "$BENCH_DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
now() { date +%s.%N; }

t0=$(now)
"${PSQL[@]}" <<SQL
CREATE EXTENSION rushdb;
SELECT setseed(0.42);
INSERT INTO rushdb.records (id, label, properties, proptypes)
SELECT rushdb.uuid_v7(), 'Doc',
       jsonb_build_object('body', (SELECT string_agg('w' || floor(5000 * random() ^ 3)::int, ' ') FROM generate_series(1, 8) w
                                   WHERE i > 0), 'n', i),
       '{"body": "string", "n": "number"}'
FROM generate_series(1, $N) i;
CREATE TEMP TABLE ix AS SELECT (rushdb.create_index('{"label": "Doc", "propertyName": "body", "external": true, "dimensions": $D}') ->> 'id')::uuid AS id;
SELECT (rushdb.upsert_vectors((SELECT id FROM ix), array_agg(r.id),
        array_agg((SELECT ('[' || string_agg((random() - 0.5)::text, ',') || ']')::rushdb.vector FROM generate_series(1, $D) d WHERE r.id IS NOT NULL)))
        ->> 'updated') FROM rushdb.records r WHERE r.label = 'Doc';
SELECT rushdb.create_text_index('Doc', 'body') ->> 'created';
VACUUM ANALYZE;
SQL
t1=$(now)
python3 -c "print(f'load $N records, vectors and indexes: {$t1 - $t0:.1f} s')"

vec="(SELECT jsonb_agg(random() - 0.5) FROM generate_series(1, $D) d WHERE :w > -1)"
run() {  # name, select expression using :w / :w2 and \$vec
    local name="$1" expr="$2" script="$BENCH_DIR/q.sql"
    {
        echo "\\set w random_exponential(0, 4999, 3.0)"
        echo "\\set w2 random(0, 4999)"
        echo "SELECT jsonb_array_length(rushdb.search($expr));"
    } >"$script"
    rm -f "$BENCH_DIR"/pgbench_log.*
    (cd "$BENCH_DIR" && pgbench -n -M prepared -c 1 -t "$ITER" -f "$script" -l >/dev/null 2>&1) || { echo "$name: pgbench failed"; return; }
    "$REPO_ROOT/test/bench/pgbench_latency.py" "$name" "$BENCH_DIR" 44
}
printf '%-44s %9s %9s %9s\n' search p50_ms p99_ms mean_ms
run "vector only, limit 10" "jsonb_build_object('label', 'Doc', 'propertyName', 'body', 'queryVector', $vec, 'limit', 10)"
run "keyword only, one word, limit 10" "jsonb_build_object('label', 'Doc', 'propertyName', 'body', 'text', 'w' || :w, 'limit', 10)"
run "hybrid, one word, limit 10" "jsonb_build_object('label', 'Doc', 'propertyName', 'body', 'queryVector', $vec, 'text', 'w' || :w, 'limit', 10)"
run "hybrid, two words (or), limit 10" "jsonb_build_object('label', 'Doc', 'propertyName', 'body', 'queryVector', $vec, 'text', 'w' || :w || ' or w' || :w2, 'limit', 10)"
run "hybrid + where n < N/2, limit 10" "jsonb_build_object('label', 'Doc', 'propertyName', 'body', 'queryVector', $vec, 'text', 'w' || :w, 'limit', 10, 'where', jsonb_build_object('n', jsonb_build_object('\$lt', $((N / 2)))))"
