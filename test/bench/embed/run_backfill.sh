#!/usr/bin/env bash
# Managed-embedding throughput (docs/benchmarks.md, "Managed embeddings"):
#   1. built-in embedder from SQL: rushdb.embed_text over N 2 KB texts
#   2. backfill: create_index over N records with 2 KB texts until ready
#      (wait_for_index), at several rushdb.embedding_batch_size values
#   3. keeping current: update 2,000 records' text, time until ready again
#   4. search latency by text (search_text: embed the query, then the same
#      ranked query) against search by a precomputed query vector, pgbench
#   5. the HTTP provider against test/support/fake_embeddings_server.py
#      (a Python server: measures our pipeline, not a model)
# Texts are the real SAP Fiori documentation chunks (fetch_fiori.sh), cut or
# repeated to 2,000 bytes, cycled to N records with a distinct suffix each.
# Usage: test/bench/embed/run_backfill.sh [n=10000]
source "$(dirname "$0")/../../../scripts/lib.sh"
N="${1:-10000}"
ensure_packages "${BASE_PACKAGES[@]}"
FIORI_DIR="$REPO_ROOT/test/bench/data/.cache"
"$REPO_ROOT/test/bench/data/fetch_fiori.sh" --out "$FIORI_DIR" >/dev/null
chmod -R a+rX "$FIORI_DIR"
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-backfill-bench"
start_cluster "$BENCH_DIR"
SERVER_PID=""
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null || true
    [ "${RUSHDB_BENCH_KEEP:-0}" = 1 ] || stop_cluster "$BENCH_DIR"
}
trap cleanup EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
now() { date +%s.%N; }
rate() { python3 -c "print(f'{$1 / ($3 - $2):,.0f}/s ({$1} in {$3 - $2:.2f} s)')"; }

"${PSQL[@]}" <<SQL
CREATE EXTENSION rushdb;
CREATE TABLE raw (line text);
\\copy raw FROM '$FIORI_DIR/fiori.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')
CREATE TABLE chunks AS SELECT row_number() OVER () AS k,
    left(repeat((line::jsonb ->> 'text') || ' ', 1 + 2000 / greatest(length(line::jsonb ->> 'text'), 1)), 2000) AS body
FROM raw;
CREATE TABLE texts AS SELECT n, left((SELECT body FROM chunks WHERE k = 1 + (n - 1) % (SELECT count(*) FROM chunks)), 1990)
    || ' #' || n AS body FROM generate_series(1, $N) n;
SQL
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "texts: $N, average $("${PSQL[@]}" -c "SELECT round(avg(octet_length(body))) FROM texts") bytes"

# 1. The built-in embedder alone, in one backend.
t0=$(now)
"${PSQL[@]}" -c "SELECT count(rushdb.embed_text(body, 384)) FROM texts" >/dev/null
t1=$(now)
echo "embed_text builtin-lexical-v1, 384 dims, one backend: $(rate "$N" "$t0" "$t1") texts"

# Records, loaded once (not timed).
"${PSQL[@]}" -c "SELECT count(*) FROM (SELECT rushdb.create_records('Chunk', (SELECT jsonb_agg(jsonb_build_object('body', body, 'n', n)) FROM texts))) s" >/dev/null

backfill() {  # $1 = batch size, $2 = model key, $3 = label for the output
    "${PSQL[@]}" -c "LOAD 'rushdb'" -c "ALTER SYSTEM SET rushdb.embedding_batch_size = $1" -c "SELECT pg_reload_conf()" >/dev/null
    sleep 0.5
    local t0 t1 id status
    t0=$(now)
    id=$("${PSQL[@]}" -c "SELECT rushdb.create_index('Chunk', 'body', 'managed', 'cosine', 384, '$2') ->> 'id'")
    status=$("${PSQL[@]}" -c "SELECT rushdb.wait_for_index('$id', 3600) ->> 'status'")
    t1=$(now)
    echo "backfill $3, batch $1: $(rate "$N" "$t0" "$t1") records (status $status)"
    if [ "$1" = 500 ] && [ "$2" = builtin-lexical-v1 ]; then
        # 3. Keeping current: 2,000 updates, then until ready again.
        t0=$(now)
        "${PSQL[@]}" -c "UPDATE rushdb.records SET properties = jsonb_set(properties, '{body}', to_jsonb((properties ->> 'body') || ' updated')) WHERE label = 'Chunk' AND (properties ->> 'n')::int <= 2000"
        status=$("${PSQL[@]}" -c "SELECT rushdb.wait_for_index('$id', 3600) ->> 'status'")
        t1=$(now)
        echo "re-embedding 2,000 updated records, batch $1: $(rate 2000 "$t0" "$t1") records (status $status)"
        # 4. Text query vs precomputed vector, one client, 5 s each.
        echo "SELECT count(*) FROM rushdb.search_text('Chunk', 'body', 'deploy a fiori application to cloud foundry', 10)" >"$BENCH_DIR/text.sql"
        echo "SELECT count(*) FROM rushdb.search('Chunk', 'body', (SELECT v FROM qv), 10)" >"$BENCH_DIR/vector.sql"
        "${PSQL[@]}" -c "DROP TABLE IF EXISTS qv" -c "CREATE TABLE qv AS SELECT rushdb.embed_text('deploy a fiori application to cloud foundry', 384) AS v"
        for q in vector text; do
            echo "search by $q, limit 10, pgbench 1 client 5 s: $(pgbench -n -T 5 -c 1 -f "$BENCH_DIR/$q.sql" 2>/dev/null | grep -oP 'latency average = \K.*')"
        done
    fi
    "${PSQL[@]}" -c "SELECT rushdb.delete_index('$id')" >/dev/null
}

# 2. Backfill with the built-in model.
for b in 100 500 2000; do backfill "$b" builtin-lexical-v1 "builtin-lexical-v1"; done

# 5. The HTTP provider against the local fake server.
exec 3< <(python3 "$REPO_ROOT/test/support/fake_embeddings_server.py" --port 0)
SERVER_PID=$!
read -r _ PORT <&3
"${PSQL[@]}" -c "LOAD 'rushdb'" -c "ALTER SYSTEM SET rushdb.embedding_endpoint = 'http://127.0.0.1:$PORT/v1'" -c "SELECT pg_reload_conf()" >/dev/null
sleep 0.5
backfill 500 fake-model "HTTP provider (local Python fake server, 64 texts per request)"
