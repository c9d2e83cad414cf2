"""psycopg2 runs RushDB's "Bring Your Own Vectors" flow end to end through
the SQL API in schema rushdb, the way an application would: every value
travels as a query parameter (SDK objects as psycopg2.extras.Json, ids as
uuid[], vectors as text[] cast to rushdb.vector[]), never spliced into SQL.

Covers: create_index (jsonb SDK form), create_record / create_records with
inline vectors, upsert_vectors in its jsonb and array forms (idempotent,
2,000-row bulk), search (jsonb form: ranking, __score, where, limit, skip),
errors with their SQLSTATE leaving nothing changed, and cleanup.

Connection comes from the libpq environment (PGHOST, PGPORT, PGUSER). The
label is unique per run and everything created is deleted at the end, so the
test can run after (or alongside) other tests.
"""
import math
import sys
import uuid

import psycopg2
import psycopg2.extras
from psycopg2.extras import Json
from checks import check, one, hnsw_index, with_plans, scans

BULK = 2000
TOL = 1e-5




def expect_error(cur, sqlstate, what, query, params=()):
    try:
        cur.execute(query, params)
    except psycopg2.Error as e:
        check(e.pgcode == sqlstate,
              "%s -> SQLSTATE %s (want %s): %s" % (what, e.pgcode, sqlstate, (e.pgerror or "").strip().splitlines()[0]))
        return
    check(False, "%s -> expected SQLSTATE %s, but the call succeeded" % (what, sqlstate))


def cosine_score(a, b):
    dot = sum(x * y for x, y in zip(a, b))
    cos = dot / (math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b)))
    return (1 + cos) / 2


def euclid_score(a, b):
    return 1 / (1 + sum((x - y) ** 2 for x, y in zip(a, b)))


def vec_text(v):
    return "[" + ",".join(repr(float(x)) for x in v) + "]"


def bulk_vector(i, shift=0.0):
    # A distinct integer grid point per record: exact in float32.
    return [i % 10, (i // 10) % 10, i // 100, 0.5 + shift]


def main():
    psycopg2.extras.register_uuid()
    conn = psycopg2.connect("")
    conn.autocommit = True
    cur = conn.cursor()
    cur.execute("CREATE EXTENSION IF NOT EXISTS rushdb")

    label = "ByovPy_" + uuid.uuid4().hex[:12]
    created_indexes = []
    try:
        run(conn, cur, label, created_indexes)
    finally:
        # Best-effort cleanup when a check failed part-way (run() already
        # deleted everything on success, so this finds nothing then).
        for ix in created_indexes:
            try:
                cur.execute("SELECT rushdb.delete_index(%s::uuid)", (ix,))
            except psycopg2.Error:
                pass
        try:
            cur.execute("SELECT rushdb.delete_records(coalesce(array_agg(id), '{}'))"
                        " FROM rushdb.records WHERE label = %s", (label,))
        except psycopg2.Error:
            pass
        conn.close()


def record_count(cur, label):
    return one(cur, "SELECT count(*) FROM rushdb.records WHERE label = %s", (label,))


def stats(cur, ix):
    """The record counts of index_stats (it also reports the status)."""
    s = one(cur, "SELECT rushdb.index_stats(%s::uuid)", (ix,))
    return {k: s[k] for k in ("totalRecords", "indexedRecords")}


def run(conn, cur, label, created_indexes):
    # --- create_index, SDK form --------------------------------------------
    ix = one(cur, "SELECT rushdb.create_index(%s::jsonb)",
             (Json({"label": label, "propertyName": "body", "external": True,
                    "similarityFunction": "cosine", "dimensions": 3}),))
    created_indexes.append(ix["id"])
    body_ix = ix["id"]
    check(ix["label"] == label and ix["propertyName"] == "body" and ix["sourceType"] == "external"
          and ix["similarityFunction"] == "cosine" and ix["dimensions"] == 3
          and ix["status"] == "awaiting_vectors" and ix["enabled"] is True,
          "create_index(jsonb) external cosine/3 -> awaiting_vectors")
    got = one(cur, "SELECT rushdb.get_index(%s::uuid)", (body_ix,))
    check(got["id"] == body_ix and got["label"] == label, "get_index returns the new index")
    listed = one(cur, "SELECT rushdb.list_indexes()")
    check(any(i["id"] == body_ix for i in listed), "list_indexes includes the new index")

    n_indexes = "SELECT count(*) FROM rushdb.embedding_indexes WHERE label = %s"
    expect_error(cur, "23505", "duplicate create_index",
                 "SELECT rushdb.create_index(%s::jsonb)",
                 (Json({"label": label, "propertyName": "body", "external": True,
                        "similarityFunction": "cosine", "dimensions": 3}),))
    check(one(cur, n_indexes, (label,)) == 1, "failed duplicate left one index for the label")
    expect_error(cur, "55000", "search before any vector is written",
                 "SELECT rushdb.search(%s::jsonb)",
                 (Json({"label": label, "propertyName": "body", "queryVector": [1, 0, 0]}),))

    # --- create_record with inline __vectors ----------------------------------
    docs = {
        "alpha":   (2024, [1.0, 0.0, 0.0]),
        "beta":    (2023, [1.0, 1.0, 0.0]),
        "gamma":   (2019, [1.0, 0.1, 0.0]),
        "delta":   (2022, [0.0, 1.0, 0.0]),
        "epsilon": (2021, [-1.0, 0.0, 0.0]),
        "zeta":    (2025, [2.0, 1.0, 0.0]),
    }
    year, vec = docs["alpha"]
    rec = one(cur, "SELECT rushdb.create_record(%s, %s::jsonb)",
              (label, Json({"body": "alpha", "year": year,
                            "__vectors": [{"propertyName": "body", "vector": vec}]})))
    ids = {"alpha": rec["__id"]}
    check(rec["__label"] == label and rec["body"] == "alpha" and rec["year"] == 2024
          and "__vectors" not in rec and uuid.UUID(rec["__id"]).version == 7,
          "create_record with inline __vectors returns the record (UUIDv7 __id)")
    check(rec["__proptypes"] == {"body": "string", "year": "number"}, "__proptypes %s" % rec["__proptypes"])
    check(one(cur, "SELECT rushdb.get_index(%s::uuid)", (body_ix,))["status"] == "ready",
          "first vector makes the index ready")
    check(stats(cur, body_ix) == {"totalRecords": 1, "indexedRecords": 1}, "index_stats after one record")

    # --- create_records (bulk) with __vectors and $vectors --------------------
    items = []
    for name in ("beta", "gamma", "delta", "epsilon", "zeta"):
        year, vec = docs[name]
        key = "$vectors" if name == "epsilon" else "__vectors"
        items.append({"body": name, "year": year, key: [{"propertyName": "body", "vector": vec}]})
    recs = one(cur, "SELECT rushdb.create_records(%s, %s::jsonb)", (label, Json(items)))
    check(isinstance(recs, list) and [r["body"] for r in recs] == ["beta", "gamma", "delta", "epsilon", "zeta"]
          and all(r["__label"] == label for r in recs),
          "create_records returns the records in order")
    ids.update({r["body"]: r["__id"] for r in recs})
    check(stats(cur, body_ix) == {"totalRecords": 6, "indexedRecords": 6}, "index_stats after bulk create")
    got = one(cur, "SELECT rushdb.get_record(%s::uuid)", (ids["gamma"],))
    check(got["body"] == "gamma" and got["year"] == 2019, "get_record reads a bulk-created record")

    # --- failed writes change nothing -----------------------------------------
    expect_error(cur, "42704", "inline vector of the wrong length (no 4-dim index)",
                 "SELECT rushdb.create_record(%s, %s::jsonb)",
                 (label, Json({"body": "bad", "__vectors": [{"propertyName": "body", "vector": [1, 2, 3, 4]}]})))
    check(record_count(cur, label) == 6, "failed create_record left no record")
    expect_error(cur, "42704", "create_records whose last item has a bad vector",
                 "SELECT rushdb.create_records(%s, %s::jsonb)",
                 (label, Json([{"body": "ok1", "__vectors": [{"propertyName": "body", "vector": [0, 0, 1]}]},
                               {"body": "ok2"},
                               {"body": "bad", "__vectors": [{"propertyName": "body", "vector": [1, 2]}]}])))
    check(record_count(cur, label) == 6 and stats(cur, body_ix) == {"totalRecords": 6, "indexedRecords": 6},
          "failed create_records is all or nothing")

    # --- upsert_vectors, jsonb form: idempotent -------------------------------
    params = Json({"indexId": body_ix, "items": [{"recordId": ids["alpha"], "vector": docs["alpha"][1]}]})
    for attempt in (1, 2):
        res = one(cur, "SELECT rushdb.upsert_vectors(%s::jsonb)", (params,))
        check(res == {"updated": 1, "requested": 1}, "upsert_vectors(jsonb) attempt %d -> %s" % (attempt, res))
        check(stats(cur, body_ix) == {"totalRecords": 6, "indexedRecords": 6},
              "index_stats unchanged after re-upsert %d" % attempt)

    expect_error(cur, "22023", "upsert_vectors(jsonb) with a 4-dim vector into a 3-dim index",
                 "SELECT rushdb.upsert_vectors(%s::jsonb)",
                 (Json({"indexId": body_ix, "items": [{"recordId": ids["delta"], "vector": [0, 0, 0, 1]}]}),))
    expect_error(cur, "42704", "upsert_vectors(jsonb) into an unknown index",
                 "SELECT rushdb.upsert_vectors(%s::jsonb)",
                 (Json({"indexId": str(uuid.uuid4()), "items": [{"recordId": ids["delta"], "vector": [0, 0, 1]}]}),))
    expect_error(cur, "42704", "get_index of an unknown index",
                 "SELECT rushdb.get_index(%s::uuid)", (uuid.uuid4(),))
    expect_error(cur, "P0002", "upsert_vectors(jsonb) for a record that does not exist",
                 "SELECT rushdb.upsert_vectors(%s::jsonb)",
                 (Json({"indexId": body_ix, "items": [{"recordId": str(uuid.uuid4()), "vector": [0, 0, 1]}]}),))
    check(stats(cur, body_ix) == {"totalRecords": 6, "indexedRecords": 6}, "failed upserts left index_stats unchanged")

    # --- search, jsonb form: ranking, __score, where, limit, skip -------------
    query = [1.0, 0.0, 0.0]
    where = {"year": {"$gte": 2020}}
    expected = sorted((n for n in docs if docs[n][0] >= 2020), key=lambda n: -cosine_score(query, docs[n][1]))
    hits = one(cur, "SELECT rushdb.search(%s::jsonb)",
               (Json({"label": label, "propertyName": "body", "queryVector": query, "where": where, "limit": 10}),))
    check([h["body"] for h in hits] == expected, "search ranking with where %s: %s" % (where, [h["body"] for h in hits]))
    check(all(abs(h["__score"] - cosine_score(query, docs[h["body"]][1])) < TOL for h in hits),
          "__score = (1 + cos) / 2 for every hit")
    check(all(h["__id"] == ids[h["body"]] and h["__label"] == label and "__proptypes" in h for h in hits),
          "hits carry __id, __label, __proptypes")
    check(all(a["__score"] >= b["__score"] for a, b in zip(hits, hits[1:])), "scores non-increasing")
    check("gamma" not in [h["body"] for h in hits], "where filter excludes year 2019")

    unfiltered = one(cur, "SELECT rushdb.search(%s::jsonb)",
                     (Json({"labels": [label], "propertyName": "body", "queryVector": query}),))
    check([h["body"] for h in unfiltered] == sorted(docs, key=lambda n: -cosine_score(query, docs[n][1])),
          "search without where (labels: [one]) ranks all six")

    page = one(cur, "SELECT rushdb.search(%s::jsonb)",
               (Json({"label": label, "propertyName": "body", "queryVector": query, "where": where, "limit": 2}),))
    check([h["body"] for h in page] == expected[:2], "limit 2 -> %s" % [h["body"] for h in page])
    page = one(cur, "SELECT rushdb.search(%s::jsonb)",
               (Json({"label": label, "propertyName": "body", "queryVector": query, "where": where,
                      "limit": 2, "skip": 1}),))
    check([h["body"] for h in page] == expected[1:3], "limit 2 skip 1 -> %s" % [h["body"] for h in page])
    page = one(cur, "SELECT rushdb.search(%s::jsonb)",
               (Json({"label": label, "propertyName": "body", "queryVector": query, "where": where,
                      "limit": 5, "skip": 10}),))
    check(page == [], "skip past the end -> []")
    none = one(cur, "SELECT rushdb.search(%s::jsonb)",
               (Json({"label": label, "propertyName": "body", "queryVector": query, "where": {"year": 1900}}),))
    check(none == [], "where matching nothing -> []")
    expect_error(cur, "42704", "search with a 4-dim queryVector (no such index)",
                 "SELECT rushdb.search(%s::jsonb)",
                 (Json({"label": label, "propertyName": "body", "queryVector": [1, 0, 0, 0]}),))
    expect_error(cur, "22023", "search with limit 0",
                 "SELECT rushdb.search(%s::jsonb)",
                 (Json({"label": label, "propertyName": "body", "queryVector": query, "limit": 0}),))

    # --- array form: 2,000-row bulk upsert -------------------------------------
    ix = one(cur, "SELECT rushdb.create_index(%s::jsonb)",
             (Json({"label": label, "propertyName": "summary", "sourceType": "external",
                    "similarityFunction": "euclidean", "dimensions": 4}),))
    created_indexes.append(ix["id"])
    sum_ix = ix["id"]
    check(ix["similarityFunction"] == "euclidean" and ix["dimensions"] == 4 and ix["status"] == "awaiting_vectors",
          "second index (euclidean/4) on the same label")
    recs = one(cur, "SELECT rushdb.create_records(%s, %s::jsonb)",
               (label, Json([{"summary": "chunk %d" % i, "n": i} for i in range(BULK)])))
    check(len(recs) == BULK and [r["n"] for r in recs] == list(range(BULK)),
          "create_records of %d records without vectors" % BULK)
    bulk_ids = [uuid.UUID(r["__id"]) for r in recs]
    check(stats(cur, sum_ix) == {"totalRecords": BULK, "indexedRecords": 0}, "bulk records not indexed yet")
    check(stats(cur, body_ix) == {"totalRecords": 6, "indexedRecords": 6}, "body index unaffected by bulk records")

    upsert_arrays = "SELECT rushdb.upsert_vectors(%s::uuid, %s::uuid[], %s::text[]::rushdb.vector[])"
    vectors = [vec_text(bulk_vector(i)) for i in range(BULK)]
    for attempt in (1, 2):
        res = one(cur, upsert_arrays, (sum_ix, bulk_ids, vectors))
        check(res == {"updated": BULK, "requested": BULK}, "array upsert of %d, attempt %d -> %s" % (BULK, attempt, res))
        check(stats(cur, sum_ix) == {"totalRecords": BULK, "indexedRecords": BULK},
              "index_stats after array upsert attempt %d" % attempt)
    check(one(cur, "SELECT rushdb.get_index(%s::uuid)", (sum_ix,))["status"] == "ready", "bulk index ready")

    origin = [0.0, 0.0, 0.0, 0.0]

    def score_of(n):
        hits = one(cur, "SELECT rushdb.search(%s::jsonb)",
                   (Json({"label": label, "propertyName": "summary", "queryVector": origin,
                          "where": {"n": n}, "limit": 5}),))
        return hits

    ok = True
    for n in (0, 1, 777, BULK - 1):
        hits = score_of(n)
        ok = ok and len(hits) == 1 and hits[0]["n"] == n and hits[0]["__id"] == str(bulk_ids[n]) \
            and abs(hits[0]["__score"] - euclid_score(origin, bulk_vector(n))) < TOL
    check(ok, "stored bulk vectors read back through search (where n = k, euclidean __score)")

    # exact and ann, each with the plans of what it ran (auto_explain, this
    # session): exact must scan no HNSW index, ann the summary index's.
    # Fresh statistics first, as autovacuum would leave them.
    cur.execute("ANALYZE rushdb.records")
    target = 1234
    sum_hnsw = hnsw_index(cur, sum_ix)
    exact, exact_plans = with_plans(conn, cur, "SELECT rushdb.search(%s::jsonb)",
                                    (Json({"label": label, "propertyName": "summary", "queryVector": bulk_vector(target),
                                           "limit": 10, "mode": "exact"}),))
    check(len(exact) == 10 and exact[0]["n"] == target and abs(exact[0]["__score"] - 1.0) < TOL,
          "exact search finds the record's own vector with __score 1")
    exact_no_hnsw = bool(exact_plans) and not scans(exact_plans, sum_hnsw)
    check(exact_no_hnsw, "exact search scanned no HNSW index (%s)%s"
          % (sum_hnsw, "" if exact_no_hnsw else "; its plans:\n" + "\n".join(exact_plans)))
    ann, ann_plans = with_plans(conn, cur, "SELECT rushdb.search(%s::jsonb)",
                                (Json({"label": label, "propertyName": "summary", "queryVector": bulk_vector(target),
                                       "limit": 10, "mode": "ann"}),))
    ann_hnsw = scans(ann_plans, sum_hnsw)
    check(ann_hnsw, "ann search scanned the HNSW index %s%s"
          % (sum_hnsw, "" if ann_hnsw else "; its plans:\n" + "\n".join(ann_plans)))
    # The grid has many equidistant points, so the exact top 10 is one of
    # several equally right answers: an ANN hit counts when it is as close
    # as the exact 10th (by __score), not when it has the same id.
    tenth = min(h["__score"] for h in exact) if exact else 0.0
    as_close = sum(1 for h in ann if h["__score"] >= tenth - 1e-9)
    check(len(ann) == 10 and ann[0]["n"] == target and as_close >= 8,
          "ann (HNSW) search: top hit %s, %d of 10 as close as the exact 10th" % (ann[0]["n"] if ann else None, as_close))
    filtered = one(cur, "SELECT rushdb.search(%s::jsonb)",
                   (Json({"label": label, "propertyName": "summary", "queryVector": origin,
                          "where": {"n": {"$gte": 1000, "$lt": 1100}}, "limit": 3}),))
    best = sorted((euclid_score(origin, bulk_vector(n)) for n in range(1000, 1100)), reverse=True)[:3]
    check(len(filtered) == 3 and filtered[0]["n"] == 1000 and all(1000 <= h["n"] < 1100 for h in filtered)
          and all(abs(h["__score"] - b) < TOL for h, b in zip(filtered, best)),
          "range filter + ranking over the bulk index -> %s" % [h["n"] for h in filtered])

    # A repeated record id in one call: the last vector wins.
    res = one(cur, upsert_arrays, (sum_ix, [bulk_ids[0], bulk_ids[0]],
                                   [vec_text([9, 9, 9, 9]), vec_text(bulk_vector(0))]))
    check(res == {"updated": 1, "requested": 2}, "repeated id in one call -> %s" % res)
    check(abs(score_of(0)[0]["__score"] - euclid_score(origin, bulk_vector(0))) < TOL, "last vector wins")

    # A failing bulk call (last vector too short) writes none of its vectors.
    shifted = [vec_text(bulk_vector(i, shift=1.0)) for i in range(BULK)]
    shifted[-1] = "[1,2,3]"
    expect_error(cur, "22023", "array upsert of %d whose last vector has 3 dims" % BULK,
                 upsert_arrays, (sum_ix, bulk_ids, shifted))
    check(stats(cur, sum_ix) == {"totalRecords": BULK, "indexedRecords": BULK}
          and abs(score_of(0)[0]["__score"] - euclid_score(origin, bulk_vector(0))) < TOL
          and abs(score_of(BULK - 2)[0]["__score"] - euclid_score(origin, bulk_vector(BULK - 2))) < TOL,
          "failed array upsert changed no vector")
    expect_error(cur, "22023", "array upsert with 2 ids but 1 vector",
                 upsert_arrays, (sum_ix, bulk_ids[:2], vectors[:1]))
    expect_error(cur, "42704", "array upsert into an unknown index",
                 upsert_arrays, (uuid.uuid4(), bulk_ids[:1], vectors[:1]))
    expect_error(cur, "22023", "array upsert of a 3-dim vector into the 4-dim index",
                 upsert_arrays, (sum_ix, [uuid.UUID(ids["alpha"])], ["[1,0,0]"]))
    check(stats(cur, sum_ix) == {"totalRecords": BULK, "indexedRecords": BULK}, "index_stats unchanged after errors")

    # --- deletes and cleanup -----------------------------------------------------
    res = one(cur, "SELECT rushdb.delete_record(%s::uuid)", (ids["alpha"],))
    check(res == {"deleted": 1}, "delete_record -> %s" % res)
    check(stats(cur, body_ix) == {"totalRecords": 5, "indexedRecords": 5}, "deleting a record removes its vector")
    hits = one(cur, "SELECT rushdb.search(%s::jsonb)",
               (Json({"label": label, "propertyName": "body", "queryVector": query, "where": where}),))
    check([h["body"] for h in hits] == [n for n in expected if n != "alpha"], "deleted record no longer found")
    expect_error(cur, "P0002", "delete_record of a deleted record",
                 "SELECT rushdb.delete_record(%s::uuid)", (ids["alpha"],))

    remaining = [uuid.UUID(ids[n]) for n in docs if n != "alpha"] + bulk_ids
    res = one(cur, "SELECT rushdb.delete_records(%s::uuid[])", (remaining,))
    check(res == {"deleted": len(remaining)}, "delete_records -> %s" % res)
    check(record_count(cur, label) == 0, "no records of the label remain")
    check(stats(cur, sum_ix) == {"totalRecords": 0, "indexedRecords": 0}, "bulk index emptied by the deletes")

    for ix_id in (body_ix, sum_ix):
        res = one(cur, "SELECT rushdb.delete_index(%s::uuid)", (ix_id,))
        check(res.get("deleted") is True and res.get("id") == ix_id, "delete_index %s" % ix_id)
        created_indexes.remove(ix_id)
        expect_error(cur, "42704", "get_index after delete_index", "SELECT rushdb.get_index(%s::uuid)", (ix_id,))
    check(one(cur, n_indexes, (label,)) == 0, "no indexes of the label remain")


if __name__ == "__main__":
    main()
