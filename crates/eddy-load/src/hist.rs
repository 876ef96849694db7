//! A log-linear latency histogram (HdrHistogram-like, no dependencies).
//!
//! Values below 128 are recorded exactly; above, each power of two is split
//! into 64 linear sub-buckets, so any reported value is within 1/64 (< 1.6%)
//! of the true one, and usually within half that. Min, max, count and sum are
//! exact. Recording is a few instructions and never allocates.

const SUB_BITS: u32 = 6;
const SUB: u64 = 1 << SUB_BITS; // 64
const EXACT: u64 = 2 * SUB; // 128: values below are their own bucket
const BUCKETS: usize = ((63 - SUB_BITS as usize) << SUB_BITS as usize) + 2 * SUB as usize;

#[derive(Clone)]
pub struct Histogram {
    counts: Box<[u64]>,
    count: u64,
    sum: u128,
    min: u64,
    max: u64,
}

impl Default for Histogram {
    fn default() -> Self {
        Self::new()
    }
}

/// Bucket index of `v`.
fn index(v: u64) -> usize {
    if v < EXACT {
        v as usize
    } else {
        let exp = 63 - v.leading_zeros(); // >= 7
        let shift = exp - SUB_BITS; // v >> shift is in [64, 128)
        ((shift as u64) << SUB_BITS) as usize + (v >> shift) as usize
    }
}

/// Lowest and highest value of bucket `i`.
fn bounds(i: usize) -> (u64, u64) {
    let i = i as u64;
    if i < EXACT {
        (i, i)
    } else {
        let shift = (i >> SUB_BITS) - 1;
        let mantissa = (i & (SUB - 1)) + SUB;
        let low = mantissa << shift;
        (low, low + ((1u64 << shift) - 1))
    }
}

impl Histogram {
    pub fn new() -> Self {
        Histogram {
            counts: vec![0; BUCKETS].into_boxed_slice(),
            count: 0,
            sum: 0,
            min: u64::MAX,
            max: 0,
        }
    }

    #[inline]
    pub fn record(&mut self, v: u64) {
        self.counts[index(v)] += 1;
        self.count += 1;
        self.sum += v as u128;
        self.min = self.min.min(v);
        self.max = self.max.max(v);
    }

    pub fn merge(&mut self, other: &Histogram) {
        for (a, b) in self.counts.iter_mut().zip(other.counts.iter()) {
            *a += *b;
        }
        self.count += other.count;
        self.sum += other.sum;
        self.min = self.min.min(other.min);
        self.max = self.max.max(other.max);
    }

    pub fn count(&self) -> u64 {
        self.count
    }

    pub fn min(&self) -> u64 {
        if self.count == 0 { 0 } else { self.min }
    }

    pub fn max(&self) -> u64 {
        self.max
    }

    pub fn mean(&self) -> f64 {
        if self.count == 0 {
            0.0
        } else {
            self.sum as f64 / self.count as f64
        }
    }

    /// The value at quantile `q` in [0, 1]: the smallest recorded value such
    /// that at least `q` of all values are at or below it (nearest rank),
    /// reported as the middle of its bucket and clamped to [min, max].
    pub fn quantile(&self, q: f64) -> u64 {
        if self.count == 0 {
            return 0;
        }
        let rank = ((q.clamp(0.0, 1.0) * self.count as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= rank {
                let (lo, hi) = bounds(i);
                return (lo + (hi - lo) / 2).clamp(self.min, self.max);
            }
        }
        self.max
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_are_contiguous_and_cover_u64() {
        let mut next = 0u64;
        for i in 0..BUCKETS {
            let (lo, hi) = bounds(i);
            assert_eq!(lo, next, "bucket {i}");
            assert!(hi >= lo);
            assert_eq!(index(lo), i);
            assert_eq!(index(hi), i);
            next = hi.wrapping_add(1);
        }
        assert_eq!(next, 0, "last bucket ends at u64::MAX");
        assert_eq!(index(u64::MAX), BUCKETS - 1);
    }

    #[test]
    fn relative_error_is_bounded() {
        for v in [128u64, 1000, 12_345, 999_999, 123_456_789, u64::MAX / 3] {
            let (lo, hi) = bounds(index(v));
            assert!((hi - lo) as f64 / lo as f64 <= 1.0 / 64.0, "{v}");
        }
    }

    #[test]
    fn exact_small_values_and_stats() {
        let mut h = Histogram::new();
        assert_eq!(h.quantile(0.5), 0);
        for v in 1..=100 {
            h.record(v);
        }
        assert_eq!(h.count(), 100);
        assert_eq!(h.min(), 1);
        assert_eq!(h.max(), 100);
        assert_eq!(h.mean(), 50.5);
        assert_eq!(h.quantile(0.0), 1);
        assert_eq!(h.quantile(0.5), 50);
        assert_eq!(h.quantile(0.9), 90);
        assert_eq!(h.quantile(0.99), 99);
        assert_eq!(h.quantile(1.0), 100);
    }

    #[test]
    fn quantiles_of_large_values_are_close() {
        let mut h = Histogram::new();
        // 1..=10000 microseconds in nanoseconds
        for v in 1..=10_000u64 {
            h.record(v * 1000);
        }
        for (q, want) in [
            (0.5, 5_000_000f64),
            (0.9, 9_000_000.0),
            (0.999, 9_990_000.0),
        ] {
            let got = h.quantile(q) as f64;
            assert!((got - want).abs() / want < 0.01, "q{q}: {got} vs {want}");
        }
        assert_eq!(h.quantile(1.0), 10_000_000);
        assert_eq!(h.max(), 10_000_000);
    }

    #[test]
    fn merge_adds_up() {
        let mut a = Histogram::new();
        let mut b = Histogram::new();
        for v in 0..1000 {
            a.record(v);
            b.record(v + 1000);
        }
        a.merge(&b);
        assert_eq!(a.count(), 2000);
        assert_eq!(a.min(), 0);
        assert_eq!(a.max(), 1999);
        let median = a.quantile(0.5) as f64;
        assert!((median - 999.0).abs() / 999.0 < 0.01, "{median}");
        // merging an empty histogram changes nothing
        a.merge(&Histogram::new());
        assert_eq!(a.min(), 0);
        assert_eq!(a.count(), 2000);
    }
}
