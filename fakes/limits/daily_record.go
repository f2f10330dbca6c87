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
	a.t.record(a.clock.Now(), at, n)
}

// record counts n units at the past instant at, in its own slot.
func (t *tally) record(now, at time.Time, n int64) {
	cur := t.expire(now)
	s := t.slotOf(at)
	if s <= cur-int64(t.period/t.slot) || s > cur {
		return
	}
	i, found := slices.BinarySearchFunc(t.slots, s, func(c slotCount, target int64) int {
		switch {
		case c.slot < target:
			return -1
		case c.slot > target:
			return 1
		}
		return 0
	})
	if found {
		t.slots[i].count += n
	} else {
		t.slots = slices.Insert(t.slots, i, slotCount{slot: s, count: n})
	}
	t.used += n
}
