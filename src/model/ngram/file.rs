//! Reading and writing the n-gram component's two files in a model directory.

use std::collections::HashMap;
use std::path::Path;

use super::{
    pack, unpack, Grams, Head, NgramModel, NgramSpec, Tokens, WordBlock, WordSpec, SPEC_FILE,
    WEIGHTS_FILE,
};
use crate::error::{Error, ModelError, Result};

impl NgramModel {
    /// Reads `ngram.json` and `ngram.safetensors` from a model directory; `None` when the
    /// directory has no n-gram component.
    ///
    /// # Errors
    /// A malformed or inconsistent file, naming it.
    pub fn load(dir: &Path) -> Result<Option<Self>> {
        let spec_path = dir.join(SPEC_FILE);
        let spec_text = match std::fs::read_to_string(&spec_path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(e) => return Err(Error::io(&spec_path, e)),
        };
        let bad = |path: &Path, message: String| {
            ModelError::Invalid {
                path: path.to_path_buf(),
                message,
            }
            .into()
        };
        let spec: NgramSpec = serde_json::from_str(&spec_text)
            .map_err(|e| bad(&spec_path, format!("malformed n-gram description: {e}")))?;
        if spec.analyzer != "char" || spec.max_n == 0 || spec.max_n > 4 || spec.min_n > spec.max_n {
            return Err(bad(
                &spec_path,
                "only character n-grams of 1 to 4 characters are supported".into(),
            ));
        }
        let path = dir.join(WEIGHTS_FILE);
        let bytes = std::fs::read(&path).map_err(|e| Error::io(&path, e))?;
        let tensors = safetensors::SafeTensors::deserialize(&bytes)
            .map_err(|e| bad(&path, format!("not a safetensors file: {e}")))?;
        let tensor = |name: &str, dtype: safetensors::Dtype, shape: &[usize]| {
            let view = tensors
                .tensor(name)
                .map_err(|_| bad(&path, format!("tensor `{name}` is missing")))?;
            if view.dtype() != dtype || view.shape() != shape {
                return Err(bad(
                    &path,
                    format!(
                        "tensor `{name}` is {:?} {:?}, expected {dtype:?} {shape:?}",
                        view.dtype(),
                        view.shape()
                    ),
                ));
            }
            Ok(view
                .data()
                .chunks_exact(4)
                .map(|b| [b[0], b[1], b[2], b[3]])
                .collect::<Vec<[u8; 4]>>())
        };
        let f = spec.features;
        let floats =
            |v: Vec<[u8; 4]>| -> Vec<f32> { v.into_iter().map(f32::from_le_bytes).collect() };
        // A token block: its spec in `ngram.json` under `key`, its n-grams in tensor `list`
        // and their idf in tensor `idf`.
        let block = |w: &Option<WordSpec>, key: &str, tokens: Tokens, list: &str, idf: &str| {
            let Some(w) = w else { return Ok(None) };
            if Tokens::from_name(&w.tokenizer) != Some(tokens) || w.min_n == 0 || w.min_n > w.max_n
            {
                return Err(bad(
                    &spec_path,
                    format!(
                        "`{key}` must have tokenizer \"{}\" and 1 or more tokens to a gram",
                        tokens.name()
                    ),
                ));
            }
            let grams = Grams {
                tokens,
                min_n: w.min_n,
                max_n: w.max_n,
            };
            let bytes = tensors
                .tensor(list)
                .map_err(|_| bad(&path, format!("tensor `{list}` is missing")))?;
            let idf = floats(tensor(idf, safetensors::Dtype::F32, &[w.features])?);
            WordBlock::from_bytes(grams, bytes.data(), idf)
                .map(Some)
                .map_err(|m| bad(&path, format!("tensor `{list}`: {m}")))
        };
        let words = block(&spec.words, "words", Tokens::Jieba, "words", "word_idf")?;
        let pinyin = block(
            &spec.pinyin,
            "pinyin",
            Tokens::Pinyin,
            "pinyin",
            "pinyin_idf",
        )?;
        let width = f + words
            .iter()
            .chain(&pinyin)
            .map(|b| b.idf.len())
            .sum::<usize>();
        let ngrams = tensor("ngrams", safetensors::Dtype::U32, &[f, spec.max_n])?;
        let idf = tensor("idf", safetensors::Dtype::F32, &[f])?;
        let head = |weight: &str, bias: &str| -> Result<Head> {
            let weight = floats(tensor(weight, safetensors::Dtype::F32, &[3, width])?);
            let bias = floats(tensor(bias, safetensors::Dtype::F32, &[3])?);
            Ok(Head {
                weight,
                bias: [bias[0], bias[1], bias[2]],
            })
        };
        let mut index = HashMap::with_capacity_and_hasher(f, ahash::RandomState::new());
        for (i, row) in ngrams.chunks_exact(spec.max_n).enumerate() {
            let chars: Vec<u32> = row
                .iter()
                .map(|b| u32::from_le_bytes(*b))
                .take_while(|&c| c != u32::MAX)
                .collect();
            if chars.len() < spec.min_n || chars.iter().any(|&c| char::from_u32(c).is_none()) {
                return Err(bad(&path, format!("n-gram {i} is malformed")));
            }
            if index.insert(pack(&chars), i as u32).is_some() {
                return Err(bad(&path, format!("n-gram {i} is listed twice")));
            }
        }
        let first = head("weight", "bias")?;
        let nb = match &spec.nb {
            None => None,
            Some(nb) if !(nb.c > 0.0 && nb.smoothing > 0.0) => {
                return Err(bad(
                    &spec_path,
                    "the NB head's `c` and `smoothing` must be above 0".into(),
                ))
            }
            Some(_) => Some(head("nb_weight", "nb_bias")?),
        };
        let model = NgramModel {
            spec,
            index,
            words,
            pinyin,
            idf: floats(idf),
            head: first,
            nb,
        };
        if model
            .idf
            .iter()
            .chain(model.blocks().flat_map(|w| &w.idf))
            .chain(
                std::iter::once(&model.head)
                    .chain(&model.nb)
                    .flat_map(|h| h.weight.iter().chain(&h.bias)),
            )
            .any(|v| !v.is_finite())
        {
            return Err(bad(&path, "the n-gram weights are not all finite".into()));
        }
        Ok(Some(model))
    }

    /// Writes `ngram.json` and `ngram.safetensors` into a model directory.
    ///
    /// # Errors
    /// An unwritable file.
    pub fn save(&self, dir: &Path) -> Result<()> {
        let max_n = self.spec.max_n;
        let mut keys: Vec<(u32, u128)> = self.index.iter().map(|(&k, &i)| (i, k)).collect();
        keys.sort_unstable();
        let mut ngrams: Vec<u8> = Vec::with_capacity(keys.len() * max_n * 4);
        for (_, key) in keys {
            let mut chars = unpack(key);
            chars.resize(max_n, u32::MAX);
            for c in chars {
                ngrams.extend(c.to_le_bytes());
            }
        }
        let bytes = |v: &[f32]| -> Vec<u8> { v.iter().flat_map(|x| x.to_le_bytes()).collect() };
        let f = self.idf.len();
        let idf = bytes(&self.idf);
        let heads: Vec<(&str, &str, Vec<u8>, Vec<u8>)> =
            std::iter::once(("weight", "bias", &self.head))
                .chain(self.nb.iter().map(|h| ("nb_weight", "nb_bias", h)))
                .map(|(w, b, h)| (w, b, bytes(&h.weight), bytes(&h.bias)))
                .collect();
        let blocks: Vec<(&str, &str, Vec<u8>, Vec<u8>)> = [
            ("words", "word_idf", &self.words),
            ("pinyin", "pinyin_idf", &self.pinyin),
        ]
        .into_iter()
        .filter_map(|(list, idf, b)| Some((list, idf, b.as_ref()?)))
        .map(|(list, idf, b)| (list, idf, b.to_bytes(), bytes(&b.idf)))
        .collect();
        fn view(
            dtype: safetensors::Dtype,
            shape: Vec<usize>,
            data: &[u8],
        ) -> safetensors::tensor::TensorView<'_> {
            safetensors::tensor::TensorView::new(dtype, shape, data).expect("sizes match shapes")
        }
        let tensors = vec![
            (
                "ngrams",
                view(safetensors::Dtype::U32, vec![f, max_n], &ngrams),
            ),
            ("idf", view(safetensors::Dtype::F32, vec![f], &idf)),
        ];
        let mut tensors = tensors;
        for (w, b, weight, bias) in &heads {
            tensors.push((
                w,
                view(safetensors::Dtype::F32, vec![3, self.width()], weight),
            ));
            tensors.push((b, view(safetensors::Dtype::F32, vec![3], bias)));
        }
        for (name, idf_name, list, idf) in &blocks {
            tensors.push((name, view(safetensors::Dtype::U8, vec![list.len()], list)));
            tensors.push((
                idf_name,
                view(safetensors::Dtype::F32, vec![idf.len() / 4], idf),
            ));
        }
        let path = dir.join(WEIGHTS_FILE);
        let data =
            safetensors::tensor::serialize(tensors, None).map_err(|e| ModelError::Invalid {
                path: path.clone(),
                message: format!("cannot serialise the n-gram weights: {e}"),
            })?;
        crate::fs::write_atomic(&path, &data)?;
        let spec = serde_json::to_string_pretty(&self.spec).expect("plain fields serialise");
        crate::fs::write_atomic(&dir.join(SPEC_FILE), (spec + "\n").as_bytes())
    }
}
