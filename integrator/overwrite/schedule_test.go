package overwrite

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func TestParseScheduleRefusesBadValues(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		at, tz string
		peaks  []string
		err    string
	}{
		{"2:30pm", "UTC", nil, `time "2:30pm" must be HH:MM`},
		{"25:00", "UTC", nil, "must be HH:MM"},
		{"02:30", "Mars/Olympus", nil, `time zone "Mars/Olympus"`},
		{"02:30", "UTC", []string{"18:00-23:00"}, "no .."},
		{"02:30", "UTC", []string{"18:00..18:00"}, "an empty daily window"},
		{"02:30", "UTC", []string{"18:00..2026-11-28"}, "both ends must be times of day, or both dates"},
		{"02:30", "UTC", []string{"2026-11-30..2026-11-27"}, "ends before it starts"},
		{"02:30", "UTC", []string{"soon..later"}, "is not a time of day, a date or a date-time"},
	} {
		_, err := ParseSchedule(c.at, c.tz, c.peaks)
		require.Error(t, err, c)
		assert.Contains(t, err.Error(), c.err)
	}
}

func TestScheduleNextIsTheLocalTimeInTheZone(t *testing.T) {
	t.Parallel()
	s, err := ParseSchedule("02:30", "Europe/Paris", nil)
	require.NoError(t, err)
	paris, _ := time.LoadLocation("Europe/Paris")
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	next := s.Next(now)
	assert.Equal(t, time.Date(2026, 11, 28, 2, 30, 0, 0, paris), next)
	assert.Equal(t, time.Date(2026, 11, 28, 1, 30, 0, 0, time.UTC), next.UTC(), "UTC+1 in November")
	assert.Equal(t, "nightly-2026-11-28", s.RunID(next))
	assert.Equal(t, next, s.Next(next), "at the time itself: now")
	assert.Equal(t, next.AddDate(0, 0, 1), s.Next(next.Add(time.Second)))
}

func TestPeakWindowsDailyAndDates(t *testing.T) {
	t.Parallel()
	s, err := ParseSchedule("02:30", "UTC", []string{"22:00..03:00", "2026-11-27..2026-11-30", "2026-12-05T06:00..2026-12-05T09:00"})
	require.NoError(t, err)
	at := func(d string) time.Time { t, _ := time.Parse(time.RFC3339, d); return t }
	for _, c := range []struct {
		t     string
		in    bool
		until string
	}{
		{"2026-12-02T02:30:00Z", true, "2026-12-02T03:00:00Z"}, // the daily window wraps past midnight
		{"2026-12-02T23:00:00Z", true, "2026-12-03T03:00:00Z"},
		{"2026-12-02T03:00:00Z", false, ""},
		{"2026-11-30T12:00:00Z", true, "2026-12-01T00:00:00Z"}, // the end date is a whole day
		{"2026-12-01T12:00:00Z", false, ""},
		{"2026-12-05T07:00:00Z", true, "2026-12-05T09:00:00Z"},
	} {
		in, until := s.PeakAt(at(c.t))
		assert.Equal(t, c.in, in, c.t)
		if c.in {
			assert.Equal(t, at(c.until), until, c.t)
		}
	}
	next, ok := s.NextPeak(at("2026-12-05T04:00:00Z"))
	require.True(t, ok)
	assert.Equal(t, at("2026-12-05T06:00:00Z"), next)
}

func TestRunOnceRefusesAPeakWindowAndAWindowThatBeginsStopsTheRun(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sched, err := ParseSchedule("02:30", "UTC", []string{"02:31..02:45"})
	require.NoError(t, err)
	s := &Scheduler{Overwriter: b.o, Schedule: sched, Clock: b.clk}
	// The second write takes until the window begins: the run stops there.
	b.shop.onCall = func(ctx context.Context, n int) error {
		if n == 2 {
			b.clk.Advance(time.Minute)
			<-ctx.Done()
			return ctx.Err()
		}
		return nil
	}
	_, err = s.RunOnce(context.Background(), "nightly-2026-11-28")
	var pe *PeakError
	require.ErrorAs(t, err, &pe)
	assert.ErrorIs(t, err, ErrPeakWindow)
	assert.Equal(t, "02:31..02:45", pe.Window)
	assert.Equal(t, time.Date(2026, 11, 28, 2, 45, 0, 0, time.UTC), pe.Until)
	assert.Equal(t, []string{"A3"}, b.shop.written())

	// Within the window, nothing starts.
	b.shop.onCall = nil
	_, err = s.RunOnce(context.Background(), "nightly-2026-11-28")
	require.ErrorIs(t, err, ErrPeakWindow)
	assert.Len(t, b.shop.calls, 1)

	// After it, the run resumes with what it had not written.
	b.clk.Set(pe.Until)
	sum, err := s.RunOnce(context.Background(), "nightly-2026-11-28")
	require.NoError(t, err)
	assert.Equal(t, 1, sum.Resumed)
	assert.Equal(t, []string{"A3", "A5", "A7"}, b.shop.written())
}

func TestSchedulerRunsNightlyAtTheTimeAndRetries(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.clk = clock.NewManual(time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC))
	b.o.Clock = b.clk
	sched, err := ParseSchedule("02:30", "UTC", nil)
	require.NoError(t, err)
	type outcome struct {
		sum Summary
		err error
	}
	got := make(chan outcome, 10)
	boom := errors.New("shopify down")
	fail := true
	b.shop.onCall = func(context.Context, int) error {
		if fail {
			fail = false
			return boom
		}
		return nil
	}
	s := &Scheduler{Overwriter: b.o, Schedule: sched, Clock: b.clk, RetryEvery: 10 * time.Minute,
		Observe: func(sum Summary, err error) { got <- outcome{sum, err} }}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); s.Run(ctx) }()

	require.NoError(t, b.clk.BlockUntil(context.Background(), 1))
	b.clk.Advance(14*time.Hour + 29*time.Minute)
	require.NoError(t, b.clk.BlockUntil(context.Background(), 1))
	assert.Empty(t, b.shop.calls, "not before 02:30")
	b.clk.Advance(time.Minute)
	first := <-got
	require.ErrorIs(t, first.err, boom)
	assert.Equal(t, "nightly-2026-11-28", first.sum.RunID)
	require.NoError(t, b.clk.BlockUntil(context.Background(), 1))
	b.clk.Advance(10 * time.Minute)
	second := <-got
	require.NoError(t, second.err)
	assert.Equal(t, 3, second.sum.Written)
	assert.Equal(t, time.Date(2026, 11, 28, 2, 40, 0, 0, time.UTC), second.sum.Started, "after RetryEvery")

	// The next night: a new run id.
	require.NoError(t, b.clk.BlockUntil(context.Background(), 1))
	b.clk.Set(time.Date(2026, 11, 29, 2, 30, 0, 0, time.UTC))
	third := <-got
	require.NoError(t, third.err)
	assert.Equal(t, "nightly-2026-11-29", third.sum.RunID)
	assert.Equal(t, 0, third.sum.Written)
	cancel()
	<-done
}
