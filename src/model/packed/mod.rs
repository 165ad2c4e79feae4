//! The packed path: attention over the real tokens of a batch laid end to end (no padding),
//! and the fused kernels it runs on.

pub mod attention;
pub mod kernels;

use std::sync::Arc;

use candle_core::{Device, Result, Tensor};

use self::attention::{Queries, Span};
use super::layers::Positions;

/// Texts laid end to end with no padding, for
/// [`Network::forward_packed`](crate::model::Network::forward_packed).
pub struct Packed {
    ids: Tensor,
    positions: Tensor,
    firsts: Tensor,
    spans: Arc<[Span]>,
}

impl Packed {
    /// Packs encoded texts (each with its special tokens, none empty), their position ids
    /// counted as `positions` says.
    ///
    /// # Errors
    /// An empty text, or a device allocation failure.
    pub fn new(encoded: &[&[u32]], positions: Positions, device: &Device) -> Result<Self> {
        let tokens: usize = encoded.iter().map(|e| e.len()).sum();
        let mut ids = Vec::with_capacity(tokens);
        let mut position_ids = Vec::with_capacity(tokens);
        let mut firsts = Vec::with_capacity(encoded.len());
        let mut spans = Vec::with_capacity(encoded.len());
        for e in encoded {
            if e.is_empty() {
                candle_core::bail!("packed texts: a text has no tokens");
            }
            firsts.push(ids.len() as u32);
            spans.push(Span {
                start: ids.len(),
                len: e.len(),
            });
            ids.extend_from_slice(e);
            positions.extend(e, &mut position_ids);
        }
        Ok(Packed {
            ids: Tensor::from_vec(ids, tokens, device)?,
            positions: Tensor::from_vec(position_ids, tokens, device)?,
            firsts: Tensor::from_vec(firsts, encoded.len(), device)?,
            spans: spans.into(),
        })
    }

    /// Token ids, `(tokens,)`.
    pub(crate) fn ids(&self) -> &Tensor {
        &self.ids
    }

    /// Position ids, `(tokens,)`.
    pub(crate) fn positions(&self) -> &Tensor {
        &self.positions
    }

    /// Where each text's rows are.
    pub(crate) fn spans(&self) -> &Arc<[Span]> {
        &self.spans
    }

    /// The rows of `hidden` that `queries` names.
    pub(crate) fn query_rows(&self, hidden: &Tensor, queries: Queries) -> Result<Tensor> {
        match queries {
            Queries::All => Ok(hidden.clone()),
            Queries::First => hidden.index_select(&self.firsts, 0),
        }
    }
}
