//! Training-time augmentation with the evasions attackers use: interference symbols between
//! characters, homophone spellings from `variants.tsv`, traditional characters and full-width
//! letters. Applied to raw text before normalisation, so the model learns from what survives
//! the normaliser (homophones, long symbol runs) and does not lean on the normaliser alone.

use std::collections::HashMap;

use crate::corpus::Corpus;
use crate::normalize::is_cjk;
use crate::rng::Rng;

/// Symbols put between characters.
const SYMBOLS: &[&str] = &["*", ".", " ", "-", "❤", "/", "·", "|", "~", "💰", "🔥", "_"];

/// Produces evasive rewrites of training texts.
#[derive(Debug, Clone)]
pub struct Augmenter {
    /// `(canonical, variant)` spellings.
    variants: Vec<(String, String)>,
    /// Simplified to traditional, one character for one.
    traditional: HashMap<char, char>,
}

impl Augmenter {
    /// An augmenter using the corpus's variant table.
    pub fn new(corpus: &Corpus) -> Self {
        let variants = corpus
            .variants()
            .entries()
            .iter()
            .map(|v| (v.canonical.clone(), v.variant.clone()))
            .collect();
        Augmenter {
            variants,
            traditional: traditional_table(),
        }
    }

    /// An evasive rewrite of `text`: each kind of evasion is applied with even odds, at
    /// least one of them.
    pub fn augment(&self, text: &str, rng: &mut Rng) -> String {
        let mut kinds = [false; 4];
        while !kinds.iter().any(|&k| k) {
            for k in &mut kinds {
                *k = rng.next_f64() < 0.5;
            }
        }
        let mut out = text.to_string();
        if kinds[0] {
            out = self.homophones(&out, rng);
        }
        if kinds[1] {
            out = self.to_traditional(&out, rng);
        }
        if kinds[2] {
            out = full_width(&out, rng);
        }
        if kinds[3] {
            out = interference(&out, rng);
        }
        out
    }

    fn homophones(&self, text: &str, rng: &mut Rng) -> String {
        let mut out = text.to_string();
        for (canonical, variant) in &self.variants {
            if out.contains(canonical.as_str()) && rng.next_f64() < 0.5 {
                out = out.replace(canonical.as_str(), variant);
            }
        }
        out
    }

    fn to_traditional(&self, text: &str, rng: &mut Rng) -> String {
        text.chars()
            .map(|c| match self.traditional.get(&c) {
                Some(&t) if rng.next_f64() < 0.6 => t,
                _ => c,
            })
            .collect()
    }
}

fn full_width(text: &str, rng: &mut Rng) -> String {
    text.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() && rng.next_f64() < 0.7 {
                char::from_u32(c as u32 + 0xFEE0).unwrap_or(c)
            } else {
                c
            }
        })
        .collect()
}

fn interference(text: &str, rng: &mut Rng) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    let mut previous: Option<char> = None;
    for c in text.chars() {
        if previous.is_some_and(is_cjk) && is_cjk(c) && rng.next_f64() < 0.15 {
            out.push_str(SYMBOLS[rng.below(SYMBOLS.len())]);
        }
        out.push(c);
        previous = Some(c);
    }
    out
}

/// The inverse of the traditional-to-simplified converter over the common CJK block; where
/// several traditional characters share one simplified form, the first (lowest) is kept.
fn traditional_table() -> HashMap<char, char> {
    let mut table = HashMap::new();
    for code in 0x4E00u32..=0x9FFF {
        let Some(t) = char::from_u32(code) else {
            continue;
        };
        let mut buf = [0u8; 4];
        let simplified = fast2s::convert(t.encode_utf8(&mut buf));
        if let Some(s) = simplified.chars().next() {
            if s != t {
                table.entry(s).or_insert(t);
            }
        }
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::corpus::variants::VariantTable;
    use crate::normalize::normalize;
    use std::path::Path;

    #[test]
    fn rewrites_survive_or_fold_back_through_the_normaliser() {
        let variants = VariantTable::parse(Path::new("v.tsv"), "亭\t停\t\n").unwrap();
        let augmenter = Augmenter {
            variants: variants
                .entries()
                .iter()
                .map(|v| (v.canonical.clone(), v.variant.clone()))
                .collect(),
            traditional: traditional_table(),
        };
        assert_eq!(augmenter.traditional.get(&'债'), Some(&'債'));
        let mut rng = Rng::new(3);
        let text = "专业停息挂账债务优化加VX";
        let mut changed = 0;
        for _ in 0..50 {
            let a = augmenter.augment(text, &mut rng);
            if a != text {
                changed += 1;
            }
            let n = normalize(&a);
            // Everything but the homophone folds back.
            assert_eq!(
                n.as_str().replace('亭', "停"),
                normalize(text).as_str(),
                "{a}"
            );
        }
        assert!(changed > 40);
    }
}
