// Package clock is peakready's one time source: the fakes, the integrator's queue and
// limiters, the load generator and the scenario runner all tell and wait on time
// through a Clock, so one sped-up clock drives a whole run and one manual clock makes a
// test exact.
//
// A fake states all of its durations (latencies, limit windows, retry schedules,
// maintenance windows, the 24 h of a daily allocation) in platform time: the time the
// real platform would experience; the integrator states its leases, backoffs and limiter
// windows in the same time. A Scaled clock runs platform time N times faster than wall
// time, so a four-hour webhook retry schedule or a day of Salesforce allocation can be
// exercised in minutes; a Manual clock moves only when a test says so.
package clock

import (
	"context"
	"time"
)

// Clock tells platform time and waits on it. Implementations are safe for concurrent use.
type Clock interface {
	// Now returns the current platform time.
	Now() time.Time
	// Sleep waits for d of platform time. It returns ctx.Err() if ctx ends first,
	// and nil at once for d <= 0.
	Sleep(ctx context.Context, d time.Duration) error
	// NewTimer returns a timer that fires once, after d of platform time.
	NewTimer(d time.Duration) Timer
}

// Timer fires once. Stop prevents a timer that has not fired from firing and
// reports whether it did so.
type Timer interface {
	C() <-chan time.Time
	Stop() bool
}

// Real is wall time: a Scaled clock with speed 1.
func Real() Clock { return NewScaled(1) }

// Scaled runs platform time Speed times faster than wall time, from the moment it was
// made. Speed 1 is wall time; Speed 60 turns an hour into a minute.
type Scaled struct {
	speed     float64
	wallStart time.Time
}

var _ Clock = (*Scaled)(nil)

// NewScaled returns a clock running speed times faster than wall time. A speed below or
// equal to zero is treated as 1.
func NewScaled(speed float64) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	return &Scaled{speed: speed, wallStart: time.Now()}
}

// NewScaledFrom returns a clock running speed times faster than wall time whose
// platform time started at start (platform and wall time were equal then). Clocks made
// with the same speed and start agree, in one process or in several, which is how
// cooperating processes share one sped-up platform time.
func NewScaledFrom(speed float64, start time.Time) *Scaled {
	if speed <= 0 {
		speed = 1
	}
	return &Scaled{speed: speed, wallStart: start.Round(0)}
}

// Start is the wall instant the clock's platform time started from.
func (c *Scaled) Start() time.Time { return c.wallStart }

// Speed is the factor platform time runs faster than wall time.
func (c *Scaled) Speed() float64 { return c.speed }

// Now returns the platform time: the start instant plus the wall time elapsed since,
// multiplied by the speed.
func (c *Scaled) Now() time.Time {
	if c.speed == 1 {
		return time.Now()
	}
	elapsed := time.Since(c.wallStart)
	return c.wallStart.Add(time.Duration(float64(elapsed) * c.speed))
}

// Wall converts a platform duration to the wall duration it takes on this clock.
func (c *Scaled) Wall(d time.Duration) time.Duration {
	if c.speed == 1 {
		return d
	}
	return time.Duration(float64(d) / c.speed)
}

// Sleep waits d of platform time, that is d/speed of wall time.
func (c *Scaled) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(c.Wall(d))
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// NewTimer returns a timer firing after d of platform time.
func (c *Scaled) NewTimer(d time.Duration) Timer {
	return wallTimer{t: time.NewTimer(c.Wall(d))}
}

// wallTimer sends the wall time it fired at; callers read the platform time from Now.
type wallTimer struct{ t *time.Timer }

func (w wallTimer) C() <-chan time.Time { return w.t.C }
func (w wallTimer) Stop() bool          { return w.t.Stop() }
