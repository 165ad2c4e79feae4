//! CSV and TSV: a labelled row as one record, with every cell a spreadsheet could run as a
//! formula guarded.

use super::{Decided, FormulaGuard, OutputSettings};
use crate::classifier::Classification;
use crate::input::{Fields, Row};

/// Characters a spreadsheet reads as the start of a formula.
const FORMULA_STARTS: [char; 8] = ['=', '+', '-', '@', '＝', '＋', '－', '＠'];

/// Whether a spreadsheet could run `cell` as a formula: it starts with a tab or carriage
/// return, or its first character after any spaces (ASCII or ideographic) and tabs is a
/// formula sign.
fn risky(cell: &str) -> bool {
    cell.starts_with(['\t', '\r'])
        || cell
            .trim_start_matches([' ', '\t', '\u{3000}'])
            .starts_with(FORMULA_STARTS)
}

/// A cell as written to CSV with the formula guard on.
pub fn guard_cell(cell: &str) -> String {
    guard(cell, FormulaGuard::On).into_owned()
}

pub(super) fn guard(cell: &str, guard: FormulaGuard) -> std::borrow::Cow<'_, str> {
    if guard == FormulaGuard::On && risky(cell) {
        format!("'{cell}").into()
    } else {
        cell.into()
    }
}

/// One labelled row as a CSV or TSV record: the source (when asked), the input's cells, then
/// the added columns.
/// The input's cells are borrowed, not copied: a huge field is not held twice.
pub(super) fn row_record<'a>(
    settings: &OutputSettings,
    source: &'a str,
    row: &'a Row,
    c: &Classification,
) -> Vec<std::borrow::Cow<'a, str>> {
    let guard_mode = settings.formula_guard;
    let mut record = Vec::new();
    if settings.source_column {
        record.push(guard(source, guard_mode));
    }
    match &row.fields {
        Fields::Table(fields) => record.extend(fields.iter().map(|f| guard(f, guard_mode))),
        Fields::Json(_) => record.push(guard(row.text(), guard_mode)),
    }
    let decided = Decided::from(c);
    // Every added cell is guarded: the numbers and the label never start with a formula
    // sign, the hits, contacts and reason can.
    record.extend(
        super::columns(settings.explain)
            .into_iter()
            .map(|col| guard(&col.cell(&decided), guard_mode).into_owned().into()),
    );
    record
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formula_guard_prefixes_risky_cells() {
        for (cell, want) in [
            ("=SUM(A1)", "'=SUM(A1)"),
            ("+86 138", "'+86 138"),
            ("-1", "'-1"),
            ("@cmd", "'@cmd"),
            ("＝SUM(A1)", "'＝SUM(A1)"),
            ("＋86 138", "'＋86 138"),
            ("－1", "'－1"),
            ("＠cmd", "'＠cmd"),
            ("  =1+1", "'  =1+1"),
            ("\t=1+1", "'\t=1+1"),
            (" \t+1", "' \t+1"),
            ("\u{3000}@x", "'\u{3000}@x"),
            ("  停息挂账", "  停息挂账"),
            ("a＝b", "a＝b"),
            ("停息挂账", "停息挂账"),
            ("a=b", "a=b"),
        ] {
            assert_eq!(guard(cell, FormulaGuard::On), want);
            assert_eq!(guard(cell, FormulaGuard::Off), cell);
        }
    }
}
