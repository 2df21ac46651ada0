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
# On the GPU host: unpack, check every GPU (cuBLAS and each kernel against the CPU op), then
# the PyTorch peer's SASRec on CUDA for one epoch as the side-by-side reference.
set -uo pipefail
cd "$(dirname "$0")"
OUT=${OUT:-.}
mkdir -p bin && tar -C bin --strip-components=1 -xzf trajectory.tar.gz
bin/trajectory doctor --json > "$OUT/doctor.json"; echo "doctor exit $?"
bin/trajectory doctor
nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
python3 peer/sasrec_ref.py --data data/ml-1m.txt --epochs 1 --device cuda --no-latency --out "$OUT/peer-sasrec-cuda.jsonl" 2>&1 | tail -3
RUN
chmod +x gpu/run.sh
grep -qx "gpu/" .git/info/exclude || echo "gpu/" >> .git/info/exclude
du -sh gpu
