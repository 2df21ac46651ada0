#!/usr/bin/env bash
# Packs what a GPU host needs into gpu/ (ignored by git through .git/info/exclude; the device
# tool's `carry` takes it, 64 MiB at most): the static release tarball (make release), ML-1M and
# the PyTorch peer. On the GPU host (no Swift there):
#   bash gpu/run.sh                      # doctor, then the peer on CUDA beside it
set -euo pipefail
cd "$(dirname "$0")/../.."
TARBALL=$(ls -t dist/trajectory-*-linux-x86_64.tar.gz | head -1)
rm -rf gpu && mkdir -p gpu/data gpu/peer
cp "$TARBALL" gpu/trajectory.tar.gz
cp ../shared/data/ml-1m/ml-1m.txt gpu/data/
cp ../shared/peer/pytorch/*.py gpu/peer/
cat > gpu/run.sh <<'RUN'
#!/usr/bin/env bash
# On the GPU host: unpack, check every GPU (cuBLAS in each precision, each kernel against the
# CPU op, the LSTM's and SASRec's training step and scores against the CPU's), then each model
# on CUDA beside the PyTorch peer on the same GPU (ML-1M, 128 x 200 batches, 2 epochs each,
# fp32 and bf16). Every step has a time limit so one hang cannot eat the device budget.
set -uo pipefail
cd "$(dirname "$0")"
OUT=${OUT:-.}
T=${STEP_LIMIT:-150}
mkdir -p bin && tar -C bin --strip-components=1 -xzf trajectory.tar.gz
timeout $T bin/trajectory doctor --json > "$OUT/doctor.json"; echo "doctor exit $?"
timeout $T bin/trajectory doctor
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
bin/trajectory prepare data/ml-1m.txt --out ml1m --force > /dev/null
for model in lstm sasrec; do
  for precision in fp32 bf16; do
    run=run-$model-$precision
    extra=""; [ $model = sasrec ] && extra="--sliding-stride 0 --exclude-seen-from-loss off --lr 0.001 --warmup 0 --schedule constant"
    timeout $T bin/trajectory train ml1m --model $model --out $run --device cuda --precision $precision --epochs 2 --patience 100 --force $extra \
      > "$OUT/$run.log" 2>&1; echo "$run exit $?"; tail -3 "$OUT/$run.log"
    cp $run/metrics.jsonl "$OUT/$run-metrics.jsonl" 2>/dev/null
    timeout $T bin/trajectory evaluate $run --weights last --device cuda --json > "$OUT/$run-eval-cuda.json"; cat "$OUT/$run-eval-cuda.json"; echo
  done
  timeout $T bin/trajectory evaluate run-$model-fp32 --weights last --json > "$OUT/run-$model-fp32-eval-cpu.json"; cat "$OUT/run-$model-fp32-eval-cpu.json"; echo
  timeout $T python3 peer/${model}_ref.py --data data/ml-1m.txt --epochs 2 --device cuda --no-latency --out "$OUT/peer-$model-cuda.jsonl" 2>&1 | tail -2
  timeout $T python3 peer/${model}_ref.py --data data/ml-1m.txt --epochs 2 --device cuda --amp bf16 --no-latency --out "$OUT/peer-$model-cuda-bf16.jsonl" 2>&1 | tail -2
done
RUN
chmod +x gpu/run.sh
grep -qx "gpu/" .git/info/exclude || echo "gpu/" >> .git/info/exclude
du -sh gpu
