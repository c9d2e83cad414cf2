#!/usr/bin/env bash
# rushdb_hnsw under churn (100k x 128 clustered set, cosine, m=16, efc=64):
#   - insert rate into the built index (10,000 rows)
#   - VACUUM time with nothing deleted (the cleanup pass alone)
#   - VACUUM time after deleting 10% of rows, recall@10 before and after
#   - insert rate after deleting + vacuuming 20% of rows
# Recall is measured against exact results recomputed on the live rows with
# rushdb.exact_top_k. Usage: test/bench/hnsw/run_churn.sh [n=100000] [dims=128]
source "$(dirname "$0")/../../../scripts/lib.sh"
N="${1:-100000}"; D="${2:-128}"
DATA="$REPO_ROOT/test/bench/data/.cache/clustered-n${N}-d${D}-s42"
if [ ! -f "$DATA/base.csv" ]; then
    cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$REPO_ROOT/build/cmake" --target gen_clustered -j"$(nproc)" >/dev/null
    "$REPO_ROOT/build/cmake/gen_clustered" --n "$N" --dims "$D" --queries 1000 --seed 42 --out "$DATA" --csv
fi
chmod -R a+rX "$DATA" 2>/dev/null || true
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-churn"
start_cluster "$BENCH_DIR"
trap 'stop_cluster "$BENCH_DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
# RUSHDB_BENCH_ELEMENT_CACHE=<size> sets rushdb.hnsw_element_cache for the
# whole cluster (the merge worker included), e.g. 0 to measure without it.
if [ -n "${RUSHDB_BENCH_ELEMENT_CACHE:-}" ]; then
    "${PSQL[@]}" -c "LOAD 'rushdb'" -c "ALTER SYSTEM SET rushdb.hnsw_element_cache = '$RUSHDB_BENCH_ELEMENT_CACHE'" \
        -c "SELECT pg_reload_conf()" >/dev/null
    echo "rushdb.hnsw_element_cache = $RUSHDB_BENCH_ELEMENT_CACHE"
fi

"${PSQL[@]}" <<SQL
CREATE EXTENSION rushdb;
CREATE TABLE items (id int PRIMARY KEY, embedding rushdb.vector($D));
CREATE TABLE queries (qid int PRIMARY KEY, v rushdb.vector($D));
\copy items FROM '$DATA/base.csv'
CREATE TEMP TABLE q_raw (id int, v rushdb.vector($D));
\copy q_raw FROM '$DATA/queries.csv'
INSERT INTO queries SELECT id - 1, v FROM q_raw;
SET maintenance_work_mem = '2GB';
CREATE INDEX items_hnsw ON items USING rushdb_hnsw (embedding rushdb.vector_cosine_ops);
VACUUM ANALYZE items;
SQL
"${PSQL[@]}" -c "SELECT setseed(0.42)" -c "CREATE TABLE extra AS SELECT id + 1000000 AS id, (SELECT array_agg(x + (random() - 0.5) * 0.5) FROM unnest(embedding::real[]) x)::rushdb.vector AS embedding FROM items ORDER BY id LIMIT 20000"

recall() {  # recall@10 at ef_search 40 against exact results on live rows
    "${PSQL[@]}" <<'SQL'
SET rushdb.hnsw_ef_search = 40;
SELECT round(avg(hits) / 10.0, 4) FROM (
  SELECT (SELECT count(*) FROM
           (SELECT id FROM items ORDER BY embedding OPERATOR(rushdb.<=>) q.v LIMIT 10) a
           JOIN (SELECT i.id FROM rushdb.exact_top_k('items', 'embedding', q.v, 10, 'cosine') e
                 JOIN items i ON i.ctid = e.row_tid) b USING (id)) AS hits
  FROM queries q) s;
SQL
}
insert_rate() {  # $1 = first extra row, $2 = count
    local t0 t1
    t0=$(date +%s.%N)
    "${PSQL[@]}" -c "INSERT INTO items SELECT id, embedding FROM extra ORDER BY id OFFSET $1 LIMIT $2"
    t1=$(date +%s.%N)
    python3 -c "print(f'{$2 / ($t1 - $t0):.0f} rows/s ({$2} rows in {$t1 - $t0:.2f} s)')"
}

problems() { "${PSQL[@]}" -c "SELECT count(*) || ' verify problems' || coalesce(': ' || min(p), '') FROM rushdb.hnsw_verify('items_hnsw') p"; }
echo "recall@10 (ef 40) after build: $(recall)"
echo "insert into built index: $(insert_rate 0 10000)"
problems
# VACUUM with nothing deleted runs only the index's cleanup pass: its cost
# should not grow with the index (no repair walk without a bulk delete).
timed_vacuum() {
    local t0 t1
    t0=$(date +%s.%N); "${PSQL[@]}" -c "VACUUM items"; t1=$(date +%s.%N)
    python3 -c "print(f'{$t1 - $t0:.2f} s')"
}
echo "VACUUM after the inserts, nothing deleted: $(timed_vacuum)"
echo "VACUUM again, nothing to do: $(timed_vacuum)"
echo "recall@10 (ef 40) before the delete: $(recall)"
"${PSQL[@]}" -c "DELETE FROM items WHERE id % 10 = 3"
t0=$(date +%s.%N); "${PSQL[@]}" -c "VACUUM items"; t1=$(date +%s.%N)
python3 -c "print(f'VACUUM after deleting 10%: {$t1 - $t0:.2f} s')"
echo "recall@10 (ef 40) after delete 10% + VACUUM: $(recall)"
problems
"${PSQL[@]}" -c "DELETE FROM items WHERE id % 10 = 7 OR id % 10 = 8 AND id < 50000" -c "VACUUM items"
problems
echo "insert after deleting+vacuuming ~20%: $(insert_rate 10000 10000)"
echo "recall@10 (ef 40) at the end: $(recall)"
problems
