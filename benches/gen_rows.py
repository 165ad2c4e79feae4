"""Writes a CSV of N complaint-like rows for the labelling benchmark: texts are drawn from the
shipped labelled data and cut or joined to lengths drawn like real complaints (log-normal,
median about 80 characters, clipped to 10..800).

    python3 benches/gen_rows.py 100000 /tmp/rows.csv
"""
import csv
import random
import sys

n, out = int(sys.argv[1]), sys.argv[2]
random.seed(7)
pool = []
for split in ("train", "dev", "test"):
    with open(f"corpus/labeled/{split}.csv", newline="", encoding="utf-8") as f:
        pool += [r["text"] for r in csv.DictReader(f)]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.writer(f)
    w.writerow(["id", "投诉内容"])
    for i in range(n):
        target = int(min(800, max(10, random.lognormvariate(4.4, 0.8))))
        text = random.choice(pool)
        while len(text) < target:
            text += "。" + random.choice(pool)
        w.writerow([i, text[:target]])
