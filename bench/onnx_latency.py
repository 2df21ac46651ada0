"""One round of bench/onnx.sh: single-request latency of an exported model in ONNX Runtime, of
the same run in Trajectory (`bench latency`) and through `trajectory serve` over HTTP; one JSON
line per measurement. `report` turns the lines into bench/onnx-results.md (medians of rounds)."""
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

import numpy as np

HISTORY = 50


def percentiles(seconds):
    ms = sorted(s * 1000 for s in seconds)
    return {"median_ms": round(statistics.median(ms), 4), "p99_ms": round(ms[int(0.99 * (len(ms) - 1))], 4)}


def histories(run, count):
    """Histories of the latest HISTORY items of real users, as internal ids and original ids."""
    sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "python"))
    import trajectory

    data = trajectory.Run(run).dataset
    originals = data.item_originals()
    long_enough = [i for i in range(len(data)) if len(data.sequence(i)) >= HISTORY]
    rng = np.random.default_rng(0)
    chosen = rng.choice(long_enough, size=count)
    ids = [np.asarray(data.sequence(int(i))[-HISTORY:], dtype=np.int64) for i in chosen]
    return ids, [[originals[j - 1] for j in row] for row in ids]


def onnx_runtime(model, ids, threads):
    import onnxruntime

    options = onnxruntime.SessionOptions()
    if threads:
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
    session = onnxruntime.InferenceSession(model, options)
    for row in ids[:20]:
        session.run(["top_items"], {"items": row[None, :]})
    times = []
    for row in ids:
        start = time.perf_counter()
        session.run(["top_items"], {"items": row[None, :]})
        times.append(time.perf_counter() - start)
    return percentiles(times)


def served(binary, run, originals):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with tempfile.TemporaryDirectory() as work:
        database = os.path.join(work, "history.sqlite")
        key = subprocess.run([binary, "keys", "create", "--db", database, "--name", "bench", "--quiet"],
                             capture_output=True, text=True, check=True).stdout.strip()
        server = subprocess.Popen([binary, "serve", run, "--db", database, "--port", str(port), "--watch-seconds", "0",
                                   "--log-level", "warning"])
        try:
            connection = http.client.HTTPConnection("127.0.0.1", port)
            for _ in range(200):
                try:
                    connection.request("GET", "/healthz")
                    if connection.getresponse().read() is not None:
                        break
                except OSError:
                    connection = http.client.HTTPConnection("127.0.0.1", port)
                    time.sleep(0.05)
            headers = {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}
            bodies = [json.dumps({"history": row, "k": 10}) for row in originals]
            times = []
            for index, body in enumerate(bodies[:20] + bodies):
                start = time.perf_counter()
                connection.request("POST", "/v1/predict", body=body, headers=headers)
                response = connection.getresponse()
                response.read()
                assert response.status == 200, response.status
                if index >= 20:
                    times.append(time.perf_counter() - start)
            return percentiles(times)
        finally:
            server.terminate()
            server.wait(timeout=20)


def measure(binary, run, model, family, requests):
    ids, originals = histories(run, requests)
    rows = [
        {"family": family, "path": "onnxruntime, 1 thread", **onnx_runtime(model, ids, 1)},
        {"family": family, "path": f"onnxruntime, default threads ({os.cpu_count()} cores)", **onnx_runtime(model, ids, 0)},
    ]
    trajectory_run = subprocess.run([binary, "bench", "latency", run, "--history-length", str(HISTORY), "--requests", str(requests),
                                     "--threads", "1"], capture_output=True, text=True, check=True).stdout
    line = json.loads(trajectory_run.strip().splitlines()[-1])
    rows.append({"family": family, "path": "trajectory bench latency, 1 thread", "median_ms": line["median_ms"], "p99_ms": line["p99_ms"]})
    rows.append({"family": family, "path": "trajectory serve, HTTP, 1 connection", **served(binary, run, originals)})
    for row in rows:
        print(json.dumps(row))


def report(results, cpu, cores):
    rows = [json.loads(line) for line in open(results) if line.strip()]
    groups = {}
    for row in rows:
        groups.setdefault((row["family"], row["path"]), []).append(row)
    print("# ONNX Runtime vs Trajectory: one request at a time\n")
    print(f"Host: {cpu}, {cores} cores. `bash bench/onnx.sh` (ML-1M, history of the latest {HISTORY} items of real "
          "users, k = 10, top-k computed inside each path). Medians over rounds of each round's median and p99.\n")
    print("| model | path | p50 ms | p99 ms | rounds |")
    print("|---|---|---:|---:|---:|")
    for (family, path), group in groups.items():
        p50 = statistics.median(r["median_ms"] for r in group)
        p99 = statistics.median(r["p99_ms"] for r in group)
        print(f"| {family} | {path} | {p50:.3f} | {p99:.3f} | {len(group)} |")
    print()
    for family in dict.fromkeys(f for f, _ in groups):
        def p50(prefix):
            rows = [r for (f, path), group in groups.items() if f == family and path.startswith(prefix) for r in group]
            return statistics.median(r["median_ms"] for r in rows) if rows else None
        ours, theirs, served = p50("trajectory bench"), p50("onnxruntime, 1 thread"), p50("trajectory serve")
        if ours and theirs and served:
            print(f"- {family}: in process on 1 thread, ONNX Runtime takes {theirs / ours:.2f}x Trajectory's time per request; "
                  f"through `serve` over HTTP a request takes {served / ours:.1f}x the model alone.")
    print("\nONNX Runtime and `bench latency` run in the calling process (no HTTP); `serve` adds the "
          "HTTP round trip, JSON, id lookup and the micro-batcher. The exported graph returns the top 10 "
          "as ids (`top_items`); Trajectory's paths also name the items. "
          "`serve` scores single requests on one thread on purpose: under load it batches requests instead "
          "(bench/serve-results.md).")


if __name__ == "__main__":
    if sys.argv[1] == "report":
        report(sys.argv[2], sys.argv[3], sys.argv[4])
    else:
        measure(sys.argv[1], sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]))
