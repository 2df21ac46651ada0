#!/usr/bin/env bash
# The hstu family's quality with its defaults (`train --model hstu`, no other flag but --seed),
# on ML-1M and Amazon Beauty, SEEDS seeds each: test HR@10 / NDCG@10 / MRR with seen items
# filtered and not, full ranking, every user; beside the data sets' SASRec runs when present.
# Usage: bash bench/hstu-quality.sh            (SEEDS="1 2 3", DATASETS="ml1m beauty")
#        SEEDS=1 DATASETS=beauty TAG=4layers TRAIN_ARGS="--blocks 4" bash bench/hstu-quality.sh  (TAG names the runs)
# Results: bench/quality-results.md (raw lines in bench/out/hstu-quality.jsonl, appended).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/trajectory}
SEEDS=${SEEDS:-1 2 3}
DATASETS=${DATASETS:-ml1m beauty}
OUT=bench/out
RESULTS=$OUT/hstu-quality.jsonl
mkdir -p "$OUT"
touch "$RESULTS"
for name in $DATASETS; do
  case $name in
    ml1m) DATA=../shared/data/ml-1m/ml-1m.txt ;;
    beauty) DATA=../shared/data/amazon-beauty/Beauty.txt ;;
    *) echo "unknown data set $name"; exit 2 ;;
  esac
  [ -f "$DATA" ] || { echo "skipped $name: $DATA not found"; continue; }
  DS=$OUT/$name
  [ -f "$DS/manifest.json" ] || $BIN prepare "$DATA" --out "$DS" --force > /dev/null
  for seed in $SEEDS; do
    RUN=$OUT/run-$name-hstu${TAG:+-$TAG}-seed$seed
    # REUSE=1 evaluates a run this script trained before (same arguments) instead of training again.
    if [ "${REUSE:-0}" != 1 ] || [ ! -f "$RUN/best.safetensors" ]; then
      $BIN train "$DS" --model hstu --out "$RUN" --seed "$seed" --force ${TRAIN_ARGS:-} > "$RUN.log" 2>&1
    fi
    for filter in "" "--exclude-seen"; do
      $BIN evaluate "$RUN" --json $filter | python3 -c "
import json, sys
d = json.load(sys.stdin)
epochs = [json.loads(l) for l in open('$RUN/metrics.jsonl')]
d.update(dataset='$name', seed=$seed, args='${TRAIN_ARGS:-}', epochs=len(epochs),
         training_seconds=sum(e['seconds'] for e in epochs), wall_seconds=epochs[-1].get('elapsed_seconds'))
print(json.dumps(d))" >> "$RESULTS"
    done
  done
done
python3 bench/hstu_quality_report.py "$RESULTS" > bench/quality-results.md
cat bench/quality-results.md
