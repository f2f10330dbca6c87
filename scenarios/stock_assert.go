package scenarios

import (
	"context"
	"fmt"
	"time"

	"github.com/peakready/peakready/scenarios/report"
)

// checkStock judges the ERP → Shopify invariants when the ERP moved stock during the run
// (fakes.netsuite.stock): it stops the ERP's own stock moves and shipments, waits up to
// Settle (wall time) for the system to carry the last of them, then checks
// inventory_converged, fulfillments_mirrored, no_double_fulfillment and no_oversell on
// the fakes' state, and reports Shopify's GraphQL calls, points and THROTTLED answers,
// sold-out checkouts and how long stock changes took to reach Shopify.
func (r *runner) checkStock(ctx context.Context) error {
	st := r.sc.Fakes.NetSuite.Stock
	if st == nil {
		return nil
	}
	ns, shop := r.e.ns, r.e.shop
	lim := ns.Limits()
	lim.ReceiptsEvery, lim.AdjustmentsEvery, lim.OtherSalesEvery, lim.MassUpdateAt, lim.FulfillAfter = "off", "off", "off", "off", "off"
	if err := ns.SetLimits(lim); err != nil {
		return fmt.Errorf("stopping the ERP's stock moves: %w", err)
	}
	settle := time.Duration(st.Settle)
	if settle <= 0 {
		settle = DefaultStockSettle
	}
	r.overwriteAfterRun(ctx, settle)
	var in StockInput
	check := func() (conv, mirrored, double []report.Violation) {
		in = stockInput(ns, shop.Store(), st.SafetyStock)
		return CheckInventoryConverged(in), CheckFulfillmentsMirrored(in), CheckNoDoubleFulfillment(in)
	}
	deadline := time.Now().Add(settle)
	conv, mirrored, double := check()
	for len(conv)+len(mirrored)+len(double) > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(200 * time.Millisecond):
		}
		conv, mirrored, double = check()
	}
	if len(conv)+len(mirrored)+len(double) > 0 {
		r.note(fmt.Sprintf("Shopify had not converged on the ERP after waiting %s", settle))
	}

	r.overwriteAssertions()
	rep, add := r.rep, r.addInvariant
	add("inventory_converged", "SKUs show another on hand in Shopify than the ERP's on hand − safety stock", conv, StockNotConverged)
	add("fulfillments_mirrored", "ERP item fulfillments are missing from Shopify or differ there", mirrored, FulfillmentMissing, FulfillmentWrong)
	add("no_double_fulfillment", "orders were fulfilled more in Shopify than by the ERP", double, DoubleFulfillment)
	oversold := CheckNoOversell(in)
	if st.NoOversell {
		add("no_oversell", "SKUs were sold in Shopify beyond what the ERP had to spare above the safety stock", oversold, Oversold)
	} else if len(oversold) > 0 {
		r.note(fmt.Sprintf("%d SKUs were sold in Shopify beyond what the ERP had to spare (reported, not judged: the scenario does not set fakes.netsuite.stock.no_oversell)", len(oversold)))
	}
	if in.StockMovesDropped > 0 {
		r.note(fmt.Sprintf("the ERP's record of stock moves was full: %d moves are missing from no_oversell and the propagation figures", in.StockMovesDropped))
	}
	r.reportInventory(in, oversold)

	ss := shop.Stats()
	var throttled int64
	for _, n := range ss.Throttled {
		throttled += n
	}
	if m := st.MaxShopifyThrottledShare; m != nil {
		share := 0.0
		if ss.Requests > 0 {
			share = float64(throttled) / float64(ss.Requests)
		}
		ok := share <= *m
		as := report.Assertion{Name: "shopify_throttled_rare", Passed: ok, Measured: report.FormatShare(share), Budget: "≤ " + report.FormatShare(*m)}
		if !ok {
			as.Detail = fmt.Sprintf("Shopify refused %d of %d requests for its limits", throttled, ss.Requests)
		}
		rep.Assertions = append(rep.Assertions, as)
	}
	ms := ns.GovernanceStats()
	r.note(fmt.Sprintf("ERP → Shopify: %d item fulfillments; Shopify answered %d requests, %d of them throttled; the ERP pushed %d changes (%d dropped)",
		len(stockInput(ns, shop.Store(), st.SafetyStock).Shipments), ss.Requests, throttled, ms.Push.Delivered, ms.Push.Dropped))
	if n := r.e.dropPushes.count(); n > 0 {
		r.note(fmt.Sprintf("%d of the ERP's stock pushes were lost on the way (drop_push_share %g)", n, st.DropPushShare))
	}
	return nil
}
