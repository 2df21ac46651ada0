"""bench/serve.sh helpers. `parse WRK_OUTPUT CONNECTIONS [RELOAD_JSON] [ENDPOINT]` prints one JSON
line (ENDPOINT: predict, the default, or healthz); `report RESULTS_JSONL METRICS_TXT CORES [CPU]`
prints the markdown report."""
import json, re, statistics, sys


def milliseconds(text):
    value, unit = re.match(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 1e-3, "ms": 1.0, "s": 1e3}[unit]


def parse(path, connections, reload_path, endpoint="predict"):
    text = open(path).read()
    result = {"connections": int(connections), "endpoint": endpoint}
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


def medians(runs):
    by_connections = {}
    for r in runs:
        by_connections.setdefault(r["connections"], []).append(r)
    median = {}
    for c, rs in sorted(by_connections.items()):
        m = {k: statistics.median(r[k] for r in rs) for k in ("requests_per_s", "p50_ms", "p90_ms", "p99_ms")}
        m["non_2xx"] = sum(r["non_2xx"] for r in rs)
        m["socket_errors"] = sum(r["socket_errors"] for r in rs)
        m["errors"] = m["non_2xx"] + m["socket_errors"]
        median[c] = m
    return by_connections, median


def report(results_path, metrics_path, cores, cpu="", family="SASRec", curve_path=None):
    runs = [json.loads(line) for line in open(results_path) if line.strip()]
    metrics = {}
    for line in open(metrics_path):
        name, value = line.rsplit(" ", 1)
        metrics[name] = float(value)
    predict_runs = [r for r in runs if r.get("endpoint", "predict") == "predict"]
    health_runs = [r for r in runs if r.get("endpoint") == "healthz"]
    by_connections, median = medians(predict_runs)
    _, health = medians(health_runs)
    rounds = max(len(v) for v in by_connections.values())
    print("# Serving benchmark (`make bench-serve`)\n")
    host = f"{cores}-core host" + (f" ({cpu})" if cpu else "")
    print(f"wrk on loopback against `trajectory serve` on this {host} (wrk shares the cores), {family} trained on ML-1M,")
    print("POST /v1/predict with a bearer key, histories of 50 real ML-1M items, k = 10, 500 different bodies.")
    cap = metrics.get("trajectory_batch_cap")
    cap_text = f"batch cap {int(cap)}, measured at load" if cap else "batch cap measured at load"
    print(f"Micro-batching on ({cap_text}, no wait; a lone request is ranked inline). In the middle of every 64-connection run the checkpoint's time is")
    print("touched and the model hot-reloaded (POST /admin/reload). In the same round and at the same connection count,")
    print("`GET /healthz` of the same server (no model work) measures what the HTTP stack serves on this host: the")
    print(f"ratio is the figure that compares across hosts. Medians of {rounds} rounds; every round below.\n")
    print("| connections | predictions/s | p50 ms | p90 ms | p99 ms | /healthz req/s | /healthz p50 ms | predict / healthz req/s | non-2xx | socket errors |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for c, m in median.items():
        h = health.get(c)
        hz = f"{h['requests_per_s']:.0f} | {h['p50_ms']:.3f} | {m['requests_per_s'] / h['requests_per_s']:.2f}" if h else "- | - | -"
        print(f"| {c} | {m['requests_per_s']:.0f} | {m['p50_ms']:.3f} | {m['p90_ms']:.3f} | {m['p99_ms']:.3f} | {hz} | "
              f"{m['non_2xx']} | {m['socket_errors']} |")
    print("\nEvery round (predictions/s, p50 / p99 ms; /healthz req/s):\n")
    for c, rs in sorted(by_connections.items()):
        hs = [r for r in health_runs if r["connections"] == c]
        print(f"- {c} connections: " + "; ".join(f"{r['requests_per_s']:.0f}/s, {r['p50_ms']:.2f} / {r['p99_ms']:.2f}" for r in rs)
              + ("; /healthz " + ", ".join(f"{r['requests_per_s']:.0f}/s" for r in hs) if hs else ""))
    print()
    count, total = metrics.get("trajectory_batch_size_count"), metrics.get("trajectory_batch_size_sum")
    if count:
        print(f"Mean micro-batch over the whole run: {total / count:.1f} predictions per forward pass ({int(count)} passes).")
    if curve_path:
        curve = [json.loads(line) for line in open(curve_path) if line.strip()]
        print("\nThe model alone (`trajectory bench latency RUN --batch …`, 1 thread, histories of 50): ms per pass and per history by batch size:\n")
        print("| batch | ms per pass | ms per history |")
        print("|---:|---:|---:|")
        for c in curve:
            print(f"| {c['batch']} | {c['median_ms']:.3f} | {c['median_ms_per_history']:.4f} |")
        print()
    reloads = [r for r in predict_runs if "reload" in r]
    for r in reloads:
        print(f"- reload during a {r['connections']}-connection run: `{json.dumps(r['reload'])}`, failed requests in that run: {r['non_2xx'] + r['socket_errors']}")
    ok = lambda b: "✓" if b else "✗"
    print("\nTargets (issue 6, a 2-core machine): ≥ 3000 predictions/s with p99 ≤ 10 ms at 64 connections; p50 ≤ 1 ms at 1 connection; zero errors.")
    if 64 in median and 1 in median:
        t, s1 = median[64], median[1]
        print(f"- 64 connections: {t['requests_per_s']:.0f}/s {ok(t['requests_per_s'] >= 3000)}, p99 {t['p99_ms']:.2f} ms {ok(t['p99_ms'] <= 10)}")
        print(f"- 1 connection: p50 {s1['p50_ms']:.3f} ms {ok(s1['p50_ms'] <= 1)}")
        errors = sum(m["errors"] for m in median.values())
        print(f"- errors over all runs: {errors} {ok(errors == 0)}")
    if 64 in median and 1 in median and 64 in health and 1 in health:
        t, s1, h64, h1 = median[64], median[1], health[64], health[1]
        print("\nTargets (issue 21, any host): at 64 connections predictions/s ≥ 0.6 × /healthz's and p99 ≤ 10 ms; at 1 connection p50 ≤ 1.3 × /healthz's.")
        print(f"- 64 connections: {t['requests_per_s'] / h64['requests_per_s']:.2f} × /healthz {ok(t['requests_per_s'] >= 0.6 * h64['requests_per_s'])}, "
              f"p99 {t['p99_ms']:.2f} ms {ok(t['p99_ms'] <= 10)}")
        print(f"- 1 connection: p50 {s1['p50_ms']:.3f} ms = {s1['p50_ms'] / h1['p50_ms']:.2f} × /healthz's {h1['p50_ms']:.3f} ms {ok(s1['p50_ms'] <= 1.3 * h1['p50_ms'])}")


if __name__ == "__main__":
    if sys.argv[1] == "parse":
        parse(sys.argv[2], sys.argv[3], sys.argv[4] if len(sys.argv) > 4 and sys.argv[4] else None,
              sys.argv[5] if len(sys.argv) > 5 else "predict")
    else:
        report(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5] if len(sys.argv) > 5 else "",
               sys.argv[6] if len(sys.argv) > 6 else "SASRec", sys.argv[7] if len(sys.argv) > 7 and sys.argv[7] else None)
