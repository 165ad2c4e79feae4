//! The three labels heihui assigns, defined in `corpus/labeled/GUIDELINES.md`.

use std::fmt;
use std::str::FromStr;

/// What a text is, by the labelling guidelines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    /// Everything that is neither of the others, including warnings and genuine complaints.
    Normal,
    /// A complaint used as leverage against a lender.
    MaliciousComplaint,
    /// Text selling or recruiting for the anti-collection trade to debtors.
    DebtOptimization,
}

impl Label {
    /// Every label, in the order models and reports use.
    pub const ALL: [Label; 3] = [
        Label::Normal,
        Label::MaliciousComplaint,
        Label::DebtOptimization,
    ];

    /// The label's name as written in data files.
    pub fn name(self) -> &'static str {
        match self {
            Label::Normal => "normal",
            Label::MaliciousComplaint => "malicious_complaint",
            Label::DebtOptimization => "debt_optimization",
        }
    }

    /// Position in [`Label::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for Label {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// The error for a label name that is not one of [`Label::ALL`].
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown label `{0}`: expected normal, malicious_complaint or debt_optimization")]
pub struct UnknownLabel(pub String);

impl FromStr for Label {
    type Err = UnknownLabel;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Label::ALL
            .into_iter()
            .find(|l| l.name() == s.trim())
            .ok_or_else(|| UnknownLabel(s.to_string()))
    }
}

/// Per-label values, serialised as an object keyed by label name in [`Label::ALL`] order
/// (`{"normal": .., "malicious_complaint": .., "debt_optimization": ..}`), never as a
/// positional array.
#[derive(Debug, Clone, Copy)]
pub struct ByLabel<'a, T>(pub &'a [T; 3]);

impl<T: serde::Serialize> serde::Serialize for ByLabel<'_, T> {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = s.serialize_map(Some(3))?;
        for label in Label::ALL {
            map.serialize_entry(label.name(), &self.0[label.index()])?;
        }
        map.end()
    }
}

/// For `#[serde(serialize_with = "crate::labels::by_label")]` on a per-label array.
///
/// # Errors
/// Whatever the serializer reports.
pub fn by_label<S: serde::Serializer, T: serde::Serialize>(
    values: &[T; 3],
    s: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&ByLabel(values), s)
}

/// As [`by_label`], for an optional per-label array (`null` when absent).
///
/// # Errors
/// Whatever the serializer reports.
pub fn by_label_opt<S: serde::Serializer, T: serde::Serialize>(
    values: &Option<[T; 3]>,
    s: S,
) -> Result<S::Ok, S::Error> {
    serde::Serialize::serialize(&values.as_ref().map(ByLabel), s)
}

/// For a `[gold][predicted]` matrix: gold label to an object of predicted label to count.
///
/// # Errors
/// Whatever the serializer reports.
pub fn by_label_matrix<S: serde::Serializer, T: serde::Serialize>(
    rows: &[[T; 3]; 3],
    s: S,
) -> Result<S::Ok, S::Error> {
    let rows: [ByLabel<'_, T>; 3] = std::array::from_fn(|i| ByLabel(&rows[i]));
    serde::Serialize::serialize(&ByLabel(&rows), s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_label_values_are_keyed_by_name() {
        let json = serde_json::to_string(&ByLabel(&[1, 2, 3])).unwrap();
        assert_eq!(
            json,
            r#"{"normal":1,"malicious_complaint":2,"debt_optimization":3}"#
        );
    }

    #[test]
    fn names_round_trip() {
        for label in Label::ALL {
            assert_eq!(label.name().parse::<Label>().unwrap(), label);
            assert_eq!(Label::ALL[label.index()], label);
        }
        assert!("spam".parse::<Label>().is_err());
    }
}
