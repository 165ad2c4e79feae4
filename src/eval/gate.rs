//! CI gates: `METRIC>=VALUE` on the combined decision, `SYSTEM.METRIC>=VALUE` on one system,
//! and `SYSTEM.METRIC>=SYSTEM.METRIC[+-]MARGIN` comparing two.

use std::fmt;
use std::str::FromStr;

use crate::labels::Label;

/// What a gate measures.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum GateMetric {
    /// `accuracy`
    Accuracy,
    /// `macro_f1`
    MacroF1,
    /// `weighted_f1`
    WeightedF1,
    /// `precision:LABEL`
    Precision(Label),
    /// `recall:LABEL`
    Recall(Label),
    /// `f1:LABEL`
    F1(Label),
    /// `ece`: expected calibration error (lower is better; gate it with `<=`)
    Ece,
}

/// One of the systems an evaluation compares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum System {
    /// Corpus phrases alone.
    Corpus,
    /// The n-gram model alone.
    Ngram,
    /// The transformer alone.
    Transformer,
    /// The combined decision that `label` uses.
    Combined,
}

impl System {
    /// Every system, in report order.
    pub const ALL: [System; 4] = [
        System::Corpus,
        System::Ngram,
        System::Transformer,
        System::Combined,
    ];

    /// The system's name in gates, JSON and reports.
    pub fn name(self) -> &'static str {
        match self {
            System::Corpus => "corpus",
            System::Ngram => "ngram",
            System::Transformer => "transformer",
            System::Combined => "combined",
        }
    }

    fn parse(s: &str) -> Option<System> {
        match s {
            "corpus" => Some(System::Corpus),
            "ngram" => Some(System::Ngram),
            "transformer" | "model" => Some(System::Transformer),
            "combined" => Some(System::Combined),
            _ => None,
        }
    }
}

/// A measured quantity: a metric of one system.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measure {
    /// The system.
    pub system: System,
    /// The metric.
    pub metric: GateMetric,
}

/// What a gate's measure is held against.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Bound {
    /// A fixed value.
    Value(f64),
    /// Another measure plus a margin (which may be negative).
    Measure(Measure, f64),
}

/// Whether the measure must reach the bound or stay under it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Direction {
    /// `>=`
    AtLeast,
    /// `<=`
    AtMost,
}

/// A CI gate such as `macro_f1>=0.90`, `recall:debt_optimization>=0.95`,
/// `combined.ece<=0.03` or `combined.macro_f1>=ngram.macro_f1+0.01`.
#[derive(Debug, Clone, PartialEq)]
pub struct Gate {
    /// What is measured.
    pub measure: Measure,
    /// `>=` or `<=`.
    pub direction: Direction,
    /// What it is held against.
    pub bound: Bound,
    text: String,
}

/// Gives a measure's value, `None` when the system was not evaluated.
pub trait Measured {
    /// The value of `measure`.
    fn value(&self, measure: &Measure) -> Option<f64>;
}

impl Gate {
    /// `None` when `measured` passes; otherwise a one-line reason.
    pub fn check(&self, measured: &impl Measured) -> Option<String> {
        let missing = |m: &Measure| {
            format!(
                "gate {} failed: the {} system was not evaluated (the model has no such component)",
                self.text,
                m.system.name()
            )
        };
        let Some(value) = measured.value(&self.measure) else {
            return Some(missing(&self.measure));
        };
        let (bound, against) = match self.bound {
            Bound::Value(v) => (v, String::new()),
            Bound::Measure(m, margin) => match measured.value(&m) {
                Some(v) => (v + margin, format!(" against {:.4}", v + margin)),
                None => return Some(missing(&m)),
            },
        };
        let pass = match self.direction {
            Direction::AtLeast => value >= bound,
            Direction::AtMost => value <= bound,
        };
        (!pass).then(|| format!("gate {} failed: measured {:.4}{against}", self.text, value))
    }
}

impl fmt::Display for Gate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.text)
    }
}

fn parse_measure(s: &str, whole: &str) -> Result<Measure, String> {
    let usage = || {
        format!(
            "bad gate `{whole}`: expected [SYSTEM.]METRIC>=VALUE or \
             [SYSTEM.]METRIC>=SYSTEM.METRIC[+-]MARGIN (or <=), METRIC one of accuracy, \
             macro_f1, weighted_f1, ece, precision:LABEL, recall:LABEL, f1:LABEL, SYSTEM one \
             of corpus, ngram, transformer, combined"
        )
    };
    let s = s.trim();
    let (system, metric) = match s.split_once('.') {
        Some((sys, rest)) if !sys.chars().next().is_some_and(|c| c.is_ascii_digit()) => {
            (System::parse(sys.trim()).ok_or_else(usage)?, rest.trim())
        }
        _ => (System::Combined, s),
    };
    let label = |l: &str| {
        l.parse::<Label>()
            .map_err(|e| format!("bad gate `{whole}`: {e}"))
    };
    let metric = match metric.split_once(':') {
        None => match metric {
            "accuracy" => GateMetric::Accuracy,
            "macro_f1" => GateMetric::MacroF1,
            "weighted_f1" => GateMetric::WeightedF1,
            "ece" => GateMetric::Ece,
            _ => return Err(usage()),
        },
        Some(("precision", l)) => GateMetric::Precision(label(l)?),
        Some(("recall", l)) => GateMetric::Recall(label(l)?),
        Some(("f1", l)) => GateMetric::F1(label(l)?),
        Some(_) => return Err(usage()),
    };
    Ok(Measure { system, metric })
}

impl FromStr for Gate {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        let (lhs, rhs, direction) = if let Some((l, r)) = s.split_once(">=") {
            (l, r, Direction::AtLeast)
        } else if let Some((l, r)) = s.split_once("<=") {
            (l, r, Direction::AtMost)
        } else {
            return Err(parse_measure("", s).err().unwrap_or_default());
        };
        let measure = parse_measure(lhs, s)?;
        let rhs = rhs.trim();
        let bound = if let Ok(v) = rhs.parse::<f64>() {
            Bound::Value(v)
        } else {
            // SYSTEM.METRIC, then an optional +MARGIN or -MARGIN.
            let split = rhs
                .char_indices()
                .skip(1)
                .find(|&(_, c)| c == '+' || c == '-')
                .map(|(i, _)| i);
            let (m, margin) = match split {
                Some(i) => {
                    let margin: f64 = rhs[i..]
                        .trim()
                        .replace(' ', "")
                        .parse()
                        .map_err(|_| parse_measure("", s).err().unwrap_or_default())?;
                    (&rhs[..i], margin)
                }
                None => (rhs, 0.0),
            };
            Bound::Measure(parse_measure(m, s)?, margin)
        };
        Ok(Gate {
            measure,
            direction,
            bound,
            text: s.to_string(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use Label::*;

    struct Fixed(Vec<(System, f64)>);

    impl Measured for Fixed {
        fn value(&self, m: &Measure) -> Option<f64> {
            self.0.iter().find(|(s, _)| *s == m.system).map(|(_, v)| *v)
        }
    }

    #[test]
    fn gates_parse_and_check() {
        let m = crate::eval::Metrics::from_pairs([(Normal, Normal), (DebtOptimization, Normal)]);
        let g: Gate = "recall:debt_optimization>=0.95".parse().unwrap();
        assert_eq!(
            g.check(&m).unwrap(),
            "gate recall:debt_optimization>=0.95 failed: measured 0.0000"
        );
        let g: Gate = "accuracy>=0.5".parse().unwrap();
        assert!(g.check(&m).is_none());
        assert!("macro>=1".parse::<Gate>().is_err());
        assert!("recall:spam>=1"
            .parse::<Gate>()
            .unwrap_err()
            .contains("unknown label"));
    }

    #[test]
    fn gates_compare_systems() {
        let g: Gate = "combined.macro_f1>=ngram.macro_f1+0.01".parse().unwrap();
        assert_eq!(g.measure.system, System::Combined);
        assert_eq!(
            g.bound,
            Bound::Measure(
                Measure {
                    system: System::Ngram,
                    metric: GateMetric::MacroF1
                },
                0.01
            )
        );
        let close = Fixed(vec![(System::Combined, 0.95), (System::Ngram, 0.945)]);
        assert_eq!(
            g.check(&close).unwrap(),
            "gate combined.macro_f1>=ngram.macro_f1+0.01 failed: measured 0.9500 against 0.9550"
        );
        let clear = Fixed(vec![(System::Combined, 0.96), (System::Ngram, 0.945)]);
        assert!(g.check(&clear).is_none());
        let below: Gate = "combined.macro_f1>=transformer.macro_f1-0.02"
            .parse()
            .unwrap();
        assert!(below
            .check(&Fixed(vec![
                (System::Combined, 0.90),
                (System::Transformer, 0.91)
            ]))
            .is_none());
        let missing = Fixed(vec![(System::Combined, 0.9)]);
        assert!(g
            .check(&missing)
            .unwrap()
            .contains("the ngram system was not evaluated"));
        let ece: Gate = "combined.ece<=0.03".parse().unwrap();
        assert_eq!(ece.direction, Direction::AtMost);
        assert!("spam.macro_f1>=0.5".parse::<Gate>().is_err());
        assert!("combined.macro_f1>=ngram.macro_f1+x"
            .parse::<Gate>()
            .is_err());
    }
}
