package loadtest

import (
	"maps"
	"math"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"
	"time"
)

func TestHistogramBucketsTileTheRange(t *testing.T) {
	t.Parallel()
	if histBuckets != 4737 {
		t.Fatalf("%d buckets, the documentation says 4,737", histBuckets)
	}
	next := uint64(0)
	for i := range histOverflow {
		lo, w := histBounds(i)
		if lo != next {
			t.Fatalf("bucket %d starts at %d, want %d (right after bucket %d)", i, lo, next, i-1)
		}
		if histIndex(lo) != i || histIndex(lo+w-1) != i {
			t.Fatalf("bucket %d [%d, %d]: histIndex gives %d and %d", i, lo, lo+w-1, histIndex(lo), histIndex(lo+w-1))
		}
		if i >= histSub && w*histSub > lo {
			t.Fatalf("bucket %d [%d, +%d) is wider than 1/128 of its lower bound", i, lo, w)
		}
		next = lo + w
	}
	if next != 1<<histTopExp {
		t.Fatalf("the last bucket before the overflow ends at %d, want 2^43", next)
	}
	for _, v := range []uint64{1 << histTopExp, 1<<histTopExp + 1, 1 << 50, math.MaxInt64, math.MaxUint64} {
		if got := histIndex(v); got != histOverflow {
			t.Errorf("histIndex(%d) = %d, want the overflow bucket %d", v, got, histOverflow)
		}
	}
}

// exactQuantile is the ceil(q·n)-th smallest value, the order statistic Quantile
// approximates.
func exactQuantile(sorted []time.Duration, q float64) time.Duration {
	rank := max(int(math.Ceil(q*float64(len(sorted)))), 1)
	return sorted[min(rank, len(sorted))-1]
}

func TestHistogramQuantilesAreWithinTheirRelativeError(t *testing.T) {
	t.Parallel()
	r := rand.New(rand.NewPCG(11, 12))
	samples := map[string]func() time.Duration{
		// 1 ns to 1 h, uniform in log: every octave of the histogram.
		"log-uniform": func() time.Duration { return time.Duration(math.Exp(r.Float64() * math.Log(float64(time.Hour)))) },
		"normal 50ms": func() time.Duration {
			return max(time.Duration(r.NormFloat64()*float64(5*time.Millisecond))+50*time.Millisecond, 0)
		},
		"exponential 200µs": func() time.Duration { return time.Duration(r.ExpFloat64() * float64(200*time.Microsecond)) },
		"below 128 ns":      func() time.Duration { return time.Duration(r.IntN(128)) },
		"bimodal": func() time.Duration {
			if r.IntN(100) == 0 {
				return 2*time.Second + time.Duration(r.IntN(int(time.Second)))
			}
			return 10*time.Millisecond + time.Duration(r.IntN(int(time.Millisecond)))
		},
	}
	quantiles := []float64{0.0001, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 0.9999, 1}
	for _, name := range slices.Sorted(maps.Keys(samples)) {
		var h latencyHistogram
		values := make([]time.Duration, 50_000)
		var sum time.Duration
		for i := range values {
			values[i] = samples[name]()
			h.Observe(values[i])
			sum += values[i]
		}
		slices.Sort(values)
		s := h.Snapshot()
		for _, q := range quantiles {
			got, want := s.Quantile(q), exactQuantile(values, q)
			// Within half a bucket: 1/256 of the value; exact below 128 ns.
			if diff := math.Abs(float64(got - want)); diff > float64(want)/256 {
				t.Errorf("%s: Quantile(%v) = %s, exact %s: off by %.3f%%", name, q, got, want, 100*diff/float64(want))
			}
		}
		if s.count != int64(len(values)) || s.Mean() != sum/time.Duration(len(values)) ||
			time.Duration(s.min) != values[0] || time.Duration(s.max) != values[len(values)-1] {
			t.Errorf("%s: count %d mean %s min %d max %d; want %d, %s, %d, %d", name, s.count, s.Mean(), s.min, s.max,
				len(values), sum/time.Duration(len(values)), values[0], values[len(values)-1])
		}
	}
}

func TestHistogramEdges(t *testing.T) {
	t.Parallel()
	var h latencyHistogram
	s := h.Snapshot()
	if s.Quantile(0.5) != 0 || s.Mean() != 0 || s.Summary() != (LatencySummary{}) {
		t.Errorf("empty histogram: %+v", s.Summary())
	}

	h.Observe(-time.Second) // counts as zero
	h.Observe(3 * time.Hour)
	h.Observe(5 * time.Hour)
	s = h.Snapshot()
	got := s.Summary()
	want := LatencySummary{Count: 3, Mean: 8 * time.Hour / 3, P50: 5 * time.Hour, P90: 5 * time.Hour, P95: 5 * time.Hour,
		P99: 5 * time.Hour, P999: 5 * time.Hour, Max: 5 * time.Hour, Min: 0}
	if got != want {
		t.Errorf("summary\n %+v, want\n %+v", got, want)
	}
	// Quantiles of an overflow bucket are the exact maximum; q at or below 0 is the
	// smallest value.
	if q := s.Quantile(0.34); q != 5*time.Hour {
		t.Errorf("Quantile(0.34) = %s, want the maximum 5h", q)
	}
	if q := s.Quantile(0); q != 0 {
		t.Errorf("Quantile(0) = %s, want 0", q)
	}

	var big latencyHistogram
	big.Observe(math.MaxInt64)
	big.Observe(math.MaxInt64)
	s = big.Snapshot()
	if s.max != math.MaxInt64 || s.min != math.MaxInt64 || s.sum != math.MaxInt64 {
		t.Errorf("two largest Durations: min %d max %d sum %d; want the largest Duration, the sum saturated", s.min, s.max, s.sum)
	}
	// The largest Duration as the first value must not hide a smaller later one.
	big.Observe(time.Millisecond)
	if s = big.Snapshot(); s.min != int64(time.Millisecond) {
		t.Errorf("min after 1ms = %d, want 1ms", s.min)
	}
}

func TestHistogramTakeEmptiesIt(t *testing.T) {
	t.Parallel()
	var h latencyHistogram
	for _, d := range []time.Duration{time.Millisecond, 2 * time.Millisecond, 3 * time.Millisecond} {
		h.Observe(d)
	}
	var s histogramSnapshot
	h.Take(&s)
	// P50 is its bucket's midpoint, within 1/256 of 2 ms.
	if got := s.Summary(); got.Count != 3 || got.Min != time.Millisecond || got.Max != 3*time.Millisecond ||
		got.Mean != 2*time.Millisecond || got.P50 < 2*time.Millisecond || got.P50 > 2*time.Millisecond+2*time.Millisecond/256 {
		t.Errorf("taken summary %+v", got)
	}
	after := h.Snapshot()
	if after.Summary() != (LatencySummary{}) {
		t.Errorf("after Take: %+v, want an empty histogram", after.Summary())
	}
	h.Observe(time.Second)
	h.Take(&s)
	if got := s.Summary(); got.Count != 1 || got.Min != time.Second || got.Max != time.Second {
		t.Errorf("second window %+v, want only the 1s", got)
	}
}

// Observations made while windows are taken land in exactly one window.
func TestHistogramConcurrentObserveAndTake(t *testing.T) {
	t.Parallel()
	var h latencyHistogram
	const workers, each = 8, 2000
	var wg sync.WaitGroup
	for w := range workers {
		wg.Go(func() {
			for i := range each {
				h.Observe(time.Duration(w*each+i) * time.Microsecond)
			}
		})
	}
	done := make(chan struct{})
	var taken int64
	go func() {
		defer close(done)
		var s histogramSnapshot
		for range 50 {
			h.Take(&s)
			taken += s.count
		}
	}()
	wg.Wait()
	<-done
	var s histogramSnapshot
	h.Take(&s)
	if got := taken + s.count; got != workers*each {
		t.Errorf("windows counted %d observations, want %d", got, workers*each)
	}
	if n := h.count.Load(); n != 0 {
		t.Errorf("count after the last Take = %d, want 0", n)
	}
}

func BenchmarkHistogramObserve(b *testing.B) {
	var h latencyHistogram
	values := make([]time.Duration, 1024)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range values {
		values[i] = time.Duration(r.ExpFloat64() * float64(20*time.Millisecond))
	}
	b.Run("serial", func(b *testing.B) {
		i := 0
		for b.Loop() {
			h.Observe(values[i&1023])
			i++
		}
	})
	b.Run("parallel", func(b *testing.B) {
		b.RunParallel(func(pb *testing.PB) {
			i := 0
			for pb.Next() {
				h.Observe(values[i&1023])
				i++
			}
		})
	})
}
