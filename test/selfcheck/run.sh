#!/usr/bin/env bash
# Self-check of the result counting in scripts/count_results.sh (used by
# scripts/test.sh): in a throwaway copy of the repository it injects a
# failing GoogleTest (in suites named like UuidV7 and Metrics/HnswMemory,
# which an earlier grep pattern missed) and one that crashes, a failing
# pg_regress test, a failing TAP check and a TAP script that dies; runs each
# through its real runner, and asserts that the counting functions of the
# copy report every failure and that the totals line fails. Passing runs are
# counted too, so a counter that always fails is caught as well.
#
# Runs from scripts/test.sh when CI=true or RUSHDB_SELFCHECK=1, or alone
# (after scripts/test.sh or `make install` has installed the extension's
# PostgreSQL: the pg_regress part starts a throwaway cluster). About 15 s.
set -euo pipefail
SRC="$(cd "$(dirname "$0")/../.." && pwd)"
source "$SRC/scripts/lib.sh"

SCRATCH="$(mktemp -d "${TMPDIR:-/tmp}/rushdb-selfcheck.XXXXXX")"
chmod 755 "$SCRATCH"  # the cluster user must reach its directory in it
COPY="$SCRATCH/repo"
cleanup() {
    stop_cluster "$SCRATCH/cluster"
    as_root rm -rf "$SCRATCH"
}
trap cleanup EXIT

# The copy: the working tree as it is (uncommitted changes included),
# without build output or git metadata.
mkdir -p "$COPY"
tar -C "$SRC" --exclude=./.git --exclude=./build --exclude=node_modules \
    --exclude='*.o' --exclude='*.so' --exclude='*.bc' -cf - . | tar -C "$COPY" -xf -
source "$COPY/scripts/count_results.sh"

CHECKS=0
BROKEN=0
# expect WHAT WANT GOT: one assertion of this self-check.
expect() {
    CHECKS=$((CHECKS + 1))
    if [ "$2" = "$3" ]; then
        echo "ok: $1 (counted \"$3\")"
    else
        echo "FAIL: $1: want \"$2\", counted \"$3\""
        BROKEN=$((BROKEN + 1))
    fi
}
# counted FUNCTION ARGS...: the "PASSED FAILED" a count_* function prints.
counted() {
    "$@" 2>>"$SCRATCH/diagnostics.log" || echo "count function exited $?"
}

# --- GoogleTest ---------------------------------------------------------------
cat >"$COPY/test/unit/selfcheck_injected.cpp" <<'CPP'
// Injected by test/selfcheck/run.sh; never part of the real suite.
#include <gtest/gtest.h>
#include <cstdlib>
TEST(SelfcheckPasses, Ok) { EXPECT_EQ(1, 1); }
TEST(UuidV7Selfcheck, FailsOnPurpose) { EXPECT_EQ(1, 2) << "deliberate failure"; }
class HnswMemorySelfcheck : public testing::TestWithParam<int> {};
TEST_P(HnswMemorySelfcheck, FailsOnPurpose) { EXPECT_EQ(GetParam(), -1) << "deliberate failure"; }
INSTANTIATE_TEST_SUITE_P(Metrics, HnswMemorySelfcheck, testing::Values(7));
TEST(Iso8601Selfcheck, Crashes) { std::abort(); }
CPP
g++ -std=c++17 -O0 -o "$SCRATCH/injected_tests" "$COPY/test/unit/selfcheck_injected.cpp" \
    -lgtest -lgtest_main -pthread
run_gtest() {  # run_gtest FILTER: the counts of the injected binary's run
    local xml="$SCRATCH/gtest-$RANDOM.xml" status=0
    "$SCRATCH/injected_tests" --gtest_filter="$1" --gtest_output="xml:$xml" >>"$SCRATCH/gtest.log" 2>&1 || status=$?
    counted count_gtest "$xml" "$status"
}
expect "gtest: a passing run" "1 0" "$(run_gtest 'SelfcheckPasses.*')"
expect "gtest: failures in UuidV7Selfcheck and Metrics/HnswMemorySelfcheck" "1 2" \
    "$(run_gtest 'SelfcheckPasses.*:UuidV7Selfcheck.*:Metrics/*')"
expect "gtest: a crash (no XML report) is a failure" "0 1" "$(run_gtest '*Crashes*')"
expect "gtest: a missing binary is a failure" "0 1" "$(counted count_gtest "$SCRATCH/none.xml" 127)"

# --- pg_regress ---------------------------------------------------------------
# Two injected tests, no extension needed: one matches its expected output,
# one does not.
cat >"$COPY/sql/selfcheck_passes.sql" <<'SQL'
SELECT 1 + 1 AS two;
SQL
cat >"$COPY/expected/selfcheck_passes.out" <<'OUT'
SELECT 1 + 1 AS two;
 two 
-----
   2
(1 row)

OUT
cat >"$COPY/sql/selfcheck_fails.sql" <<'SQL'
SELECT 2 + 2 AS four;
SQL
cat >"$COPY/expected/selfcheck_fails.out" <<'OUT'
SELECT 2 + 2 AS four;
 four 
------
    5
(1 row)

OUT
start_cluster "$SCRATCH/cluster"
PGXS_DIR="$(dirname "$(pg_config --pgxs)")/.."
mkdir -p "$SCRATCH/regress"
status=0
"$PGXS_DIR/test/regress/pg_regress" --inputdir="$COPY" --outputdir="$SCRATCH/regress" \
    --bindir="$PG_BIN" --dbname=selfcheck_regression selfcheck_passes selfcheck_fails \
    >"$SCRATCH/regress.log" 2>&1 || status=$?
stop_cluster "$SCRATCH/cluster"
expect "pg_regress: exits non-zero when a test fails" "yes" "$([ "$status" -ne 0 ] && echo yes || echo no)"
expect "pg_regress: one test passes, one fails" "1 1" \
    "$(counted count_regress "$SCRATCH/regress.log" "$status" selfcheck_passes selfcheck_fails)"
expect "pg_regress: a scheduled test that did not run is a failure" "1 2" \
    "$(counted count_regress "$SCRATCH/regress.log" "$status" selfcheck_passes selfcheck_fails selfcheck_never_ran)"
# The schedule scripts/test.sh checks against (the copy's Makefile) picks up
# a new test by itself; the real tests were not run here, so they are missing.
schedule=()
read -r -a schedule < <(make -s --no-print-directory -C "$COPY" print-regress) || true
in_schedule=no
for t in "${schedule[@]}"; do [ "$t" = selfcheck_fails ] && in_schedule=yes; done
expect "pg_regress: make print-regress lists an added test" "yes" "$in_schedule"
expect "pg_regress: every scheduled test that did not run is a failure" "1 $((${#schedule[@]} - 1))" \
    "$(counted count_regress "$SCRATCH/regress.log" "$status" "${schedule[@]}")"
printf '%s\n' 'ok 1         - selfcheck_passes      12 ms' 'not ok 2     - selfcheck_fails       10 ms' \
    '# 1 of 2 tests failed.' >"$SCRATCH/regress16.log"
expect "pg_regress: PostgreSQL 16 output style" "1 1" \
    "$(counted count_regress "$SCRATCH/regress16.log" 1 selfcheck_passes selfcheck_fails)"
printf '%s\n' 'test a ... ok  1 ms' 'test b ... ok  1 ms' >"$SCRATCH/regress-ok.log"
expect "pg_regress: a non-zero exit with every test ok is a failure" "2 1" \
    "$(counted count_regress "$SCRATCH/regress-ok.log" 2 a b)"

# --- TAP ------------------------------------------------------------------------
cat >"$COPY/test/t/990_selfcheck_fails.pl" <<'PL'
# Injected by test/selfcheck/run.sh: one passing and one failing check.
use strict;
use warnings;
use Test::More;
ok(1, 'passes');
is(1 + 1, 3, 'fails on purpose');
done_testing();
PL
cat >"$COPY/test/t/991_selfcheck_dies.pl" <<'PL'
# Injected by test/selfcheck/run.sh: dies after its first check, with no
# "not ok" line.
use strict;
use warnings;
use Test::More tests => 3;
ok(1, 'passes');
die "dies on purpose\n";
PL
cat >"$COPY/test/t/992_selfcheck_passes.pl" <<'PL'
# Injected by test/selfcheck/run.sh: passes.
use strict;
use warnings;
use Test::More;
ok(1, 'passes');
done_testing();
PL
run_prove() {  # run_prove FILE...: the counts of one prove run, as test.sh runs it
    local status=0 log="$SCRATCH/prove-$RANDOM.log"
    local tests=("${@/#/test/}")
    make -C "$COPY" --no-print-directory prove_installcheck PROVE_FLAGS=-v PROVE_TESTS="${tests[*]}" \
        >"$log" 2>&1 || status=$?
    counted count_tap "$log" "$status" "$#"
}
expect "tap: a passing file" "1 0" "$(run_prove t/992_selfcheck_passes.pl)"
expect "tap: a failing check" "2 1" "$(run_prove t/990_selfcheck_fails.pl t/992_selfcheck_passes.pl)"
expect "tap: a script that dies counts as failed" "2 1" "$(run_prove t/991_selfcheck_dies.pl t/992_selfcheck_passes.pl)"
expect "tap: all three" "3 2" "$(run_prove t/990_selfcheck_fails.pl t/991_selfcheck_dies.pl t/992_selfcheck_passes.pl)"
expect "tap: no prove output is a failure" "0 1" "$(counted count_tap "$SCRATCH/none.log" 0 1)"

# --- client tests and the totals line -----------------------------------------
expect "client: exit status 0 passes" "1 0" "$(counted count_status 0)"
expect "client: a non-zero exit status fails" "0 1" "$(counted count_status 3)"
totals="$(
    PASSED=0 FAILED=0 FAILED_NAMES=()
    record good 5 0 >/dev/null
    take_counts run_gtest 'UuidV7Selfcheck.*'
    record injected "$ok" "$bad" >/dev/null
    record garbage "" "x" >/dev/null 2>&1
    report_totals && echo "exit 0" || echo "exit $?"
)"
expect "totals: the last line counts the injected failure" "5 passed, 2 failed" "$(printf '%s\n' "$totals" | tail -2 | head -1)"
expect "totals: non-zero status" "exit 1" "$(printf '%s\n' "$totals" | tail -1)"

echo
echo "self-check: $((CHECKS - BROKEN)) of $CHECKS checks hold"
if [ "$BROKEN" -gt 0 ]; then
    echo "counting diagnostics:"
    cat "$SCRATCH/diagnostics.log"
    exit 1
fi
