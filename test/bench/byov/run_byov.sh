#!/usr/bin/env bash
# BYOV API throughput and latency (issue: records and search API), 384-dim
# clustered vectors (gen_clustered, seed 42), cosine external index with the
# default HNSW settings (m=16, ef_construction=64):
#   1. bulk create with inline vectors, batches of 1,000 (create_records)
#   2. array-form upsert_vectors of 100,000 vectors onto existing records
#   3. search latency through the API vs the bare ORDER BY ... LIMIT query:
#      one 10 s pgbench run each for the bare variants and the jsonb form,
#      then ROUNDS alternating 10 s runs of the like-for-like pair (bare query
#      returning the API's JSON, and rushdb.search), reported as the median
#      and min-max, with the median and min-max of the per-round overhead
# Usage: test/bench/byov/run_byov.sh [n=100000] [created_with_inline=20000] [rounds=5]
source "$(dirname "$0")/../../../scripts/lib.sh"
N="${1:-100000}"; INLINE="${2:-20000}"; ROUNDS="${3:-5}"; D=384
DATA="$REPO_ROOT/test/bench/data/.cache/clustered-n${N}-d${D}-s42"
if [ ! -f "$DATA/base.csv" ]; then
    cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$REPO_ROOT/build/cmake" --target gen_clustered -j"$(nproc)" >/dev/null
    "$REPO_ROOT/build/cmake/gen_clustered" --n "$N" --dims "$D" --queries 1000 --seed 42 --out "$DATA" --csv >&2
fi
chmod -R a+rX "$DATA"
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-byov-bench"
start_cluster "$BENCH_DIR"
trap '[ "${RUSHDB_BENCH_KEEP:-0}" = 1 ] || stop_cluster "$BENCH_DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):,.0f}/s ({$1} in {$3 - $2:.2f} s)')"; }

"${PSQL[@]}" <<SQL
CREATE EXTENSION rushdb;
CREATE TABLE staging (n int, v rushdb.vector($D));
\copy staging FROM '$DATA/base.csv'
CREATE TABLE queries (qid int, v rushdb.vector($D));
\copy queries FROM '$DATA/queries.csv'
SELECT rushdb.create_index('{"label": "Item", "propertyName": "text", "external": true, "dimensions": $D}') IS NOT NULL;
SQL

# 1. Bulk create with inline vectors, batches of 1,000.
t0=$(now)
for start in $(seq 1 1000 "$INLINE"); do
    "${PSQL[@]}" -c "SELECT jsonb_array_length(rushdb.create_records('Item', (SELECT jsonb_agg(jsonb_build_object(
        'text', 'item ' || n, 'n', n, '\$vectors', jsonb_build_array(jsonb_build_object('propertyName', 'text',
        'vector', v::real[]))) ORDER BY n) FROM staging WHERE n BETWEEN $start AND $((start + 999)))))" >/dev/null
done
t1=$(now)
echo "create_records with inline vectors (batches of 1,000, first $INLINE rows): $(rate "$INLINE" "$t0" "$t1") records"

# 2. Records for the rest, then one array-form upsert of every vector.
"${PSQL[@]}" -c "SELECT jsonb_array_length(rushdb.create_records('Item', (SELECT jsonb_agg(jsonb_build_object('text', 'item ' || n, 'n', n)) FROM staging WHERE n > $INLINE)))" >/dev/null
t0=$(now)
"${PSQL[@]}" -c "SELECT rushdb.upsert_vectors((SELECT id FROM rushdb.embedding_indexes WHERE label = 'Item'),
    (SELECT array_agg(r.id ORDER BY s.n) FROM staging s JOIN rushdb.records r ON (r.properties ->> 'n')::int = s.n),
    (SELECT array_agg(s.v ORDER BY s.n) FROM staging s JOIN rushdb.records r ON (r.properties ->> 'n')::int = s.n))"
t1=$(now)
echo "upsert_vectors array form, $N vectors onto existing records (HNSW present): $(rate "$N" "$t0" "$t1") vectors"
t0=$(now)
"${PSQL[@]}" -c "SELECT rushdb.upsert_vectors((SELECT id FROM rushdb.embedding_indexes WHERE label = 'Item'),
    (SELECT array_agg(r.id ORDER BY s.n) FROM staging s JOIN rushdb.records r ON (r.properties ->> 'n')::int = s.n WHERE s.n <= 5000),
    (SELECT array_agg(s.v ORDER BY s.n) FROM staging s JOIN rushdb.records r ON (r.properties ->> 'n')::int = s.n WHERE s.n <= 5000))"
t1=$(now)
echo "upsert_vectors array form, 5,000 replacements into the $N-vector index (row by row): $(rate 5000 "$t0" "$t1") vectors"
"${PSQL[@]}" -c "VACUUM ANALYZE"

# 3. Search latency: API vs bare query (pgbench, 1 client, 10 s each).
VT=$("${PSQL[@]}" -c "SELECT vector_table FROM rushdb.embedding_indexes WHERE label = 'Item'")
cat > "$BENCH_DIR/bare.sql" <<SQL
\\set q random(1, 1000)
SELECT record_id FROM rushdb_internal.$VT ORDER BY embedding OPERATOR(rushdb.<=>) (SELECT v FROM queries WHERE qid = :q) LIMIT 10;
SQL
cat > "$BENCH_DIR/api.sql" <<SQL
\\set q random(1, 1000)
SELECT rushdb.search('Item', 'text', (SELECT v FROM queries WHERE qid = :q), 10);
SQL
cat > "$BENCH_DIR/api_jsonb.sql" <<SQL
\\set q random(1, 1000)
SELECT rushdb.search(jsonb_build_object('label', 'Item', 'propertyName', 'text', 'limit', 10, 'queryVector', (SELECT v FROM queries WHERE qid = :q)::real[]));
SQL
cat > "$BENCH_DIR/bare_records.sql" <<SQL
\\set q random(1, 1000)
SELECT r.properties FROM rushdb_internal.$VT v JOIN rushdb.records r ON r.id = v.record_id ORDER BY v.embedding OPERATOR(rushdb.<=>) (SELECT v FROM queries WHERE qid = :q) LIMIT 10;
SQL
cat > "$BENCH_DIR/bare_json.sql" <<SQL
\\set q random(1, 1000)
SELECT rushdb_internal.record_json(s.r) || jsonb_build_object('__score', 1 - s.d / 2) FROM (SELECT r, v.embedding OPERATOR(rushdb.<=>) (SELECT v FROM queries WHERE qid = :q) AS d FROM rushdb_internal.$VT v JOIN rushdb.records r ON r.id = v.record_id WHERE r.label = 'Item' ORDER BY v.embedding OPERATOR(rushdb.<=>) (SELECT v FROM queries WHERE qid = :q) LIMIT 10) s;
SQL
chmod a+r "$BENCH_DIR"/*.sql
# bare: ids only; bare_records: properties; bare_json: the same JSON the API
# returns (record + __score), i.e. the like-for-like comparison.
lat() {  # $1 = script name: average latency in ms of one 10 s pgbench run
    local out
    out=$(pgbench -n -M prepared -T 10 -c 1 -f "$BENCH_DIR/$1.sql" 2>&1 || true)
    grep -oP 'latency average = \K[0-9.]+' <<<"$out" || { echo "$out" | grep -iE "error|abort" | head -5 >&2; echo "?"; }
}
for s in bare bare_records api_jsonb; do
    echo "search latency ($s, limit 10, ef_search 40, 1 client, 10 s): $(lat "$s") ms"
done
: >"$BENCH_DIR/pairs.tsv"
for r in $(seq 1 "$ROUNDS"); do
    if [ $((r % 2)) = 1 ]; then a=$(lat bare_json); b=$(lat api); else b=$(lat api); a=$(lat bare_json); fi
    echo "round $r/$ROUNDS: bare_json $a ms, api $b ms"
    printf '%s\t%s\n' "$a" "$b" >>"$BENCH_DIR/pairs.tsv"
done
python3 - "$BENCH_DIR/pairs.tsv" <<'PY'
import statistics, sys
pairs = [tuple(map(float, l.split())) for l in open(sys.argv[1]) if l.strip()]
a = [p[0] for p in pairs]; b = [p[1] for p in pairs]
o = [100 * (y / x - 1) for x, y in pairs]
print("bare query returning the API's JSON: median %.3f ms (%.3f-%.3f)" % (statistics.median(a), min(a), max(a)))
print("rushdb.search('Item', 'text', q, 10): median %.3f ms (%.3f-%.3f)" % (statistics.median(b), min(b), max(b)))
print("API overhead, per round: median %+.1f%% (%+.1f%% to %+.1f%%, %d alternating rounds of 10 s)" % (statistics.median(o), min(o), max(o), len(o)))
PY
