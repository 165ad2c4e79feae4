//! `corpus suggest`: candidate phrases for maintainers, ranked by how much more often they
//! occur in a trade label's rows than in normal rows.
//!
//! Candidates are normalised character n-grams of 2 to 8 characters made of whole jieba tokens
//! (so 停息挂账 can be a candidate, 息挂 cannot), not already matched by a corpus phrase or its
//! variants. Each is scored by the weighted log-odds ratio with an informative Dirichlet prior
//! (Monroe, Colaresi and Quinn, "Fightin' Words", 2008): with `y` a candidate's count in the
//! label's rows, `y'` in normal rows, `n`, `n'` all candidates' counts there, and the prior
//! `a = a0 * (y + y') / (n + n')`,
//! `delta = ln((y + a) / (n + a0 - y - a)) - ln((y' + a) / (n' + a0 - y' - a))`,
//! `z = delta / sqrt(1 / (y + a) + 1 / (y' + a))`. The prior shrinks rare candidates toward
//! zero, so a candidate seen twice does not outrank one seen forty times. Candidates must also
//! occur in at least [`MIN_ROWS`] of the label's rows, and those must be [`MIN_PRECISION`] of
//! all rows holding it, which leaves out words common to every label (我们, 平台).

use std::collections::{BTreeSet, HashMap};

use serde::Serialize;

use crate::data::Example;
use crate::labels::Label;
use crate::matcher::Matcher;
use crate::normalize::normalize;
use crate::segment::Segmenter;

/// Shortest candidate, in characters.
pub const MIN_CHARS: usize = 2;
/// Longest candidate, in characters.
pub const MAX_CHARS: usize = 8;
/// Total prior mass `a0`: about the number of candidate occurrences in a few hundred rows,
/// so the prior matters for candidates seen a handful of times and fades for common ones.
pub const PRIOR_MASS: f64 = 1000.0;
/// A candidate must occur in at least this many of the label's rows.
pub const MIN_ROWS: usize = 3;
/// A candidate's rows of the label must be at least this share of all rows containing it
/// (a phrase that fires as often elsewhere is no evidence, however large its z-score).
pub const MIN_PRECISION: f64 = 0.8;
/// Example rows kept per candidate.
pub const EXAMPLES: usize = 3;

/// One candidate phrase.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Suggestion {
    /// The normalised phrase.
    pub phrase: String,
    /// The label whose rows it is over-represented in.
    pub label: Label,
    /// Its z-score.
    pub z: f64,
    /// Rows containing it, per label (label-keyed).
    pub rows: std::collections::BTreeMap<String, usize>,
    /// Ids of up to three of the label's rows containing it.
    pub examples: Vec<String>,
    /// The original spellings it was normalised from, most common first.
    pub spellings: Vec<String>,
}

#[derive(Default)]
struct Counts {
    occurrences: [usize; 3],
    rows: [usize; 3],
    examples: Vec<String>,
    spellings: HashMap<String, usize>,
}

/// Ranks candidate phrases for `label` (debt_optimization or malicious_complaint) against
/// normal rows; at most `top`, best first. A candidate contained in a better one with the same
/// rows is left out, so 停息挂 does not crowd out 停息挂账.
pub fn suggest(
    examples: &[Example],
    label: Label,
    matcher: &Matcher,
    segmenter: &Segmenter,
    top: usize,
) -> Vec<Suggestion> {
    let mut counts: HashMap<String, Counts> = HashMap::new();
    for example in examples {
        let normalized = normalize(&example.text);
        let text = normalized.as_str();
        let tokens = segmenter.cut(text);
        let mut in_row: BTreeSet<String> = BTreeSet::new();
        for i in 0..tokens.len() {
            let mut chars = 0;
            for j in i..tokens.len() {
                chars += tokens[j].word.chars().count();
                if chars > MAX_CHARS {
                    break;
                }
                let (start, end) = (tokens[i].start, tokens[j].end);
                let candidate = &text[start..end];
                if chars < MIN_CHARS || !candidate.chars().all(is_phrase_char) {
                    continue;
                }
                let entry = counts.entry(candidate.to_string()).or_default();
                entry.occurrences[example.label.index()] += 1;
                if example.label == label {
                    let span = normalized.original_span(start..end);
                    *entry
                        .spellings
                        .entry(example.text[span].to_string())
                        .or_insert(0) += 1;
                }
                if in_row.insert(candidate.to_string()) {
                    entry.rows[example.label.index()] += 1;
                    if example.label == label && entry.examples.len() < EXAMPLES {
                        entry.examples.push(example.id.clone());
                    }
                }
            }
        }
    }
    let normal = Label::Normal.index();
    let (k, o) = (label.index(), normal);
    let total = |i: usize| counts.values().map(|c| c.occurrences[i]).sum::<usize>() as f64;
    let (n_k, n_o) = (total(k), total(o));
    let mut scored: Vec<(f64, String)> = counts
        .iter()
        .filter(|(_, c)| {
            c.rows[k] >= MIN_ROWS
                && c.rows[k] as f64 >= MIN_PRECISION * c.rows.iter().sum::<usize>() as f64
        })
        .map(|(phrase, c)| {
            let (y, y2) = (c.occurrences[k] as f64, c.occurrences[o] as f64);
            let a = PRIOR_MASS * (y + y2) / (n_k + n_o).max(1.0);
            let delta = ((y + a) / (n_k + PRIOR_MASS - y - a)).ln()
                - ((y2 + a) / (n_o + PRIOR_MASS - y2 - a)).ln();
            let z = delta / (1.0 / (y + a) + 1.0 / (y2 + a)).sqrt();
            (z, phrase.clone())
        })
        .filter(|(z, _)| *z > 0.0)
        .collect();
    // Equal scores: the longer candidate first, so a phrase beats the words it is made of.
    scored.sort_by(|a, b| {
        b.0.total_cmp(&a.0)
            .then_with(|| b.1.chars().count().cmp(&a.1.chars().count()))
            .then_with(|| a.1.cmp(&b.1))
    });
    let mut out: Vec<Suggestion> = Vec::new();
    for (z, phrase) in scored {
        if out.len() >= top {
            break;
        }
        if !matcher.find(&phrase).is_empty() {
            continue;
        }
        let c = &counts[&phrase];
        let redundant = out.iter().any(|s| {
            (s.phrase.contains(&phrase) || phrase.contains(&s.phrase))
                && s.rows.get(label.name()) == Some(&c.rows[k])
        });
        if redundant {
            continue;
        }
        let mut spellings: Vec<(&String, &usize)> = c.spellings.iter().collect();
        spellings.sort_by(|a, b| b.1.cmp(a.1).then_with(|| a.0.cmp(b.0)));
        out.push(Suggestion {
            phrase,
            label,
            z,
            rows: Label::ALL
                .iter()
                .map(|l| (l.name().to_string(), c.rows[l.index()]))
                .collect(),
            examples: c.examples.clone(),
            spellings: spellings
                .into_iter()
                .take(5)
                .map(|(s, _)| s.clone())
                .collect(),
        });
    }
    out
}

/// Letters, digits and CJK characters; a candidate with punctuation or spaces is no phrase.
fn is_phrase_char(c: char) -> bool {
    c.is_alphanumeric()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::Corpus;
    use crate::segment::Hmm;

    fn example(id: &str, text: &str, label: Label) -> Example {
        Example {
            id: id.into(),
            text: text.into(),
            label,
            row: 0,
            genre: None,
            hard: None,
        }
    }

    #[test]
    fn over_represented_uncovered_phrases_rank_first_with_their_spellings() {
        let corpus =
            Corpus::load(&std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")).unwrap();
        let matcher = Matcher::new(&corpus).unwrap();
        let segmenter = Segmenter::new(&corpus, Hmm::Off).unwrap();
        let mut rows = Vec::new();
        for (i, t) in [
            "找我们做信用规划，三天见效",
            "信用规划找小王",
            "專業信用規劃，先服务后付款",
            "信用规划了解一下",
        ]
        .iter()
        .enumerate()
        {
            rows.push(example(&format!("d{i}"), t, Label::DebtOptimization));
        }
        for (i, t) in ["今天天气不错", "周末一起吃饭", "信用卡账单到了", "三天后见"]
            .iter()
            .enumerate()
        {
            rows.push(example(&format!("n{i}"), t, Label::Normal));
        }
        let found = suggest(&rows, Label::DebtOptimization, &matcher, &segmenter, 5);
        let best = &found[0];
        assert_eq!(best.phrase, "信用规划", "{found:?}");
        assert_eq!(best.rows["debt_optimization"], 4);
        assert_eq!(best.rows["normal"], 0);
        assert_eq!(best.examples, ["d0", "d1", "d2"]);
        assert!(
            best.spellings.contains(&"信用規劃".to_string()),
            "{:?}",
            best.spellings
        );
        assert!(found.iter().all(|s| s.z > 0.0));
        assert!(
            found.iter().all(|s| s.phrase != "三天"),
            "三天 is in normal rows too"
        );
    }
}
