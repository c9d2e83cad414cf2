#!/usr/bin/env python3
"""recall@k of search results against a ground-truth ivecs file (stdlib only).

    recall.py GT.ivecs RESULTS [--k 10] [--query-base 0] [--listed-only] [--json]
    recall.py --self-test

GT.ivecs    per query: int32 count, then count int32 ids, little-endian; ids are
            0-based row indexes into the base set (gen_clustered's gt_*.ivecs).
RESULTS     one line per query: "query_index<TAB>id1,id2,...", ids in rank
            order, 1-BASED as in base.csv (row + 1), i.e. the `id` column of a
            table loaded with COPY ... FROM 'base.csv'. query_index is the
            0-based row of the query in queries.fvecs by default; pass
            --query-base 1 when the results use the 1-based queries.csv ids.
            Blank lines and lines starting with '#' are ignored. An empty id
            list ("7<TAB>") means no results.

recall@k = mean over ALL ground-truth queries of
           |first k returned ids  ∩  first k true ids| / k
Duplicate returned ids count once; fewer than k returned ids simply score
lower; a query missing from RESULTS scores 0 (and is reported on stderr),
unless --listed-only, which averages over the queries RESULTS lists (a subset).

Prints "recall@K: R (Q queries)" on stdout, or a JSON object with --json.
Exit status: 0 ok, 2 bad input.
"""
import argparse
import json
import os
import struct
import sys
import tempfile


class InputError(Exception):
    pass


def read_ivecs(path):
    with open(path, "rb") as f:
        data = f.read()
    rows, off = [], 0
    while off < len(data):
        if off + 4 > len(data):
            raise InputError("%s: truncated row header at byte %d" % (path, off))
        (d,) = struct.unpack_from("<i", data, off)
        off += 4
        if d < 0 or off + 4 * d > len(data):
            raise InputError("%s: bad or truncated row of %d ids at byte %d" % (path, d, off - 4))
        rows.append(list(struct.unpack_from("<%di" % d, data, off)))
        off += 4 * d
    return rows


def read_results(path, nq, query_base):
    """Returns {0-based query index: [0-based ids in rank order]}."""
    results = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            line = line.rstrip("\r\n")
            if not line.strip() or line.lstrip().startswith("#"):
                continue
            if "\t" not in line:
                raise InputError("%s:%d: expected 'query_index<TAB>ids'" % (path, lineno))
            q_text, ids_text = line.split("\t", 1)
            try:
                q = int(q_text) - query_base
                ids = [int(x) - 1 for x in ids_text.split(",") if x.strip()]
            except ValueError:
                raise InputError("%s:%d: not integers: %r" % (path, lineno, line[:80]))
            if not 0 <= q < nq:
                raise InputError("%s:%d: query index %s outside the %d ground-truth queries "
                                 "(query base %d)" % (path, lineno, q_text, nq, query_base))
            if q in results:
                raise InputError("%s:%d: query %s listed twice" % (path, lineno, q_text))
            if any(i < 0 for i in ids):
                raise InputError("%s:%d: ids must be 1-based (>= 1)" % (path, lineno))
            results[q] = ids
    return results


def recall_at_k(gt, results, k, listed_only=False):
    """Returns (mean recall, per-query list, missing query count)."""
    if k < 1:
        raise InputError("k must be >= 1")
    per_query, missing = [], 0
    for q, truth in enumerate(gt):
        if listed_only and q not in results:
            continue
        if len(truth) < k:
            raise InputError("ground truth has only %d ids for query %d, need k=%d"
                             % (len(truth), q, k))
        got = results.get(q)
        if got is None:
            missing += 1
            got = []
        per_query.append(len(set(got[:k]) & set(truth[:k])) / k)
    mean = sum(per_query) / len(per_query) if per_query else 0.0
    return mean, per_query, missing


def evaluate(gt_path, results_path, k, query_base, listed_only=False):
    gt = read_ivecs(gt_path)
    if not gt:
        raise InputError("%s: no queries" % gt_path)
    results = read_results(results_path, len(gt), query_base)
    return recall_at_k(gt, results, k, listed_only)


def self_test():
    """Checks the computation on tiny hand-made inputs; returns failure count."""
    passed = failed = 0

    def check(name, cond):
        nonlocal passed, failed
        if cond:
            passed += 1
        else:
            failed += 1
            print("FAIL: %s" % name)

    with tempfile.TemporaryDirectory() as tmp:
        gt_path = os.path.join(tmp, "gt.ivecs")
        # 3 queries, 4 true neighbours each (0-based ids).
        gt_rows = [[5, 1, 9, 3], [0, 2, 4, 6], [7, 8, 10, 11]]
        with open(gt_path, "wb") as f:
            for row in gt_rows:
                f.write(struct.pack("<i%di" % len(row), len(row), *row))
        check("ivecs round trip", read_ivecs(gt_path) == gt_rows)

        def run(text, k, query_base=0):
            p = os.path.join(tmp, "res.tsv")
            with open(p, "w") as f:
                f.write(text)
            return evaluate(gt_path, p, k, query_base)

        # Results are 1-based: true ids + 1.
        perfect = "0\t6,2,10,4\n1\t1,3,5,7\n2\t8,9,11,12\n"
        check("perfect recall@4", run(perfect, 4)[0] == 1.0)
        check("perfect recall@2", run(perfect, 2)[0] == 1.0)
        # Query 0: top-2 returned {5,1}+1 -> hits 2/2; query 1: {0,9}: 1/2;
        # query 2: {3,4} (0-based 2,3): 0/2.  Mean = (1 + 0.5 + 0) / 3 = 0.5.
        mixed = "0\t6,2,99\n1\t1,10,3\n2\t3,4\n"
        mean, per_q, missing = run(mixed, 2)
        check("mixed recall@2", abs(mean - 0.5) < 1e-12 and per_q == [1.0, 0.5, 0.0]
              and missing == 0)
        # Order within the top k does not matter; beyond k is ignored.
        check("order ignored", run("0\t4,10,2,6\n1\t7,5,3,1\n2\t12,11,9,8\n", 4)[0] == 1.0)
        check("beyond k ignored", run("0\t99,6\n1\t1\n2\t8\n", 1)[0] == 2 / 3)
        # Missing query scores 0; short lists score by what they hold.
        mean, per_q, missing = run("0\t6\n2\t8,9,11,12\n", 4)
        check("missing + short", per_q == [0.25, 0.0, 1.0] and missing == 1
              and abs(mean - 1.25 / 3) < 1e-12)
        p = os.path.join(tmp, "res.tsv")
        mean, per_q, missing = evaluate(gt_path, p, 4, 0, listed_only=True)
        check("listed only", per_q == [0.25, 1.0] and missing == 0
              and abs(mean - 0.625) < 1e-12)
        # Duplicates count once.
        check("duplicates once", run("0\t6,6,6,6\n1\t\n2\t\n", 4)[1][0] == 0.25)
        # 1-based query indexes, comments and blank lines.
        check("query base 1", run("# header\n\n1\t6,2\n2\t1,3\n3\t8,9\n", 2, 1)[0] == 1.0)
        # Bad input is rejected.
        for bad, why in (("3\t1,2\n", "query out of range"),
                         ("0\t1,2\n0\t1,2\n", "duplicate query"),
                         ("0\t0,1\n", "0 is not a 1-based id"),
                         ("0 1,2\n", "no tab"),
                         ("0\t1,x\n", "not an integer")):
            try:
                run(bad, 2)
                check("rejects: " + why, False)
            except InputError:
                check("rejects: " + why, True)
        try:
            run(perfect, 5)
            check("k deeper than ground truth rejected", False)
        except InputError:
            check("k deeper than ground truth rejected", True)

    print("self-test: %d passed, %d failed" % (passed, failed))
    return failed


def main():
    ap = argparse.ArgumentParser(
        description="recall@k of search results against a ground-truth ivecs file")
    ap.add_argument("gt", nargs="?", help="ground truth .ivecs (0-based ids)")
    ap.add_argument("results", nargs="?", help="results: 'query_index<TAB>id1,id2,...' (1-based ids)")
    ap.add_argument("--k", type=int, default=10, help="recall depth (default 10)")
    ap.add_argument("--query-base", type=int, choices=(0, 1), default=0,
                    help="first query index used in RESULTS (default 0)")
    ap.add_argument("--listed-only", action="store_true",
                    help="average over the queries RESULTS lists, not all of the ground truth")
    ap.add_argument("--json", action="store_true", help="print a JSON object")
    ap.add_argument("--self-test", action="store_true", help="run the built-in checks")
    args = ap.parse_args()

    if args.self_test:
        return 1 if self_test() else 0
    if not args.gt or not args.results:
        ap.error("GT and RESULTS are required (or --self-test)")
    try:
        mean, per_query, missing = evaluate(args.gt, args.results, args.k, args.query_base,
                                           args.listed_only)
    except (InputError, OSError) as e:
        print("recall.py: error: %s" % e, file=sys.stderr)
        return 2
    if missing:
        print("recall.py: warning: %d of %d queries have no results (scored 0)"
              % (missing, len(per_query)), file=sys.stderr)
    if args.json:
        print(json.dumps({"k": args.k, "recall": mean, "queries": len(per_query),
                          "missing": missing, "min": min(per_query)}))
    else:
        print("recall@%d: %.4f (%d queries)" % (args.k, mean, len(per_query)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
