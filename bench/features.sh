#!/usr/bin/env bash
# Behaviour-aware trajectories on generated shop logs with known answers (`synth --funnel`):
# next-buy ranking (`train --target-event buy`, full ranking, the same test users and targets
# everywhere) for SASRec with the whole trajectory and event types / time gaps / categories as
# features, the same model on ids only, the same model trained on buys only, and the popularity
# and Markov baselines of the next buy; then the control log (`--no-signal`, event types drawn
# independently) with and without features. SEEDS data seeds; results: bench/features-results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/trajectory}
OUT=bench/out/features
SEEDS=${SEEDS:-"1 2 3"}
USERS=${USERS:-2000}
ITEMS=${ITEMS:-1000}
EPOCHS=${EPOCHS:-40}
FEATURES=${FEATURES:-event,time-gap,category}
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
train() {  # name data run [flags...]: trains SASRec on the next buy and appends its test metrics
  local name=$1 data=$2 run=$3; shift 3
  local started=$(date +%s.%N)
  $BIN train "$data" --out "$run" --model sasrec --target-event buy --epochs "$EPOCHS" --max-length 50 --force "$@" > "$run.log" 2>&1
  local seconds=$(echo "$(date +%s.%N) - $started" | bc)
  local epochs=$(grep -c '^epoch [0-9]*:' "$run.log" || true)
  $BIN evaluate "$run" --json | python3 -c "import json,sys; m=json.load(sys.stdin); print(json.dumps({'seed': $SEED, 'log': '$LOG', 'model': '$name', 'NDCG@10': m['NDCG@10'], 'HR@10': m['HR@10'], 'cases': m['cases'], 'seconds': $seconds, 'epochs': $epochs}))" >> "$RESULTS"
}
baseline() {  # name data
  $BIN evaluate "$2" --baseline "$1" --target-event buy --json | python3 -c "import json,sys; m=json.load(sys.stdin); print(json.dumps({'seed': $SEED, 'log': '$LOG', 'model': '$1', 'NDCG@10': m['NDCG@10'], 'HR@10': m['HR@10'], 'cases': m['cases']}))" >> "$RESULTS"
}
for SEED in $SEEDS; do
  for LOG in funnel control; do
    FLAGS=""; [ "$LOG" = control ] && FLAGS="--no-signal"
    D=$OUT/$LOG-$SEED
    $BIN synth --funnel $FLAGS --out "$D.csv" --users "$USERS" --items "$ITEMS" --seed "$SEED" --force > /dev/null
    $BIN prepare "$D.csv" --out "$D" --event event --attribute category --force > /dev/null
    train "sasrec + $FEATURES" "$D" "$D-features" --features "$FEATURES"
    train "sasrec, ids only" "$D" "$D-ids"
    if [ "$LOG" = funnel ]; then
      $BIN prepare "$D.csv" --out "$D-buys" --event event --keep-events buy --force > /dev/null
      train "sasrec, buys only" "$D-buys" "$D-buys-run"
      baseline popularity "$D"
      baseline markov "$D"
    fi
  done
done
CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
python3 bench/features_report.py "$RESULTS" "$CPU" "$(nproc)" "$FEATURES" > "${REPORT:-bench/features-results.md}"
cat "${REPORT:-bench/features-results.md}"
