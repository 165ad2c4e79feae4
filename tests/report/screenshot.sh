#!/usr/bin/env bash
# Renders `heihui eval --report` headless in Debian's chromium and saves a screenshot, to look
# at the page as a reader would. Installs chromium with apt-get when it is missing (root).
#
# Usage: tests/report/screenshot.sh [DATA.csv] [OUT.png]
#   defaults: corpus/labeled/test.csv, target/report/report.png (the page beside it)
set -euo pipefail
cd "$(dirname "$0")/../.."
data="${1:-corpus/labeled/test.csv}"
out_dir="${CARGO_TARGET_DIR:-target}/report"
png="${2:-$out_dir/report.png}"
mkdir -p "$out_dir" "$(dirname "$png")"
bin="${CARGO_TARGET_DIR:-target}/release/heihui"
[[ -x "$bin" ]] || cargo build --release --bin heihui
if ! command -v chromium >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium
fi
page="$out_dir/report.html"
"$bin" eval "$data" --quiet --report "$page" >/dev/null
profile="$(mktemp -d)"
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --user-data-dir="$profile" \
    --screenshot="$png" --window-size=1280,2400 "file://$(realpath "$page")" 2>/dev/null
echo "$png"
