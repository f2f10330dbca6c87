package overwrite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/peakready/peakready/clock"
)

// ErrPeakWindow is wrapped by the error of a run refused or stopped by a peak window.
var ErrPeakWindow = errors.New("overwrite: in a peak window")

// PeakError says which peak window refused or stopped a run, and when it ends.
type PeakError struct {
	Window string
	Until  time.Time
}

func (e *PeakError) Error() string {
	return fmt.Sprintf("overwrite: in the peak window %s until %s", e.Window, e.Until.Format(time.RFC3339))
}

// Is makes a PeakError match ErrPeakWindow.
func (e *PeakError) Is(target error) bool { return target == ErrPeakWindow }

// DefaultRetryEvery is the wait before a failed nightly run is tried again.
const DefaultRetryEvery = 5 * time.Minute

// Scheduler runs the overwrite every night at the schedule's time, and on demand, never
// within a peak window.
type Scheduler struct {
	Overwriter *Overwriter
	Schedule   Schedule
	Clock      clock.Clock
	// RetryEvery is the wait before a run that failed (or found another replica running
	// it) is tried again, until the next night's run is due (default DefaultRetryEvery).
	RetryEvery time.Duration
	Logger     *slog.Logger
	// Observe, when set, is told every attempt's outcome.
	Observe func(Summary, error)
}

// RunOnce runs (or resumes) runID now, unless now is in a peak window (a *PeakError).
// If a peak window begins while it runs, the run stops there (a *PeakError; its progress
// is kept) and resumes when RunOnce is called again with runID.
func (s *Scheduler) RunOnce(ctx context.Context, runID string) (Summary, error) {
	clk := s.clock()
	now := clk.Now()
	if in, until := s.Schedule.PeakAt(now); in {
		return Summary{RunID: runID}, &PeakError{Window: s.windowAt(now), Until: until}
	}
	rctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if at, ok := s.Schedule.NextPeak(now); ok {
		t := clk.NewTimer(at.Sub(now))
		go func() {
			select {
			case <-t.C():
				_, until := s.Schedule.PeakAt(at)
				cancel(&PeakError{Window: s.windowAt(at), Until: until})
			case <-rctx.Done():
				t.Stop()
			}
		}()
	}
	sum, err := s.Overwriter.Run(rctx, runID)
	var pe *PeakError
	if err != nil && errors.As(context.Cause(rctx), &pe) {
		s.log().Info("stock overwrite: stopped by a peak window; it resumes after", "run", runID, "window", pe.Window, "until", pe.Until)
		return sum, pe
	}
	return sum, err
}

func (s *Scheduler) windowAt(t time.Time) string {
	for _, w := range s.Schedule.Peaks {
		if ok, _ := w.contains(t, s.Schedule.Location); ok {
			return w.String()
		}
	}
	return ""
}

// Run runs the nightly overwrite until ctx ends: at each scheduled time, the night's run
// (RunID) is tried until it completes, another replica completed it, or the next
// night's is due; a peak window defers it to the window's end.
func (s *Scheduler) Run(ctx context.Context) {
	clk := s.clock()
	retry := orDefault(s.RetryEvery, DefaultRetryEvery)
	var last time.Time
	for {
		from := clk.Now()
		if !last.IsZero() && !from.After(last) {
			from = last.Add(time.Nanosecond)
		}
		at := s.Schedule.Next(from)
		if err := clk.Sleep(ctx, at.Sub(clk.Now())); err != nil {
			return
		}
		last = at
		id := s.Schedule.RunID(at)
		nextNight := s.Schedule.Next(at.Add(time.Minute))
		for clk.Now().Before(nextNight) {
			sum, err := s.RunOnce(ctx, id)
			if ctx.Err() != nil {
				return
			}
			if s.Observe != nil {
				s.Observe(sum, err)
			}
			if err == nil {
				break
			}
			wait := retry
			var pe *PeakError
			if errors.As(err, &pe) {
				wait = pe.Until.Sub(clk.Now())
			} else if !errors.Is(err, ErrRunning) {
				s.log().Warn("stock overwrite: run failed; it resumes later", "run", id, "err", err, "retry_in", retry)
			}
			if clk.Sleep(ctx, max(wait, time.Millisecond)) != nil {
				return
			}
		}
	}
}

func (s *Scheduler) clock() clock.Clock { return clockOr(s.Clock) }

func (s *Scheduler) log() *slog.Logger { return logOr(s.Logger) }
