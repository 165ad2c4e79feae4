#!/usr/bin/env bash
# heihui's n-gram component against scikit-learn's TF-IDF + logistic regression, trained on
# the same rows and scored on the same rows: macro-F1 of each, overall and by length band,
# and the difference (the component is meant to stay within 0.01 of scikit-learn).
#   bash benches/ngram_vs_sklearn.sh [TRAIN.csv] [EVAL.csv]
# Installs scikit-learn from PyPI into a venv of its own under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
train=${1:-corpus/labeled/train.csv}
eval_file=${2:-corpus/labeled/test.csv}
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet scikit-learn
cargo build --release --quiet
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# The shipped transformer is kept as it is; only the n-gram part is fitted on TRAIN, with
# scikit-learn's settings (characters only, C = 10) rather than heihui's defaults.
target/release/heihui train --init models/heihui-zh-small --keep-transformer \
  --train "$train" --out "$work/model" --ngram-words 0 --ngram-c 10 --quiet
target/release/heihui eval "$eval_file" --model "$work/model" --quiet --json > "$work/heihui.json"
"$venv/bin/python" benches/tfidf_baseline.py "$train" "$eval_file" --json > "$work/sklearn.json"
python3 - "$work/heihui.json" "$work/sklearn.json" <<'PY'
import json, sys
ours, theirs = (json.load(open(p)) for p in sys.argv[1:3])
rows = [("all", ours["systems"], theirs["all"])]
rows += [(band, ours["by_length"][band], theirs[band]) for band in ["<60", "60-199", "200+"]]
print(f"{'rows':<8} {'n':>6} {'heihui n-gram':>14} {'scikit-learn':>13} {'difference':>11}")
for name, o, t in rows:
    a, b = o["ngram"]["macro_f1"], t["macro_f1"]
    print(f"{name:<8} {o['rows']:>6} {a:>14.4f} {b:>13.4f} {a - b:>+11.4f}")
PY
