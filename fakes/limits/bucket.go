package limits

import (
	"math"
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// fluid is the arithmetic both buckets share: an amount available that refills
// continuously at rate per second up to capacity. A leaky bucket's fill level is
// capacity minus available. Amounts are kept in billionths of a unit so that refills
// are exact integers for integral rates: 2 requests/s for 500 ms is exactly one request.
type fluid struct {
	capacity  int64   // nano-units
	rate      float64 // units per second = nano-units per nanosecond
	available int64   // nano-units
	at        time.Time
}

const nano = 1e9

func newFluid(capacity, rate float64, now time.Time) fluid {
	c := int64(math.Round(capacity * nano))
	return fluid{capacity: c, rate: rate, available: c, at: now}
}

func (f *fluid) refill(now time.Time) {
	dt := now.Sub(f.at)
	if dt <= 0 {
		return
	}
	f.at = now
	missing := f.capacity - f.available
	if missing <= 0 || f.rate <= 0 {
		return
	}
	if float64(dt) >= float64(missing)/f.rate {
		f.available = f.capacity
		return
	}
	f.available += int64(math.Round(f.rate * float64(dt)))
	f.available = min(f.available, f.capacity)
}

// take removes n units if available.
func (f *fluid) take(n float64) bool {
	need := int64(math.Round(n * nano))
	if f.available < need {
		return false
	}
	f.available -= need
	return true
}

func (f *fluid) give(n float64) {
	f.available = min(f.capacity, f.available+int64(math.Round(n*nano)))
}

// wait is how long until n units are available.
func (f *fluid) wait(n float64) time.Duration {
	short := int64(math.Round(n*nano)) - f.available
	if short <= 0 {
		return 0
	}
	if f.rate <= 0 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(math.Ceil(float64(short) / f.rate))
}

func (f *fluid) units(v int64) float64 { return float64(v) / nano }

func (f *fluid) reconfigure(capacity, rate float64, keepUsed bool) {
	c := int64(math.Round(capacity * nano))
	if keepUsed {
		f.available = max(0, c-(f.capacity-f.available))
	} else {
		f.available = min(f.available, c)
	}
	f.capacity, f.rate = c, rate
}

// LeakyBucket limits requests the way Shopify's REST Admin API does: each request adds
// one to the bucket, the bucket leaks Rate requests per second, and a request that would
// overflow Capacity is refused. Shopify Plus is Capacity 400, Rate 20.
type LeakyBucket struct {
	mu    sync.Mutex
	clock clock.Clock
	f     fluid
}

// NewLeakyBucket returns an empty bucket.
func NewLeakyBucket(c clock.Clock, capacity int, ratePerSecond float64) *LeakyBucket {
	return &LeakyBucket{clock: c, f: newFluid(float64(capacity), ratePerSecond, c.Now())}
}

// BucketDecision is the outcome of one request against a leaky bucket.
type BucketDecision struct {
	Allowed bool
	// Used is the fill level after the decision, rounded up, as Shopify reports it in
	// X-Shopify-Shop-Api-Call-Limit ("Used/Capacity").
	Used     int
	Capacity int
	// RetryAfter is how long until one more request fits; zero when Allowed.
	RetryAfter time.Duration
}

// Take adds one request to the bucket if it fits.
func (b *LeakyBucket) Take() BucketDecision {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.f.refill(b.clock.Now())
	d := BucketDecision{Capacity: int(b.f.units(b.f.capacity))}
	if b.f.take(1) {
		d.Allowed = true
	} else {
		d.RetryAfter = b.f.wait(1)
	}
	d.Used = int(math.Ceil(b.f.units(b.f.capacity - b.f.available)))
	return d
}

// Configure changes capacity and rate; the current fill level is kept (clamped).
func (b *LeakyBucket) Configure(capacity int, ratePerSecond float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.f.refill(b.clock.Now())
	b.f.reconfigure(float64(capacity), ratePerSecond, true)
}

// Reset empties the bucket.
func (b *LeakyBucket) Reset() {
	b.mu.Lock()
	b.f.available, b.f.at = b.f.capacity, b.clock.Now()
	b.mu.Unlock()
}

// CostBucket limits calculated query cost the way Shopify's GraphQL Admin API does: a
// query is charged its requested cost before it runs and refused whole (THROTTLED) if
// fewer points are available; after it runs the difference between requested and actual
// cost is refunded. Points restore at Rate per second up to Capacity. Shopify Plus is
// Capacity 20000, Rate 1000.
type CostBucket struct {
	mu    sync.Mutex
	clock clock.Clock
	f     fluid
}

// NewCostBucket returns a full bucket.
func NewCostBucket(c clock.Clock, capacity, restorePerSecond float64) *CostBucket {
	return &CostBucket{clock: c, f: newFluid(capacity, restorePerSecond, c.Now())}
}

// ThrottleStatus is Shopify's extensions.cost.throttleStatus.
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable int     `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// Charge takes cost points if that many are available. On refusal nothing is charged
// and wait says how long until cost points will be available.
func (b *CostBucket) Charge(cost int) (ok bool, status ThrottleStatus, wait time.Duration) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.f.refill(b.clock.Now())
	if b.f.take(float64(cost)) {
		ok = true
	} else {
		wait = b.f.wait(float64(cost))
	}
	return ok, b.statusLocked(), wait
}

// Refund returns points (requested minus actual cost), never above capacity.
func (b *CostBucket) Refund(points int) ThrottleStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.f.refill(b.clock.Now())
	if points > 0 {
		b.f.give(float64(points))
	}
	return b.statusLocked()
}

// Status reports the bucket without charging it.
func (b *CostBucket) Status() ThrottleStatus {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.f.refill(b.clock.Now())
	return b.statusLocked()
}

// currentlyAvailable is floored: Shopify never reports points that have not fully restored.
func (b *CostBucket) statusLocked() ThrottleStatus {
	return ThrottleStatus{MaximumAvailable: b.f.units(b.f.capacity), CurrentlyAvailable: int(b.f.available / nano), RestoreRate: b.f.rate}
}

// Configure changes capacity and restore rate (Shopify may temporarily reduce limits);
// points available are clamped to the new capacity.
func (b *CostBucket) Configure(capacity, restorePerSecond float64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.f.refill(b.clock.Now())
	b.f.reconfigure(capacity, restorePerSecond, false)
}

// Reset fills the bucket.
func (b *CostBucket) Reset() {
	b.mu.Lock()
	b.f.available, b.f.at = b.f.capacity, b.clock.Now()
	b.mu.Unlock()
}
