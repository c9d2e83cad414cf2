#!/usr/bin/env bash
# Static checks of the C++ sources (`make lint` / `make format`).
#
#   lint.sh check    clang-format --dry-run (no file may change), clang-tidy
#                    with .clang-tidy over src/ and test/unit, cppcheck over src/
#   lint.sh format   rewrite every source file with .clang-format
#
# Installs clang-format, clang-tidy and cppcheck from Debian when missing.
# src/pg files are checked with the flags the PGXS build uses (the server's
# include directory), src/core and the unit tests with C++17 and xsimd.
source "$(dirname "$0")/lib.sh"

mode="${1:-check}"
ensure_packages clang-format clang-tidy cppcheck postgresql-server-dev-"$PG_MAJOR" libxsimd-dev libgtest-dev

cd "$REPO_ROOT"
mapfile -t sources < <(git ls-files 'src/*.cpp' 'src/*.hpp' 'test/unit/*.cpp' 'test/fuzz/*.cpp' \
    'test/bench/*.cpp' 2>/dev/null || find src test/unit test/fuzz test/bench -name '*.[ch]pp')

if [ "$mode" = format ]; then
    clang-format -i "${sources[@]}"
    exit 0
fi
[ "$mode" = check ] || { echo "usage: lint.sh check|format" >&2; exit 2; }

failed=0
log "clang-format (dry run)"
if ! clang-format --dry-run -Werror "${sources[@]}"; then
    echo "lint: clang-format would change the files above; run 'make format'" >&2
    failed=1
fi

server_inc="$("$PG_CONFIG" --includedir-server)"
common=(-std=c++17 -Wno-register -Isrc/core -Isrc/pg -DRUSHDB_VERSION='"lint"')
log "clang-tidy"
tidy_one() {  # tidy_one FILE: clang-tidy with the flags its part of the tree builds with
    local f="$1" flags=("${common[@]}")
    case "$f" in
        src/pg/*) flags+=(-I"$server_inc") ;;
        test/unit/*) flags+=(-DRUSHDB_SOURCE_DIR='"."') ;;
        src/core/distance/kernels_avx2.cpp) flags+=(-mavx2 -mfma) ;;
        src/core/distance/kernels_avx512.cpp) flags+=(-mavx512f -mavx512dq -mfma) ;;
        src/core/distance/kernels_neon.cpp) return 0 ;;  # arm64 only
    esac
    clang-tidy --quiet "$f" -- "${flags[@]}" 2>/dev/null
}
for f in "${sources[@]}"; do
    case "$f" in *.cpp) ;; *) continue ;; esac
    case "$f" in test/fuzz/*|test/bench/*) continue ;; esac  # libFuzzer / benchmark mains
    if ! out="$(tidy_one "$f")"; then
        printf '%s\n' "$out"
        failed=1
    elif [ -n "$out" ]; then
        printf '%s\n' "$out"
    fi
done

# cppcheck over src/core only: without the server's headers it cannot know
# that ereport(ERROR) does not return, and with them it takes too long;
# clang-tidy above checks src/pg with the real headers.
log "cppcheck"
if ! cppcheck --quiet --error-exitcode=1 --std=c++17 --language=c++ --inline-suppr \
        --enable=warning,performance,portability --suppress=missingIncludeSystem \
        -Isrc/core -i src/core/distance/kernels_neon.cpp src/core; then
    failed=1
fi

if [ "$failed" -ne 0 ]; then
    echo "lint: FAILED" >&2
    exit 1
fi
echo "lint: clean"
