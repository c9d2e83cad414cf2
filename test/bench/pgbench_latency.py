#!/usr/bin/env python3
"""p50 / p99 / mean latency (ms) of the per-transaction logs pgbench -l wrote
in a directory, printed as one row after a name and before optional extra
columns. Usage: pgbench_latency.py NAME DIR [WIDTH] [EXTRA...]"""
import glob
import sys

name, directory = sys.argv[1], sys.argv[2]
width = int(sys.argv[3]) if len(sys.argv) > 3 else 44
extra = " ".join(sys.argv[4:])
lat = sorted(int(line.split()[2]) / 1000.0
             for f in glob.glob(directory + "/pgbench_log.*") for line in open(f))
if not lat:
    print(f"{name:{width}s} (no transactions)")
    sys.exit(0)
pick = lambda q: lat[min(len(lat) - 1, int(q * len(lat)))]
print(f"{name:{width}s} {pick(0.5):9.2f} {pick(0.99):9.2f} {sum(lat) / len(lat):9.2f}  {extra}".rstrip())
