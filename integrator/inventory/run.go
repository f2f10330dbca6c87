package inventory

import (
	"context"
	"errors"
	"log/slog"
	"time"
)

// DefaultFlushEvery is how often Run writes what is pending.
const DefaultFlushEvery = time.Second

// Run writes the pending changes every interval (default DefaultFlushEvery) until ctx
// ends. A throttled write waits what Shopify's answer implies (RetryAfter) before the
// next, without dropping anything; any other failed write is logged and its batch, put
// back unless the failure was permanent, goes with the next interval. Written and failed
// counts go to observe when it is not nil.
func (s *Syncer) Run(ctx context.Context, every time.Duration, log *slog.Logger, observe func(written int, err error)) {
	if every <= 0 {
		every = DefaultFlushEvery
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	c := s.clock()
	for {
		if err := c.Sleep(ctx, every); err != nil {
			return
		}
		for s.Pending.Len() > 0 && ctx.Err() == nil {
			n, err := s.Flush(ctx)
			if observe != nil {
				observe(n, err)
			}
			if err == nil {
				continue
			}
			var th interface {
				Throttled() bool
				RetryAfter() time.Duration
			}
			if errors.As(err, &th) && th.Throttled() {
				if c.Sleep(ctx, max(th.RetryAfter(), every/10)) != nil {
					return
				}
				continue
			}
			log.Warn("inventory: writing stock to Shopify failed", "err", err, "pending", s.Pending.Len())
			break
		}
	}
}
