#!/usr/bin/env bash
# heihui against PyTorch and ONNX Runtime on randomly initialised BertForSequenceClassification
# models at three sizes: the shipped shape (2 x 128, its tokenizer), 4 x 312 and 12 x 768
# (vocab 21128: the shipped tokens padded with filler tokens). Each system is one whole process
# over the same rows file (reading, tokenising, the model on every row, batch 32, at most 128
# tokens, 2 threads), timed in turns; the median of the rounds is kept, with peak RSS.
# heihui runs `label` (a model directory without an n-gram part runs the transformer on every
# row) at --precision fp32 and int8 (HEIHUI names the binary; default the release build).
# ROWS (default 2000) sets the rows per size, ROWS_312 and ROWS_768 override it for the larger
# two; ROUNDS (default 3). Medians go to stdout, every run to stderr.
#   bash benches/sizes_vs_ort.sh      ROWS=2000 ROWS_312=500 ROWS_768=50 ROUNDS=3 bash ...
# The venv (torch, transformers, onnx, onnxruntime, tokenizers from PyPI) is made in
# target/ort-venv and reused; models are kept in target/ort-models.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -n "${HEIHUI:-}" ] || cargo build --release --quiet --bin heihui
bin=${HEIHUI:-${CARGO_TARGET_DIR:-target}/release/heihui}
venv=target/ort-venv
if [ ! -x "$venv/bin/python" ] || [ ! -f "$venv/install-time.txt" ]; then
  start=$(date +%s)
  python3 -m venv "$venv"
  "$venv/bin/pip" install -q torch transformers onnx onnxruntime tokenizers onnxscript
  echo "install_seconds=$(($(date +%s) - start))" > "$venv/install-time.txt"
  du -sh "$venv" >> "$venv/install-time.txt"
fi
py=$venv/bin/python
export TRANSFORMERS_VERBOSITY=error HF_HUB_DISABLE_PROGRESS_BARS=1
echo "venv: $(tr '\n' ' ' < "$venv/install-time.txt")"
"$py" -c 'import torch, onnxruntime, transformers; print("torch", torch.__version__,
  "onnxruntime", onnxruntime.__version__, "transformers", transformers.__version__)'
echo "load average at start: $(cut -d' ' -f1-3 /proc/loadavg), $(nproc) cores"
models=target/ort-models
mkdir -p "$models"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
rounds=${ROUNDS:-3}
echo "| size | rows | system | rows/s | peak RSS MiB |"
echo "| --- | --- | --- | --- | --- |"
summary=()
while read -r name layers hidden heads intermediate vocab rows_var; do
  dir=$models/$name
  if [ ! -f "$dir/model.int8.onnx" ]; then
    "$py" benches/ort_models.py "$dir" "$layers" "$hidden" "$heads" "$intermediate" "$vocab" \
      >&2
  fi
  "$bin" classify --model "$dir" --quiet 你好 > /dev/null
  rows=${!rows_var:-${ROWS:-2000}}
  python3 benches/gen_rows.py "$rows" "$work/rows.csv"
  systems="heihui-fp32 heihui-int8 pytorch ort-fp32 ort-int8"
  for round in $(seq "$rounds"); do
    for system in $systems; do
      case $system in
        heihui-*) cmd=("$bin" label "$work/rows.csv" --model "$dir" --quiet
                       --precision "${system#heihui-}") ;;
        *) cmd=("$py" benches/ort_run.py "$system" "$dir" "$work/rows.csv") ;;
      esac
      /usr/bin/time -f "%e %M" -o "$work/time" "${cmd[@]}" > "$work/out"
      [ "$(wc -l < "$work/out")" -ge "$rows" ] || { echo "$system: short output" >&2; exit 1; }
      echo "$system $(cat "$work/time")" >> "$work/$name.times"
      echo "$name round $round: $system $(cat "$work/time") (s wall, KB peak)" >&2
    done
  done
  for system in $systems; do
    read -r secs rss < <(awk -v s="$system" '$1 == s {print $2, $3}' "$work/$name.times" |
      sort -n | awk '{a[NR]=$0} END {print a[int((NR + 1) / 2)]}')
    rate=$(echo "$rows / $secs" | bc -l)
    printf '| %s | %s | %s | %.1f | %.0f |\n' "$name" "$rows" "$system" "$rate" "$((rss / 1024))"
    eval "rate_${system//-/_}=$rate"
  done
  summary+=("$(printf '%s: heihui int8 / ORT int8 %.2fx, heihui fp32 / PyTorch %.2fx' "$name" \
    "$(echo "$rate_heihui_int8 / $rate_ort_int8" | bc -l)" \
    "$(echo "$rate_heihui_fp32 / $rate_pytorch" | bc -l)")")
done <<'SIZES'
2x128 2 128 4 512 5068 ROWS
4x312 4 312 12 1200 21128 ROWS_312
12x768 12 768 12 3072 21128 ROWS_768
SIZES
printf '%s\n' "${summary[@]}"
echo "load average at end: $(cut -d' ' -f1-3 /proc/loadavg)"
