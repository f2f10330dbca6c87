package limits

import (
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// RollingWindow admits at most Limit requests in any span of Window, the way HubSpot's
// ten-second burst limit works. It keeps the time of each admitted request (a ring of
// Limit entries), so it is exact: a request is admitted at t if fewer than Limit were
// admitted in (t-Window, t].
type RollingWindow struct {
	mu     sync.Mutex
	clock  clock.Clock
	limit  int
	window time.Duration
	ring   []time.Time // admitted times, oldest at head
	head   int
	n      int
}

// NewRollingWindow returns a window admitting limit requests per window.
func NewRollingWindow(c clock.Clock, limit int, window time.Duration) *RollingWindow {
	return &RollingWindow{clock: c, limit: limit, window: window, ring: make([]time.Time, max(limit, 0))}
}

// WindowDecision is the outcome of one request against a rolling window.
type WindowDecision struct {
	Allowed   bool
	Limit     int
	Remaining int
	// RetryAfter is how long until the oldest admitted request leaves the window;
	// zero when Allowed.
	RetryAfter time.Duration
}

// Allow admits one request if the window has room.
func (w *RollingWindow) Allow() WindowDecision {
	w.mu.Lock()
	defer w.mu.Unlock()
	now := w.clock.Now()
	w.expireLocked(now)
	d := WindowDecision{Limit: w.limit}
	if w.limit <= 0 {
		d.Allowed = true
		return d
	}
	if w.n < w.limit {
		w.ring[(w.head+w.n)%w.limit] = now
		w.n++
		d.Allowed = true
	} else {
		d.RetryAfter = w.ring[w.head].Add(w.window).Sub(now)
	}
	d.Remaining = w.limit - w.n
	return d
}

func (w *RollingWindow) expireLocked(now time.Time) {
	for w.n > 0 && !w.ring[w.head].Add(w.window).After(now) {
		w.head = (w.head + 1) % w.limit
		w.n--
	}
}

// Reset forgets every admitted request.
func (w *RollingWindow) Reset() {
	w.mu.Lock()
	w.head, w.n = 0, 0
	w.mu.Unlock()
}
