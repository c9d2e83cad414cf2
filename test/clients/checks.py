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


# The schema the embedding indexes' vector tables live in: the one place the
# client tests name it.
VECTOR_SCHEMA = "rushdb_internal"


def vector_table(cur, index_id):
    """The vector table of an embedding index (from rushdb.embedding_indexes),
    schema-qualified and quoted for SQL text."""
    return one(cur, "SELECT format('%%I.%%I', %s::text, vector_table) FROM rushdb.embedding_indexes"
               " WHERE id = %s::uuid", (VECTOR_SCHEMA, index_id))


def hnsw_index(cur, index_id):
    """The name of the rushdb_hnsw index on that table, as EXPLAIN shows it."""
    return one(cur, "SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid"
               " JOIN pg_am a ON a.oid = c.relam AND a.amname = 'rushdb_hnsw'"
               " WHERE i.indrelid = %s::regclass", (vector_table(cur, index_id),))


def with_plans(conn, cur, query, params=()):
    """Runs a query in this session with auto_explain reporting, as notices,
    the plan of every statement it runs (nested ones too: the query
    rushdb.search prepares inside). Returns (first column of the first row,
    [plan texts])."""
    cur.execute("LOAD 'auto_explain'")
    cur.execute("SET auto_explain.log_nested_statements = on; SET auto_explain.log_level = notice;"
                " SET auto_explain.log_format = text; SET auto_explain.log_min_duration = 0")
    del conn.notices[:]
    try:
        value = one(cur, query, params)
    finally:
        cur.execute("RESET auto_explain.log_min_duration")
    return value, [n for n in conn.notices if "plan:" in n]


def scans(plans, index_name):
    """Does one of the plans scan the index (an "Index Scan using <index> on")?"""
    return any(("Index Scan using %s on " % index_name) in p for p in plans)
