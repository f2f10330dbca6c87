package shopify

import (
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// idempotency remembers @idempotent keys per mutation (shopify.md §4.1): a repeated key
// with the same arguments replays the original result, with other arguments it is a
// parameter mismatch, and while the first request is still running it is a concurrent
// request. Keys are forgotten ttl after they were first used. Safe for concurrent use.
type idempotency struct {
	clock clock.Clock
	ttl   time.Duration
	mu    sync.Mutex
	keys  map[string]*idemEntry
	sweep time.Time
}

type idemEntry struct {
	args    string // canonical JSON of the mutation's arguments
	at      time.Time
	done    bool
	failed  bool // the first attempt ended with userErrors
	payload any  // the first attempt's payload, replayed
}

type idemOutcome int

const (
	idemFirst      idemOutcome = iota // run the mutation, then call finish
	idemReplay                        // return entry.payload
	idemMismatch                      // same key, other arguments
	idemConcurrent                    // same key, first request still running
)

func newIdempotency(c clock.Clock, ttl time.Duration) *idempotency {
	return &idempotency{clock: c, ttl: ttl, keys: map[string]*idemEntry{}}
}

// begin claims key for a mutation with the given canonical arguments.
func (d *idempotency) begin(mutation, key, args string) (idemOutcome, *idemEntry) {
	now := d.clock.Now()
	d.mu.Lock()
	defer d.mu.Unlock()
	if now.Sub(d.sweep) > d.ttl/4 {
		for k, e := range d.keys {
			if now.Sub(e.at) >= d.ttl {
				delete(d.keys, k)
			}
		}
		d.sweep = now
	}
	k := mutation + "\x00" + key
	e, ok := d.keys[k]
	if ok && now.Sub(e.at) >= d.ttl {
		ok = false
	}
	if !ok {
		e = &idemEntry{args: args, at: now}
		d.keys[k] = e
		return idemFirst, e
	}
	if e.args != args {
		return idemMismatch, e
	}
	if !e.done {
		return idemConcurrent, e
	}
	return idemReplay, e
}

// finish records the first attempt's payload.
func (d *idempotency) finish(e *idemEntry, payload any, failed bool) {
	d.mu.Lock()
	e.done, e.payload, e.failed = true, payload, failed
	d.mu.Unlock()
}

// abandon forgets a key whose first attempt never produced a payload (a top-level error),
// so the client may retry with it.
func (d *idempotency) abandon(mutation, key string, e *idemEntry) {
	d.mu.Lock()
	if d.keys[mutation+"\x00"+key] == e {
		delete(d.keys, mutation+"\x00"+key)
	}
	d.mu.Unlock()
}

func (d *idempotency) reset() {
	d.mu.Lock()
	d.keys = map[string]*idemEntry{}
	d.mu.Unlock()
}
