#!/usr/bin/env python3
"""Runs a command and says where the machine's CPU went meanwhile (Linux, stdlib only).

    cpu_run.py --postmaster PID --json OUT.json -- COMMAND [ARGS...]

The command's stdout and stderr pass through. OUT.json gets one object:

  wall        seconds the command ran
  cmd_cpu     CPU seconds of the command and its children (e.g. pgbench)
  server_cpu  CPU seconds of the PostgreSQL backends and parallel workers that
              exited meanwhile: the growth of the postmaster's cutime + cstime
              (/proc/PID/stat), read after waiting (up to 5 s) for the
              postmaster's child count to return to what it was before. A backend
              still running at the end (another session) is not counted, so run
              nothing else against the cluster meanwhile and keep autovacuum off.
  busy_cpu    CPU seconds the whole machine spent (user+nice+system+irq+softirq
              from /proc/stat), all processes of every user
  other_cpu   busy_cpu - cmd_cpu - server_cpu: everybody else's load
  steal       seconds of CPU the hypervisor gave to other guests
  cores       number of online CPUs
Divide a *_cpu figure by wall for the average number of cores it kept busy.
Exit status: the command's.
"""
import argparse
import json
import os
import resource
import subprocess
import sys
import time

TICK = os.sysconf("SC_CLK_TCK")


def proc_stat():
    with open("/proc/stat") as f:
        parts = f.readline().split()
    v = [int(x) for x in parts[1:]]
    user, nice, system, idle, iowait, irq, softirq = v[:7]
    steal = v[7] if len(v) > 7 else 0
    return (user + nice + system + irq + softirq) / TICK, steal / TICK


def pm_children_cpu(pid):
    with open("/proc/%d/stat" % pid) as f:
        s = f.read()
    fields = s[s.rindex(")") + 2:].split()  # fields from 3 (state) on
    cutime, cstime = int(fields[13]), int(fields[14])  # fields 16 and 17
    return (cutime + cstime) / TICK


def pm_child_count(pid):
    n = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open("/proc/%s/stat" % entry) as f:
                s = f.read()
        except OSError:
            continue
        if int(s[s.rindex(")") + 2:].split()[1]) == pid:
            n += 1
    return n


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--postmaster", type=int, required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("command", nargs=argparse.REMAINDER)
    a = ap.parse_args()
    cmd = a.command[1:] if a.command[:1] == ["--"] else a.command
    if not cmd:
        ap.error("no command")

    children0 = pm_child_count(a.postmaster)
    pm0 = pm_children_cpu(a.postmaster)
    busy0, steal0 = proc_stat()
    ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.monotonic()
    rc = subprocess.call(cmd)
    wall = time.monotonic() - t0
    ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
    busy1, steal1 = proc_stat()
    deadline = time.monotonic() + 5
    while pm_child_count(a.postmaster) > children0 and time.monotonic() < deadline:
        time.sleep(0.02)
    pm1 = pm_children_cpu(a.postmaster)
    cmd_cpu = (ru1.ru_utime - ru0.ru_utime) + (ru1.ru_stime - ru0.ru_stime)
    server_cpu = pm1 - pm0
    busy = busy1 - busy0
    out = {
        "wall": round(wall, 3),
        "cmd_cpu": round(cmd_cpu, 3),
        "server_cpu": round(server_cpu, 3),
        "busy_cpu": round(busy, 3),
        "other_cpu": round(max(0.0, busy - cmd_cpu - server_cpu), 3),
        "steal": round(steal1 - steal0, 3),
        "cores": os.cpu_count(),
    }
    with open(a.json, "w") as f:
        json.dump(out, f)
        f.write("\n")
    return rc


if __name__ == "__main__":
    sys.exit(main())
