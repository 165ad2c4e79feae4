//! The evaluation as one self-contained HTML page (`heihui eval FILE --report report.html`):
//! inline CSS and SVG only, nothing fetched from the network, no script.
//!
//! Every number shown is also in a `data-value` attribute beside its `data-system`,
//! `data-label` and `data-metric`, at full precision, so tests (and other tools) can read the
//! page back and hold it to `eval --json`.

use std::fmt::Write;

use super::{Evaluation, Metrics, System, Systems};
use crate::labels::Label;

/// How many of the most confident errors the page lists.
pub const ERRORS_SHOWN: usize = 50;

const SYSTEMS: [System; 4] = [
    System::Corpus,
    System::Ngram,
    System::Transformer,
    System::Combined,
];
const COLOURS: [&str; 3] = ["#2e7d32", "#ef6c00", "#c62828"];

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

fn system_name(system: System) -> &'static str {
    match system {
        System::Corpus => "corpus",
        System::Ngram => "ngram",
        System::Transformer => "transformer",
        System::Combined => "combined",
    }
}

/// What the page needs besides the evaluation.
#[derive(Debug, Clone)]
pub struct ReportInput<'a> {
    /// The evaluated file, as named to the user.
    pub file: &'a str,
    /// The model, as named to the user.
    pub model: &'a str,
    /// Each row's text, in the evaluation's row order.
    pub texts: &'a [&'a str],
    /// Breakdowns to show: a title and its groups.
    pub breakdowns: Vec<(&'a str, Vec<(String, Systems)>)>,
}

/// The whole page.
pub fn page(evaluation: &Evaluation, input: &ReportInput<'_>) -> String {
    let mut h = String::new();
    let _ = write!(
        h,
        "<!DOCTYPE html>\n<html lang=\"zh\"><head><meta charset=\"utf-8\">\
         <title>heihui eval: {file}</title><style>{CSS}</style></head><body>\
         <h1>heihui eval</h1><p class=\"meta\">{file} · {rows} rows · model {model}</p>",
        file = escape(input.file),
        rows = evaluation.all.rows,
        model = escape(input.model),
    );
    h.push_str("<h2>Systems side by side</h2>");
    h.push_str(&systems_table(&evaluation.all));
    h.push_str("<h2>Confusion matrices</h2><div class=\"row\">");
    for system in SYSTEMS {
        if let Some(m) = evaluation.all.get(system) {
            h.push_str(&confusion_svg(system_name(system), m));
        }
    }
    h.push_str("</div><h2>Precision and recall by threshold (combined)</h2><div class=\"row\">");
    for label in Label::ALL {
        h.push_str(&pr_curve_svg(evaluation, label));
    }
    h.push_str("</div><h2>Reliability (combined)</h2>");
    h.push_str(&reliability_svg(&evaluation.all.combined));
    for (title, groups) in &input.breakdowns {
        let _ = write!(h, "<h2>By {}</h2>", escape(title));
        h.push_str(&breakdown_table(title, groups));
    }
    h.push_str(&errors_section(evaluation, input.texts));
    h.push_str("</body></html>\n");
    h
}

const CSS: &str =
    "body{font:14px/1.45 system-ui,sans-serif;margin:24px;color:#222;max-width:1240px}\
h1{margin:0 0 4px}h2{margin:28px 0 8px;border-bottom:1px solid #ddd}.meta{color:#666}\
table{border-collapse:collapse}td,th{border:1px solid #ddd;padding:3px 8px;text-align:right}\
th{background:#f4f4f4}td.l,th.l{text-align:left}.row{display:flex;flex-wrap:wrap;gap:16px}\
svg text{font:11px system-ui,sans-serif}mark{background:#ffe08a;padding:0 1px}\
.err{border:1px solid #eee;padding:6px 8px;margin:6px 0}.err .t{white-space:pre-wrap}\
.best{font-weight:bold}";

fn value_cell(system: &str, label: &str, metric: &str, value: f64, class: &str) -> String {
    format!(
        "<td class=\"{class}\" data-system=\"{system}\" data-label=\"{label}\" \
         data-metric=\"{metric}\" data-value=\"{value}\">{value:.3}</td>"
    )
}

fn systems_table(systems: &Systems) -> String {
    let present: Vec<(System, &Metrics)> = SYSTEMS
        .iter()
        .filter_map(|&s| systems.get(s).map(|m| (s, m)))
        .collect();
    let mut h = String::from("<table><tr><th class=\"l\">label</th><th>metric</th>");
    for (s, _) in &present {
        let _ = write!(h, "<th>{}</th>", system_name(*s));
    }
    h.push_str("</tr>");
    let mut row = |label: &str, metric: &str, values: Vec<f64>| {
        let best = values.iter().copied().fold(f64::MIN, f64::max);
        let _ = write!(
            h,
            "<tr><td class=\"l\">{label}</td><td class=\"l\">{metric}</td>"
        );
        for ((s, _), v) in present.iter().zip(&values) {
            let class = if *v == best { "best" } else { "" };
            h.push_str(&value_cell(system_name(*s), label, metric, *v, class));
        }
        h.push_str("</tr>");
    };
    for label in Label::ALL {
        let i = label.index();
        for (metric, get) in [
            (
                "precision",
                (|s: &super::LabelScores| s.precision) as fn(&_) -> f64,
            ),
            ("recall", |s| s.recall),
            ("f1", |s| s.f1),
        ] {
            row(
                label.name(),
                metric,
                present.iter().map(|(_, m)| get(&m.labels[i])).collect(),
            );
        }
    }
    row(
        "all",
        "accuracy",
        present.iter().map(|(_, m)| m.accuracy).collect(),
    );
    row(
        "all",
        "macro_f1",
        present.iter().map(|(_, m)| m.macro_f1).collect(),
    );
    h.push_str("</table>");
    h
}

fn confusion_svg(system: &str, m: &Metrics) -> String {
    let (cell, left, top) = (64.0, 130.0, 40.0);
    let max = m
        .confusion
        .iter()
        .flatten()
        .copied()
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut s = format!(
        "<svg width=\"{}\" height=\"{}\" role=\"img\" aria-label=\"confusion {system}\">\
         <text x=\"{left}\" y=\"14\" font-weight=\"bold\">{system}</text>\
         <text x=\"{left}\" y=\"30\">predicted →</text>",
        left + 3.0 * cell + 10.0,
        top + 3.0 * cell + 10.0
    );
    for gold in Label::ALL {
        let y = top + gold.index() as f64 * cell;
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"end\">{}</text>",
            left - 6.0,
            y + cell / 2.0 + 4.0,
            gold.name()
        );
        for predicted in Label::ALL {
            let n = m.confusion[gold.index()][predicted.index()];
            let x = left + predicted.index() as f64 * cell;
            let shade = n as f64 / max;
            let colour = if gold == predicted {
                "46,125,50"
            } else {
                "198,40,40"
            };
            let _ = write!(
                s,
                "<rect x=\"{x}\" y=\"{y}\" width=\"{cell}\" height=\"{cell}\" \
                 fill=\"rgba({colour},{:.3})\" stroke=\"#fff\" data-system=\"{system}\" \
                 data-gold=\"{}\" data-predicted=\"{}\" data-value=\"{n}\"/>\
                 <text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{n}</text>",
                0.08 + 0.85 * shade,
                gold.name(),
                predicted.name(),
                x + cell / 2.0,
                y + cell / 2.0 + 4.0
            );
        }
    }
    s.push_str("</svg>");
    s
}

/// Axes of a unit square plot, 240 px wide, with a title.
fn unit_axes(title: &str, x_name: &str, y_name: &str) -> (String, impl Fn(f64, f64) -> String) {
    let (left, top, size) = (40.0, 24.0, 220.0);
    let mut s = format!(
        "<svg width=\"280\" height=\"290\" role=\"img\" aria-label=\"{title}\">\
         <text x=\"{left}\" y=\"14\" font-weight=\"bold\">{title}</text>\
         <rect x=\"{left}\" y=\"{top}\" width=\"{size}\" height=\"{size}\" fill=\"none\" \
         stroke=\"#999\"/><text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{x_name}</text>\
         <text x=\"12\" y=\"{}\" transform=\"rotate(-90 12 {})\" text-anchor=\"middle\">{y_name}</text>",
        left + size / 2.0,
        top + size + 30.0,
        top + size / 2.0,
        top + size / 2.0
    );
    for tick in [0.0, 0.5, 1.0] {
        let _ = write!(
            s,
            "<text x=\"{}\" y=\"{}\" text-anchor=\"middle\">{tick}</text>\
             <text x=\"{}\" y=\"{}\" text-anchor=\"end\">{tick}</text>",
            left + tick * size,
            top + size + 14.0,
            left - 4.0,
            top + (1.0 - tick) * size + 4.0
        );
    }
    let point =
        move |x: f64, y: f64| format!("{:.1},{:.1}", left + x * size, top + (1.0 - y) * size);
    (s, point)
}

fn pr_curve_svg(evaluation: &Evaluation, label: Label) -> String {
    let i = label.index();
    let mut scored: Vec<(f32, bool)> = evaluation
        .rows
        .iter()
        .map(|r| (r.combined.probabilities[i], r.gold == label))
        .collect();
    scored.sort_by(|a, b| b.0.total_cmp(&a.0));
    let positives = scored.iter().filter(|s| s.1).count();
    let (mut s, point) = unit_axes(label.name(), "recall", "precision");
    if positives > 0 {
        let mut points = Vec::new();
        let mut hits = 0usize;
        for (k, (_, positive)) in scored.iter().enumerate() {
            hits += usize::from(*positive);
            points.push(point(
                hits as f64 / positives as f64,
                hits as f64 / (k + 1) as f64,
            ));
        }
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"{}\" stroke-width=\"2\" points=\"{}\" \
             data-label=\"{}\" data-points=\"{}\"/>",
            COLOURS[i],
            points.join(" "),
            label.name(),
            points.len()
        );
    }
    s.push_str("</svg>");
    s
}

fn reliability_svg(combined: &Metrics) -> String {
    let (mut s, point) = unit_axes("reliability", "confidence", "accuracy");
    let _ = write!(
        s,
        "<polyline fill=\"none\" stroke=\"#bbb\" stroke-dasharray=\"4 3\" points=\"{} {}\"/>",
        point(0.0, 0.0),
        point(1.0, 1.0)
    );
    if let Some(cal) = &combined.calibration {
        let bins: Vec<String> = cal
            .bins
            .iter()
            .filter(|b| b.rows > 0)
            .map(|b| point(b.confidence, b.accuracy))
            .collect();
        let _ = write!(
            s,
            "<polyline fill=\"none\" stroke=\"#1565c0\" stroke-width=\"2\" points=\"{}\"/>",
            bins.join(" ")
        );
        for b in cal.bins.iter().filter(|b| b.rows > 0) {
            let p = point(b.confidence, b.accuracy);
            let (x, y) = p.split_once(',').unwrap_or(("0", "0"));
            let _ = write!(
                s,
                "<circle cx=\"{x}\" cy=\"{y}\" r=\"{:.1}\" fill=\"#1565c0\" data-from=\"{}\" \
                 data-rows=\"{}\"/>",
                (2.0 + (b.rows as f64).sqrt()).min(9.0),
                b.from,
                b.rows
            );
        }
        let _ = write!(
            s,
            "<text x=\"50\" y=\"44\" data-metric=\"ece\" data-value=\"{}\">ECE {:.4}</text>",
            cal.ece, cal.ece
        );
    }
    s.push_str("</svg>");
    s
}

fn breakdown_table(title: &str, groups: &[(String, Systems)]) -> String {
    let mut h = format!(
        "<table><tr><th class=\"l\">{}</th><th>rows</th>",
        escape(title)
    );
    for s in SYSTEMS {
        let _ = write!(h, "<th>{} macro-F1</th>", system_name(s));
    }
    h.push_str("<th>combined accuracy</th></tr>");
    for (name, systems) in groups {
        let _ = write!(
            h,
            "<tr><td class=\"l\">{}</td><td>{}</td>",
            escape(name),
            systems.rows
        );
        for s in SYSTEMS {
            match systems.get(s) {
                Some(m) => {
                    let _ = write!(
                        h,
                        "<td data-group=\"{}\" data-system=\"{}\" data-value=\"{}\">{:.3}</td>",
                        escape(name),
                        system_name(s),
                        m.macro_f1,
                        m.macro_f1
                    );
                }
                None => h.push_str("<td>-</td>"),
            }
        }
        let _ = write!(h, "<td>{:.3}</td></tr>", systems.combined.accuracy);
    }
    h.push_str("</table>");
    h
}

/// `text` escaped, with the byte spans in `spans` wrapped in `<mark>` (overlaps merged).
pub fn highlight(text: &str, spans: &[(usize, usize, String)]) -> String {
    let mut spans: Vec<&(usize, usize, String)> = spans
        .iter()
        .filter(|(s, e, _)| s < e && *e <= text.len())
        .filter(|(s, e, _)| text.is_char_boundary(*s) && text.is_char_boundary(*e))
        .collect();
    spans.sort_by_key(|s| (s.0, std::cmp::Reverse(s.1)));
    let mut out = String::new();
    let mut at = 0;
    for (start, end, title) in spans {
        if *start < at {
            continue;
        }
        out.push_str(&escape(&text[at..*start]));
        let _ = write!(
            out,
            "<mark title=\"{}\">{}</mark>",
            escape(title),
            escape(&text[*start..*end])
        );
        at = *end;
    }
    out.push_str(&escape(&text[at..]));
    out
}

fn errors_section(evaluation: &Evaluation, texts: &[&str]) -> String {
    let mut wrong: Vec<usize> = (0..evaluation.rows.len())
        .filter(|&i| evaluation.rows[i].combined.label != evaluation.rows[i].gold)
        .collect();
    wrong.sort_by(|&a, &b| {
        let c = |i: usize| evaluation.rows[i].combined.confidence;
        c(b).total_cmp(&c(a)).then(a.cmp(&b))
    });
    let shown = wrong.len().min(ERRORS_SHOWN);
    let mut h = format!(
        "<h2>The {shown} most confident errors (of {})</h2>",
        wrong.len()
    );
    for &i in wrong.iter().take(ERRORS_SHOWN) {
        let r = &evaluation.rows[i];
        let spans: Vec<(usize, usize, String)> = r
            .hits
            .iter()
            .map(|hit| {
                (
                    hit.start,
                    hit.end,
                    format!("{} ({})", hit.phrase, hit.category),
                )
            })
            .collect();
        let text = texts.get(i).copied().unwrap_or("");
        let _ = write!(
            h,
            "<div class=\"err\" data-row=\"{i}\"><b>gold {}</b>, said <b style=\"color:{}\">{}</b> \
             at {:.3}<div class=\"t\">{}</div></div>",
            r.gold.name(),
            COLOURS[r.combined.label.index()],
            r.combined.label.name(),
            r.combined.confidence,
            highlight(text, &spans)
        );
    }
    h
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn highlight_escapes_and_marks() {
        let text = "<b>停息挂账</b> & 加V";
        let start = text.find("停息").unwrap();
        let end = start + "停息挂账".len();
        assert_eq!(
            highlight(text, &[(start, end, "停息挂账 (debt)".into())]),
            "&lt;b&gt;<mark title=\"停息挂账 (debt)\">停息挂账</mark>&lt;/b&gt; &amp; 加V"
        );
        assert_eq!(
            highlight("abc", &[(1, 9, String::new())]),
            "abc",
            "span past the end"
        );
    }
}
