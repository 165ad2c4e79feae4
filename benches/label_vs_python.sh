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
# The model alone, on texts both sides feed it as the same tokens: distinct texts of at most
# 100 characters (no truncation on either side) that heihui's normaliser leaves as they are
# (`heihui segment --json`; traditional characters, variants and symbols change the tokens).
# heihui's model-only probabilities (`heihui classify --json`) against transformers' softmax.
import json, subprocess
import torch
from transformers import AutoModelForSequenceClassification, PreTrainedTokenizerFast
model_dir = "models/heihui-zh-small"
texts = sorted({a["投诉内容"] for a in ours if 0 < len(a["投诉内容"]) <= 100 and "\n" not in a["投诉内容"]})
def heihui(*args):
    out = subprocess.run(["target/release/heihui", *args], input="\n".join(texts) + "\n",
                         capture_output=True, text=True, check=True).stdout
    return [json.loads(line) for line in out.splitlines()]
normalized = {s["text"]: s["normalized"] for s in heihui("segment", "--json")}
texts = [t for t in texts if normalized.get(t) == t]
ours_model = {c["text"]: c["model_probabilities"] for c in heihui("classify", "--json", "--model", model_dir)}
tokenizer = PreTrainedTokenizerFast(tokenizer_file=f"{model_dir}/tokenizer.json", unk_token="[UNK]",
                                    pad_token="[PAD]", cls_token="[CLS]", sep_token="[SEP]", mask_token="[MASK]")
model = AutoModelForSequenceClassification.from_pretrained(model_dir).eval()
same_model, largest = 0, 0.0
with torch.inference_mode():
    for i in range(0, len(texts), 64):
        batch = texts[i:i + 64]
        enc = tokenizer(batch, padding=True, truncation=True, max_length=128, return_tensors="pt")
        for text, probs in zip(batch, torch.softmax(model(**enc).logits, -1).tolist()):
            theirs_p = {model.config.id2label[k]: p for k, p in enumerate(probs)}
            mine = ours_model[text]
            same_model += max(mine, key=mine.get) == max(theirs_p, key=theirs_p.get)
            largest = max(largest, max(abs(mine[k] - theirs_p[k]) for k in theirs_p))
h_rate, p_rate = rows / float(h_sec), rows / float(p_sec)
print(f"| system | rows/s | peak memory |")
print(f"| --- | --- | --- |")
print(f"| heihui label | {h_rate:.0f} | {int(h_kb) / 1024:.0f} MB |")
print(f"| pandas + jieba + transformers | {p_rate:.0f} | {int(p_kb) / 1024:.0f} MB |")
print(f"speed ratio heihui / python: {h_rate / p_rate:.2f}")
print(f"rows without phrase hits: {len(no_hits)}; same final label: {same} ({100 * same / max(1, len(no_hits)):.1f}%)")
print(f"distinct texts of at most 100 characters the normaliser leaves unchanged (same tokens on "
      f"both sides): {len(texts)}; same model label: {same_model} "
      f"({100 * same_model / max(1, len(texts)):.2f}%); largest probability difference: {largest:.1e}")
PY
rm -rf "$work"
