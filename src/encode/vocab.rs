//! The vocabulary of a model heihui trains from scratch: built from the training texts, as
//! a BERT WordPiece tokenizer.

use std::collections::HashMap;
use std::path::Path;

use tokenizers::decoders::wordpiece::WordPiece as WordPieceDecoder;
use tokenizers::models::wordpiece::WordPiece;
use tokenizers::normalizers::bert::BertNormalizer;
use tokenizers::pre_tokenizers::bert::BertPreTokenizer;
use tokenizers::processors::bert::BertProcessing;
use tokenizers::Tokenizer;

use super::{tokenizer_error, Encoder, SPECIAL_TOKENS};
use crate::error::{Error, Result};
use crate::normalize::is_cjk;

/// Latin words seen at least this often in training get a token of their own.
const MIN_WORD_COUNT: usize = 3;

impl Encoder {
    /// Builds a BERT WordPiece tokenizer whose vocabulary covers `texts` (already normalised)
    /// and `common_chars`.
    ///
    /// # Errors
    /// Only if the tokenizers crate rejects the vocabulary it was given.
    pub fn build<'a>(
        texts: impl IntoIterator<Item = &'a str>,
        common_chars: &[char],
        max_len: usize,
    ) -> Result<Self> {
        let vocab = build_vocab(texts, common_chars);
        let map: ahash::AHashMap<String, u32> = vocab
            .iter()
            .enumerate()
            .map(|(i, t)| (t.clone(), i as u32))
            .collect();
        let here = Path::new("tokenizer.json");
        let model = WordPiece::builder()
            .vocab(map)
            .unk_token("[UNK]".into())
            .continuing_subword_prefix("##".into())
            .max_input_chars_per_word(100)
            .build()
            .map_err(|e| tokenizer_error(here, e))?;
        let mut tokenizer = Tokenizer::new(model);
        tokenizer.with_normalizer(Some(BertNormalizer::new(true, true, Some(false), true)));
        tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
        tokenizer.with_post_processor(Some(BertProcessing::new(
            ("[SEP]".into(), 3),
            ("[CLS]".into(), 2),
        )));
        tokenizer.with_decoder(Some(WordPieceDecoder::default()));
        Self::from_tokenizer(tokenizer, max_len, here, Some(SPECIAL_TOKENS[0]))
    }
}

/// The vocabulary: special tokens; every CJK character of the texts and of `common_chars`;
/// ASCII letters and digits alone and as `##` continuations (so any Latin word tokenises);
/// Latin words seen at least [`MIN_WORD_COUNT`] times; other symbols seen at least twice, alone
/// and as continuations. Sorted by frequency, so the same texts give the same vocabulary.
fn build_vocab<'a>(texts: impl IntoIterator<Item = &'a str>, common_chars: &[char]) -> Vec<String> {
    let mut chars: HashMap<char, usize> = HashMap::new();
    let mut words: HashMap<String, usize> = HashMap::new();
    let mut symbols: HashMap<char, usize> = HashMap::new();
    for text in texts {
        let mut word = String::new();
        for ch in text.chars().chain(std::iter::once(' ')) {
            if ch.is_ascii_alphanumeric() {
                word.push(ch.to_ascii_lowercase());
                continue;
            }
            if !word.is_empty() {
                if word.len() <= 20 {
                    *words.entry(std::mem::take(&mut word)).or_default() += 1;
                }
                word.clear();
            }
            if is_cjk(ch) {
                *chars.entry(ch).or_default() += 1;
            } else if !ch.is_whitespace() && !ch.is_control() {
                *symbols.entry(ch).or_default() += 1;
            }
        }
    }
    for &c in common_chars {
        chars.entry(c).or_default();
    }
    let by_count = |map: HashMap<String, usize>| {
        let mut v: Vec<(String, usize)> = map.into_iter().collect();
        v.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        v.into_iter().map(|(k, _)| k)
    };
    let mut vocab: Vec<String> = SPECIAL_TOKENS.iter().map(|s| s.to_string()).collect();
    let mut seen: std::collections::HashSet<String> = vocab.iter().cloned().collect();
    let mut push = |token: String, vocab: &mut Vec<String>| {
        if seen.insert(token.clone()) {
            vocab.push(token);
        }
    };
    for c in ('a'..='z').chain('0'..='9') {
        push(c.to_string(), &mut vocab);
        push(format!("##{c}"), &mut vocab);
    }
    for c in by_count(chars.into_iter().map(|(c, n)| (c.to_string(), n)).collect()) {
        push(c, &mut vocab);
    }
    for w in by_count(
        words
            .into_iter()
            .filter(|(w, n)| *n >= MIN_WORD_COUNT && w.len() > 1)
            .collect(),
    ) {
        push(w, &mut vocab);
    }
    for s in by_count(
        symbols
            .into_iter()
            .filter(|(_, n)| *n >= 2)
            .map(|(c, n)| (c.to_string(), n))
            .collect(),
    ) {
        push(format!("##{s}"), &mut vocab);
        push(s, &mut vocab);
    }
    vocab
}

/// Reads a character list: one character a line, `#` comments.
///
/// # Errors
/// An unreadable file.
pub fn load_chars(path: &Path) -> Result<Vec<char>> {
    let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with('#'))
        .flat_map(|l| l.trim().chars())
        .collect())
}
