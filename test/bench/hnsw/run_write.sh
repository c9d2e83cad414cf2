#!/usr/bin/env bash
# Writes into a live HNSW index on real vectors: rushdb_hnsw beside pgvector's
# hnsw in ONE run, same cluster, same rows, the systems alternating.
#
#   test/bench/hnsw/run_write.sh [set=wink-100d] [base_rows=all] [seconds=5]
#   make bench-hnsw-write
#
# Both tables hold the set's first BASE rows (all by default) with an index
# built over them (cosine, m=16, ef_construction=64). Then, per system:
#   1. COPY in batches of 500: the set's held-out inserts.csv rows (real
#      vectors never seen by the build), batches alternating between systems
#   1b. one INSERT ... SELECT of RUSHDB_BENCH_SUSTAIN_ROWS (default 20,000)
#      base rows perturbed by 1% of their norm: a stream longer than
#      rushdb's pending list holds, so it shows the sustained (merge) rate
#   2. single-row INSERT in autocommit, 1 client (pgbench -t)
#   3. the same with 2 concurrent clients (pgbench -c 2 -j 2 -t)
#   4. search latency while 1 writer runs: pgbench queries/s of 1 reader at
#      ef_search 40 alone, next to a writer inserting flat out, and next to
#      one inserting 500 rows/s
#   and for rushdb only, through the BYOV API on RUSHDB_BENCH_API_ROWS
#   records (default 100,000) of the same vectors with an external index:
#   5. create_records with inline $vectors, batches of 500
#   6. upsert_vectors replacing the vectors of existing records, batches of 500
# Rows for 2-4 and 5-6 are the held-out queries and inserts with a small
# deterministic perturbation (1% of their norm), so no two are equal; each
# figure reports rows/s and WAL bytes per row (pg_current_wal_insert_lsn).
# Afterwards: rushdb.hnsw_verify and recall@10 of 200 queries at
# ef_search 200 on the grown table (exact truth by rushdb's exact plan) with
# rushdb's writes still in its pending list, then the merge of what is left
# in both rushdb indexes' lists, and recall and verify again. Last, one
# merger's rate: RUSHDB_BENCH_MERGE_ROWS (default 5,000) more perturbed base
# rows appended with no background worker, then one hnsw_merge_pending, timed.
#
# pgvector is measured only when `CREATE EXTENSION vector` is available in the
# PostgreSQL this runs against (RUSHDB_PG_BIN); the repository does not ship
# or build it. Throwaway cluster in ${TMPDIR:-/tmp}/rushdb-write (fsync off,
# synchronous_commit on, autovacuum off).
source "$(dirname "$0")/../../../scripts/lib.sh"
source "$(dirname "$0")/bench_common.sh"

SET="${1:-wink-100d}"; BASE="${2:-all}"; SECS="${3:-5}"
API_ROWS="${RUSHDB_BENCH_API_ROWS:-100000}"
SUSTAIN="${RUSHDB_BENCH_SUSTAIN_ROWS:-20000}"
MERGE="${RUSHDB_BENCH_MERGE_ROWS:-5000}"
M=16; EFC=64
export RUSHDB_SHARED_BUFFERS="${RUSHDB_SHARED_BUFFERS:-2GB}"
bench_set "$SET"
[ "$BASE" = all ] && BASE=$NBASE
build_and_install
bench_cluster "${TMPDIR:-/tmp}/rushdb-write"
R="$BENCH_DIR/results.tsv"   # system <TAB> metric <TAB> value
: >"$R"
put() { printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$R"; }
lsn() { "${PSQL[@]}" -c "SELECT pg_current_wal_insert_lsn()"; }
wal_since() { "${PSQL[@]}" -c "SELECT pg_current_wal_insert_lsn() - '$1'::pg_lsn"; }
bench_systems
{
    bench_header
    echo "data:       $SET: $BASE of $NBASE x $D in the index, cosine, m=$M ef_construction=$EFC"
    echo "command:    test/bench/hnsw/run_write.sh $SET $BASE $SECS"
} | tee "$BENCH_DIR/header.txt"

log "loading $BASE rows into each system's table and building its index"
for s in "${SYSTEMS[@]}"; do
    "${PSQL[@]}" <<SQL
CREATE TABLE items_$s (id int PRIMARY KEY, embedding $(vtype "$s"));
CREATE TEMP TABLE load (id int, embedding $(vtype "$s"));
COPY load FROM '$DATA/base.csv';
INSERT INTO items_$s SELECT * FROM load WHERE id <= $BASE;
CREATE TABLE queries_$s (qid int PRIMARY KEY, v $(vtype "$s"));
COPY queries_$s FROM '$DATA/queries.csv';
-- Rows for the single-row and concurrent writers: queries and inserts,
-- perturbed by 1% of their norm (deterministic), numbered from 1.
CREATE TABLE src_$s (n int PRIMARY KEY, v $(vtype "$s"));
CREATE TEMP TABLE ins (id int, embedding $(vtype "$s"));
COPY ins FROM '$DATA/inserts.csv';
INSERT INTO src_$s
SELECT row_number() OVER (ORDER BY k, id),
       (SELECT array_agg(x + 0.01 * sqrt(nrm / $D) * sin(id * 7.3 + k * 3.1 + i * 1.7) ORDER BY i)
        FROM unnest(embedding::real[]) WITH ORDINALITY u(x, i),
             LATERAL (SELECT sum(y * y) AS nrm FROM unnest(embedding::real[]) y) s)::$(vtype "$s")
FROM (SELECT qid AS id, v AS embedding FROM queries_$s UNION ALL SELECT * FROM ins) a, generate_series(1, 2) k;
CREATE SEQUENCE next_$s;
VACUUM ANALYZE items_$s;
SET maintenance_work_mem = '2GB'; SET max_parallel_maintenance_workers = 1;
CREATE INDEX items_${s}_hnsw ON items_$s USING $(using "$s") WITH (m = $M, ef_construction = $EFC);
SQL
done
"${PSQL[@]}" -c "CHECKPOINT"
NSRC=$("${PSQL[@]}" -c "SELECT count(*) FROM src_rushdb")

# 1. COPY batches of 500 of the real held-out rows, systems alternating.
log "1. COPY batches of 500 (inserts.csv), systems alternating"
split_inserts
b=0
for f in "$BENCH_DIR"/ins_*; do
    b=$((b + 1))
    for s in "${SYSTEMS[@]}"; do
        l0=$(lsn)
        psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' -c "COPY items_$s FROM '$f'" >"$BENCH_DIR/copy.out"
        put "$s" copy_ms "$(ms_of "$BENCH_DIR/copy.out")"
        put "$s" copy_wal "$(wal_since "$l0")"
        put "$s" copy_rows "$(wc -l <"$f")"
    done
done

# 1b. Sustained: one INSERT ... SELECT of SUSTAIN rows, several times what
# rushdb's pending list holds, so most of it runs at the merge rate (the
# writer merging beside the background worker). Rows: base rows perturbed
# like src_ (1% of their norm), never inserted before.
log "1b. sustained: one INSERT of $SUSTAIN perturbed base rows"
for s in "${SYSTEMS[@]}"; do
    "${PSQL[@]}" <<SQL
CREATE TABLE sus_$s (id int PRIMARY KEY, v $(vtype "$s"));
INSERT INTO sus_$s
SELECT 30000000 + id,
       (SELECT array_agg(x + 0.01 * sqrt(nrm / $D) * sin(id * 5.9 + i * 2.3) ORDER BY i)
        FROM unnest(embedding::real[]) WITH ORDINALITY u(x, i),
             LATERAL (SELECT sum(y * y) AS nrm FROM unnest(embedding::real[]) y) s)::$(vtype "$s")
FROM items_$s WHERE id <= $SUSTAIN;
SQL
done
"${PSQL[@]}" -c "CHECKPOINT"
for s in "${SYSTEMS[@]}"; do
    l0=$(lsn)
    psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' -c "INSERT INTO items_$s SELECT * FROM sus_$s" >"$BENCH_DIR/copy.out"
    put "$s" sustain_ms "$(ms_of "$BENCH_DIR/copy.out")"
    put "$s" sustain_wal "$(wal_since "$l0")"
    put "$s" sustain_rows "$SUSTAIN"
    [ "$s" = rushdb ] && put rushdb sustain_pending "$("${PSQL[@]}" -c "SELECT pending_rows FROM rushdb.hnsw_index_info('items_rushdb_hnsw')")"
done

# 2.-3. Single-row INSERTs in autocommit, 1 and 2 clients.
for s in "${SYSTEMS[@]}"; do
    cat >"$BENCH_DIR/insert_$s.sql" <<SQL
INSERT INTO items_$s (id, embedding) SELECT 10000000 + n, v FROM src_$s WHERE n = (SELECT nextval('next_$s'));
SQL
done
chmod a+r "$BENCH_DIR"/*.sql
PER=$((NSRC / 2 / ${#SYSTEMS[@]} / 3))   # rows per client per phase, never reused
for c in 1 2; do
    for s in "${SYSTEMS[@]}"; do
        log "$((c + 1)). single-row INSERT, $c client(s): $s, $((PER * c)) rows"
        l0=$(lsn)
        pgbench -n -c "$c" -j "$c" -t "$PER" -f "$BENCH_DIR/insert_$s.sql" >"$BENCH_DIR/pgbench.out" 2>&1 || { cat "$BENCH_DIR/pgbench.out"; exit 1; }
        put "$s" "insert_c${c}_tps" "$(grep -oP 'tps = \K[0-9.]+' "$BENCH_DIR/pgbench.out" | head -1)"
        put "$s" "insert_c${c}_wal" "$(wal_since "$l0")"
        put "$s" "insert_c${c}_rows" "$((PER * c))"
    done
done

# 4. Reader latency alone and beside one writer (ef_search 40).
for s in "${SYSTEMS[@]}"; do
    cat >"$BENCH_DIR/q_$s.sql" <<SQL
\\set qid random(1, 1000)
SELECT id FROM items_$s ORDER BY embedding $(op "$s") (SELECT v FROM queries_$s WHERE qid = :qid) LIMIT 10;
SQL
done
chmod a+r "$BENCH_DIR"/*.sql
for s in "${SYSTEMS[@]}"; do
    log "4. reader alone, then beside a writer: $s"
    PGOPTIONS="-c $(efguc "$s")=40" pgbench -n -M prepared -T "$SECS" -c 1 -f "$BENCH_DIR/q_$s.sql" >"$BENCH_DIR/r.out" 2>&1
    put "$s" reader_alone "$(grep -oP 'tps = \K[0-9.]+' "$BENCH_DIR/r.out" | head -1)"
    pgbench -n -c 1 -T $((SECS + 1)) -f "$BENCH_DIR/insert_$s.sql" >"$BENCH_DIR/w.out" 2>&1 &
    wpid=$!
    sleep 0.5
    PGOPTIONS="-c $(efguc "$s")=40" pgbench -n -M prepared -T "$SECS" -c 1 -f "$BENCH_DIR/q_$s.sql" >"$BENCH_DIR/r.out" 2>&1
    put "$s" reader_with_writer "$(grep -oP 'tps = \K[0-9.]+' "$BENCH_DIR/r.out" | head -1)"
    wait "$wpid" || { cat "$BENCH_DIR/w.out"; exit 1; }
    # Beside a writer at 500 rows/s (pgbench -R), below what merging keeps
    # up with: the common case, where the flat-out writer above is the
    # worst one.
    pgbench -n -c 1 -R 500 -T $((SECS + 1)) -f "$BENCH_DIR/insert_$s.sql" >"$BENCH_DIR/w.out" 2>&1 &
    wpid=$!
    sleep 0.5
    PGOPTIONS="-c $(efguc "$s")=40" pgbench -n -M prepared -T "$SECS" -c 1 -f "$BENCH_DIR/q_$s.sql" >"$BENCH_DIR/r.out" 2>&1
    put "$s" reader_with_writer_500 "$(grep -oP 'tps = \K[0-9.]+' "$BENCH_DIR/r.out" | head -1)"
    wait "$wpid" || { cat "$BENCH_DIR/w.out"; exit 1; }
    # Alone once more: "alone" is the mean of before and after.
    PGOPTIONS="-c $(efguc "$s")=40" pgbench -n -M prepared -T "$SECS" -c 1 -f "$BENCH_DIR/q_$s.sql" >"$BENCH_DIR/r.out" 2>&1
    put "$s" reader_alone "$(grep -oP 'tps = \K[0-9.]+' "$BENCH_DIR/r.out" | head -1)"
done

# 5.-6. The BYOV API (rushdb only).
log "5.-6. BYOV API: $API_ROWS records with an external index, then create_records and upsert_vectors"
"${PSQL[@]}" <<SQL
SELECT (rushdb.create_index('WORD', 'embedding', 'external', 'cosine', $D)) ->> 'id' AS ix \\gset
INSERT INTO rushdb.records (id, label, properties)
SELECT ('00000000-0000-0000-0000-' || lpad(to_hex(id), 12, '0'))::uuid, 'WORD', jsonb_build_object('wid', id)
FROM items_rushdb WHERE id <= $API_ROWS;
SELECT rushdb.upsert_vectors(:'ix'::uuid, array_agg(('00000000-0000-0000-0000-' || lpad(to_hex(id), 12, '0'))::uuid ORDER BY id),
                             array_agg(embedding ORDER BY id)) FROM items_rushdb WHERE id <= $API_ROWS;
VACUUM ANALYZE rushdb.records;
SQL
IX=$("${PSQL[@]}" -c "SELECT id FROM rushdb.embedding_indexes WHERE label = 'WORD'")
for b in $(seq 0 9); do
    l0=$(lsn)
    psql -X -q -v ON_ERROR_STOP=1 >"$BENCH_DIR/api.out" <<SQL
\\timing on
SELECT jsonb_array_length(rushdb.create_records('WORD', (SELECT jsonb_agg(jsonb_build_object('wid', 20000000 + n,
    '\$vectors', jsonb_build_array(jsonb_build_object('propertyName', 'embedding', 'vector', v::real[]))))
    FROM src_rushdb WHERE n > $NSRC - 5000 + $b * 500 AND n <= $NSRC - 5000 + ($b + 1) * 500)));
SQL
    put api create_ms "$(ms_of "$BENCH_DIR/api.out")"
    put api create_wal "$(wal_since "$l0")"
    l0=$(lsn)
    psql -X -q -v ON_ERROR_STOP=1 >"$BENCH_DIR/api.out" <<SQL
\\timing on
SELECT rushdb.upsert_vectors('$IX'::uuid,
    (SELECT array_agg(('00000000-0000-0000-0000-' || lpad(to_hex(1 + (n * 7919) % $API_ROWS), 12, '0'))::uuid ORDER BY n)
     FROM src_rushdb WHERE n > $b * 500 AND n <= ($b + 1) * 500),
    (SELECT array_agg(v ORDER BY n) FROM src_rushdb WHERE n > $b * 500 AND n <= ($b + 1) * 500));
SQL
    put api upsert_ms "$(ms_of "$BENCH_DIR/api.out")"
    put api upsert_wal "$(wal_since "$l0")"
done

# Checks: verify, and recall@10 at ef_search 200 on the grown table; for
# rushdb with the writes still in the pending list, then again after the
# list is merged into the graph (timed: that is the deferred cost).
API_HNSW="rushdb_internal.$("${PSQL[@]}" -c "SELECT vector_table FROM rushdb.embedding_indexes WHERE label = 'WORD'")_hnsw"
put rushdb pending_rows "$("${PSQL[@]}" -c "SELECT pending_rows FROM rushdb.hnsw_index_info('items_rushdb_hnsw')")"
put rushdb verify "$("${PSQL[@]}" -c "SELECT count(*) FROM rushdb.hnsw_verify('items_rushdb_hnsw')")"
put api verify "$("${PSQL[@]}" -c "SELECT count(*) FROM rushdb.hnsw_verify('$API_HNSW')")"
recall_of() {  # system -> recall@10 of queries 1..200 at ef_search 200
    local s="$1"
    "${PSQL[@]}" -F $'\t' >"$BENCH_DIR/ann_$s.tsv" <<SQL
SET $(efguc "$s") = 200; SET enable_seqscan = off;
SELECT q.qid, (SELECT string_agg(id::text, ',') FROM (SELECT id FROM items_$s ORDER BY embedding $(op "$s") q.v LIMIT 10) x) FROM queries_$s q WHERE q.qid <= 200 ORDER BY q.qid;
SQL
    python3 - "$BENCH_DIR/truth_$s.tsv" "$BENCH_DIR/ann_$s.tsv" <<'PY'
import sys
load = lambda p: {l.split("\t")[0]: set(l.rstrip("\n").split("\t")[1].split(",")) for l in open(p) if "\t" in l}
t, r = load(sys.argv[1]), load(sys.argv[2])
print("%.4f" % (sum(len(t[q] & r.get(q, set())) / 10 for q in t) / len(t)))
PY
}
for s in "${SYSTEMS[@]}"; do
    log "recall@10 after the writes: $s"
    put "$s" rows_after "$("${PSQL[@]}" -c "SELECT count(*) FROM items_$s")"
    "${PSQL[@]}" -F $'\t' >"$BENCH_DIR/truth_$s.tsv" <<SQL
SET enable_indexscan = off;
SELECT q.qid, (SELECT string_agg(id::text, ',') FROM (SELECT id FROM items_$s ORDER BY embedding $(op "$s") q.v LIMIT 10) x) FROM queries_$s q WHERE q.qid <= 200 ORDER BY q.qid;
SQL
    put "$s" recall_after "$(recall_of "$s")"
done
log "merging rushdb's pending lists (timed)"
for ix in items_rushdb_hnsw "$API_HNSW"; do
    l0=$(lsn)
    psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' -c "SELECT rushdb.hnsw_merge_pending('$ix')" >"$BENCH_DIR/merge.out"
    put merge ms "$(ms_of "$BENCH_DIR/merge.out")"
    put merge rows "$(grep -oE '^ *[0-9]+$' "$BENCH_DIR/merge.out" | head -1 | tr -d ' ')"
    put merge wal "$(wal_since "$l0")"
done
put rushdb recall_merged "$(recall_of rushdb)"
put rushdb verify_merged "$("${PSQL[@]}" -c "SELECT count(*) FROM rushdb.hnsw_verify('items_rushdb_hnsw')")"

# 7. One merger's rate (rushdb): MERGE rows appended with the list's limit
# raised so far that no background worker starts (it starts at a sixteenth
# of the limit), then merged by one rushdb.hnsw_merge_pending call.
log "7. one merger: $MERGE rows appended, then hnsw_merge_pending"
"${PSQL[@]}" <<SQL
CREATE TABLE mrg AS
SELECT 60000000 + id AS id,
       (SELECT array_agg(x + 0.01 * sqrt(nrm / $D) * sin(id * 4.1 + i * 1.9) ORDER BY i)
        FROM unnest(embedding::real[]) WITH ORDINALITY u(x, i),
             LATERAL (SELECT sum(y * y) AS nrm FROM unnest(embedding::real[]) y) s)::$(vtype rushdb) AS v
FROM items_rushdb WHERE id > $SUSTAIN AND id <= $SUSTAIN + $MERGE;
ALTER INDEX items_rushdb_hnsw SET (pending_list_limit = 1048576);
SQL
l0=$(lsn)
psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' -c "INSERT INTO items_rushdb SELECT * FROM mrg" >"$BENCH_DIR/merge.out"
put one append_ms "$(ms_of "$BENCH_DIR/merge.out")"
put one append_wal "$(wal_since "$l0")"
l0=$(lsn)
psql -X -q -v ON_ERROR_STOP=1 -c '\timing on' -c "SELECT rushdb.hnsw_merge_pending('items_rushdb_hnsw')" >"$BENCH_DIR/merge.out"
put one merge_ms "$(ms_of "$BENCH_DIR/merge.out")"
put one merge_rows "$(grep -oE '^ *[0-9]+$' "$BENCH_DIR/merge.out" | head -1 | tr -d ' ')"
put one merge_wal "$(wal_since "$l0")"
"${PSQL[@]}" -c "ALTER INDEX items_rushdb_hnsw RESET (pending_list_limit)"
put one verify "$("${PSQL[@]}" -c "SELECT count(*) FROM rushdb.hnsw_verify('items_rushdb_hnsw')")"

python3 - "$R" "${SYSTEMS[@]}" <<'PY' | tee "$BENCH_DIR/summary.md"
import sys
path, systems = sys.argv[1], sys.argv[2:]
v = {}
for line in open(path):
    s, k, x = line.rstrip("\n").split("\t")
    v.setdefault((s, k), []).append(float(x))
one = lambda s, k: v[(s, k)][0]
mean = lambda s, k: sum(v[(s, k)]) / len(v[(s, k)])
names = {"rushdb": "rushdb_hnsw", "pgvector": "pgvector hnsw"}
print("| writes into the live index | " + " | ".join(names[s] for s in systems) + " |")
print("|---|" + "---|" * len(systems) + "")
def copy(s):
    rows = sum(v[(s, "copy_rows")]); t = sum(v[(s, "copy_ms")]) / 1000
    return "**%.0f rows/s**, %.0f WAL bytes/row" % (rows / t, sum(v[(s, "copy_wal")]) / rows)
print("| COPY, batches of 500 (%d real held-out rows) | " % sum(v[("rushdb", "copy_rows")]) + " | ".join(copy(s) for s in systems) + " |")
print("| one INSERT of %d rows, past the pending list (sustained) | " % one("rushdb", "sustain_rows") + " | ".join(
    "**%.0f rows/s**, %.0f WAL bytes/row" % (one(s, "sustain_rows") / one(s, "sustain_ms") * 1000, one(s, "sustain_wal") / one(s, "sustain_rows"))
    + (" (%d rows left in the list)" % one(s, "sustain_pending") if s == "rushdb" else "") for s in systems) + " |")
for c in (1, 2):
    print("| single-row INSERT, autocommit, %d client%s | " % (c, "s" if c > 1 else "") + " | ".join(
        "**%.0f rows/s**, %.0f WAL bytes/row" % (one(s, "insert_c%d_tps" % c), one(s, "insert_c%d_wal" % c) / one(s, "insert_c%d_rows" % c)) for s in systems) + " |")
print("| 2 clients / 1 client | " + " | ".join("%.2fx" % (one(s, "insert_c2_tps") / one(s, "insert_c1_tps")) for s in systems) + " |")
print("| reader q/s at ef 40: alone (mean of before and after) / beside a flat-out writer | " + " | ".join(
    "%.0f / %.0f (%.2fx slower)" % (mean(s, "reader_alone"), one(s, "reader_with_writer"), mean(s, "reader_alone") / one(s, "reader_with_writer")) for s in systems) + " |")
print("| reader q/s at ef 40 beside a writer at 500 rows/s | " + " | ".join(
    "%.0f (%.2fx slower)" % (one(s, "reader_with_writer_500"), mean(s, "reader_alone") / one(s, "reader_with_writer_500")) for s in systems) + " |")
print("| recall@10 at ef 200 after the writes (200 queries) | " + " | ".join(
    ("%.4f (%d rows still in the pending list); %.4f once merged" % (one(s, "recall_after"), one(s, "pending_rows"), one(s, "recall_merged"))
     if s == "rushdb" else "%.4f" % one(s, "recall_after")) for s in systems) + " |")
mt, mr, mw = sum(v[("merge", "ms")]) / 1000, sum(v[("merge", "rows")]), sum(v[("merge", "wal")])
print()
print("Merging what the worker left in rushdb's lists (both indexes, rushdb.hnsw_merge_pending): %d rows; "
      "hnsw_verify problems after the merge: %d." % (mr, one("rushdb", "verify_merged")))
am, mm, mrows = one("one", "append_ms") / 1000, one("one", "merge_ms") / 1000, one("one", "merge_rows")
print()
print("One merger (rushdb): %d rows appended to the list in %.2f s (%.0f rows/s, %.0f WAL bytes/row), then merged "
      "by one rushdb.hnsw_merge_pending in %.1f s: **%.0f rows/s**, %.0f WAL bytes/row; hnsw_verify problems: %d." % (
      mrows, am, mrows / am if am else 0, one("one", "append_wal") / mrows if mrows else 0,
      mm, mrows / mm if mm else 0, one("one", "merge_wal") / mrows if mrows else 0, one("one", "verify")))
print()
ct, cw = sum(v[("api", "create_ms")]) / 1000, sum(v[("api", "create_wal")])
ut, uw = sum(v[("api", "upsert_ms")]) / 1000, sum(v[("api", "upsert_wal")])
n = 500 * len(v[("api", "create_ms")])
print("BYOV API into a live index: create_records with inline $vectors **%.0f records/s** (%.0f WAL bytes/record); "
      "upsert_vectors replacing vectors **%.0f records/s** (%.0f WAL bytes/record); hnsw_verify problems: table %d, API index %d." % (
      n / ct, cw / n, n / ut, uw / n, one("rushdb", "verify"), one("api", "verify")))
PY
echo "raw results: $R"
