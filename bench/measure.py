#!/usr/bin/env python3
"""Runs a command several times; prints one JSON line with the wall times, their median and
the peak RSS of the child (from getrusage), so benchmarks need no extra tools.

usage: measure.py RUNS LABEL -- COMMAND...
"""
import json
import resource
import statistics
import subprocess
import sys
import time

runs = int(sys.argv[1])
label = sys.argv[2]
command = sys.argv[sys.argv.index("--") + 1:]
walls, peak, stdout = [], 0, ""
for _ in range(runs):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    start = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True)
    walls.append(time.perf_counter() - start)
    if done.returncode != 0:
        sys.exit(f"{label}: exit {done.returncode}\n{done.stderr}")
    # ru_maxrss of children is the max over all children so far (KiB on Linux).
    peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss)
    stdout = done.stdout
print(json.dumps({"label": label, "runs": runs, "walls": [round(w, 4) for w in walls],
                  "median": round(statistics.median(walls), 4), "peak_rss_mb": round(peak / 1024, 1),
                  "last_stdout": stdout.strip().splitlines()[-1] if stdout.strip() else ""}))
