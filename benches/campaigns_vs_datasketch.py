#!/usr/bin/env python3
"""`heihui campaigns` against datasketch's MinHashLSH (benches/campaigns_vs_datasketch.sh).

    campaigns_vs_datasketch.py cluster NORMALIZED.jsonl OUT.jsonl [--threshold T] [--perms P]
    campaigns_vs_datasketch.py score NORMALIZED.jsonl HEIHUI.jsonl DATASKETCH.jsonl \
        [--sample N] [--seed S] [--threshold T]

NORMALIZED.jsonl: one {"id", "normalized"} a row, the normalised text from
`heihui segment --json` (heihui's own normaliser, so both sides shingle the same characters).

cluster: datasketch's MinHash (P permutations) over heihui's shingles (letters, CJK and
digits of the normalised text, every digit run as one `0`, character 3-grams; texts with
fewer than 10 such characters are left out, as heihui leaves them), MinHashLSH at threshold T
(datasketch weighs missed pairs and false candidates equally, as heihui does, but may leave
hash values unused: 12 bands of 5 at 0.55 and 64, where heihui takes 16 of 4 among the
divisors of 64); each row queries the rows before it, a
candidate is kept when the estimated Jaccard similarity reaches T, and kept pairs are joined
by union-find. Writes each cluster of two or more rows as {"row_ids": [...]}, like
`heihui campaigns --json`.

score: on N rows drawn at random (rows too short to compare left out), the pairs with exact
Jaccard similarity of their shingle sets at T or above are the truth; each method's pairs are
the pairs of those rows it puts in one cluster. Prints recall and precision of each.
"""
import argparse
import json
import random
import sys

SHINGLE = 3
MIN_CHARS = SHINGLE + 8 - 1


def shingles(normalized):
    """heihui's shingles (src/mining/minhash.rs), as a set of strings. Python's isalpha is the
    Unicode letter categories, Rust's is_alphabetic the Alphabetic property: they differ only
    on a few combining marks and letter-like numerals."""
    chars, in_digits = [], False
    for ch in normalized:
        if "0" <= ch <= "9":
            if not in_digits:
                chars.append("0")
            in_digits = True
            continue
        in_digits = False
        if ch.isalpha():
            chars.append(ch)
    if len(chars) < MIN_CHARS:
        return None
    return {"".join(chars[i:i + SHINGLE]) for i in range(len(chars) - SHINGLE + 1)}


def read(path):
    with open(path, encoding="utf-8") as f:
        for line in f:
            row = json.loads(line)
            yield row["id"], row["normalized"]


class UnionFind:
    def __init__(self):
        self.parent = {}

    def find(self, a):
        self.parent.setdefault(a, a)
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a, b):
        a, b = self.find(a), self.find(b)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def cluster(args):
    from datasketch import MinHash, MinHashLSH

    lsh = MinHashLSH(threshold=args.threshold, num_perm=args.perms)
    print(f"datasketch: bands x rows = {lsh.b} x {lsh.r}", file=sys.stderr)
    sets, ids, signatures = UnionFind(), [], []
    for i, (row_id, normalized) in enumerate(read(args.normalized)):
        ids.append(row_id)
        found = shingles(normalized)
        if found is None:
            signatures.append(None)
            continue
        m = MinHash(num_perm=args.perms)
        m.update_batch([s.encode("utf-8") for s in found])
        for other in lsh.query(m):
            if m.jaccard(signatures[other]) >= args.threshold:
                sets.union(i, other)
        lsh.insert(i, m)
        signatures.append(m)
    clusters = {}
    for i in list(sets.parent):
        clusters.setdefault(sets.find(i), []).append(i)
    with open(args.out, "w", encoding="utf-8") as f:
        for members in clusters.values():
            if len(members) >= 2:
                f.write(json.dumps({"row_ids": [ids[i] for i in sorted(members)]}) + "\n")


def pairs_in(path, index):
    """Pairs of sampled rows that share a cluster, as (i, j) sample positions, i < j."""
    out = set()
    with open(path, encoding="utf-8") as f:
        for line in f:
            members = sorted(index[r] for r in json.loads(line)["row_ids"] if r in index)
            out.update((a, b) for k, a in enumerate(members) for b in members[k + 1:])
    return out


def score(args):
    import numpy as np
    from scipy import sparse

    rows = [(row_id, shingles(text)) for row_id, text in read(args.normalized)]
    comparable = [r for r in rows if r[1] is not None]
    sample = random.Random(args.seed).sample(comparable, min(args.sample, len(comparable)))
    index = {row_id: k for k, (row_id, _) in enumerate(sample)}
    vocab = {}
    cols, ptr = [], [0]
    for _, found in sample:
        cols.extend(vocab.setdefault(s, len(vocab)) for s in found)
        ptr.append(len(cols))
    a = sparse.csr_matrix((np.ones(len(cols), dtype=np.int32), cols, ptr),
                          shape=(len(sample), len(vocab)))
    shared = (a @ a.T).tocoo()
    sizes = np.asarray(a.sum(axis=1)).ravel()
    upper = shared.row < shared.col
    i, j, inter = shared.row[upper], shared.col[upper], shared.data[upper]
    jaccard = inter / (sizes[i] + sizes[j] - inter)
    keep = jaccard >= args.threshold
    truth = set(zip(i[keep].tolist(), j[keep].tolist()))
    print(f"sample: {len(sample)} rows (of {len(comparable)} comparable, {len(rows)} in all), "
          f"{len(truth)} pairs with exact Jaccard >= {args.threshold}")
    for name, path in (("heihui campaigns", args.heihui), ("datasketch", args.datasketch)):
        found = pairs_in(path, index)
        hit = len(found & truth)
        recall = hit / len(truth) if truth else float("nan")
        precision = hit / len(found) if found else float("nan")
        print(f"{name}: {len(found)} pairs, recall {recall:.3f}, precision {precision:.3f}")


def main():
    ap = argparse.ArgumentParser()
    sub = ap.add_subparsers(dest="mode", required=True)
    c = sub.add_parser("cluster")
    c.add_argument("normalized")
    c.add_argument("out")
    c.add_argument("--threshold", type=float, default=0.55)
    c.add_argument("--perms", type=int, default=64)
    s = sub.add_parser("score")
    s.add_argument("normalized")
    s.add_argument("heihui")
    s.add_argument("datasketch")
    s.add_argument("--sample", type=int, default=5000)
    s.add_argument("--seed", type=int, default=1)
    s.add_argument("--threshold", type=float, default=0.55)
    args = ap.parse_args()
    (cluster if args.mode == "cluster" else score)(args)


if __name__ == "__main__":
    main()
