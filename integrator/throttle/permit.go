package throttle

import (
	"context"
	"sync/atomic"
	"time"
)

// Permit is one slot of a ConcurrencyGate. Its methods are safe for concurrent use.
type Permit struct {
	gate     *ConcurrencyGate
	id       string
	released atomic.Bool
	lost     atomic.Bool
}

func (g *ConcurrencyGate) newPermit(id string) *Permit {
	p := &Permit{gate: g, id: id}
	g.mu.Lock()
	g.held[id] = p
	g.mu.Unlock()
	return p
}

// ID is the permit's member in the gate's holders set.
func (p *Permit) ID() string { return p.id }

// Lost reports whether the gate found the permit's lease expired (heartbeat or Extend).
func (p *Permit) Lost() bool { return p.lost.Load() }

// Release gives the slot back; it goes to the oldest waiter at once. It works with a
// context that has already ended (it then allows itself 5 s). A second Release is a
// no-op returning nil. It returns ErrLeaseLost when the lease had already expired, and
// a *StoreError when Redis cannot be reached (the gate then retries in the background,
// and the lease expires in any case).
func (p *Permit) Release(ctx context.Context) error {
	if !p.released.CompareAndSwap(false, true) {
		return nil
	}
	g := p.gate
	g.mu.Lock()
	delete(g.held, p.id)
	g.mu.Unlock()
	if ctx.Err() != nil {
		// The slot must go back even when the caller's context has ended.
		var cancel context.CancelFunc
		ctx, cancel = detached(ctx, 5*time.Second)
		defer cancel()
	}
	r, err := g.call(ctx, "release", p.id)
	if err != nil {
		g.addOrphan(p.id)
		return err
	}
	if r.status == 0 {
		p.lost.Store(true)
		return ErrLeaseLost
	}
	return nil
}

// Extend renews the permit's lease for another Lease from now. It returns ErrLeaseLost
// when the lease had expired (the slot may be someone else's now).
func (p *Permit) Extend(ctx context.Context) error {
	if p.released.Load() {
		return ErrLeaseLost
	}
	r, err := p.gate.call(ctx, "extend", p.id)
	if err != nil {
		return err
	}
	if len(r.extra) != 1 || asInt(r.extra[0]) != 1 {
		p.lost.Store(true)
		return ErrLeaseLost
	}
	return nil
}
