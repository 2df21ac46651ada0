#!/usr/bin/env python3
"""bench/out/incremental/results.jsonl + the runs -> the markdown of bench/incremental-results.md.

Usage: incremental_report.py RESULTS.jsonl OUT_DIR CUT"""
import json
import subprocess
import sys
import time

rows = {}
for line in open(sys.argv[1]):
    if line.strip():
        row = json.loads(line)
        rows[row["label"]] = row
out, cut = sys.argv[2], sys.argv[3]


def epochs(run):
    return [json.loads(l) for l in open(f"{out}/{run}/metrics.jsonl") if l.strip()]


def metrics(label):
    return json.loads(rows[label]["last_stdout"])


manifest = json.load(open(f"{out}/all-manifest.json"))
parent = manifest["parent"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
warm_config = json.load(open(f"{out}/run-warm/config.json"))
old, scratch, warm = rows["train-old"], rows["train-scratch"], rows["train-warm"]
print("# Incremental training: warm start on newer data vs training from scratch\n")
print(f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {cpu}, 2 threads, by `bash bench/incremental.sh` "
      f"(one run; wall times of whole `train` commands, validation included).\n")
print(f"Log: MovieLens-1M raw ratings of users 1–2999 (`ratings.users1-2999.dat.gz`, {manifest['counts']['events']:,} events, "
      f"{manifest['counts']['users']:,} users), split at {cut}: yesterday's log is the events before it "
      f"({parent['items']:,} items), today's is all of them ({manifest['counts']['items']:,} items: {parent['newItems']} new, "
      f"prepared with `prepare --like`, so the old items keep their ids).\n")
print("Runs, all SASRec with its defaults (d 64, 2 blocks, full softmax, 45 epochs cosine):\n")
print(f"- **yesterday**: `train old --model sasrec` ({len(epochs('run-old'))} epochs, {old['median'] / 60:.1f} min; it exists before the update).")
print(f"- **scratch**: `train all --model sasrec`, from scratch on today's data ({len(epochs('run-scratch'))} epochs).")
t = warm_config["training"]
print(f"- **warm**: `train all --from run-old --window {cut}`: yesterday's weights and Adam moments for the old items, fresh rows "
      f"for the new ones; only events since {cut} are targets (the older history is their context); "
      f"{len(epochs('run-warm'))} epochs (the default: a quarter of the parent's {45}), lr {t['learningRate']} {t['schedule']}, no warm-up.\n")
print(f"Evaluation: leave-one-out on today's data, full ranking over all {manifest['counts']['items']:,} items; "
      f"**newest events** = the users whose held-out (last) event is on or after {cut} "
      f"({metrics('eval-scratch-newest')['users']:,} users); all users ({metrics('eval-scratch')['users']:,}) for reference.\n")
print("| model | train wall (min) | NDCG@10 newest | HR@10 newest | NDCG@10 newest, seen filtered | HR@10 newest, seen filtered | NDCG@10 all users | NDCG@10 all, filtered |")
print("|---|---:|---:|---:|---:|---:|---:|---:|")
for who, train in (("scratch", scratch), ("warm", warm)):
    n, f, a, af = metrics(f"eval-{who}-newest"), metrics(f"eval-{who}-filtered-newest"), metrics(f"eval-{who}"), metrics(f"eval-{who}-filtered")
    print(f"| {who} | {train['median'] / 60:.2f} | {n['NDCG@10']:.4f} | {n['HR@10']:.4f} | {f['NDCG@10']:.4f} | {f['HR@10']:.4f} | {a['NDCG@10']:.4f} | {af['NDCG@10']:.4f} |")
for baseline in ("markov", "popularity"):
    n, f = metrics(f"eval-{baseline}-newest"), metrics(f"eval-{baseline}-filtered-newest")
    print(f"| {baseline} | – | {n['NDCG@10']:.4f} | {n['HR@10']:.4f} | {f['NDCG@10']:.4f} | {f['HR@10']:.4f} | | |")
ratio_time = warm["median"] / scratch["median"]
ratio = metrics("eval-warm-newest")["NDCG@10"] / metrics("eval-scratch-newest")["NDCG@10"]
ratio_filtered = metrics("eval-warm-filtered-newest")["NDCG@10"] / metrics("eval-scratch-filtered-newest")["NDCG@10"]
print(f"\nWarm start against scratch: **{ratio_time:.2f}×** the training time (target ≤ 0.25×); NDCG@10 on the newest events "
      f"**{ratio:.3f}×** scratch's unfiltered and **{ratio_filtered:.3f}×** seen-filtered (target ≥ 0.98×, i.e. within 2 %).")
