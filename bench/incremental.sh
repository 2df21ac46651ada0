#!/usr/bin/env bash
# Keeping a model current, on a time-split real log: the ML-1M raw ratings of users 1–2999
# (../shared/data). Events before CUT are yesterday's log, all events today's. Today's dataset
# is prepared --like yesterday's; SASRec trained from scratch on it is compared with
# yesterday's SASRec warm-started on it (train --from, --window CUT: the new events are the
# targets, the older history is context). Both are evaluated on the same newest events.
# Results: bench/incremental-results.md (raw lines in bench/out/incremental/results.jsonl).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/trajectory
RAW=${RAW:-../shared/data/ml-1m/ratings.users1-2999.dat.gz}
META=${META:-../shared/data/ml-1m/movies.dat}
CUT=${CUT:-2000-12-01}
OUT=bench/out/incremental
mkdir -p "$OUT"
RESULTS=$OUT/results.jsonl
: > "$RESULTS"
cut_seconds=$(date -u -d "$CUT" +%s)
zcat "$RAW" | awk -F'::' -v cut="$cut_seconds" '$4 < cut' > "$OUT/old.dat"
zcat "$RAW" > "$OUT/all.dat"
$BIN prepare "$OUT/old.dat" --out "$OUT/old" --item-meta "$META" --force
$BIN prepare "$OUT/all.dat" --like "$OUT/old" --out "$OUT/all" --force --json > "$OUT/all-manifest.json"
$BIN prepare "$OUT/all.dat" --like "$OUT/old" --out "$OUT/all" --force | tail -1

# Yesterday's model exists before the update; its time is listed, not compared.
python3 bench/measure.py 1 train-old -- $BIN train "$OUT/old" --model sasrec --out "$OUT/run-old" --force --threads 2 | tee -a "$RESULTS"
python3 bench/measure.py 1 train-scratch -- $BIN train "$OUT/all" --model sasrec --out "$OUT/run-scratch" --force --threads 2 | tee -a "$RESULTS"
python3 bench/measure.py 1 train-warm -- $BIN train "$OUT/all" --from "$OUT/run-old" --window "$CUT" --out "$OUT/run-warm" --force --threads 2 | tee -a "$RESULTS"

for who in scratch warm; do
    for filter in "" --filter-seen; do
        for since in "--since $CUT" ""; do
            label="eval-$who${filter:+-filtered}${since:+-newest}"
            python3 bench/measure.py 1 "$label" -- $BIN evaluate "$OUT/run-$who" --json $filter $since --threads 2 | tee -a "$RESULTS"
        done
    done
done
for baseline in markov popularity; do
    python3 bench/measure.py 1 "eval-$baseline-newest" -- $BIN evaluate "$OUT/all" --baseline $baseline --json --since "$CUT" | tee -a "$RESULTS"
    python3 bench/measure.py 1 "eval-$baseline-filtered-newest" -- $BIN evaluate "$OUT/all" --baseline $baseline --json --filter-seen --since "$CUT" | tee -a "$RESULTS"
done
python3 bench/incremental_report.py "$RESULTS" "$OUT" "$CUT" > bench/incremental-results.md
cat bench/incremental-results.md
