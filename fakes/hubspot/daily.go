package hubspot

import (
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// DailyUsage is the account's daily limit as HubSpot counts it: calls since midnight in
// the account's time zone, reset to zero at the next midnight there (not a rolling 24
// hours, which is what limits.DailyAllocation models for Salesforce).
type DailyUsage struct {
	Used  int64 `json:"used"`
	Limit int64 `json:"limit"`
	// Day is the account's current calendar day, YYYY-MM-DD in its time zone.
	Day string `json:"day"`
	// ResetsAt is the next midnight in the account's time zone, in platform time.
	ResetsAt time.Time `json:"resets_at"`
}

// dailyCounter counts calls per calendar day of a time zone. It is safe for concurrent
// use and reads time only from its clock.
type dailyCounter struct {
	mu    sync.Mutex
	clock clock.Clock
	loc   *time.Location
	limit int64
	day   time.Time // midnight starting the counted day, in loc
	next  time.Time // the midnight ending it
	label string    // day as YYYY-MM-DD
	used  int64
}

func newDailyCounter(c clock.Clock, limit int64, loc *time.Location) *dailyCounter {
	d := &dailyCounter{clock: c, loc: loc, limit: limit}
	d.startDayLocked(c.Now())
	return d
}

// midnight is the start of t's calendar day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// nextMidnight is the start of the day after day (23, 24 or 25 hours later around a
// daylight-saving change).
func nextMidnight(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location())
}

// startDayLocked makes the day holding now the counted day.
func (d *dailyCounter) startDayLocked(now time.Time) {
	d.day = midnight(now, d.loc)
	d.next, d.label = nextMidnight(d.day), d.day.Format(time.DateOnly)
}

// rollLocked starts a new day once midnight has passed.
func (d *dailyCounter) rollLocked(now time.Time) {
	if !now.Before(d.next) {
		d.startDayLocked(now)
		d.used = 0
	}
}

// use counts one call if the day has room. A limit of zero or less is unlimited.
func (d *dailyCounter) use() (bool, DailyUsage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rollLocked(d.clock.Now())
	if d.limit > 0 && d.used >= d.limit {
		return false, d.usageLocked()
	}
	d.used++
	return true, d.usageLocked()
}

// refund gives back a call counted by use, for a request another limit then refused.
// A call counted before midnight is not refunded to the new day.
func (d *dailyCounter) refund(counted DailyUsage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rollLocked(d.clock.Now())
	if counted.Day == d.label && d.used > 0 {
		d.used--
	}
}

func (d *dailyCounter) usage() DailyUsage {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rollLocked(d.clock.Now())
	return d.usageLocked()
}

func (d *dailyCounter) usageLocked() DailyUsage {
	return DailyUsage{Used: d.used, Limit: d.limit, Day: d.label, ResetsAt: d.next}
}

// configure changes the limit and the time zone; the day's usage is kept, and the day
// is re-read in the new zone.
func (d *dailyCounter) configure(limit int64, loc *time.Location) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.limit = limit
	if loc.String() != d.loc.String() {
		d.loc = loc
		d.startDayLocked(d.clock.Now())
	}
}

func (d *dailyCounter) reset() {
	d.mu.Lock()
	d.used = 0
	d.startDayLocked(d.clock.Now())
	d.mu.Unlock()
}
