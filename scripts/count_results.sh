# Counting of test results from each runner's own report, for
# scripts/test.sh and its self-check (test/selfcheck/run.sh). Sourced, not
# run. Every count_* function reads one runner's output file plus the
# runner's exit status and prints "PASSED FAILED" on stdout; what went wrong
# goes to stderr. A report that is missing, unreadable or incomplete counts
# as a failure, and so does a non-zero exit status with nothing else failed:
# a runner that crashed must never look like a run that passed.

# Debian's interpreter (the one scripts/lib.sh installs), else any python3.
_count_python() {
    if [ -x /usr/bin/python3 ]; then echo /usr/bin/python3; else command -v python3; fi
}

# count_gtest XML STATUS: a GoogleTest binary run with --gtest_output=xml:XML
# that exited with STATUS. Counts <testcase> elements: a case with a
# <failure> or <error> child failed, a case that ran otherwise passed
# (skipped and disabled cases are neither). The report's own totals must
# agree. No XML (the binary crashed or never started) is one failure.
count_gtest() {
    local xml="$1" status="$2"
    if [ ! -s "$xml" ]; then
        echo "gtest: no XML report at $xml (exit status $status): the binary crashed or did not run" >&2
        echo "0 1"
        return 0
    fi
    "$(_count_python)" - "$xml" "$status" <<'PY'
import sys
import xml.etree.ElementTree as ET

path, status = sys.argv[1], int(sys.argv[2])
try:
    root = ET.parse(path).getroot()
except (ET.ParseError, OSError) as e:
    print("gtest: unreadable XML report %s: %s" % (path, e), file=sys.stderr)
    print("0 1")
    sys.exit(0)
passed = failed = 0
for case in root.iter("testcase"):
    name = "%s.%s" % (case.get("classname", "?"), case.get("name", "?"))
    if case.find("failure") is not None or case.find("error") is not None:
        failed += 1
        print("gtest: FAILED %s" % name, file=sys.stderr)
    elif case.get("status", "run") == "run" and case.get("result", "completed") == "completed":
        passed += 1
reported = sum(int(root.get(k, "0")) for k in ("failures", "errors"))
if reported > failed:
    print("gtest: the report's totals say %d failures, its test cases %d" % (reported, failed), file=sys.stderr)
    failed = reported
if status != 0 and failed == 0:
    print("gtest: exit status %d although no test case failed" % status, file=sys.stderr)
    failed = 1
if passed + failed == 0:
    print("gtest: the report lists no test that ran", file=sys.stderr)
    failed = 1
print(passed, failed)
PY
}

# count_regress LOG STATUS TEST...: pg_regress output LOG (exit status
# STATUS) for the schedule TEST... Every scheduled test must appear once as
# ok or as failed, in either output style (PostgreSQL 15 "test name ... ok",
# "     name ... FAILED" in parallel groups; 16+ "ok 1 - name", "not ok 2 -
# name"); a scheduled test that does not appear counted as failed. A failure
# pg_regress marks "(ignored)" still counts as failed here.
count_regress() {
    local log="$1" status="$2"
    shift 2
    if [ "$#" -eq 0 ]; then
        echo "pg_regress: empty schedule" >&2
        echo "0 1"
        return 0
    fi
    if [ ! -f "$log" ]; then
        echo "pg_regress: no output at $log (exit status $status)" >&2
        echo "0 $#"
        return 0
    fi
    local passed=0 failed=0 name line verdict
    for name in "$@"; do
        # The test's own line(s), by exact name.
        line="$(grep -E "^(test +|ok +[0-9]+ +[-+] +|not ok +[0-9]+ +[-+] +| +)${name} +(\.\.\.|[0-9])" "$log" || true)"
        if [ -z "$line" ]; then
            # PostgreSQL 16+ style without timing: "ok 1 - name".
            line="$(grep -E "^(not )?ok +[0-9]+ +[-+] +${name}\$" "$log" || true)"
        fi
        verdict=missing
        if [ "$(printf '%s\n' "$line" | grep -c .)" -gt 1 ]; then
            verdict=duplicate
        elif printf '%s\n' "$line" | grep -qE '^not ok |\.\.\. +(FAILED|failed)'; then
            verdict=failed
        elif printf '%s\n' "$line" | grep -qE '^ok |\.\.\. +ok( |$)'; then
            verdict=ok
        fi
        if [ "$verdict" = ok ]; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
            echo "pg_regress: $name: $verdict" >&2
        fi
    done
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "pg_regress: exit status $status although every scheduled test passed" >&2
        failed=1
    fi
    echo "$passed $failed"
}

# count_tap LOG STATUS FILES: the output of one `prove` run (LOG, exit
# status STATUS) over FILES test files. Counts from prove's own summary:
# "Files=F, Tests=N" and "Result: PASS|FAIL"; every file in the "Test
# Summary Report" adds its "Failed: K" tests, or one failure when K is 0
# (the script died, exited non-zero or broke its plan). Fewer files than
# given, a missing summary or a non-zero status with no failure found is a
# failure too.
count_tap() {
    local log="$1" status="$2" files="$3"
    if [ ! -f "$log" ]; then
        echo "tap: no prove output at $log (exit status $status)" >&2
        echo "0 1"
        return 0
    fi
    local summary result tests ran failed=0 failed_tests=0 fcount ftests line
    summary="$(grep -E '^Files=[0-9]+, Tests=[0-9]+,' "$log" | tail -1 || true)"
    result="$(grep -E '^Result: ' "$log" | tail -1 || true)"
    if [ -z "$summary" ] || [ -z "$result" ]; then
        echo "tap: prove printed no summary (exit status $status)" >&2
        echo "0 1"
        return 0
    fi
    ran="$(printf '%s\n' "$summary" | sed -E 's/^Files=([0-9]+),.*/\1/')"
    tests="$(printf '%s\n' "$summary" | sed -E 's/^Files=[0-9]+, Tests=([0-9]+),.*/\1/')"
    # Report entries: "t/003_x.pl (Wstat: 256 (exited 1) Tests: 12 Failed: 1)".
    while IFS= read -r line; do
        [ -n "$line" ] || continue
        ftests="$(printf '%s\n' "$line" | sed -nE 's/.* Tests: ([0-9]+) Failed: ([0-9]+)\)$/\1/p')"
        fcount="$(printf '%s\n' "$line" | sed -nE 's/.* Tests: ([0-9]+) Failed: ([0-9]+)\)$/\2/p')"
        if [ -z "$fcount" ]; then
            echo "tap: unreadable summary entry: $line" >&2
            fcount=0
        fi
        failed_tests=$((failed_tests + fcount))
        # prove also lists a file whose TODO tests passed ("Wstat: 0 ...
        # Failed: 0", then "TODO passed: N"): that file did not fail.
        if [ "$fcount" -eq 0 ] && printf '%s\n' "$line" | grep -q '(Wstat: 0 '; then
            echo "tap: ${line%% *}: TODO tests passed (a known gap did not show this run)" >&2
            continue
        fi
        if [ "$fcount" -eq 0 ]; then
            echo "tap: ${line%% *}: the script failed (died, non-zero exit or bad plan) after ${ftests:-?} tests" >&2
            fcount=1
        else
            echo "tap: ${line%% *}: $fcount of ${ftests:-?} tests failed" >&2
        fi
        failed=$((failed + fcount))
    done < <(sed -n '/^Test Summary Report$/,/^Files=/p' "$log" | grep -E '^[^ -].* \(Wstat: ' || true)
    local passed=$((tests - failed_tests))
    if [ "$passed" -lt 0 ]; then passed=0; fi
    if [ "$ran" -ne "$files" ]; then
        echo "tap: prove ran $ran test files of $files" >&2
        failed=$((failed + files - ran))
    fi
    if [ "$result" != "Result: PASS" ] && [ "$failed" -eq 0 ]; then
        echo "tap: prove says '$result' but its report names no failing file" >&2
        failed=1
    fi
    if [ "$status" -ne 0 ] && [ "$failed" -eq 0 ]; then
        echo "tap: prove exited with status $status" >&2
        failed=1
    fi
    if [ "$tests" -eq 0 ] && [ "$failed" -eq 0 ]; then
        echo "tap: no test ran" >&2
        failed=1
    fi
    echo "$passed $failed"
}

# count_status STATUS: a test that is one program (a client driver test).
count_status() {
    if [ "$1" -eq 0 ]; then echo "1 0"; else echo "0 1"; fi
}

# --- totals over the suites ---------------------------------------------------

PASSED=0
FAILED=0
FAILED_NAMES=()

# take_counts COUNT_FUNCTION ARGS...: sets ok and bad from one of the count_*
# functions above (its diagnostics go to stderr as they are).
take_counts() {
    local out
    out="$("$@")" || true
    ok="${out% *}"
    bad="${out#* }"
}

# record SUITE PASSED FAILED: adds a suite's counts to the totals and prints
# them. Counts that are not numbers (a counting function that broke) are one
# failure.
record() {
    if ! [[ "$2" =~ ^[0-9]+$ && "$3" =~ ^[0-9]+$ ]]; then
        echo "$1: unreadable counts '$2' '$3'" >&2
        set -- "$1" 0 1
    fi
    PASSED=$((PASSED + $2))
    FAILED=$((FAILED + $3))
    if [ "$3" -gt 0 ]; then FAILED_NAMES+=("$1($3)"); fi
    printf '%-12s %4d passed, %d failed\n' "$1" "$2" "$3"
}

# report_totals: the failed suites, then "N passed, N failed" as the last
# line; returns non-zero when anything failed.
report_totals() {
    echo
    if [ "$FAILED" -gt 0 ]; then echo "failed suites: ${FAILED_NAMES[*]}"; fi
    echo "${PASSED} passed, ${FAILED} failed"
    [ "$FAILED" -eq 0 ]
}
