//! The n-gram component: TF-IDF over the character n-grams of the whole normalised text and a
//! multinomial, L2-regularised logistic regression over those features.
//!
//! The features are made the way scikit-learn's `TfidfVectorizer(analyzer="char",
//! ngram_range=(1, 4), sublinear_tf=True)` makes them: whitespace runs become one space,
//! every n-gram of 1 to 4 characters is counted, the count becomes `1 + ln(count)`, times the
//! smoothed inverse document frequency `ln((1 + n) / (1 + df)) + 1`, and the row is scaled to
//! unit length. N-grams seen in fewer than `min_df` training rows are dropped. The weights are
//! fitted by L-BFGS (the argmin crate) on `C * sum(log loss) + |W|^2 / 2`, the objective of
//! scikit-learn's `LogisticRegression(C=...)`; the intercepts are not penalised.
//!
//! Blocks of the same kind hold jieba's words and word pairs, and the text's pinyin syllables
//! and syllable pairs ([`words`]); each block is scaled to unit length on its own, as stacking
//! scikit-learn vectorizers' outputs side by side does, and one regression reads them all.
//!
//! An optional second head reads the same features the NB-weighted way (Wang and Manning's
//! NBSVM with a logistic loss): for each label, every feature is scaled by its log-count ratio
//! `ln((a + d_label / |a + d_label|_1) / (a + d_rest / |a + d_rest|_1))`, where `d` counts the
//! training rows of the label (or of the rest) that have the feature and `a` is the smoothing,
//! and a one-against-the-rest logistic regression is fitted on the scaled features. The
//! head's three sigmoids, normalised to sum to 1, and the first head's probabilities are
//! averaged in the log domain and normalised again: the model's probabilities.
//!
//! Saved beside the transformer as `ngram.json` (how features are made) and
//! `ngram.safetensors`: `ngrams` (U32 `[features, max_n]`, the n-grams' characters as code
//! points, padded with `u32::MAX`), `idf` (F32 `[features]`), `weight` (F32
//! `[labels, features + token-block features]`) and `bias` (F32 `[labels]`), in [`Label::ALL`]
//! order; with a word block also `words` (U8, the word n-grams in UTF-8, one per line, the
//! words of a pair joined by a tab) and `word_idf` (F32 `[word features]`); with a pinyin block
//! `pinyin` and `pinyin_idf` the same way, its features after the words'; with the NB head
//! also `nb_weight` (F32 `[labels, features + token-block features]`, each label's weights
//! times its ratios, so that they apply to the unscaled features) and `nb_bias` (F32
//! `[labels]`).

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::error::{ModelError, Result};
use crate::labels::Label;
use crate::model::Probabilities;

mod file;
mod objective;
mod words;
use objective::Objective;
use words::{Grams, Tokens, WordBlock};

/// File name of the feature description.
pub const SPEC_FILE: &str = "ngram.json";
/// File name of the tensors.
pub const WEIGHTS_FILE: &str = "ngram.safetensors";

/// How the features are made and the model fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NgramSpec {
    /// Always `"char"`: n-grams of characters of the normalised text.
    pub analyzer: String,
    /// Shortest n-gram.
    pub min_n: usize,
    /// Longest n-gram (at most 4).
    pub max_n: usize,
    /// Counts become `1 + ln(count)`.
    pub sublinear_tf: bool,
    /// N-grams in fewer training rows than this were dropped.
    pub min_df: usize,
    /// Inverse regularisation strength of the fit.
    pub c: f64,
    /// Number of features kept.
    pub features: usize,
    /// The word block, when the model has one (models without it read the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub words: Option<WordSpec>,
    /// The pinyin block, when the model has one (models without it read the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pinyin: Option<WordSpec>,
    /// The NB-weighted head, when the model has one (models without it read the same).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nb: Option<NbSpec>,
}

/// How the NB-weighted head was fitted.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct NbSpec {
    /// Inverse regularisation strength of its one-against-the-rest regressions.
    pub c: f64,
    /// Added to each feature's row count, for the label and for the rest, before the ratios.
    pub smoothing: f64,
}

/// How a token block's features are made.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct WordSpec {
    /// `"jieba"` (words of jieba's default dictionary and its HMM) for the word block,
    /// `"pinyin"` (toneless syllables) for the pinyin block.
    pub tokenizer: String,
    /// Fewest tokens in an n-gram.
    pub min_n: usize,
    /// Most tokens in an n-gram.
    pub max_n: usize,
    /// Token n-grams in fewer training rows than this were dropped.
    pub min_df: usize,
    /// Number of features kept.
    pub features: usize,
}

impl WordSpec {
    /// The block's spec as saved.
    fn of(block: &WordBlock, min_df: usize) -> Self {
        WordSpec {
            tokenizer: block.grams.tokens.name().into(),
            min_n: block.grams.min_n,
            max_n: block.grams.max_n,
            min_df,
            features: block.idf.len(),
        }
    }
}

impl Default for NgramSpec {
    fn default() -> Self {
        NgramSpec {
            analyzer: "char".into(),
            min_n: 1,
            max_n: 4,
            sublinear_tf: true,
            min_df: 2,
            c: 10.0,
            features: 0,
            words: None,
            pinyin: None,
            nb: None,
        }
    }
}

/// Settings of a fit.
#[derive(Debug, Clone, PartialEq)]
pub struct NgramSettings {
    /// Shortest n-gram.
    pub min_n: usize,
    /// Longest n-gram, at most 4.
    pub max_n: usize,
    /// Drop n-grams seen in fewer training rows.
    pub min_df: usize,
    /// Inverse regularisation strength (scikit-learn's `C`).
    pub c: f64,
    /// Longest word n-gram of the word block; 0 leaves the block out.
    pub word_max_n: usize,
    /// Longest syllable n-gram of the pinyin block; 0 leaves the block out.
    pub pinyin_max_n: usize,
    /// Inverse regularisation strength of the NB-weighted head; 0 leaves the head out.
    pub nb_c: f64,
    /// Most L-BFGS iterations.
    pub max_iters: u64,
}

impl Default for NgramSettings {
    fn default() -> Self {
        NgramSettings {
            min_n: 1,
            max_n: 4,
            min_df: 2,
            c: 30.0,
            word_max_n: 2,
            pinyin_max_n: 0,
            nb_c: 30.0,
            max_iters: 500,
        }
    }
}

/// A sparse feature vector: feature index and value, indices ascending.
pub type Features = Vec<(u32, f32)>;

/// A fitted n-gram model.
#[derive(Debug, Clone)]
pub struct NgramModel {
    spec: NgramSpec,
    index: HashMap<u128, u32, ahash::RandomState>,
    idf: Vec<f32>,
    /// The word block, whose features follow the characters'.
    words: Option<WordBlock>,
    /// The pinyin block, whose features follow the words'.
    pinyin: Option<WordBlock>,
    /// The softmax head.
    head: Head,
    /// The NB-weighted head, its weights already times the ratios.
    nb: Option<Head>,
}

/// A linear head over the features: `[label][feature]` weights, row-major, character
/// features then each token block's, and an intercept per label.
#[derive(Debug, Clone)]
struct Head {
    weight: Vec<f32>,
    bias: [f32; 3],
}

impl Head {
    /// Each label's score, `bias + weight . features`, over `width` features.
    fn scores(&self, width: usize, features: &Features) -> [f32; 3] {
        std::array::from_fn(|k| {
            let row = &self.weight[k * width..(k + 1) * width];
            self.bias[k]
                + features
                    .iter()
                    .map(|&(f, v)| row[f as usize] * v)
                    .sum::<f32>()
        })
    }
}

/// Smoothing of the NB head's counts (the `alpha` of NBSVM).
const NB_SMOOTHING: f64 = 1.0;

/// The two heads' log-probabilities averaged: the softmax head's from its scores `lr`, the
/// NB head's from its one-against-the-rest scores `nb` (sigmoids, floored, normalised).
fn mix(lr: [f32; 3], nb: [f32; 3]) -> [f32; 3] {
    let max = lr.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let lse = max + lr.iter().map(|z| (z - max).exp()).sum::<f32>().ln();
    let sig = nb.map(|z| (1.0 / (1.0 + (-z).exp())).max(1e-9));
    let total: f32 = sig.iter().sum();
    std::array::from_fn(|k| 0.5 * ((lr[k] - lse) + (sig[k] / total).ln()))
}

/// The n-grams' keys of one text: each n-gram packed as its length and code points.
fn ngram_keys(text: &str, min_n: usize, max_n: usize, mut each: impl FnMut(u128)) {
    // The last `max_n` characters only, not the whole text's: a 50 MB field would take
    // 200 MB as a vector of code points.
    let mut recent: Vec<u32> = Vec::with_capacity(max_n);
    let mut last_space = false;
    for c in text.chars() {
        let code = if c.is_whitespace() {
            if last_space {
                continue;
            }
            last_space = true;
            ' ' as u32
        } else {
            last_space = false;
            c as u32
        };
        if max_n == 0 {
            continue;
        }
        if recent.len() == max_n {
            recent.remove(0);
        }
        recent.push(code);
        for n in min_n.max(1)..=recent.len() {
            each(pack(&recent[recent.len() - n..]));
        }
    }
}

/// Packs an n-gram (at most four characters, 21 bits each) with its length above them.
fn pack(chars: &[u32]) -> u128 {
    let mut key = 0u128;
    for &c in chars {
        key = (key << 21) | c as u128;
    }
    key | (chars.len() as u128) << 84
}

fn unpack(key: u128) -> Vec<u32> {
    let n = (key >> 84) as usize;
    (0..n)
        .rev()
        .map(|i| ((key >> (21 * i)) & 0x1f_ffff) as u32)
        .collect()
}

impl NgramModel {
    /// How its features are made.
    pub fn spec(&self) -> &NgramSpec {
        &self.spec
    }

    /// The TF-IDF features of one normalised text.
    pub fn features(&self, normalized: &str) -> Features {
        let mut counts: HashMap<u32, u32, ahash::RandomState> = HashMap::default();
        ngram_keys(normalized, self.spec.min_n, self.spec.max_n, |key| {
            if let Some(&f) = self.index.get(&key) {
                *counts.entry(f).or_insert(0) += 1;
            }
        });
        let mut features = weigh(counts, &self.idf, self.spec.sublinear_tf);
        let mut offset = self.idf.len() as u32;
        for block in self.blocks() {
            let counts = block.counts(normalized);
            features.extend(
                weigh(counts, &block.idf, self.spec.sublinear_tf)
                    .into_iter()
                    .map(|(f, v)| (f + offset, v)),
            );
            offset += block.idf.len() as u32;
        }
        features
    }

    /// The token blocks, in feature order.
    fn blocks(&self) -> impl Iterator<Item = &WordBlock> {
        self.words.iter().chain(&self.pinyin)
    }

    /// Features of all blocks.
    fn width(&self) -> usize {
        self.idf.len() + self.blocks().map(|b| b.idf.len()).sum::<usize>()
    }

    /// The per-label scores (logits) of a feature vector: the softmax head's, or with the NB
    /// head the two heads' averaged log-probabilities.
    pub fn logits(&self, features: &Features) -> [f32; 3] {
        let n = self.width();
        let lr = self.head.scores(n, features);
        match &self.nb {
            None => lr,
            Some(nb) => mix(lr, nb.scores(n, features)),
        }
    }

    /// The label probabilities of one normalised text.
    pub fn probabilities(&self, normalized: &str) -> Probabilities {
        crate::model::softmax(&self.logits(&self.features(normalized)))
    }

    /// Fits a model on normalised texts and their labels; `on_iteration` is told each
    /// L-BFGS iteration, for progress.
    ///
    /// # Errors
    /// No rows, or a solver failure.
    pub fn fit(
        texts: &[&str],
        labels: &[Label],
        settings: &NgramSettings,
        on_iteration: &mut dyn FnMut(u64),
    ) -> Result<Self> {
        Self::fit_weighted(texts, labels, None, settings, on_iteration)
    }

    /// As [`NgramModel::fit`], each row's log loss weighted by `weights` (one per row, best
    /// with a mean of 1, so that `C` means what it does unweighted; see
    /// [`crate::data::sources`]). The features are made from the rows unweighted, as
    /// scikit-learn's vectorizer makes them whatever `sample_weight` the regression gets.
    ///
    /// # Errors
    /// No rows, a weight per row missing, or a solver failure.
    pub fn fit_weighted(
        texts: &[&str],
        labels: &[Label],
        weights: Option<&[f64]>,
        settings: &NgramSettings,
        on_iteration: &mut dyn FnMut(u64),
    ) -> Result<Self> {
        if texts.is_empty() || texts.len() != labels.len() {
            return Err(ModelError::NoNgramRows.into());
        }
        if let Some(w) = weights.filter(|w| w.len() != texts.len()) {
            let message = format!("{} row weights for {} rows", w.len(), texts.len());
            return Err(ModelError::NgramFit(message).into());
        }
        let max_n = settings.max_n.clamp(1, 4);
        let min_n = settings.min_n.clamp(1, max_n);
        let mut df: HashMap<u128, u32, ahash::RandomState> = HashMap::default();
        let mut seen: ahash::AHashSet<u128> = Default::default();
        for text in texts {
            seen.clear();
            ngram_keys(text, min_n, max_n, |key| {
                seen.insert(key);
            });
            for &key in &seen {
                *df.entry(key).or_insert(0) += 1;
            }
        }
        let min_df = settings.min_df.max(1);
        let mut kept: Vec<(u128, u32)> = df
            .into_iter()
            .filter(|&(_, d)| d as usize >= min_df)
            .collect();
        kept.sort_unstable_by_key(|&(key, _)| key);
        let rows = texts.len() as f64;
        let smooth_idf = |d: u32| (((1.0 + rows) / (1.0 + d as f64)).ln() + 1.0) as f32;
        let idf: Vec<f32> = kept.iter().map(|&(_, d)| smooth_idf(d)).collect();
        let index: HashMap<u128, u32, ahash::RandomState> = kept
            .iter()
            .enumerate()
            .map(|(i, &(key, _))| (key, i as u32))
            .collect();
        let block = |tokens: Tokens, max_n: usize| {
            (max_n > 0).then(|| {
                let grams = Grams {
                    tokens,
                    min_n: 1,
                    max_n,
                };
                WordBlock::fit(grams, texts, min_df, smooth_idf)
            })
        };
        let words = block(Tokens::Jieba, settings.word_max_n);
        let pinyin = block(Tokens::Pinyin, settings.pinyin_max_n);
        let spec = NgramSpec {
            min_n,
            max_n,
            min_df,
            c: settings.c,
            features: idf.len(),
            words: words.as_ref().map(|b| WordSpec::of(b, min_df)),
            pinyin: pinyin.as_ref().map(|b| WordSpec::of(b, min_df)),
            nb: (settings.nb_c > 0.0).then_some(NbSpec {
                c: settings.nb_c,
                smoothing: NB_SMOOTHING,
            }),
            ..NgramSpec::default()
        };
        let mut model = NgramModel {
            spec,
            index,
            idf,
            words,
            pinyin,
            head: Head {
                weight: Vec::new(),
                bias: [0.0; 3],
            },
            nb: None,
        };
        let x: Vec<Features> = texts.iter().map(|t| model.features(t)).collect();
        let problem = Objective {
            x: &x,
            y: labels.iter().map(|l| l.index()).collect(),
            weights,
            features: model.width(),
            c: settings.c,
        };
        let (weight, bias) = problem.solve(settings.max_iters, on_iteration)?;
        model.head = Head { weight, bias };
        if let Some(nb) = &model.spec.nb {
            model.nb = Some(fit_nb(
                &x,
                &problem.y,
                model.width(),
                weights,
                nb,
                settings.max_iters,
                on_iteration,
            )?);
        }
        Ok(model)
    }
}

/// The NB-weighted head: each label's log-count ratios over the rows' features `x` (of
/// `width` features), then a
/// one-against-the-rest regression on the features scaled by them.
fn fit_nb(
    x: &[Features],
    y: &[usize],
    width: usize,
    weights: Option<&[f64]>,
    nb: &NbSpec,
    max_iters: u64,
    on_iteration: &mut dyn FnMut(u64),
) -> Result<Head> {
    // Rows of each label that have each feature.
    let mut present = vec![[0u32; 3]; width];
    for (row, &label) in x.iter().zip(y) {
        for &(f, v) in row {
            if v != 0.0 {
                present[f as usize][label] += 1;
            }
        }
    }
    let mut head = Head {
        weight: Vec::with_capacity(3 * width),
        bias: [0.0; 3],
    };
    for k in 0..3 {
        let label: Vec<f64> = present
            .iter()
            .map(|c| nb.smoothing + f64::from(c[k]))
            .collect();
        let rest: Vec<f64> = present
            .iter()
            .map(|c| nb.smoothing + f64::from(c.iter().sum::<u32>() - c[k]))
            .collect();
        let (sum_label, sum_rest) = (label.iter().sum::<f64>(), rest.iter().sum::<f64>());
        let ratio: Vec<f64> = label
            .iter()
            .zip(&rest)
            .map(|(p, q)| (p / sum_label).ln() - (q / sum_rest).ln())
            .collect();
        let problem = objective::OneVsRest {
            x,
            y: y.iter().map(|&l| l == k).collect(),
            weights,
            scale: &ratio,
            c: nb.c,
        };
        let (weight, bias) = problem.solve(max_iters, on_iteration)?;
        head.weight.extend(weight);
        head.bias[k] = bias;
    }
    Ok(head)
}

fn weigh(counts: HashMap<u32, u32, ahash::RandomState>, idf: &[f32], sublinear: bool) -> Features {
    let mut features: Features = counts
        .into_iter()
        .map(|(f, c)| {
            let tf = if sublinear {
                1.0 + (c as f32).ln()
            } else {
                c as f32
            };
            (f, tf * idf[f as usize])
        })
        .collect();
    features.sort_unstable_by_key(|&(f, _)| f);
    let norm = features.iter().map(|&(_, v)| v * v).sum::<f32>().sqrt();
    if norm > 0.0 {
        for (_, v) in &mut features {
            *v /= norm;
        }
    }
    features
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_through_packing() {
        for s in ["a", "停息", "挂账 x", "🈲催收"] {
            let chars: Vec<u32> = s.chars().map(|c| c as u32).collect();
            for n in 1..=chars.len().min(4) {
                assert_eq!(unpack(pack(&chars[..n])), chars[..n].to_vec(), "{s} {n}");
            }
        }
    }

    #[test]
    fn whitespace_runs_count_as_one_space() {
        let mut keys = Vec::new();
        ngram_keys("a \n\t b", 1, 1, |k| keys.push(unpack(k)));
        assert_eq!(
            keys,
            vec![vec!['a' as u32], vec![' ' as u32], vec!['b' as u32]]
        );
    }

    #[test]
    fn tfidf_matches_the_definition() {
        // Three rows; min_df 1 keeps everything. "ab" occurs in two of them.
        let texts = ["ab", "ab c", "d"];
        let labels = [
            Label::Normal,
            Label::DebtOptimization,
            Label::MaliciousComplaint,
        ];
        let settings = NgramSettings {
            min_n: 1,
            max_n: 2,
            min_df: 1,
            max_iters: 5,
            word_max_n: 0,
            ..NgramSettings::default()
        };
        let model = NgramModel::fit(&texts, &labels, &settings, &mut |_| {}).unwrap();
        let f = model.features("abab");
        // a, b: tf 2; ab: tf 2; ba: tf 1. idf(a) = ln(4/3) + 1 (df 2), idf(ba) unseen.
        let idf2 = (4.0f32 / 3.0).ln() + 1.0;
        let tf2 = 1.0 + 2.0f32.ln();
        let raw = [tf2 * idf2, tf2 * idf2, tf2 * idf2];
        let norm = raw.iter().map(|v| v * v).sum::<f32>().sqrt();
        assert_eq!(f.len(), 3, "{f:?}");
        for (_, v) in &f {
            assert!((v - raw[0] / norm).abs() < 1e-6, "{f:?}");
        }
    }

    /// Two rows of each label, each pair sharing its label's words.
    const TOY_TEXTS: [&str; 6] = [
        "停息挂账找我们",
        "专业停息挂账",
        "全部减免否则投诉",
        "要求全部减免",
        "今天吃什么",
        "周末去爬山",
    ];
    const TOY_LABELS: [Label; 6] = [
        Label::DebtOptimization,
        Label::DebtOptimization,
        Label::MaliciousComplaint,
        Label::MaliciousComplaint,
        Label::Normal,
        Label::Normal,
    ];

    #[test]
    fn fit_separates_and_save_load_round_trips() {
        let (texts, labels) = (TOY_TEXTS, TOY_LABELS);
        // The softmax head alone; the NB head has its own test.
        let settings = NgramSettings {
            min_df: 1,
            nb_c: 0.0,
            ..NgramSettings::default()
        };
        let mut iterations = 0;
        let model = NgramModel::fit(&texts, &labels, &settings, &mut |n| iterations += n).unwrap();
        assert!(iterations > 0);
        for (t, l) in texts.iter().zip(labels) {
            let p = model.probabilities(t);
            assert_eq!(crate::model::argmax(&p), l, "{t}: {p:?}");
        }
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let loaded = NgramModel::load(dir.path()).unwrap().expect("saved");
        assert_eq!(loaded.spec(), model.spec());
        for t in ["停息挂账", "投诉全部减免", "爬山"] {
            assert_eq!(loaded.probabilities(t), model.probabilities(t), "{t}");
        }
        assert!(NgramModel::load(&dir.path().join("nothing"))
            .unwrap()
            .is_none());
    }

    #[test]
    fn the_pinyin_block_reads_a_homophone_as_the_word_it_stands_for() {
        use Label::*;
        let plain = NgramSettings {
            min_df: 1,
            nb_c: 0.0,
            word_max_n: 0,
            ..NgramSettings::default()
        };
        let settings = NgramSettings {
            pinyin_max_n: 2,
            ..plain.clone()
        };
        let (texts, labels) = (TOY_TEXTS, TOY_LABELS);
        let model = NgramModel::fit(&texts, &labels, &settings, &mut |_| {}).unwrap();
        let without = NgramModel::fit(&texts, &labels, &plain, &mut |_| {}).unwrap();
        let block = model.spec().pinyin.as_ref().expect("a pinyin block");
        assert_eq!((block.tokenizer.as_str(), block.max_n), ("pinyin", 2));
        assert!(without.spec().pinyin.is_none());
        // 亭熄 shares no character with the training rows, only the sound of 停息.
        let homophone = "亭熄";
        assert!(without.features(homophone).is_empty());
        let p = model.probabilities(homophone);
        assert_eq!(crate::model::argmax(&p), DebtOptimization, "{p:?}");
        let q = without.probabilities(homophone);
        assert!(p[DebtOptimization.index()] > q[DebtOptimization.index()] + 0.1);
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let loaded = NgramModel::load(dir.path()).unwrap().expect("saved");
        assert_eq!(loaded.spec(), model.spec());
        for t in [homophone, "停息挂账", "爬山"] {
            assert_eq!(loaded.probabilities(t), model.probabilities(t), "{t}");
        }
        // A block described as the other kind is refused, naming it.
        let spec = dir.path().join(SPEC_FILE);
        let json = std::fs::read_to_string(&spec).unwrap();
        let wrong = json.replacen("\"tokenizer\": \"pinyin\"", "\"tokenizer\": \"jieba\"", 1);
        assert_ne!(wrong, json);
        std::fs::write(&spec, wrong).unwrap();
        let err = NgramModel::load(dir.path()).unwrap_err().to_string();
        assert!(
            err.contains("`pinyin` must have tokenizer \"pinyin\""),
            "{err}"
        );
    }

    #[test]
    fn the_nb_head_separates_round_trips_and_averages_with_the_first() {
        use Label::*;
        let (texts, labels) = (TOY_TEXTS, TOY_LABELS);
        let plain = NgramSettings {
            min_df: 1,
            nb_c: 0.0,
            ..NgramSettings::default()
        };
        let settings = NgramSettings {
            nb_c: 10.0,
            ..plain.clone()
        };
        let model = NgramModel::fit(&texts, &labels, &settings, &mut |_| {}).unwrap();
        let without = NgramModel::fit(&texts, &labels, &plain, &mut |_| {}).unwrap();
        assert_eq!(model.spec().nb.as_ref().map(|nb| nb.c), Some(10.0));
        assert!(without.spec().nb.is_none());
        let head = model.nb.as_ref().expect("an NB head");
        // "停" is in the debt-optimisation rows only: its ratio, and so its weight, leans there.
        let f = model.index[&pack(&['停' as u32])] as usize;
        let n = model.width();
        assert!(head.weight[DebtOptimization.index() * n + f] > 0.0);
        assert!(head.weight[Normal.index() * n + f] < 0.0);
        for (t, l) in texts.iter().zip(labels) {
            let p = model.probabilities(t);
            assert_eq!(crate::model::argmax(&p), l, "{t}: {p:?}");
            // The first head is the model without the NB head; the mix is the normalised
            // geometric mean of its probabilities and the NB head's.
            let x = model.features(t);
            let first = without.probabilities(t);
            let nb = head.scores(n, &x).map(|z| 1.0 / (1.0 + (-z).exp()));
            let total: f32 = nb.iter().sum();
            let geo: [f32; 3] = std::array::from_fn(|k| (first[k] * nb[k] / total).sqrt());
            let norm: f32 = geo.iter().sum();
            for k in 0..3 {
                assert!((p[k] - geo[k] / norm).abs() < 1e-4, "{t}: {p:?} {geo:?}");
            }
        }
        let dir = tempfile::tempdir().unwrap();
        model.save(dir.path()).unwrap();
        let loaded = NgramModel::load(dir.path()).unwrap().expect("saved");
        assert_eq!(loaded.spec(), model.spec());
        for t in ["停息挂账", "投诉全部减免", "爬山"] {
            assert_eq!(loaded.probabilities(t), model.probabilities(t), "{t}");
        }
        // A description that names the head without its tensors is refused, naming them.
        without.save(dir.path()).unwrap();
        let mut spec = without.spec().clone();
        spec.nb = model.spec().nb.clone();
        let json = serde_json::to_string(&spec).unwrap();
        std::fs::write(dir.path().join(SPEC_FILE), json).unwrap();
        let err = NgramModel::load(dir.path()).unwrap_err().to_string();
        assert!(err.contains("nb_weight"), "{err}");
    }

    #[test]
    fn a_row_of_weight_two_counts_as_the_row_twice() {
        use Label::*;
        let texts = [
            "停息挂账",
            "全部减免否则投诉",
            "今天吃什么",
            "停息挂账吃什么",
        ];
        let labels = [DebtOptimization, MaliciousComplaint, Normal, Normal];
        let settings = NgramSettings {
            min_df: 1,
            word_max_n: 0,
            ..NgramSettings::default()
        };
        // The same features either way: "今天吃什么" twice would change the document
        // frequencies, so the doubled fit keeps the vocabulary of the single one.
        let weighted = NgramModel::fit_weighted(
            &texts,
            &labels,
            Some(&[0.8, 0.8, 1.6, 0.8]),
            &settings,
            &mut |_| {},
        )
        .unwrap();
        let plain = NgramModel::fit(&texts, &labels, &settings, &mut |_| {}).unwrap();
        let doubled = {
            let x: Vec<Features> = [0, 1, 2, 2, 3]
                .iter()
                .map(|&i| plain.features(texts[i]))
                .collect();
            let problem = Objective {
                x: &x,
                y: [0, 1, 2, 2, 3].iter().map(|&i| labels[i].index()).collect(),
                weights: None,
                features: plain.width(),
                c: settings.c * 4.0 / 5.0,
            };
            problem.solve(settings.max_iters, &mut |_| {}).unwrap()
        };
        for (a, b) in weighted.head.weight.iter().zip(&doubled.0) {
            assert!((a - b).abs() < 1e-3, "{a} against {b}");
        }
        // And the weight moves the fit: the heavier row is more surely normal.
        let lean = |m: &NgramModel| m.probabilities("今天吃什么")[Normal.index()];
        assert!(
            lean(&weighted) > lean(&plain),
            "{} {}",
            lean(&weighted),
            lean(&plain)
        );
        let err = NgramModel::fit_weighted(&texts, &labels, Some(&[1.0]), &settings, &mut |_| {});
        assert!(err
            .unwrap_err()
            .to_string()
            .contains("1 row weights for 4 rows"));
    }
}
