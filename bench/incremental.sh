#!/usr/bin/env bash
# Keeping a model current, on a time-split real log: the ML-1M raw ratings of users 1–2999
# (../shared/data). Events before CUT are yesterday's log, all events today's. Today's dataset
# is prepared --like yesterday's; SASRec trained from scratch on it is compared with
# yesterday's SASRec warm-started on it (train --from, --window CUT: the new events are the
# targets, the older history is context). Both are evaluated on the same newest events.
# Results: bench/incremental-results.md (raw lines in bench/out/incremental/results.jsonl);
# CUT=2001-01-01 OUT=bench/out/incremental-2001 REPORT=bench/incremental-results-2001.md for a later cut.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.build/release/trajectory
RAW=${RAW:-../shared/data/ml-1m/ratings.users1-2999.dat.gz}
META=${META:-../shared/data/ml-1m/movies.dat}
CUT=${CUT:-2000-12-01}
SEEDS=${SEEDS:-1 2 3}
OUT=${OUT:-bench/out/incremental}
REPORT=${REPORT:-bench/incremental-results.md}
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
# A few seeds of each: one seed's NDCG@10 on ~1300 users moves by a few per cent.
for seed in $SEEDS; do
    python3 bench/measure.py 1 "train-scratch-$seed" -- $BIN train "$OUT/all" --model sasrec --seed "$seed" --out "$OUT/run-scratch-$seed" --force --threads 2 | tee -a "$RESULTS"
    python3 bench/measure.py 1 "train-warm-$seed" -- $BIN train "$OUT/all" --from "$OUT/run-old" --window "$CUT" --seed "$seed" --out "$OUT/run-warm-$seed" --force --threads 2 | tee -a "$RESULTS"
    for who in scratch warm; do
        for filter in "" --exclude-seen; do
            for since in "--since $CUT" ""; do
                label="eval-$who-$seed${filter:+-filtered}${since:+-newest}"
                python3 bench/measure.py 1 "$label" -- $BIN evaluate "$OUT/run-$who-$seed" --json $filter $since --threads 2 | tee -a "$RESULTS"
            done
        done
    done
done
for baseline in markov popularity; do
    python3 bench/measure.py 1 "eval-$baseline-newest" -- $BIN evaluate "$OUT/all" --baseline $baseline --json --since "$CUT" | tee -a "$RESULTS"
    python3 bench/measure.py 1 "eval-$baseline-filtered-newest" -- $BIN evaluate "$OUT/all" --baseline $baseline --json --exclude-seen --since "$CUT" | tee -a "$RESULTS"
done
python3 bench/incremental_report.py "$RESULTS" "$OUT" "$CUT" "$SEEDS" > "$REPORT"
cat "$REPORT"
