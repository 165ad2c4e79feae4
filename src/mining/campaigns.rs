//! Campaigns: the same template complaint filed by many "clients", with the name, amount
//! and platform changed. Each row's MinHash signature goes into LSH band tables; a row whose
//! band key is already held by an earlier row is a candidate pair, kept when the two
//! signatures' estimated Jaccard similarity reaches the threshold, and kept pairs are joined
//! by union-find, so a cluster is every row reachable through verified pairs.
//!
//! Memory: one signature ([`PERMUTATIONS`] x 4 bytes) and one entry per band per row that
//! has a signature, plus the row's id and label, and one example text per cluster. A band
//! table's entry is only the row's index (4 bytes): its key is recomputed from that row's
//! signature when a lookup lands on it, so the tables cost a quarter of a key-and-row map.

use std::cmp::Reverse;
use std::collections::HashMap;

use hashbrown::HashTable;

use super::minhash::{similarity, MinHasher, Signature, PERMUTATIONS};
use super::{LabelCounts, RowRef, Span, UnionFind};
use crate::labels::Label;

/// The default threshold on estimated Jaccard similarity. Chosen on the variants written by
/// `benches/campaign_variants.py` (two seeds; BENCHMARKS.md, "Campaign threshold"): at 0.55
/// every template copy (names, numbers, platform, punctuation changed, a clause added, a
/// sentence moved) stays in its cluster (pair recall 1.000 on both) and pair precision is
/// 0.992 and 0.987; at 0.5 precision falls to 0.833 on one seed as complaints sharing stock
/// sentences merge, and at 0.6 recall falls to 0.750.
pub const DEFAULT_THRESHOLD: f64 = 0.55;

/// Characters of a campaign's example text kept.
pub const EXAMPLE_CHARS: usize = 200;

/// Collects rows and finds campaigns as they come.
#[derive(Debug)]
pub struct Campaigns {
    hasher: MinHasher,
    threshold: f64,
    /// Per band: the first row that had each band key, found by the key (which is already a
    /// mixed hash, so it is the table's hash too) and told apart by recomputing the key from
    /// the row's signature.
    tables: Vec<HashTable<u32>>,
    /// Signatures of rows 0.., flat.
    signatures: Vec<u32>,
    rows: Vec<(RowRef, Label)>,
    sets: UnionFind,
    /// Per set (by its union-find root), the example so far: the first row, in input order,
    /// that joined a pair as the later row, with its text. One text per cluster, not one per
    /// row that joined.
    examples: HashMap<u32, (u32, String)>,
    unsigned: u64,
}

/// One campaign.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Campaign {
    /// Its number, from 1: biggest first.
    pub campaign: usize,
    /// Its rows' labels.
    pub labels: LabelCounts,
    /// First and last row, and dates.
    pub span: Span,
    /// A representative text.
    pub example: String,
    /// Every row in it, in input order.
    pub row_ids: Vec<String>,
}

impl Campaign {
    /// Rows in it.
    pub fn size(&self) -> usize {
        self.row_ids.len()
    }
}

/// What [`Campaigns::finish`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CampaignReport {
    /// Clusters of two or more rows, biggest first.
    pub campaigns: Vec<Campaign>,
    /// Rows too short to compare.
    pub too_short: u64,
}

impl Campaigns {
    /// Nothing seen yet; pairs are kept at estimated Jaccard `threshold` or above.
    pub fn new(threshold: f64) -> Self {
        let hasher = MinHasher::new(threshold);
        let bands = hasher.banding().0;
        Campaigns {
            hasher,
            threshold,
            tables: (0..bands).map(|_| HashTable::new()).collect(),
            signatures: Vec::new(),
            rows: Vec::new(),
            sets: UnionFind::default(),
            examples: HashMap::new(),
            unsigned: 0,
        }
    }

    /// The hasher, to compute signatures elsewhere (in the pipeline's workers).
    pub fn hasher(&self) -> &MinHasher {
        &self.hasher
    }

    /// Takes in one row with its signature (`None` for a text too short to compare).
    pub fn add(&mut self, row: &RowRef, label: Label, text: &str, signature: Option<&Signature>) {
        let Some(sig) = signature else {
            self.unsigned += 1;
            return;
        };
        let at = self.sets.push() as u32;
        self.rows.push((row.clone(), label));
        self.signatures.extend_from_slice(sig);
        let mut checked: Vec<u32> = Vec::new();
        let keys: Vec<(usize, u64)> = self.hasher.band_keys(sig).collect();
        for (band, key) in keys {
            let (hasher, signatures) = (&self.hasher, &self.signatures);
            let held = |row: &u32| hasher.band_key(signature_of(signatures, *row), band) == key;
            match self.tables[band].find(key, held) {
                Some(&other) => {
                    if checked.contains(&other) {
                        continue;
                    }
                    checked.push(other);
                    if similarity(sig, signature_of(&self.signatures, other)) >= self.threshold {
                        self.join(other, at, text);
                    }
                }
                None => {
                    let (hasher, signatures) = (&self.hasher, &self.signatures);
                    self.tables[band].insert_unique(key, at, |row| {
                        hasher.band_key(signature_of(signatures, *row), band)
                    });
                }
            }
        }
    }

    /// Joins `at` (the row being added, so the latest) to `other`'s set. The joined set's
    /// example is the earlier of its two sets' examples, or `at`'s text when neither has one:
    /// every row already in either set came before `at`.
    fn join(&mut self, other: u32, at: u32, text: &str) {
        let (a, b) = (self.sets.find(other as usize), self.sets.find(at as usize));
        if a == b {
            return;
        }
        let examples = [a, b].map(|root| self.examples.remove(&(root as u32)));
        self.sets.union(a, b);
        let example = examples
            .into_iter()
            .flatten()
            .min_by_key(|(row, _)| *row)
            .unwrap_or_else(|| (at, text.chars().take(EXAMPLE_CHARS).collect()));
        let root = self.sets.find(at as usize) as u32;
        self.examples.insert(root, example);
    }

    /// Example texts held (one per cluster so far).
    pub fn examples_held(&self) -> usize {
        self.examples.len()
    }

    /// The campaigns: clusters of two or more rows.
    pub fn finish(mut self) -> CampaignReport {
        let mut clusters: HashMap<usize, Vec<usize>> = HashMap::new();
        for i in 0..self.sets.len() {
            let root = self.sets.find(i);
            clusters.entry(root).or_default().push(i);
        }
        let mut campaigns: Vec<(usize, Campaign)> = clusters
            .into_values()
            .filter(|rows| rows.len() >= 2)
            .map(|rows| {
                let mut labels = LabelCounts::default();
                let mut span = Span::new(&self.rows[rows[0]].0);
                for &r in &rows {
                    labels.add(self.rows[r].1);
                    span.extend(&self.rows[r].0);
                }
                let example = self
                    .examples
                    .remove(&(self.sets.find(rows[0]) as u32))
                    .map(|(_, text)| text)
                    .unwrap_or_default();
                let campaign = Campaign {
                    campaign: 0,
                    labels,
                    span,
                    example,
                    row_ids: rows.iter().map(|&r| self.rows[r].0.id.clone()).collect(),
                };
                (rows[0], campaign)
            })
            .collect();
        campaigns.sort_by_key(|(first, c)| (Reverse(c.size()), *first));
        for (n, (_, c)) in campaigns.iter_mut().enumerate() {
            c.campaign = n + 1;
        }
        CampaignReport {
            campaigns: campaigns.into_iter().map(|(_, c)| c).collect(),
            too_short: self.unsigned,
        }
    }
}

/// Row `row`'s signature in the flat store.
fn signature_of(signatures: &[u32], row: u32) -> &[u32] {
    let at = row as usize * PERMUTATIONS;
    &signatures[at..at + PERMUTATIONS]
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::normalize::normalize;

    fn add(c: &mut Campaigns, id: &str, text: &str) {
        let sig = c.hasher().signature(normalize(text).as_str());
        let row = RowRef {
            id: id.into(),
            ..RowRef::default()
        };
        c.add(&row, Label::MaliciousComplaint, text, sig.as_ref());
    }

    #[test]
    fn template_copies_cluster_and_others_stay_apart() {
        let mut c = Campaigns::new(DEFAULT_THRESHOLD);
        add(&mut c, "1", "本人张三于2023年在某某贷借款5000元，平台收取砍头息和高额服务费，严重违规，要求退还全部利息，否则将向银保监会和人民银行投诉");
        add(
            &mut c,
            "2",
            "今天天气很好，我们一家人去公园散步，孩子们玩得很开心，晚上回家吃了火锅",
        );
        add(&mut c, "3", "本人李四于2024年在好借贷借款12000元，平台收取砍头息和高额服务费，严重违规！要求退还全部利息，否则将向银保监会和人民银行投诉");
        add(&mut c, "4", "好的");
        let report = c.finish();
        assert_eq!(report.campaigns.len(), 1);
        assert_eq!(report.campaigns[0].row_ids, ["1", "3"]);
        assert_eq!(report.campaigns[0].labels.trade(), 2);
        assert!(report.campaigns[0].example.contains("砍头息"));
        assert_eq!(report.too_short, 1);
    }

    #[test]
    fn one_example_per_cluster_the_first_row_that_joined() {
        let letter = |name: &str, n: u32| {
            format!("本人{name}于2023年在好借贷借款{n}元，平台收取砍头息和高额服务费，严重违规，要求退还全部利息，否则将向银保监会和人民银行投诉")
        };
        let other = |name: &str| {
            format!("我叫{name}，催收人员每天打电话骚扰我的父母和同事，还发短信威胁要上门，平台泄露了我的通讯录，请监管部门严查")
        };
        let mut c = Campaigns::new(DEFAULT_THRESHOLD);
        add(&mut c, "1", &letter("张三", 5000));
        add(&mut c, "2", &other("李四"));
        add(&mut c, "3", &letter("王五", 800));
        add(&mut c, "4", &other("赵六"));
        add(&mut c, "5", &letter("陈静", 12000));
        add(&mut c, "6", &other("刘洋"));
        // Rows 3, 4, 5 and 6 joined a pair; two clusters hold two texts, not four.
        assert_eq!(c.examples_held(), 2);
        let report = c.finish();
        assert_eq!(report.campaigns.len(), 2);
        assert_eq!(report.campaigns[0].row_ids, ["1", "3", "5"]);
        assert!(
            report.campaigns[0].example.contains("王五"),
            "{}",
            report.campaigns[0].example
        );
        assert_eq!(report.campaigns[1].row_ids, ["2", "4", "6"]);
        assert!(report.campaigns[1].example.contains("赵六"));
    }
}
