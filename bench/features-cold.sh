#!/usr/bin/env bash
# Cold items: next-buy test targets that appear nowhere in training or validation (about 10 % of
# the test cases, `bench/cold_items.py make`): launched late, seen only in users' last sessions. SASRec --target-event buy
# with features event,time-gap,category (category rows also at the output) vs ids only; HR@10
# and NDCG@10 over the cold cases and the rest, ranked in ONNX Runtime from the exported runs.
# Results: bench/features-cold-results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=${BIN:-.build/release/trajectory}
OUT=bench/out/features-cold
SEEDS=${SEEDS:-"1 2 3"}
EPOCHS=${EPOCHS:-40}
PY=${PY:-.venv-python/bin/python}
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
for SEED in $SEEDS; do
  D=$OUT/shop-$SEED
  $BIN synth --funnel --out "$D-full.csv" --users 2000 --items 1000 --seed "$SEED" --force > /dev/null
  $PY bench/cold_items.py make "$D-full.csv" "$D.csv" 0.1 "$SEED"
  $BIN prepare "$D.csv" --out "$D" --event event --attribute category --force > /dev/null
  for MODEL in features ids; do
    FLAGS=(); [ "$MODEL" = features ] && FLAGS=(--features event,time-gap,category)
    $BIN train "$D" --out "$D-$MODEL" --model sasrec --target-event buy --epochs "$EPOCHS" --max-length 50 "${FLAGS[@]}" --force > "$D-$MODEL.log" 2>&1
    $BIN export "$D-$MODEL" --out "$D-$MODEL.onnx" --force > /dev/null
    $PY bench/cold_items.py rank "$D" "$D-$MODEL.onnx" "$D.csv.cold.json" | python3 -c "import json,sys; r=json.load(sys.stdin); r.update({'seed': $SEED, 'model': '$MODEL'}); print(json.dumps(r))" >> "$RESULTS"
  done
done
CPU=$(lscpu | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
python3 - "$RESULTS" "$CPU" "$(nproc)" > "${REPORT:-bench/features-cold-results.md}" <<'PY'
import json, statistics, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
print("# Cold items: next-buy targets never seen in training\n")
print(f"Host: {sys.argv[2]}, {sys.argv[3]} cores. `bash bench/features-cold.sh`: funnel logs (2000 users, 1000 items, 20 categories), about 10 % of "
      "the test cases made to target an item that appears only after the users' validation buys (launched late: absent from training, maybe viewed or carted before the test buy; `bench/cold_items.py`); SASRec `--target-event buy`, ranked over the whole "
      "catalogue in ONNX Runtime from the exported run. Medians over seeds, each seed listed.\n")
print("| model | cold cases | cold HR@10 | cold NDCG@10 | other cases HR@10 | other NDCG@10 | cold HR@10 per seed |")
print("|---|---:|---:|---:|---:|---:|---|")
names = {"features": "SASRec + event, time-gap, category (category rows at input and output)", "ids": "SASRec, ids only"}
for model in ["features", "ids"]:
    group = sorted([r for r in rows if r["model"] == model], key=lambda r: r["seed"])
    if not group:
        continue
    m = lambda part, key: statistics.median(r[part][key] for r in group)
    print(f"| {names[model]} | {m('cold', 'cases'):.0f} | {m('cold', 'HR@10'):.4f} | {m('cold', 'NDCG@10'):.4f} | {m('warm', 'HR@10'):.4f} | "
          f"{m('warm', 'NDCG@10'):.4f} | " + " / ".join("%.4f" % r["cold"]["HR@10"] for r in group) + " |")
print("\nChance for one of ~1000 items is HR@10 ≈ 0.01. Both models rank cold targets barely above chance, the attribute-aware one "
      "only slightly better: a cold item's row is zero and it scores by its category rows alone, which it shares with the warm items "
      "of its category, whose trained rows rank above it. What makes a funnel's next buy predictable (the carted item, copied from the "
      "history) needs an item row the model has learned; category rows do not replace it. The issue's target (cold HR@10 well above "
      "what ids reach) is not met by this design.")
PY
cat "${REPORT:-bench/features-cold-results.md}"
