#!/usr/bin/env python3
"""bench/out/incremental/results.jsonl + the runs -> the markdown of bench/incremental-results.md.

Usage: incremental_report.py RESULTS.jsonl OUT_DIR CUT "SEED SEED…" """
import json
import statistics
import subprocess
import sys
import time

rows = {}
for line in open(sys.argv[1]):
    if line.strip():
        row = json.loads(line)
        rows[row["label"]] = row
out, cut, seeds = sys.argv[2], sys.argv[3], sys.argv[4].split()


def epochs(run):
    return [json.loads(l) for l in open(f"{out}/{run}/metrics.jsonl") if l.strip()]


def metrics(label):
    return json.loads(rows[label]["last_stdout"])


def mean(values):
    return statistics.fmean(values)


manifest = json.load(open(f"{out}/all-manifest.json"))
parent = manifest["parent"]
cpu = subprocess.run(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], capture_output=True, text=True).stdout.strip()
warm_config = json.load(open(f"{out}/run-warm-{seeds[0]}/config.json"))
t = warm_config["training"]
print(f"# Incremental training: warm start on newer data vs training from scratch (split at {cut})\n")
print(f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} on {cpu}, 2 threads, by `make bench-incremental` "
      f"(bench/incremental.sh): seeds {', '.join(seeds)}; train times are wall times of whole `train` commands, "
      f"validation included.\n")
print(f"Log: MovieLens-1M raw ratings of users 1–2999 (`ratings.users1-2999.dat.gz` in ../shared/data, "
      f"{manifest['counts']['events']:,} events, {manifest['counts']['users']:,} users), split at {cut}: yesterday's log is the "
      f"events before it ({parent['items']:,} items), today's is all of them ({manifest['counts']['items']:,} items: "
      f"{parent['newItems']} new), prepared with `prepare --like` yesterday's dataset, so old items keep their ids.\n")
print("Runs, all SASRec with its defaults (d 64, 2 blocks, full softmax, 45 epochs, lr 0.002 cosine):\n")
print(f"- **yesterday**: `train old --model sasrec` ({len(epochs('run-old'))} epochs, {rows['train-old']['median'] / 60:.1f} min; "
      f"it exists before the update, so its time is not counted).")
print("- **scratch**: `train all --model sasrec --seed S`, from scratch on today's data.")
print(f"- **warm**: `train all --from run-old --window {cut} --seed S`: yesterday's best weights and Adam moments for the old "
      f"items, fresh rows for the new ones; only events since {cut} are targets (the older history is their context); "
      f"the defaults of `--from`: a quarter of the parent's epochs ({t['epochs']}) at half its learning rate ({t['learningRate']}), "
      f"{t['schedule']} decay, no warm-up.\n")
newest_users = metrics(f"eval-scratch-{seeds[0]}-newest")["users"]
print(f"Evaluation: leave-one-out on today's data, full ranking over all {manifest['counts']['items']:,} items. "
      f"**Newest events** = the {newest_users:,} users whose held-out (last) event is on or after {cut} "
      f"(`evaluate RUN --since {cut}`); all {metrics(f'eval-scratch-{seeds[0]}')['users']:,} users for reference.\n")
print("| run | seed | train (min) | epochs | NDCG@10 newest | HR@10 newest | NDCG@10 newest, seen filtered | HR@10 newest, filtered | NDCG@10 all users | NDCG@10 all, filtered |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
summary = {}
for who in ("scratch", "warm"):
    values = {k: [] for k in ("time", "n", "nf", "a", "af")}
    for seed in seeds:
        train = rows[f"train-{who}-{seed}"]
        n, f = metrics(f"eval-{who}-{seed}-newest"), metrics(f"eval-{who}-{seed}-filtered-newest")
        a, af = metrics(f"eval-{who}-{seed}"), metrics(f"eval-{who}-{seed}-filtered")
        print(f"| {who} | {seed} | {train['median'] / 60:.2f} | {len(epochs(f'run-{who}-{seed}'))} | {n['NDCG@10']:.4f} | {n['HR@10']:.4f} | "
              f"{f['NDCG@10']:.4f} | {f['HR@10']:.4f} | {a['NDCG@10']:.4f} | {af['NDCG@10']:.4f} |")
        for key, value in (("time", train["median"]), ("n", n["NDCG@10"]), ("nf", f["NDCG@10"]), ("a", a["NDCG@10"]), ("af", af["NDCG@10"])):
            values[key].append(value)
    summary[who] = {k: mean(v) for k, v in values.items()}
    s = summary[who]
    print(f"| **{who}, mean** | | {s['time'] / 60:.2f} | | {s['n']:.4f} | | {s['nf']:.4f} | | {s['a']:.4f} | {s['af']:.4f} |")
for baseline in ("markov", "popularity"):
    n, f = metrics(f"eval-{baseline}-newest"), metrics(f"eval-{baseline}-filtered-newest")
    print(f"| {baseline} | | | | {n['NDCG@10']:.4f} | {n['HR@10']:.4f} | {f['NDCG@10']:.4f} | {f['HR@10']:.4f} | | |")
w, s = summary["warm"], summary["scratch"]
print(f"\nWarm start against scratch (means over seeds): **{w['time'] / s['time']:.2f}×** the training time (target ≤ 0.25×); "
      f"NDCG@10 on the newest events **{w['n'] / s['n']:.3f}×** scratch's, **{w['nf'] / s['nf']:.3f}×** seen-filtered "
      f"(target ≥ 0.98×, within 2 %); on all users {w['a'] / s['a']:.3f}× and {w['af'] / s['af']:.3f}×.")
spread = [metrics(f"eval-scratch-{seed}-newest")["NDCG@10"] for seed in seeds]
print(f"\nFor scale: scratch's own NDCG@10 on the newest events spans {min(spread):.4f}–{max(spread):.4f} across seeds.")
