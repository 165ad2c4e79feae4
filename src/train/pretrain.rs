//! Masked-language pre-training (`heihui train --pretrain-epochs N`): before the classifier
//! is fine-tuned, the encoder learns to restore masked words of unlabelled text: the training
//! and dev texts without their labels, and any further text files given.
//!
//! Masking is by whole jieba word (the segmenter knows the corpus phrases, so 停息挂账 is
//! masked as one): each word is chosen with probability `mask_rate`, and a chosen word's
//! tokens become `[MASK]` (80%), a random token (10%) or stay (10%), as BERT's recipe and
//! its whole-word variant do. The head is transformers' `BertForMaskedLM` head
//! (`cls.predictions`: dense, GELU, layer norm, then the word embeddings as the output
//! projection, tied); it is dropped once pre-training ends, and only the encoder goes on to
//! fine-tuning.
//!
//! A small share of windows is held out, masked once with a fixed seed, and the masked-token
//! accuracy on them is reported after every epoch: what shows the encoder is learning.

use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::time::Instant;

use candle_core::{DType, Device, Module, Tensor, D};
use candle_nn::{Optimizer, VarBuilder, VarMap};
use serde::Serialize;

use super::schedule::{learning_rate, length_bucketed_batches};
use super::TrainObserver;
use crate::error::{Error, ModelError, Result};
use crate::input::{InputReader, InputSpec, Item, DEFAULT_MAX_FIELD_BYTES};
use crate::model::layers::{linear, LayerNorm, Linear, Mode};
use crate::model::{candle_error, Model};
use crate::normalize::normalize;
use crate::rng::Rng;
use crate::segment::Segmenter;

/// How pre-training runs.
#[derive(Debug, Clone)]
pub struct PretrainSettings {
    /// Passes over the unlabelled windows; 0 skips pre-training.
    pub epochs: usize,
    /// Share of words masked in each window.
    pub mask_rate: f64,
    /// Further unlabelled text files (CSV, TSV, JSON lines or xlsx; their text column is read).
    pub texts: Vec<PathBuf>,
    /// Peak learning rate.
    pub lr: f64,
}

/// What pre-training did.
#[derive(Debug, Clone, Serialize)]
pub struct PretrainReport {
    /// Texts read.
    pub texts: usize,
    /// Windows trained on.
    pub windows: usize,
    /// Windows held out to measure masked-token accuracy.
    pub held_out: usize,
    /// Mean masked-token loss on the training windows, per epoch.
    pub loss_curve: Vec<f64>,
    /// Masked-token accuracy on the held-out windows, per epoch.
    pub accuracy_curve: Vec<f64>,
    /// Wall-clock seconds.
    pub seconds: f64,
}

/// Share of windows held out to measure masked-token accuracy (at most [`MAX_HELD_OUT`]).
const HELD_OUT_SHARE: f64 = 0.02;
/// Most windows held out.
const MAX_HELD_OUT: usize = 500;

/// One stretch of a text: its token ids between the start and end tokens, and for each
/// token the index of the jieba word it belongs to (the start and end tokens belong to none).
struct Window {
    ids: Vec<u32>,
    words: Vec<u32>,
}

/// Token ids in, masked: the ids to feed, and the `(position, original id)` to predict.
struct Masked {
    ids: Vec<u32>,
    targets: Vec<(usize, u32)>,
}

/// `BertForMaskedLM`'s head: `cls.predictions.transform.dense`, GELU,
/// `cls.predictions.transform.LayerNorm`, then the word embeddings plus `cls.predictions.bias`.
struct MaskedLmHead {
    dense: Linear,
    layer_norm: LayerNorm,
    bias: Tensor,
}

impl MaskedLmHead {
    fn load(
        vb: VarBuilder,
        hidden: usize,
        width: usize,
        vocab: usize,
        eps: f64,
    ) -> candle_core::Result<Self> {
        let transform = vb.pp("transform");
        Ok(MaskedLmHead {
            dense: linear(hidden, width, transform.pp("dense"))?,
            layer_norm: LayerNorm::load(width, eps, transform.pp("LayerNorm"))?,
            bias: vb.get_with_hints(vocab, "bias", candle_nn::Init::Const(0.0))?,
        })
    }

    /// Logits `(rows, vocab)` from hidden states `(rows, hidden)`.
    fn forward(&self, states: &Tensor, words: &Tensor, mode: Mode) -> candle_core::Result<Tensor> {
        let x = self.dense.forward(states)?.gelu_erf()?;
        let x = self.layer_norm.forward(&x, mode)?;
        x.matmul(&words.t()?)?.broadcast_add(&self.bias)
    }
}

/// Reads the texts of one unlabelled file, failing on its first bad row.
fn read_texts(path: &Path, out: &mut Vec<String>) -> Result<()> {
    let mut reader = InputReader::open(&InputSpec {
        path: Some(path.to_path_buf()),
        format: None,
        text_column: None,
        max_field_bytes: DEFAULT_MAX_FIELD_BYTES,
        sheet: None,
    })?;
    while let Some(item) = reader.next_item()? {
        match item {
            Item::Row(row) => out.push(normalize(row.text()).as_str().to_string()),
            Item::Reject(reject) => {
                return Err(ModelError::Invalid {
                    path: path.to_path_buf(),
                    message: format!(
                        "row {} cannot be read for pre-training: {}",
                        reject.line, reject.reason
                    ),
                }
                .into())
            }
        }
    }
    Ok(())
}

/// Every text's windows, with the jieba word of each token.
fn windows(model: &Model, segmenter: &Segmenter, texts: &[String]) -> Vec<Window> {
    let budget = model.encoder().max_len() - 2;
    let mut out = Vec::new();
    for text in texts {
        let tokens = model.encoder().tokens_with_starts(text);
        if tokens.is_empty() {
            continue;
        }
        let cut = segmenter.cut(text);
        let mut word = 0;
        let mut words = Vec::with_capacity(tokens.len());
        for &(_, start) in &tokens {
            while word + 1 < cut.len() && cut[word].end <= start {
                word += 1;
            }
            words.push(word as u32);
        }
        let ids: Vec<u32> = tokens.iter().map(|&(id, _)| id).collect();
        for (chunk, chunk_words) in ids
            .chunks(budget)
            .zip(words.chunks(budget))
            .take(crate::encode::MAX_WINDOWS)
        {
            out.push(Window {
                ids: model.encoder().wrap(chunk),
                words: chunk_words.to_vec(),
            });
        }
    }
    out
}

/// The ids that masking never draws or hides: the special tokens.
struct Vocabulary {
    mask: u32,
    size: usize,
    special: Vec<u32>,
}

impl Vocabulary {
    fn of(model: &Model) -> Result<Self> {
        let encoder = model.encoder();
        let mask = ["[MASK]", "<mask>"]
            .iter()
            .find_map(|t| encoder.token_id(t))
            .ok_or_else(|| ModelError::Invalid {
                path: model.dir().join("tokenizer.json"),
                message: "the tokenizer has no mask token ([MASK] or <mask>), which \
                          pre-training needs"
                    .into(),
            })?;
        let mut special: Vec<u32> = encoder.special_ids().to_vec();
        special.push(mask);
        special.extend(
            ["[UNK]", "<unk>"]
                .iter()
                .filter_map(|t| encoder.token_id(t)),
        );
        Ok(Vocabulary {
            mask,
            size: encoder.vocab_size(),
            special,
        })
    }

    /// A random token that is not special.
    fn random(&self, rng: &mut Rng) -> u32 {
        loop {
            let id = rng.below(self.size) as u32;
            if !self.special.contains(&id) {
                return id;
            }
        }
    }

    /// `window` with whole words masked.
    fn mask(&self, window: &Window, rate: f64, rng: &mut Rng) -> Masked {
        let (Some(&first), Some(&last)) = (window.words.first(), window.words.last()) else {
            return Masked {
                ids: window.ids.clone(),
                targets: Vec::new(),
            };
        };
        let span = (last - first + 1) as usize;
        let mut chosen: Vec<bool> = (0..span).map(|_| rng.next_f64() < rate).collect();
        if !chosen.iter().any(|&c| c) {
            chosen[rng.below(span)] = true;
        }
        let mut ids = window.ids.clone();
        let mut targets = Vec::new();
        for (i, &word) in window.words.iter().enumerate() {
            let position = i + 1;
            let original = ids[position];
            if !chosen[(word - first) as usize] || self.special.contains(&original) {
                continue;
            }
            targets.push((position, original));
            let r = rng.next_f64();
            if r < 0.8 {
                ids[position] = self.mask;
            } else if r < 0.9 {
                ids[position] = self.random(rng);
            }
        }
        Masked { ids, targets }
    }
}

/// The masked-token log-likelihoods `(targets,)` of one batch, and the masked tokens' logits
/// `(targets, vocab)` with the ids they should give.
fn masked_log_likelihood(
    model: &Model,
    head: &MaskedLmHead,
    batch: &[&Masked],
    mode: Mode,
) -> candle_core::Result<Option<(Tensor, Tensor, Tensor)>> {
    let device = Device::Cpu;
    let ids: Vec<&[u32]> = batch.iter().map(|m| m.ids.as_slice()).collect();
    let (input, attention) = model.encoder().batch(&ids, &device)?;
    let width = input.dim(1)?;
    let mut rows = Vec::new();
    let mut originals = Vec::new();
    for (b, masked) in batch.iter().enumerate() {
        for &(position, original) in &masked.targets {
            rows.push((b * width + position) as u32);
            originals.push(original);
        }
    }
    if rows.is_empty() {
        return Ok(None);
    }
    let hidden = model.network().hidden_states(&input, &attention, mode)?;
    let hidden = hidden.reshape((batch.len() * width, hidden.dim(2)?))?;
    let states = hidden.index_select(&Tensor::new(rows.as_slice(), &device)?, 0)?;
    let logits = head.forward(&states, model.network().word_embeddings(), mode)?;
    let log_probs = candle_nn::ops::log_softmax(&logits, D::Minus1)?;
    let originals = Tensor::new(originals.as_slice(), &device)?;
    let picked = log_probs.gather(&originals.unsqueeze(1)?, 1)?.squeeze(1)?;
    Ok(Some((picked, logits, originals)))
}

/// Pre-trains `model`'s encoder, whose weights live in `varmap`, on `texts` (normalised) and
/// the files of `settings.texts`.
///
/// # Errors
/// An unreadable text file, a tokenizer with no mask token, a candle failure.
#[allow(clippy::too_many_arguments)]
pub(super) fn pretrain(
    settings: &PretrainSettings,
    model: &Model,
    varmap: &VarMap,
    segmenter: &Segmenter,
    mut texts: Vec<String>,
    batch_size: usize,
    weight_decay: f64,
    warmup: f64,
    seed: u64,
    observer: &mut dyn TrainObserver,
) -> Result<PretrainReport> {
    let started = Instant::now();
    for path in &settings.texts {
        read_texts(path, &mut texts)?;
    }
    let vocabulary = Vocabulary::of(model)?;
    let weights_path = model.dir().join("model.safetensors");
    let fail = |e: candle_core::Error| -> Error { candle_error(&weights_path, e) };

    let mut rng = Rng::new(seed.wrapping_add(0x6d6c6d));
    let mut all = windows(model, segmenter, &texts);
    rng.shuffle(&mut all);
    let held_out_n = ((all.len() as f64 * HELD_OUT_SHARE).round() as usize)
        .clamp(usize::from(all.len() > 1), MAX_HELD_OUT);
    let train_windows = all.split_off(held_out_n);
    let mut held_rng = Rng::new(seed.wrapping_add(0x686f6c64));
    let held_out: Vec<Masked> = all
        .iter()
        .map(|w| vocabulary.mask(w, settings.mask_rate, &mut held_rng))
        .collect();

    let config = model.config();
    let head_map = VarMap::new();
    let head = MaskedLmHead::load(
        VarBuilder::from_varmap(&head_map, DType::F32, &Device::Cpu)
            .pp("cls")
            .pp("predictions"),
        config.hidden_size,
        model.network().word_embeddings().dim(1).map_err(fail)?,
        vocabulary.size,
        config.layer_norm_eps,
    )
    .map_err(fail)?;
    let mut vars = varmap.all_vars();
    vars.extend(head_map.all_vars());
    let mut optimizer = candle_nn::AdamW::new(
        vars,
        candle_nn::ParamsAdamW {
            lr: settings.lr,
            weight_decay,
            ..Default::default()
        },
    )
    .map_err(fail)?;

    let steps_per_epoch = train_windows.len().div_ceil(batch_size) as u64;
    let total_steps = steps_per_epoch * settings.epochs as u64;
    let warmup_steps = ((total_steps as f64) * warmup).ceil().max(1.0) as u64;
    observer.pretrain_start(total_steps, train_windows.len());
    let dropout_rng = RefCell::new(Rng::new(seed.wrapping_add(0x64726f70)));
    let mut report = PretrainReport {
        texts: texts.len(),
        windows: train_windows.len(),
        held_out: held_out.len(),
        loss_curve: Vec::new(),
        accuracy_curve: Vec::new(),
        seconds: 0.0,
    };
    let held: Vec<&Masked> = held_out.iter().collect();
    let mut step = 0;
    for epoch in 1..=settings.epochs {
        let masked: Vec<Masked> = train_windows
            .iter()
            .map(|w| vocabulary.mask(w, settings.mask_rate, &mut rng))
            .collect();
        let (mut loss_sum, mut loss_n) = (0.0, 0usize);
        for batch in length_bucketed_batches(&masked, |m| m.ids.len(), batch_size, &mut rng) {
            optimizer.set_learning_rate(learning_rate(
                settings.lr,
                step,
                warmup_steps,
                total_steps,
            ));
            step += 1;
            let Some((picked, _, _)) =
                masked_log_likelihood(model, &head, &batch, Mode::Train(&dropout_rng))
                    .map_err(fail)?
            else {
                continue;
            };
            let loss = picked.mean_all().and_then(|m| m.neg()).map_err(fail)?;
            optimizer.backward_step(&loss).map_err(fail)?;
            let loss = loss.to_scalar::<f32>().map_err(fail)?;
            loss_sum += f64::from(loss);
            loss_n += 1;
            observer.pretrain_step(epoch, loss);
        }
        let (mut right, mut asked) = (0u32, 0usize);
        for batch in held.chunks(64) {
            if let Some((_, logits, originals)) =
                masked_log_likelihood(model, &head, batch, Mode::Infer).map_err(fail)?
            {
                right += logits
                    .argmax(D::Minus1)
                    .and_then(|predicted| predicted.eq(&originals))
                    .and_then(|c| c.to_dtype(DType::U32))
                    .and_then(|c| c.sum_all())
                    .and_then(|c| c.to_scalar::<u32>())
                    .map_err(fail)?;
                asked += batch.iter().map(|m| m.targets.len()).sum::<usize>();
            }
        }
        let loss = loss_sum / loss_n.max(1) as f64;
        let accuracy = f64::from(right) / asked.max(1) as f64;
        report.loss_curve.push(loss);
        report.accuracy_curve.push(accuracy);
        observer.pretrain_epoch(epoch, loss, accuracy);
    }
    report.seconds = started.elapsed().as_secs_f64();
    Ok(report)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vocabulary() -> Vocabulary {
        Vocabulary {
            mask: 4,
            size: 50,
            special: vec![0, 1, 2, 3, 4],
        }
    }

    #[test]
    fn masking_takes_whole_words_and_keeps_special_tokens() {
        // [CLS] a a b b b c [SEP], words 7, 7, 8, 8, 8, 9.
        let window = Window {
            ids: vec![2, 10, 11, 12, 13, 14, 15, 3],
            words: vec![7, 7, 8, 8, 8, 9],
        };
        let v = vocabulary();
        let mut rng = Rng::new(3);
        for _ in 0..200 {
            let m = v.mask(&window, 0.3, &mut rng);
            assert_eq!(m.ids.len(), window.ids.len());
            assert_eq!((m.ids[0], m.ids[7]), (2, 3), "start and end tokens stay");
            assert!(!m.targets.is_empty(), "every window asks for something");
            let positions: Vec<usize> = m.targets.iter().map(|t| t.0).collect();
            for group in [[1, 2].as_slice(), &[3, 4, 5], &[6]] {
                let inside = group.iter().filter(|p| positions.contains(p)).count();
                assert!(
                    inside == 0 || inside == group.len(),
                    "{positions:?} splits a word"
                );
            }
            for &(p, original) in &m.targets {
                assert_eq!(original, window.ids[p]);
            }
            for (p, (&fed, &was)) in m.ids.iter().zip(&window.ids).enumerate() {
                if fed != was {
                    assert!(
                        positions.contains(&p),
                        "position {p} changed without a target"
                    );
                }
            }
        }
    }

    #[test]
    fn a_corpus_phrase_is_one_word_across_its_tokens() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"));
        let model = Model::load(&root.join("models/heihui-zh-small")).unwrap();
        let corpus = crate::corpus::Corpus::load(&root.join("corpus")).unwrap();
        let segmenter = Segmenter::new(&corpus, crate::segment::Hmm::On).unwrap();
        let text = normalize("你好，可以办理停息挂账吗").as_str().to_string();
        let w = windows(&model, &segmenter, std::slice::from_ref(&text));
        assert_eq!(w.len(), 1);
        let window = &w[0];
        assert_eq!(window.ids.len(), window.words.len() + 2);
        // 你好 ， 可以 办理 停息挂账 吗: one token per character, six words.
        assert_eq!(window.words, vec![0, 0, 1, 2, 2, 3, 3, 4, 4, 4, 4, 5]);
    }

    #[test]
    fn masking_hides_about_the_rate_of_words_mostly_as_the_mask_token() {
        let window = Window {
            ids: std::iter::once(2)
                .chain(10..40)
                .chain(std::iter::once(3))
                .collect(),
            words: (0..30).collect(),
        };
        let v = vocabulary();
        let mut rng = Rng::new(11);
        let (mut targets, mut masks) = (0usize, 0usize);
        let rounds = 2000;
        for _ in 0..rounds {
            let m = v.mask(&window, 0.15, &mut rng);
            targets += m.targets.len();
            masks += m.targets.iter().filter(|&&(p, _)| m.ids[p] == 4).count();
        }
        let rate = targets as f64 / (rounds * 30) as f64;
        assert!((0.13..0.17).contains(&rate), "masked share {rate}");
        let share = masks as f64 / targets as f64;
        assert!((0.77..0.83).contains(&share), "[MASK] share {share}");
    }
}
