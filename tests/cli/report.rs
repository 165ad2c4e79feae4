//! `eval --report`: the HTML page read back and held to `eval --json` on the same file.

use crate::common::*;

/// Every `data-system`/`data-label`/`data-metric` cell of the page, with its `data-value`.
fn metric_cells(page: &str) -> Vec<(String, String, String, f64)> {
    let attr = |tag: &str, name: &str| -> Option<String> {
        let key = format!("{name}=\"");
        let at = tag.find(&key)? + key.len();
        Some(tag[at..at + tag[at..].find('"')?].to_string())
    };
    page.split('<')
        .filter(|tag| tag.starts_with("td") && tag.contains("data-metric="))
        .map(|tag| {
            (
                attr(tag, "data-system").unwrap(),
                attr(tag, "data-label").unwrap(),
                attr(tag, "data-metric").unwrap(),
                attr(tag, "data-value").unwrap().parse().unwrap(),
            )
        })
        .collect()
}

#[test]
fn report_numbers_match_eval_json_and_the_page_stands_alone() {
    let dir = scratch("eval_report");
    let data = tiny_split(&dir, "test", 60);
    // An error row whose text holds markup and a trade phrase: escaped, the hit marked.
    let mut text = std::fs::read_to_string(&data).unwrap();
    text.push_str("x-1,<script>alert(1)</script>网贷逾期别慌，专业团队帮你停息挂账，先服务后收费,normal,chat,no\n");
    std::fs::write(&data, text).unwrap();
    let page_path = dir.join("report.html");
    let o = run(&[
        "eval",
        data.to_str().unwrap(),
        "--json",
        "--quiet",
        "--report",
        page_path.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", stderr(&o));
    let json: serde_json::Value = serde_json::from_str(&stdout(&o)).unwrap();
    let page = std::fs::read_to_string(&page_path).unwrap();
    let cells = metric_cells(&page);
    let labels = ["normal", "malicious_complaint", "debt_optimization"];
    let systems = ["corpus", "ngram", "transformer", "combined"];
    assert_eq!(
        cells.len(),
        systems.len() * (labels.len() * 3 + 2),
        "{cells:?}"
    );
    for (system, label, metric, value) in &cells {
        let m = &json["systems"][system];
        let want = match label.as_str() {
            "all" => m[metric].as_f64(),
            l => m["labels"][l][metric].as_f64(),
        };
        // JSON prints the shortest text that reads back; the page's attribute may differ in
        // the last binary digit, never more.
        let want = want.unwrap_or_else(|| panic!("{system} {label} {metric} not in JSON"));
        assert!(
            (value - want).abs() < 1e-12,
            "{system} {label} {metric}: {value} vs {want}"
        );
    }
    for rect in page
        .split('<')
        .filter(|t| t.starts_with("rect") && t.contains("data-gold"))
    {
        let get = |k: &str| {
            let key = format!("{k}=\"");
            let at = rect.find(&key).unwrap() + key.len();
            rect[at..at + rect[at..].find('"').unwrap()].to_string()
        };
        let (g, p) = (get("data-gold"), get("data-predicted"));
        assert!(labels.contains(&g.as_str()) && labels.contains(&p.as_str()));
        assert_eq!(
            json["systems"][get("data-system")]["confusion"][&g][&p].as_u64(),
            Some(get("data-value").parse().unwrap())
        );
    }
    assert_eq!(
        page.matches("<polyline").count(),
        3 + 2,
        "three PR curves, reliability"
    );
    assert!(
        !page.contains("<script"),
        "no script, the row's markup escaped"
    );
    assert!(page.contains("&lt;script&gt;alert(1)&lt;/script&gt;"));
    assert!(page.contains("<mark title=\"停息挂账"), "hits marked");
    for remote in ["http://", "https://", "src=", "@import", "url("] {
        assert!(!page.contains(remote), "nothing from the network: {remote}");
    }
}
