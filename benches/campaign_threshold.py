#!/usr/bin/env python3
"""Pair precision and recall of `heihui campaigns` at several thresholds on the variants
`campaign_variants.py` writes (truth column: the template each row was filed from).

usage: campaign_threshold.py HEIHUI VARIANTS.csv [THRESHOLD ...]
"""
import csv
import itertools
import json
import subprocess
import sys


def pairs(groups):
    out = set()
    for g in groups:
        out.update(itertools.combinations(sorted(g), 2))
    return out


def main():
    heihui, path = sys.argv[1], sys.argv[2]
    thresholds = [float(t) for t in sys.argv[3:]] or [0.3, 0.4, 0.5, 0.6, 0.7, 0.8]
    truth = {}
    with open(path, encoding="utf-8") as f:
        for row in csv.DictReader(f):
            truth.setdefault(row["truth"], []).append(row["id"])
    want = pairs(g for g in truth.values() if len(g) > 1)
    print(f"{len(want)} true pairs over {sum(map(len, truth.values()))} rows")
    print("threshold  campaigns  pairs  precision  recall")
    for t in thresholds:
        out = subprocess.run([heihui, "campaigns", path, "--json", "-q", "--threshold", str(t)],
                             check=True, capture_output=True, text=True).stdout
        found = [json.loads(l)["row_ids"] for l in out.splitlines()]
        got = pairs(found)
        tp = len(got & want)
        precision = tp / len(got) if got else 1.0
        recall = tp / len(want) if want else 1.0
        print(f"{t:9.2f}  {len(found):9d}  {len(got):5d}  {precision:9.3f}  {recall:6.3f}")


if __name__ == "__main__":
    main()
