package throttle

import (
	"context"
	"errors"
	"strconv"
	"time"
)

func (g *ConcurrencyGate) newID() string {
	return g.self + "." + strconv.FormatUint(g.seq.Add(1), 36)
}

// errTicketDropped tells a waiter its ticket left the line without a slot (its replica
// did not refresh it within WaiterTTL): it joins again with a new ticket.
var errTicketDropped = errors.New("throttle: ticket dropped from the line")

func (g *ConcurrencyGate) acquire(ctx context.Context, wait bool) (*Permit, error) {
	for {
		p, err := g.acquireOnce(ctx, wait)
		if !errors.Is(err, errTicketDropped) {
			return p, err
		}
	}
}

func (g *ConcurrencyGate) acquireOnce(ctx context.Context, wait bool) (*Permit, error) {
	select {
	case <-g.closed:
		return nil, ErrClosed
	default:
	}
	ticket := g.newID()
	w := &gateWaiter{ticket: ticket, done: make(chan error, 1)}
	if wait {
		// Registered before the script runs: a release on this replica may hand the slot
		// over the moment the ticket is in line.
		g.mu.Lock()
		g.waiters[ticket] = w
		g.mu.Unlock()
	}
	r, err := g.call(ctx, "acquire", ticket, boolArg(wait), g.cfg.WaiterTTL.Milliseconds())
	if err != nil {
		// The script may have run before the call failed: take the ticket (or the slot
		// granted to it) back.
		if ctx.Err() != nil {
			return nil, g.abandon(ctx, w)
		}
		g.unregister(ticket)
		g.addOrphan(ticket)
		return nil, err
	}
	if r.status == 1 {
		g.unregister(ticket)
		return g.newPermit(ticket), nil
	}
	if r.status < 0 {
		g.unregister(ticket)
		return nil, &StoreError{Limiter: g.kind, Upstream: g.name, Op: "acquire", Err: errors.New("ticket already given up")}
	}
	if !wait {
		return nil, nil
	}
	g.mu.Lock()
	w.inLine = true
	g.mu.Unlock()
	select {
	case err := <-w.done:
		if err != nil {
			return nil, err
		}
		return g.newPermit(ticket), nil
	case <-ctx.Done():
		return nil, g.abandon(ctx, w)
	case <-g.closed:
		if g.unregister(ticket) {
			g.addOrphan(ticket)
		} else if err := <-w.done; err == nil {
			g.addOrphan(ticket)
		}
		g.flushOrphans(context.Background())
		return nil, ErrClosed
	}
}

// abandon takes a waiter whose context ended out of line, giving back a slot granted to
// it in the meantime.
func (g *ConcurrencyGate) abandon(ctx context.Context, w *gateWaiter) error {
	g.unregister(w.ticket)
	cctx, cancel := detached(ctx, 5*time.Second)
	defer cancel()
	if _, err := g.call(cctx, "cancel", g.cfg.WaiterTTL.Milliseconds(), "1", w.ticket); err != nil {
		g.addOrphan(w.ticket)
		g.logger.Warn("throttle: could not leave the gate's line; retrying in the background", "ticket", w.ticket, "err", err)
	}
	return &ThrottledError{Upstream: g.name, Reason: "no concurrency slot before the context ended", Err: ctx.Err()}
}

// unregister removes a waiter; false when a grant or error was already dispatched to it.
func (g *ConcurrencyGate) unregister(ticket string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.waiters[ticket]
	delete(g.waiters, ticket)
	return ok
}

// The paths by which a hand-off reaches a waiter.
const (
	viaReply  = iota // the reply of a script this replica ran (a local release)
	viaSignal        // a pub/sub message from another replica's script
	viaPoll          // this replica's poll (a lost or late message)
)

// dispatch wakes the local waiters of tickets with err (nil: granted) and returns how
// many it woke. Tickets with no waiter are ignored: their waiter left, and its cancel
// gives the slot back.
func (g *ConcurrencyGate) dispatch(tickets []string, err error) int64 {
	if len(tickets) == 0 {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var n int64
	for _, t := range tickets {
		if w, ok := g.waiters[t]; ok {
			delete(g.waiters, t)
			w.done <- err
			n++
		}
	}
	return n
}

// failWaiters wakes every local waiter in line with err; their tickets become orphans.
// Waiters whose acquire call is still in flight are left to it: that call decides (a
// slot it was granted directly must not be given back behind its holder's back).
func (g *ConcurrencyGate) failWaiters(err error) {
	g.mu.Lock()
	for t, w := range g.waiters {
		if !w.inLine {
			continue
		}
		delete(g.waiters, t)
		g.orphans[t] = struct{}{}
		w.done <- err
	}
	g.mu.Unlock()
}
