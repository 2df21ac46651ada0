#!/usr/bin/env bash
# ETL benchmark: `trajectory prepare` vs the pandas peer (../shared/peer/pandas/etl_pandas.py),
# same 1M-line MovieLens-format log, same job (5-core sequences), same run, same machine.
# Then a 20M-line log for linear scaling and peak RSS against the dataset's size on disk.
# Results: bench/etl-results.md (committed) and bench/out/ (raw JSON lines, ignored).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/trajectory
PEER=${PEER:-../shared/peer/pandas/etl_pandas.py}
RUNS=${RUNS:-7}
SCALE=${ETL_SCALE:-1}
OUT=bench/out
mkdir -p "$OUT"
RESULTS=$OUT/etl.jsonl
: > "$RESULTS"

if [ ! -x .venv-bench/bin/python ] || ! .venv-bench/bin/python -c "import pandas" 2>/dev/null; then
  python3 -m venv .venv-bench
  .venv-bench/bin/pip install -q pandas numpy
fi
PY=.venv-bench/bin/python

LOG=$OUT/synth-1m.dat
[ -f "$LOG" ] || $BIN synth --out "$LOG" --format movielens --seed 1 --force >/dev/null
lines=$(wc -l < "$LOG")
echo "log: $LOG ($lines lines, $(du -h "$LOG" | cut -f1))"

measure() { python3 bench/measure.py "$@" | tee -a "$RESULTS"; }
# Interleave the tools so drifting machine load hits both alike.
for round in 1 2 3; do
  measure "$RUNS" trajectory -- $BIN prepare "$LOG" --out "$OUT/ds-1m" --min-user-events 5 --min-item-events 5 --force
  measure "$RUNS" pandas-c -- $PY "$PEER" "$LOG" c "$OUT/pandas-c.txt"
done
measure 3 pandas-python -- $PY "$PEER" "$LOG" python "$OUT/pandas-python.txt"
# Same job, same answer: the dense sequences must match the peer's line for line.
python3 bench/compare_pandas.py "$OUT/ds-1m" "$OUT/pandas-c.txt" | tee -a "$RESULTS"

if [ "$SCALE" = 1 ]; then
  BIG=$OUT/synth-20m.dat
  [ -f "$BIG" ] || $BIN synth --out "$BIG" --format movielens --users 120800 --seed 2 --force >/dev/null
  echo "log: $BIG ($(wc -l < "$BIG") lines, $(du -h "$BIG" | cut -f1))"
  measure 3 trajectory-20m -- $BIN prepare "$BIG" --out "$OUT/ds-20m" --min-user-events 5 --min-item-events 5 --force
  du -sb "$OUT/ds-20m" | awk '{print "{\"label\": \"dataset-20m-bytes\", \"bytes\": " $1 "}"}' | tee -a "$RESULTS"
  wc -l < "$BIG" | awk '{print "{\"label\": \"lines-20m\", \"lines\": " $1 "}"}' | tee -a "$RESULTS"
fi
wc -l < "$LOG" | awk '{print "{\"label\": \"lines-1m\", \"lines\": " $1 "}"}' | tee -a "$RESULTS"

python3 bench/etl_report.py "$RESULTS" > bench/etl-results.md
cat bench/etl-results.md
