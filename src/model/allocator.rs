//! How the process's allocator treats the forward pass's activations.
//!
//! Every step of a forward pass allocates its output, and a batch at sequence 128 has
//! activations of 2 to 8 MB. glibc's malloc hands blocks that large to the kernel with
//! `mmap` and gives them back on `free`, or trims them off the top of the heap, so each batch
//! pays for fresh zeroed pages again: page faults and `brk` calls took about a fifth of the
//! packed forward pass's samples under perf at batch 32, sequence 128. Keeping freed blocks
//! for reuse took that path from 92 to 144 GFLOP/s in one run (`cargo bench --bench model`
//! with glibc's tunables set to these values; BENCHMARKS.md). Peak memory is unchanged: the
//! kept blocks are the ones the last batch used.

/// Allocations up to this size come from the heap rather than `mmap`: glibc's largest
/// automatic threshold, above the largest activation of a batch of 32 texts of 128 tokens.
pub const MMAP_THRESHOLD: usize = 32 << 20;

/// Free memory at the top of the heap up to this size stays with the process.
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
/// start of a program that runs many forward passes, before other threads start: the
/// `heihui` binary and the model benchmark do.
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
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    fn glibc_takes_the_thresholds() {
        assert_eq!(keep_freed_activations(), Tuning::Applied);
    }
}
