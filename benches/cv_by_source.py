"""Cross-validation held out by source: how heihui's n-gram part and the TF-IDF baseline do on
writing they have never seen.

    python3 benches/cv_by_source.py HEIHUI [--folds 4] [-- TRAIN FLAGS...] [-- OTHER FLAGS...]

The rows of corpus/labeled/train.csv and dev.csv are dealt into folds by their source
(corpus/labeled/sources.csv: the batch of writing each row came from; sources sorted by name
and dealt round-robin), so every fold's rows come from writers the rest never saw: the nearest
thing to the held-out sets the project is judged on. In each fold heihui's n-gram part is
fitted on the other folds' rows (`heihui train --keep-transformer`, the shipped transformer kept,
with any flags after `--`; each further `--` starts another set of flags, fitted and scored on
the same folds, so settings are compared on the same rows), and scikit-learn's
TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True) +
LogisticRegression(C=10) on the same rows. The held-out
predictions of all folds are pooled and scored: macro-F1 overall and on texts of 200+
characters, for the corpus alone, heihui's n-gram part, heihui's combined decision (the stack of
the n-gram part and the corpus hits that `label` uses, fitted on the fold's tune rows) and
scikit-learn. The decision is fitted with `--decision-without-transformer`: the shipped
transformer was trained on rows of every fold, so a decision that weighed it would be scored on
rows it had seen.
"""
import csv
import os
import random
import subprocess
import sys
import tempfile

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import f1_score

LABELED = "corpus/labeled"
LABELS = ["normal", "malicious_complaint", "debt_optimization"]
FIELDS = ["id", "text", "label", "genre", "hard"]


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def write(path, rows):
    with open(path, "w", encoding="utf-8", newline="") as f:
        w = csv.DictWriter(f, fieldnames=FIELDS, extrasaction="ignore")
        w.writeheader()
        w.writerows(rows)


def macro(gold, predicted):
    return f1_score(gold, predicted, labels=LABELS, average="macro", zero_division=0)


def main():
    argv = sys.argv[1:]
    flag_sets = [[]]
    if "--" in argv:
        for a in argv[argv.index("--") + 1 :]:
            if a == "--":
                flag_sets.append([])
            else:
                flag_sets[-1].append(a)
        argv = argv[: argv.index("--")]
    heihui = argv[0]
    folds = int(argv[argv.index("--folds") + 1]) if "--folds" in argv else 4
    rows = read(f"{LABELED}/train.csv") + read(f"{LABELED}/dev.csv")
    source = {r["id"]: r["source"] for r in read(f"{LABELED}/sources.csv")}
    names = sorted({source[r["id"]] for r in rows})
    fold_of = {name: i % folds for i, name in enumerate(names)}
    gold, corpus, sklearn, lengths = [], [], [], []
    ngram = [[] for _ in flag_sets]
    combined = [[] for _ in flag_sets]
    with tempfile.TemporaryDirectory() as work:
        for k in range(folds):
            held = [r for r in rows if fold_of[source[r["id"]]] == k]
            rest = [r for r in rows if fold_of[source[r["id"]]] != k]
            random.Random(k).shuffle(rest)
            cut = len(rest) * 85 // 100
            fit, tune = rest[:cut], rest[cut:]
            paths = {n: os.path.join(work, f"{n}{k}.csv") for n in ["fit", "tune", "held"]}
            for name, part in [("fit", fit), ("tune", tune), ("held", held)]:
                write(paths[name], part)
            by_id = []
            for n, extra in enumerate(flag_sets):
                model = os.path.join(work, f"model{k}-{n}")
                subprocess.run(
                    [heihui, "train", "--init", "models/heihui-zh-small", "--keep-transformer",
                     "--decision-without-transformer", "--train", paths["fit"],
                     "--dev", paths["tune"], "--out", model, "--quiet", *extra],
                    check=True,
                )
                predictions = os.path.join(work, f"pred{k}-{n}.csv")
                subprocess.run(
                    [heihui, "eval", paths["held"], "--model", model, "--quiet",
                     "--predictions", predictions],
                    check=True, stdout=subprocess.DEVNULL,
                )
                by_id.append({p["id"]: p for p in read(predictions)})
            vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True)
            baseline = LogisticRegression(C=10, max_iter=1000).fit(
                vectorizer.fit_transform([r["text"] for r in fit]), [r["label"] for r in fit])
            theirs = baseline.predict(vectorizer.transform([r["text"] for r in held])).tolist()
            for r, t in zip(held, theirs):
                gold.append(r["label"]); corpus.append(by_id[0][r["id"]]["corpus"])
                for n, b in enumerate(by_id):
                    ngram[n].append(b[r["id"]]["ngram"])
                    combined[n].append(b[r["id"]]["combined"])
                sklearn.append(t); lengths.append(len(r["text"]))
            sources = sorted(n for n in names if fold_of[n] == k)
            held_gold = [r["label"] for r in held]
            def scores(column):
                return ", ".join(f"{macro(held_gold, [b[r['id']][column] for r in held]):.4f}"
                                 for b in by_id)
            print(f"fold {k}: {len(held)} rows held out ({', '.join(sources)}); "
                  f"n-gram {scores('ngram')}, combined {scores('combined')}, "
                  f"scikit-learn {macro(held_gold, theirs):.4f}", flush=True)
    long = [i for i, n in enumerate(lengths) if n >= 200]
    print(f"\npooled over {len(gold)} rows ({len(long)} of 200+ characters)")
    systems = [("corpus", corpus)]
    for n, extra in enumerate(flag_sets):
        flags = " ".join(extra) or "(defaults)"
        systems.append((f"heihui n-gram {n + 1}: {flags}", ngram[n]))
        systems.append((f"heihui combined {n + 1}: {flags}", combined[n]))
    systems.append(("scikit-learn", sklearn))
    width = max(len(name) for name, _ in systems)
    print(f"{'system':<{width}} {'macro-F1':>9} {'200+':>8}")
    for name, predicted in systems:
        print(f"{name:<{width}} {macro(gold, predicted):>9.4f} "
              f"{macro([gold[i] for i in long], [predicted[i] for i in long]):>8.4f}")


if __name__ == "__main__":
    main()
