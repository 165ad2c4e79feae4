//! Workbooks in: `label`, `clues`, `eval` and `data check` read .xlsx (made here with
//! rust_xlsxwriter) and .ods (a small committed fixture) as they read CSV.

use std::path::{Path, PathBuf};

use rust_xlsxwriter::{ExcelDateTime, Format, Formula, Workbook};

use crate::common::*;

const SPAM: &str = "网贷逾期别慌，专业团队帮你停息挂账，先服务后收费，加V详聊";
const COMPLAINT: &str = "我上个月的还款已经扣了，但账单还显示逾期，麻烦帮我查一下";

/// A workbook whose first sheet `投诉` has an empty first row, then the header on row 2 and
/// rows of every cell type; a second sheet `其他` holds one row.
fn complaints_book(path: &Path) {
    let mut book = Workbook::new();
    let date = Format::new().set_num_format("yyyy/m/d");
    let sheet = book.add_worksheet().set_name("投诉").unwrap();
    for (col, name) in ["编号", "内容", "电话", "金额", "日期", "已处理", "渠道"]
        .iter()
        .enumerate()
    {
        sheet.write_string(1, col as u16, *name).unwrap();
    }
    // Excel row 3.
    sheet.write_number(2, 0, 1).unwrap();
    sheet.write_string(2, 1, SPAM).unwrap();
    sheet.write_number(2, 2, 13_800_000_000.0).unwrap();
    sheet.write_number(2, 3, 12.5).unwrap();
    let day = ExcelDateTime::from_ymd(2024, 3, 5).unwrap();
    sheet.write_datetime_with_format(2, 4, &day, &date).unwrap();
    sheet.write_boolean(2, 5, true).unwrap();
    // The channel cell is merged over Excel rows 3 and 4.
    sheet
        .merge_range(2, 6, 3, 6, "app", &Format::new())
        .unwrap();
    // Excel row 4: the amount and date empty.
    sheet.write_number(3, 0, 2).unwrap();
    sheet.write_string(3, 1, COMPLAINT).unwrap();
    sheet.write_string(3, 2, "=1+1").unwrap();
    // Excel row 5 is blank; row 6 holds an error.
    sheet.write_number(5, 0, 3).unwrap();
    sheet.write_string(5, 1, "今天天气不错").unwrap();
    sheet
        .write_formula(5, 3, Formula::new("=1/0").set_result("#DIV/0!"))
        .unwrap();
    // Excel row 7.
    sheet.write_number(6, 0, 4).unwrap();
    sheet
        .write_string(6, 1, "本人诉求如下：全部息费减免")
        .unwrap();
    let other = book.add_worksheet().set_name("其他").unwrap();
    other.write_string(0, 0, "text").unwrap();
    other
        .write_string(1, 0, "加微信 tingxi888 了解停息挂账")
        .unwrap();
    book.save(path).unwrap();
}

fn label(dir: &Path, input: &Path, extra: &[&str]) -> (std::process::Output, Vec<Vec<String>>) {
    let out = dir.join("out.csv");
    let mut args = vec![
        "label",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ];
    args.extend_from_slice(extra);
    let o = run(&args);
    let rows = std::fs::read_to_string(&out)
        .map(|s| csv_rows(&s))
        .unwrap_or_default();
    (o, rows)
}

fn column<'a>(rows: &'a [Vec<String>], name: &str) -> Vec<&'a str> {
    let i = rows[0].iter().position(|h| h == name).unwrap();
    rows[1..].iter().map(|r| r[i].as_str()).collect()
}

#[test]
fn label_reads_every_cell_type_as_excel_shows_it() {
    let dir = scratch("xlsx_cells");
    let input = dir.join("complaints.xlsx");
    complaints_book(&input);
    let (o, rows) = label(&dir, &input, &[]);
    assert_eq!(o.status.code(), Some(1), "one row rejected: {}", stderr(&o));
    assert_eq!(
        rows[0][..7],
        ["编号", "内容", "电话", "金额", "日期", "已处理", "渠道"]
    );
    assert_eq!(column(&rows, "编号"), ["1", "2", "4"], "blank row skipped");
    assert_eq!(column(&rows, "电话"), ["13800000000", "'=1+1", ""]);
    assert_eq!(column(&rows, "金额"), ["12.5", "", ""]);
    assert_eq!(column(&rows, "日期"), ["2024/3/5", "", ""]);
    assert_eq!(column(&rows, "已处理"), ["TRUE", "", ""]);
    assert_eq!(column(&rows, "渠道"), ["app", "app", ""], "merged cell");
    assert_eq!(column(&rows, "label")[0], "debt_optimization");
}

#[test]
fn error_cells_are_rejected_naming_sheet_row_and_column() {
    let dir = scratch("xlsx_error");
    let input = dir.join("complaints.xlsx");
    complaints_book(&input);
    let (_, _) = label(&dir, &input, &[]);
    let rejects = std::fs::read_to_string(dir.join("out.rejects.csv")).unwrap();
    let rows = csv_rows(&rejects);
    assert_eq!(rows.len(), 2, "{rejects}");
    let line = rows[0].iter().position(|h| h == "line").unwrap();
    let reason = rows[0].iter().position(|h| h == "reason").unwrap();
    assert_eq!(rows[1][line], "6", "the row Excel shows");
    assert_eq!(
        rows[1][reason],
        "sheet 投诉, row 6, column D (金额): the cell holds the error #DIV/0!"
    );
}

#[test]
fn sheet_flag_picks_a_sheet_and_lists_them_when_wrong() {
    let dir = scratch("xlsx_sheet");
    let input = dir.join("book.xlsx");
    complaints_book(&input);
    let (o, rows) = label(&dir, &input, &["--sheet", "其他"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(column(&rows, "text"), ["加微信 tingxi888 了解停息挂账"]);
    let (o, _) = label(&dir, &input, &["--sheet", "Sheet9"]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "heihui: {}: no sheet named `Sheet9`; the sheets are: 投诉, 其他",
            input.display()
        )
    );
    let o = run(&[
        "clues",
        input.to_str().unwrap(),
        "--sheet",
        "其他",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert!(stdout(&o).contains("\"tingxi888\""), "{}", stdout(&o));
}

#[test]
fn a_workbook_is_known_by_its_bytes_whatever_its_name() {
    let dir = scratch("xlsx_magic");
    let book = dir.join("book.xlsx");
    complaints_book(&book);
    let misnamed = dir.join("export.csv");
    std::fs::copy(&book, &misnamed).unwrap();
    let (o, rows) = label(&dir, &misnamed, &[]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    assert_eq!(column(&rows, "编号"), ["1", "2", "4"]);
    let fake = dir.join("fake.xlsx");
    std::fs::write(&fake, "id,text\n1,hello\n").unwrap();
    let (o, _) = label(&dir, &fake, &[]);
    assert_eq!(o.status.code(), Some(2));
    assert_eq!(
        stderr(&o).trim(),
        format!(
            "heihui: {}: not a workbook (it is neither a zip archive nor an OLE file); if it \
             is text, name its format with --format csv",
            fake.display()
        )
    );
    let (o, rows) = label(&dir, &fake, &["--format", "csv"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(column(&rows, "text"), ["hello"]);
}

/// The first rows of a shipped split as a workbook, ids and labels as written.
fn labeled_book(path: &Path, split: &str, n: usize) -> Vec<Vec<String>> {
    let all = std::fs::read_to_string(
        Path::new(env!("CARGO_MANIFEST_DIR")).join(format!("corpus/labeled/{split}.csv")),
    )
    .unwrap();
    let rows: Vec<Vec<String>> = csv_rows(&all).into_iter().take(n + 1).collect();
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in rows.iter().enumerate() {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, cell).unwrap();
        }
    }
    book.save(path).unwrap();
    rows
}

#[test]
fn eval_reads_a_workbook_as_it_reads_the_csv() {
    let dir = scratch("xlsx_eval");
    let book = dir.join("test.xlsx");
    let rows = labeled_book(&book, "test", 40);
    let csv = dir.join("test.csv");
    let mut w = csv::Writer::from_path(&csv).unwrap();
    for r in &rows {
        w.write_record(r).unwrap();
    }
    w.flush().unwrap();
    let from_book = run(&["eval", book.to_str().unwrap(), "--json", "--quiet"]);
    assert_eq!(from_book.status.code(), Some(0), "{}", stderr(&from_book));
    let from_csv = run(&["eval", csv.to_str().unwrap(), "--json", "--quiet"]);
    let report = |o: &std::process::Output| {
        let mut v: serde_json::Value = serde_json::from_str(&stdout(o)).unwrap();
        v.as_object_mut().unwrap().remove("file");
        v
    };
    assert_eq!(report(&from_book)["systems"]["rows"], 40);
    assert_eq!(report(&from_book), report(&from_csv));
}

#[test]
fn data_check_takes_a_split_as_a_workbook() {
    let dir = scratch("xlsx_data_check");
    let mut book = Workbook::new();
    let sheet = book.add_worksheet();
    for (r, row) in [
        ["id", "text", "label", "genre"],
        ["1", "今天天气不错", "normal", "chat"],
        ["2", "网贷逾期别慌，专业团队帮你停息挂账", "spam", "chat"],
    ]
    .iter()
    .enumerate()
    {
        for (c, cell) in row.iter().enumerate() {
            sheet.write_string(r as u32, c as u16, *cell).unwrap();
        }
    }
    book.save(dir.join("train.xlsx")).unwrap();
    for split in ["dev", "test"] {
        std::fs::write(
            dir.join(format!("{split}.csv")),
            format!("id,text,label,genre\n{split}1,我要投诉你们的催收员,malicious_complaint,chat\n{split}2,请帮我查一下账单,normal,sms\n"),
        )
        .unwrap();
    }
    let o = run(&["data", "check", dir.to_str().unwrap()]);
    let out = stdout(&o);
    assert!(
        out.contains("train.xlsx:3: column label: unknown label `spam`"),
        "{out}"
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(name)
}

#[test]
fn ods_reads_like_xlsx() {
    let dir = scratch("xlsx_ods");
    let (o, rows) = label(&dir, &fixture("complaints.ods"), &[]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    assert_eq!(column(&rows, "id"), ["1", "2"]);
    assert_eq!(column(&rows, "phone"), ["13800000000", ""]);
    assert_eq!(column(&rows, "date"), ["2024-03-05", ""]);
    assert_eq!(column(&rows, "label")[0], "debt_optimization");
}
