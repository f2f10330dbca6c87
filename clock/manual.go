package clock

import (
	"context"
	"sort"
	"sync"
	"time"
)

// Manual is a clock that moves only when Advance or Set is called, for exact tests.
// Sleepers and timers whose deadline is reached fire in deadline order during Advance.
type Manual struct {
	mu      sync.Mutex
	now     time.Time
	waiters []*manualTimer
	changed chan struct{} // closed and replaced whenever the set of waiters changes
}

var _ Clock = (*Manual)(nil)

// NewManual returns a clock standing at start.
func NewManual(start time.Time) *Manual {
	return &Manual{now: start, changed: make(chan struct{})}
}

// Now returns the clock's current time.
func (m *Manual) Now() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.now
}

// Advance moves the clock forward by d and fires every timer that came due.
func (m *Manual) Advance(d time.Duration) {
	m.mu.Lock()
	m.setLocked(m.now.Add(d))
	m.mu.Unlock()
}

// Set moves the clock to t (never backwards) and fires every timer that came due.
func (m *Manual) Set(t time.Time) {
	m.mu.Lock()
	if t.After(m.now) {
		m.setLocked(t)
	}
	m.mu.Unlock()
}

func (m *Manual) setLocked(t time.Time) {
	m.now = t
	sort.SliceStable(m.waiters, func(i, j int) bool { return m.waiters[i].deadline.Before(m.waiters[j].deadline) })
	kept := m.waiters[:0]
	for _, w := range m.waiters {
		if !w.deadline.After(t) {
			w.c <- t // buffered, capacity 1, fired at most once
			continue
		}
		kept = append(kept, w)
	}
	for i := len(kept); i < len(m.waiters); i++ {
		m.waiters[i] = nil
	}
	m.waiters = kept
	m.notifyLocked()
}

func (m *Manual) notifyLocked() {
	close(m.changed)
	m.changed = make(chan struct{})
}

// Waiters reports how many sleepers and timers are waiting.
func (m *Manual) Waiters() int {
	m.mu.Lock()
	defer m.mu.Unlock()
	return len(m.waiters)
}

// BlockUntil waits until at least n sleepers or timers are waiting, or ctx ends.
// Tests use it to advance the clock only once the goroutine under test is asleep.
func (m *Manual) BlockUntil(ctx context.Context, n int) error {
	return m.waitWaiters(ctx, func(w int) bool { return w >= n })
}

// BlockUntilExactly waits until exactly n sleepers or timers are waiting, or ctx ends.
// Unlike BlockUntil it also waits out surplus waiters, such as the timer of a loop that
// was woken by something else and has not stopped it yet, so a test that advances the
// clock next knows which n loops it wakes.
func (m *Manual) BlockUntilExactly(ctx context.Context, n int) error {
	return m.waitWaiters(ctx, func(w int) bool { return w == n })
}

// waitWaiters waits until ok holds for the number of waiters, or ctx ends.
func (m *Manual) waitWaiters(ctx context.Context, ok func(waiters int) bool) error {
	for {
		m.mu.Lock()
		if ok(len(m.waiters)) {
			m.mu.Unlock()
			return nil
		}
		ch := m.changed
		m.mu.Unlock()
		select {
		case <-ch:
		case <-ctx.Done():
			return ctx.Err()
		}
	}
}

// Sleep waits until the clock has been advanced by d, or ctx ends.
func (m *Manual) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := m.NewTimer(d)
	select {
	case <-t.C():
		return nil
	case <-ctx.Done():
		t.Stop()
		return ctx.Err()
	}
}

// NewTimer returns a timer that fires when the clock reaches now+d.
func (m *Manual) NewTimer(d time.Duration) Timer {
	m.mu.Lock()
	defer m.mu.Unlock()
	w := &manualTimer{clock: m, deadline: m.now.Add(d), c: make(chan time.Time, 1)}
	if d <= 0 {
		w.c <- m.now
		return w
	}
	m.waiters = append(m.waiters, w)
	m.notifyLocked()
	return w
}

type manualTimer struct {
	clock    *Manual
	deadline time.Time
	c        chan time.Time
}

func (t *manualTimer) C() <-chan time.Time { return t.c }

func (t *manualTimer) Stop() bool {
	m := t.clock
	m.mu.Lock()
	defer m.mu.Unlock()
	for i, w := range m.waiters {
		if w == t {
			m.waiters = append(m.waiters[:i], m.waiters[i+1:]...)
			m.notifyLocked()
			return true
		}
	}
	return false
}

// Drive calls fn and, until it returns, advances m by step whenever a sleeper or timer
// waits on it (looked at every millisecond of wall time): how a test runs code that
// waits on the clock, such as a poll loop, without sleeping for real.
func (m *Manual) Drive(step time.Duration, fn func()) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn()
	}()
	tick := time.NewTicker(time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-done:
			return
		case <-tick.C:
			if m.Waiters() > 0 {
				m.Advance(step)
			}
		}
	}
}
