//! The packed path: attention over the real tokens of a batch laid end to end (no padding),
//! and the fused kernels it runs on.

pub mod attention;
pub mod kernels;
