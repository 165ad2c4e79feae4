//! The whole pipeline behind one handle: load the models, the corpus and the decision once,
//! then classify texts. Split in two stages so that batch labelling can run the CPU-light
//! preparation (normalise, match, tokenise, the n-gram model) in parallel with the
//! transformer: [`Classifier::prepare`] then [`Classifier::infer`]. `label`, `classify`,
//! `eval` and the evaluation inside `train` all go through this one path.

use std::path::Path;

use serde::Serialize;

use crate::clues::{self, Contact};
use crate::corpus::Corpus;
use crate::decide::{Decision, Evidence, HitTally, Verdict};
use crate::error::Result;
use crate::labels::Label;
use crate::matcher::{Hit, Matcher};
use crate::mining::minhash::{MinHasher, Signature};
use crate::model::checks::{all_finite, not_finite, PROBE_TEXT};
use crate::model::ngram::NgramModel;
use crate::model::{LoadSettings, Model, Probabilities, DEFAULT_BATCH_SIZE};
use crate::normalize::normalize;

/// Model, corpus and decision, loaded once.
#[derive(Debug)]
pub struct Classifier {
    matcher: Matcher,
    model: Model,
    ngram: Option<NgramModel>,
    decision: Decision,
    /// Computes each text's MinHash signature when set (campaigns, `lsh` keys).
    sketch: Option<MinHasher>,
    /// Runs the transformer even where the decision gives it no weight (evaluation reports
    /// every component).
    every_model: bool,
    /// The most hits one text keeps and lists; the decision weighs all of them.
    max_hits: usize,
}

/// The most phrase hits one text keeps and lists (in output's `hits` and `reason`) unless set
/// otherwise ([`Classifier::with_max_hits`]); the decision weighs every hit whatever this is.
/// The 17,991 labelled rows (train, dev, test and blind) have at most 21 hits each; a 50 MB
/// field made of phrases has 2,000,000, and listing them all took about 340 bytes a hit
/// (BENCHMARKS.md, the huge-field section).
pub const DEFAULT_MAX_HITS: usize = 1000;

/// A text made ready for inference.
#[derive(Debug, Clone)]
pub struct Prepared {
    /// Phrase hits, with spans in the original text: the first [`Classifier::max_hits`].
    pub hits: Vec<Hit>,
    /// Every hit's weight, and how many there were, listed or not.
    pub tally: HitTally,
    /// Whether the text is empty once normalised (it skips the models).
    pub empty: bool,
    /// Token ids, one list per window the model reads; none for an empty text, or where the
    /// transformer is not run.
    pub windows: Vec<Vec<u32>>,
    /// The n-gram model's probabilities, where there is one.
    pub ngram: Option<Probabilities>,
    /// Contacts in the text, with spans in the original text.
    pub contacts: Vec<Contact>,
    /// The normalised text's MinHash signature, when the classifier sketches.
    pub signature: Option<Signature>,
}

/// The outcome for one text.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Classification {
    /// Label, confidence and probabilities.
    #[serde(flatten)]
    pub verdict: Verdict,
    /// The phrase hits, in text order: the first [`Classifier::max_hits`] of them.
    pub hits: Vec<Hit>,
    /// How many hits the text had, listed or not; the decision weighed them all.
    pub hit_count: usize,
    /// Contacts in the text: phones, WeChat and QQ accounts, links.
    pub contacts: Vec<Contact>,
    /// The normalised text's MinHash signature, when the classifier sketches.
    #[serde(skip)]
    pub signature: Option<Signature>,
    /// Why, in words.
    pub reason: String,
    /// What the decision rested on.
    #[serde(skip)]
    pub evidence: Evidence,
}

impl Classifier {
    /// Loads a model directory (with its `decision.json`) and a corpus directory.
    ///
    /// # Errors
    /// Anything [`Model::load`], [`NgramModel::load`], [`Corpus::load`] or
    /// [`Decision::load`] reports.
    pub fn load(model_dir: &Path, corpus_dir: &Path) -> Result<Self> {
        Self::load_with(model_dir, corpus_dir, LoadSettings::default())
    }

    /// As [`Classifier::load`], with unused checkpoint tensors allowed or not and the
    /// transformer at the precision `settings` gives; the loaded
    /// whole is run once on [`PROBE_TEXT`], so a broken n-gram model stops here too.
    ///
    /// # Errors
    /// As [`Classifier::load`], and a decision that cannot label anything but normal
    /// ([`Decision::check_can_label`]).
    pub fn load_with(model_dir: &Path, corpus_dir: &Path, settings: LoadSettings) -> Result<Self> {
        let model = Model::load_with(model_dir, settings)?;
        let corpus = Corpus::load(corpus_dir)?;
        let ngram = NgramModel::load(model_dir)?;
        let decision_path = model_dir.join("decision.json");
        let decision = Decision::load(&decision_path)?;
        decision.check_can_label(&decision_path, ngram.is_some())?;
        let mut classifier = Classifier {
            matcher: Matcher::new(&corpus)?,
            decision,
            ngram,
            model,
            sketch: None,
            every_model: true,
            max_hits: DEFAULT_MAX_HITS,
        };
        // The probe runs every model, used by the decision or not: a broken transformer is a
        // broken model directory either way.
        classifier.classify(&[PROBE_TEXT])?;
        classifier.every_model = false;
        Ok(classifier)
    }

    /// Loads the built-in model and corpus (see [`crate::builtin`]): what `heihui` uses when
    /// no model or corpus directory is given.
    ///
    /// # Errors
    /// The temporary folder they are unpacked into cannot be written.
    pub fn builtin() -> Result<Self> {
        let model = crate::builtin::Unpacked::model()?;
        let corpus = crate::builtin::Unpacked::corpus()?;
        Self::load(model.path(), corpus.path())
    }

    /// A classifier of parts already loaded (training evaluates its model this way).
    pub fn from_parts(
        matcher: Matcher,
        model: Model,
        ngram: Option<NgramModel>,
        decision: Decision,
    ) -> Self {
        Classifier {
            matcher,
            model,
            ngram,
            decision,
            sketch: None,
            every_model: false,
            max_hits: DEFAULT_MAX_HITS,
        }
    }

    /// Runs every model on every text, the transformer included where the decision gives it
    /// no weight: what evaluation needs to score each component.
    pub fn every_model(mut self) -> Self {
        self.every_model = true;
        self
    }

    /// Whether [`Classifier::every_model`] is in force.
    pub fn runs_every_model(&self) -> bool {
        self.every_model
    }

    /// Whether the transformer is run: where the decision uses it, where there is no n-gram
    /// model to decide without it, or for every model.
    pub fn runs_transformer(&self) -> bool {
        self.every_model || self.ngram.is_none() || self.decision.uses_transformer()
    }

    /// Also computes each text's MinHash signature (in [`Classifier::prepare`], so on the
    /// pipeline's preparation threads).
    pub fn with_sketch(mut self, hasher: MinHasher) -> Self {
        self.sketch = Some(hasher);
        self
    }

    /// Keeps and lists at most `max_hits` phrase hits per text (default [`DEFAULT_MAX_HITS`]);
    /// the label, the confidence and [`Classification::hit_count`] still come from every hit.
    pub fn with_max_hits(mut self, max_hits: usize) -> Self {
        self.max_hits = max_hits;
        self
    }

    /// The most hits one text keeps and lists.
    pub fn max_hits(&self) -> usize {
        self.max_hits
    }

    /// The MinHash hasher in use, if any.
    pub fn sketch(&self) -> Option<&MinHasher> {
        self.sketch.as_ref()
    }

    /// The loaded transformer.
    pub fn model(&self) -> &Model {
        &self.model
    }

    /// The loaded n-gram model, where the model directory has one.
    pub fn ngram(&self) -> Option<&NgramModel> {
        self.ngram.as_ref()
    }

    /// The decision in force.
    pub fn decision(&self) -> &Decision {
        &self.decision
    }

    /// Gives the classifier its parts back.
    pub fn into_parts(self) -> (Matcher, Model, Option<NgramModel>, Decision) {
        (self.matcher, self.model, self.ngram, self.decision)
    }

    /// Normalises, matches and tokenises one text.
    pub fn prepare(&self, text: &str) -> Prepared {
        let normalized = normalize(text);
        if normalized.as_str().trim().is_empty() {
            return Prepared {
                empty: true,
                hits: Vec::new(),
                tally: HitTally::default(),
                windows: Vec::new(),
                ngram: None,
                contacts: Vec::new(),
                signature: None,
            };
        }
        let mut tally = HitTally::default();
        let (hits, _) =
            self.matcher
                .find_first(text, &normalized, self.max_hits, |category, weight| {
                    tally.add(category, weight)
                });
        Prepared {
            empty: false,
            hits,
            tally,
            windows: if self.runs_transformer() {
                self.model.read(normalized.as_str())
            } else {
                Vec::new()
            },
            ngram: self
                .ngram
                .as_ref()
                .map(|m| m.probabilities(normalized.as_str())),
            contacts: clues::extract(text, &normalized),
            signature: self
                .sketch
                .as_ref()
                .and_then(|h| h.signature(normalized.as_str())),
        }
    }

    /// Runs the model over prepared texts (batched by length) and decides each.
    ///
    /// # Errors
    /// A model failure, or probabilities that are not finite numbers (a broken model
    /// directory: a set-up error naming the file).
    pub fn infer(&self, prepared: Vec<Prepared>, batch_size: usize) -> Result<Vec<Classification>> {
        let dir = self.model.dir();
        if !all_finite(prepared.iter().filter_map(|p| p.ngram.as_ref())) {
            return Err(not_finite(
                &dir.join("ngram.safetensors"),
                "in its n-gram part",
            ));
        }
        let texts: Vec<usize> = (0..prepared.len())
            .filter(|&i| !prepared[i].windows.is_empty())
            .collect();
        let encoded: Vec<&[Vec<u32>]> = texts
            .iter()
            .map(|&i| prepared[i].windows.as_slice())
            .collect();
        let probabilities = self.model.probabilities_windows(&encoded, batch_size)?;
        let mut model_p = vec![None; prepared.len()];
        for (&i, p) in texts.iter().zip(probabilities) {
            model_p[i] = Some(p);
        }
        let out: Vec<Classification> = prepared
            .into_iter()
            .zip(model_p)
            .map(|(prep, p)| {
                let evidence = match (p, prep.ngram) {
                    _ if prep.empty => None,
                    (Some(p), ngram) => Some(Evidence::tallied(Some(p), ngram, &prep.tally)),
                    (None, Some(ngram)) => Some(Evidence::tallied(None, Some(ngram), &prep.tally)),
                    (None, None) => None,
                };
                match evidence {
                    Some(evidence) => {
                        let verdict = self.decision.decide(&evidence);
                        let reason = crate::decide::reason(
                            &self.decision,
                            &evidence,
                            &verdict,
                            &prep.hits,
                            prep.tally.count,
                        );
                        Classification {
                            verdict,
                            hits: prep.hits,
                            hit_count: prep.tally.count,
                            contacts: prep.contacts,
                            signature: prep.signature,
                            reason,
                            evidence,
                        }
                    }
                    None => empty_text(),
                }
            })
            .collect();
        if !all_finite(out.iter().map(|c| &c.verdict.probabilities)) {
            return Err(not_finite(&dir.join("decision.json"), "once combined"));
        }
        Ok(out)
    }

    /// Classifies texts in one call.
    ///
    /// # Errors
    /// A model failure.
    pub fn classify(&self, texts: &[&str]) -> Result<Vec<Classification>> {
        let prepared = texts.iter().map(|t| self.prepare(t)).collect();
        self.infer(prepared, DEFAULT_BATCH_SIZE)
    }
}

/// The outcome for an empty text: normal, for the reason `empty`.
pub fn empty_text() -> Classification {
    let mut probabilities = [0.0; 3];
    probabilities[Label::Normal.index()] = 1.0;
    Classification {
        verdict: Verdict {
            label: Label::Normal,
            confidence: 1.0,
            probabilities,
            model_probabilities: Some(probabilities),
            ngram_probabilities: None,
            needs_review: false,
        },
        hits: Vec::new(),
        hit_count: 0,
        contacts: Vec::new(),
        signature: None,
        reason: "empty".into(),
        evidence: Evidence {
            transformer: Some(probabilities),
            ngram: None,
            support: [0.0; 3],
            warning: 0.0,
        },
    }
}
