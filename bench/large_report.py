#!/usr/bin/env python3
"""bench/out/large.jsonl + the run's metrics.jsonl -> the markdown of bench/large-results.md.

Usage: large_report.py RESULTS.jsonl RUN_DIR"""
import json
import subprocess
import sys
import time

rows = {}
for line in open(sys.argv[1]):
    if line.strip():
        row = json.loads(line)
        rows[row["label"]] = row
epochs = [json.loads(l) for l in open(sys.argv[2] + "/metrics.jsonl") if l.strip()]
config = json.load(open(sys.argv[2] + "/config.json"))
data, train, evaluate = rows.get("dataset", {}), rows["train"], rows["evaluate"]
metrics = json.loads(evaluate["last_stdout"])
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
s = config["sasrec"]
print("# Large catalogue: SASRec with the sampled softmax, full-ranking evaluation\n")
print(f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {cpu}, 2 threads, by `make bench-large` (bench/large.sh).\n")
print(f"Data: `trajectory synth` with {data.get('items', '?'):,} items and {data.get('users', '?'):,} users, "
      f"{data.get('events', '?'):,} events (Zipf popularity, lognormal lengths, median 30).\n")
print(f"Model: SASRec d {s['hiddenSize']}, {s['blocks']} blocks, loss `{s['loss']}` with {s['negatives']} "
      f"{s['sampler']}-sampled items per batch (logQ-corrected), the most recent {config['training']['maxLength']} items, "
      f"{s['hiddenSize'] * s['vocabulary']:,} embedding parameters.\n")
print("| step | wall (s) | peak RSS (MiB) |\n|---|---:|---:|")
print(f"| train ({len(epochs)} epoch{'s' if len(epochs) != 1 else ''}, full-ranking validation each) | {train['median']:.1f} | {train['peak_rss_mb'] * 1.048576:.0f} |")
print(f"| evaluate (test, full ranking over every item, all users) | {evaluate['median']:.1f} | {evaluate['peak_rss_mb'] * 1.048576:.0f} |")
print("\n| epoch | training (s) | loss | valid HR@10 | valid NDCG@10 |\n|---:|---:|---:|---:|---:|")
for e in epochs:
    print(f"| {e['epoch']} | {e['seconds']:.1f} | {e['train_loss']:.4f} | {e['valid']['HR@10']:.4f} | {e['valid']['NDCG@10']:.4f} |")
print(f"\nTest (full ranking over {data.get('items', 0):,} items): HR@10 {metrics['HR@10']:.4f}, NDCG@10 {metrics['NDCG@10']:.4f}, "
      f"MRR {metrics['MRR']:.4f}, {metrics['cases']:,} users, {metrics['seconds']:.1f} s.")
