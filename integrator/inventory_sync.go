package integrator

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/overwrite"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/shopify"
)

// InventoryConfig configures the ERP → Shopify stock flow (off by default). It needs
// Shopify (Config.ShopifyURL).
type InventoryConfig struct {
	// Enabled turns the flow on: POST /netsuite/changes takes the ERP's inventory.changed
	// pushes, and every FlushEvery the changed SKUs' available quantities are written to
	// Shopify with inventorySetQuantities, BatchSize a call.
	Enabled bool
	// PushSecret is the HMAC-SHA256 key of the pushes' X-NetSuite-Signature. Required
	// with Enabled: the endpoint is public.
	PushSecret string
	// SafetyStock is held back from Shopify: a number of units ("5") or a share of each
	// SKU's recent sales velocity ("10%" or "10%/30m"), see inventory.ParseSafetyStock.
	// Empty: none.
	SafetyStock string
	// Location is the Shopify location (gid) the ERP's stock is written to; empty takes
	// each item's first location.
	Location   string
	FlushEvery time.Duration
	BatchSize  int
	// LevelsRefresh is how often every SKU's Shopify inventory item and location are
	// read again with one bulk query operation, by one replica, into the record the
	// replicas share (default DefaultLevelsRefresh, at least MinLevelsRefresh); negative:
	// never, each SKU is looked up by itself when first written, and the answer shared.
	LevelsRefresh time.Duration
}

// inventoryParts is the stock flow of a replica.
type inventoryParts struct {
	syncer *inventory.Syncer
	every  time.Duration
	warm   *levelsWarm // nil when LevelsRefresh is negative
}

// newInventory assembles the stock flow; sc is nil without Shopify.
func (a *App) newInventory(sc *shopify.Client) error {
	c := a.cfg.Inventory
	if !c.Enabled {
		return nil
	}
	if sc == nil {
		return errors.New("integrator: the inventory flow needs a Shopify URL and token")
	}
	if c.PushSecret == "" {
		return errors.New("integrator: the inventory flow needs a push secret (the ERP signs its change pushes with it)")
	}
	if c.BatchSize < 0 || c.BatchSize > shopify.MaxSetBatch {
		return fmt.Errorf("integrator: inventory batch size %d must be 1 to %d", c.BatchSize, shopify.MaxSetBatch)
	}
	safety := &inventory.SafetyStock{}
	if c.SafetyStock != "" {
		s, err := inventory.ParseSafetyStock(c.SafetyStock)
		if err != nil {
			return fmt.Errorf("integrator: %w", err)
		}
		safety = s
	}
	pending := inventory.NewCoalescer()
	latest := &inventory.RedisLatest{Redis: a.cfg.Redis, Key: a.cfg.Prefix + ":inventory:latest"}
	a.pushSinks()
	a.push.Pending, a.push.Latest = pending, latest
	refresh := c.LevelsRefresh
	if refresh == 0 {
		refresh = DefaultLevelsRefresh
	}
	if refresh > 0 && refresh < MinLevelsRefresh {
		return fmt.Errorf("integrator: the inventory levels refresh %s is under %s: each exports the whole catalog", refresh, MinLevelsRefresh)
	}
	// One record per location, under a hash tag: Replace renames a key of the same slot
	// over it.
	loc := sha256.Sum256([]byte(c.Location))
	key := "{" + a.cfg.Prefix + ":inventory:levels:" + hex.EncodeToString(loc[:6]) + "}"
	levels := &inventory.SharedLocator{Redis: a.cfg.Redis, Key: key, Shopify: sc, Location: c.Location,
		TTL: 2 * max(refresh, DefaultLevelsRefresh), Clock: a.cfg.Clock}
	a.inventory = &inventoryParts{
		syncer: &inventory.Syncer{Pending: pending, Safety: safety, Shopify: sc,
			Levels: levels, BatchSize: c.BatchSize, Clock: a.cfg.Clock, Latest: latest},
		every: c.FlushEvery,
	}
	if refresh > 0 {
		w := &levelsWarm{locator: levels, redis: a.cfg.Redis, due: key + ":filled", refresh: refresh,
			read:  &overwrite.BulkLevels{Shopify: sc, Location: c.Location, Clock: a.cfg.Clock, BulkWait: levelsBulkWait},
			lock:  &overwrite.RedisLock{Redis: a.cfg.Redis, Key: key + ":lock"},
			clock: a.cfg.Clock, log: a.log}
		w.reads, w.skus = newLevelsMetrics(a.metrics.registry)
		a.inventory.warm = w
	}
	return nil
}

// pushSinks is where flows other than stock register the ERP push types they take; it
// makes the push endpoint exist without the stock flow.
func (a *App) pushSinks() map[string]inventory.EventSink {
	if a.push == nil {
		a.push = &inventory.PushHandler{Secret: a.cfg.Inventory.PushSecret}
	}
	if a.push.Sinks == nil {
		a.push.Sinks = map[string]inventory.EventSink{}
	}
	return a.push.Sinks
}

// mountInventory adds POST /netsuite/changes when the stock or the fulfillment flow is on.
func (a *App) mountInventory(mux *http.ServeMux) {
	if a.push != nil {
		mux.Handle("/netsuite/changes", a.push)
	}
}

// runInventory writes pending stock to Shopify until ctx ends.
func (a *App) runInventory(ctx context.Context) {
	if a.inventory == nil {
		return
	}
	var wg sync.WaitGroup
	if w := a.inventory.warm; w != nil {
		wg.Go(func() { w.run(ctx) })
	}
	a.inventory.syncer.Run(ctx, a.inventory.every, a.log, nil)
	wg.Wait()
}

// countSales feeds a velocity safety stock: every orders/create the orders flow handled
// adds its lines' units to its SKUs' recent sales. (Velocity is kept per replica: each
// counts the orders it handled.)
func (a *App) countSales() {
	if a.inventory == nil || a.inventory.syncer.Safety.Share == 0 {
		return
	}
	inner, ok := a.routes["orders/create"]
	if !ok {
		return
	}
	safety, clk := a.inventory.syncer.Safety, a.cfg.Clock
	a.routes["orders/create"] = queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		if err := inner.Handle(ctx, m); err != nil {
			return err
		}
		var o struct {
			Lines []struct {
				SKU      string `json:"sku"`
				Quantity int    `json:"quantity"`
			} `json:"line_items"`
		}
		if json.Unmarshal(m.Payload, &o) == nil {
			now := clk.Now()
			for _, l := range o.Lines {
				if l.SKU != "" {
					safety.Sold(l.SKU, l.Quantity, now)
				}
			}
		}
		return nil
	})
}
