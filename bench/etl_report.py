#!/usr/bin/env python3
"""Turns bench/out/etl.jsonl into the markdown table of bench/etl-results.md."""
import json
import platform
import statistics
import subprocess
import sys
import time

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
def walls(label):
    return [w for r in rows if r["label"] == label for w in r["walls"]]
def peer_totals(label):
    # The peer prints its own total (after imports); use that, which favours the peer.
    out = [r["last_stdout"] for r in rows if r["label"] == label]
    return [float(s.split("total=")[1].split("s")[0]) for s in out if "total=" in s]
def one(label, key):
    return next((r[key] for r in rows if r["label"] == label), None)

cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
ours = statistics.median(walls("trajectory"))
pandas_c_wall = statistics.median(walls("pandas-c"))
pandas_py_wall = statistics.median(walls("pandas-python"))
pandas_c = statistics.median(peer_totals("pandas-c") or [pandas_c_wall])
pandas_py = statistics.median(peer_totals("pandas-python") or [pandas_py_wall])
print(f"# ETL benchmark: `trajectory prepare` vs pandas\n")
print(f"Measured {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())} on {cpu} ({platform.machine()}), "
      f"by `make bench-etl` (bench/etl.sh). Job: a {one('lines-1m', 'lines'):,}-line MovieLens-format log "
      "(`trajectory synth --format movielens --seed 1`) → 5-core per-user sequences with dense ids.\n")
print("| tool | median wall (s) | runs | ratio vs trajectory |")
print("|---|---:|---:|---:|")
print(f"| trajectory prepare (whole process) | {ours:.3f} | {len(walls('trajectory'))} | 1.0× |")
print(f"| pandas, C parser (peer's own timer, imports excluded) | {pandas_c:.3f} | {len(walls('pandas-c'))} | {pandas_c/ours:.1f}× slower |")
print(f"| pandas, C parser (whole process) | {pandas_c_wall:.3f} | {len(walls('pandas-c'))} | {pandas_c_wall/ours:.1f}× slower |")
print(f"| pandas, `engine=\"python\"` (peer's own timer) | {pandas_py:.3f} | {len(walls('pandas-python'))} | {pandas_py/ours:.1f}× slower |")
agree = next((r for r in rows if r["label"] == "pandas-agrees"), None)
if agree:
    print(f"\nBoth produce identical sequences ({agree['users']:,} users, {agree['events']:,} events; checked by bench/compare_pandas.py).")
print(f"\nPeak RSS: trajectory {one('trajectory', 'peak_rss_mb')} MB, pandas (C) {one('pandas-c', 'peak_rss_mb')} MB.")
if walls("trajectory-20m"):
    big = statistics.median(walls("trajectory-20m"))
    lines20 = one("lines-20m", "lines")
    lines1 = one("lines-1m", "lines")
    size = one("dataset-20m-bytes", "bytes")
    rss = one("trajectory-20m", "peak_rss_mb")
    print(f"\n## Scaling: {lines20:,} lines\n")
    print(f"| figure | value |\n|---|---:|")
    print(f"| median wall (s) | {big:.2f} |")
    print(f"| wall per line vs the 1M run | {(big/lines20)/(ours/lines1):.2f}× |")
    print(f"| dataset size on disk (MB) | {size/1e6:.1f} |")
    print(f"| peak RSS (MB) | {rss} |")
    print(f"| peak RSS / dataset size | {rss*1024*1024/size:.2f} |")
print("\nCommand: `make bench-etl` (RUNS=7 per round, 3 interleaved rounds; ETL_SCALE=0 skips the 20M run).")
