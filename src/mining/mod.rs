//! Across rows: what no single row's label can see. Each aggregator reads the labelling
//! pipeline's outcomes one row at a time and never reaches back into the stages.
//! - [`links`]: contacts shared by rows, and the linked groups they form (union-find);
//! - [`campaigns`]: near-duplicate texts filed in waves, found by [`minhash`] with LSH
//!   banding.

pub mod campaigns;
pub mod links;
pub mod minhash;

use crate::labels::Label;

/// Where one row came from, for reports: its id (the id column's value where one exists,
/// else its line), and its date and channel where the input has such columns.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RowRef {
    /// The row's id.
    pub id: String,
    /// Its date, as written.
    pub date: Option<String>,
    /// Its channel, as written.
    pub channel: Option<String>,
}

/// Rows per label, in [`Label::ALL`]'s order.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LabelCounts(pub [u64; 3]);

impl LabelCounts {
    /// Counts one row.
    pub fn add(&mut self, label: Label) {
        self.0[label.index()] += 1;
    }

    /// Rows with a trade label (malicious complaint or debt optimisation).
    pub fn trade(&self) -> u64 {
        self.0[Label::MaliciousComplaint.index()] + self.0[Label::DebtOptimization.index()]
    }

    /// All rows counted.
    pub fn total(&self) -> u64 {
        self.0.iter().sum()
    }

    /// `{"normal": n, ...}`.
    pub fn to_json(&self) -> serde_json::Value {
        Label::ALL
            .iter()
            .map(|l| (l.name().to_string(), self.0[l.index()].into()))
            .collect::<serde_json::Map<_, _>>()
            .into()
    }
}

/// The first and last row seen of something, with the earliest and latest dates.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Span {
    /// The first row, in input order.
    pub first: String,
    /// The last row, in input order.
    pub last: String,
    /// The earliest date seen (dates compare as written, so ISO dates sort right).
    pub first_date: Option<String>,
    /// The latest date seen.
    pub last_date: Option<String>,
}

impl Span {
    /// A span of one row.
    pub fn new(row: &RowRef) -> Self {
        Span {
            first: row.id.clone(),
            last: row.id.clone(),
            first_date: row.date.clone(),
            last_date: row.date.clone(),
        }
    }

    /// Takes in a later row.
    pub fn extend(&mut self, row: &RowRef) {
        self.last.clone_from(&row.id);
        if let Some(date) = &row.date {
            if self.first_date.as_ref().is_none_or(|d| date < d) {
                self.first_date = Some(date.clone());
            }
            if self.last_date.as_ref().is_none_or(|d| date > d) {
                self.last_date = Some(date.clone());
            }
        }
    }
}

/// Union-find over dense indices, with path halving and union by size.
#[derive(Debug, Clone, Default)]
pub struct UnionFind {
    parent: Vec<u32>,
    size: Vec<u32>,
}

impl UnionFind {
    /// Adds a singleton set and returns its index.
    pub fn push(&mut self) -> usize {
        let i = self.parent.len();
        self.parent.push(i as u32);
        self.size.push(1);
        i
    }

    /// The representative of `i`'s set.
    pub fn find(&mut self, mut i: usize) -> usize {
        while self.parent[i] as usize != i {
            let grand = self.parent[self.parent[i] as usize];
            self.parent[i] = grand;
            i = grand as usize;
        }
        i
    }

    /// Joins the sets of `a` and `b`.
    pub fn union(&mut self, a: usize, b: usize) {
        let (mut a, mut b) = (self.find(a), self.find(b));
        if a == b {
            return;
        }
        if self.size[a] < self.size[b] {
            std::mem::swap(&mut a, &mut b);
        }
        self.parent[b] = a as u32;
        self.size[a] += self.size[b];
    }

    /// Sets so far.
    pub fn len(&self) -> usize {
        self.parent.len()
    }

    /// Whether there are none.
    pub fn is_empty(&self) -> bool {
        self.parent.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn union_find_joins_transitively() {
        let mut uf = UnionFind::default();
        let ids: Vec<usize> = (0..5).map(|_| uf.push()).collect();
        uf.union(ids[0], ids[1]);
        uf.union(ids[3], ids[1]);
        assert_eq!(uf.find(0), uf.find(3));
        assert_ne!(uf.find(0), uf.find(2));
        assert_ne!(uf.find(4), uf.find(2));
    }
}
