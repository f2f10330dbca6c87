package integrator

import (
	"context"
	"errors"
	"strconv"
	"time"

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
	a.poller = &poller.Poller{Shopify: sc, Clock: a.cfg.Clock, Overlap: c.Overlap, Lookback: c.Lookback, Logger: a.log,
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

// runPoller runs a pass every interval while this replica holds the poller's lease, so
// replicas do not list the same orders at once.
func (a *App) runPoller(ctx context.Context) {
	if a.poller == nil {
		return
	}
	every := a.cfg.Poller.Every
	if every <= 0 {
		every = poller.DefaultEvery
	}
	lease := a.cfg.Prefix + ":poller:lease"
	for {
		if err := a.cfg.Clock.Sleep(ctx, every); err != nil {
			return
		}
		// The lease is wall time, at least a second: Redis expires keys on its own clock.
		ok, err := a.cfg.Redis.SetNX(ctx, lease, "1", max(every/2, time.Second)).Result()
		if err != nil || !ok {
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
