#!/usr/bin/env bash
# Input features on real data: MovieLens-1M raw ratings (users 1–2999, the part with
# timestamps in ../shared/data), genres from movies.dat as an item attribute, timestamps as time
# gaps. SASRec ablation: ids only / + time-gap / + genre / all, SEEDS seeds, test NDCG@10 and
# HR@10 unfiltered and seen-filtered, and the median epoch time of each (the features' cost).
# Results: bench/features-movielens-results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/trajectory}
SHARED=${SHARED:-../shared/data/ml-1m}
OUT=bench/out/features-ml1m
SEEDS=${SEEDS:-"1 2 3"}
EPOCHS=${EPOCHS:-30}
FEATURE_SETS=${FEATURE_SETS:-"none time-gap genre time-gap,genre"}
[ -f "$SHARED/ratings.users1-2999.dat.gz" ] || { echo "skipped: $SHARED/ratings.users1-2999.dat.gz not found"; exit 0; }
mkdir -p "$OUT"
DATA=$OUT/data
[ -f "$DATA/manifest.json" ] || $BIN prepare "$SHARED/ratings.users1-2999.dat.gz" --out "$DATA" --item-attributes "$SHARED/movies.dat" \
  --attribute genre=3 --min-user-events 5 --min-item-events 5 --force > /dev/null
RESULTS=$OUT/results.jsonl
[ -n "${APPEND:-}" ] || : > "$RESULTS"   # APPEND=1 adds seeds to an earlier run's results
for SEED in $SEEDS; do
  for FEATURES in $FEATURE_SETS; do
    RUN=$OUT/run-$FEATURES-$SEED
    FLAGS=(); [ "$FEATURES" != none ] && FLAGS=(--features "$FEATURES")
    $BIN train "$DATA" --out "$RUN" --model sasrec --epochs "$EPOCHS" --seed "$SEED" --exclude-seen "${FLAGS[@]}" --force > "$RUN.log" 2>&1
    PLAIN=$($BIN evaluate "$RUN" --json)
    FILTERED=$($BIN evaluate "$RUN" --exclude-seen --json)
    python3 - "$RUN" "$FEATURES" "$SEED" "$PLAIN" "$FILTERED" >> "$RESULTS" <<'PY'
import json, statistics, sys
run, features, seed, plain, filtered = sys.argv[1:6]
plain, filtered = json.loads(plain), json.loads(filtered)
epochs = [json.loads(line) for line in open(run + "/metrics.jsonl") if line.strip()]
print(json.dumps({"features": features, "seed": int(seed), "NDCG@10": plain["NDCG@10"], "HR@10": plain["HR@10"],
                  "filtered NDCG@10": filtered["NDCG@10"], "filtered HR@10": filtered["HR@10"],
                  "epoch seconds": statistics.median(e["seconds"] for e in epochs), "epochs": len(epochs), "best": epochs[-1]["best_epoch"]}))
PY
  done
done
CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
python3 - "$RESULTS" "$CPU" "$(nproc)" "$EPOCHS" > "${REPORT:-bench/features-movielens-results.md}" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("# Input features on MovieLens-1M (raw ratings, users 1–2999)\n")
print(f"Host: {sys.argv[2]}, {sys.argv[3]} cores. `bash bench/features-movielens.sh`: SASRec defaults, at most {sys.argv[4]} epochs, best epoch by "
      "seen-filtered validation NDCG@10; leave-one-out over every rating, full ranking. Medians over seeds, each seed listed.\n")
print("| features | NDCG@10 | HR@10 | filtered NDCG@10 | filtered HR@10 | filtered NDCG@10 per seed | epoch s (median) |")
print("|---|---:|---:|---:|---:|---|---:|")
base = None
for features in dict.fromkeys(r["features"] for r in rows):
    group = [r for r in rows if r["features"] == features]
    m = lambda k: statistics.median(r[k] for r in group)
    seconds = m("epoch seconds")
    if features == "none":
        base = seconds
    cost = "" if base is None or features == "none" else f" ({(seconds / base - 1) * 100:+.0f}%)"
    print(f"| {features} | {m('NDCG@10'):.4f} | {m('HR@10'):.4f} | {m('filtered NDCG@10'):.4f} | {m('filtered HR@10'):.4f} | "
          + " / ".join("%.4f" % r["filtered NDCG@10"] for r in sorted(group, key=lambda r: r["seed"])) + f" | {seconds:.2f}{cost} |")
PY
cat "${REPORT:-bench/features-movielens-results.md}"
