#!/usr/bin/env bash
# heihui campaigns against datasketch's MinHashLSH on one generated file (gen_rows.py's texts
# with template campaigns and shared contacts put in, benches/gen_mining_rows.py), same
# threshold, same 64 permutations, same shingles of heihui's normalised text: wall time in
# interleaved runs, and recall and precision of near-duplicate pairs against exact Jaccard on a
# random 5,000-row sample.
#   bash benches/campaigns_vs_datasketch.sh [ROWS] [ROUNDS] [LABEL]   (default 100000 2 yes)
#
# heihui's time is the whole command: reading, normalising, labelling every row (the model
# runs too) and the campaigns. datasketch's is the whole script on texts heihui has already
# normalised (`heihui segment --json`, not timed): shingling, MinHash, LSH, verification and
# union-find. With LABEL=yes, `heihui label` on the same file is timed once beside them, so the
# campaigns' own share shows.
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-100000}
rounds=${2:-2}
with_label=${3:-yes}
threshold=0.55
venv=${HEIHUI_DATASKETCH_VENV:-${TMPDIR:-/tmp}/heihui-datasketch-venv}
if ! "$venv/bin/python" -c 'import datasketch, scipy' 2>/dev/null; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet datasketch scipy
fi
cargo build --release --quiet --bin heihui
bin=${CARGO_TARGET_DIR:-target}/release/heihui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 benches/gen_mining_rows.py "$rows" "$work/rows.jsonl"
echo "input: $rows rows, $(du -h "$work/rows.jsonl" | cut -f1); datasketch $("$venv/bin/python" -c 'import datasketch; print(datasketch.__version__)')"

# heihui's normalised text of each row (line breaks as spaces: segment reads a text a line;
# shingles keep no spaces or line breaks).
python3 - "$work/rows.jsonl" "$work/texts.txt" <<'PY'
import json, sys
with open(sys.argv[1], encoding="utf-8") as f, open(sys.argv[2], "w", encoding="utf-8") as out:
    for line in f:
        out.write(json.loads(line)["text"].replace("\r", " ").replace("\n", " ") + "\n")
PY
"$bin" segment --json <"$work/texts.txt" | python3 -c '
import json, sys
for i, line in enumerate(sys.stdin):
    print(json.dumps({"id": f"r{i}", "normalized": json.loads(line)["normalized"]}, ensure_ascii=False))
' >"$work/normalized.jsonl"
[ "$(wc -l <"$work/normalized.jsonl")" -eq "$rows" ] || { echo "segment lost rows"; exit 1; }

timed() { # name, command...: appends "name seconds peak_kb"
  local name=$1
  shift
  /usr/bin/time -f "$name %e %M" -a -o "$work/times" "$@"
}
for round in $(seq "$rounds"); do
  timed heihui "$bin" campaigns "$work/rows.jsonl" --json -q --threshold "$threshold" \
    -o "$work/heihui.jsonl"
  timed datasketch "$venv/bin/python" benches/campaigns_vs_datasketch.py cluster \
    "$work/normalized.jsonl" "$work/datasketch.jsonl" --threshold "$threshold" --perms 64
done
if [ "$with_label" = yes ]; then
  timed label "$bin" label "$work/rows.jsonl" -q -o "$work/labelled.jsonl"
fi

python3 - "$work/times" <<'PY'
import sys
runs = {}
for line in open(sys.argv[1]):
    name, sec, kb = line.split()
    runs.setdefault(name, []).append((float(sec), int(kb)))
for name, got in runs.items():
    secs = ", ".join(f"{s:.1f}" for s, _ in got)
    print(f"{name}: {secs} s; peak {max(k for _, k in got) / 1024:.0f} MB")
best = {name: min(s for s, _ in got) for name, got in runs.items()}
print(f"best of each: heihui campaigns {best['heihui']:.1f} s, datasketch {best['datasketch']:.1f} s; "
      f"heihui campaigns / datasketch: {best['heihui'] / best['datasketch']:.2f}")
if "label" in best:
    print(f"heihui label {best['label']:.1f} s; campaigns beyond label: "
          f"{best['heihui'] - best['label']:.1f} s")
PY
"$venv/bin/python" benches/campaigns_vs_datasketch.py score "$work/normalized.jsonl" \
  "$work/heihui.jsonl" "$work/datasketch.jsonl" --sample 5000 --seed 1 --threshold "$threshold"
