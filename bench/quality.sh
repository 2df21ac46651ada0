#!/usr/bin/env bash
# Quality on ML-1M: the seed LSTM trained to early stopping (defaults: Adam 1e-3, batch 128,
# T = 200, patience 3) beside popularity and first-order Markov, full ranking, with and
# without seen-item filtering. Appends to bench/RESULTS.md's data: bench/out/quality.jsonl.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/trajectory
DATA=${DATA:-../shared/data/ml-1m/ml-1m.txt}
OUT=bench/out
RUN=${RUN:-$OUT/run-lstm-full}
mkdir -p "$OUT"
[ -f "$DATA" ] || { echo "skipped: $DATA not found"; exit 0; }
[ -d "$OUT/ml1m" ] || $BIN prepare "$DATA" --out "$OUT/ml1m" --force > /dev/null
if [ ! -f "$RUN/best.safetensors" ] || [ "${RETRAIN:-0}" = 1 ]; then
  $BIN train "$OUT/ml1m" --out "$RUN" --epochs 40 --patience 3 --force
fi
: > "$OUT/quality.jsonl"
for filter in "" "--exclude-seen"; do
  $BIN evaluate "$RUN" --json $filter | python3 -c 'import json,sys; d=json.load(sys.stdin); d["model"]="lstm"; print(json.dumps(d))' >> "$OUT/quality.jsonl"
  for baseline in popularity markov; do
    $BIN evaluate "$OUT/ml1m" --baseline $baseline --json $filter >> "$OUT/quality.jsonl"
  done
done
python3 - "$OUT/quality.jsonl" "$RUN/metrics.jsonl" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1])]
epochs = [json.loads(l) for l in open(sys.argv[2])]
best = max(epochs, key=lambda e: e["valid"]["NDCG@10"])
print(f"LSTM trained {len(epochs)} epochs (early stopping, patience 3); best validation NDCG@10 at epoch {best['epoch']}; "
      f"{sum(e['seconds'] for e in epochs) / 60:.1f} minutes of training.\n")
print("| model | seen filtered | HR@10 | NDCG@10 | MRR | HR@5 | HR@20 | NDCG@20 |")
print("|---|---|---:|---:|---:|---:|---:|---:|")
for r in rows:
    print(f"| {r['model']} | {'yes' if r['seen_filtered'] else 'no'} | {r['HR@10']:.4f} | {r['NDCG@10']:.4f} | {r['MRR']:.4f} | {r['HR@5']:.4f} | {r['HR@20']:.4f} | {r['NDCG@20']:.4f} |")
PY
