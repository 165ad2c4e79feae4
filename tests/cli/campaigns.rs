//! `campaigns`: clusters of template complaints, through the binary.

use crate::common::*;

const TEMPLATE: &str = "本人{name}于{year}年在{app}借款{amount}元，平台收取砍头息和高额服务费，严重违反监管规定。现要求全额退还利息和服务费，否则本人将向银保监会、人民银行和12315投诉，并在黑猫投诉曝光。";

fn filled(name: &str, year: u32, app: &str, amount: u32) -> String {
    TEMPLATE
        .replace("{name}", name)
        .replace("{year}", &year.to_string())
        .replace("{app}", app)
        .replace("{amount}", &amount.to_string())
}

#[test]
fn campaigns_clusters_template_copies_and_keeps_others_apart() {
    let mut rows = vec!["id,text".to_string()];
    let copies = [
        filled("张三", 2023, "好借贷", 5000),
        filled("李四", 2024, "快易花", 12000),
        filled("王小明", 2022, "闪电借", 800).replace('，', ","),
        // a reordered sentence
        "现要求全额退还利息和服务费，否则本人将向银保监会、人民银行和12315投诉，并在黑猫投诉曝光。本人赵六于2023年在好借贷借款3000元，平台收取砍头息和高额服务费，严重违反监管规定。".to_string(),
    ];
    for (i, c) in copies.iter().enumerate() {
        rows.push(format!("C{},\"{}\"", i + 1, c));
    }
    // Different complaints sharing the stock phrases.
    rows.push("N1,本人在平台借款后按时还款，但是催收人员天天打电话骚扰我的家人和同事，严重违反监管规定，否则本人将向银保监会投诉。".into());
    rows.push(
        "N2,平台客服态度恶劣，我申请注销账户三次都没有处理，严重违反监管规定，我会向人民银行投诉。"
            .into(),
    );
    rows.push("N3,今天天气很好，我们一家人去公园散步，孩子们玩得很开心。".into());
    let dir = scratch("campaigns_json");
    let input = dir.join("in.csv");
    std::fs::write(&input, rows.join("\n") + "\n").unwrap();
    let o = run(&["campaigns", input.to_str().unwrap(), "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let out = stdout(&o);
    let all: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(all.len(), 1, "{out}");
    assert_eq!(all[0]["campaign"], 1);
    assert_eq!(all[0]["size"], 4);
    assert_eq!(
        all[0]["row_ids"],
        serde_json::json!(["C1", "C2", "C3", "C4"])
    );
    assert!(all[0]["example"].as_str().unwrap().contains("砍头息"));
    assert!(all[0]["labels"].is_object());
    assert!(
        stderr(&o).contains("1 campaigns holding 4 rows"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn campaigns_threshold_is_checked() {
    let o = run(&["campaigns", "examples/complaints.csv", "--threshold", "1.5"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        stderr(&o).contains("--threshold 1.5: expected a similarity above 0 and at most 1"),
        "{}",
        stderr(&o)
    );
}

#[test]
fn campaigns_csv_to_a_file() {
    let dir = scratch("campaigns_csv");
    let input = dir.join("in.csv");
    let mut rows = vec!["id,text".to_string()];
    rows.push(format!("a,{}", filled("张三", 2023, "好借贷", 5000)));
    rows.push(format!("b,{}", filled("李四", 2024, "快易花", 12000)));
    std::fs::write(&input, rows.join("\n") + "\n").unwrap();
    let out = dir.join("c.csv");
    let o = run(&[
        "campaigns",
        input.to_str().unwrap(),
        "-o",
        out.to_str().unwrap(),
        "-q",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let table = csv_rows(&std::fs::read_to_string(&out).unwrap());
    assert_eq!(&table[0][..2], ["campaign", "size"]);
    assert_eq!(&table[1][..2], ["1", "2"]);
    assert_eq!(table[1].last().unwrap(), "a; b");
}
