package report

import (
	"math"
	"time"
)

// MaxDrawnPoints caps the points drawn for one series of an HTML chart. Longer series
// are thinned to the minimum and maximum of each of MaxDrawnPoints/2 equal slices, so
// spikes and dips survive; a slice with no known value is a gap.
const MaxDrawnPoints = 1000

// MaxEmbeddedPoints caps the points of the report copy embedded in the HTML page; a
// longer series is merged into this many intervals (see thinSeries).
const MaxEmbeddedPoints = 1000

// sample is one point of a drawn line; gap breaks the line.
type sample struct {
	x, y float64
	gap  bool
}

// downsample thins the series (xs[i], ys[i]) to at most limit samples. An unknown
// value (known[i] false) is a gap; in a thinned series only a slice with no known
// value at all is.
func downsample(xs, ys []float64, known []bool, limit int) []sample {
	n := len(xs)
	if n <= limit {
		out := make([]sample, n)
		for i := range xs {
			out[i] = sample{x: xs[i], y: ys[i], gap: !known[i]}
		}
		return out
	}
	buckets := max(limit/2, 1)
	out := make([]sample, 0, limit)
	for b := 0; b < buckets; b++ {
		lo, hi := b*n/buckets, (b+1)*n/buckets
		lowAt, highAt := -1, -1
		for i := lo; i < hi; i++ {
			if !known[i] {
				continue
			}
			if lowAt < 0 || ys[i] < ys[lowAt] {
				lowAt = i
			}
			if highAt < 0 || ys[i] > ys[highAt] {
				highAt = i
			}
		}
		switch {
		case lowAt < 0:
			out = append(out, sample{x: xs[lo], gap: true})
		case lowAt == highAt:
			out = append(out, sample{x: xs[lowAt], y: ys[lowAt]})
		default:
			a, c := min(lowAt, highAt), max(lowAt, highAt)
			out = append(out, sample{x: xs[a], y: ys[a]}, sample{x: xs[c], y: ys[c]})
		}
	}
	return out
}

// thinSeries merges a series longer than limit into at most limit intervals of equal
// point count, for the copy of the report embedded in the HTML page. A merged point
// ends where its last point ends and takes its phase; rates are the mean of the known
// values, latency percentiles (acks and order → ERP), oldest message age, queue depth,
// DLQ, ERP concurrency in use, waiters and share, and the points waited for the largest
// (an upper bound), Shopify's bucket level the smallest, the ERP limit and the bucket size
// the last known. A value unknown (-1) in every merged point stays unknown.
func thinSeries(pts []Point, limit int) []Point {
	n := len(pts)
	if n <= limit {
		return pts
	}
	out := make([]Point, 0, limit)
	for b := 0; b < limit; b++ {
		group := pts[b*n/limit : (b+1)*n/limit]
		if len(group) == 0 {
			continue
		}
		last := group[len(group)-1]
		m := Point{T: last.T, PlatformT: last.PlatformT, Phase: last.Phase, ERPLimit: last.ERPLimit,
			ShopifyBucketMax: last.ShopifyBucketMax}
		var sums [10]float64
		var counts [10]int
		mean := func(k int, v float64) {
			if v >= 0 && !math.IsNaN(v) && !math.IsInf(v, 0) {
				sums[k] += v
				counts[k]++
			}
		}
		m.AckP50, m.AckP90, m.AckP99 = -1, -1, -1
		m.QueueDepth, m.DLQ, m.ERPInUse = -1, -1, -1
		m.ERPWaiters, m.ERPShare = -1, -1
		m.OldestMessageAge, m.OrderToERPP50, m.OrderToERPP99, m.ShopifyOwed = -1, -1, -1, -1
		// The bucket's lowest level is the one that explains a wait.
		m.ShopifyBucket = -1
		for _, p := range group {
			mean(8, p.ShopifyRequests)
			mean(9, p.ShopifyThrottled)
			m.ERPWaiters = max(m.ERPWaiters, p.ERPWaiters)
			m.ERPShare = max(m.ERPShare, p.ERPShare)
			m.OldestMessageAge = max(m.OldestMessageAge, p.OldestMessageAge)
			m.OrderToERPP50 = max(m.OrderToERPP50, p.OrderToERPP50)
			m.OrderToERPP99 = max(m.OrderToERPP99, p.OrderToERPP99)
			m.ShopifyOwed = max(m.ShopifyOwed, p.ShopifyOwed)
			if p.ShopifyBucket >= 0 && (m.ShopifyBucket < 0 || p.ShopifyBucket < m.ShopifyBucket) {
				m.ShopifyBucket = p.ShopifyBucket
			}
			if p.ShopifyBucketMax > 0 {
				m.ShopifyBucketMax = p.ShopifyBucketMax
			}
			mean(0, p.Arrivals)
			mean(1, p.Deliveries)
			mean(2, p.Acks)
			mean(3, p.Failures)
			mean(4, p.ERPWrites)
			mean(5, p.Throttled)
			mean(6, p.Retries)
			mean(7, p.Snoozes)
			m.AckP50 = max(m.AckP50, p.AckP50)
			m.AckP90 = max(m.AckP90, p.AckP90)
			m.AckP99 = max(m.AckP99, p.AckP99)
			m.QueueDepth = max(m.QueueDepth, p.QueueDepth)
			m.DLQ = max(m.DLQ, p.DLQ)
			m.ERPInUse = max(m.ERPInUse, p.ERPInUse)
			m.ERPHeldByOthers = max(m.ERPHeldByOthers, p.ERPHeldByOthers)
			if p.ERPLimit > 0 {
				m.ERPLimit = p.ERPLimit
			}
		}
		avg := func(k int) float64 {
			if counts[k] == 0 {
				return -1
			}
			return sums[k] / float64(counts[k])
		}
		m.Arrivals, m.Deliveries, m.Acks, m.Failures = avg(0), avg(1), avg(2), avg(3)
		m.ERPWrites, m.Throttled, m.Retries, m.Snoozes = avg(4), avg(5), avg(6), avg(7)
		m.ShopifyRequests, m.ShopifyThrottled = avg(8), avg(9)
		out = append(out, m)
	}
	return out
}

// seconds of a report duration as a float, for chart coordinates.
func secs(d Duration) float64 { return float64(d) / float64(time.Second) }
