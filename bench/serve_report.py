"""bench/serve.sh helpers. `parse WRK_OUTPUT CONNECTIONS [RELOAD_JSON]` prints one JSON line;
`report RESULTS_JSONL METRICS_TXT CORES` prints the markdown report."""
import json, re, statistics, sys


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def parse(path, connections, reload_path):
    text = open(path).read()
    result = {"connections": int(connections)}
    result["requests_per_s"] = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
    result["requests"] = int(re.search(r"(\d+) requests in", text).group(1))
    for percentile in ("50", "90", "99"):
        match = re.search(rf"^\s+{percentile}%\s+(\S+)", text, re.M)
        result[f"p{percentile}_ms"] = milliseconds(match.group(1)) if match else None
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
    result["non_2xx"] = int(non2xx.group(1)) if non2xx else 0
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    result["socket_errors"] = sum(map(int, socket.groups())) if socket else 0
    if reload_path:
        try:
            result["reload"] = json.load(open(reload_path))
        except (OSError, ValueError):
            result["reload"] = {"error": open(reload_path).read() if reload_path else "missing"}
    print(json.dumps(result))


def report(results_path, metrics_path, cores):
    runs = [json.loads(line) for line in open(results_path) if line.strip()]
    metrics = {}
    for line in open(metrics_path):
        name, value = line.rsplit(" ", 1)
        metrics[name] = float(value)
    by_connections = {}
    for r in runs:
        by_connections.setdefault(r["connections"], []).append(r)
    rounds = max(len(v) for v in by_connections.values())
    print("# Serving benchmark (`make bench-serve`)\n")
    print(f"wrk on loopback against `trajectory serve` on this {cores}-core host (wrk shares the cores), SASRec trained on ML-1M,")
    print("POST /v1/predict with a bearer key, histories of 50 real ML-1M items, k = 10, 500 different bodies.")
    print("Micro-batching on (max batch 64, no wait). In the middle of every 64-connection run the checkpoint's time is")
    print(f"touched and the model hot-reloaded (POST /admin/reload). Medians of {rounds} rounds; every round below.\n")
    print("| connections | predictions/s | p50 ms | p90 ms | p99 ms | non-2xx | socket errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    median = {}
    for c, rs in sorted(by_connections.items()):
        m = {k: statistics.median(r[k] for r in rs) for k in ("requests_per_s", "p50_ms", "p90_ms", "p99_ms")}
        m["errors"] = sum(r["non_2xx"] + r["socket_errors"] for r in rs)
        median[c] = m
        print(f"| {c} | {m['requests_per_s']:.0f} | {m['p50_ms']:.3f} | {m['p90_ms']:.3f} | {m['p99_ms']:.3f} | "
              f"{sum(r['non_2xx'] for r in rs)} | {sum(r['socket_errors'] for r in rs)} |")
    print("\nEvery round (predictions/s, p50 / p99 ms):\n")
    for c, rs in sorted(by_connections.items()):
        print(f"- {c} connections: " + "; ".join(f"{r['requests_per_s']:.0f}/s, {r['p50_ms']:.2f} / {r['p99_ms']:.2f}" for r in rs))
    print()
    count, total = metrics.get("trajectory_batch_size_count"), metrics.get("trajectory_batch_size_sum")
    if count:
        print(f"Mean micro-batch over the whole run: {total / count:.1f} predictions per forward pass ({int(count)} passes).")
    reloads = [r for r in runs if "reload" in r]
    for r in reloads:
        print(f"- reload during a {r['connections']}-connection run: `{json.dumps(r['reload'])}`, failed requests in that run: {r['non_2xx'] + r['socket_errors']}")
    print("\nTargets (issue 6, this 2-core machine): ≥ 3000 predictions/s with p99 ≤ 10 ms at 64 connections; p50 ≤ 1 ms at 1 connection; zero errors.")
    if 64 in median and 1 in median:
        t, s1 = median[64], median[1]
        ok = lambda b: "✓" if b else "✗"
        print(f"- 64 connections: {t['requests_per_s']:.0f}/s {ok(t['requests_per_s'] >= 3000)}, p99 {t['p99_ms']:.2f} ms {ok(t['p99_ms'] <= 10)}")
        print(f"- 1 connection: p50 {s1['p50_ms']:.3f} ms {ok(s1['p50_ms'] <= 1)}")
        errors = sum(m["errors"] for m in median.values())
        print(f"- errors over all runs: {errors} {ok(errors == 0)}")


if __name__ == "__main__":
    if sys.argv[1] == "parse":
        parse(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None)
    else:
        report(sys.argv[2], sys.argv[3], sys.argv[4])
