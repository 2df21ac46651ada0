#!/usr/bin/env bash
# ONNX Runtime vs Trajectory for one request at a time (history of 50 real ML-1M items, k = 10),
# for SASRec and the seed LSTM trained on ML-1M: the exported model in ONNX Runtime (in process,
# 1 thread and its default threads), the same model in Trajectory (`bench latency`, in process,
# 1 thread), and `trajectory serve` over HTTP from one keep-alive connection. Medians of ROUNDS
# rounds. Latency does not depend on how well a model is trained, so the runs train for EPOCHS
# (default 1) unless SASREC_RUN / LSTM_RUN name trained ones. Results: bench/onnx-results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/trajectory}
DATA=${DATA:-../shared/data/ml-1m/ml-1m.txt}
OUT=bench/out
EPOCHS=${EPOCHS:-1}
ROUNDS=${ROUNDS:-3}
REQUESTS=${REQUESTS:-1000}
mkdir -p "$OUT"
[ -f "$DATA" ] || { echo "skipped: $DATA not found (the real data set lives in ../shared/data)"; exit 0; }
VENV=$OUT/venv-onnx
[ -x $VENV/bin/python ] || python3 -m venv $VENV
$VENV/bin/python -c "import onnxruntime, numpy" 2>/dev/null || $VENV/bin/pip install -q onnxruntime numpy

[ -f "$OUT/ml1m/manifest.json" ] || $BIN prepare "$DATA" --out "$OUT/ml1m" --force > /dev/null
SASREC_RUN=${SASREC_RUN:-$OUT/run-onnx-sasrec}
LSTM_RUN=${LSTM_RUN:-$OUT/run-onnx-lstm}
[ -f "$SASREC_RUN/config.json" ] || $BIN train "$OUT/ml1m" --model sasrec --out "$SASREC_RUN" --epochs "$EPOCHS" --force > /dev/null
[ -f "$LSTM_RUN/config.json" ] || $BIN train "$OUT/ml1m" --model lstm --out "$LSTM_RUN" --epochs "$EPOCHS" --force > /dev/null

RESULTS=$OUT/onnx.jsonl
: > "$RESULTS"
for FAMILY in sasrec lstm; do
  RUN=$SASREC_RUN; [ "$FAMILY" = lstm ] && RUN=$LSTM_RUN
  $BIN export "$RUN" --out "$OUT/$FAMILY.onnx" --top-k 10 --force > /dev/null
  for ROUND in $(seq 1 "$ROUNDS"); do
    $VENV/bin/python bench/onnx_latency.py "$BIN" "$RUN" "$OUT/$FAMILY.onnx" "$FAMILY" "$REQUESTS" >> "$RESULTS"
  done
done
CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
$VENV/bin/python bench/onnx_latency.py report "$RESULTS" "$CPU" "$(nproc)" > "${REPORT:-bench/onnx-results.md}"
cat "${REPORT:-bench/onnx-results.md}"
