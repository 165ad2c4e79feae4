#!/usr/bin/env bash
# heihui label, clues and campaigns on one generated file (benches/gen_mining_rows.py:
# gen_rows.py's texts with template campaigns and agencies' shared contacts put in): wall time
# CPU time (user + sys) and peak memory of each (/usr/bin/time -v), and clues' and campaigns'
# times as a multiple of label's. Goals: within 1.3x label's time, under 1 GB. The binary is
# copied first, so a build during a long run does not change it between commands.
#   bash benches/mining_scale.sh [ROWS]      (default 1000000)
set -euo pipefail
cd "$(dirname "$0")/.."
rows=${1:-1000000}
cargo build --release --quiet --bin heihui
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
bin=$work/heihui
cp "${CARGO_TARGET_DIR:-target}/release/heihui" "$bin"
python3 benches/gen_mining_rows.py "$rows" "$work/rows.csv"
echo "input: $rows rows, $(du -h "$work/rows.csv" | cut -f1); $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"

measure() { # name, command...
  local name=$1
  shift
  /usr/bin/time -v -o "$work/$name.time" "$@"
  local sec cpu kb
  sec=$(awk -F': ' '/Elapsed \(wall clock\)/ {n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s}' "$work/$name.time")
  cpu=$(awk -F': ' '/(User|System) time/ {s += $2} END {printf "%.2f", s}' "$work/$name.time")
  kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/$name.time")
  echo "$name $sec $cpu $kb" >>"$work/summary"
  echo "$name: ${sec} s wall, ${cpu} s CPU, peak $((kb / 1024)) MB"
}
measure label "$bin" label "$work/rows.csv" -q -o "$work/labelled.csv"
measure clues "$bin" clues "$work/rows.csv" -q -o "$work/clues.csv"
measure campaigns "$bin" campaigns "$work/rows.csv" -q -o "$work/campaigns.csv"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
awk '{t[$1] = $2; u[$1] = $3; m[$1] = $4} END {
  for (c in t) if (c != "label")
    printf "%s / label: %.2fx wall, %.2fx CPU (goal <= 1.30), peak %.0f MB (goal < 1024)\n", c, t[c] / t["label"], u[c] / u["label"], m[c] / 1024
}' "$work/summary" | sort
echo "clue file: $(($(wc -l <"$work/clues.csv") - 1)) contacts; campaign file: $(($(wc -l <"$work/campaigns.csv") - 1)) lines"
