#!/usr/bin/env bash
# End-to-end rushdb_hnsw benchmark on the clustered set (issue targets):
# build time, index size, recall@10 at several ef_search, queries/s through
# pgbench (1 and 2 clients), and exact top-10 by sequential scan.
#
#   test/bench/hnsw/run_clustered.sh [n=100000] [dims=128] [metric=cosine] [m=16] [efc=64]
#
# Data: test/bench/data/gen_clustered (seed 42, 1000 queries, exact top-100),
# cached under test/bench/data/.cache. Starts its own throwaway cluster
# (scripts/lib.sh) unless RUSHDB_BENCH_REUSE=1 and PG* point at one.
source "$(dirname "$0")/../../../scripts/lib.sh"

N="${1:-100000}"; D="${2:-128}"; METRIC="${3:-cosine}"; M="${4:-16}"; EFC="${5:-64}"
Q=1000
case "$METRIC" in
    cosine) OPS=vector_cosine_ops; OP='<=>'; GT=gt_cosine.ivecs ;;
    l2) OPS=vector_l2_ops; OP='<->'; GT=gt_l2.ivecs ;;
    *) echo "metric must be cosine or l2" >&2; exit 2 ;;
esac
DATA="$REPO_ROOT/test/bench/data/.cache/clustered-n${N}-d${D}-s42"
MWM="${RUSHDB_BENCH_MWM:-2GB}"

if [ ! -f "$DATA/base.csv" ]; then
    log "generating $N x $D clustered vectors + ground truth"
    cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$REPO_ROOT/build/cmake" --target gen_clustered -j"$(nproc)" >/dev/null
    "$REPO_ROOT/build/cmake/gen_clustered" --n "$N" --dims "$D" --queries "$Q" --seed 42 --out "$DATA" --csv
fi
chmod -R a+rX "$DATA" 2>/dev/null || true

if [ "${RUSHDB_BENCH_REUSE:-0}" != 1 ]; then
    build_and_install
    BENCH_DIR="${TMPDIR:-/tmp}/rushdb-bench"
    start_cluster "$BENCH_DIR"
    trap 'stop_cluster "$BENCH_DIR"' EXIT
fi
PSQL=(psql -X -q -v ON_ERROR_STOP=1)

"${PSQL[@]}" <<SQL
DROP EXTENSION IF EXISTS rushdb CASCADE;
CREATE EXTENSION rushdb;
DROP TABLE IF EXISTS items, queries;
CREATE TABLE items (id int PRIMARY KEY, embedding rushdb.vector($D));
CREATE TABLE queries (qid int PRIMARY KEY, v rushdb.vector($D));
\copy items FROM '$DATA/base.csv'
CREATE TEMP TABLE q_raw (id int, v rushdb.vector($D));
\copy q_raw FROM '$DATA/queries.csv'
INSERT INTO queries SELECT id - 1, v FROM q_raw;
VACUUM ANALYZE items; VACUUM ANALYZE queries;
SQL

log "exact top-10 by sequential scan (no index; 20 queries, one backend, no parallel workers)"
"${PSQL[@]}" -At <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM items;  -- warm-up: bring the table into shared buffers
\timing on
SELECT sum(array_length(r, 1)) FROM (SELECT (SELECT array_agg(id) FROM (SELECT id FROM items ORDER BY embedding OPERATOR(rushdb.$OP) q.v LIMIT 10) s) AS r FROM queries q WHERE qid < 20) x;
\timing off
SELECT 'divide the time by 20 for ms per query';
SQL
log "exact top-10 by rushdb.exact_top_k (20 queries, after one warm-up pass)"
"${PSQL[@]}" -At <<SQL
SELECT count(*) FROM rushdb.exact_top_k('items', 'embedding', (SELECT v FROM queries WHERE qid = 0), 10, '$METRIC');
\timing on
SELECT sum(array_length(r, 1)) FROM (SELECT (SELECT array_agg(i.id ORDER BY e.distance) FROM rushdb.exact_top_k('items', 'embedding', q.v, 10, '$METRIC') e JOIN items i ON i.ctid = e.row_tid) AS r FROM queries q WHERE qid < 20) x;
\timing off
SQL
"${PSQL[@]}" -At -F $'\t' > "$DATA/results-exact.tsv" <<SQL
SELECT q.qid, (SELECT string_agg(i.id::text, ',' ORDER BY e.distance) FROM rushdb.exact_top_k('items', 'embedding', q.v, 10, '$METRIC') e JOIN items i ON i.ctid = e.row_tid)
FROM queries q ORDER BY q.qid;
SQL
printf 'exact_top_k    '
/usr/bin/python3 "$REPO_ROOT/test/bench/data/recall.py" "$DATA/$GT" "$DATA/results-exact.tsv" --k 10

log "index build (m=$M, ef_construction=$EFC, maintenance_work_mem=$MWM)"
"${PSQL[@]}" -At <<SQL
SET maintenance_work_mem = '$MWM';
\timing on
CREATE INDEX items_hnsw ON items USING rushdb_hnsw (embedding rushdb.$OPS) WITH (m = $M, ef_construction = $EFC);
\timing off
EXPLAIN (COSTS OFF) SELECT id FROM items ORDER BY embedding OPERATOR(rushdb.$OP) (SELECT v FROM queries WHERE qid = 1) LIMIT 10;
SELECT 'index size: ' || pg_size_pretty(pg_relation_size('items_hnsw')) || ' (' || pg_relation_size('items_hnsw') || ' bytes)';
SQL

for EF in 10 20 40 64 100 200; do
    "${PSQL[@]}" -At -F $'\t' > "$DATA/results-ef$EF.tsv" <<SQL
SET rushdb.hnsw_ef_search = $EF;
SELECT q.qid, (SELECT string_agg(id::text, ',') FROM (SELECT id FROM items ORDER BY embedding OPERATOR(rushdb.$OP) q.v LIMIT 10) s)
FROM queries q ORDER BY q.qid;
SQL
    printf 'ef_search=%-4s ' "$EF"
    /usr/bin/python3 "$REPO_ROOT/test/bench/data/recall.py" "$DATA/$GT" "$DATA/results-ef$EF.tsv" --k 10
done

cat > "$DATA/pgbench.sql" <<SQL
\\set qid random(0, $((Q - 1)))
SELECT id FROM items ORDER BY embedding OPERATOR(rushdb.$OP) (SELECT v FROM queries WHERE qid = :qid) LIMIT 10;
SQL
chmod a+r "$DATA/pgbench.sql"
# Where the CPU went (test/bench/data/cpu_run.py): the backends, pgbench, and
# everybody else on the machine, in cores (CPU-seconds per second).
PM=$(head -1 "$("${PSQL[@]}" -At -c 'SHOW data_directory')/postmaster.pid")
for EF in 40 64; do
    for C in 1 2; do
        PGOPTIONS="-c rushdb.hnsw_ef_search=$EF" python3 "$REPO_ROOT/test/bench/data/cpu_run.py" --postmaster "$PM" --json "$DATA/pgbench.json" -- \
            pgbench -n -M prepared -T 10 -c "$C" -j "$C" -f "$DATA/pgbench.sql" >"$DATA/pgbench.out" 2>&1
        TPS=$(grep -oP 'tps = \K[0-9.]+' "$DATA/pgbench.out" | head -1)
        python3 - "$DATA/pgbench.json" "$EF" "$C" "$TPS" <<'PY'
import json, sys
j = json.load(open(sys.argv[1])); w = j["wall"]
print("pgbench ef_search=%s clients=%s: %s queries/s (cores: backends %.2f, pgbench %.2f, others %.2f, idle %.2f of %d)"
      % (sys.argv[2], sys.argv[3], sys.argv[4], j["server_cpu"] / w, j["cmd_cpu"] / w, j["other_cpu"] / w,
         j["cores"] - j["busy_cpu"] / w, j["cores"]))
PY
    done
done
