#!/usr/bin/env python3
"""bench/out/MODEL.jsonl -> the markdown of bench/MODEL-results.md (ratios from one run).

Usage: speed_report.py RESULTS.jsonl lstm|sasrec"""
import json
import subprocess
import sys
import time

rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
model = sys.argv[2] if len(sys.argv) > 2 else "lstm"
# The issues' targets, as ratios to PyTorch (latency for SASRec is an absolute 0.3 ms).
TARGETS = {"lstm": {"epoch": "0.5x", "eval": "0.5x", "latency": "0.5x", "rss": "0.5x"},
           "sasrec": {"epoch": "0.4x", "eval": "0.5x", "latency": "0.3 ms", "rss": "-"}}[model]
TITLE = {"lstm": "Seed LSTM", "sasrec": "SASRec"}[model]
by = {}
for r in rows:
    by.setdefault(r["label"], []).append(r)
peer = by["pytorch"][0]
ours_epoch = by["trajectory-epochs"][0]["median_after_warmup"]
ours_eval = by["trajectory-eval"][0]["seconds"]
ours_rss = by["trajectory-train"][0]["peak_rss_mb"] * 1.048576  # MB -> MiB as the peer reports
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
print(f"# {TITLE}: Trajectory vs PyTorch\n")
print(f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {cpu}, 2 threads, by `make bench-{model}` (bench/speed.sh {model}): "
      f"ML-1M (`ml-1m.txt`, 6040 users, 3416 items), batches of 128 x 200, leave-one-out, full ranking, "
      f"{len(by['trajectory-epochs'][0]['epoch_secs'])} epochs each (epoch 1 is warm-up; median of the rest).\n")
print("| figure | Trajectory | PyTorch 2.13 | ratio | target |")
print("|---|---:|---:|---:|---:|")
def row(name, ours, theirs, target, fmt="{:.2f}"):
    print(f"| {name} | {fmt.format(ours)} | {fmt.format(theirs)} | {ours / theirs:.2f}x | <= {target} |")
row("seconds per epoch", ours_epoch, peer["epoch_secs_median_after_warmup"], TARGETS["epoch"])
row("full-ranking evaluation, all users (s)", ours_eval, peer["eval_secs_test_all_users"], TARGETS["eval"])
for L in (50, 200):
    lat = by.get(f"trajectory-latency-{L}")
    if lat and f"hist{L}" in peer.get("latency", {}):
        row(f"single request, history {L} (median ms)", lat[0]["median_ms"], peer["latency"][f"hist{L}"]["median_ms"], TARGETS["latency"] if L == 50 else "-", "{:.3f}")
row("peak RSS (MiB)", ours_rss, peer["peak_rss_mib"], TARGETS["rss"], "{:.0f}")
t = by["trajectory-eval"][0]
print(f"\nAfter the same {len(by['trajectory-epochs'][0]['epoch_secs'])} epochs, test metrics (unfiltered): Trajectory HR@10 {t['HR@10']:.4f}, "
      f"NDCG@10 {t['NDCG@10']:.4f}, MRR {t['MRR']:.4f}; PyTorch HR@10 {peer['test']['HR@10']:.4f}, NDCG@10 {peer['test']['NDCG@10']:.4f}, MRR {peer['test']['MRR']:.4f}.")
print(f"Training loss per epoch: Trajectory {[round(x, 4) for x in by['trajectory-epochs'][0].get('losses', [])] or 'see metrics.jsonl'}; PyTorch {peer['train_loss']}.")
print("\n## Matrix products (sgemm through OpenBLAS, 2 threads)\n")
print("| product | GFLOP/s |\n|---|---:|")
for g in by.get("trajectory-gemm", []):
    print(f"| {g['product']} | {g['gflops']} |")
print("\nThe 2-core fp32 peak quoted for this machine kind is ~157 GFLOP/s (Zen3); figures above it mean an AVX-512 (Zen4) host.")
