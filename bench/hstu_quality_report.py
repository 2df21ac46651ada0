#!/usr/bin/env python3
"""bench/quality-results.md from bench/out/hstu-quality.jsonl (bench/hstu-quality.sh): per data
set and training arguments, each seed's test figures and their median, filtered and not."""
import json
import statistics
import sys
from collections import defaultdict

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
groups = defaultdict(lambda: defaultdict(dict))
for r in rows:
    groups[(r["dataset"], r["args"])][r["seed"]]["filtered" if r["seen_filtered"] else "all"] = r

print("# hstu: quality with its defaults\n")
print("Measured by `bash bench/hstu-quality.sh` (see its header): `trajectory train DATA --model hstu --seed S`, "
      "then `trajectory evaluate RUN [--exclude-seen]` on the leave-one-out test items, full ranking over "
      "every item, every user. Training time is the epochs' training passes; wall time adds the validations.\n")
for (dataset, args), seeds in groups.items():
    print(f"## {dataset}{' with ' + args if args else ', defaults'}\n")
    print("| seed | epochs | training min | wall min | HR@10 filtered | NDCG@10 filtered | MRR filtered | HR@10 | NDCG@10 | MRR |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    table = []
    for seed, pair in sorted(seen for seen in seeds.items()):
        f, a = pair.get("filtered"), pair.get("all")
        if not (f and a):
            continue
        wall = f.get("wall_seconds")
        values = [f["HR@10"], f["NDCG@10"], f["MRR"], a["HR@10"], a["NDCG@10"], a["MRR"]]
        table.append(values)
        print(f"| {seed} | {f['epochs']} | {f['training_seconds'] / 60:.1f} | {wall / 60 if wall else float('nan'):.1f} | "
              + " | ".join(f"{v:.4f}" for v in values) + " |")
    if len(table) > 1:
        medians = [statistics.median(column) for column in zip(*table)]
        print("| **median** | | | | " + " | ".join(f"**{v:.4f}**" for v in medians) + " |")
    print()
