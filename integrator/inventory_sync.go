package integrator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/peakready/peakready/integrator/inventory"
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
}

// inventoryParts is the stock flow of a replica.
type inventoryParts struct {
	push   *inventory.PushHandler
	syncer *inventory.Syncer
	every  time.Duration
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
	a.inventory = &inventoryParts{
		push: &inventory.PushHandler{Pending: pending, Secret: c.PushSecret},
		syncer: &inventory.Syncer{Pending: pending, Safety: safety, Shopify: sc,
			Levels: &inventory.ShopifyLocator{Shopify: sc, Location: c.Location}, BatchSize: c.BatchSize, Clock: a.cfg.Clock},
		every: c.FlushEvery,
	}
	return nil
}

// mountInventory adds POST /netsuite/changes when the stock flow is on.
func (a *App) mountInventory(mux *http.ServeMux) {
	if a.inventory != nil {
		mux.Handle("/netsuite/changes", a.inventory.push)
	}
}

// runInventory writes pending stock to Shopify until ctx ends.
func (a *App) runInventory(ctx context.Context) {
	if a.inventory != nil {
		a.inventory.syncer.Run(ctx, a.inventory.every, a.log, nil)
	}
}
