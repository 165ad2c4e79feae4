#!/usr/bin/env bash
# Trains the candidate sizes of the default model on the shipped data and measures, for each,
# dev macro-F1 (model only) and evaluation throughput (rows/s, model and corpus) in the same
# run. Writes a Markdown table to stdout; the default model's card keeps the latest one.
#   bash benches/model_sizes.sh > /tmp/sizes.md
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
bin=target/release/heihui
# Models are kept (and reused when present) in $SIZES_DIR.
work=${SIZES_DIR:-$(mktemp -d)}
mkdir -p "$work"
echo "| layers | hidden | heads | max tokens | parameters | dev macro-F1 (model) | dev macro-F1 (combined) | eval rows/s | train minutes |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
while read -r layers hidden heads maxlen; do
  out="$work/L${layers}H${hidden}T${maxlen}"
  log="$out.log"
  if [ ! -f "$out/metrics.json" ]; then
    "$bin" train --out "$out" --layers "$layers" --hidden "$hidden" --heads "$heads" \
      --max-len "$maxlen" --epochs "${EPOCHS:-10}" --patience 3 --quiet 2> "$log"
  fi
  python3 - "$out" "$bin" "$layers" "$hidden" "$heads" "$maxlen" <<'PY'
import json, subprocess, sys, re
out, binary, layers, hidden, heads, maxlen = sys.argv[1:]
m = json.load(open(f"{out}/metrics.json"))
ev = subprocess.run([binary, "eval", "corpus/labeled/dev.csv", "--model", out, "--quiet"],
                    capture_output=True, text=True)
rate = re.search(r"\((\d+) rows/s", ev.stderr).group(1)
print(f"| {layers} | {hidden} | {heads} | {maxlen} | {m['parameters']} | "
      f"{m['dev']['model_only']['macro_f1']:.3f} | {m['dev']['combined']['macro_f1']:.3f} | "
      f"{rate} | {m['training_seconds']/60:.1f} |")
PY
done <<'SIZES'
1 128 4 128
2 128 4 128
3 128 4 128
2 256 4 128
SIZES
[ -n "${SIZES_DIR:-}" ] || rm -rf "$work"
