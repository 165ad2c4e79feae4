//! `heihui data check`: the labelled data's own CI. Unknown labels and genres, empty texts,
//! repeated ids and texts, and near duplicates anywhere across the splits by
//! character-trigram Jaccard similarity, found by prefix filtering rather than by comparing
//! every pair; a summary per split.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use super::{
    read_labeled_lenient_column, Example, GENRES, HELD_OUT, NEAR_DUPLICATE_JACCARD, SPLITS,
};
use crate::error::Result;
use crate::labels::Label;
use crate::normalize::normalize;

/// Length statistics of a split, in characters.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct Lengths {
    /// Shortest text.
    pub min: usize,
    /// 10th percentile.
    pub p10: usize,
    /// Median.
    pub median: usize,
    /// 90th percentile.
    pub p90: usize,
    /// Longest text.
    pub max: usize,
}

/// What `data check` says about one split.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct SplitSummary {
    /// The split's name (`train`, `dev`, `test`).
    pub name: String,
    /// Rows read.
    pub rows: usize,
    /// Rows per label, in [`Label::ALL`] order (label-keyed in JSON).
    #[serde(serialize_with = "crate::labels::by_label")]
    pub per_label: [usize; 3],
    /// Text lengths.
    pub lengths: Lengths,
    /// Share of normal rows that use the trade's vocabulary (hard negatives).
    pub hard_negative_share: f64,
    /// Share of debt_optimization rows written with evasions.
    pub evasion_share: f64,
    /// Rows per genre, by genre name.
    pub per_genre: std::collections::BTreeMap<String, usize>,
    /// Rows marked `hard`.
    pub hard: usize,
}

/// A problem `data check` found; any one fails the check.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Problem {
    /// `file:row`.
    pub location: String,
    /// What is wrong.
    pub message: String,
}

/// The result of checking a data directory.
#[derive(Debug, Clone, Default, PartialEq, serde::Serialize)]
pub struct CheckReport {
    /// One summary per split file found.
    pub splits: Vec<SplitSummary>,
    /// Everything wrong; empty when the data passes.
    pub problems: Vec<Problem>,
}

/// Checks `train.csv`, `dev.csv` and `test.csv` in `dir`, and `blind.csv` when it is there;
/// a split may be a workbook instead (`train.xlsx`, `.xls` or `.ods`, its first sheet).
///
/// # Errors
/// A missing or unreadable split file, or one without `text` and `label` columns.
/// A split's file: `SPLIT.csv`, else the first of `SPLIT.xlsx`, `.xls`, `.ods` present, else
/// `SPLIT.csv` (to be reported missing).
fn split_file(dir: &Path, split: &str) -> PathBuf {
    let csv = dir.join(format!("{split}.csv"));
    if csv.exists() {
        return csv;
    }
    ["xlsx", "xls", "ods"]
        .iter()
        .map(|ext| dir.join(format!("{split}.{ext}")))
        .find(|p| p.exists())
        .unwrap_or(csv)
}

pub fn check_dir(dir: &Path) -> Result<CheckReport> {
    check_dir_column(dir, "text")
}

/// As [`check_dir`], with the texts in `text_column`.
///
/// # Errors
/// As [`check_dir`], with `text_column` for `text`.
pub fn check_dir_column(dir: &Path, text_column: &str) -> Result<CheckReport> {
    let mut report = CheckReport::default();
    let mut all: Vec<(PathBuf, Example)> = Vec::new();
    let present = split_file(dir, HELD_OUT).exists().then_some(HELD_OUT);
    for split in SPLITS.into_iter().chain(present) {
        let path = split_file(dir, split);
        let (examples, bad) = read_labeled_lenient_column(&path, text_column)?;
        for b in bad {
            report.problems.push(Problem {
                location: format!("{}:{}", path.display(), b.row),
                message: b.message,
            });
        }
        report.splits.push(summarize(split, &examples));
        all.extend(examples.into_iter().map(|e| (path.clone(), e)));
    }
    let at = |(path, e): &(PathBuf, Example)| format!("{}:{}", path.display(), e.row);
    let mut ids: HashMap<&str, usize> = HashMap::new();
    let mut texts: HashMap<String, usize> = HashMap::new();
    for (i, item) in all.iter().enumerate() {
        let example = &item.1;
        match example.genre.as_deref() {
            None => report.problems.push(Problem {
                location: at(item),
                message: "column genre: missing (one of the genres in GUIDELINES.md)".into(),
            }),
            Some(g) if !GENRES.contains(&g) => report.problems.push(Problem {
                location: at(item),
                message: format!(
                    "column genre: unknown genre `{g}`; expected one of {}",
                    GENRES.join(", ")
                ),
            }),
            Some(_) => {}
        }
        if example.hard.is_none() {
            report.problems.push(Problem {
                location: at(item),
                message: "column hard: missing (yes or no)".into(),
            });
        }
        if example.text.trim().is_empty() {
            report.problems.push(Problem {
                location: at(item),
                message: "column text: empty".into(),
            });
        }
        if let Some(&first) = ids.get(example.id.as_str()) {
            report.problems.push(Problem {
                location: at(item),
                message: format!("id `{}` repeats {}", example.id, at(&all[first])),
            });
        } else {
            ids.insert(&example.id, i);
        }
        let key = example.text.split_whitespace().collect::<String>();
        if let Some(&first) = texts.get(&key) {
            report.problems.push(Problem {
                location: at(item),
                message: format!("text repeats {}", at(&all[first])),
            });
        } else {
            texts.insert(key, i);
        }
    }
    let texts: Vec<&str> = all.iter().map(|(_, e)| e.text.as_str()).collect();
    for (a, b, jaccard) in near_duplicates(&texts, NEAR_DUPLICATE_JACCARD) {
        report.problems.push(Problem {
            location: at(&all[b]),
            message: format!(
                "near duplicate of {} ({:.0}% of character trigrams shared)",
                at(&all[a]),
                jaccard * 100.0
            ),
        });
    }
    Ok(report)
}

/// Pairs `(earlier, later, jaccard)` of texts whose character-trigram sets (whitespace
/// ignored) have Jaccard similarity above `threshold`.
pub fn near_duplicates(texts: &[&str], threshold: f64) -> Vec<(usize, usize, f64)> {
    // Prefix filtering (Chaudhuri et al. 2006; Bayardo et al. 2007): with every set's grams
    // ordered rarest first, two sets whose Jaccard similarity exceeds `t` share a gram among
    // the first `|A| - ceil(t |A|) + 1` of each. Only those prefixes are indexed, which keeps
    // the common trigrams (，我们) out of the index; candidates are then verified exactly.
    let raw: Vec<Vec<u64>> = texts.iter().map(|t| trigrams(t)).collect();
    let mut frequency: ahash::AHashMap<u64, u32> = ahash::AHashMap::new();
    for set in &raw {
        for &g in set {
            *frequency.entry(g).or_insert(0) += 1;
        }
    }
    // Each gram becomes its rank by frequency, rarest 0, so a set sorted by rank is sorted
    // rarest first and two sets intersect as sorted lists of ranks.
    let mut by_frequency: Vec<(u32, u64)> = frequency.iter().map(|(&g, &n)| (n, g)).collect();
    by_frequency.sort_unstable();
    let rank: ahash::AHashMap<u64, u32> = by_frequency
        .iter()
        .enumerate()
        .map(|(r, &(_, g))| (g, r as u32))
        .collect();
    let sets: Vec<Vec<u32>> = raw
        .iter()
        .map(|set| {
            let mut r: Vec<u32> = set.iter().map(|g| rank[g]).collect();
            r.sort_unstable();
            r
        })
        .collect();
    // Probing prefix of a set of n grams: n - ceil(t n) + 1. Sets are visited by size, so
    // every indexed set is no larger than the probing one, and indexing only the shorter
    // prefix n - ceil(2t / (1 + t) n) + 1 is enough (Xiao et al.'s ppjoin).
    let prefix = |n: usize, t: f64| (n - ((t * n as f64).ceil() as usize).min(n) + 1).min(n);
    let index_t = 2.0 * threshold / (1.0 + threshold);
    let mut order: Vec<usize> = (0..sets.len()).collect();
    order.sort_by_key(|&i| (sets[i].len(), i));
    let mut postings: Vec<Vec<u32>> = vec![Vec::new(); by_frequency.len()];
    let mut seen = vec![u32::MAX; sets.len()];
    let mut pairs: Vec<(usize, usize, f64)> = Vec::new();
    for (visit, &i) in order.iter().enumerate() {
        let set = &sets[i];
        for &gram in &set[..prefix(set.len(), threshold)] {
            for &j in &postings[gram as usize] {
                let j = j as usize;
                if seen[j] == visit as u32 {
                    continue;
                }
                seen[j] = visit as u32;
                // Jaccard > t needs |B| > t |A| (B, visited earlier, is no larger).
                if (sets[j].len() as f64) <= threshold * set.len() as f64 {
                    continue;
                }
                let both = sorted_intersection(set, &sets[j]);
                let union = set.len() + sets[j].len() - both;
                let jaccard = both as f64 / union.max(1) as f64;
                if jaccard > threshold {
                    pairs.push((i.min(j), i.max(j), jaccard));
                }
            }
        }
        for &gram in &set[..prefix(set.len(), index_t)] {
            postings[gram as usize].push(i as u32);
        }
    }
    pairs.sort_by_key(|&(a, b, _)| (b, a));
    pairs
}

/// The size of the intersection of two sorted, deduplicated lists.
fn sorted_intersection(a: &[u32], b: &[u32]) -> usize {
    let (mut i, mut j, mut n) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => {
                n += 1;
                i += 1;
                j += 1;
            }
        }
    }
    n
}

/// The distinct character trigrams of `text` with whitespace removed, packed into `u64`s; a
/// text of fewer than three characters is one "trigram" of itself.
fn trigrams(text: &str) -> Vec<u64> {
    let chars: Vec<u64> = text
        .chars()
        .filter(|c| !c.is_whitespace())
        .map(|c| c as u64)
        .collect();
    let mut grams: Vec<u64> = if chars.len() < 3 {
        vec![(1 << 63) | chars.iter().fold(0, |acc, &c| (acc << 21) | c)]
    } else {
        chars
            .windows(3)
            .map(|w| (w[0] << 42) | (w[1] << 21) | w[2])
            .collect()
    };
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// The trade's vocabulary, for the hard-negative share: a normal row using any of these is a
/// hard negative.
const TRADE_WORDS: &[&str] = &[
    "停息",
    "挂账",
    "债务优化",
    "征信",
    "协商",
    "减免",
    "分期",
    "上岸",
    "催收",
    "投诉",
    "代理",
    "维权",
    "逾期",
    "呼叫转移",
    "修复",
    "洗白",
    "延期还款",
    "本金",
    "监管",
    "12378",
];

/// Tell-tale spellings of evasion, for the evasion share.
const EVASION_MARKS: &[&str] = &[
    "薇", "威信", "vx", "v信", "wx", "扣扣", "亻", "txgz", "zwyh", "zxxf", "fcs", "tingxi", "亭息",
    "挂帐", "正信", "徵", "卫星", "🈲",
];

fn summarize(name: &str, examples: &[Example]) -> SplitSummary {
    let mut per_label = [0; 3];
    let mut lengths: Vec<usize> = Vec::with_capacity(examples.len());
    let (mut normal, mut hard) = (0usize, 0usize);
    let (mut debt, mut evasive) = (0usize, 0usize);
    for e in examples {
        per_label[e.label.index()] += 1;
        lengths.push(e.text.chars().count());
        match e.label {
            Label::Normal => {
                normal += 1;
                let n = normalize(&e.text);
                if TRADE_WORDS.iter().any(|w| n.as_str().contains(w)) {
                    hard += 1;
                }
            }
            Label::DebtOptimization => {
                debt += 1;
                if looks_evasive(&e.text) {
                    evasive += 1;
                }
            }
            Label::MaliciousComplaint => {}
        }
    }
    lengths.sort_unstable();
    let pick = |q: f64| {
        lengths
            .get(((lengths.len() as f64 - 1.0) * q).round() as usize)
            .copied()
            .unwrap_or(0)
    };
    SplitSummary {
        name: name.to_string(),
        rows: examples.len(),
        per_label,
        lengths: Lengths {
            min: pick(0.0),
            p10: pick(0.1),
            median: pick(0.5),
            p90: pick(0.9),
            max: pick(1.0),
        },
        hard_negative_share: hard as f64 / normal.max(1) as f64,
        evasion_share: evasive as f64 / debt.max(1) as f64,
        per_genre: examples.iter().filter_map(|e| e.genre.clone()).fold(
            Default::default(),
            |mut m, g| {
                *m.entry(g).or_insert(0) += 1;
                m
            },
        ),
        hard: examples.iter().filter(|e| e.hard == Some(true)).count(),
    }
}

/// A simple heuristic: normalisation changed more than case and whitespace, or the text has
/// a tell-tale evasive spelling or an emoji.
fn looks_evasive(text: &str) -> bool {
    let lower = text.to_lowercase();
    let plain: String = lower.chars().filter(|c| !c.is_whitespace()).collect();
    let normalized: String = normalize(text)
        .as_str()
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect();
    normalized != plain
        || EVASION_MARKS.iter().any(|m| lower.contains(m))
        || text.chars().any(|c| (c as u32) >= 0x1F300)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn near_duplicates_found_and_distinct_texts_pass() {
        let texts = [
            "网贷逾期别慌，专业团队帮你停息挂账，成功后再收费",
            "今天天气不错，我们去公园散步吧",
            "网贷逾期别慌！专业团队帮你停息挂账，成功以后再收费",
            "短",
            "短",
        ];
        let pairs = near_duplicates(&texts, NEAR_DUPLICATE_JACCARD);
        let found: Vec<(usize, usize)> = pairs.iter().map(|&(a, b, _)| (a, b)).collect();
        assert_eq!(found, vec![(0, 2), (3, 4)]);
    }

    #[test]
    fn evasion_heuristic() {
        assert!(looks_evasive("停*息挂账找我"));
        assert!(looks_evasive("加薇信详聊"));
        assert!(looks_evasive("債務優化"));
        assert!(!looks_evasive("停息挂账找我们"));
    }
}
