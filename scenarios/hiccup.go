package scenarios

import (
	"context"
	"sync"
	"time"
)

// The hiccup meter measures how late the runner's process wakes from short sleeps. When
// the machine cannot give it a CPU (another build, a noisy neighbour, too high a speed),
// every wake-up is late by the time it waited for one; a wake-up later than
// hiccupTolerance past its due time is a stall. Stalls slow the load generator, the
// deliverer's clocks and an in-process system under test alike, so a run that stalled
// for long cannot blame its late acks on the system under test.
const (
	hiccupTick      = 10 * time.Millisecond
	hiccupTolerance = 5 * time.Millisecond

	// A run whose process stalled for more than starvedStallShare of its wall time, or
	// once for longer than starvedStall, was starved of CPU.
	starvedStallShare = 0.05
	starvedStall      = time.Second
)

// sleepFunc sleeps for d, or less when ctx ends first (ok false), and says how long it
// really slept.
type sleepFunc func(ctx context.Context, d time.Duration) (slept time.Duration, ok bool)

// wallSleep sleeps on the monotonic wall clock.
func wallSleep(ctx context.Context, d time.Duration) (time.Duration, bool) {
	start := time.Now()
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return time.Since(start), false
	case <-t.C:
		return time.Since(start), true
	}
}

// hiccupMeter sums the stalls of the process.
type hiccupMeter struct {
	mu      sync.Mutex
	span    time.Duration // wall time observed
	stalled time.Duration // overshoot beyond the tolerance, summed
	longest time.Duration // the longest overshoot
}

// observe records one sleep of planned that took took.
func (m *hiccupMeter) observe(planned, took time.Duration) {
	over := took - planned
	m.mu.Lock()
	defer m.mu.Unlock()
	m.span += took
	m.longest = max(m.longest, over)
	if over > hiccupTolerance {
		m.stalled += over - hiccupTolerance
	}
}

// run sleeps a tick at a time until ctx ends, observing each sleep; the returned function
// stops it and waits for it to end.
func (m *hiccupMeter) run(sleep sleepFunc) func() {
	ctx, cancel := context.WithCancel(context.Background())
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		for {
			took, ok := sleep(ctx, hiccupTick)
			if !ok {
				return
			}
			m.observe(hiccupTick, took)
		}
	}()
	return func() { cancel(); <-stopped }
}

// stalls returns the share of the observed wall time the process stalled and the
// longest stall.
func (m *hiccupMeter) stalls() (share float64, longest time.Duration) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.span > 0 {
		share = float64(m.stalled) / float64(m.span)
	}
	return share, max(m.longest, 0)
}

// starved reports whether the stalls say the process was starved of CPU.
func (m *hiccupMeter) starved() bool {
	share, longest := m.stalls()
	return share > starvedStallShare || longest > starvedStall
}
