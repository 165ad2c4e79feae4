"""The TF-IDF + logistic-regression baseline heihui's n-gram component is held to.

    python3 benches/tfidf_baseline.py TRAIN.csv EVAL.csv [--json]

Fits scikit-learn's TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True)
and LogisticRegression(C=10) on TRAIN's `text` and `label` columns, and prints macro-F1,
accuracy and per-label F1 on EVAL, overall and by length band. With --json, one JSON object.
"""
import csv
import json
import sys

from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score

LABELS = ["normal", "malicious_complaint", "debt_optimization"]


def read(path):
    with open(path, encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    return [r["text"] for r in rows], [r["label"] for r in rows]


def scores(gold, predicted):
    return {
        "rows": len(gold),
        "macro_f1": f1_score(gold, predicted, labels=LABELS, average="macro", zero_division=0),
        "accuracy": accuracy_score(gold, predicted) if gold else 0.0,
        "f1": dict(zip(LABELS, f1_score(gold, predicted, labels=LABELS, average=None, zero_division=0).tolist())),
    }


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    train_texts, train_labels = read(args[0])
    eval_texts, eval_labels = read(args[1])
    vectorizer = TfidfVectorizer(analyzer="char", ngram_range=(1, 4), sublinear_tf=True)
    x = vectorizer.fit_transform(train_texts)
    model = LogisticRegression(C=10, max_iter=1000).fit(x, train_labels)
    predicted = model.predict(vectorizer.transform(eval_texts)).tolist()
    report = {"all": scores(eval_labels, predicted)}
    for band, lo, hi in [("<60", 0, 60), ("60-199", 60, 200), ("200+", 200, 10**9)]:
        idx = [i for i, t in enumerate(eval_texts) if lo <= len(t) < hi]
        report[band] = scores([eval_labels[i] for i in idx], [predicted[i] for i in idx])
    if "--json" in sys.argv:
        print(json.dumps(report))
        return
    for name, s in report.items():
        f1 = "  ".join(f"{k} {v:.3f}" for k, v in s["f1"].items())
        print(f"{name:<8} rows {s['rows']:>5}  macro_f1 {s['macro_f1']:.4f}  accuracy {s['accuracy']:.4f}  {f1}")


if __name__ == "__main__":
    main()
