//! The tokenizer stage: normalised text to token ids through the tokenizers crate, so that
//! `tokenizer.json` is the file transformers reads too. Models heihui builds are BERT style
//! (one token per CJK character, WordPiece for Latin letters and digits); a loaded tokenizer
//! brings its own family's special tokens (`[CLS]`/`[SEP]`, `<s>`/`</s>`, ...), read from its
//! post-processor and padding settings rather than assumed.
//!
//! Long texts keep their head and their tail: template complaints put their demands last.

mod vocab;

use std::path::Path;

use candle_core::{Device, Tensor};
use tokenizers::{Tokenizer, TruncationParams};

pub use vocab::load_chars;

use crate::error::{Error, ModelError, Result};

/// The special tokens, in vocabulary order.
pub const SPECIAL_TOKENS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];

/// Share of a long text's token budget given to its head; the rest goes to its tail (190
/// and 62 of 254 at 256 tokens).
pub const HEAD_SHARE: f64 = 0.75;

/// Most windows one text is read as (about 6,000 tokens at a 128-token window with the default
/// stride); a longer text's windows spread evenly over it.
pub const MAX_WINDOWS: usize = 64;

/// Text turned into model input.
pub struct Encoder {
    tokenizer: Tokenizer,
    max_len: usize,
    cls: u32,
    sep: u32,
    pad: u32,
}

impl std::fmt::Debug for Encoder {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Encoder")
            .field("vocab", &self.tokenizer.get_vocab_size(true))
            .field("max_len", &self.max_len)
            .finish()
    }
}

fn tokenizer_error(path: &Path, e: tokenizers::Error) -> Error {
    ModelError::Tokenizer {
        path: path.to_path_buf(),
        source: e,
    }
    .into()
}

impl Encoder {
    /// Loads `tokenizer.json`. The longest input is its truncation length when it has one,
    /// else `default_max_len`.
    ///
    /// # Errors
    /// A missing or malformed file, or one whose post-processor adds no tokens around an
    /// input or that has no padding token.
    pub fn load(path: &Path, default_max_len: usize) -> Result<Self> {
        if !path.exists() {
            return Err(Error::io(
                path,
                std::io::Error::new(std::io::ErrorKind::NotFound, "no such file"),
            ));
        }
        let tokenizer = Tokenizer::from_file(path).map_err(|e| tokenizer_error(path, e))?;
        let max_len = tokenizer
            .get_truncation()
            .map_or(default_max_len, |t| t.max_length);
        let named_pad = path
            .parent()
            .and_then(|dir| std::fs::read_to_string(dir.join("tokenizer_config.json")).ok())
            .and_then(|text| serde_json::from_str::<serde_json::Value>(&text).ok())
            .and_then(|config| match &config["pad_token"] {
                serde_json::Value::String(s) => Some(s.clone()),
                serde_json::Value::Object(o) => o.get("content")?.as_str().map(str::to_string),
                _ => None,
            });
        Self::from_tokenizer(tokenizer, max_len, path, named_pad.as_deref())
    }

    fn from_tokenizer(
        mut tokenizer: Tokenizer,
        max_len: usize,
        path: &Path,
        named_pad: Option<&str>,
    ) -> Result<Self> {
        let (cls, sep) = wrapping_tokens(&tokenizer, path)?;
        let pad = padding_token(&tokenizer, named_pad).ok_or_else(|| ModelError::Invalid {
            path: path.to_path_buf(),
            message: "the tokenizer has no padding token (no padding settings, no pad_token \
                      in tokenizer_config.json, no [PAD] or <pad> in the vocabulary)"
                .into(),
        })?;
        // Truncation and padding are done here (head and tail), not by the tokenizer.
        tokenizer
            .with_truncation(None)
            .map_err(|e| tokenizer_error(path, e))?;
        tokenizer.with_padding(None);
        Ok(Encoder {
            tokenizer,
            max_len: max_len.max(3),
            cls,
            sep,
            pad,
        })
    }

    /// Writes `tokenizer.json`, with the longest input recorded as its truncation length.
    ///
    /// # Errors
    /// An unwritable file.
    pub fn save(&self, path: &Path) -> Result<()> {
        let mut tokenizer = self.tokenizer.clone();
        tokenizer
            .with_truncation(Some(TruncationParams {
                max_length: self.max_len,
                ..Default::default()
            }))
            .map_err(|e| tokenizer_error(path, e))?;
        tokenizer
            .save(path, true)
            .map_err(|e| tokenizer_error(path, e))
    }

    /// Tokens in the vocabulary.
    pub fn vocab_size(&self) -> usize {
        self.tokenizer.get_vocab_size(true)
    }

    /// The longest input in tokens, `[CLS]` and `[SEP]` included.
    pub fn max_len(&self) -> usize {
        self.max_len
    }

    /// Token ids of one normalised text: `[CLS]`, the head and tail of its tokens within
    /// `max_len`, `[SEP]`.
    pub fn encode(&self, normalized: &str) -> Vec<u32> {
        let budget = self.max_len - 2;
        let head = ((budget as f64) * HEAD_SHARE).round() as usize;
        let tail = budget - head;
        // Each token holds at least one character, so a very long text can be cut to its
        // first and last few thousand characters before tokenising without changing the
        // result, while keeping the cost bounded.
        let chars = normalized.chars().count();
        let reach = 8 * self.max_len;
        let text: std::borrow::Cow<str> = if chars > 2 * reach {
            let start: String = normalized.chars().take(reach).collect();
            let end: String = normalized.chars().skip(chars - reach).collect();
            format!("{start}\n{end}").into()
        } else {
            normalized.into()
        };
        let ids = match self.tokenizer.encode_fast(text.as_ref(), false) {
            Ok(encoding) => encoding.get_ids().to_vec(),
            Err(_) => Vec::new(),
        };
        let mut out = Vec::with_capacity(ids.len().min(budget) + 2);
        out.push(self.cls);
        if ids.len() <= budget {
            out.extend_from_slice(&ids);
        } else {
            out.extend_from_slice(&ids[..head]);
            out.extend_from_slice(&ids[ids.len() - tail..]);
        }
        out.push(self.sep);
        out
    }

    /// Token ids of one normalised text as overlapping windows, each `[CLS]`, at most
    /// `max_len - 2` tokens, `[SEP]`, starting every `stride` tokens until the last reaches
    /// the end. A text that fits one window gives exactly [`Encoder::encode`]'s ids. Past
    /// [`MAX_WINDOWS`] windows the starts spread evenly over the text instead, so the cost
    /// stays bounded for a text of any length.
    pub fn windows(&self, normalized: &str, stride: usize) -> Vec<Vec<u32>> {
        let budget = self.max_len - 2;
        let ids = match self.tokenizer.encode_fast(normalized, false) {
            Ok(encoding) => encoding.get_ids().to_vec(),
            Err(_) => Vec::new(),
        };
        let window = |content: &[u32]| self.wrap(content);
        if ids.len() <= budget {
            return vec![window(&ids)];
        }
        let last = ids.len() - budget;
        let count = last.div_ceil(stride.max(1)) + 1;
        let starts: Vec<usize> = if count <= MAX_WINDOWS {
            (0..count).map(|i| (i * stride).min(last)).collect()
        } else {
            (0..MAX_WINDOWS)
                .map(|i| i * last / (MAX_WINDOWS - 1))
                .collect()
        };
        let mut out: Vec<Vec<u32>> = Vec::with_capacity(starts.len());
        for s in starts {
            let w = window(&ids[s..s + budget]);
            if out.last() != Some(&w) {
                out.push(w);
            }
        }
        out
    }

    /// `content` between the start and end tokens (`[CLS]` and `[SEP]`, or the family's).
    pub fn wrap(&self, content: &[u32]) -> Vec<u32> {
        let mut out = Vec::with_capacity(content.len() + 2);
        out.push(self.cls);
        out.extend_from_slice(content);
        out.push(self.sep);
        out
    }

    /// Every token of one normalised text, no start or end token, each with the byte offset
    /// of its first byte in `normalized`: what masked-language pre-training lines up with the
    /// text's jieba words.
    pub fn tokens_with_starts(&self, normalized: &str) -> Vec<(u32, usize)> {
        match self.tokenizer.encode(normalized, false) {
            Ok(encoding) => encoding
                .get_ids()
                .iter()
                .zip(encoding.get_offsets())
                .map(|(&id, &(start, _))| (id, start))
                .collect(),
            Err(_) => Vec::new(),
        }
    }

    /// The id of `token` in the vocabulary, if it is there.
    pub fn token_id(&self, token: &str) -> Option<u32> {
        self.tokenizer.token_to_id(token)
    }

    /// The start, end and padding tokens' ids.
    pub fn special_ids(&self) -> [u32; 3] {
        [self.cls, self.sep, self.pad]
    }

    /// Pads encoded texts to the longest of them: `(ids, attention_mask)`, both
    /// `(batch, seq)` of `u32`.
    ///
    /// # Errors
    /// Only on device allocation failure.
    pub fn batch(
        &self,
        encoded: &[&[u32]],
        device: &Device,
    ) -> candle_core::Result<(Tensor, Tensor)> {
        let width = encoded.iter().map(|e| e.len()).max().unwrap_or(1);
        let mut ids = Vec::with_capacity(encoded.len() * width);
        let mut mask = Vec::with_capacity(encoded.len() * width);
        for e in encoded {
            ids.extend_from_slice(e);
            mask.extend(std::iter::repeat_n(1u32, e.len()));
            ids.extend(std::iter::repeat_n(self.pad, width - e.len()));
            mask.extend(std::iter::repeat_n(0u32, width - e.len()));
        }
        Ok((
            Tensor::from_vec(ids, (encoded.len(), width), device)?,
            Tensor::from_vec(mask, (encoded.len(), width), device)?,
        ))
    }
}

/// The first and last token the tokenizer's post-processor puts around a single input
/// (`[CLS]` and `[SEP]` for BERT, `<s>` and `</s>` for RoBERTa), found by wrapping an empty
/// one, so that any family's template is honoured.
fn wrapping_tokens(tokenizer: &Tokenizer, path: &Path) -> Result<(u32, u32)> {
    let wrapped = tokenizer
        .encode_fast("", true)
        .map_err(|e| tokenizer_error(path, e))?;
    match wrapped.get_ids() {
        [first, .., last] => Ok((*first, *last)),
        _ => Err(ModelError::Invalid {
            path: path.to_path_buf(),
            message: "the tokenizer's post-processor adds no start and end tokens around an \
                      input; a sequence classifier needs both"
                .into(),
        }
        .into()),
    }
}

/// The padding token: the tokenizer's own padding settings, else the `pad_token` its
/// `tokenizer_config.json` names, else a `[PAD]` or `<pad>` in the vocabulary.
fn padding_token(tokenizer: &Tokenizer, named: Option<&str>) -> Option<u32> {
    if let Some(padding) = tokenizer.get_padding() {
        return Some(padding.pad_id);
    }
    named
        .into_iter()
        .chain(["[PAD]", "<pad>"])
        .find_map(|token| tokenizer.token_to_id(token))
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokenizers::models::wordpiece::WordPiece;
    use tokenizers::pre_tokenizers::bert::BertPreTokenizer;

    fn encoder(max_len: usize) -> Encoder {
        let texts = [
            "停息挂账找我们，加vx详聊",
            "vx vx vx txgz txgz txgz",
            "全部息费减免！！",
        ];
        Encoder::build(texts, &['的', '是'], max_len).unwrap()
    }

    #[test]
    fn one_token_per_cjk_character_and_wordpiece_for_latin() {
        let e = encoder(64);
        let ids = e.encode("停息挂账 vx abc");
        let tokens: Vec<String> = ids
            .iter()
            .map(|&i| e.tokenizer.id_to_token(i).unwrap())
            .collect();
        assert_eq!(
            tokens,
            ["[CLS]", "停", "息", "挂", "账", "vx", "a", "##b", "##c", "[SEP]"]
        );
        let unseen = e.encode("是的");
        assert!(
            !unseen.contains(&1),
            "common characters are in the vocabulary"
        );
        assert_eq!(e.encode("龘")[1], 1, "an unknown character is [UNK]");
    }

    #[test]
    fn long_texts_keep_head_and_tail() {
        let e = encoder(10);
        let text = "停息挂账找我们加详聊全部息费减免";
        let ids = e.encode(text);
        assert_eq!(ids.len(), 10);
        let tokens: String = ids[1..9]
            .iter()
            .map(|&i| e.tokenizer.id_to_token(i).unwrap())
            .collect();
        assert_eq!(tokens, "停息挂账找我减免");
    }

    #[test]
    fn batches_pad_with_mask() {
        let e = encoder(64);
        let a = e.encode("停息");
        let b = e.encode("停息挂账");
        let (ids, mask) = e.batch(&[&a, &b], &Device::Cpu).unwrap();
        assert_eq!(ids.dims(), &[2, 6]);
        let mask: Vec<Vec<u32>> = mask.to_vec2().unwrap();
        assert_eq!(mask[0], [1, 1, 1, 1, 0, 0]);
        assert_eq!(mask[1], [1, 1, 1, 1, 1, 1]);
    }

    #[test]
    fn saved_tokenizer_loads_with_its_length() {
        let e = encoder(48);
        let dir = std::env::temp_dir().join(format!("heihui-enc-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokenizer.json");
        e.save(&path).unwrap();
        let loaded = Encoder::load(&path, 512).unwrap();
        assert_eq!(loaded.max_len(), 48);
        assert_eq!(loaded.encode("停息挂账vx"), e.encode("停息挂账vx"));
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_loaded_tokenizer_brings_its_own_special_tokens() {
        use tokenizers::processors::template::TemplateProcessing;
        let vocab: ahash::AHashMap<String, u32> = ["<pad>", "<unk>", "<s>", "</s>", "停", "息"]
            .iter()
            .enumerate()
            .map(|(i, t)| (t.to_string(), i as u32))
            .collect();
        let model = WordPiece::builder()
            .vocab(vocab)
            .unk_token("<unk>".into())
            .build()
            .unwrap();
        let mut tokenizer = Tokenizer::new(model);
        tokenizer.with_pre_tokenizer(Some(BertPreTokenizer));
        tokenizer.with_post_processor(Some(
            TemplateProcessing::builder()
                .try_single("<s> $A </s>")
                .unwrap()
                .special_tokens(vec![("<s>", 2), ("</s>", 3)])
                .build()
                .unwrap(),
        ));
        let dir = std::env::temp_dir().join(format!("heihui-enc-roberta-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("tokenizer.json");
        tokenizer.save(&path, false).unwrap();
        let e = Encoder::load(&path, 16).unwrap();
        assert_eq!(e.encode("停 息"), [2, 4, 5, 3], "<s> 停 息 </s>");
        let (ids, _) = e.batch(&[&[2, 4, 3], &[2, 3]], &Device::Cpu).unwrap();
        assert_eq!(
            ids.to_vec2::<u32>().unwrap()[1],
            [2, 3, 0],
            "padded with <pad>"
        );

        // Without a post-processor there is nothing to wrap an input in: a clear error.
        tokenizer.with_post_processor(None::<TemplateProcessing>);
        tokenizer.save(&path, false).unwrap();
        let err = Encoder::load(&path, 16).unwrap_err().to_string();
        assert!(err.contains("adds no start and end tokens"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn long_texts_are_read_as_overlapping_windows_to_the_end() {
        let e = encoder(10); // 8 content tokens a window
        assert_eq!(e.windows("停息挂账", 6), vec![e.encode("停息挂账")]);
        let text = "停息挂账找我们全部息费减免停息挂账找我们"; // 20 characters, 20 tokens
        let windows = e.windows(text, 6);
        let content = |w: &Vec<u32>| w[1..w.len() - 1].to_vec();
        let all = e
            .tokenizer
            .encode_fast(text, false)
            .unwrap()
            .get_ids()
            .to_vec();
        // Starts 0, 6 and the last possible start, 12: every token is read.
        assert_eq!(windows.len(), 3);
        assert_eq!(content(&windows[0]), all[0..8].to_vec());
        assert_eq!(content(&windows[1]), all[6..14].to_vec());
        assert_eq!(content(&windows[2]), all[12..20].to_vec());
        for w in &windows {
            assert_eq!((w[0], *w.last().unwrap()), (e.cls, e.sep));
        }
        // A very long text is read as at most MAX_WINDOWS windows, first and last included.
        let long = text.repeat(200);
        let many = e.windows(&long, 6);
        assert_eq!(many.len(), MAX_WINDOWS);
        let ids = e
            .tokenizer
            .encode_fast(long.as_str(), false)
            .unwrap()
            .get_ids()
            .to_vec();
        assert_eq!(content(many.last().unwrap()), ids[ids.len() - 8..].to_vec());
    }
}
