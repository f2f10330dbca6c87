package limits

import (
	"slices"
	"time"
)

// Record counts n calls made at a past instant at, whatever the limit: usage by other
// integrations of the same org before the run, which leaves the allocation a Period after
// at. An instant already out of the period counts nothing.
func (a *DailyAllocation) Record(n int64, at time.Time) {
	if n <= 0 {
		return
	}
	a.mu.Lock()
	defer a.mu.Unlock()
	now := a.clock.Now()
	cur := a.expireLocked(now)
	s := int64(at.Sub(a.origin) / a.slot)
	if at.Before(a.origin) {
		s = -1 - int64(a.origin.Sub(at)/a.slot)
	}
	if s <= cur-int64(a.period/a.slot) || s > cur {
		return
	}
	i, found := slices.BinarySearchFunc(a.slots, s, func(c slotCount, t int64) int {
		switch {
		case c.slot < t:
			return -1
		case c.slot > t:
			return 1
		}
		return 0
	})
	if found {
		a.slots[i].count += n
	} else {
		a.slots = slices.Insert(a.slots, i, slotCount{slot: s, count: n})
	}
	a.used += n
}
