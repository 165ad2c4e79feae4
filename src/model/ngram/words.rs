//! The n-gram model's token blocks, TF-IDF blocks beside the characters' (scikit-learn's
//! `TfidfVectorizer(analyzer="word", ngram_range=(1, n))` over tokenised text):
//! - jieba's words of the normalised text and runs of adjacent words. Character n-grams cannot
//!   tell a word from the same characters across a word boundary; the words can.
//! - the text's toneless pinyin syllables and runs of adjacent syllables: a homophone written
//!   to dodge a filter (亭息 for 停息, 鞋商 for 协商) reads the same as the word it stands for,
//!   so the model sees the one in the other's features without having met that spelling.
//!
//! jieba's own dictionary is used, not the corpus's phrases, so that adding a phrase to the
//! corpus never changes the features a fitted model sees; each character's reading is the
//! pinyin crate's first (most common) one.

use std::collections::HashMap;
use std::sync::LazyLock;

use jieba_rs::Jieba;
use pinyin::ToPinyin;

use crate::normalize::is_cjk;

/// Between the tokens of one n-gram, in memory and in `ngram.safetensors`.
pub const JOIN: char = '\t';

/// jieba with its default dictionary, built on first use (a few hundred milliseconds) and
/// shared by every model in the process.
static JIEBA: LazyLock<Jieba> = LazyLock::new(Jieba::new);

/// What a token block's tokens are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tokens {
    /// jieba's words.
    Jieba,
    /// Toneless pinyin syllables of the CJK characters, and runs of other letters and digits.
    Pinyin,
}

impl Tokens {
    /// The name in `ngram.json`.
    pub fn name(self) -> &'static str {
        match self {
            Tokens::Jieba => "jieba",
            Tokens::Pinyin => "pinyin",
        }
    }

    /// The tokens named `name` in `ngram.json`, if heihui knows them.
    pub fn from_name(name: &str) -> Option<Self> {
        [Tokens::Jieba, Tokens::Pinyin]
            .into_iter()
            .find(|t| t.name() == name)
    }

    /// Calls `each` with every token of a text, in order.
    fn each<'a>(self, text: &'a str, mut each: impl FnMut(&'a str)) {
        match self {
            Tokens::Jieba => {
                for stretch in stretches(text) {
                    for token in JIEBA.cut(stretch, true) {
                        each(token.word);
                    }
                }
            }
            Tokens::Pinyin => syllables(text, each),
        }
    }
}

/// The pinyin tokens of a text: each CJK character's toneless reading (the character itself
/// when it has none), and each run of other letters and digits as one token; whitespace and
/// punctuation only separate.
fn syllables<'a>(text: &'a str, mut each: impl FnMut(&'a str)) {
    let mut run: Option<usize> = None;
    for (i, c) in text.char_indices() {
        let reading = is_cjk(c).then(|| {
            c.to_pinyin()
                .map_or(&text[i..i + c.len_utf8()], |p| p.plain())
        });
        if reading.is_some() || !c.is_alphanumeric() {
            if let Some(start) = run.take() {
                each(&text[start..i]);
            }
        }
        match reading {
            Some(syllable) => each(syllable),
            None if c.is_alphanumeric() => {
                run.get_or_insert(i);
            }
            None => {}
        }
    }
    if let Some(start) = run {
        each(&text[start..]);
    }
}

/// Calls `each` with every n-gram of `min_n..=max_n` tokens of a normalised text, tokens
/// joined by [`JOIN`]. Whitespace and punctuation-only tokens are skipped, as scikit-learn's
/// word analyzer skips them, and so are the gaps they leave (two words around a comma are
/// still adjacent).
fn grams(tokens: Tokens, text: &str, min_n: usize, max_n: usize, mut each: impl FnMut(&str)) {
    if max_n == 0 {
        return;
    }
    // Keep the last `max_n` tokens, not every token of the text at once (a 50 MB field
    // would take 200 MB of tokens).
    let mut recent: Vec<&str> = Vec::with_capacity(max_n);
    let mut gram = String::new();
    tokens.each(text, |word| {
        if !word.chars().any(char::is_alphanumeric) {
            return;
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
    });
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

/// How a token block's n-grams are made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Grams {
    pub tokens: Tokens,
    /// Fewest tokens in an n-gram.
    pub min_n: usize,
    /// Most tokens in an n-gram.
    pub max_n: usize,
}

impl Grams {
    /// Calls `each` with every n-gram of a normalised text.
    pub fn each(self, text: &str, each: impl FnMut(&str)) {
        grams(self.tokens, text, self.min_n, self.max_n, each);
    }
}

/// A token block of a fitted model: each kept token n-gram's feature index (counted from the
/// start of the block) and inverse document frequency.
#[derive(Debug, Clone)]
pub struct WordBlock {
    pub grams: Grams,
    pub index: HashMap<Box<str>, u32, ahash::RandomState>,
    pub idf: Vec<f32>,
}

impl WordBlock {
    /// The block of `texts`: their n-grams seen in at least `min_df` of them, in sorted
    /// order, each with `idf` of the rows it is seen in.
    pub fn fit(grams: Grams, texts: &[&str], min_df: usize, idf: impl Fn(u32) -> f32) -> Self {
        let mut df: HashMap<Box<str>, u32, ahash::RandomState> = HashMap::default();
        let mut seen: ahash::AHashSet<Box<str>> = Default::default();
        for text in texts {
            seen.clear();
            grams.each(text, |g| {
                if !seen.contains(g) {
                    seen.insert(g.into());
                }
            });
            for g in seen.drain() {
                *df.entry(g).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(Box<str>, u32)> = df
            .into_iter()
            .filter(|&(_, d)| d as usize >= min_df.max(1))
            .collect();
        kept.sort_unstable();
        WordBlock {
            grams,
            idf: kept.iter().map(|&(_, d)| idf(d)).collect(),
            index: kept
                .into_iter()
                .enumerate()
                .map(|(i, (g, _))| (g, i as u32))
                .collect(),
        }
    }

    /// Counts of the block's features in one text, by index within the block.
    pub fn counts(&self, text: &str) -> HashMap<u32, u32, ahash::RandomState> {
        let mut counts: HashMap<u32, u32, ahash::RandomState> = HashMap::default();
        self.grams.each(text, |g| {
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
    pub fn from_bytes(grams: Grams, bytes: &[u8], idf: Vec<f32>) -> Result<Self, String> {
        let text =
            std::str::from_utf8(bytes).map_err(|_| "the n-gram list is not UTF-8".to_string())?;
        let list: Vec<&str> = match text.strip_suffix('\n').unwrap_or(text) {
            _ if text.is_empty() => Vec::new(),
            lines => lines.split('\n').collect(),
        };
        if list.len() != idf.len() {
            return Err(format!(
                "the n-gram list has {} entries but its idf has {}",
                list.len(),
                idf.len()
            ));
        }
        let mut index = HashMap::with_capacity_and_hasher(list.len(), ahash::RandomState::new());
        for (i, g) in list.into_iter().enumerate() {
            if g.is_empty() || index.insert(g.into(), i as u32).is_some() {
                return Err(format!("n-gram {i} of the list is empty or listed twice"));
            }
        }
        Ok(WordBlock { grams, index, idf })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn words_and_adjacent_pairs_skipping_punctuation() {
        let mut all = Vec::new();
        grams(Tokens::Jieba, "我们，停息挂账", 1, 2, |g| {
            all.push(g.to_string())
        });
        let words: Vec<&String> = all.iter().filter(|g| !g.contains(JOIN)).collect();
        let pairs: Vec<&String> = all.iter().filter(|g| g.contains(JOIN)).collect();
        assert!(words.iter().all(|w| !w.contains('，')), "{all:?}");
        assert_eq!(pairs.len(), words.len() - 1, "{all:?}");
        assert_eq!(pairs[0], &format!("{}{JOIN}{}", words[0], words[1]));
    }

    fn pinyin_grams(text: &str, max_n: usize) -> Vec<String> {
        let mut out = Vec::new();
        grams(Tokens::Pinyin, text, 1, max_n, |g| out.push(g.to_string()));
        out
    }

    #[test]
    fn syllables_and_runs_of_other_letters_and_digits() {
        assert_eq!(
            pinyin_grams("加v信 abc123，停！", 1),
            ["jia", "v", "xin", "abc123", "ting"]
        );
        assert_eq!(
            pinyin_grams("停息", 2),
            ["ting", "xi", format!("ting{JOIN}xi").as_str()]
        );
        // A homophone spelling reads as the word it stands for.
        assert_eq!(pinyin_grams("亭熄挂帐", 2), pinyin_grams("停息挂账", 2));
        assert!(pinyin_grams("，。 ！", 2).is_empty());
    }

    #[test]
    fn the_stored_list_round_trips() {
        let shape = Grams {
            tokens: Tokens::Pinyin,
            min_n: 1,
            max_n: 2,
        };
        let texts = ["停息挂账", "亭息", "协商"];
        let block = WordBlock::fit(shape, &texts, 2, |d| d as f32);
        let listed: Vec<&str> = {
            let mut g: Vec<(&u32, &Box<str>)> = block.index.iter().map(|(g, i)| (i, g)).collect();
            g.sort_unstable();
            g.into_iter().map(|(_, g)| &**g).collect()
        };
        assert_eq!(listed, ["ting", "ting\txi", "xi"]);
        assert_eq!(block.idf, [2.0, 2.0, 2.0]);
        let back = WordBlock::from_bytes(shape, &block.to_bytes(), block.idf.clone()).unwrap();
        assert_eq!(back.index, block.index);
        assert!(WordBlock::from_bytes(shape, &block.to_bytes(), vec![1.0]).is_err());
        assert!(WordBlock::from_bytes(shape, b"ting\nting\n", vec![1.0, 1.0]).is_err());
    }
}
