#!/usr/bin/env bash
# Checks a workbook written by `heihui label -o out.xlsx` with openpyxl (from PyPI), a reader
# independent of the one heihui's own tests use: header frozen, autofilter over the table,
# probabilities as numbers, every cell a string or a number (no formula, `=1+1` kept as text),
# label cells filled, and the summary sheet.
#
# Usage: tests/xlsx/openpyxl_check.sh [HEIHUI_BINARY]
# The virtual environment goes to $TMPDIR (or /tmp) and is reused on later runs.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin="${1:-${CARGO_TARGET_DIR:-target}/release/heihui}"
if [[ ! -x "$bin" ]]; then
    cargo build --release --bin heihui
fi
venv="${TMPDIR:-/tmp}/heihui-openpyxl-venv"
if [[ ! -x "$venv/bin/python" ]]; then
    python3 -m venv "$venv"
fi
"$venv/bin/pip" install --quiet openpyxl
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cat > "$work/in.csv" <<'CSV'
id,text,note
1,网贷逾期别慌，专业团队帮你停息挂账，先服务后收费，加V详聊,=1+1
2,我上个月的还款已经扣了，但账单还显示逾期，麻烦帮我查一下,@cmd
3,今天天气不错,+86 138 0000 1234
CSV
"$bin" label "$work/in.csv" -o "$work/out.xlsx" --quiet
"$venv/bin/python" - "$work/out.xlsx" <<'PY'
import sys
import openpyxl

book = openpyxl.load_workbook(sys.argv[1])
assert book.sheetnames == ["labelled", "summary"], book.sheetnames
ws = book["labelled"]
header = [c.value for c in ws[1]]
assert ws.freeze_panes == "A2", ws.freeze_panes
last = openpyxl.utils.get_column_letter(len(header))
assert ws.auto_filter.ref == f"A1:{last}{ws.max_row}", ws.auto_filter.ref
for row in ws.iter_rows():
    for c in row:
        assert c.data_type in ("s", "n"), (c.coordinate, c.data_type, c.value)
col = {name: i for i, name in enumerate(header)}
rows = list(ws.iter_rows(min_row=2, values_only=True))
assert [r[col["note"]] for r in rows] == ["=1+1", "@cmd", "+86 138 0000 1234"], rows
for r in rows:
    ps = [r[col[p]] for p in ("p_normal", "p_malicious_complaint", "p_debt_optimization")]
    assert all(isinstance(p, float) for p in ps), ps
    assert abs(sum(ps) - 1) < 1e-3, ps
fills = {ws.cell(row=i + 2, column=col["label"] + 1).fill.fgColor.rgb for i in range(len(rows))}
assert all(f and f != "00000000" for f in fills), fills
summary = {r[0]: r[1] for r in book["summary"].iter_rows(min_row=2, values_only=True)}
assert summary["rows in"] == 3 and summary["rejected"] == 0, summary
print(f"openpyxl {openpyxl.__version__}: frozen {ws.freeze_panes}, filter {ws.auto_filter.ref}, "
      f"{ws.max_row - 1} rows, cell types {sorted({c.data_type for r in ws.iter_rows() for c in r})}, "
      f"label fills {sorted(fills)}, summary {summary}")
PY
