//! `model.safetensors` memory-mapped while the network loads, each tensor copied once, from
//! the mapping into the tensor the network keeps, and its pages let go as soon as it is
//! copied. Reading the whole file into a buffer first held every weight twice at the end of
//! loading: 815 MB peak for a 409 MB bert-base checkpoint (BENCHMARKS.md). Mapped pages
//! count towards a process's resident memory until they are unmapped or advised away, so
//! mapping alone would not help; advising each tensor's range away once copied does.
//!
//! The backend also records which tensors the network asked for, so that [`checks`] can
//! refuse a checkpoint the configuration leaves partly unused.
//!
//! [`checks`]: super::checks

use std::collections::{BTreeSet, HashMap};
use std::path::Path;
use std::sync::{Arc, Mutex, PoisonError};

use candle_core::safetensors::Load;
use candle_core::{DType, Device, Shape, Tensor};
use candle_nn::var_builder::SimpleBackend;
use safetensors::tensor::{SafeTensors, TensorInfo, TensorView};

use super::candle_error;
use crate::error::{Error, Result};

/// A memory-mapped safetensors file that hands out tensors and remembers which.
pub(crate) struct MappedWeights {
    map: memmap2::Mmap,
    /// Where the tensor data starts: after the 8-byte header length and the header.
    data_start: usize,
    tensors: HashMap<String, TensorInfo>,
    used: Arc<Mutex<BTreeSet<String>>>,
}

impl MappedWeights {
    /// Maps `path` and reads its header; the names it hands out are added to `used`.
    ///
    /// # Errors
    /// An unreadable file, or one that is not safetensors.
    pub(crate) fn open(path: &Path, used: Arc<Mutex<BTreeSet<String>>>) -> Result<Self> {
        let file = std::fs::File::open(path).map_err(|e| Error::io(path, e))?;
        // SAFETY: the mapping is read-only and lives only while the network loads (the
        // backend is dropped with the VarBuilder); a file changed by another process during
        // those moments could give wrong weights, as reading it would, but every access is
        // bounds-checked against the header read here.
        let map = unsafe { memmap2::Mmap::map(&file) }.map_err(|e| Error::io(path, e))?;
        let (header, metadata) = SafeTensors::read_metadata(&map)
            .map_err(|e| candle_error(path, candle_core::Error::from(e)))?;
        let tensors = metadata
            .tensors()
            .into_iter()
            .map(|(name, info)| (name, info.clone()))
            .collect();
        Ok(MappedWeights {
            map,
            data_start: 8 + header,
            tensors,
            used,
        })
    }

    /// Every tensor name in the file.
    pub(crate) fn names(&self) -> Vec<String> {
        self.tensors.keys().cloned().collect()
    }

    fn load(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        let info = self
            .tensors
            .get(name)
            .ok_or_else(|| candle_core::Error::CannotFindTensor { path: name.into() }.bt())?;
        let (start, end) = info.data_offsets;
        let (start, end) = (self.data_start + start, self.data_start + end);
        let bytes = self.map.get(start..end).ok_or_else(|| {
            candle_core::Error::msg(format!("tensor {name} lies past the end of the file"))
        })?;
        let tensor = if info.dtype == safetensors::Dtype::I8 {
            // candle has no int8 type: a quantised layer's int8 weights are handed out as
            // their bytes in a u8 tensor, for the loader to read back as i8, and to nothing
            // else (converting them to numbers would give 128 to 255 for the negative ones).
            if dtype != DType::U8 {
                candle_core::bail!("tensor {name} is int8 and is read only as its bytes");
            }
            Tensor::from_raw_buffer(bytes, DType::U8, &info.shape, dev)?
        } else {
            let view = TensorView::new(info.dtype, info.shape.clone(), bytes)
                .map_err(candle_core::Error::from)?;
            view.load(dev)?.to_dtype(dtype)?
        };
        // SAFETY: the mapping is read-only and shared, so dropping its pages loses nothing:
        // a later read of the range faults them back in from the page cache. No reference
        // into the range outlives this call (the tensor owns a copy).
        #[cfg(unix)]
        unsafe {
            // Best effort: a failure leaves the pages resident until the mapping is dropped.
            let _ = self.map.unchecked_advise_range(
                memmap2::UncheckedAdvice::DontNeed,
                start,
                end - start,
            );
        }
        self.used
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(name.to_string());
        Ok(tensor)
    }
}

impl SimpleBackend for MappedWeights {
    fn get(
        &self,
        s: Shape,
        name: &str,
        _: candle_nn::Init,
        dtype: DType,
        dev: &Device,
    ) -> candle_core::Result<Tensor> {
        if let Some(info) = self.tensors.get(name) {
            if info.shape.as_slice() != s.dims() {
                return Err(candle_core::Error::UnexpectedShape {
                    msg: format!("shape mismatch for {name}"),
                    expected: s,
                    got: info.shape.clone().into(),
                }
                .bt());
            }
        }
        self.load(name, dtype, dev)
    }

    fn get_unchecked(&self, name: &str, dtype: DType, dev: &Device) -> candle_core::Result<Tensor> {
        self.load(name, dtype, dev)
    }

    fn contains_tensor(&self, name: &str) -> bool {
        self.tensors.contains_key(name)
    }
}
