package brokensut

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/peakready/peakready/integrator/fulfillment"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/shopify"
	"github.com/peakready/peakready/scenarios/sut"
)

// The ERP → Shopify modes. Both take the ERP's signed pushes at /netsuite/changes and
// sync orders correctly.
const (
	// IgnoreERPStock mirrors the ERP's fulfillments exactly once but never writes the
	// ERP's stock changes to Shopify: inventory_converged must name the SKUs that moved.
	IgnoreERPStock Mode = iota + 200
	// FulfilTwice writes stock correctly but ships each ERP fulfillment of two units or
	// more as two Shopify fulfillments with the same tracking number (one unit first,
	// then what remains: a retry that does not look before it ships): no_double_fulfillment
	// must name those orders.
	FulfilTwice
	// OverwriteAvailable writes the ERP's on hand − safety stock to Shopify's available,
	// not its on hand: each push of a SKU hands the units of the orders Shopify took and
	// the ERP has not shipped back to the next buyer, so a small stock oversells and
	// no_oversell must name the SKUs. Fulfillments are mirrored correctly.
	OverwriteAvailable
)

// availableSetter writes what a Syncer gives as on hand to Shopify's available.
type availableSetter struct{ c *shopify.Client }

func (a availableSetter) SetOnHand(ctx context.Context, qs []shopify.Quantity, reference, key string) error {
	return a.c.SetAvailable(ctx, qs, reference, key)
}

// erpSide is the ERP → Shopify half of a broken integrator.
type erpSide struct {
	push   *inventory.PushHandler
	shop   *shopify.Client
	mirror *fulfillment.Mirror
	syncer *inventory.Syncer // FulfilTwice's
	stop   context.CancelFunc
	done   chan struct{}

	mu      sync.Mutex
	doubled map[int64]bool
}

// startERP wires the ERP pushes of mode (nil for the other modes).
func startERP(s *SUT, up sut.Upstreams) error {
	if s.mode != IgnoreERPStock && s.mode != FulfilTwice && s.mode != OverwriteAvailable {
		return nil
	}
	if up.ERP == nil {
		return fmt.Errorf("broken integrator %s needs a scenario with fakes.netsuite.stock", s.mode)
	}
	c, err := shopify.New(up.ShopifyURL, "shpat_broken", "", nil, nil)
	if err != nil {
		return err
	}
	e := &erpSide{shop: c, mirror: &fulfillment.Mirror{Shopify: c, Record: &memRecord{m: map[string]string{}}}, doubled: map[int64]bool{}, done: make(chan struct{})}
	e.push = &inventory.PushHandler{Secret: up.ERP.PushSecret, Sinks: map[string]inventory.EventSink{fulfillment.EventFulfillmentCreated: e.ship(s.mode)}}
	ctx, cancel := context.WithCancel(context.Background())
	e.stop = cancel
	if s.mode == FulfilTwice || s.mode == OverwriteAvailable {
		safety := &inventory.SafetyStock{Fixed: up.ERP.SafetyStock}
		// The ERP's pushes arrive in any order (a batch job's and a record's come from
		// different contexts): the newest change of each SKU wins, as in the bundled
		// integrator, whatever was written before it.
		latest := &memLatest{m: map[string]inventory.Change{}}
		e.push.Pending, e.push.Latest = inventory.NewCoalescer(), latest
		var set inventory.Setter = c
		if s.mode == OverwriteAvailable {
			set = availableSetter{c}
		}
		syncer := &inventory.Syncer{Pending: e.push.Pending, Safety: safety, Shopify: set, Levels: &inventory.ShopifyLocator{Shopify: c}, Latest: latest}
		e.syncer = syncer
		go func() {
			defer close(e.done)
			syncer.Run(ctx, 100*time.Millisecond, nil, nil)
		}()
	} else {
		close(e.done)
	}
	s.erp = e
	return nil
}

func (e *erpSide) close() {
	e.stop()
	<-e.done
}

// ship handles one pushed fulfillment, at once (a broken integrator has no queue).
func (e *erpSide) ship(mode Mode) inventory.EventSink {
	return func(ctx context.Context, _ string, data json.RawMessage) error {
		s, err := fulfillment.ParseShipment(data)
		if err != nil {
			return nil
		}
		if mode == FulfilTwice {
			if err := e.shipTwice(ctx, s); err != nil {
				return err
			}
			// Its stock writes are right, as the bundled integrator's are.
			skus := make([]string, len(s.Lines))
			for i, l := range s.Lines {
				skus[i] = l.SKU
			}
			return e.syncer.Refresh(ctx, skus)
		}
		_, err = e.mirror.Apply(ctx, s)
		return err
	}
}

func (e *erpSide) shipTwice(ctx context.Context, s fulfillment.Shipment) error {
	t := shopify.Tracking{Company: fulfillment.ShopifyCompany(s.Carrier), Numbers: s.TrackingNumbers}
	lines := func(first bool) ([]shopify.ShipLine, error) {
		sh, err := e.shop.OrderShipping(ctx, s.OrderID)
		if err != nil {
			return nil, err
		}
		var out []shopify.ShipLine
		for _, l := range s.Lines {
			for _, fo := range sh.FulfillmentOrders {
				for _, fl := range fo.Lines {
					if fl.SKU == l.SKU && fl.RemainingQuantity > 0 {
						q := min(fl.RemainingQuantity, l.Quantity)
						if first {
							return []shopify.ShipLine{{FulfillmentOrderID: fo.ID, LineID: fl.ID, Quantity: 1}}, nil
						}
						out = append(out, shopify.ShipLine{FulfillmentOrderID: fo.ID, LineID: fl.ID, Quantity: q})
					}
				}
			}
		}
		return out, nil
	}
	first, err := lines(true)
	if err != nil || len(first) == 0 {
		return err
	}
	if _, err := e.shop.CreateFulfillment(ctx, first, t); err != nil {
		return err
	}
	rest, err := lines(false)
	if err != nil || len(rest) == 0 {
		return err
	}
	if _, err := e.shop.CreateFulfillment(ctx, rest, t); err != nil {
		return err
	}
	e.mu.Lock()
	e.doubled[s.OrderID] = true
	e.mu.Unlock()
	return nil
}

// Doubled lists the orders FulfilTwice shipped in two Shopify fulfillments.
func (s *SUT) Doubled() map[int64]bool {
	out := map[int64]bool{}
	if s.erp == nil {
		return out
	}
	s.erp.mu.Lock()
	defer s.erp.mu.Unlock()
	for k := range s.erp.doubled {
		out[k] = true
	}
	return out
}

// ERPPushURL implements sut.ERPPushReceiver (an empty URL for the modes that take no
// ERP pushes).
func (s *SUT) ERPPushURL() string {
	if s.erp == nil {
		return ""
	}
	return s.base + "/netsuite/changes"
}

func (s *SUT) serveERP(w http.ResponseWriter, r *http.Request) bool {
	if r.URL.Path != "/netsuite/changes" || s.erp == nil {
		return false
	}
	s.erp.push.ServeHTTP(w, r)
	return true
}

// memRecord is a fulfillment.Record in memory.
type memRecord struct {
	mu sync.Mutex
	m  map[string]string
}

func (r *memRecord) Mirrored(_ context.Context, id string) (string, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.m[id], nil
}

func (r *memRecord) Remember(_ context.Context, id, f string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.m[id] = f
	return nil
}

// memLatest is inventory.Latest in memory, for one process.
type memLatest struct {
	mu sync.Mutex
	m  map[string]inventory.Change
}

func (l *memLatest) Offer(_ context.Context, c inventory.Change) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if cur, ok := l.m[c.SKU]; !ok || !cur.At.After(c.At) {
		l.m[c.SKU] = c
	}
	return nil
}

func (l *memLatest) Newest(_ context.Context, skus []string) (map[string]inventory.Change, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make(map[string]inventory.Change, len(skus))
	for _, sku := range skus {
		if c, ok := l.m[sku]; ok {
			out[sku] = c
		}
	}
	return out, nil
}
