#!/usr/bin/env python3
"""Independent check of gen_clustered's ground truth (stdlib only, pure Python).

    check_gt.py DIR [--queries 3] [--csv]

Reads DIR/base.fvecs, DIR/queries.fvecs, DIR/gt_l2.ivecs, DIR/gt_cosine.ivecs
and DIR/meta.json, recomputes the exact top-k of the first few queries by brute
force in double precision, and compares. The SIMD kernels work in float32, so
two neighbours whose distances differ by less than float rounding may be
ordered differently; such swaps are accepted when the double-precision distances
agree to a relative 1e-5. Everything else must match exactly: the same ids in
the same order, ties by the lower id.

With --csv it also checks that base.csv / queries.csv hold the same vectors as
the fvecs files, with 1-based ids (row + 1).

Pure Python is slow: about 1 s per query per 10,000 base vectors of 128 dims.
"""
import argparse
import json
import math
import os
import struct
import sys


def read_vecs(path, code):
    """Reads an fvecs ('f') or ivecs ('i') file into a list of tuples."""
    rows = []
    with open(path, "rb") as f:
        data = f.read()
    off = 0
    while off < len(data):
        (d,) = struct.unpack_from("<i", data, off)
        off += 4
        rows.append(struct.unpack_from("<%d%s" % (d, code), data, off))
        off += 4 * d
    return rows


def l2sq(a, b):
    return math.fsum((x - y) * (x - y) for x, y in zip(a, b))


def cosine(a, b):
    dot = math.fsum(x * y for x, y in zip(a, b))
    na = math.fsum(x * x for x in a)
    nb = math.fsum(y * y for y in b)
    if na == 0.0 or nb == 0.0:
        return math.inf
    c = max(-1.0, min(1.0, dot / math.sqrt(na * nb)))
    return 1.0 - c


def compare(name, qi, got, dist_of, k, rtol=1e-5):
    """Compares the generator's ids `got` with a double-precision brute force."""
    dists = dist_of
    want = sorted(range(len(dists)), key=lambda i: (dists[i], i))[:k]
    if list(got) == want:
        return True, 0
    # Accept only reorderings/substitutions among near-equal distances: the
    # i-th returned neighbour's distance must equal the true i-th distance.
    if len(got) != len(want) or len(set(got)) != len(got):
        print("  %s q%d: wrong length or duplicate ids" % (name, qi))
        return False, 0
    swaps = 0
    for rank, (g, w) in enumerate(zip(got, want)):
        if g == w:
            continue
        dg, dw = dists[g], dists[w]
        if abs(dg - dw) > rtol * max(abs(dw), 1e-12):
            print("  %s q%d rank %d: got id %d (d=%.9g), want id %d (d=%.9g)"
                  % (name, qi, rank, g, dg, w, dw))
            return False, swaps
        swaps += 1
    return True, swaps


def check_csv(path, vecs):
    with open(path) as f:
        for row, line in enumerate(f):
            ident, text = line.rstrip("\n").split("\t")
            if int(ident) != row + 1:
                raise SystemExit("%s line %d: id %s, expected %d" % (path, row + 1, ident, row + 1))
            vals = [float(x) for x in text.strip("[]").split(",")]
            # Round-trip through float32: the text must denote the same float.
            packed = struct.unpack("<%df" % len(vals), struct.pack("<%df" % len(vals), *vals))
            if packed != vecs[row]:
                raise SystemExit("%s line %d: vector differs from fvecs" % (path, row + 1))
    if row + 1 != len(vecs):
        raise SystemExit("%s: %d lines, expected %d" % (path, row + 1, len(vecs)))
    print("  %s: %d rows match the fvecs file (ids 1-based)" % (os.path.basename(path), len(vecs)))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("dir")
    ap.add_argument("--queries", type=int, default=3, help="queries to check (default 3)")
    ap.add_argument("--csv", action="store_true", help="also check base.csv / queries.csv")
    args = ap.parse_args()

    meta = json.load(open(os.path.join(args.dir, "meta.json")))
    base = read_vecs(os.path.join(args.dir, "base.fvecs"), "f")
    queries = read_vecs(os.path.join(args.dir, "queries.fvecs"), "f")
    gt = {m: read_vecs(os.path.join(args.dir, "gt_%s.ivecs" % m), "i") for m in ("l2", "cosine")}
    k = meta["k"]
    assert len(base) == meta["n"] and len(queries) == meta["queries"], "row counts vs meta.json"
    assert all(len(v) == meta["dims"] for v in base[:10] + queries[:10]), "dims vs meta.json"
    assert all(len(r) == k for r in gt["l2"] + gt["cosine"]), "gt rows must have k ids"
    assert len(gt["l2"]) == len(queries) == len(gt["cosine"])
    print("meta: n=%d dims=%d queries=%d k=%d seed=%d"
          % (meta["n"], meta["dims"], meta["queries"], k, meta["seed"]))

    ok = True
    for qi in range(min(args.queries, len(queries))):
        q = queries[qi]
        for name, fn in (("l2", l2sq), ("cosine", cosine)):
            dists = [fn(q, b) for b in base]
            good, swaps = compare(name, qi, gt[name][qi], dists, k)
            ok &= good
            print("  query %d %-6s: %s%s" % (qi, name, "ok" if good else "MISMATCH",
                                             " (%d near-tie swaps)" % swaps if swaps else ""))
    if args.csv:
        check_csv(os.path.join(args.dir, "base.csv"), base)
        check_csv(os.path.join(args.dir, "queries.csv"), queries)
    print("ground truth check: %s" % ("PASSED" if ok else "FAILED"))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
