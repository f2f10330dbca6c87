package limits

import (
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// DailyAllocation is a rolling allocation of calls per Period (24 h for Salesforce's
// daily API request limit): a call is admitted while fewer than Limit calls were admitted
// in the last Period. Refused calls do not count.
//
// Calls are counted in slots of Period/86400 (one second of a 24 h period), so a call
// leaves the allocation between Period and Period+slot after it was made. Memory is one
// counter per slot that saw calls, at most 86,401, whatever the call rate.
type DailyAllocation struct {
	mu    sync.Mutex
	clock clock.Clock
	limit int64
	t     tally
}

// DefaultPeriod is Salesforce's rolling 24 hours.
const DefaultPeriod = 24 * time.Hour

// NewDailyAllocation returns an allocation of limit calls per period (DefaultPeriod if
// period <= 0). A limit of zero or less means unlimited, but usage is still counted.
func NewDailyAllocation(c clock.Clock, limit int64, period time.Duration) *DailyAllocation {
	return &DailyAllocation{clock: c, limit: limit, t: newTally(period, c.Now())}
}

// Usage is the state of the allocation, as Salesforce reports it in
// Sforce-Limit-Info: api-usage=Used/Limit.
type Usage struct {
	Used  int64 `json:"used"`
	Limit int64 `json:"limit"`
}

// Use admits one call if the allocation has room.
func (a *DailyAllocation) Use() (ok bool, u Usage) {
	a.mu.Lock()
	defer a.mu.Unlock()
	ok = a.t.take(a.clock.Now(), 1, a.limit)
	return ok, Usage{Used: a.t.used, Limit: a.limit}
}

// Usage reports the allocation without using it.
func (a *DailyAllocation) Usage() Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.t.expire(a.clock.Now())
	return Usage{Used: a.t.used, Limit: a.limit}
}

// SetLimit changes the allocation; usage is kept.
func (a *DailyAllocation) SetLimit(limit int64) {
	a.mu.Lock()
	a.limit = limit
	a.mu.Unlock()
}

// Reset forgets all usage.
func (a *DailyAllocation) Reset() {
	a.mu.Lock()
	a.t.reset()
	a.mu.Unlock()
}

// RollingCount counts units (Salesforce's Bulk API batches, ingested records) over a
// rolling period, in the slots of DailyAllocation. Unlike DailyAllocation it takes many
// units at once, all or none, against a limit given with each take, so the limit can live
// in the fake's settings. It is safe for concurrent use.
type RollingCount struct {
	mu    sync.Mutex
	clock clock.Clock
	t     tally
}

// NewRollingCount returns a count over period (DefaultPeriod if period <= 0).
func NewRollingCount(c clock.Clock, period time.Duration) *RollingCount {
	return &RollingCount{clock: c, t: newTally(period, c.Now())}
}

// Take counts n units if used+n stays within limit (limit <= 0: unlimited) and reports
// whether it did.
func (r *RollingCount) Take(n, limit int64) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.t.take(r.clock.Now(), n, limit)
}

// Used is the number of units counted in the period now.
func (r *RollingCount) Used() int64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.t.expire(r.clock.Now())
	return r.t.used
}

// Reset forgets all usage.
func (r *RollingCount) Reset() {
	r.mu.Lock()
	r.t.reset()
	r.mu.Unlock()
}

// tally is the arithmetic of DailyAllocation and RollingCount: units counted per slot of
// period/86400 since origin, the slots that left the period dropped. Not safe for
// concurrent use.
type tally struct {
	period time.Duration
	slot   time.Duration
	origin time.Time
	slots  []slotCount // oldest first
	used   int64
}

type slotCount struct {
	slot  int64
	count int64
}

func newTally(period time.Duration, origin time.Time) tally {
	if period <= 0 {
		period = DefaultPeriod
	}
	return tally{period: period, slot: max(period/86400, time.Nanosecond), origin: origin}
}

// take counts n units at now if used+n stays within limit (limit <= 0: unlimited).
func (t *tally) take(now time.Time, n, limit int64) bool {
	s := t.expire(now)
	if limit > 0 && t.used+n > limit {
		return false
	}
	if k := len(t.slots); k > 0 && t.slots[k-1].slot == s {
		t.slots[k-1].count += n
	} else {
		t.slots = append(t.slots, slotCount{slot: s, count: n})
	}
	t.used += n
	return true
}

// slotOf is the slot of instant at.
func (t *tally) slotOf(at time.Time) int64 {
	if at.Before(t.origin) {
		return -1 - int64(t.origin.Sub(at)/t.slot)
	}
	return int64(at.Sub(t.origin) / t.slot)
}

// expire drops slots that left the period and returns the current slot.
func (t *tally) expire(now time.Time) int64 {
	s := t.slotOf(now)
	perPeriod := int64(t.period / t.slot)
	drop := 0
	for drop < len(t.slots) && t.slots[drop].slot <= s-perPeriod {
		t.used -= t.slots[drop].count
		drop++
	}
	if drop > 0 {
		t.slots = append(t.slots[:0], t.slots[drop:]...)
	}
	return s
}

func (t *tally) reset() { t.slots, t.used = nil, 0 }
