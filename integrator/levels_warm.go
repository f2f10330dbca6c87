package integrator

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/overwrite"
	"github.com/peakready/peakready/integrator/shopify"
)

// DefaultLevelsRefresh is InventoryConfig.LevelsRefresh's default.
const DefaultLevelsRefresh = 12 * time.Hour

// levelsCheckEvery is how often a replica looks whether the shared levels need reading.
const levelsCheckEvery = time.Minute

// levelsWarm keeps the stock flow's shared SKU → Shopify level hash filled: when it has
// not been filled for refresh, one replica (the one that takes the lock) reads every
// SKU's level with one bulk query operation (10 points, however large the catalog) and
// replaces the hash with it. Until then, and for SKUs Shopify added since, the stock
// flow looks SKUs up one by one, once for every replica.
type levelsWarm struct {
	locator *inventory.SharedLocator
	read    *overwrite.BulkLevels
	lock    *overwrite.RedisLock
	redis   redis.UniversalClient
	filled  string // set when the hash was filled; it expires after refresh
	refresh time.Duration
	clock   clock.Clock
	log     *slog.Logger
	// reads counts bulk reads by outcome (completed, failed); skus is the SKUs the last
	// completed one found.
	reads *prometheus.CounterVec
	skus  prometheus.Gauge
}

// newLevelsMetrics registers the warm-up's metrics on reg.
func newLevelsMetrics(reg *prometheus.Registry) (*prometheus.CounterVec, prometheus.Gauge) {
	reads := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "peakready_inventory_levels_reads_total", Help: "Bulk reads of every SKU's Shopify inventory item and location into the replicas' shared record, by outcome (completed, failed).",
	}, []string{"outcome"})
	skus := prometheus.NewGauge(prometheus.GaugeOpts{
		Name: "peakready_inventory_levels_skus", Help: "SKUs the last completed bulk read of Shopify's levels found.",
	})
	reg.MustRegister(reads, skus)
	return reads, skus
}

// run fills the hash whenever it is due, until ctx ends.
func (w *levelsWarm) run(ctx context.Context) {
	for {
		if err := w.once(ctx); err != nil && ctx.Err() == nil {
			w.log.Warn("inventory: reading Shopify's levels in bulk failed; SKUs are looked up one by one meanwhile", "err", err)
		}
		if w.clock.Sleep(ctx, min(w.refresh, levelsCheckEvery)) != nil {
			return
		}
	}
}

// once fills the hash if it is due and no other replica is filling it.
func (w *levelsWarm) once(ctx context.Context) error {
	due := func() (bool, error) {
		n, err := w.redis.Exists(ctx, w.filled).Result()
		return n == 0, err
	}
	if ok, err := due(); err != nil || !ok {
		return err
	}
	release, lost, err := w.lock.Hold(ctx)
	if errors.Is(err, overwrite.ErrRunning) {
		return nil
	}
	if err != nil {
		return err
	}
	defer release()
	if ok, err := due(); err != nil || !ok { // another replica filled it meanwhile
		return err
	}
	ctx, cancel := whileHeld(ctx, lost)
	defer cancel()
	levels, err := w.read.Levels(ctx)
	if err != nil {
		w.reads.WithLabelValues("failed").Inc()
		return err
	}
	qs := make(map[string]shopify.Quantity, len(levels))
	for sku, l := range levels {
		qs[sku] = shopify.Quantity{InventoryItemID: l.InventoryItemID, LocationID: l.LocationID}
	}
	if err := w.locator.Replace(ctx, qs); err != nil {
		w.reads.WithLabelValues("failed").Inc()
		return err
	}
	w.reads.WithLabelValues("completed").Inc()
	w.skus.Set(float64(len(qs)))
	now := w.clock.Now()
	if err := w.redis.Set(ctx, w.filled, strconv.FormatInt(now.UnixMilli(), 10), w.refresh).Err(); err != nil {
		return err
	}
	w.log.Info("inventory: Shopify levels read in one bulk operation", "skus", len(qs))
	return nil
}

// whileHeld is ctx, cancelled as well when lost closes (a lock's holder lost it): the work
// done under the lock stops.
func whileHeld(ctx context.Context, lost <-chan struct{}) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		select {
		case <-lost:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}
