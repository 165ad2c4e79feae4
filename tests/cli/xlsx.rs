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

// Workbooks out.

fn read_book(path: &Path) -> calamine::Xlsx<std::io::BufReader<std::fs::File>> {
    calamine::open_workbook(path).unwrap()
}

fn cell(range: &calamine::Range<calamine::Data>, row: usize, name: &str) -> calamine::Data {
    let col = (0..range.width())
        .find(|&c| range.get((0, c)) == Some(&calamine::Data::String(name.into())))
        .unwrap_or_else(|| panic!("no column {name}"));
    range.get((row, col)).cloned().unwrap()
}

#[test]
fn label_writes_a_workbook_with_strings_and_numbers_only() {
    use calamine::{Data, Reader};
    let dir = scratch("xlsx_out");
    let long: String = "停息挂账".repeat(7_500);
    let input = dir.join("in.csv");
    let mut w = csv::Writer::from_path(&input).unwrap();
    w.write_record(["id", "text", "note"]).unwrap();
    w.write_record(["1", SPAM, "=1+1"]).unwrap();
    w.write_record(["2", COMPLAINT, "@cmd"]).unwrap();
    w.write_record(["3", &long, "-1"]).unwrap();
    w.flush().unwrap();
    let out = dir.join("out.xlsx");
    let o = run(&[
        "label",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let mut book = read_book(&out);
    assert_eq!(book.sheet_names(), ["labelled", "summary"]);
    let sheet = book.worksheet_range("labelled").unwrap();
    let header: Vec<String> = (0..sheet.width())
        .map(|c| sheet.get((0, c)).unwrap().to_string())
        .collect();
    assert_eq!(
        header,
        [
            "id",
            "text",
            "note",
            "label",
            "confidence",
            "p_normal",
            "p_malicious_complaint",
            "p_debt_optimization",
            "needs_review",
            "hits",
            "contacts"
        ]
    );
    assert_eq!(sheet.height(), 4);
    assert_eq!(
        cell(&sheet, 1, "id"),
        Data::String("1".into()),
        "ids stay text"
    );
    assert_eq!(cell(&sheet, 1, "text"), Data::String(SPAM.into()));
    for (row, note) in [(1, "=1+1"), (2, "@cmd"), (3, "-1")] {
        assert_eq!(
            cell(&sheet, row, "note"),
            Data::String(note.into()),
            "no ' prefix"
        );
    }
    assert_eq!(
        cell(&sheet, 3, "text"),
        Data::String(long.clone()),
        "30,000 characters"
    );
    assert_eq!(
        cell(&sheet, 1, "label"),
        Data::String("debt_optimization".into())
    );
    let mut sum = 0.0;
    for p in ["p_normal", "p_malicious_complaint", "p_debt_optimization"] {
        let Data::Float(x) = cell(&sheet, 1, p) else {
            panic!("{p} is not a number: {:?}", cell(&sheet, 1, p));
        };
        sum += x;
    }
    assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}");
    assert!(matches!(cell(&sheet, 1, "confidence"), Data::Float(_)));
    let formulas = book.worksheet_formula("labelled").unwrap();
    assert!(
        formulas.used_cells().all(|(_, _, f)| f.is_empty()),
        "no formula in the sheet"
    );
    let summary = book.worksheet_range("summary").unwrap();
    let item = |name: &str| {
        (0..summary.height())
            .find(|&r| summary.get((r, 0)) == Some(&Data::String(name.into())))
            .and_then(|r| summary.get((r, 1)).cloned())
            .unwrap_or_else(|| panic!("no summary item {name}"))
    };
    assert_eq!(item("rows in"), Data::Float(3.0));
    assert_eq!(item("rejected"), Data::Float(0.0));
    assert_eq!(item("blank lines skipped"), Data::Float(0.0));
    let model = item("model").to_string();
    assert!(model.ends_with("heihui-zh-small"), "{model}");
    for label in ["normal", "malicious_complaint", "debt_optimization"] {
        let rows = (1..sheet.height())
            .filter(|&r| cell(&sheet, r, "label") == Data::String(label.into()))
            .count();
        assert_eq!(item(label), Data::Float(rows as f64), "{label}");
    }
}

#[test]
fn a_workbook_in_and_out_keeps_its_cells_and_counts_rejects() {
    use calamine::{Data, Reader};
    let dir = scratch("xlsx_round_trip");
    let input = dir.join("complaints.xlsx");
    complaints_book(&input);
    let out = dir.join("out.xlsx");
    let o = run(&[
        "label",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "--quiet",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", stderr(&o));
    let mut book = read_book(&out);
    let sheet = book.worksheet_range("labelled").unwrap();
    assert_eq!(sheet.height(), 4, "header and three rows");
    assert_eq!(cell(&sheet, 1, "电话"), Data::String("13800000000".into()));
    assert_eq!(cell(&sheet, 1, "日期"), Data::String("2024/3/5".into()));
    assert_eq!(cell(&sheet, 2, "电话"), Data::String("=1+1".into()));
    let summary = book.worksheet_range("summary").unwrap();
    let item = |name: &str| {
        (0..summary.height())
            .find(|&r| summary.get((r, 0)) == Some(&Data::String(name.into())))
            .and_then(|r| summary.get((r, 1)).cloned())
    };
    assert_eq!(item("rejected"), Some(Data::Float(1.0)));
    assert_eq!(
        item("blank lines skipped"),
        Some(Data::Float(1.0)),
        "Excel row 5"
    );
}

#[test]
fn format_xlsx_writes_a_workbook_to_stdout() {
    use calamine::Reader;
    let o = run_stdin(
        &["label", "-", "--format", "csv", "--quiet"],
        SAMPLE.as_bytes(),
    );
    assert!(stdout(&o).starts_with("编号,投诉内容"), "CSV in, CSV out");
    let dir = scratch("xlsx_stdout");
    let input = dir.join("in.csv");
    std::fs::write(&input, SAMPLE).unwrap();
    let o = run(&[
        "label",
        input.to_str().unwrap(),
        "--format",
        "xlsx",
        "--quiet",
    ]);
    assert_eq!(
        o.status.code(),
        Some(2),
        "--format names the input too: {}",
        stderr(&o)
    );
    let book_in = dir.join("in.xlsx");
    complaints_book(&book_in);
    let o = run(&[
        "label",
        book_in.to_str().unwrap(),
        "--format",
        "xlsx",
        "--quiet",
    ]);
    assert!(o.stdout.starts_with(b"PK\x03\x04"), "{}", stderr(&o));
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(o.stdout)).unwrap();
    assert_eq!(book.worksheet_range("labelled").unwrap().height(), 4);
}
