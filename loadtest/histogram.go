package loadtest

import (
	"math"
	"math/bits"
	"sync/atomic"
	"time"
)

// The latency histogram is log-linear: durations below 128 ns have a bucket each; above,
// every power of two is split into 128 equal buckets, so a bucket is at most 1/128 of its
// lower bound wide and a quantile reported as its bucket's midpoint is within 0.4 % of
// the true value. Durations of 2^43 ns (about 2 h 27 min) and more share one overflow
// bucket, whose quantiles are reported as the exact maximum. The size is fixed (4,737
// buckets, 37 KiB) whatever the number of observations: aggregation never grows with
// the number of deliveries.
const (
	histSubBits = 7
	histSub     = 1 << histSubBits // buckets per power of two
	histTopExp  = 43               // 2^43 ns and above land in the overflow bucket
	// 128 exact buckets below 2^7, 128 for each power of two from 2^7 to 2^42, and the
	// overflow bucket.
	histBuckets  = (histTopExp-histSubBits+1)*histSub + 1
	histOverflow = histBuckets - 1
)

// histIndex is the bucket of a duration in nanoseconds.
func histIndex(v uint64) int {
	if v < histSub {
		return int(v)
	}
	e := bits.Len64(v) - 1 // position of the leading one, >= histSubBits
	if e >= histTopExp {
		return histOverflow
	}
	sub := int(v>>uint(e-histSubBits)) & (histSub - 1)
	return (e-histSubBits+1)*histSub + sub
}

// histBounds returns the smallest value of bucket i and its width, in nanoseconds (for
// the overflow bucket, 2^43 and the width of the octave above).
func histBounds(i int) (lower, width uint64) {
	if i < histSub {
		return uint64(i), 1
	}
	e := i/histSub - 1 + histSubBits
	sub := uint64(i % histSub)
	return (histSub + sub) << uint(e-histSubBits), 1 << uint(e-histSubBits)
}

// latencyHistogram aggregates durations. Observe is lock-free and safe for concurrent use
// with every other method.
type latencyHistogram struct {
	buckets [histBuckets]atomic.Int64
	count   atomic.Int64
	sum     atomic.Int64 // nanoseconds; saturates rather than wraps
	max     atomic.Int64
	min     atomic.Uint64 // stored as value+1 so that zero means "none yet"
}

// Observe adds one duration (negative durations count as zero).
func (h *latencyHistogram) Observe(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.buckets[histIndex(uint64(d))].Add(1)
	h.count.Add(1)
	if s := h.sum.Add(int64(d)); s < 0 {
		h.sum.Store(math.MaxInt64)
	}
	for {
		m := h.max.Load()
		if int64(d) <= m || h.max.CompareAndSwap(m, int64(d)) {
			break
		}
	}
	m1 := uint64(d) + 1 // at most 2^63: no wrap
	for {
		m := h.min.Load()
		if (m != 0 && m1 >= m) || h.min.CompareAndSwap(m, m1) {
			break
		}
	}
}

// Snapshot copies the histogram's current state.
func (h *latencyHistogram) Snapshot() histogramSnapshot {
	var s histogramSnapshot
	for i := range h.buckets {
		s.buckets[i] = h.buckets[i].Load()
	}
	s.count, s.sum, s.max = h.count.Load(), h.sum.Load(), h.max.Load()
	if m := h.min.Load(); m > 0 {
		s.min = int64(m - 1)
	}
	return s
}

// Take copies the histogram's state into s and zeroes it, bucket by bucket with atomic
// swaps: an observation made meanwhile is counted either in s or in what stays, never
// lost and never twice. s.count is recomputed from the buckets so the snapshot is
// self-consistent.
func (h *latencyHistogram) Take(s *histogramSnapshot) {
	var n int64
	for i := range h.buckets {
		v := h.buckets[i].Swap(0)
		s.buckets[i] = v
		n += v
	}
	h.count.Add(-n)
	s.count = n
	s.sum = h.sum.Swap(0)
	s.max = h.max.Swap(0)
	s.min = 0
	if m := h.min.Swap(0); m > 0 {
		s.min = int64(m - 1)
	}
}

// histogramSnapshot is a plain copy of a histogram, for computing quantiles.
type histogramSnapshot struct {
	buckets  [histBuckets]int64
	count    int64
	sum      int64
	max, min int64
}

// Quantile returns the q-th quantile (0 < q <= 1): the midpoint of the bucket holding the
// ceil(q*count)-th smallest value, clamped to the observed minimum and maximum (the
// maximum for the overflow bucket). It is 0 when nothing was observed; q >= 1 gives the
// exact maximum.
func (s *histogramSnapshot) Quantile(q float64) time.Duration {
	if s.count <= 0 {
		return 0
	}
	if q >= 1 {
		return time.Duration(s.max)
	}
	rank := int64(math.Ceil(q * float64(s.count)))
	rank = max(rank, 1)
	var seen int64
	for i := range s.buckets {
		seen += s.buckets[i]
		if seen >= rank {
			if i == histOverflow {
				return time.Duration(s.max)
			}
			lo, w := histBounds(i)
			v := int64(lo + w/2)
			if w == 1 {
				v = int64(lo)
			}
			return time.Duration(min(max(v, s.min), s.max))
		}
	}
	return time.Duration(s.max)
}

// Mean is the arithmetic mean (0 when nothing was observed).
func (s *histogramSnapshot) Mean() time.Duration {
	if s.count <= 0 {
		return 0
	}
	return time.Duration(s.sum / s.count)
}

// Summary condenses the snapshot.
func (s *histogramSnapshot) Summary() LatencySummary {
	return LatencySummary{
		Count: s.count, Mean: s.Mean(), P50: s.Quantile(0.50), P90: s.Quantile(0.90), P95: s.Quantile(0.95),
		P99: s.Quantile(0.99), P999: s.Quantile(0.999), Max: time.Duration(s.max), Min: time.Duration(s.min),
	}
}

// LatencySummary is a latency distribution in wall time. Quantiles are within 0.4 % of
// the exact value below 2^43 ns, about 2 h 27 min (see the histogram); Max and Min are
// exact.
type LatencySummary struct {
	Count int64         `json:"count"`
	Mean  time.Duration `json:"mean"`
	P50   time.Duration `json:"p50"`
	P90   time.Duration `json:"p90"`
	P95   time.Duration `json:"p95"`
	P99   time.Duration `json:"p99"`
	P999  time.Duration `json:"p999"`
	Max   time.Duration `json:"max"`
	Min   time.Duration `json:"min"`
}
