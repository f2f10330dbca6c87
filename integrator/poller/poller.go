// Package poller finds the Shopify orders whose webhooks never arrived: on a schedule it
// lists the orders updated since a watermark (GraphQL, through the shared cost bucket),
// compares each with what the integrator applied, and enqueues the missing or stale ones
// with their current payload. The watermark lives in Redis, so it survives restarts and
// is shared by every replica.
package poller

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

// Shopify is what the poller asks of Shopify. *shopify.Client is one.
type Shopify interface {
	UpdatedOrders(ctx context.Context, since time.Time, after string) ([]shopify.OrderStamp, string, error)
	OrderJSON(ctx context.Context, orderID int64) ([]byte, error)
}

// Applied tells the newest Shopify update of an order the integrator has applied (or
// otherwise accounted for, e.g. held for review); ok false when none.
type Applied func(ctx context.Context, orderID int64) (updatedAt time.Time, ok bool, err error)

// Enqueue queues an order's current payload for the orders flow.
type Enqueue func(ctx context.Context, orderID int64, updatedAt time.Time, payload []byte) error

// Watermark is the poller's durable position: every order updated before it has been
// compared.
type Watermark interface {
	Load(ctx context.Context) (time.Time, bool, error)
	Save(ctx context.Context, t time.Time) error
}

// Defaults of Poller.
const (
	DefaultEvery    = time.Minute
	DefaultOverlap  = 2 * time.Minute
	DefaultLookback = time.Hour
	DefaultMaxPages = 50
)

// Poller compares Shopify's recently updated orders with what the integrator applied.
type Poller struct {
	Shopify   Shopify
	Applied   Applied
	Enqueue   Enqueue
	Watermark Watermark
	Clock     clock.Clock
	// Overlap is listed again before the watermark on every pass (default 2 min): an
	// order whose update was being written when the last pass listed may show up late.
	Overlap time.Duration
	// Lookback is the window of the first pass, without a watermark (default 1 h).
	Lookback time.Duration
	// MaxPages bounds one pass (100 orders a page, default 50); the rest waits for the
	// next pass, from where this one got.
	MaxPages int
	Logger   *slog.Logger
}

// Pass is what one pass did.
type Pass struct {
	Since     time.Time // listed orders updated after this
	Listed    int
	Enqueued  int
	Watermark time.Time // saved at the end
}

// Poll runs one pass. The watermark moves to the newest update compared (never back),
// after the orders up to it were compared and the missing ones enqueued, so a pass that
// fails part-way is redone from the old watermark.
func (p *Poller) Poll(ctx context.Context) (Pass, error) {
	now := p.clock().Now()
	wm, ok, err := p.Watermark.Load(ctx)
	if err != nil {
		return Pass{}, err
	}
	if !ok {
		wm = now.Add(-orDefault(p.Lookback, DefaultLookback))
	}
	pass := Pass{Since: wm.Add(-orDefault(p.Overlap, DefaultOverlap)), Watermark: wm}
	newest := wm
	after := ""
	pages := p.MaxPages
	if pages <= 0 {
		pages = DefaultMaxPages
	}
	for range pages {
		orders, next, err := p.Shopify.UpdatedOrders(ctx, pass.Since, after)
		if err != nil {
			return pass, fmt.Errorf("poller: listing orders updated since %s: %w", pass.Since.Format(time.RFC3339), err)
		}
		for _, o := range orders {
			pass.Listed++
			at, ok, err := p.Applied(ctx, o.ID)
			if err != nil {
				return pass, err
			}
			if !ok || at.Before(o.UpdatedAt.Truncate(time.Second)) {
				payload, err := p.Shopify.OrderJSON(ctx, o.ID)
				if err != nil {
					return pass, fmt.Errorf("poller: reading order %d: %w", o.ID, err)
				}
				if err := p.Enqueue(ctx, o.ID, o.UpdatedAt, payload); err != nil {
					return pass, fmt.Errorf("poller: enqueueing order %d: %w", o.ID, err)
				}
				pass.Enqueued++
				p.log().Info("poller: order missing or stale, enqueued", "order", o.ID, "updated_at", o.UpdatedAt, "applied", ok)
			}
			if o.UpdatedAt.After(newest) {
				newest = o.UpdatedAt
			}
		}
		if next == "" {
			break
		}
		after = next
	}
	if newest.After(wm) {
		if err := p.Watermark.Save(ctx, newest); err != nil {
			return pass, err
		}
		pass.Watermark = newest
	}
	return pass, nil
}

// Run polls every interval (default DefaultEvery) until ctx ends; a failed pass is
// logged and the next one starts from the same watermark. Passes go to observe when it
// is not nil.
func (p *Poller) Run(ctx context.Context, every time.Duration, observe func(Pass, error)) {
	every = orDefault(every, DefaultEvery)
	for {
		if err := p.clock().Sleep(ctx, every); err != nil {
			return
		}
		pass, err := p.Poll(ctx)
		if err != nil && ctx.Err() == nil {
			p.log().Warn("poller: pass failed", "err", err, "since", pass.Since)
		}
		if observe != nil {
			observe(pass, err)
		}
	}
}

func (p *Poller) clock() clock.Clock {
	if p.Clock == nil {
		return clock.Real()
	}
	return p.Clock
}

func (p *Poller) log() *slog.Logger {
	if p.Logger == nil {
		return slog.New(slog.DiscardHandler)
	}
	return p.Logger
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}

// RedisWatermark is a Watermark in one Redis hash (at: RFC 3339 with nanoseconds, ns:
// Unix nanoseconds).
type RedisWatermark struct {
	Redis redis.UniversalClient
	Key   string
}

// Load implements Watermark.
func (w *RedisWatermark) Load(ctx context.Context) (time.Time, bool, error) {
	s, err := w.Redis.HGet(ctx, w.Key, "at").Result()
	if errors.Is(err, redis.Nil) {
		return time.Time{}, false, nil
	}
	if err != nil {
		return time.Time{}, false, fmt.Errorf("poller: reading the watermark: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, false, fmt.Errorf("poller: watermark %q: %w", s, err)
	}
	return t, true, nil
}

// Save implements Watermark; it never moves the watermark back (two replicas' passes may
// end in any order).
func (w *RedisWatermark) Save(ctx context.Context, t time.Time) error {
	err := saveScript.Run(ctx, w.Redis, []string{w.Key}, t.UTC().Format(time.RFC3339Nano), t.UnixNano()).Err()
	if err != nil {
		return fmt.Errorf("poller: saving the watermark: %w", err)
	}
	return nil
}

var saveScript = redis.NewScript(`
local n = redis.call('HGET', KEYS[1], 'ns')
if n and tonumber(n) >= tonumber(ARGV[2]) then return 0 end
redis.call('HSET', KEYS[1], 'at', ARGV[1], 'ns', ARGV[2])
return 1`)
