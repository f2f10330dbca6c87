package integrator

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/integrator/poller"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/shopify"
)

// PollerConfig configures the missed-webhook poller (off by default). It needs Shopify
// (Config.ShopifyURL).
type PollerConfig struct {
	// Enabled runs a pass every Every (default poller.DefaultEvery, platform time), on
	// one replica at a time.
	Enabled bool
	Every   time.Duration
	// Overlap and Lookback: see poller.Poller (defaults 2 min and 1 h).
	Overlap  time.Duration
	Lookback time.Duration
	// BulkAfter: a window since the watermark longer than this is read with one bulk
	// query operation (default poller.DefaultBulkAfter, 6 h).
	BulkAfter time.Duration
}

// newPoller assembles the missed-webhook poller; sc is nil without Shopify.
func (a *App) newPoller(sc *shopify.Client) error {
	c := a.cfg.Poller
	if !c.Enabled {
		return nil
	}
	if sc == nil {
		return errors.New("integrator: the missed-webhook poller needs a Shopify URL and token")
	}
	a.poller = &poller.Poller{Shopify: sc, Clock: a.cfg.Clock, Overlap: c.Overlap, Lookback: c.Lookback, BulkAfter: c.BulkAfter, Logger: a.log,
		Watermark: &poller.RedisWatermark{Redis: a.cfg.Redis, Key: a.cfg.Prefix + ":poller:watermark"},
		Applied:   a.appliedOrder,
		Enqueue: func(ctx context.Context, id int64, updatedAt time.Time, payload []byte) error {
			_, err := a.queue.Enqueue(ctx, queue.Message{ID: "poller-" + strconv.FormatInt(id, 10) + "-" + strconv.FormatInt(updatedAt.Unix(), 10),
				Key: "order:" + strconv.FormatInt(id, 10), Topic: "orders/updated", Payload: payload})
			return err
		}}
	return nil
}

// appliedOrder is the newest update of an order the orders flow applied, or held.
func (a *App) appliedOrder(ctx context.Context, id int64) (time.Time, bool, error) {
	v, ok, err := a.orders.Versions.Applied(ctx, "order:"+strconv.FormatInt(id, 10))
	if err != nil || ok {
		return v.UpdatedAt, ok, err
	}
	h, ok, err := a.holds.Get(ctx, id)
	return h.UpdatedAt, ok, err
}

// pollerTurn: KEYS[1] the platform ms of the last pass; ARGV[1] now, ARGV[2] the least
// time between passes. 1 when this caller takes the turn.
var pollerTurn = redis.NewScript(`
local last = tonumber(redis.call('GET', KEYS[1]))
if last and tonumber(ARGV[1]) - last < tonumber(ARGV[2]) then return 0 end
redis.call('SET', KEYS[1], ARGV[1], 'EX', 86400)
return 1`)

// runPoller runs a pass every interval on one replica at a time (the first whose timer
// fires once the last pass is an interval old), so replicas do not list the same orders
// over and over.
func (a *App) runPoller(ctx context.Context) {
	if a.poller == nil {
		return
	}
	every := a.cfg.Poller.Every
	if every <= 0 {
		every = poller.DefaultEvery
	}
	turn := a.cfg.Prefix + ":poller:last"
	for {
		if err := a.cfg.Clock.Sleep(ctx, every); err != nil {
			return
		}
		// One pass per interval across the replicas: a replica takes the turn when the
		// last pass (by any replica, in platform time) is at least an interval old.
		now := a.cfg.Clock.Now().UnixMilli()
		ok, err := pollerTurn.Run(ctx, a.cfg.Redis, []string{turn}, now, every.Milliseconds()*9/10).Int()
		if err != nil || ok != 1 {
			continue
		}
		pass, err := a.poller.Poll(ctx)
		if err != nil && ctx.Err() == nil {
			a.log.Warn("missed-webhook poller: pass failed", "err", err, "since", pass.Since)
		}
		if pass.Enqueued > 0 {
			a.log.Info("missed-webhook poller: orders recovered", "enqueued", pass.Enqueued, "listed", pass.Listed, "watermark", pass.Watermark)
		}
	}
}
