package scenarios

import (
	"fmt"
	"net/http"
	"net/url"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/scenarios/sut"
)

// ERPStock makes the ERP move stock and ship orders on its own during the run, so the
// system under test has ERP → Shopify work (fakes.netsuite.stock). With it, the run
// checks inventory_converged, fulfillments_mirrored and no_double_fulfillment. Both
// fakes then keep one stock location, so "the SKU's stock" means the same on both sides.
type ERPStock struct {
	// ReceiptsEvery, AdjustmentsEvery and OtherSalesEvery are platform-time intervals
	// between the ERP's own stock moves (a receipt of 1–100 units, an adjustment of
	// −20..+20, another channel's sale of 1–5), each of a random SKU; empty: off.
	ReceiptsEvery    Duration `yaml:"receipts_every"`
	AdjustmentsEvery Duration `yaml:"adjustments_every"`
	OtherSalesEvery  Duration `yaml:"other_sales_every"`
	// MassUpdateAt is when (platform time after the start) a batch job rewrites the stock
	// of MassUpdateSKUs SKUs at once (0: every SKU): the classic post-batch-job THROTTLED
	// incident. Empty: none.
	MassUpdateAt   Duration `yaml:"mass_update_at"`
	MassUpdateSKUs int      `yaml:"mass_update_skus"`
	// FulfillAfter is the distribution of the delay between an order reaching the ERP
	// and its item fulfillment (e.g. "lognormal(30s,2m)"); empty: the ERP ships nothing.
	FulfillAfter Dist `yaml:"fulfill_after"`
	// SafetyStock is the units per SKU Shopify must hold back: the system under test is
	// told it (sut.ERPUpstream), and inventory_converged expects on hand − it.
	SafetyStock int `yaml:"safety_stock"`
	// Settle is how long (wall time) the checker waits, after the drain, for Shopify to
	// converge once the ERP stops moving stock (default 30s).
	Settle Duration `yaml:"settle"`
	// MaxShopifyThrottledShare, when set, is the assertion shopify_throttled_rare: the
	// share of Shopify's requests answered THROTTLED (or 429) over the run.
	MaxShopifyThrottledShare *float64 `yaml:"max_shopify_throttled_share"`
	// OverwriteAt is when (platform time after the start) the runner asks the system
	// under test for the nightly stock overwrite (sut.StockOverwriter), or, when the run
	// ends earlier, once the ERP stopped moving stock; inventory_converged is judged
	// after it. Empty: none.
	OverwriteAt Duration `yaml:"overwrite_at"`
	// PeakWindows are spans (platform time after the start) in which the system must
	// refuse the overwrite; asked within one, it is asked again at its end.
	PeakWindows []PeakSpan `yaml:"peak_windows"`
	// DropPushShare is the share of the ERP's inventory.changed pushes lost on the way
	// (seeded): only the overwrite can repair them.
	DropPushShare float64 `yaml:"drop_push_share"`
	// StartingOnHand, when set, is every SKU's on hand at the start instead of the
	// seeded catalog's 0–500: a flash sale's small stock.
	StartingOnHand int `yaml:"starting_on_hand"`
	// NoOversell judges no_oversell. Only a scenario whose ERP never takes stock away on
	// its own (no negative adjustments, other channels' sales or mass updates) can ask
	// it of any system: a write-off in the ERP leaves Shopify selling the units until the
	// change reaches it, however fast the system is. Without it the oversold SKUs are
	// reported, not judged.
	NoOversell bool `yaml:"no_oversell"`
}

// InventoryPolicy is the fake Shopify's inventory policy: fakes.shopify.inventory_policy,
// or by default deny when the ERP moves stock (its stock is then what Shopify may sell)
// and continue otherwise (a scenario without ERP stock has no stock to honour, and its
// orders must not run dry).
func (s *Scenario) InventoryPolicy() string {
	if p := s.Fakes.Shopify.InventoryPolicy; p != "" {
		return p
	}
	if s.Fakes.NetSuite.Stock != nil {
		return store.PolicyDeny
	}
	return store.PolicyContinue
}

// catalog is the ERP's item master: nil (the seeded one) unless StartingOnHand sets
// every SKU's stock.
func (s *ERPStock) catalog(seed uint64, size int) *catalog.Catalog {
	if s.StartingOnHand <= 0 {
		return nil
	}
	cat := catalog.Generate(seed, size, 1)
	for i := range cat.Items {
		for l := range cat.Items[i].Stock {
			cat.Items[i].Stock[l] = s.StartingOnHand
		}
	}
	return &cat
}

// DefaultStockSettle is ERPStock.Settle's default.
const DefaultStockSettle = 30 * time.Second

// stockPushQueue bounds the fake ERP's pushes waiting for delivery in a stock run.
const stockPushQueue = 1 << 20

// stockPushSecret signs the fake ERP's pushes to the system under test.
const stockPushSecret = "peakready-scenario-erp-push-secret"

func (s *ERPStock) validate() error {
	if m := s.MaxShopifyThrottledShare; m != nil && (*m < 0 || *m > 1) {
		return fmt.Errorf("fakes.netsuite.stock: max_shopify_throttled_share must be from 0 to 1")
	}
	if s.SafetyStock < 0 || s.MassUpdateSKUs < 0 || s.Settle < 0 || s.StartingOnHand < 0 {
		return fmt.Errorf("fakes.netsuite.stock: safety_stock, mass_update_skus, settle and starting_on_hand must not be negative")
	}
	if s.StartingOnHand > store.MaxQuantity {
		return fmt.Errorf("fakes.netsuite.stock: starting_on_hand must be at most %d", store.MaxQuantity)
	}
	return s.validateOverwrite()
}

func every(d Duration) string {
	if d <= 0 {
		return "off"
	}
	return time.Duration(d).String()
}

// apply sets the ERP's stock knobs on its limits.
func (s *ERPStock) apply(l *netsuite.Limits) {
	l.ReceiptsEvery, l.AdjustmentsEvery, l.OtherSalesEvery = every(s.ReceiptsEvery), every(s.AdjustmentsEvery), every(s.OtherSalesEvery)
	l.MassUpdateAt, l.MassUpdateSKUs = every(s.MassUpdateAt), s.MassUpdateSKUs
	l.FulfillAfter = "off"
	if s.FulfillAfter != "" {
		l.FulfillAfter = string(s.FulfillAfter)
	}
}

// upstream is what the system under test is told.
func (s *ERPStock) upstream(start time.Time) *sut.ERPUpstream {
	up := &sut.ERPUpstream{PushSecret: stockPushSecret, SafetyStock: s.SafetyStock, Overwrite: s.OverwriteAt > 0}
	for _, w := range s.PeakWindows {
		up.PeakWindows = append(up.PeakWindows, sut.TimeSpan{From: start.Add(w.From.D()), To: start.Add(w.To.D())})
	}
	return up
}

// erpPushTransport sends the fake ERP's pushes to the system under test, whose URL is
// known only once it started (after the ERP): until then, and for a system that takes
// no pushes, a push fails and the ERP retries or drops it as a real account would.
type erpPushTransport struct {
	e    *env
	drop *pushDropper
}

func (t erpPushTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	to := t.e.erpPush.Load()
	if to == nil || *to == "" {
		return nil, fmt.Errorf("the system under test takes no ERP pushes")
	}
	u, err := url.Parse(*to)
	if err != nil {
		return nil, err
	}
	if t.drop.drop(r) {
		return droppedAnswer(r), nil
	}
	r2 := r.Clone(r.Context())
	r2.URL, r2.Host = u, u.Host
	return http.DefaultTransport.RoundTrip(r2)
}

// startFromTheERP sets Shopify's available stock to the ERP's on hand − safety stock for
// every SKU, as last night's overwrite left it: the run starts converged, and only what
// moves during it must be carried.
func (s *ERPStock) startFromTheERP(ns *netsuite.Server, st *store.Store) error {
	locs := st.Locations()
	if len(locs) == 0 {
		return fmt.Errorf("the store has no location")
	}
	for _, it := range ns.Catalog().Items {
		onHand := 0
		for _, q := range it.Stock {
			onHand += q
		}
		if _, ok := st.VariantBySKU(it.SKU); !ok {
			continue
		}
		if _, err := st.SetInventory(it.SKU, locs[0].ID, "available", max(0, onHand-s.SafetyStock)); err != nil {
			return fmt.Errorf("%s: %w", it.SKU, err)
		}
	}
	return nil
}
