"""Writes a CSV of N complaint-like rows for the labelling benchmark: texts are drawn from the
shipped labelled data and cut or joined to lengths drawn like real complaints (log-normal,
median about 80 characters, clipped to 10..800).

    python3 benches/gen_rows.py 100000 /tmp/rows.csv
"""
import csv
import os
import random
import sys

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..")


def texts(n, seed=7):
    """The N texts, the same for the same N and seed."""
    rnd = random.Random(seed)
    pool = []
    for split in ("train", "dev", "test"):
        path = os.path.join(ROOT, "corpus", "labeled", f"{split}.csv")
        with open(path, newline="", encoding="utf-8") as f:
            pool += [r["text"] for r in csv.DictReader(f)]
    for _ in range(n):
        target = int(min(800, max(10, rnd.lognormvariate(4.4, 0.8))))
        text = rnd.choice(pool)
        while len(text) < target:
            text += "。" + rnd.choice(pool)
        yield text[:target]


def main():
    n, out = int(sys.argv[1]), sys.argv[2]
    with open(out, "w", newline="", encoding="utf-8") as f:
        w = csv.writer(f)
        w.writerow(["id", "投诉内容"])
        for i, text in enumerate(texts(n)):
            w.writerow([i, text])


if __name__ == "__main__":
    main()
