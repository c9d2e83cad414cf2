"""Helpers shared by the Python client tests (imported, not run: scripts/test.sh
runs test_*.py only)."""
import sys


def check(cond, what):
    """Prints ok/FAIL for one check; a failure ends the test with status 1."""
    if not cond:
        print("FAIL:", what)
        sys.exit(1)
    print("ok:", what)


def one(cur, query, params=()):
    """The first column of the first row of a query."""
    cur.execute(query, params)
    return cur.fetchone()[0]
