# Shared helpers for scripts/demo.sh and scripts/test.sh. Sourced, not run.
# Everything here is idempotent: installing what is present is a no-op, and
# a cluster directory left by an earlier run is stopped and recreated.

set -euo pipefail

REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
PG_MAJOR=15
# RUSHDB_PG_BIN selects another (relocated) PostgreSQL installation, so two
# checkouts can build, install and test side by side on one machine.
PG_BIN="${RUSHDB_PG_BIN:-/usr/lib/postgresql/${PG_MAJOR}/bin}"
export PATH="${PG_BIN}:${PATH}"
export PG_CONFIG="${PG_BIN}/pg_config"

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }

# Runs a command as root: directly when we are root, else through sudo.
as_root() {
    if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

# The PostgreSQL server refuses to run as root, so clusters are owned by an
# unprivileged account: `postgres` (created by the postgresql package) when
# we are root, else the invoking user.
cluster_user() {
    if [ "$(id -u)" -eq 0 ]; then echo postgres; else id -un; fi
}

as_cluster_user() {
    if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

# Debian packages every script needs. Extra packages can be passed in.
BASE_PACKAGES=(
    build-essential cmake pkg-config
    "postgresql-${PG_MAJOR}" "postgresql-server-dev-${PG_MAJOR}" postgresql-contrib
    libxsimd-dev libgtest-dev libbenchmark-dev
    libipc-run-perl
    libcurl4-openssl-dev python3
)

ensure_packages() {
    local missing=()
    local pkg
    for pkg in "$@"; do
        if ! dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed"; then
            missing+=("$pkg")
        fi
    done
    if [ "${#missing[@]}" -eq 0 ]; then
        return 0
    fi
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    if ! as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null; then
        as_root apt-get update -qq
        as_root apt-get install -y --no-install-recommends "${missing[@]}" >/dev/null
    fi
}

build_and_install() {
    log "building and installing the extension"
    make -C "$REPO_ROOT" -j"$(nproc)" PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    # sudo only when the server's directories are not ours (a system package).
    if [ -w "$("$PG_CONFIG" --pkglibdir)" ] && [ -w "$("$PG_CONFIG" --sharedir)/extension" ]; then
        make -C "$REPO_ROOT" install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    else
        as_root make -C "$REPO_ROOT" install PG_CONFIG="$PG_BIN/pg_config" >/dev/null
    fi
}

# RUSHDB_PORT_MIN / RUSHDB_PORT_MAX choose the port range (default 54330-54429),
# so checkouts sharing a machine can keep their clusters apart.
free_port() {
    local port lo="${RUSHDB_PORT_MIN:-54330}" hi="${RUSHDB_PORT_MAX:-54429}"
    for port in $(seq "$lo" "$hi"); do
        if ! (exec 3<>"/dev/tcp/127.0.0.1/${port}") 2>/dev/null; then
            echo "$port"
            return 0
        fi
    done
    echo "no free port between $lo and $hi" >&2
    return 1
}

# start_cluster DIR: a throwaway cluster in DIR (recreated if present),
# listening on 127.0.0.1 and a socket in DIR. Sets PGHOST, PGPORT, PGUSER,
# PGDATABASE for the caller. RUSHDB_SHARED_BUFFERS overrides shared_buffers
# (default 256MB).
start_cluster() {
    local dir="$1"
    stop_cluster "$dir"
    as_root rm -rf "$dir"
    mkdir -p "$dir"
    if [ "$(id -u)" -eq 0 ]; then chown postgres: "$dir"; fi
    local port
    port="$(free_port)"
    as_cluster_user initdb -D "$dir/data" -U postgres -A trust --no-sync -E UTF8 >"$dir/initdb.log" 2>&1
    cat >>"$dir/data/postgresql.conf" <<CONF
port = ${port}
listen_addresses = '127.0.0.1'
unix_socket_directories = '${dir}'
fsync = off
shared_buffers = ${RUSHDB_SHARED_BUFFERS:-256MB}
max_parallel_workers_per_gather = 2
CONF
    as_cluster_user pg_ctl -D "$dir/data" -l "$dir/server.log" -w start >/dev/null
    export PGHOST="$dir" PGPORT="$port" PGUSER=postgres PGDATABASE=postgres
}

stop_cluster() {
    local dir="$1"
    if [ -f "$dir/data/postmaster.pid" ]; then
        as_cluster_user pg_ctl -D "$dir/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
}
