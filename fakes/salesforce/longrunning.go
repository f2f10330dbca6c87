package salesforce

import (
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// LongRunningSlots is Salesforce's limit on concurrent long-running requests: a request
// that has been running for Threshold or more (20 s by default) occupies a slot, and
// while Limit slots are occupied every new request is refused. Requests shorter than the
// threshold are never limited.
//
// A request occupies its slot from exactly start+Threshold until it ends. Rather than a
// timer per request, the in-flight requests are kept in start order and the occupied
// slots are counted from the front when a request is admitted: the answer is the same
// at every instant, on any clock, and costs no goroutine or timer per request.
//
// It is safe for concurrent use.
type LongRunningSlots struct {
	mu        sync.Mutex
	clock     clock.Clock
	limit     int
	threshold time.Duration
	// head and tail of the in-flight requests, oldest first (a sentinel ring).
	ring     Flight
	inFlight int
	peak     int
	admitted int64
	refused  int64
}

// Flight is one admitted request; End it when the request finishes.
type Flight struct {
	slots      *LongRunningSlots
	start      time.Time
	prev, next *Flight
}

// NewLongRunningSlots returns slots with the given limit (<= 0: unlimited) and threshold.
func NewLongRunningSlots(c clock.Clock, limit int, threshold time.Duration) *LongRunningSlots {
	l := &LongRunningSlots{clock: c, limit: limit, threshold: threshold}
	l.ring.prev, l.ring.next = &l.ring, &l.ring
	return l
}

// Begin admits a new request unless Limit slots are occupied.
func (l *LongRunningSlots) Begin() (*Flight, bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.clock.Now()
	occupied := l.occupiedLocked(now)
	if l.limit > 0 && occupied >= l.limit {
		l.refused++
		return nil, false
	}
	l.admitted++
	l.inFlight++
	f := &Flight{slots: l, start: now, prev: l.ring.prev, next: &l.ring}
	l.ring.prev.next = f
	l.ring.prev = f
	return f, true
}

// End releases the request's slot; further calls do nothing.
func (f *Flight) End() {
	l := f.slots
	l.mu.Lock()
	defer l.mu.Unlock()
	if f.next == nil {
		return
	}
	l.occupiedLocked(l.clock.Now()) // the peak is reached just before a request ends
	f.prev.next, f.next.prev = f.next, f.prev
	f.prev, f.next = nil, nil
	l.inFlight--
}

// occupiedLocked counts requests running for at least the threshold and updates the peak.
func (l *LongRunningSlots) occupiedLocked(now time.Time) int {
	cutoff := now.Add(-l.threshold)
	n := 0
	for f := l.ring.next; f != &l.ring; f = f.next {
		if f.start.After(cutoff) {
			break
		}
		n++
	}
	if n > l.peak {
		l.peak = n
	}
	return n
}

// Occupied is the number of slots occupied now.
func (l *LongRunningSlots) Occupied() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.occupiedLocked(l.clock.Now())
}

// Set changes the limit and threshold; requests in flight are judged by the new values.
func (l *LongRunningSlots) Set(limit int, threshold time.Duration) {
	l.mu.Lock()
	l.limit, l.threshold = limit, threshold
	l.mu.Unlock()
}

// LongRunningStats is a snapshot of the slots.
type LongRunningStats struct {
	Limit     int    `json:"limit"`
	Threshold string `json:"threshold"`
	// Occupied is the number of requests running for the threshold or longer now.
	Occupied int `json:"occupied"`
	// InFlight is every admitted request still running.
	InFlight int `json:"in_flight"`
	// MaxOccupied is the most slots occupied at once since the last reset.
	MaxOccupied int   `json:"max_occupied"`
	Admitted    int64 `json:"admitted"`
	Refused     int64 `json:"refused"`
}

// Stats returns the slots' state.
func (l *LongRunningSlots) Stats() LongRunningStats {
	l.mu.Lock()
	defer l.mu.Unlock()
	occ := l.occupiedLocked(l.clock.Now())
	return LongRunningStats{
		Limit: l.limit, Threshold: l.threshold.String(), Occupied: occ, InFlight: l.inFlight,
		MaxOccupied: l.peak, Admitted: l.admitted, Refused: l.refused,
	}
}

// Reset clears the counters; the peak restarts from the slots occupied now.
func (l *LongRunningSlots) Reset() {
	l.mu.Lock()
	l.peak, l.admitted, l.refused = 0, 0, 0
	l.occupiedLocked(l.clock.Now())
	l.mu.Unlock()
}
