#!/usr/bin/env bash
# The main job: install dependencies, build and install rushdb, start a
# throwaway PostgreSQL cluster with the extension and run a demo.
# Run as root on a fresh Debian 12 machine (or as a sudoer). Idempotent.
source "$(dirname "$0")/lib.sh"

ensure_packages "${BASE_PACKAGES[@]}"
# npm fetches the demo's embeddings; a machine that already has a Node.js
# (e.g. from NodeSource) keeps it, since Debian's npm would conflict.
command -v npm >/dev/null || ensure_packages nodejs npm
build_and_install

DEMO_DIR="${RUSHDB_DEMO_DIR:-${TMPDIR:-/tmp}/rushdb-demo}"
log "starting a throwaway cluster in ${DEMO_DIR}"
start_cluster "$DEMO_DIR"

PSQL=(psql -X -v ON_ERROR_STOP=1 -q)
"${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS rushdb"

log "demo: the rushdb.vector type"
"${PSQL[@]}" -e -f "$REPO_ROOT/scripts/demo_vector.sql"

log "demo: rushdb_hnsw on real embeddings (npm @sap-ux/fiori-docs-embeddings@1.2.6)"
FIORI_DIR="$REPO_ROOT/test/bench/data/.cache"
"$REPO_ROOT/test/bench/data/fetch_fiori.sh" --out "$FIORI_DIR" >/dev/null
chmod -R a+rX "$FIORI_DIR"
"${PSQL[@]}" <<SQL
DROP TABLE IF EXISTS demo_chunks, demo_raw;
SELECT count(rushdb.delete_index(id)) FROM rushdb.embedding_indexes WHERE label = 'Chunk' \\g /dev/null
DELETE FROM rushdb.records WHERE label = 'Chunk';
CREATE TABLE demo_raw (doc jsonb);
\\copy demo_raw FROM '$FIORI_DIR/fiori.jsonl' WITH (FORMAT csv, QUOTE e'\\x01', DELIMITER e'\\x02')
CREATE TABLE demo_chunks AS
    SELECT row_number() OVER () AS id, doc->>'title' AS title, doc->>'category' AS category,
           (doc->'vector')::rushdb.vector(384) AS embedding
    FROM demo_raw;
SQL
log "demo: the RushDB BYOV flow (external index, records with inline vectors, upsert, search)"
"${PSQL[@]}" -e -f "$REPO_ROOT/scripts/demo_byov.sql"
log "demo: managed embeddings (the server embeds; search with query text)"
"${PSQL[@]}" -e -f "$REPO_ROOT/scripts/demo_managed.sql"
log "demo: rushdb_hnsw directly on a table"
"${PSQL[@]}" -e -f "$REPO_ROOT/scripts/demo_hnsw.sql"

cat <<MSG

The cluster keeps running. Connect with:
    psql -h ${PGHOST} -p ${PGPORT} -U postgres postgres
(or: psql "postgresql://postgres@127.0.0.1:${PGPORT}/postgres")
Stop it with:
    $( [ "$(id -u)" -eq 0 ] && echo "runuser -u postgres -- " )${PG_BIN}/pg_ctl -D ${DEMO_DIR}/data stop
MSG
