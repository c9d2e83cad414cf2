#!/usr/bin/env bash
# rushdb.halfvec against rushdb.vector on real vectors, in one run, and
# pgvector's halfvec beside them when `CREATE EXTENSION vector` is available
# in this PostgreSQL (the repository neither ships nor builds it): the same
# base rows as float32 and as halves, cosine, m=16, ef_construction=64.
#
#   test/bench/hnsw/run_halfvec.sh [set=wink-100d] [seconds=5]
#
# Per configuration: table size, index build time and size, recall@10 over
# the set's 1,000 queries (against the float32 exact top-10 ground truth,
# so the rounding to halves is in the figure) at ef_search 40 and 200, and
# queries/s from pgbench -M prepared -T SECONDS, 1 client. The
# configurations alternate at every step so all see the same machine load.
source "$(dirname "$0")/../../../scripts/lib.sh"
source "$(dirname "$0")/bench_common.sh"

SET="${1:-wink-100d}"; SECS="${2:-5}"
M=16; EFC=64; MWM="${RUSHDB_BENCH_MWM:-2GB}"; EFS=(40 200)
export RUSHDB_SHARED_BUFFERS="${RUSHDB_SHARED_BUFFERS:-2GB}"
bench_set "$SET"
build_and_install
bench_cluster "${TMPDIR:-/tmp}/rushdb-halfvec"
bench_systems
CONFIGS=(rushdb_vector rushdb_halfvec)
[ "${#SYSTEMS[@]}" = 1 ] || CONFIGS+=(pgvector_halfvec)
RECALL=(python3 "$REPO_ROOT/test/bench/data/recall.py" "$DATA/gt_cosine.ivecs")
ctype() { case "$1" in rushdb_vector) echo "rushdb.vector($D)" ;; rushdb_halfvec) echo "rushdb.halfvec($D)" ;; *) echo "public.halfvec($D)" ;; esac; }
cop() { case "$1" in rushdb_*) echo "OPERATOR(rushdb.<=>)" ;; *) echo "OPERATOR(public.<=>)" ;; esac; }
cusing() {
    case "$1" in
        rushdb_vector) echo "rushdb_hnsw (embedding rushdb.vector_cosine_ops)" ;;
        rushdb_halfvec) echo "rushdb_hnsw (embedding rushdb.halfvec_cosine_ops)" ;;
        *) echo "hnsw (embedding public.halfvec_cosine_ops)" ;;
    esac
}
cef() { case "$1" in rushdb_*) echo "rushdb.hnsw_ef_search" ;; *) echo "hnsw.ef_search" ;; esac; }
{
    bench_header
    echo "data:       $SET: $NBASE x $D, $(wc -l <"$DATA/queries.csv") queries; cosine, m=$M ef_construction=$EFC"
    echo "command:    test/bench/hnsw/run_halfvec.sh $SET $SECS"
} | tee "$BENCH_DIR/header.txt"

chmod a+r "$DATA"/*.csv
declare -A ROW
for c in "${CONFIGS[@]}"; do
    log "loading $c"
    "${PSQL[@]}" <<SQL
CREATE TABLE items_$c (id int PRIMARY KEY, embedding $(ctype "$c"));
CREATE TABLE queries_$c (qid int PRIMARY KEY, v $(ctype "$c"));
COPY items_$c FROM '$DATA/base.csv';
COPY queries_$c FROM '$DATA/queries.csv';
VACUUM ANALYZE items_$c; VACUUM ANALYZE queries_$c;
SQL
    ROW[$c.table]=$("${PSQL[@]}" -c "SELECT pg_size_pretty(pg_table_size('items_$c'))")
done
for c in "${CONFIGS[@]}"; do
    log "index build: $c"
    "${PSQL[@]}" -c "CHECKPOINT"
    psql -X -q -v ON_ERROR_STOP=1 -c "SET maintenance_work_mem = '$MWM'" -c "SET max_parallel_maintenance_workers = 1" \
        -c '\timing on' -c "CREATE INDEX items_${c}_hnsw ON items_$c USING $(cusing "$c") WITH (m = $M, ef_construction = $EFC)" \
        >"$BENCH_DIR/build_$c.out" 2>&1
    ROW[$c.build]=$(python3 -c "print(round($(ms_of "$BENCH_DIR/build_$c.out") / 1000, 1))")
    ROW[$c.index]=$("${PSQL[@]}" -c "SELECT pg_size_pretty(pg_relation_size('items_${c}_hnsw'))")
    echo "  ${ROW[$c.build]} s, ${ROW[$c.index]}"
done
if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_prewarm'")" = 1 ]; then
    "${PSQL[@]}" -c "CREATE EXTENSION pg_prewarm"
    for c in "${CONFIGS[@]}"; do
        "${PSQL[@]}" -c "SELECT pg_prewarm('items_$c') + pg_prewarm('items_${c}_hnsw') + pg_prewarm('queries_$c')" >/dev/null
    done
fi
for ef in "${EFS[@]}"; do
    for c in "${CONFIGS[@]}"; do
        log "recall@10: $c, ef_search $ef"
        "${PSQL[@]}" -F $'\t' >"$BENCH_DIR/recall_${c}_ef$ef.tsv" <<SQL
SET enable_seqscan = off; SET $(cef "$c") = $ef;
SELECT q.qid, (SELECT string_agg(id::text, ',') FROM (SELECT id FROM items_$c ORDER BY embedding $(cop "$c") q.v LIMIT 10) x)
FROM queries_$c q ORDER BY q.qid;
SQL
        ROW[$c.recall$ef]=$("${RECALL[@]}" "$BENCH_DIR/recall_${c}_ef$ef.tsv" --query-base 1 --json | python3 -c 'import json,sys; print("%.3f" % json.load(sys.stdin)["recall"])')
        cat >"$BENCH_DIR/q_$c.sql" <<SQL
\\set qid random(1, $(wc -l <"$DATA/queries.csv"))
SELECT id FROM items_$c ORDER BY embedding $(cop "$c") (SELECT v FROM queries_$c WHERE qid = :qid) LIMIT 10;
SQL
        chmod a+r "$BENCH_DIR/q_$c.sql"
        log "pgbench: $c, ef_search $ef, $SECS s"
        PGOPTIONS="-c $(cef "$c")=$ef" pgbench -n -M prepared -T "$SECS" -c 1 -j 1 -f "$BENCH_DIR/q_$c.sql" >"$BENCH_DIR/pgbench_${c}_ef$ef.out" 2>&1 \
            || { cat "$BENCH_DIR/pgbench_${c}_ef$ef.out"; exit 1; }
        ROW[$c.qps$ef]=$(grep -oP 'tps = \K[0-9.]+' "$BENCH_DIR/pgbench_${c}_ef$ef.out" | head -1 | cut -d. -f1)
        echo "  recall ${ROW[$c.recall$ef]}, ${ROW[$c.qps$ef]} q/s"
    done
done
{
    echo
    echo "| configuration | table | index | build (s) | recall@10 ef 40 | q/s ef 40 | recall@10 ef 200 | q/s ef 200 |"
    echo "|---|---|---|---|---|---|---|---|"
    for c in "${CONFIGS[@]}"; do
        echo "| $c | ${ROW[$c.table]} | ${ROW[$c.index]} | ${ROW[$c.build]} | ${ROW[$c.recall40]} | ${ROW[$c.qps40]} | ${ROW[$c.recall200]} | ${ROW[$c.qps200]} |"
    done
} | tee "$BENCH_DIR/summary.md"
