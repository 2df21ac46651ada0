"""Request bodies for bench/serve.sh: the last HISTORY items of COUNT random users of a
`user item` log (chronological per user), one /v1/predict JSON body per line."""
import json, random, sys
from collections import defaultdict

path, count, history = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
users = defaultdict(list)
for line in open(path):
    parts = line.split()
    if len(parts) >= 2:
        users[parts[0]].append(parts[1])
random.seed(7)
chosen = random.sample(sorted(u for u, items in users.items() if len(items) >= history), count)
for user in chosen:
    print(json.dumps({"history": users[user][-history:], "k": 10}))
