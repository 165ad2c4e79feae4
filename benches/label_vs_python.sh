#!/usr/bin/env bash
# heihui label against the Python pipeline (pandas + jieba + transformers on CPU, same model
# directory) on one generated file, in the same run: rows/s, peak memory, and label agreement
# on rows without phrase hits.
#   bash benches/label_vs_python.sh [ROWS]      (default 100000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
pip install --quiet pandas jieba torch transformers >/dev/null
cargo build --release --quiet
work=$(mktemp -d)
python3 benches/gen_rows.py "$rows" "$work/rows.csv"
echo "input: $rows rows, $(du -h "$work/rows.csv" | cut -f1)"

/usr/bin/time -f "%e %M" -o "$work/heihui.time" \
  target/release/heihui label "$work/rows.csv" -o "$work/heihui.csv" --quiet --explain
read -r h_sec h_kb < "$work/heihui.time"
/usr/bin/time -f "%e %M" -o "$work/python.time" \
  python3 benches/label_python.py models/heihui-zh-small "$work/rows.csv" "$work/python.csv" > /dev/null 2>&1
read -r p_sec p_kb < "$work/python.time"

python3 - "$work" "$rows" "$h_sec" "$h_kb" "$p_sec" "$p_kb" <<'PY'
import csv, sys
work, rows, h_sec, h_kb, p_sec, p_kb = sys.argv[1:]
rows = int(rows)
ours = list(csv.DictReader(open(f"{work}/heihui.csv", encoding="utf-8")))
theirs = list(csv.DictReader(open(f"{work}/python.csv", encoding="utf-8")))
no_hits = [(a, b) for a, b in zip(ours, theirs) if not a["hits"]]
same = sum(a["label"] == b["label"] for a, b in no_hits)
def model_label(reason):
    # "model: normal 0.01, malicious_complaint 0.02, debt_optimization 0.97; ..."
    parts = reason.split(";")[0].removeprefix("model: ").split(", ")
    scores = {p.split(" ")[0]: float(p.split(" ")[1]) for p in parts}
    return max(scores, key=scores.get)
import re
# Texts the normaliser leaves as they are (CJK, Chinese punctuation, lower-case ASCII letters
# and digits) and short enough that neither side truncates: both models see the same tokens.
plain = re.compile(r"^[\u4e00-\u9fff，。！？、：；0-9a-z]{1,100}$")
short = [(a, b) for a, b in zip(ours, theirs) if plain.match(a["投诉内容"])]
same_model = sum(model_label(a["reason"]) == b["label"] for a, b in short)
h_rate, p_rate = rows / float(h_sec), rows / float(p_sec)
print(f"| system | rows/s | peak memory |")
print(f"| --- | --- | --- |")
print(f"| heihui label | {h_rate:.0f} | {int(h_kb) / 1024:.0f} MB |")
print(f"| pandas + jieba + transformers | {p_rate:.0f} | {int(p_kb) / 1024:.0f} MB |")
print(f"speed ratio heihui / python: {h_rate / p_rate:.2f}")
print(f"rows without phrase hits: {len(no_hits)}; same final label: {same} ({100 * same / max(1, len(no_hits)):.1f}%)")
print(f"plain texts of at most 100 characters (same tokens on both sides): {len(short)}; "
      f"same model label: {same_model} ({100 * same_model / max(1, len(short)):.2f}%)")
PY
rm -rf "$work"
