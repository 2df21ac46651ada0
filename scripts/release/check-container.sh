#!/usr/bin/env bash
# `make check-container`: no Docker engine runs here, so every step the images and the compose
# file run is run outside a container, as far as this machine allows:
#  1. build stage: scripts/release/static-release.sh (make release) made the tarball the image unpacks;
#  2. runtime stage: a debootstrap'd Debian 12 root stands in for debian:12-slim; the
#     Dockerfile's own RUN line runs in it (apt-get curl, the non-root user, /data and /runs);
#  3. as that user: train into the /runs volume, then the image's CMD (parsed from the
#     Dockerfile) serves it and the HEALTHCHECK command (parsed too) must pass inside the root;
#  4. compose: the trajectory service's command runs against a local PostgreSQL with the compose
#     file's credentials (the name "postgres" resolves to it), and Prometheus' and Grafana's
#     files are checked for what they reference.
# Needs root (chroot, mount) and network for apt inside the root.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=${ROOT:-/tmp/trajectory-debian12}
TARBALL=$(ls -t dist/trajectory-*-linux-x86_64.tar.gz | head -1)
[ -x "$ROOT/bin/sh" ] || { command -v debootstrap >/dev/null || apt-get install -y -qq debootstrap; debootstrap --variant=minbase bookworm "$ROOT" http://deb.debian.org/debian > /dev/null; }
cp /etc/resolv.conf "$ROOT/etc/resolv.conf"
mountpoint -q "$ROOT/proc" || mount -t proc proc "$ROOT/proc"
SERVER=""
cleanup() { [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null; wait 2>/dev/null || true; umount "$ROOT/proc" 2>/dev/null || true; }
trap cleanup EXIT

echo "--- 2. runtime stage: the Dockerfile's RUN line in Debian $(cat "$ROOT/etc/debian_version")"
RUN_LINE=$(python3 - <<'PY'
import re
text = open("Dockerfile").read().split("FROM debian:12-slim", 1)[1]
print(re.search(r"^RUN (.*?)(?<!\\)\n", text, re.S | re.M).group(1).replace("\\\n", " "))
PY
)
chroot "$ROOT" sh -c "id -u trajectory >/dev/null 2>&1 || ($RUN_LINE)" > /dev/null
tar -C "$ROOT/usr/local/bin" --strip-components=1 -xzf "$TARBALL" --wildcards '*/trajectory'
echo "user: $(chroot "$ROOT" id trajectory); /runs owned by $(chroot "$ROOT" stat -c %U /runs)"

echo "--- 3. as the image's user: train into /runs, serve with the image's CMD, run its HEALTHCHECK"
AS_USER="chroot --userspec=trajectory:trajectory $ROOT"
$AS_USER trajectory synth --out /data/synth --users 300 --items 200 --force > /dev/null
$AS_USER trajectory train /data/synth --out /runs/current --epochs 2 --max-length 30 --force > /dev/null
CMD=$(python3 -c 'import json,re; print(" ".join(json.loads(re.search(r"^CMD (\[.*\])$", open("Dockerfile").read(), re.M).group(1))))')
HEALTH=$(python3 -c 'import re; print(re.search(r"HEALTHCHECK .*?CMD (.*)$", open("Dockerfile").read(), re.M).group(1))')
$AS_USER trajectory $CMD --log-level warning &
SERVER=$!
ok=""
for _ in $(seq 1 100); do if chroot "$ROOT" sh -c "$HEALTH" > /dev/null 2>&1; then ok=1; break; fi; sleep 0.2; done
[ -n "$ok" ] || { echo "HEALTHCHECK failed: $HEALTH"; exit 1; }
echo "HEALTHCHECK passed: $HEALTH"
kill "$SERVER"; wait "$SERVER" || true; SERVER=""

echo "--- 4. compose: the trajectory service's command against PostgreSQL with the compose credentials"
bash scripts/test/postgres.sh > /dev/null
grep -q " postgres$" "$ROOT/etc/hosts" 2>/dev/null || echo "127.0.0.1 postgres" >> "$ROOT/etc/hosts"
COMPOSE_CMD=$(python3 - <<'PY'
import yaml
compose = yaml.safe_load(open("docker-compose.yml"))
service = compose["services"]["trajectory"]
env = compose["services"]["postgres"]["environment"]
command = " ".join(service["command"])
assert f"postgres://{env['POSTGRES_USER']}:{env['POSTGRES_PASSWORD']}@postgres:5432/{env['POSTGRES_DB']}" in command, command
assert "./runs:/runs" in service["volumes"] and "8080:8080" in service["ports"]
prometheus = yaml.safe_load(open("deploy/prometheus.yml"))
assert prometheus["scrape_configs"][0]["static_configs"][0]["targets"] == ["trajectory:8080"]
for volume in compose["services"]["grafana"]["volumes"] + compose["services"]["prometheus"]["volumes"]:
    import os
    assert os.path.exists(volume.split(":")[0]), volume
import json; json.load(open("docs/grafana-dashboard.json"))
print(command)
PY
)
$AS_USER trajectory keys create --db postgres://trajectory:trajectory@postgres:5432/trajectory --name check-container --quiet > /dev/null
$AS_USER trajectory $COMPOSE_CMD --log-level warning &
SERVER=$!
ok=""
for _ in $(seq 1 100); do if chroot "$ROOT" sh -c "$HEALTH" > /dev/null 2>&1; then ok=1; break; fi; sleep 0.2; done
[ -n "$ok" ] || { echo "the compose service did not become healthy"; exit 1; }
chroot "$ROOT" curl -fsS http://127.0.0.1:8080/readyz; echo
chroot "$ROOT" curl -fsS http://127.0.0.1:8080/metrics | grep -c "^trajectory_" | sed 's/^/metrics lines: /'
kill "$SERVER"; wait "$SERVER" || true; SERVER=""

echo "--- 5. Dockerfile.cuda: the same build stage, runtime RUN line, user, volumes, CMD and HEALTHCHECK as Dockerfile; the binary's doctor without a GPU"
python3 - <<'PY'
import re
cpu, cuda = open("Dockerfile").read(), open("Dockerfile.cuda").read()
def runtime(text):
    stage = re.split(r"^FROM \S+\s*$", text, flags=re.M)[-1]
    return [line for line in stage.replace("\\\n", " ").splitlines() if re.match(r"(RUN|COPY|USER|VOLUME|EXPOSE|HEALTHCHECK|ENTRYPOINT|CMD) ", line)]
def build(text):
    return re.search(r"AS build\n(.*?)\nFROM", text, re.S).group(1)
assert runtime(cpu) == runtime(cuda), (runtime(cpu), runtime(cuda))
assert build(cpu).split("RUN bash")[1] == build(cuda).split("RUN bash")[1]
assert "NVIDIA_DRIVER_CAPABILITIES=compute,utility" in cuda and "nvidia/cuda:" in cuda
print("Dockerfile.cuda matches Dockerfile outside its base image and NVIDIA environment")
PY
# In the CPU root (no driver): doctor must say what is missing and --require-gpu must fail.
$AS_USER trajectory doctor | grep -q "NVIDIA driver: libcuda (the NVIDIA driver) is not available"
if $AS_USER trajectory doctor --require-gpu > /dev/null; then echo "doctor --require-gpu passed without a GPU"; exit 1; fi
echo "doctor without a GPU: reports the missing driver, --require-gpu exits 1"

echo "--- verified: build stage script, runtime RUN line, non-root volumes, CMD, HEALTHCHECK, compose service command with PostgreSQL, Prometheus/Grafana files"
echo "--- not verified here: docker build itself, the swift, debian and nvidia/cuda base images, Prometheus and Grafana containers, any GPU"
