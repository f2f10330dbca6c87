// Package poller finds the Shopify orders whose webhooks never arrived: on a schedule it
// lists the orders updated since a watermark (GraphQL, through the shared cost bucket),
// compares each with what the integrator applied, and enqueues the missing or stale ones
// with their current payload. A large window (a replica down overnight, a backlog more
// than a pass pages through) is read with one bulk query operation instead. The watermark
// lives in Redis, so it survives restarts and is shared by every replica.
package poller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

// Shopify is what the poller asks of Shopify: the paged listing, the bulk query
// operations and the order read. *shopify.Client is one.
type Shopify interface {
	UpdatedOrders(ctx context.Context, since time.Time, after string) ([]shopify.OrderStamp, string, error)
	OrderJSON(ctx context.Context, orderID int64) ([]byte, error)
	shopify.BulkQuerier
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
	// DefaultBulkAfter: a window longer than 6 h (a replica down overnight) is read
	// with a bulk operation.
	DefaultBulkAfter = 6 * time.Hour
	// DefaultMaxBulkBytes bounds a bulk result: about 80 bytes an order, some 800,000
	// orders, held as 32-byte stamps while they are compared.
	DefaultMaxBulkBytes = 64 << 20
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
	// BulkAfter: a window since the watermark longer than this (default 6 h) is read
	// with one bulk query operation instead of pages; so is the rest of a window a paged
	// pass leaves after MaxPages pages.
	BulkAfter time.Duration
	// BulkPollEvery, BulkWait and MaxBulkBytes drive the bulk read (shopify.BulkRead;
	// defaults 2 s, 1 h, DefaultMaxBulkBytes).
	BulkPollEvery time.Duration
	BulkWait      time.Duration
	MaxBulkBytes  int64
	Logger        *slog.Logger
}

// Pass is what one pass did.
type Pass struct {
	Since     time.Time // listed orders updated after this
	Listed    int
	Enqueued  int
	Watermark time.Time // saved at the end
	// Bulk is the id of the bulk operation that listed the window (or the rest of it),
	// "" for a paged pass.
	Bulk string
}

// Poll runs one pass: a window since the watermark longer than BulkAfter is listed with
// one bulk operation, a shorter one page by page (at most MaxPages pages; the rest, if
// any, with one bulk operation). The watermark moves to the newest update compared (never
// back), after the orders up to it were compared and the missing ones enqueued, so a
// pass that fails part-way is redone from the old watermark.
func (p *Poller) Poll(ctx context.Context) (Pass, error) {
	now := p.clock().Now()
	wm, ok, err := p.Watermark.Load(ctx)
	if err != nil {
		return Pass{}, err
	}
	if !ok {
		wm = now.Add(-orDefault(p.Lookback, DefaultLookback))
	}
	overlap := orDefault(p.Overlap, DefaultOverlap)
	pass := Pass{Since: wm.Add(-overlap), Watermark: wm}
	newest := wm
	compare := func(o shopify.OrderStamp) error {
		pass.Listed++
		enqueued, err := p.compare(ctx, o)
		if err != nil {
			return err
		}
		if enqueued {
			pass.Enqueued++
		}
		if o.UpdatedAt.After(newest) {
			newest = o.UpdatedAt
		}
		return nil
	}
	bulkSince := pass.Since
	more := now.Sub(wm) > orDefault(p.BulkAfter, DefaultBulkAfter)
	if !more {
		if more, err = p.paged(ctx, pass.Since, compare); err != nil {
			return pass, err
		}
		if more {
			// The pages compared so far stay compared: save them, and list the rest
			// from the newest of them (less the overlap).
			if err := p.save(ctx, &pass, newest); err != nil {
				return pass, err
			}
			bulkSince = newest.Add(-overlap)
		}
	}
	if more {
		if pass.Bulk, err = p.bulk(ctx, bulkSince, compare); err != nil {
			return pass, err
		}
	}
	return pass, p.save(ctx, &pass, newest)
}

// paged lists the orders updated after since page by page, at most MaxPages pages; more
// reports a next page left.
func (p *Poller) paged(ctx context.Context, since time.Time, compare func(shopify.OrderStamp) error) (more bool, err error) {
	after := ""
	pages := p.MaxPages
	if pages <= 0 {
		pages = DefaultMaxPages
	}
	for range pages {
		orders, next, err := p.Shopify.UpdatedOrders(ctx, since, after)
		if err != nil {
			return false, fmt.Errorf("poller: listing orders updated since %s: %w", since.Format(time.RFC3339), err)
		}
		for _, o := range orders {
			if err := compare(o); err != nil {
				return false, err
			}
		}
		if next == "" {
			return false, nil
		}
		after = next
	}
	return true, nil
}

// bulk lists the orders updated at or after since with one bulk query operation and
// compares them once the result is read whole: reading each missing order and enqueueing
// it while the download is open could outlast the result's connection.
func (p *Poller) bulk(ctx context.Context, since time.Time, compare func(shopify.OrderStamp) error) (string, error) {
	run := shopify.BulkRead{Shopify: p.Shopify, PollEvery: p.BulkPollEvery, Wait: p.BulkWait, Clock: p.clock(), MaxBytes: p.MaxBulkBytes}
	if run.MaxBytes <= 0 {
		run.MaxBytes = DefaultMaxBulkBytes
	}
	var orders []shopify.OrderStamp
	id, err := run.Run(ctx, shopify.UpdatedOrdersBulkQuery(since), func(r io.Reader) error {
		return shopify.ParseOrderStamps(r, func(o shopify.OrderStamp) error {
			orders = append(orders, o)
			return nil
		})
	})
	if err != nil {
		return id, fmt.Errorf("poller: bulk listing of orders updated since %s: %w", since.Format(time.RFC3339), err)
	}
	p.log().Info("poller: window read with a bulk operation", "operation", id, "since", since, "orders", len(orders))
	for _, o := range orders {
		if err := compare(o); err != nil {
			return id, err
		}
	}
	return id, nil
}

// compare enqueues o when the integrator never applied it, or applied an older update.
func (p *Poller) compare(ctx context.Context, o shopify.OrderStamp) (enqueued bool, err error) {
	at, ok, err := p.Applied(ctx, o.ID)
	if err != nil {
		return false, err
	}
	if ok && !at.Before(o.UpdatedAt.Truncate(time.Second)) {
		return false, nil
	}
	payload, err := p.Shopify.OrderJSON(ctx, o.ID)
	if err != nil {
		return false, fmt.Errorf("poller: reading order %d: %w", o.ID, err)
	}
	if err := p.Enqueue(ctx, o.ID, o.UpdatedAt, payload); err != nil {
		return false, fmt.Errorf("poller: enqueueing order %d: %w", o.ID, err)
	}
	p.log().Info("poller: order missing or stale, enqueued", "order", o.ID, "updated_at", o.UpdatedAt, "applied", ok)
	return true, nil
}

// save moves the watermark to newest when it is ahead.
func (p *Poller) save(ctx context.Context, pass *Pass, newest time.Time) error {
	if !newest.After(pass.Watermark) {
		return nil
	}
	if err := p.Watermark.Save(ctx, newest); err != nil {
		return err
	}
	pass.Watermark = newest
	return nil
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
