//! Collection statistics: counts, pause times (with a histogram for percentiles) and sizes,
//! printed at exit with `SOLVRA_GC_STATS=1`.

use super::HeapInfo;
use std::time::Duration;

/// Pause-time histogram: exact below 16 ns, then 16 buckets per power of two (at most 6.25%
/// wide), so percentiles need no list of every pause.
#[derive(Clone, Debug, Default)]
struct Histogram {
    counts: Vec<u64>,
}

const SUB: usize = 16;

fn bucket(nanos: u64) -> usize {
    if nanos < SUB as u64 {
        return nanos as usize;
    }
    let e = 63 - nanos.leading_zeros() as usize; // >= 4
    let sub = ((nanos >> (e - 4)) & (SUB as u64 - 1)) as usize;
    (e - 3) * SUB + sub
}

/// The largest value that falls in bucket `i`.
fn bucket_max(i: usize) -> u64 {
    if i < SUB {
        return i as u64;
    }
    let e = i / SUB + 3;
    let sub = (i % SUB) as u64;
    let lower = (SUB as u64 + sub) << (e - 4);
    lower + (1u64 << (e - 4)) - 1
}

impl Histogram {
    fn add(&mut self, nanos: u64) {
        if self.counts.is_empty() {
            self.counts = vec![0; 64 * SUB];
        }
        self.counts[bucket(nanos)] += 1;
    }

    /// Upper bound of the `p`-quantile (0 < p <= 1) of `n` recorded values.
    fn quantile(&self, p: f64, n: u64) -> u64 {
        if n == 0 {
            return 0;
        }
        let want = ((p * n as f64).ceil() as u64).max(1);
        let mut seen = 0;
        for (i, &c) in self.counts.iter().enumerate() {
            seen += c;
            if seen >= want {
                return bucket_max(i);
            }
        }
        0
    }
}

/// Collection statistics of one thread's heap.
#[derive(Clone, Debug, Default)]
pub struct GcStats {
    pub collections: u64,
    pub total_pause: Duration,
    pub max_pause: Duration,
    pub freed_objects: u64,
    pub freed_bytes: u64,
    /// The largest heap size (accounted bytes) at the start of a collection.
    pub peak_bytes: usize,
    /// Accounted bytes right after the last collection (the live heap then).
    pub last_live_bytes: usize,
    /// The most memory ever obtained from the system (blocks + large objects).
    pub peak_reserved: usize,
    pauses: Histogram,
}

impl GcStats {
    pub(crate) fn record(
        &mut self,
        pause: Duration,
        before: usize,
        after: usize,
        freed_objects: u64,
        freed_bytes: usize,
        reserved: usize,
    ) {
        self.collections += 1;
        self.total_pause += pause;
        self.max_pause = self.max_pause.max(pause);
        self.freed_objects += freed_objects;
        self.freed_bytes += freed_bytes as u64;
        self.peak_bytes = self.peak_bytes.max(before);
        self.last_live_bytes = after;
        self.peak_reserved = self.peak_reserved.max(reserved);
        self.pauses
            .add(pause.as_nanos().min(u64::MAX as u128) as u64);
    }

    pub fn mean_pause(&self) -> Duration {
        if self.collections == 0 {
            return Duration::ZERO;
        }
        Duration::from_nanos((self.total_pause.as_nanos() / self.collections as u128) as u64)
    }

    /// The `p`-quantile of the pause times (e.g. 0.99), rounded up to its histogram bucket
    /// (within 6.25%) and never above the maximum.
    pub fn pause_quantile(&self, p: f64) -> Duration {
        Duration::from_nanos(self.pauses.quantile(p, self.collections)).min(self.max_pause)
    }

    /// The report `SOLVRA_GC_STATS=1` prints: two lines, no trailing newline.
    pub fn report(&self, info: &HeapInfo) -> String {
        let ms = |d: Duration| d.as_secs_f64() * 1e3;
        format!(
            "gc: {} collections; pause mean {:.3} ms, p99 {:.3} ms, max {:.3} ms, total {:.3} ms\n\
             gc: heap {} bytes now, {} bytes live after the last collection, {} bytes peak; \
             reserved {} bytes now ({} blocks, {} large objects), {} bytes peak; freed {} objects, {} bytes",
            self.collections,
            ms(self.mean_pause()),
            ms(self.pause_quantile(0.99)),
            ms(self.max_pause),
            ms(self.total_pause),
            info.bytes,
            self.last_live_bytes,
            self.peak_bytes.max(info.bytes),
            info.reserved_bytes,
            info.blocks + info.empty_blocks,
            info.large_objects,
            self.peak_reserved.max(info.reserved_bytes),
            self.freed_objects,
            self.freed_bytes
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn buckets_cover_values_tightly() {
        for v in (0..5000u64).chain([1 << 20, 123_456_789, u64::MAX / 3]) {
            let b = bucket(v);
            assert!(bucket_max(b) >= v, "{v}");
            if b > 0 {
                assert!(bucket_max(b - 1) < v, "{v}");
            }
            assert!(bucket_max(b) - v <= v / 16 + 1, "{v}");
        }
    }

    #[test]
    fn quantiles() {
        let mut s = GcStats::default();
        for i in 1..=100u64 {
            let d = Duration::from_micros(i * 10);
            s.record(d, 0, 0, 0, 0, 0);
        }
        assert_eq!(s.collections, 100);
        let p99 = s.pause_quantile(0.99);
        assert!(p99 >= Duration::from_micros(990) && p99 <= Duration::from_micros(1000));
        assert_eq!(s.pause_quantile(1.0), Duration::from_micros(1000));
        assert!(s.mean_pause() >= Duration::from_micros(504));
        assert!(s.report(&HeapInfo::default()).contains("100 collections"));
    }
}
