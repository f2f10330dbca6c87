package throttle

import "context"

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
// window's clock) until the call is admitted, and returns a *ThrottledError for a wait
// longer than MaxWait or a closed window, or a *StoreError.
func (w *RollingWindow) Admit(ctx context.Context) (WindowCall, error) {
	for {
		token := newToken()
		r, err := w.call(ctx, "allow", token)
		if err != nil {
			return WindowCall{}, err
		}
		if r.allowed {
			return WindowCall{w: w, token: token}, nil
		}
		reason := r.reason
		if reason == "window" {
			reason = ReasonWindowFull
		}
		te := &ThrottledError{Upstream: w.name, Reason: reason, Wait: r.wait}
		if te.Wait > w.cfg.MaxWait {
			return WindowCall{}, te
		}
		if serr := w.clock.Sleep(ctx, te.Wait); serr != nil {
			te.Err = serr
			return WindowCall{}, te
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
