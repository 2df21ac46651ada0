#!/usr/bin/env bash
# Issue 19's question: at equal epochs, why do our test metrics trail the PyTorch peer's?
# Trains SASRec for EPOCHS epochs with the peer's recipe (latest window, lr 1e-3 constant, no
# warm-up, seen items kept in the loss) in Trajectory and in ../shared/peer/pytorch/sasrec_ref.py,
# for each seed in SEEDS, and reports unfiltered test HR@10 / NDCG@10 and the training loss in
# both definitions: the mean over targets (Trajectory's log) and the mean of batch means (the peer's).
# Results: bench/peer-gap-results.md (raw lines in bench/out/peer-gap.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/trajectory}
DATA=${DATA:-../shared/data/ml-1m/ml-1m.txt}
SEEDS=${SEEDS:-1 2 3}
EPOCHS=${EPOCHS:-3}
OUT=bench/out
RESULTS=$OUT/peer-gap.jsonl
mkdir -p "$OUT"
[ -f "$DATA" ] || { echo "skipped: $DATA not found"; exit 0; }
if [ ! -x .venv-peer/bin/python ] || ! .venv-peer/bin/python -c "import torch" 2>/dev/null; then
  python3 -m venv .venv-peer
  .venv-peer/bin/pip install -q "torch==2.13.0+cpu" numpy safetensors
fi
[ -f "$OUT/ml1m/manifest.json" ] || $BIN prepare "$DATA" --out "$OUT/ml1m" --force > /dev/null
: > "$RESULTS"
for seed in $SEEDS; do
  RUN=$OUT/run-peer-gap-seed$seed
  $BIN train "$OUT/ml1m" --model sasrec --out "$RUN" --epochs "$EPOCHS" --patience 1000 --seed "$seed" --force \
    --sliding-stride 0 --exclude-seen-from-loss off --lr 0.001 --warmup 0 --schedule constant > "$RUN.log" 2>&1
  $BIN evaluate "$RUN" --json | python3 -c "
import json, statistics, sys
d = json.load(sys.stdin)
e = [json.loads(l) for l in open('$RUN/metrics.jsonl')][-1]
assert e['steps_per_point'] == 1
print(json.dumps({'who': 'trajectory', 'seed': $seed, 'HR@10': d['HR@10'], 'NDCG@10': d['NDCG@10'],
                  'loss_per_target': e['train_loss'], 'loss_batch_mean': statistics.mean(e['step_losses'])}))" >> "$RESULTS"
  .venv-peer/bin/python ../shared/peer/pytorch/sasrec_ref.py --data "$DATA" --epochs "$EPOCHS" --seed "$seed" --threads 2 \
    --no-latency --out "$OUT/peer-gap-peer-seed$seed.json" > /dev/null 2> "$OUT/peer-gap-peer-seed$seed.log"
  python3 -c "
import json
d = json.loads(open('$OUT/peer-gap-peer-seed$seed.json').read().strip().splitlines()[-1])
print(json.dumps({'who': 'peer', 'seed': $seed, 'HR@10': d['test']['HR@10'], 'NDCG@10': d['test']['NDCG@10'],
                  'loss_batch_mean': d['train_loss'][-1]}))" >> "$RESULTS"
  rm -f "$OUT/peer-gap-peer-seed$seed.json"
done
cat "$RESULTS"
