#!/usr/bin/env bash
# Cross-validation held out by source (see benches/cv_by_source.py): heihui's n-gram part and
# the TF-IDF + logistic-regression baseline on writing neither has seen.
#   bash benches/cv_by_source.sh [--folds N] [-- TRAIN FLAGS...]
# Installs scikit-learn from PyPI into a venv of its own under target/.
set -euo pipefail
cd "$(dirname "$0")/.."
venv=target/bench-venv
[ -x "$venv/bin/python" ] || python3 -m venv "$venv"
"$venv/bin/pip" install --quiet scikit-learn
cargo build --release --quiet
"$venv/bin/python" benches/cv_by_source.py target/release/heihui "$@"
