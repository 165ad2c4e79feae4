//! The n-gram model's word block: jieba's words of the normalised text and the pairs of
//! adjacent words, a second TF-IDF block beside the characters' (scikit-learn's
//! `TfidfVectorizer(analyzer="word", ngram_range=(1, 2))` over jieba-cut text). Character
//! n-grams cannot tell a word from the same characters across a word boundary; the words can.
//!
//! jieba's own dictionary is used, not the corpus's phrases, so that adding a phrase to the
//! corpus never changes the features a fitted model sees.

use std::collections::HashMap;
use std::sync::LazyLock;

use jieba_rs::Jieba;

/// Between the words of one word n-gram, in memory and in `ngram.safetensors`.
pub const JOIN: char = '\t';

/// jieba with its default dictionary, built on first use (a few hundred milliseconds) and
/// shared by every model in the process.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// Calls `each` with every word n-gram of `min_n..=max_n` words of a normalised text, words
/// joined by [`JOIN`]. Whitespace and punctuation-only tokens are skipped, as scikit-learn's
/// word analyzer skips them, and so are the gaps they leave (two words around a comma are
/// still adjacent).
pub fn word_grams(text: &str, min_n: usize, max_n: usize, mut each: impl FnMut(&str)) {
    if max_n == 0 {
        return;
    }
    // Cut a stretch at a time and keep the last `max_n` words, not every token of the text
    // at once (a 50 MB field would take 200 MB of tokens).
    let mut recent: Vec<&str> = Vec::with_capacity(max_n);
    let mut gram = String::new();
    for stretch in stretches(text) {
        for token in JIEBA.cut(stretch, true) {
            let word = token.word;
            if !word.chars().any(char::is_alphanumeric) {
                continue;
            }
            if recent.len() == max_n {
                recent.remove(0);
            }
            recent.push(word);
            for n in min_n.max(1)..=recent.len() {
                gram.clear();
                for (i, w) in recent[recent.len() - n..].iter().enumerate() {
                    if i > 0 {
                        gram.push(JOIN);
                    }
                    gram.push_str(w);
                }
                each(&gram);
            }
        }
    }
}

/// `text` in stretches of about 64 KiB, each ending just after whitespace or CJK
/// punctuation: characters jieba gives a token of their own, so cutting the stretches one
/// by one gives the same words as cutting the whole text.
fn stretches(text: &str) -> impl Iterator<Item = &str> {
    const STRETCH: usize = 64 << 10;
    let mut rest = text;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let mut end = rest.len();
        if rest.len() > STRETCH {
            let mut from = STRETCH;
            while !rest.is_char_boundary(from) {
                from += 1;
            }
            if let Some(i) =
                rest[from..].find([' ', '\n', '\t', '，', '。', '！', '？', '、', '；', '：'])
            {
                let at = from + i;
                end = at + rest[at..].chars().next().map_or(1, char::len_utf8);
            }
        }
        let (stretch, after) = rest.split_at(end);
        rest = after;
        Some(stretch)
    })
}

/// The word block of a fitted model: each kept word n-gram's feature index (counted from the
/// start of the block) and inverse document frequency.
#[derive(Debug, Clone, Default)]
pub struct WordBlock {
    pub index: HashMap<Box<str>, u32, ahash::RandomState>,
    pub idf: Vec<f32>,
}

impl WordBlock {
    /// Counts of the block's features in one text, by index within the block.
    pub fn counts(
        &self,
        text: &str,
        min_n: usize,
        max_n: usize,
    ) -> HashMap<u32, u32, ahash::RandomState> {
        let mut counts: HashMap<u32, u32, ahash::RandomState> = HashMap::default();
        word_grams(text, min_n, max_n, |g| {
            if let Some(&f) = self.index.get(g) {
                *counts.entry(f).or_insert(0) += 1;
            }
        });
        counts
    }

    /// The block's word n-grams in index order, as stored: UTF-8, one per line.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut grams: Vec<(&u32, &Box<str>)> = self.index.iter().map(|(g, i)| (i, g)).collect();
        grams.sort_unstable();
        let mut out = Vec::new();
        for (_, g) in grams {
            out.extend_from_slice(g.as_bytes());
            out.push(b'\n');
        }
        out
    }

    /// Reads [`WordBlock::to_bytes`]'s list back beside its idf; `Err` says what is wrong.
    pub fn from_bytes(bytes: &[u8], idf: Vec<f32>) -> Result<Self, String> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| "the word list is not UTF-8".to_string())?;
        let grams: Vec<&str> = text
            .strip_suffix('\n')
            .unwrap_or(text)
            .split('\n')
            .collect();
        let grams = if text.is_empty() { Vec::new() } else { grams };
        if grams.len() != idf.len() {
            return Err(format!(
                "the word list has {} entries but word_idf has {}",
                grams.len(),
                idf.len()
            ));
        }
        let mut index = HashMap::with_capacity_and_hasher(grams.len(), ahash::RandomState::new());
        for (i, g) in grams.into_iter().enumerate() {
            if g.is_empty() || index.insert(g.into(), i as u32).is_some() {
                return Err(format!("word n-gram {i} is empty or listed twice"));
            }
        }
        Ok(WordBlock { index, idf })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_adjacent_pairs_skipping_punctuation() {
        let mut grams = Vec::new();
        word_grams("我们，停息挂账", 1, 2, |g| grams.push(g.to_string()));
        let words: Vec<&String> = grams.iter().filter(|g| !g.contains(JOIN)).collect();
        let pairs: Vec<&String> = grams.iter().filter(|g| g.contains(JOIN)).collect();
        assert!(words.iter().all(|w| !w.contains('，')), "{grams:?}");
        assert_eq!(pairs.len(), words.len() - 1, "{grams:?}");
        assert_eq!(pairs[0], &format!("{}{JOIN}{}", words[0], words[1]));
    }

    #[test]
    fn the_stored_list_round_trips() {
        let mut block = WordBlock::default();
        for (i, g) in ["停息", "挂账", "停息\t挂账"].into_iter().enumerate() {
            block.index.insert(g.into(), i as u32);
            block.idf.push(1.0 + i as f32);
        }
        let back = WordBlock::from_bytes(&block.to_bytes(), block.idf.clone()).unwrap();
        assert_eq!(back.index, block.index);
        assert!(WordBlock::from_bytes(&block.to_bytes(), vec![1.0]).is_err());
    }
}
