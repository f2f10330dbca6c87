package throttle

import (
	"context"
	"time"
)

// WindowCall is a call a RollingWindow admitted, for callers that report when its answer
// came (Done). The window logs a call at its admission; the upstream counts it when the
// request reaches it, later by a latency that varies. Done moves the call's time in the
// log to the answer's arrival, which is after the upstream counted it, so the call the
// window admits in its place a window later can never reach the upstream while the
// upstream still counts this one: no 429 from jitter, at the cost of the window holding
// each call for its latency more.
type WindowCall struct {
	w     *RollingWindow
	token string
}

// Admit is Wait for a call whose answer will be reported with Done: it blocks (on the
// window's clock) until the call's turn, at most MaxWait, and returns a *ThrottledError
// for a turn further away or a closed window, or a *StoreError. The error's Wait is the
// caller's place in line: callers refused one after another are told to come back one
// call's share of the window (Window ÷ Limit) apart, from the first turn they could
// have had, so that a backlog of them (a queue's snoozed messages) returns at the pace
// the window admits calls, not all when a place frees.
//
// A turn is reckoned from the times in the window's log, which for a call still in
// flight is its admission. When the turn comes, the call asks again, and the window
// looks afresh: a call that settled (Done) later than its admission, or a 429 that
// closed the window, moves the turn later (waited, if still within MaxWait of the first
// ask) or refuses it. A call whose wait ends with ctx gives its turn back.
func (w *RollingWindow) Admit(ctx context.Context) (WindowCall, error) {
	token := newToken()
	deadline := w.clock.Now().Add(w.cfg.MaxWait)
	for { // the first ask, then one at each turn
		left := max(deadline.Sub(w.clock.Now()), 0)
		r, err := w.call(ctx, "allow", token, left.Milliseconds(), 1)
		if err != nil {
			return WindowCall{}, err
		}
		if !r.allowed {
			return WindowCall{}, w.refused(r)
		}
		if r.wait <= 0 {
			return WindowCall{w: w, token: token}, nil
		}
		if serr := w.clock.Sleep(ctx, r.wait); serr != nil {
			// The turn goes back to the window, not wasted.
			rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_, _ = w.call(rctx, "release", token)
			cancel()
			return WindowCall{}, &ThrottledError{Upstream: w.name, Reason: ReasonWindowFull, Wait: r.wait, Err: serr}
		}
	}
}

// Done records that the call's answer came now. A lost report leaves the call at its
// admission time, as Allow does.
func (c WindowCall) Done(ctx context.Context) error {
	if c.w == nil {
		return nil
	}
	_, err := c.w.call(ctx, "settle", c.token)
	return err
}
