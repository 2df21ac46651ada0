#!/usr/bin/env bash
# Packs what a GPU host needs into gpu/ (ignored by git through .git/info/exclude; the device
# tool's `carry` takes it, 64 MiB at most): the static release tarball (make release), ML-1M and
# the PyTorch peer. On the GPU host (no Swift there):
#   bash gpu/run.sh                      # doctor, then the peer on CUDA beside it
set -euo pipefail
cd "$(dirname "$0")/.."
TARBALL=$(ls -t dist/trajectory-*-linux-x86_64.tar.gz | head -1)
rm -rf gpu && mkdir -p gpu/data gpu/peer
cp "$TARBALL" gpu/trajectory.tar.gz
cp ../shared/data/ml-1m/ml-1m.txt gpu/data/
cp ../shared/peer/pytorch/*.py gpu/peer/
cat > gpu/run.sh <<'RUN'
#!/usr/bin/env bash
# On the GPU host: unpack, check every GPU (cuBLAS, each kernel against the CPU op, the LSTM's
# training step and scores against the CPU's), then the seed LSTM on CUDA beside the PyTorch
# peer on the same GPU (2 epochs each, ML-1M, 128 x 200 batches), then the peer's SASRec.
set -uo pipefail
cd "$(dirname "$0")"
OUT=${OUT:-.}
mkdir -p bin && tar -C bin --strip-components=1 -xzf trajectory.tar.gz
bin/trajectory doctor --json > "$OUT/doctor.json"; echo "doctor exit $?"
bin/trajectory doctor
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
bin/trajectory prepare data/ml-1m.txt --out ml1m --force > /dev/null
/usr/bin/time -v bin/trajectory train ml1m --out run-lstm-cuda --device cuda --epochs 2 --patience 100 --force 2> "$OUT/lstm-cuda.time" | tail -3
cp run-lstm-cuda/metrics.jsonl "$OUT/lstm-cuda-metrics.jsonl" 2>/dev/null
bin/trajectory evaluate run-lstm-cuda --device cuda --json > "$OUT/lstm-cuda-eval.json"; cat "$OUT/lstm-cuda-eval.json"
bin/trajectory evaluate run-lstm-cuda --json > "$OUT/lstm-cpu-eval-of-cuda-run.json"
python3 peer/lstm_ref.py --data data/ml-1m.txt --epochs 2 --device cuda --no-latency --out "$OUT/peer-lstm-cuda.jsonl" 2>&1 | tail -3
python3 peer/sasrec_ref.py --data data/ml-1m.txt --epochs 1 --device cuda --no-latency --out "$OUT/peer-sasrec-cuda.jsonl" 2>&1 | tail -3
RUN
chmod +x gpu/run.sh
grep -qx "gpu/" .git/info/exclude || echo "gpu/" >> .git/info/exclude
du -sh gpu
