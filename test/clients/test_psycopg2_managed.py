"""psycopg2 runs RushDB's managed-embedding flow the way an application
would: records in, a managed index created over them (the server embeds with
the built-in model), wait for readiness, then natural-language search with
"query" and a where filter; later writes are re-embedded; errors arrive with
their SQLSTATE. Every value travels as a query parameter.

Connection comes from the libpq environment (PGHOST, PGPORT, PGUSER). The
label is unique per run and everything created is deleted at the end.
"""
import sys
import uuid

import psycopg2
from psycopg2.extras import Json
from checks import check, one




def expect_error(conn, sqlstate, what, query, params=()):
    cur = conn.cursor()
    try:
        cur.execute(query, params)
    except psycopg2.Error as e:
        conn.rollback()
        check(e.pgcode == sqlstate, f"{what}: SQLSTATE {e.pgcode} ({e.pgerror.strip().splitlines()[0]})")
        return
    conn.rollback()
    check(False, f"{what}: expected SQLSTATE {sqlstate}, got no error")


def titles(result):
    return [r.get("title") for r in result]


def main():
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    label = "ManagedDoc_" + uuid.uuid4().hex[:8]
    docs = [
        {"title": "Deploy a Fiori app to Cloud Foundry", "area": "deploy"},
        {"title": "Flexible column layout for master-detail apps", "area": "ui"},
        {"title": "Bind an OData V4 model to a table", "area": "data"},
        {"title": "Theme your launchpad with the theme designer", "area": "ui"},
        {"title": ["list report", "object page", "smart filter bar"], "area": "ui"},
    ]
    created = one(cur, "SELECT rushdb.create_records(%s, %s)", (label, Json(docs)))
    check(len(created) == len(docs), "records created")

    ix = one(cur, "SELECT rushdb.create_index(%s)", (Json({"label": label, "propertyName": "title"}),))
    check(ix["status"] == "pending" and ix["sourceType"] == "managed", "managed index starts pending")
    check(ix["modelKey"] == "builtin-lexical-v1" and ix["dimensions"] == 384, "defaults: built-in model, 384 dims")

    ready = one(cur, "SELECT rushdb.wait_for_index(%s, 60)", (ix["id"],))
    check(ready["status"] == "ready", "backfill reaches ready")
    stats = one(cur, "SELECT rushdb.index_stats(%s)", (ix["id"],))
    check(stats["indexedRecords"] == len(docs) and stats["pendingRecords"] == 0, f"all records embedded: {stats}")

    def search(params):
        return one(cur, "SELECT rushdb.search(%s)", (Json({"label": label, "propertyName": "title", **params}),))

    hits = search({"query": "column layout master detail", "limit": 2})
    check(titles(hits)[0] == docs[1]["title"], f"query text ranks the matching record first: {titles(hits)}")
    check(0.5 < hits[0]["__score"] <= 1.0 and hits[0]["__score"] >= hits[1]["__score"], "scores ordered in (0.5, 1]")
    hits = search({"query": "smart filter bar", "limit": 1})
    check(hits[0]["title"] == docs[4]["title"], "string array is searchable by one item")
    hits = search({"query": "theme", "limit": 3, "where": {"area": "data"}})
    check(titles(hits) == [docs[2]["title"]], "where filter applies to text search")

    # A later write is embedded; an update re-embeds.
    rec = one(cur, "SELECT rushdb.create_record(%s, %s)", (label, Json({"title": "Analytical cards on overview pages"})))
    ready = one(cur, "SELECT rushdb.wait_for_index(%s, 60)", (ix["id"],))
    check(ready["status"] == "ready", "ready after a new record")
    check(search({"query": "analytical cards", "limit": 1})[0]["__id"] == rec["__id"], "new record found by text")
    one(cur, "SELECT rushdb.update_record(%s, %s)", (rec["__id"], Json({"title": "Chart colors and palettes"})))
    one(cur, "SELECT rushdb.wait_for_index(%s, 60)", (ix["id"],))
    check(search({"query": "chart palettes", "limit": 1})[0]["__id"] == rec["__id"], "updated record found by its new words")
    old = {h["__id"]: h["__score"] for h in search({"query": "analytical cards", "limit": 10})}
    check(old.get(rec["__id"], 0.5) < 0.6, f"and no longer by its old ones (score {old.get(rec['__id'])})")

    # Errors carry SQLSTATEs and change nothing.
    expect_error(conn, "22023", "query and queryVector together",
                 "SELECT rushdb.search(%s)", (Json({"label": label, "propertyName": "title", "query": "x", "queryVector": [1]}),))
    expect_error(conn, "22023", "empty query",
                 "SELECT rushdb.search(%s)", (Json({"label": label, "propertyName": "title", "query": ""}),))
    expect_error(conn, "22023", "unknown built-in model",
                 "SELECT rushdb.create_index(%s)",
                 (Json({"label": label, "propertyName": "body", "modelKey": "builtin-nope"}),))
    check(one(cur, "SELECT count(*) FROM rushdb.embedding_indexes WHERE label = %s", (label,)) == 1,
          "failed create_index left no index")

    # Cleanup.
    one(cur, "SELECT rushdb.delete_index(%s)", (ix["id"],))
    one(cur, "SELECT rushdb.delete_records(ARRAY(SELECT id FROM rushdb.records WHERE label = %s))", (label,))
    check(one(cur, "SELECT count(*) FROM rushdb.records WHERE label = %s", (label,)) == 0, "cleaned up")
    conn.close()


if __name__ == "__main__":
    main()
