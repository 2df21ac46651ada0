# Trajectory: `make demo` runs the main job end to end, `make test` runs every test.
# Both install what they need (Debian packages) on a fresh machine with Swift.

SWIFT      ?= swift
APT_PKGS   := zlib1g-dev libopenblas-dev libsqlite3-dev
TEST_APT_PKGS := postgresql chromium python3-venv
RELEASE    := .build/release/trajectory
SHARED     ?= $(abspath ../shared)
DEMO_DIR   := demo-output
DEMO_PORT  ?= 18088

.PHONY: python setup setup-test apt-install build binary release check-release check-container test demo check-data check-fault check-api bench bench-serve bench-etl bench-lstm bench-sasrec bench-large bench-beauty bench-incremental bench-quality clean

## setup: install missing Debian packages (zlib, OpenBLAS, SQLite headers)
setup:
	@$(MAKE) --no-print-directory apt-install PKGS="$(APT_PKGS)"

## setup-test: also what the tests drive: PostgreSQL (scripts/test/postgres.sh starts it), Chromium
setup-test: setup
	@$(MAKE) --no-print-directory apt-install PKGS="$(TEST_APT_PKGS)"

apt-install:
	@missing=""; for p in $(PKGS); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  echo "installing:$$missing"; \
	  SUDO=$$( [ "$$(id -u)" = 0 ] || echo sudo ); \
	  $$SUDO apt-get update -qq && DEBIAN_FRONTEND=noninteractive $$SUDO apt-get install -y -qq $$missing; \
	fi

## build: debug build
build: setup
	$(SWIFT) build

## binary: optimised build of the trajectory command (.build/release/trajectory)
binary: setup
	$(SWIFT) build -c release --product trajectory

## test: build and run every test (Swift Testing); starts a local PostgreSQL for the store tests
##       and fetches NVRTC (PyPI wheel) so the CUDA kernels are compiled even without a GPU
test: setup-test
	$(SWIFT) build --build-tests
	TRAJECTORY_CUDA_LIBRARY_PATH="$$(bash scripts/test/nvrtc.sh)$${TRAJECTORY_CUDA_LIBRARY_PATH:+:$$TRAJECTORY_CUDA_LIBRARY_PATH}" TRAJECTORY_REQUIRE_NVRTC=1 \
	  $(SWIFT) test --skip-build --skip ServingTests
	@# The service's tests run on their own: CPU-bound training tests running beside them hold
	@# Swift's cooperative threads, and network round trips then time out.
	TRAJECTORY_POSTGRES_URL="$${TRAJECTORY_POSTGRES_URL:-$$(bash scripts/test/postgres.sh || echo)}" $(SWIFT) test --skip-build --filter ServingTests
	@# The Python package (python/) against the binary just built: a few seconds.
	bash scripts/test/python.sh

## demo: synth (a listening log: taste mixes, replays) -> prepare (5-core) -> info -> train the seed
##       LSTM -> compare with the Markov and popularity baselines -> predict -> serve; a few minutes
##       on 2 cores (bench/demo-data-results.md: why this data, and the LSTM against the baselines)
DEMO_SYNTH := --users 2000 --items 1000 --follow 0.2 --taste 0.9 --taste-groups 3 --drift 0.01 --repeats --replay 0.5
demo: binary
	@mkdir -p $(DEMO_DIR)
	$(RELEASE) synth --out $(DEMO_DIR)/plays.csv --format csv $(DEMO_SYNTH) --force
	$(RELEASE) prepare $(DEMO_DIR)/plays.csv --out $(DEMO_DIR)/dataset --min-user-events 5 --min-item-events 5 --force
	$(RELEASE) info $(DEMO_DIR)/dataset
	$(RELEASE) train $(DEMO_DIR)/dataset --out $(DEMO_DIR)/run --epochs 10 --max-length 50 --sliding-stride 50 --lr 0.005 --force
	@echo "--- the trained model against the baselines, same split, full ranking (test NDCG@10 is the headline)"
	$(RELEASE) compare $(DEMO_DIR)/run --baselines
	$(RELEASE) predict $(DEMO_DIR)/run --user 1 --k 10 --exclude-seen
	@echo "--- serve: the same run over HTTP (loopback, no key), one prediction, then SIGTERM"
	@$(RELEASE) serve $(DEMO_DIR)/run --port $(DEMO_PORT) --no-auth --log-level warning & pid=$$!; \
	  for i in $$(seq 1 50); do curl -sf http://127.0.0.1:$(DEMO_PORT)/healthz > /dev/null && break; sleep 0.1; done; \
	  curl -s http://127.0.0.1:$(DEMO_PORT)/v1/predict -d '{"history": ["1", "2", "3"], "k": 5, "exclude_seen": true}'; echo; \
	  kill $$pid; wait $$pid

## check-data: heavy checks against the real data sets in ../shared/data
check-data: setup
	$(SWIFT) build --build-tests
	TRAJECTORY_DATA=$(SHARED)/data $(SWIFT) test --skip-build --filter RealDataTests

## check-fault: the fault-injection suite at length: TRAJECTORY_FAULT_CASES damaged files (default 1000;
##              make test runs 40) and half as many random option values, plus the hostile-input regressions
check-fault: setup
	$(SWIFT) build --build-tests
	TRAJECTORY_FAULT_CASES=$${TRAJECTORY_FAULT_CASES:-1000} $(SWIFT) test --skip-build --filter "FaultInjectionTests|HostileInputTests"

## python: the Python package (python/) as a wheel in dist/: pip install dist/trajectory_rec-*.whl
python:
	python3 -m pip wheel --no-deps --quiet ./python -w dist

## bench: every benchmark
bench: bench-etl bench-lstm bench-sasrec

## release: a portable static binary in dist/trajectory-VERSION-linux-x86_64.tar.gz (no Swift,
##          OpenBLAS or SQLite needed where it runs)
release: setup
	bash scripts/release/static-release.sh

## check-release: run the demo's steps with that binary inside a debootstrap'd Debian 12 (root)
check-release: release
	bash scripts/release/check-static.sh

## check-container: every step of Dockerfile and docker-compose.yml run outside a container (root)
check-container: release
	bash scripts/release/check-container.sh

## check-api: schemathesis against a live server, driven by docs/openapi.yaml
check-api: binary
	bash scripts/test/check-api.sh

## bench-serve: wrk against `trajectory serve` (SASRec, then the seed LSTM, on ML-1M) at 1, 16 and 64 connections, hot reload mid-run
bench-serve: binary
	bash bench/serve.sh
	MODEL=lstm RUN=bench/out/run-ml1m-lstm REPORT=bench/serve-lstm-results.md bash bench/serve.sh

## bench-onnx: single-request latency of the exported ONNX models in ONNX Runtime vs Trajectory and serve
bench-onnx: binary
	bash bench/onnx.sh

## bench-features: next-buy ranking on generated funnel logs with and without event types, time gaps, categories
bench-features: binary
	bash bench/features.sh

## bench-quality: the hstu family with its defaults and a 30-minute budget on ML-1M and Amazon Beauty, 3 seeds (~2 h on 2 cores)
bench-quality: binary
	TRAIN_ARGS="--time-limit 30m" bash bench/hstu-quality.sh

## bench-lstm: the seed LSTM vs the PyTorch peer on ML-1M (epoch time, evaluation, latency, memory)
bench-lstm: binary
	bash bench/speed.sh lstm

## bench-sasrec: SASRec vs the PyTorch peer on ML-1M (epoch time, evaluation, latency, memory)
bench-sasrec: binary
	bash bench/speed.sh sasrec

## bench-beauty: every model and both baselines on Amazon Beauty
bench-beauty: binary
	NAME=beauty DATA=../shared/data/amazon-beauty/Beauty.txt bash bench/zoo.sh

## bench-incremental: warm start on newer data (train --from --window) vs from scratch, ML-1M split by date
bench-incremental: binary
	bash bench/incremental.sh

## bench-large: SASRec with the sampled softmax on 1M items × 100k users (peak RSS, full ranking)
bench-large: binary
	bash bench/large.sh

## bench-etl: prepare vs the pandas ETL peer on a 1M-line log (and a 20M-line scaling run)
bench-etl: binary
	bash bench/etl.sh

clean:
	rm -rf .build $(DEMO_DIR) bench/out
