package integrator

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/overwrite"
	"github.com/peakready/peakready/integrator/shopify"
)

// OverwriteConfig configures the nightly stock overwrite (off by default): the ERP's on
// hand of every SKU, less the safety stock (InventoryConfig.SafetyStock), overwrites
// Shopify's on hand where they differ, written at InventoryConfig.Location. It needs
// Shopify (Config.ShopifyURL).
type OverwriteConfig struct {
	// Enabled runs it every day at At, on one replica, and serves POST /admin/overwrite.
	Enabled bool
	// At is the local time of day, "HH:MM" (default DefaultOverwriteAt), in TimeZone (an
	// IANA name; empty: the machine's).
	At       string
	TimeZone string
	// Peak windows: the overwrite never starts within one, and a run under way when one
	// begins stops and resumes after it.
	Peak []PeakWindow
	// BatchSize is the SKUs a write (1 to shopify.MaxSetBatch, default the most).
	BatchSize int
}

// PeakWindow is a time the overwrite must not run: From and To both times of day
// ("18:00", "23:30"; To before From wraps past midnight), or both dates ("2026-11-27",
// whole days) or date-times ("2026-11-27T06:00") in the overwrite's time zone.
type PeakWindow struct {
	From, To string
}

// DefaultOverwriteAt is OverwriteConfig.At's default.
const DefaultOverwriteAt = "02:30"

// newOverwrite assembles the overwrite; sc is nil without Shopify.
func (a *App) newOverwrite(sc *shopify.Client, ns *netsuite.Client) error {
	c := a.cfg.Overwrite
	if !c.Enabled {
		return nil
	}
	if sc == nil {
		return errors.New("integrator: the stock overwrite needs a Shopify URL and token")
	}
	if c.BatchSize < 0 || c.BatchSize > shopify.MaxSetBatch {
		return fmt.Errorf("integrator: stock overwrite batch size %d must be 1 to %d", c.BatchSize, shopify.MaxSetBatch)
	}
	at := c.At
	if at == "" {
		at = DefaultOverwriteAt
	}
	peaks := make([]string, len(c.Peak))
	for i, p := range c.Peak {
		peaks[i] = p.From + ".." + p.To
	}
	sched, err := overwrite.ParseSchedule(at, c.TimeZone, peaks)
	if err != nil {
		return fmt.Errorf("integrator: %w", err)
	}
	var safety *inventory.SafetyStock
	switch {
	case a.inventory != nil:
		safety = a.inventory.syncer.Safety // one velocity record with the push flow
	case a.cfg.Inventory.SafetyStock != "":
		if safety, err = inventory.ParseSafetyStock(a.cfg.Inventory.SafetyStock); err != nil {
			return fmt.Errorf("integrator: %w", err)
		}
	}
	o := &overwrite.Overwriter{
		ERP:     &overwrite.SuiteQLStock{NetSuite: a.suiteQL(ns)},
		Shopify: &overwrite.BulkLevels{Shopify: sc, Location: a.cfg.Inventory.Location, Clock: a.cfg.Clock},
		Setter:  sc, Safety: safety, BatchSize: c.BatchSize, Clock: a.cfg.Clock, Logger: a.log,
		Progress: &overwrite.RedisProgress{Redis: a.cfg.Redis, Prefix: a.cfg.Prefix + ":overwrite"},
		Lock:     &overwrite.RedisLock{Redis: a.cfg.Redis, Key: a.cfg.Prefix + ":overwrite:lock"},
	}
	if a.push != nil && a.push.Latest != nil {
		o.Latest = a.push.Latest
	} else {
		// Without the push flow here, another replica's may still record changes.
		o.Latest = &inventory.RedisLatest{Redis: a.cfg.Redis, Key: a.cfg.Prefix + ":inventory:latest"}
	}
	a.metrics.overwrite = newOverwriteMetrics(a.metrics.registry)
	a.overwrite = &overwrite.Scheduler{Overwriter: o, Schedule: sched, Clock: a.cfg.Clock, Logger: a.log,
		Observe: a.metrics.overwriteRun}
	return nil
}

// runOverwrite runs the nightly overwrite until ctx ends.
func (a *App) runOverwrite(ctx context.Context) {
	if a.overwrite != nil {
		a.overwrite.Run(ctx)
	}
}

// serveOverwrite is POST /admin/overwrite: a run now (a new run id), answered when it
// is done, unless a peak window is on or another replica runs one (409).
func (a *App) serveOverwrite(w http.ResponseWriter, r *http.Request) {
	if a.overwrite == nil {
		writeError(w, http.StatusNotFound, "the stock overwrite is off (--stock-overwrite on)")
		return
	}
	id := "manual-" + strconv.FormatInt(a.cfg.Clock.Now().UnixMilli(), 10)
	sum, err := a.overwrite.RunOnce(r.Context(), id)
	a.metrics.overwriteRun(sum, err)
	switch {
	case err == nil:
		writeJSON(w, http.StatusOK, sum)
	case errors.Is(err, overwrite.ErrPeakWindow), errors.Is(err, overwrite.ErrRunning):
		writeError(w, http.StatusConflict, err.Error())
	default:
		writeError(w, http.StatusBadGateway, fmt.Sprintf("run %s stopped after writing %d SKUs: %v", id, sum.Written, err))
	}
}

// guardedSuiteQL puts SuiteQL reads (the overwrite's stock, the audit's sales orders)
// behind the guard every NetSuite call passes: the breaker, the concurrency gate every
// replica shares and its adaptive share, and the upstream metrics.
type guardedSuiteQL struct {
	ns    *netsuite.Client
	guard *guardedERP
}

func (g *guardedSuiteQL) SuiteQL(ctx context.Context, q string, limit, offset int) (page netsuite.SuiteQLPage, err error) {
	err = g.guard.do(ctx, func(ctx context.Context) (err error) {
		page, err = g.ns.SuiteQL(ctx, q, limit, offset)
		return err
	})
	return page, err
}

// suiteQL is ns behind the replica's NetSuite guard.
func (a *App) suiteQL(ns *netsuite.Client) *guardedSuiteQL {
	return &guardedSuiteQL{ns: ns, guard: &guardedERP{gate: a.gate, breaker: a.breaker, m: a.metrics, outageSnooze: a.cfg.OutageSnooze}}
}
