//! How the process's allocator treats the forward pass's activations.
//!
//! Every step of a forward pass allocates its output, and a batch at sequence 128 has
//! activations of 2 to 8 MB. glibc's malloc hands blocks that large to the kernel with
//! `mmap` and gives them back on `free`, or trims them off the top of the heap, so each batch
//! pays for fresh zeroed pages again: page faults and `brk` calls took about a fifth of the
//! packed forward pass's samples under perf at batch 32, sequence 128. Keeping freed blocks
//! for reuse took that path from 92.0 to 140.7 GFLOP/s in consecutive runs of `cargo bench
//! --bench model` (BENCHMARKS.md). Peak memory is unchanged: the kept blocks are the ones the
//! last batch used (79-81 MB for `heihui label` on 100,000 rows, 86 MB before).

/// Allocations below this size come from the heap rather than `mmap`: the largest value glibc
/// takes on 64-bit systems. The largest activation, the feed-forward block's, is 8 MB for 32
/// texts of 128 tokens (the default batch) and stays below it up to 127 such texts.
pub const MMAP_THRESHOLD: usize = 32 << 20;

/// Free memory at the top of the heap up to this size stays with the process: above the
/// 191 MB peak of `heihui label --batch-size 128` (BENCHMARKS.md), so no batch size measured
/// there gives memory back between batches.
pub const TRIM_THRESHOLD: usize = 256 << 20;

/// Whether the allocator took the settings.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Tuning {
    /// glibc took both thresholds.
    Applied,
    /// Not glibc, or glibc refused a value: the allocator keeps its defaults, which are
    /// correct, only slower.
    Unchanged,
}

/// Sets [`MMAP_THRESHOLD`] and [`TRIM_THRESHOLD`] for glibc's malloc. Call it once at the
/// start of a program that runs many forward passes, before other threads start (a call is
/// safe at any time; it only governs what is allocated and freed after it): the `heihui`
/// binary, the model benchmark and the library example do.
pub fn keep_freed_activations() -> Tuning {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: mallopt only changes two of malloc's thresholds; both values are positive
        // and within the ranges glibc documents.
        let applied = unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD as libc::c_int) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD as libc::c_int) == 1
        };
        if applied {
            return Tuning::Applied;
        }
    }
    Tuning::Unchanged
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    // 32-bit glibc refuses an mmap threshold above 512 KB.
    #[cfg(all(target_os = "linux", target_env = "gnu", target_pointer_width = "64"))]
    fn glibc_takes_the_thresholds() {
        assert_eq!(keep_freed_activations(), Tuning::Applied);
    }
}
