#!/usr/bin/env bash
# Runs `make demo`'s steps with the static binary inside a clean Debian 12 root made by
# debootstrap (minbase: no Swift, no OpenBLAS, no SQLite), then serves the run from inside the
# root and asks it for a prediction from outside. Needs root (chroot, mount).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=${ROOT:-/tmp/trajectory-debian12}
TARBALL=$(ls -t dist/trajectory-*-linux-x86_64.tar.gz | head -1)
if [ ! -x "$ROOT/bin/sh" ]; then
  command -v debootstrap >/dev/null || { apt-get update -qq; apt-get install -y -qq debootstrap; }
  debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian > /dev/null
fi
for lib in libopenblas libsqlite3 libswiftCore libFoundation; do
  if chroot "$ROOT" sh -c "ls /usr/lib/x86_64-linux-gnu/ /usr/lib 2>/dev/null | grep -q ^$lib"; then echo "the root has $lib: not a clean check"; exit 1; fi
done
rm -rf "$ROOT/opt/trajectory" && mkdir -p "$ROOT/opt/trajectory"
tar -C "$ROOT/opt/trajectory" --strip-components=1 -xzf "$TARBALL"
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null; umount "$ROOT/proc" 2>/dev/null || true; }
trap cleanup EXIT
rm -rf "$ROOT/tmp/demo" && mkdir -p "$ROOT/tmp/demo"
T="chroot $ROOT /opt/trajectory/trajectory"
echo "--- in $ROOT ($(chroot "$ROOT" cat /etc/debian_version)): $(basename "$TARBALL")"
$T --version
$T synth --out /tmp/demo/ratings.dat --format movielens --users 600 --items 300 --force
$T prepare /tmp/demo/ratings.dat --out /tmp/demo/dataset --min-user-events 5 --min-item-events 5 --force
$T info /tmp/demo/dataset
$T train /tmp/demo/dataset --out /tmp/demo/run --epochs 3 --max-length 50 --sliding-stride 50 --lr 0.005 --force
$T evaluate /tmp/demo/run
$T evaluate /tmp/demo/dataset --baseline markov
$T predict /tmp/demo/run --user 1 --k 5 --exclude-seen
PORT=${PORT:-18197}
$T serve /tmp/demo/run --port "$PORT" --no-auth --log-level warning &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
curl -sf "http://127.0.0.1:$PORT/v1/predict" -d '{"history": ["1", "2", "3"], "k": 3}'
echo
echo "--- the static binary ran every step inside a Debian 12 root without Swift or OpenBLAS"
