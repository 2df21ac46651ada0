#!/usr/bin/env bash
# `make check-api`: schemathesis (from PyPI) against a live `trajectory serve`, driven by
# docs/openapi.yaml: every operation fuzzed, every check on (status codes, schemas of answers,
# invalid requests refused, 405 for undeclared methods, …). Serves RUN (default: the demo's run,
# trained on synthetic data when missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
BIN=${BIN:-.build/release/trajectory}
RUN=${RUN:-demo-output/run}
EXAMPLES=${EXAMPLES:-50}
if [ ! -x .venv-api/bin/schemathesis ]; then
  python3 -m venv .venv-api
  .venv-api/bin/pip install -q schemathesis
fi
if [ ! -f "$RUN/config.json" ]; then
  mkdir -p demo-output
  $BIN synth --out demo-output/ratings.dat --format movielens --users 500 --items 300 --force > /dev/null
  $BIN prepare demo-output/ratings.dat --out demo-output/dataset --min-user-events 5 --min-item-events 5 --force > /dev/null
  $BIN train demo-output/dataset --out "$RUN" --epochs 2 --max-length 50 --force > /dev/null
fi
WORK=$(mktemp -d)
SERVER=""
trap '[ -n "$SERVER" ] && kill $SERVER 2>/dev/null; rm -rf "$WORK"' EXIT
KEY=$($BIN keys create --db "$WORK/history.sqlite" --name check-api --quiet)
PORT=${PORT:-18190}
$BIN serve "$RUN" --db "$WORK/history.sqlite" --port "$PORT" --watch-seconds 0 --log-level error &
SERVER=$!
for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$PORT/healthz" > /dev/null && break; sleep 0.1; done
.venv-api/bin/schemathesis run docs/openapi.yaml --url "http://127.0.0.1:$PORT" \
  -H "Authorization: Bearer $KEY" --checks all -n "$EXAMPLES" --seed 1
