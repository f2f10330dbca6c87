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
	"github.com/peakready/peakready/integrator/overwrite"
	"github.com/peakready/peakready/integrator/shopify"
)

// Bounds of InventoryConfig.LevelsRefresh.
const (
	DefaultLevelsRefresh = 12 * time.Hour
	// MinLevelsRefresh: each refresh exports the whole catalog and holds the app's one
	// bulk query slot (the missed-webhook poller's and the overwrite's) while it runs.
	MinLevelsRefresh = 10 * time.Minute
)

// levelsCheckEvery is how often a replica looks whether the shared levels need reading;
// levelsRetryAfter is the wait after a failed read, doubled after each failure up to the
// refresh interval.
const (
	levelsCheckEvery = time.Minute
	levelsRetryAfter = 5 * time.Minute
)

// levelsBulkWait bounds the levels' bulk read, the wait for another of the app's bulk
// queries to end included (as the overwrite's).
const levelsBulkWait = overwrite.DefaultBulkWait

// The parts of the warm-up, as it uses them.
type (
	levelsReader interface {
		Levels(ctx context.Context) (map[string]overwrite.Level, error)
	}
	levelsReplacer interface {
		Replace(ctx context.Context, levels map[string]shopify.Quantity) error
	}
	levelsLock interface {
		Hold(ctx context.Context) (release func(), lost <-chan struct{}, err error)
	}
)

// levelsWarm keeps the stock flow's shared SKU → Shopify level hash filled: when it is
// due (never filled, or filled refresh ago), one replica (the one that takes the lock)
// reads every SKU's level with one bulk query operation (10 points to start, 1 a poll,
// however large the catalog) and replaces the hash with it. Until then, and for SKUs
// Shopify added since, the stock flow looks SKUs up one by one, once for every replica. A
// failed read is tried again after levelsRetryAfter, doubled after each failure up to
// refresh, by whichever replica comes first.
type levelsWarm struct {
	locator levelsReplacer
	read    levelsReader
	lock    levelsLock
	redis   redis.UniversalClient
	due     string // exists while the next read is not due; expires when it is
	refresh time.Duration
	clock   clock.Clock
	log     *slog.Logger
	// reads counts bulk reads by outcome (completed, failed); skus is the SKUs the last
	// completed one found.
	reads *prometheus.CounterVec
	skus  prometheus.Gauge

	failures int // in a row, this replica's
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
			w.log.Warn("inventory: reading Shopify's levels in bulk failed; SKUs are looked up one by one meanwhile", "err", err, "failures", w.failures)
		}
		if w.clock.Sleep(ctx, min(w.refresh, levelsCheckEvery)) != nil {
			return
		}
	}
}

// once fills the hash if it is due and no other replica is filling it.
func (w *levelsWarm) once(ctx context.Context) error {
	isDue := func() (bool, error) {
		n, err := w.redis.Exists(ctx, w.due).Result()
		return n == 0, err
	}
	if ok, err := isDue(); err != nil || !ok {
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
	if ok, err := isDue(); err != nil || !ok { // another replica filled it meanwhile
		return err
	}
	ctx, cancel := whileHeld(ctx, lost)
	defer cancel()
	err = w.fill(ctx)
	if err != nil && ctx.Err() != nil {
		return err // stopping, or the lock was lost: the next holder reads
	}
	next := w.refresh
	if err != nil {
		w.reads.WithLabelValues("failed").Inc()
		w.failures++
		next = min(w.refresh, levelsRetryAfter<<min(w.failures-1, 16))
	} else {
		w.failures = 0
	}
	now := w.clock.Now()
	if serr := w.redis.Set(ctx, w.due, strconv.FormatInt(now.UnixMilli(), 10), next).Err(); serr != nil {
		return errors.Join(err, serr)
	}
	return err
}

// fill reads every SKU's level and replaces the hash with them.
func (w *levelsWarm) fill(ctx context.Context) error {
	levels, err := w.read.Levels(ctx)
	if err != nil {
		return err
	}
	qs := make(map[string]shopify.Quantity, len(levels))
	for sku, l := range levels {
		qs[sku] = shopify.Quantity{InventoryItemID: l.InventoryItemID, LocationID: l.LocationID}
	}
	if err := w.locator.Replace(ctx, qs); err != nil {
		return err
	}
	w.reads.WithLabelValues("completed").Inc()
	w.skus.Set(float64(len(qs)))
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
