#!/usr/bin/env python3
"""Checks that `trajectory prepare` and the pandas peer produced the same sequences.

usage: compare_pandas.py DATASET_DIR PANDAS_OUTPUT
Both number users by first appearance and items by first appearance in user/time order,
so the dense ids themselves must agree, line for line.
"""
import struct
import sys

directory, pandas_path = sys.argv[1], sys.argv[2]
items = open(f"{directory}/items.bin", "rb").read()
offsets = open(f"{directory}/offsets.bin", "rb").read()
ids = struct.unpack(f"<{len(items) // 4}I", items)
bounds = struct.unpack(f"<{len(offsets) // 8}Q", offsets)
ours = [list(ids[bounds[s]:bounds[s + 1]]) for s in range(len(bounds) - 1)]
theirs = [[int(x) for x in line.split()[1:]] for line in open(pandas_path)]
if ours != theirs:
    first = next(i for i, (a, b) in enumerate(zip(ours, theirs)) if a != b) if len(ours) == len(theirs) else None
    sys.exit(f"sequences differ: {len(ours)} vs {len(theirs)} users, first difference at user {first}")
print(f'{{"label": "pandas-agrees", "users": {len(ours)}, "events": {len(ids)}}}')
