"""Cold items on a funnel log (bench/features-cold.sh).

`make`: from a `synth --funnel` CSV, picks items so that about `share` of the next-buy test
cases (each user's last buy, users with two buys or more) target one of them, and keeps their
events only after a user's validation buy (the one before the last): they are absent from
training and validation, as a newly launched item is, but a user may still have viewed and
carted one before buying it, and its category is known.
`rank`: ranks every test case with an exported run in ONNX Runtime (the same ranking as
`trajectory evaluate`, checked by python/tests/test_onnx.py) and prints HR@10 and NDCG@10 over
the cold cases and over the rest."""
import csv
import json
import math
import random
import sys

import numpy as np


def make(source, target, share, seed):
    rows = list(csv.DictReader(open(source)))
    users = {}
    for index, row in enumerate(rows):
        users.setdefault(row["user_id"], []).append(index)
    last_buys, validation_buys = {}, {}
    for user, indices in users.items():
        buys = [i for i in indices if rows[i]["event"] == "buy"]
        if len(buys) >= 2:
            last_buys[user] = buys[-1]
            validation_buys[user] = buys[-2]
    by_item = {}
    for user, index in last_buys.items():
        by_item.setdefault(rows[index]["item_id"], []).append(index)
    items = sorted(by_item)
    random.Random(seed).shuffle(items)
    cold, covered = set(), 0
    for item in items:
        if covered >= share * len(last_buys):
            break
        cold.add(item)
        covered += len(by_item[item])
    with open(target, "w", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0].keys()))
        writer.writeheader()
        for index, row in enumerate(rows):
            after_validation = row["user_id"] in validation_buys and index > validation_buys[row["user_id"]]
            if row["item_id"] not in cold or after_validation:
                writer.writerow(row)
    json.dump(sorted(cold), open(target + ".cold.json", "w"))
    print(f"{len(cold)} cold items, {covered} of {len(last_buys)} test cases target one")


def rank(dataset_path, model_path, cold_path):
    sys.path.insert(0, "python")
    import onnxruntime
    import trajectory

    data = trajectory.Dataset(dataset_path)
    cold = set(json.load(open(cold_path)))
    originals = data.item_originals()
    buy = data.event_types.index("buy") + 1
    session = onnxruntime.InferenceSession(model_path)
    names = [i.name for i in session.get_inputs()]
    results = {"cold": [], "warm": []}
    for index in range(len(data)):
        events = np.asarray(data.sequence_events(index))
        buys = np.nonzero(events == buy)[0]
        if len(buys) < 2 or buys[-2] == 0:
            continue
        last = buys[-1]
        items = np.asarray(data.sequence(index), dtype=np.int64)
        start = int(data.offsets[index])
        feeds = {"items": items[None, :last]}
        if "events" in names:
            feeds["events"] = events[None, :last].astype(np.int64)
        if "times" in names:
            feeds["times"] = np.asarray(data.times[start:start + last], dtype=np.int64)[None, :]
        scores = session.run(["scores"], feeds)[0][0]
        target = int(items[last])
        rank = int((scores[1:] > scores[target]).sum())
        results["cold" if originals[target - 1] in cold else "warm"].append(rank)
    out = {}
    for group, ranks in results.items():
        ranks = np.asarray(ranks)
        out[group] = {"cases": len(ranks), "HR@10": float((ranks < 10).mean()) if len(ranks) else 0.0,
                      "NDCG@10": float(np.where(ranks < 10, 1 / np.log2(ranks + 2), 0).mean()) if len(ranks) else 0.0}
    print(json.dumps(out))


if __name__ == "__main__":
    if sys.argv[1] == "make":
        make(sys.argv[2], sys.argv[3], float(sys.argv[4]), int(sys.argv[5]))
    else:
        rank(sys.argv[2], sys.argv[3], sys.argv[4])
