//! MinHash signatures over character shingles of the normalised text, and LSH banding.
//!
//! Before shingling, the normalised text keeps only letters, CJK characters and digits, and
//! every run of digits becomes one `0`: a template copy with another amount, date or phone
//! number, or other punctuation, shingles the same. Each shingle is hashed with a fixed,
//! platform-independent mixer (splitmix64), so the band keys `label` prints are the same on
//! every machine and a distributed engine can group on them.

/// Hash functions in a signature.
pub const PERMUTATIONS: usize = 64;

/// Characters per shingle.
pub const SHINGLE: usize = 3;

/// Texts with fewer shingles than this get no signature: two short replies ("好的，谢谢")
/// are identical without being a campaign.
pub const MIN_SHINGLES: usize = 8;

/// A signature: the minimum of each hash function over the text's shingles, low 32 bits.
pub type Signature = Vec<u32>;

/// Computes signatures and band keys.
#[derive(Debug, Clone)]
pub struct MinHasher {
    seeds: Vec<u64>,
    bands: usize,
    rows: usize,
}

/// splitmix64's finaliser: a fast, well-mixed 64-bit permutation.
fn mix(mut z: u64) -> u64 {
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

impl MinHasher {
    /// A hasher whose bands suit `threshold` (estimated Jaccard similarity).
    pub fn new(threshold: f64) -> Self {
        let (bands, rows) = bands_for(threshold, PERMUTATIONS);
        let seeds = (0..PERMUTATIONS as u64)
            .map(|i| mix(0x9e37_79b9_7f4a_7c15 ^ (i + 1)))
            .collect();
        MinHasher { seeds, bands, rows }
    }

    /// Bands and rows per band.
    pub fn banding(&self) -> (usize, usize) {
        (self.bands, self.rows)
    }

    /// The signature of a normalised text, or `None` when it is too short to compare.
    pub fn signature(&self, normalized: &str) -> Option<Signature> {
        let chars = shingle_chars(normalized);
        if chars.len() < SHINGLE + MIN_SHINGLES - 1 {
            return None;
        }
        let mut shingles: Vec<u64> = chars
            .windows(SHINGLE)
            .map(|w| mix(w.iter().fold(0u64, |h, &c| h.rotate_left(21) ^ c as u64)))
            .collect();
        shingles.sort_unstable();
        shingles.dedup();
        let mut sig = vec![u32::MAX; PERMUTATIONS];
        for &s in &shingles {
            for (slot, &seed) in sig.iter_mut().zip(&self.seeds) {
                let h = mix(s ^ seed) as u32;
                if h < *slot {
                    *slot = h;
                }
            }
        }
        Some(sig)
    }

    /// One key per band: the band's number and a hash of its rows.
    pub fn band_keys<'a>(&'a self, sig: &'a [u32]) -> impl Iterator<Item = (usize, u64)> + 'a {
        (0..self.bands).map(|band| (band, self.band_key(sig, band)))
    }

    /// Band `band`'s key of `sig`: a hash of the band's number and its rows.
    pub fn band_key(&self, sig: &[u32], band: usize) -> u64 {
        sig[band * self.rows..(band + 1) * self.rows]
            .iter()
            .fold(mix(band as u64 + 1), |h, &r| mix(h ^ r as u64))
    }

    /// The band keys as text, `b<band>:<hex>`, for grouping elsewhere.
    pub fn band_strings(&self, sig: &[u32]) -> Vec<String> {
        self.band_keys(sig)
            .map(|(band, h)| format!("b{band}:{h:016x}"))
            .collect()
    }
}

/// The estimated Jaccard similarity of two signatures: the share of equal positions.
pub fn similarity(a: &[u32], b: &[u32]) -> f64 {
    let same = a.iter().zip(b).filter(|(x, y)| x == y).count();
    same as f64 / a.len().max(1) as f64
}

/// The characters shingled: letters, CJK and digits of the normalised text, each digit run
/// as one `0`.
fn shingle_chars(normalized: &str) -> Vec<char> {
    let mut out = Vec::with_capacity(normalized.len() / 2);
    let mut in_digits = false;
    for ch in normalized.chars() {
        if ch.is_ascii_digit() {
            if !in_digits {
                out.push('0');
            }
            in_digits = true;
            continue;
        }
        in_digits = false;
        if ch.is_alphabetic() {
            out.push(ch);
        }
    }
    out
}

/// Bands and rows (bands x rows = `perms`) minimising the chance of missing a pair at or
/// above `threshold` plus the chance of a candidate pair below it, equally weighted (the
/// choice datasketch's MinHashLSH makes).
fn bands_for(threshold: f64, perms: usize) -> (usize, usize) {
    let integrate = |f: &dyn Fn(f64) -> f64, a: f64, b: f64| {
        let steps = 200;
        let dx = (b - a) / steps as f64;
        (0..steps)
            .map(|i| f(a + (i as f64 + 0.5) * dx) * dx)
            .sum::<f64>()
    };
    let mut best = (perms, 1);
    let mut best_error = f64::MAX;
    for rows in (1..=perms).filter(|&r| perms.is_multiple_of(r)) {
        let bands = perms / rows;
        let candidate = |s: f64| 1.0 - (1.0 - s.powi(rows as i32)).powi(bands as i32);
        let false_positive = integrate(&candidate, 0.0, threshold);
        let false_negative = integrate(&|s| 1.0 - candidate(s), threshold, 1.0);
        let error = 0.5 * false_positive + 0.5 * false_negative;
        if error < best_error {
            best_error = error;
            best = (bands, rows);
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn digits_and_punctuation_do_not_change_the_signature() {
        let h = MinHasher::new(0.5);
        let a = h.signature("本人在平台借款5000元，要求全部退还利息，否则投诉到银保监会");
        let b = h.signature("本人在平台借款12000元！要求全部退还利息。否则投诉到银保监会");
        assert_eq!(a, b);
        assert!(a.is_some());
    }

    #[test]
    fn short_texts_have_no_signature() {
        assert_eq!(MinHasher::new(0.5).signature("好的，谢谢"), None);
    }

    #[test]
    fn similarity_tracks_overlap() {
        let h = MinHasher::new(0.5);
        let a = h
            .signature("我要投诉这个平台暴力催收，天天打电话骚扰我的家人和同事")
            .unwrap();
        let b = h
            .signature("我要投诉这个平台暴力催收，天天打电话骚扰我的父母和朋友")
            .unwrap();
        let c = h
            .signature("今天去超市买了苹果和香蕉，晚上做了水果沙拉给孩子们吃")
            .unwrap();
        assert!(similarity(&a, &b) > 0.5, "{}", similarity(&a, &b));
        assert!(similarity(&a, &c) < 0.1, "{}", similarity(&a, &c));
    }

    #[test]
    fn bands_follow_the_threshold() {
        let (b_low, r_low) = bands_for(0.3, 64);
        let (b_high, r_high) = bands_for(0.8, 64);
        assert_eq!(b_low * r_low, 64);
        assert!(r_high > r_low && b_high < b_low);
    }

    #[test]
    fn band_keys_are_stable() {
        let h = MinHasher::new(0.5);
        let sig = h
            .signature("我要投诉这个平台暴力催收，天天打电话骚扰我的家人")
            .unwrap();
        let keys = h.band_strings(&sig);
        assert_eq!(keys.len(), h.banding().0);
        assert!(keys[0].starts_with("b0:") && keys[0].len() == 3 + 16);
        assert_eq!(keys, h.band_strings(&sig));
    }
}
