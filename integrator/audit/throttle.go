package audit

import (
	"context"
	"errors"
	"time"
)

// throttled is an upstream's "slow down" (Shopify's THROTTLED or 429, NetSuite's 429):
// both clients' errors say it this way.
type throttled interface {
	Throttled() bool
	RetryAfter() time.Duration
}

// Throttled answers are waited out and the page asked again, up to MaxThrottledWaits
// times a page, each wait what the upstream asked for (at least a second).
const MaxThrottledWaits = 5

// retryThrottled calls fn until it returns anything but a throttle, or the waits run
// out.
func (a *Auditor) retryThrottled(ctx context.Context, fn func() error) error {
	for i := 0; ; i++ {
		err := fn()
		var t throttled
		if err == nil || i == MaxThrottledWaits || !errors.As(err, &t) || !t.Throttled() {
			return err
		}
		wait := max(t.RetryAfter(), time.Second)
		if a.Clock != nil {
			if serr := a.Clock.Sleep(ctx, wait); serr != nil {
				return err
			}
			continue
		}
		select {
		case <-ctx.Done():
			return err
		case <-time.After(wait):
		}
	}
}
