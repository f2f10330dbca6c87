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
	mu     sync.Mutex
	clock  clock.Clock
	limit  int64
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

// DefaultPeriod is Salesforce's rolling 24 hours.
const DefaultPeriod = 24 * time.Hour

// NewDailyAllocation returns an allocation of limit calls per period (DefaultPeriod if
// period <= 0). A limit of zero or less means unlimited, but usage is still counted.
func NewDailyAllocation(c clock.Clock, limit int64, period time.Duration) *DailyAllocation {
	if period <= 0 {
		period = DefaultPeriod
	}
	slot := max(period/86400, time.Nanosecond)
	return &DailyAllocation{clock: c, limit: limit, period: period, slot: slot, origin: c.Now()}
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
	now := a.clock.Now()
	s := a.expireLocked(now)
	if a.limit > 0 && a.used >= a.limit {
		return false, Usage{Used: a.used, Limit: a.limit}
	}
	if n := len(a.slots); n > 0 && a.slots[n-1].slot == s {
		a.slots[n-1].count++
	} else {
		a.slots = append(a.slots, slotCount{slot: s, count: 1})
	}
	a.used++
	return true, Usage{Used: a.used, Limit: a.limit}
}

// Usage reports the allocation without using it.
func (a *DailyAllocation) Usage() Usage {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.expireLocked(a.clock.Now())
	return Usage{Used: a.used, Limit: a.limit}
}

// expireLocked drops slots that left the period and returns the current slot.
func (a *DailyAllocation) expireLocked(now time.Time) int64 {
	s := int64(now.Sub(a.origin) / a.slot)
	if now.Before(a.origin) {
		s = -1 - int64(a.origin.Sub(now)/a.slot)
	}
	perPeriod := int64(a.period / a.slot)
	drop := 0
	for drop < len(a.slots) && a.slots[drop].slot <= s-perPeriod {
		a.used -= a.slots[drop].count
		drop++
	}
	if drop > 0 {
		a.slots = append(a.slots[:0], a.slots[drop:]...)
	}
	return s
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
	a.slots, a.used = nil, 0
	a.mu.Unlock()
}
