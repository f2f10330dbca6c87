package salesforce

import (
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// rollingCounter counts units (Bulk API batches, ingested records) over a rolling
// period of platform time, in one-second slots, so a unit leaves the window between
// period and period+1s after it was counted. Unlike limits.DailyAllocation it takes
// many units at once, all or none. It is safe for concurrent use.
type rollingCounter struct {
	mu     sync.Mutex
	clock  clock.Clock
	period time.Duration
	origin time.Time
	slots  []slotUnits // oldest first
	used   int64
}

type slotUnits struct {
	slot  int64
	units int64
}

func newRollingCounter(c clock.Clock, period time.Duration) *rollingCounter {
	return &rollingCounter{clock: c, period: period, origin: c.Now()}
}

// take counts n units if used+n stays within limit (limit <= 0: unlimited) and reports
// whether it did.
func (r *rollingCounter) take(n, limit int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	s := r.expireLocked()
	if limit > 0 && r.used+n > limit {
		return false
	}
	if k := len(r.slots); k > 0 && r.slots[k-1].slot == s {
		r.slots[k-1].units += n
	} else {
		r.slots = append(r.slots, slotUnits{slot: s, units: n})
	}
	r.used += n
	return true
}

// inUse is the number of units counted in the window now.
func (r *rollingCounter) inUse() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.expireLocked()
	return r.used
}

func (r *rollingCounter) reset() {
	r.mu.Lock()
	r.slots, r.used = nil, 0
	r.mu.Unlock()
}

func (r *rollingCounter) expireLocked() int64 {
	now := r.clock.Now()
	s := int64(now.Sub(r.origin) / time.Second)
	if now.Before(r.origin) {
		s = -1 - int64(r.origin.Sub(now)/time.Second)
	}
	perPeriod := int64(r.period / time.Second)
	drop := 0
	for drop < len(r.slots) && r.slots[drop].slot <= s-perPeriod {
		r.used -= r.slots[drop].units
		drop++
	}
	if drop > 0 {
		r.slots = append(r.slots[:0], r.slots[drop:]...)
	}
	return s
}
