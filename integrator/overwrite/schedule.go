package overwrite

import (
	"fmt"
	"strings"
	"time"
)

// Schedule is when the overwrite runs: every day at At (a local time in Location), never
// starting within a peak window.
type Schedule struct {
	Hour, Minute int
	Location     *time.Location
	Peaks        []PeakWindow
}

// PeakWindow is a time the overwrite must not run: a daily window of local times
// (Daily, From and To as minutes after midnight; To before From wraps past midnight), or
// one span of instants [Start, End).
type PeakWindow struct {
	Daily      bool
	From, To   int // minutes after midnight, with Daily
	Start, End time.Time
	text       string
}

func (w PeakWindow) String() string { return w.text }

// ParseSchedule reads the settings: at "HH:MM" (24 h), tz an IANA zone name ("" or
// "Local": the machine's; "UTC"), and peak windows "FROM..TO", each either daily times
// ("18:00..23:30", "22:00..02:00" wraps past midnight) or dates and date-times in tz
// ("2026-11-27..2026-12-01", both days whole; "2026-11-27T06:00..2026-11-28T02:00"; RFC
// 3339 instants with their own offset).
func ParseSchedule(at, tz string, peaks []string) (Schedule, error) {
	var s Schedule
	loc, err := loadLocation(tz)
	if err != nil {
		return s, err
	}
	s.Location = loc
	m, ok := clockTime(at)
	if !ok {
		return s, fmt.Errorf("overwrite: time %q must be HH:MM, e.g. 02:30", at)
	}
	s.Hour, s.Minute = m/60, m%60
	for _, p := range peaks {
		w, err := parsePeak(p, loc)
		if err != nil {
			return s, err
		}
		s.Peaks = append(s.Peaks, w)
	}
	return s, nil
}

func loadLocation(tz string) (*time.Location, error) {
	switch tz {
	case "", "Local":
		return time.Local, nil
	}
	loc, err := time.LoadLocation(tz)
	if err != nil {
		return nil, fmt.Errorf("overwrite: time zone %q: want an IANA name such as Europe/Paris or UTC", tz)
	}
	return loc, nil
}

// clockTime reads "HH:MM" as minutes after midnight.
func clockTime(s string) (int, bool) {
	t, err := time.Parse("15:04", strings.TrimSpace(s))
	if err != nil {
		return 0, false
	}
	return t.Hour()*60 + t.Minute(), true
}

func parsePeak(s string, loc *time.Location) (PeakWindow, error) {
	from, to, ok := strings.Cut(strings.TrimSpace(s), "..")
	bad := func(why string) (PeakWindow, error) {
		return PeakWindow{}, fmt.Errorf("overwrite: peak window %q: %s (want FROM..TO: 18:00..23:00, 2026-11-27..2026-11-30 or 2026-11-27T06:00..2026-11-28T02:00)", s, why)
	}
	if !ok {
		return bad("no ..")
	}
	from, to = strings.TrimSpace(from), strings.TrimSpace(to)
	w := PeakWindow{text: strings.TrimSpace(s)}
	f, okF := clockTime(from)
	t, okT := clockTime(to)
	if okF && okT {
		if f == t {
			return bad("an empty daily window")
		}
		w.Daily, w.From, w.To = true, f, t
		return w, nil
	}
	if okF || okT {
		return bad("both ends must be times of day, or both dates")
	}
	start, _, err := instant(from, loc)
	if err != nil {
		return bad(err.Error())
	}
	end, dayT, err := instant(to, loc)
	if err != nil {
		return bad(err.Error())
	}
	if dayT {
		end = end.AddDate(0, 0, 1) // a date as the end takes the whole day
	}
	if !end.After(start) {
		return bad("it ends before it starts")
	}
	w.Start, w.End = start, end
	return w, nil
}

// instant reads a date (day true), a date-time without offset in loc, or RFC 3339.
func instant(s string, loc *time.Location) (time.Time, bool, error) {
	if t, err := time.ParseInLocation(time.DateOnly, s, loc); err == nil {
		return t, true, nil
	}
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05"} {
		if t, err := time.ParseInLocation(layout, s, loc); err == nil {
			return t, false, nil
		}
	}
	if t, err := time.Parse(time.RFC3339, s); err == nil {
		return t, false, nil
	}
	return time.Time{}, false, fmt.Errorf("%q is not a time of day, a date or a date-time", s)
}

// Next is the first scheduled start at or after now.
func (s Schedule) Next(now time.Time) time.Time {
	local := now.In(s.Location)
	t := time.Date(local.Year(), local.Month(), local.Day(), s.Hour, s.Minute, 0, 0, s.Location)
	if t.Before(now) {
		t = time.Date(local.Year(), local.Month(), local.Day()+1, s.Hour, s.Minute, 0, 0, s.Location)
	}
	return t
}

// RunID names the run of the night scheduled at t: "nightly-" and its local date.
func (s Schedule) RunID(t time.Time) string {
	return "nightly-" + t.In(s.Location).Format(time.DateOnly)
}

// PeakAt reports whether t is in a peak window, and when the window (the latest ending of
// those t is in) ends.
func (s Schedule) PeakAt(t time.Time) (bool, time.Time) {
	in, until := false, time.Time{}
	for _, w := range s.Peaks {
		if ok, end := w.contains(t, s.Location); ok {
			in = true
			if end.After(until) {
				until = end
			}
		}
	}
	return in, until
}

// NextPeak is the start of the first peak window that begins after t; ok false when none
// does.
func (s Schedule) NextPeak(t time.Time) (time.Time, bool) {
	var first time.Time
	for _, w := range s.Peaks {
		var at time.Time
		if w.Daily {
			local := t.In(s.Location)
			at = time.Date(local.Year(), local.Month(), local.Day(), 0, w.From, 0, 0, s.Location)
			if !at.After(t) {
				at = time.Date(local.Year(), local.Month(), local.Day()+1, 0, w.From, 0, 0, s.Location)
			}
		} else if w.Start.After(t) {
			at = w.Start
		} else {
			continue
		}
		if first.IsZero() || at.Before(first) {
			first = at
		}
	}
	return first, !first.IsZero()
}

// contains reports whether t is in the window, and its end.
func (w PeakWindow) contains(t time.Time, loc *time.Location) (bool, time.Time) {
	if !w.Daily {
		return !t.Before(w.Start) && t.Before(w.End), w.End
	}
	local := t.In(loc)
	day := func(offset, minute int) time.Time {
		return time.Date(local.Year(), local.Month(), local.Day()+offset, 0, minute, 0, 0, loc)
	}
	// The window that began today, and, for one that wraps past midnight, yesterday's.
	for _, off := range []int{0, -1} {
		start := day(off, w.From)
		end := day(off, w.To)
		if w.To < w.From {
			end = day(off+1, w.To)
		}
		if !t.Before(start) && t.Before(end) {
			return true, end
		}
	}
	return false, time.Time{}
}
