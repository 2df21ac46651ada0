#!/usr/bin/env bash
# Speed benchmark of one model against its PyTorch peer (../shared/peer/pytorch/MODEL_ref.py):
# same data (ML-1M, ml-1m.txt), same protocol (128 x 200 batches, 2 threads, leave-one-out,
# full ranking), same number of epochs, same run. Usage: bench/speed.sh lstm|sasrec.
# Results: bench/MODEL-results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
MODEL=${1:-lstm}
# The peer trains on each user's latest window with a constant lr 1e-3 and the plain softmax:
# match it, so an epoch is the same work on both sides.
case $MODEL in
  sasrec) SAME_AS_PEER="--sliding-stride 0 --exclude-seen-from-loss off --lr 0.001 --warmup 0 --schedule constant" ;;
  *) SAME_AS_PEER="" ;;
esac
BIN=.build/release/trajectory
DATA=${DATA:-../shared/data/ml-1m/ml-1m.txt}
PEER_DIR=${PEER_DIR:-../shared/peer/pytorch}
EPOCHS=${EPOCHS:-3}
OUT=bench/out
mkdir -p "$OUT"
RESULTS=$OUT/$MODEL.jsonl
: > "$RESULTS"
[ -f "$DATA" ] || { echo "skipped: $DATA not found (the real data set lives in ../shared/data)"; exit 0; }

if [ ! -x .venv-peer/bin/python ] || ! .venv-peer/bin/python -c "import torch" 2>/dev/null; then
  python3 -m venv .venv-peer
  .venv-peer/bin/pip install -q "torch==2.13.0+cpu" numpy safetensors
fi

$BIN prepare "$DATA" --out "$OUT/ml1m" --force > /dev/null
RUN=$OUT/run-$MODEL
python3 bench/measure.py 1 trajectory-train -- $BIN train "$OUT/ml1m" --model "$MODEL" --out "$RUN" --epochs "$EPOCHS" --patience 1000 --threads 2 --force $SAME_AS_PEER | tee -a "$RESULTS"
python3 - "$RUN/metrics.jsonl" <<'PY' | tee -a "$RESULTS"
import json, statistics, sys
epochs = [json.loads(l) for l in open(sys.argv[1])]
secs = [e["seconds"] for e in epochs]
timed = secs[1:] if len(secs) > 1 else secs
print(json.dumps({"label": "trajectory-epochs", "epoch_secs": secs, "losses": [e["train_loss"] for e in epochs], "median_after_warmup": statistics.median(timed)}))
PY
$BIN evaluate "$RUN" --weights last --json --threads 2 | python3 -c 'import json,sys; d=json.load(sys.stdin); d["label"]="trajectory-eval"; print(json.dumps(d))' | tee -a "$RESULTS"
for L in 50 200; do
  $BIN bench latency "$RUN" --history-length $L --threads 2 | python3 -c "import json,sys; d=json.load(sys.stdin); d['label']='trajectory-latency-$L'; print(json.dumps(d))" | tee -a "$RESULTS"
done
$BIN bench gemm --threads 2 | python3 -c 'import json,sys; [print(json.dumps({**json.loads(l), "label": "trajectory-gemm"})) for l in sys.stdin]' | tee -a "$RESULTS"

.venv-peer/bin/python "$PEER_DIR/${MODEL}_ref.py" --data "$DATA" --epochs "$EPOCHS" --threads 2 2> "$OUT/$MODEL-peer.log" \
  | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); d["label"]="pytorch"; print(json.dumps(d))' | tee -a "$RESULTS"

python3 bench/speed_report.py "$RESULTS" "$MODEL" > "bench/$MODEL-results.md"
cat "bench/$MODEL-results.md"
