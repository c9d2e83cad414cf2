#!/usr/bin/env bash
# Real-data recall check: the 778 Fiori documentation chunks
# (all-MiniLM-L6-v2, 384 dims, test/bench/data/fetch_fiori.sh). Every chunk's
# own vector is a query; recall@10 of rushdb_hnsw (cosine, m=16, efc=64) at
# several ef_search against exact results from rushdb.exact_top_k.
source "$(dirname "$0")/../../../scripts/lib.sh"
DATA="$REPO_ROOT/test/bench/data/.cache"
"$REPO_ROOT/test/bench/data/fetch_fiori.sh" --out "$DATA" >/dev/null
chmod -R a+rX "$DATA"
build_and_install
BENCH_DIR="${TMPDIR:-/tmp}/rushdb-fiori"
start_cluster "$BENCH_DIR"
trap 'stop_cluster "$BENCH_DIR"' EXIT
PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
"${PSQL[@]}" <<SQL
CREATE EXTENSION rushdb;
CREATE TABLE raw (doc jsonb);
\copy raw FROM '$DATA/fiori.jsonl' WITH (FORMAT csv, QUOTE e'\x01', DELIMITER e'\x02')
CREATE TABLE chunks AS SELECT row_number() OVER () AS id, doc->>'title' AS title,
    (doc->'vector')::rushdb.vector(384) AS embedding FROM raw;
SELECT 'chunks: ' || count(*) FROM chunks;
CREATE INDEX ON chunks USING rushdb_hnsw (embedding rushdb.vector_cosine_ops);
CREATE TABLE exact AS SELECT c.id, ARRAY(SELECT x.id FROM rushdb.exact_top_k('chunks', 'embedding', c.embedding, 10, 'cosine') e
    JOIN chunks x ON x.ctid = e.row_tid ORDER BY e.distance) AS ids FROM chunks c;
SQL
for EF in 10 20 40 100; do
    "${PSQL[@]}" <<SQL
SET enable_seqscan = off; SET rushdb.hnsw_ef_search = $EF;
SELECT 'ef_search=$EF recall@10: ' || round(avg((SELECT count(*) FROM unnest(a.ids) x WHERE x = ANY (e.ids))) / 10.0, 4)
FROM (SELECT c.id, ARRAY(SELECT id FROM chunks ORDER BY embedding OPERATOR(rushdb.<=>) c.embedding LIMIT 10) AS ids FROM chunks c) a
JOIN exact e USING (id);
SQL
done
