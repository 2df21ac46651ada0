#!/usr/bin/env bash
# Large catalogue: a generated dataset of 1,000,000 items and 100,000 users, SASRec trained
# with the sampled softmax (the full softmax per position is out of reach at this size on
# 2 cores), then evaluated with full ranking over all 1M items. Peak RSS of each step.
# Results: bench/large-results.md (raw lines in bench/out/large.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/trajectory
OUT=bench/out
ITEMS=${ITEMS:-1000000}
USERS=${USERS:-100000}
EPOCHS=${EPOCHS:-1}
mkdir -p "$OUT"
RESULTS=$OUT/large.jsonl
: > "$RESULTS"
DATA=$OUT/synth-1m-items
python3 bench/measure.py 1 synth -- $BIN synth --out "$DATA" --users "$USERS" --items "$ITEMS" --median-length 30 --min-length 5 \
    --max-length 400 --clusters 50 --no-ceiling --force | tee -a "$RESULTS"
$BIN info "$DATA" --json | python3 -c 'import json,sys; d=json.load(sys.stdin); print(json.dumps({"label": "dataset", **{k: d[k] for k in ("users", "items", "events") if k in d}}))' | tee -a "$RESULTS"
RUN=$OUT/run-large
python3 bench/measure.py 1 train -- $BIN train "$DATA" --model sasrec --loss sampled --negatives 1024 --sampler popularity \
    --max-length 50 --epochs "$EPOCHS" --out "$RUN" --force --threads 2 | tee -a "$RESULTS"
python3 bench/measure.py 1 evaluate -- $BIN evaluate "$RUN" --weights last --json --threads 2 | tee -a "$RESULTS"
python3 bench/large_report.py "$RESULTS" "$RUN" > bench/large-results.md
cat bench/large-results.md
