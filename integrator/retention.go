package integrator

import (
	"context"
	"time"

	"github.com/peakready/peakready/integrator/queue"
)

// Defaults of the dead-letter queue's retention.
const (
	DefaultDLQMaxLen = 100_000
	DefaultDLQMaxAge = 14 * 24 * time.Hour
	// trimEvery is how often a replica trims the dead-letter queue; every replica does
	// it, harmlessly.
	trimEvery = time.Minute
)

// retention is the configured bound of the dead-letter queue.
func (a *App) retention() queue.Retention {
	r := queue.Retention{MaxLen: a.cfg.DLQMaxLen, MaxAge: a.cfg.DLQMaxAge}
	if r.MaxLen == 0 {
		r.MaxLen = DefaultDLQMaxLen
	}
	if r.MaxAge == 0 {
		r.MaxAge = DefaultDLQMaxAge
	}
	return queue.Retention{MaxLen: max(r.MaxLen, 0), MaxAge: max(r.MaxAge, 0)}
}

// trimDeadLetters keeps the dead-letter queue within its retention until ctx ends.
func (a *App) trimDeadLetters(ctx context.Context) {
	r := a.retention()
	for {
		if n, err := a.queue.DLQ().Trim(ctx, r); err != nil && ctx.Err() == nil {
			a.log.Warn("dead-letter queue not trimmed", "err", err)
		} else if n > 0 {
			a.log.Info("dead letters past their retention dropped", "count", n, "max_len", r.MaxLen, "max_age", r.MaxAge)
		}
		if a.cfg.Clock.Sleep(ctx, trimEvery) != nil {
			return
		}
	}
}
