#!/usr/bin/env bash
# NVRTC for compiling the CUDA kernels on machines without a CUDA toolkit (CI, this project's
# CPU hosts): NVIDIA's nvidia-cuda-nvrtc wheel from PyPI, unpacked into .build/nvrtc.
# Prints the directory holding libnvrtc.so.* (for TRAJECTORY_CUDA_LIBRARY_PATH).
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=.build/nvrtc
if ! ls "$DIR"/lib/libnvrtc.so.* > /dev/null 2>&1; then
    mkdir -p "$DIR"
    if ! python3 -m pip --version > /dev/null 2>&1; then
        (apt-get update -qq && apt-get install -y -qq python3-pip) >&2
    fi
    python3 -m pip download --quiet --no-deps --dest "$DIR" "nvidia-cuda-nvrtc-cu12==12.9.86" >&2
    python3 - "$DIR" <<'PY'
import glob, os, sys, zipfile
directory = sys.argv[1]
os.makedirs(directory + "/lib", exist_ok=True)
for wheel in glob.glob(directory + "/*.whl"):
    with zipfile.ZipFile(wheel) as archive:
        for name in archive.namelist():
            if "/lib/" in name and ".so" in name:
                with open(directory + "/lib/" + os.path.basename(name), "wb") as out:
                    out.write(archive.read(name))
    os.remove(wheel)
PY
fi
echo "$(pwd)/$DIR/lib"
