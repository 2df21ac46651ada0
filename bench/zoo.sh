#!/usr/bin/env bash
# Every model on one data set, trained to early stopping with its defaults, beside popularity
# and first-order Markov: full ranking, test split, with and without seen-item filtering.
# Usage: NAME=beauty DATA=../shared/data/amazon-beauty/Beauty.txt bash bench/zoo.sh
#        NAME=ml1m DATA=../shared/data/ml-1m/ml-1m.txt MODELS=sasrec TRAIN_ARGS=--exclude-seen bash bench/zoo.sh
# Results: bench/zoo-NAME-results.md (raw lines in bench/out/zoo-NAME.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/trajectory
NAME=${NAME:-beauty}
DATA=${DATA:-../shared/data/amazon-beauty/Beauty.txt}
MODELS=${MODELS:-sasrec gru4rec lstm}
OUT=bench/out
mkdir -p "$OUT"
[ -f "$DATA" ] || { echo "skipped: $DATA not found"; exit 0; }
DS=$OUT/$NAME
$BIN prepare "$DATA" --out "$DS" --force > /dev/null
RESULTS=$OUT/zoo-$NAME.jsonl
: > "$RESULTS"
for model in $MODELS; do
  RUN=$OUT/run-$NAME-$model
  # REUSE=1 evaluates a run already trained by this script (its log says the command) instead of training again.
  if [ "${REUSE:-0}" != 1 ] || [ ! -f "$RUN/best.safetensors" ]; then
    $BIN train "$DS" --model "$model" --out "$RUN" --force --threads 2 ${TRAIN_ARGS:-} > "$OUT/run-$NAME-$model.log" 2>&1
  fi
  for filter in "" "--exclude-seen"; do
    $BIN evaluate "$RUN" --json $filter --threads 2 | python3 -c "import json,sys; d=json.load(sys.stdin); d['model']='$model'; d['run']='$RUN'; print(json.dumps(d))" >> "$RESULTS"
  done
done
for filter in "" "--exclude-seen"; do
  for baseline in popularity markov; do
    $BIN evaluate "$DS" --baseline $baseline --json $filter >> "$RESULTS"
  done
done
python3 - "$RESULTS" "$NAME" "$DATA" <<'PY' > "bench/zoo-$NAME-results.md"
import json, sys, time
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
name, data = sys.argv[2], sys.argv[3]
print(f"# {name}: every model beside the baselines\n")
import os
extra = os.environ.get("TRAIN_ARGS", "")
print(f"Measured {time.strftime('%Y-%m-%d', time.gmtime())} by `NAME={name} DATA={data}"
      f"{' MODELS=' + repr(os.environ['MODELS']) if 'MODELS' in os.environ else ''}{' TRAIN_ARGS=' + repr(extra) if extra else ''} bash bench/zoo.sh`: "
      "each model trained with its defaults to early stopping on validation NDCG@10, then the best checkpoint "
      "evaluated on the leave-one-out test items with full ranking over every item, all users.\n")
print("| model | epochs (best) | training time | HR@10 | NDCG@10 | MRR | HR@10 filtered | NDCG@10 filtered | MRR filtered |")
print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
seen = []
for r in rows:
    if r["model"] in seen:
        continue
    seen.append(r["model"])
    plain = next(x for x in rows if x["model"] == r["model"] and not x["seen_filtered"])
    filtered = next(x for x in rows if x["model"] == r["model"] and x["seen_filtered"])
    if "run" in r:
        epochs = [json.loads(l) for l in open(r["run"] + "/metrics.jsonl") if l.strip()]
        best = max(epochs, key=lambda e: e["valid"]["NDCG@10"])["epoch"]
        seconds = sum(e["seconds"] for e in epochs)
        trained = f"{len(epochs)} ({best}) | {int(seconds // 60)}:{int(seconds % 60):02d}"
    else:
        trained = "- | -"
    print(f"| {r['model']} | {trained} | {plain['HR@10']:.4f} | {plain['NDCG@10']:.4f} | {plain['MRR']:.4f} | "
          f"{filtered['HR@10']:.4f} | {filtered['NDCG@10']:.4f} | {filtered['MRR']:.4f} |")
PY
cat "bench/zoo-$NAME-results.md"
