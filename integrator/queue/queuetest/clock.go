package queuetest

import (
	"context"
	"sync"
	"time"
)

// ManualClock is a queue.Clock that moves only when Advance is called. It also has the
// Sleep method the Processor uses to pace its loops, so a Processor on a ManualClock
// polls, heartbeats and recovers only as the test advances time. Safe for concurrent use.
type ManualClock struct {
	mu      sync.Mutex
	now     time.Time
	waiters map[*waiter]struct{}
}

type waiter struct {
	until time.Time
	done  chan struct{}
}

// BlackFriday is the instant ManualClocks start at unless told otherwise.
var BlackFriday = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

// NewManualClock returns a clock reading start.
func NewManualClock(start time.Time) *ManualClock {
	return &ManualClock{now: start, waiters: map[*waiter]struct{}{}}
}

// Now returns the clock's time.
func (c *ManualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Advance moves the clock forward by d and wakes the sleepers whose time has come.
func (c *ManualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	for w := range c.waiters {
		if !w.until.After(c.now) {
			close(w.done)
			delete(c.waiters, w)
		}
	}
}

// Sleep blocks until the clock has advanced by d or ctx ends.
func (c *ManualClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	c.mu.Lock()
	w := &waiter{until: c.now.Add(d), done: make(chan struct{})}
	c.waiters[w] = struct{}{}
	c.mu.Unlock()
	select {
	case <-w.done:
		return nil
	case <-ctx.Done():
		c.mu.Lock()
		delete(c.waiters, w)
		c.mu.Unlock()
		return ctx.Err()
	}
}

// Sleepers is the number of goroutines in Sleep.
func (c *ManualClock) Sleepers() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.waiters)
}
