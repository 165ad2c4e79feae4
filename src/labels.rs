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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for label in Label::ALL {
            assert_eq!(label.name().parse::<Label>().unwrap(), label);
            assert_eq!(Label::ALL[label.index()], label);
        }
        assert!("spam".parse::<Label>().is_err());
    }
}
