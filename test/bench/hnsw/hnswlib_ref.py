#!/usr/bin/env python3
"""In-memory reference for the HNSW benchmark: Debian's hnswlib on the same
set, parameters and ef sweep as run_real.sh, so the graph-quality ceiling of
textbook HNSW sits next to the PostgreSQL figures.

    hnswlib_ref.py DIR M EF_CONSTRUCTION EF[,EF...] [--threads 2]

DIR is a fetch_*.sh output (base.csv, queries.csv, gt_cosine.ivecs). Prints
tab-separated lines: "build_s <s>", "recall_ef<ef> <r>", "qps_ef<ef> <q/s>"
(queries answered one at a time from Python, one thread, k = 10).
"""
import argparse
import struct
import sys
import time

import hnswlib
import numpy as np


def read_csv(path):
    rows = []
    with open(path) as f:
        for line in f:
            tab = line.index("\t")
            rows.append(np.array(line[tab + 2:line.rindex("]")].split(","), dtype=np.float32))
    return np.vstack(rows)


def read_ivecs(path, k):
    out = []
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos < len(data):
        (n,) = struct.unpack_from("<i", data, pos)
        ids = struct.unpack_from("<%di" % n, data, pos + 4)
        out.append(set(ids[:k]))
        pos += 4 + 4 * n
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("dir")
    ap.add_argument("m", type=int)
    ap.add_argument("ef_construction", type=int)
    ap.add_argument("efs")
    ap.add_argument("--threads", type=int, default=2)
    a = ap.parse_args()
    base = read_csv(a.dir + "/base.csv")
    queries = read_csv(a.dir + "/queries.csv")
    truth = read_ivecs(a.dir + "/gt_cosine.ivecs", 10)
    index = hnswlib.Index(space="cosine", dim=base.shape[1])
    index.init_index(max_elements=base.shape[0], M=a.m, ef_construction=a.ef_construction, random_seed=42)
    index.set_num_threads(a.threads)
    t0 = time.time()
    index.add_items(base, np.arange(base.shape[0]))
    print("build_s\t%.2f" % (time.time() - t0))
    index.set_num_threads(1)
    for ef in [int(x) for x in a.efs.split(",")]:
        index.set_ef(max(ef, 10))
        hits = 0
        t0 = time.time()
        for q in range(len(queries)):
            labels, _ = index.knn_query(queries[q:q + 1], k=10)
            hits += len(truth[q].intersection(int(x) for x in labels[0]))
        secs = time.time() - t0
        print("recall_ef%d\t%.4f" % (ef, hits / (10.0 * len(queries))))
        print("qps_ef%d\t%.0f" % (ef, len(queries) / secs))
        sys.stdout.flush()


if __name__ == "__main__":
    main()
