#!/usr/bin/env bash
# The shipped model's transformer at int8 against fp32: label agreement and probability
# differences on the labelled test, dev and blind files (the transformer's own predictions:
# the shipped decision gives it no weight, so `label`'s labels would agree trivially), and
# rows/s of the transformer alone at each precision, in turns. With ROWS set (100000, say),
# the same on that many rows from benches/gen_rows.py.
# Then whole-process wall time of `heihui eval` (every system) on the test file, in turns. With
# BASE set, also a randomly initialised 12 x 768 model (intermediate 3072, the shipped
# tokenizer's vocabulary) on the first BASE rows of the test file.
#   bash benches/int8_vs_fp32.sh            ROUNDS=5 ROWS=100000 BASE=300 bash benches/int8_vs_fp32.sh
set -euo pipefail
cd "$(dirname "$0")/.."
target=${CARGO_TARGET_DIR:-target}
cargo build --release --quiet --bin heihui --example precision_agreement --example random_bert
bin=$target/release/heihui
model=models/heihui-zh-small
echo "cpu flags: $(grep -o -w 'avx2\|avx512bw\|avx512_vnni\|avx_vnni' /proc/cpuinfo | sort -u | tr '\n' ' ')"
echo "threads: $(nproc)"
"$target/release/examples/precision_agreement" "$model" "${ROUNDS:-3}" \
  corpus/labeled/test.csv corpus/labeled/dev.csv corpus/labeled/blind.csv
if [ -n "${ROWS:-}" ]; then
  rows=$(mktemp --suffix=.csv)
  python3 benches/gen_rows.py "$ROWS" "$rows"
  "$target/release/examples/precision_agreement" "$model" "${ROUNDS:-3}" "$rows"
  rm -f "$rows"
fi
for round in 1 2; do
  for precision in fp32 int8; do
    start=$(date +%s.%N)
    "$bin" eval corpus/labeled/test.csv --model "$model" --precision "$precision" --quiet \
      > /dev/null
    end=$(date +%s.%N)
    echo "eval round $round: $precision $(echo "$end - $start" | bc) s wall"
  done
done
if [ -n "${BASE:-}" ]; then
  work=$(mktemp -d)
  "$target/release/examples/random_bert" "$work/base" 12 768 12 3072
  python3 - "$BASE" "$work/rows.csv" <<'PY'
import csv, sys
n, out = int(sys.argv[1]), sys.argv[2]
with open("corpus/labeled/test.csv", newline="", encoding="utf-8") as f:
    rows = list(csv.DictReader(f))[:n]
with open(out, "w", newline="", encoding="utf-8") as f:
    w = csv.DictWriter(f, fieldnames=["id", "text"], extrasaction="ignore")
    w.writeheader()
    w.writerows(rows)
PY
  "$target/release/examples/precision_agreement" "$work/base" "${ROUNDS:-3}" "$work/rows.csv"
  rm -rf "$work"
fi
