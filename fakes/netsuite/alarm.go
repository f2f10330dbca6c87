package netsuite

import (
	"context"
	"time"

	"github.com/peakready/peakready/clock"
)

// alarm wakes a background loop (the fulfiller, the stock moves): a nudge from a change
// (ring), or the loop's own timer in platform time (wait).
type alarm chan struct{}

func newAlarm() alarm { return make(alarm, 1) }

// ring wakes the loop, or leaves a wake-up its next wait sees; it never blocks.
func (a alarm) ring() {
	select {
	case a <- struct{}{}:
	default:
	}
}

// wait blocks until d of platform time has passed (never, if d < 0), ring is called or
// ctx ends; it returns false when ctx ended.
func (a alarm) wait(ctx context.Context, c clock.Clock, d time.Duration) bool {
	var fired <-chan time.Time
	if d >= 0 {
		timer := c.NewTimer(d)
		defer timer.Stop()
		fired = timer.C()
	}
	select {
	case <-fired:
	case <-a:
	case <-ctx.Done():
		return false
	}
	return true
}
