//! Contacts across rows: one entry per contact (how many rows, which labels, first and last
//! row, channels, examples), and linked groups: rows that share any contact are joined by
//! union-find over contacts, so a group is the footprint of one agency (the ad with its
//! WeChat id, the complaint with the same phone, the second ad with both).
//!
//! Masked numbers and hotlines never link rows ([`ContactKind::is_clue`]). Memory grows with
//! the rows that hold contacts and the distinct contacts, not with the input.

use std::cmp::Reverse;
use std::collections::{BTreeSet, HashMap};

use super::{LabelCounts, RowRef, Span, UnionFind};
use crate::clues::{Contact, ContactKind};
use crate::labels::Label;

/// Example rows kept per contact.
pub const EXAMPLES: usize = 3;

/// Characters of an example row's text kept.
pub const EXAMPLE_CHARS: usize = 80;

/// An example row: its id and the start of its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Example {
    /// The row's id.
    pub id: String,
    /// Its text, cut to [`EXAMPLE_CHARS`] characters.
    pub text: String,
}

#[derive(Debug)]
struct Entry {
    kind: ContactKind,
    value: String,
    labels: LabelCounts,
    span: Span,
    channels: BTreeSet<String>,
    examples: Vec<Example>,
    rows: Vec<u32>,
}

/// Collects contacts row by row.
#[derive(Debug, Default)]
pub struct Links {
    index: HashMap<(ContactKind, String), usize>,
    entries: Vec<Entry>,
    /// Ids, labels and references of rows holding a clue, in input order.
    rows: Vec<(RowRef, Label)>,
    sets: UnionFind,
    without: u64,
}

/// One contact across all rows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactSummary {
    /// Its kind.
    pub kind: ContactKind,
    /// Its canonical value.
    pub value: String,
    /// Rows it appears in.
    pub rows: u64,
    /// Those rows' labels.
    pub labels: LabelCounts,
    /// Its linked group's number.
    pub group: usize,
    /// First and last row, and dates.
    pub span: Span,
    /// Channels it was seen on.
    pub channels: Vec<String>,
    /// Up to [`EXAMPLES`] rows.
    pub examples: Vec<Example>,
    /// Every row it appears in.
    pub row_ids: Vec<String>,
}

/// Rows linked by shared contacts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Group {
    /// Its number, from 1, in output order.
    pub group: usize,
    /// Its rows' labels.
    pub labels: LabelCounts,
    /// First and last row, and dates.
    pub span: Span,
    /// Every contact in it.
    pub contacts: Vec<(ContactKind, String)>,
    /// Every row in it.
    pub row_ids: Vec<String>,
}

/// Contacts and groups, trade-heavy first.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct LinkReport {
    /// One entry per contact, sorted by trade-labelled rows, then rows.
    pub contacts: Vec<ContactSummary>,
    /// Linked groups, in the same order.
    pub groups: Vec<Group>,
    /// Rows with at least one clue.
    pub rows_with_contacts: u64,
    /// Rows without any.
    pub rows_without_contacts: u64,
}

impl Links {
    /// Nothing seen yet.
    pub fn new() -> Self {
        Links::default()
    }

    /// Takes in one labelled row and its contacts.
    pub fn add(&mut self, row: &RowRef, label: Label, text: &str, contacts: &[Contact]) {
        let mut clues: Vec<(ContactKind, &str)> = contacts
            .iter()
            .filter(|c| c.kind.is_clue())
            .map(|c| (c.kind, c.value.as_str()))
            .collect();
        clues.sort_unstable();
        clues.dedup();
        if clues.is_empty() {
            self.without += 1;
            return;
        }
        let at = self.sets.push();
        self.rows.push((row.clone(), label));
        for (kind, value) in clues {
            let key = (kind, value.to_string());
            let entry = match self.index.get(&key) {
                Some(&e) => {
                    let first = self.entries[e].rows[0] as usize;
                    self.sets.union(first, at);
                    &mut self.entries[e]
                }
                None => {
                    self.index.insert(key, self.entries.len());
                    self.entries.push(Entry {
                        kind,
                        value: value.to_string(),
                        labels: LabelCounts::default(),
                        span: Span::new(row),
                        channels: BTreeSet::new(),
                        examples: Vec::new(),
                        rows: Vec::new(),
                    });
                    self.entries.last_mut().expect("just pushed")
                }
            };
            entry.labels.add(label);
            entry.span.extend(row);
            if let Some(channel) = &row.channel {
                if !entry.channels.contains(channel) {
                    entry.channels.insert(channel.clone());
                }
            }
            if entry.examples.len() < EXAMPLES {
                entry.examples.push(Example {
                    id: row.id.clone(),
                    text: text.chars().take(EXAMPLE_CHARS).collect(),
                });
            }
            entry.rows.push(at as u32);
        }
    }

    /// Contacts and groups seen in at least `min_rows` rows.
    pub fn finish(mut self, min_rows: u64) -> LinkReport {
        let roots: Vec<usize> = (0..self.sets.len()).map(|i| self.sets.find(i)).collect();
        // Groups keyed by their root, rows in input order.
        let mut by_root: HashMap<usize, (Vec<usize>, Vec<usize>)> = HashMap::new();
        for (i, &root) in roots.iter().enumerate() {
            by_root.entry(root).or_default().0.push(i);
        }
        for (e, entry) in self.entries.iter().enumerate() {
            let root = roots[entry.rows[0] as usize];
            by_root.get_mut(&root).expect("a group per root").1.push(e);
        }
        let mut groups: Vec<(usize, usize, Group)> = by_root
            .into_iter()
            .filter(|(_, (rows, _))| rows.len() as u64 >= min_rows.max(1))
            .map(|(root, (rows, entries))| {
                let mut labels = LabelCounts::default();
                let mut span = Span::new(&self.rows[rows[0]].0);
                for &r in &rows {
                    labels.add(self.rows[r].1);
                    span.extend(&self.rows[r].0);
                }
                let mut contacts: Vec<(ContactKind, String)> = entries
                    .iter()
                    .map(|&e| (self.entries[e].kind, self.entries[e].value.clone()))
                    .collect();
                contacts.sort();
                let group = Group {
                    group: 0,
                    labels,
                    span,
                    contacts,
                    row_ids: rows.iter().map(|&r| self.rows[r].0.id.clone()).collect(),
                };
                (root, rows[0], group)
            })
            .collect();
        // Trade-heavy groups first, then bigger ones, then in input order.
        groups.sort_by_key(|(_, first, g)| {
            (Reverse(g.labels.trade()), Reverse(g.labels.total()), *first)
        });
        let mut number: HashMap<usize, usize> = HashMap::new();
        for (n, (root, _, group)) in groups.iter_mut().enumerate() {
            group.group = n + 1;
            number.insert(*root, n + 1);
        }
        let mut contacts: Vec<ContactSummary> = self
            .entries
            .into_iter()
            .filter(|e| e.rows.len() as u64 >= min_rows)
            .map(|e| ContactSummary {
                group: number[&roots[e.rows[0] as usize]],
                kind: e.kind,
                value: e.value,
                rows: e.rows.len() as u64,
                labels: e.labels,
                span: e.span,
                channels: e.channels.into_iter().collect(),
                examples: e.examples,
                row_ids: e
                    .rows
                    .iter()
                    .map(|&r| self.rows[r as usize].0.id.clone())
                    .collect(),
            })
            .collect();
        contacts.sort_by(|a, b| {
            (b.labels.trade(), b.rows, a.kind, &a.value).cmp(&(
                a.labels.trade(),
                a.rows,
                b.kind,
                &b.value,
            ))
        });
        LinkReport {
            contacts,
            groups: groups.into_iter().map(|(_, _, g)| g).collect(),
            rows_with_contacts: self.rows.len() as u64,
            rows_without_contacts: self.without,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn contact(kind: ContactKind, value: &str) -> Contact {
        Contact {
            kind,
            value: value.into(),
            start: 0,
            end: 1,
            start_char: 0,
            end_char: 1,
        }
    }

    fn row(id: &str) -> RowRef {
        RowRef {
            id: id.into(),
            ..RowRef::default()
        }
    }

    #[test]
    fn rows_sharing_any_contact_form_one_group() {
        let mut links = Links::new();
        let phone = contact(ContactKind::Phone, "13800001234");
        let wechat = contact(ContactKind::Wechat, "tingxi888");
        let other = contact(ContactKind::Qq, "123456");
        links.add(
            &row("a"),
            Label::DebtOptimization,
            "ad",
            std::slice::from_ref(&phone),
        );
        links.add(&row("b"), Label::Normal, "x", std::slice::from_ref(&other));
        links.add(
            &row("c"),
            Label::DebtOptimization,
            "ad2",
            std::slice::from_ref(&wechat),
        );
        links.add(
            &row("d"),
            Label::MaliciousComplaint,
            "both",
            &[phone, wechat],
        );
        links.add(&row("e"), Label::Normal, "none", &[]);
        let masked = contact(ContactKind::Masked, "138****0000");
        links.add(&row("f"), Label::Normal, "m", std::slice::from_ref(&masked));
        links.add(&row("g"), Label::Normal, "m", &[masked]);
        let report = links.finish(1);
        assert_eq!(report.rows_with_contacts, 4);
        assert_eq!(report.rows_without_contacts, 3);
        assert_eq!(report.groups.len(), 2);
        assert_eq!(report.groups[0].row_ids, ["a", "c", "d"]);
        assert_eq!(report.groups[0].labels.trade(), 3);
        assert_eq!(report.groups[1].row_ids, ["b"]);
        assert_eq!(report.contacts[0].value, "13800001234");
        assert_eq!(report.contacts[0].row_ids, ["a", "d"]);
        assert!(report
            .contacts
            .iter()
            .all(|c| c.kind != ContactKind::Masked));
        assert_eq!(links_for(&report, "123456"), 2);
        let report2 = {
            let mut l = Links::new();
            l.add(&row("a"), Label::Normal, "", std::slice::from_ref(&other));
            l.finish(2)
        };
        assert!(report2.contacts.is_empty() && report2.groups.is_empty());
    }

    fn links_for(report: &LinkReport, value: &str) -> usize {
        report
            .contacts
            .iter()
            .find(|c| c.value == value)
            .unwrap()
            .group
    }
}
