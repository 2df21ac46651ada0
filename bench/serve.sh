#!/usr/bin/env bash
# Serving benchmark: wrk on loopback against `trajectory serve` (a SASRec run on ML-1M),
# POST /v1/predict with histories of 50 real ML-1M items, k = 10, API key on, at 1, 16 and 64
# connections; in the middle of the 64-connection run the model is hot-reloaded
# (POST /admin/reload). The same server's GET /healthz (no model work) runs at each connection
# count in the same round, so predictions/s read as a share of what the HTTP stack itself
# serves on this host. Medians of ROUNDS rounds. Results: bench/serve-results.md.
# RUN=dir reuses a trained run (default bench/out/run-ml1m-sasrec, trained for EPOCHS if missing).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/trajectory
DATA=${DATA:-../shared/data/ml-1m/ml-1m.txt}
OUT=bench/out
RUN=${RUN:-$OUT/run-ml1m-sasrec}
DURATION=${DURATION:-15}
EPOCHS=${EPOCHS:-10}
MODEL=${MODEL:-sasrec}   # MODEL=lstm RUN=bench/out/run-ml1m-lstm REPORT=bench/serve-lstm-results.md: the seed LSTM
ROUNDS=${ROUNDS:-3}   # each connection count runs ROUNDS times; the report gives medians
mkdir -p "$OUT"
[ -f "$DATA" ] || { echo "skipped: $DATA not found (the real data set lives in ../shared/data)"; exit 0; }
command -v wrk >/dev/null || { SUDO=$( [ "$(id -u)" = 0 ] || echo sudo ); $SUDO apt-get update -qq; $SUDO apt-get install -y -qq wrk; }

if [ ! -f "$RUN/config.json" ]; then
  $BIN prepare "$DATA" --out "$OUT/ml1m" --force > /dev/null
  $BIN train "$OUT/ml1m" --model "$MODEL" --out "$RUN" --epochs "$EPOCHS" --exclude-seen --force
fi

WORK=$(mktemp -d)
SERVER=""
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
export KEY BODIES=$WORK/bodies.jsonl
KEY=$($BIN keys create --db "$WORK/history.sqlite" --name bench --quiet)
python3 bench/serve_bodies.py "$DATA" 500 50 > "$BODIES"
PORT=${PORT:-18181}
$BIN serve "$RUN" --db "$WORK/history.sqlite" --port "$PORT" --watch-seconds 0 --log-level warning &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
URL=http://127.0.0.1:$PORT/v1/predict
wrk -t1 -c4 -d3s -s bench/serve.lua "$URL" > /dev/null   # warm-up

RESULTS=$OUT/serve.jsonl
: > "$RESULTS"
for ROUND in $(seq 1 "$ROUNDS"); do
  for C in 1 16 64; do
    RELOAD=""
    if [ "$C" = 64 ]; then
      # A new checkpoint time makes a new model id: the reload really swaps models mid-run.
      ( sleep $((DURATION / 2)); touch "$RUN/best.safetensors"
        curl -s -XPOST -H "Authorization: Bearer $KEY" "http://127.0.0.1:$PORT/admin/reload" > "$WORK/reload.json" ) &
      RELOAD=$!
    fi
    wrk -t1 -c"$C" -d"${DURATION}s" --latency --timeout 5s -s bench/serve.lua "$URL" > "$WORK/wrk-$C.txt"
    [ -n "$RELOAD" ] && wait "$RELOAD"
    python3 bench/serve_report.py parse "$WORK/wrk-$C.txt" "$C" "${RELOAD:+$WORK/reload.json}" predict | tee -a "$RESULTS"
    wrk -t1 -c"$C" -d"${DURATION}s" --latency --timeout 5s "http://127.0.0.1:$PORT/healthz" > "$WORK/wrk-healthz-$C.txt"
    python3 bench/serve_report.py parse "$WORK/wrk-healthz-$C.txt" "$C" "" healthz | tee -a "$RESULTS"
  done
done
curl -s "http://127.0.0.1:$PORT/metrics" | grep -E '^trajectory_batch_size_(sum|count)|^trajectory_model_reloads_total|^trajectory_batch_cap' > "$WORK/metrics.txt" || true
kill $SERVER; wait $SERVER 2>/dev/null || true; SERVER=""
# The model alone, by batch size: the curve the batcher's cap comes from (1 thread, as serve's default on 2 cores).
$BIN bench latency "$RUN" --history-length 50 --batch 1,2,4,8,16,32,64 --requests 100 --threads 1 > "$WORK/curve.jsonl"
FAMILY=$(python3 -c "import json,sys; print({'sasrec': 'SASRec', 'lstm': 'the seed LSTM', 'gru4rec': 'GRU4Rec'}.get(json.load(open(sys.argv[1]))['model'], 'a model'))" "$RUN/config.json")
CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
python3 bench/serve_report.py report "$RESULTS" "$WORK/metrics.txt" "$(nproc)" "$CPU" "$FAMILY" "$WORK/curve.jsonl" > "${REPORT:-bench/serve-results.md}"
cat "${REPORT:-bench/serve-results.md}"
