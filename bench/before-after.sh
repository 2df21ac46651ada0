#!/usr/bin/env bash
# Epoch time of two builds of trajectory on the same host, interleaved, same data and seed:
# OLD=path/to/old/trajectory NEW=path/to/new/trajectory bash bench/before-after.sh
# (the epoch seconds, training loss and validation NDCG@10 of epoch 1, lstm and sasrec, two rounds).
set -u
DATA=${DATA:-../shared/data/ml-1m/ml-1m.txt}
OUT=${OUT:-bench/out/before-after}
OLD=${OLD:?the old build}
NEW=${NEW:-.build/release/trajectory}
mkdir -p $OUT
$NEW prepare $DATA --out $OUT/ml1m --force > /dev/null
SAS="--model sasrec --sliding-stride 0 --exclude-seen-from-loss off --lr 0.001 --warmup 0 --schedule constant"
for round in 1 2; do
  for v in old new; do
    BIN=$OLD; [ $v = new ] && BIN=$NEW
    $BIN train $OUT/ml1m --out $OUT/$v-lstm-$round --epochs 1 --threads 2 --force > /dev/null 2>&1
    echo "lstm $v $round $(cat $OUT/$v-lstm-$round/metrics.jsonl | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["seconds"], d["train_loss"], d["valid"]["NDCG@10"])')"
    $BIN train $OUT/ml1m --out $OUT/$v-sasrec-$round --epochs 1 --threads 2 --force $SAS > /dev/null 2>&1
    echo "sasrec $v $round $(cat $OUT/$v-sasrec-$round/metrics.jsonl | python3 -c 'import json,sys; d=json.loads(sys.stdin.readline()); print(d["seconds"], d["train_loss"], d["valid"]["NDCG@10"])')"
  done
done
