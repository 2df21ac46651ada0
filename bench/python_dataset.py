"""Python package figures (issue 20): opening a dataset and Dataset.to_pandas() on ML-1M.
Run: .venv-python/bin/python bench/python_dataset.py bench/out/ml1m (a dataset `prepare` wrote;
`bash bench/speed.sh` or `trajectory prepare ../shared/data/ml-1m/ml-1m.txt --out bench/out/ml1m` makes it).
Each figure is the median of 5 fresh processes' first call (no warm caches inside the process)."""
import json
import os
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PROBE = """
import sys, time, json
sys.path.insert(0, %r)
import trajectory
t0 = time.perf_counter(); data = trajectory.Dataset(%r); t1 = time.perf_counter()
frame = data.to_pandas(); t2 = time.perf_counter()
print(json.dumps({"open": t1 - t0, "to_pandas": t2 - t1, "rows": len(frame)}))
"""

if __name__ == "__main__":
    path = sys.argv[1]
    runs = [json.loads(subprocess.run([sys.executable, "-c", PROBE % (os.path.join(ROOT, "python"), path)],
                                      capture_output=True, text=True, check=True).stdout) for _ in range(5)]
    print(f"| figure | median of 5 | target |\n|---|---:|---|")
    print(f"| Dataset({path!r}) open | {statistics.median(r['open'] for r in runs) * 1000:.1f} ms | O(1): memory-mapped |")
    print(f"| to_pandas(), {runs[0]['rows']} events | {statistics.median(r['to_pandas'] for r in runs):.3f} s | ≤ 1 s |")
