"""The rows and folds the scikit-learn replicas share (benches/cv_alternatives.py,
benches/cv_learners.py, benches/cv_learners_summary.py): train.csv and dev.csv together, their
sources (corpus/labeled/sources.csv) sorted by name and dealt into four folds round-robin, as
benches/cv_by_source.py deals them; in each fold the other folds' rows are shuffled (seed: the
fold) and cut 85/15 into the rows a model is fitted on and the rows its stack is fitted on."""
import csv
import random

from sklearn.metrics import f1_score

L = ["normal", "malicious_complaint", "debt_optimization"]
D = "corpus/labeled"
FOLDS = 4


def read(p): return list(csv.DictReader(open(p, encoding="utf-8", newline="")))


rows = read(f"{D}/train.csv") + read(f"{D}/dev.csv")
src = {r["id"]: r["source"] for r in read(f"{D}/sources.csv")}
names = sorted({src[r["id"]] for r in rows})
fold_of = {n: i % FOLDS for i, n in enumerate(names)}


def macro(g, p): return f1_score(g, p, labels=L, average="macro", zero_division=0)


def split(k):
    """Fold k's (fit, tune, held) rows."""
    held = [r for r in rows if fold_of[src[r["id"]]] == k]
    rest = [r for r in rows if fold_of[src[r["id"]]] != k]
    random.Random(k).shuffle(rest)
    cut = len(rest) * 85 // 100
    return rest[:cut], rest[cut:], held
