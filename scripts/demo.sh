#!/usr/bin/env bash
# The main job: install dependencies, build and install rushdb, start a
# throwaway PostgreSQL cluster with the extension and run a demo.
# Run as root on a fresh Debian 12 machine (or as a sudoer). Idempotent.
source "$(dirname "$0")/lib.sh"

ensure_packages "${BASE_PACKAGES[@]}"
build_and_install

DEMO_DIR="${RUSHDB_DEMO_DIR:-${TMPDIR:-/tmp}/rushdb-demo}"
log "starting a throwaway cluster in ${DEMO_DIR}"
start_cluster "$DEMO_DIR"

PSQL=(psql -X -v ON_ERROR_STOP=1 -q)
"${PSQL[@]}" -c "CREATE EXTENSION IF NOT EXISTS rushdb"

log "demo: the rushdb.vector type"
"${PSQL[@]}" -e -f "$REPO_ROOT/scripts/demo_vector.sql"

cat <<MSG

The cluster keeps running. Connect with:
    psql -h ${PGHOST} -p ${PGPORT} -U postgres postgres
(or: psql "postgresql://postgres@127.0.0.1:${PGPORT}/postgres")
Stop it with:
    $( [ "$(id -u)" -eq 0 ] && echo "runuser -u postgres -- " )${PG_BIN}/pg_ctl -D ${DEMO_DIR}/data stop
MSG
