package limits

import (
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// CalendarDay is an allocation of calls per calendar day of a time zone, the way HubSpot
// counts its daily limit: calls since midnight there, back to zero at the next midnight
// there (not a rolling 24 hours, which is DailyAllocation). A day is 23, 24 or 25 hours
// long around a daylight-saving change. It is safe for concurrent use and reads time only
// from its clock.
type CalendarDay struct {
	mu    sync.Mutex
	clock clock.Clock
	loc   *time.Location
	limit int64
	day   time.Time // midnight starting the counted day, in loc
	next  time.Time // the midnight ending it
	label string    // day as YYYY-MM-DD
	used  int64
}

// DayUsage is the state of a CalendarDay.
type DayUsage struct {
	Used  int64 `json:"used"`
	Limit int64 `json:"limit"`
	// Day is the current calendar day, YYYY-MM-DD in the allocation's time zone.
	Day string `json:"day"`
	// ResetsAt is the next midnight in the allocation's time zone, in platform time.
	ResetsAt time.Time `json:"resets_at"`
}

// NewCalendarDay returns an allocation of limit calls a day in loc. A limit of zero or
// less means unlimited, but usage is still counted.
func NewCalendarDay(c clock.Clock, limit int64, loc *time.Location) *CalendarDay {
	d := &CalendarDay{clock: c, loc: loc, limit: limit}
	d.startDayLocked(c.Now())
	return d
}

// midnight is the start of t's calendar day in loc.
func midnight(t time.Time, loc *time.Location) time.Time {
	t = t.In(loc)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, loc)
}

// nextMidnight is the start of the day after day.
func nextMidnight(day time.Time) time.Time {
	return time.Date(day.Year(), day.Month(), day.Day()+1, 0, 0, 0, 0, day.Location())
}

// startDayLocked makes the day holding now the counted day.
func (d *CalendarDay) startDayLocked(now time.Time) {
	d.day = midnight(now, d.loc)
	d.next, d.label = nextMidnight(d.day), d.day.Format(time.DateOnly)
}

// rollLocked starts a new day once midnight has passed.
func (d *CalendarDay) rollLocked(now time.Time) {
	if !now.Before(d.next) {
		d.startDayLocked(now)
		d.used = 0
	}
}

// Use counts one call if the day has room.
func (d *CalendarDay) Use() (bool, DayUsage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rollLocked(d.clock.Now())
	if d.limit > 0 && d.used >= d.limit {
		return false, d.usageLocked()
	}
	d.used++
	return true, d.usageLocked()
}

// Refund gives back a call counted by Use, for a request another limit then refused. A
// call counted before midnight is not refunded to the new day.
func (d *CalendarDay) Refund(counted DayUsage) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rollLocked(d.clock.Now())
	if counted.Day == d.label && d.used > 0 {
		d.used--
	}
}

// Usage reports the day without using it.
func (d *CalendarDay) Usage() DayUsage {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.rollLocked(d.clock.Now())
	return d.usageLocked()
}

func (d *CalendarDay) usageLocked() DayUsage {
	return DayUsage{Used: d.used, Limit: d.limit, Day: d.label, ResetsAt: d.next}
}

// Configure changes the limit and the time zone; the day's usage is kept, and the day
// is re-read in the new zone.
func (d *CalendarDay) Configure(limit int64, loc *time.Location) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.limit = limit
	if loc.String() != d.loc.String() {
		d.loc = loc
		d.startDayLocked(d.clock.Now())
	}
}

// Reset forgets the day's usage.
func (d *CalendarDay) Reset() {
	d.mu.Lock()
	d.used = 0
	d.startDayLocked(d.clock.Now())
	d.mu.Unlock()
}
