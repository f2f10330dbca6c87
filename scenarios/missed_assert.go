package scenarios

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// WebhookNotRecovered is missed_webhooks_recovered's violation kind.
const WebhookNotRecovered = "webhook_not_recovered"

// lostDelivery are the deliverer's ledger actions of a webhook that never reached the
// system: dropped by the fault, failed after Shopify's last retry, abandoned, or refused
// by a full delivery queue.
var lostDelivery = []string{"dropped", "failed", "abandoned", ledger.Rejected}

// droppedOrders reads the deliverer's ledger: per order, when the first delivery of one
// of its order topics was lost.
func droppedOrders(l *ledger.Ledger) map[int64]time.Time {
	out := map[int64]time.Time{}
	for _, e := range l.Effects(webhooks.RecordDelivery) {
		if !slices.Contains(lostDelivery, e.Action) || !strings.HasPrefix(e.NaturalKey, "orders/") {
			continue
		}
		id, err := strconv.ParseInt(e.ExternalID, 10, 64)
		if err != nil {
			continue
		}
		if at, ok := out[id]; !ok || e.At.Before(at) {
			out[id] = e.At
		}
	}
	return out
}

// onlyOrders is a Truth limited to some orders.
type onlyOrders struct {
	Truth
	ids map[int64]time.Time
}

func (o onlyOrders) OrderIDs() []int64 {
	var out []int64
	for _, id := range o.Truth.OrderIDs() {
		if _, ok := o.ids[id]; ok {
			out = append(out, id)
		}
	}
	return out
}

// CheckMissedWebhooksRecovered is missed_webhooks_recovered: every order with a dropped
// webhook delivery is in the ERP anyway, once, at its latest state (or accounted for as
// the run allows). It returns the violations, naming each order, the topic-independent
// reason and what the ERP holds, and the platform time from each order's first dropped
// delivery to its ERP sales order, for the orders whose record came after the drop.
func CheckMissedWebhooksRecovered(truth Truth, erp *netsuite.Server, dropped map[int64]time.Time, acc sut.Accounted, opt CheckOptions) ([]report.Violation, []time.Duration) {
	opt.MaxListed = len(dropped) + 1
	res := Check(onlyOrders{Truth: truth, ids: dropped}, erp, acc, opt)
	var out []report.Violation
	for _, v := range res.Violations {
		if v.Kind == report.Unexpected {
			continue // records of the other orders
		}
		v.Detail = "a webhook of this order was dropped and it was not recovered: " + v.Kind + ": " + v.Detail
		v.Kind = WebhookNotRecovered
		out = append(out, v)
	}
	var recovery []time.Duration
	erp.EachSalesOrder(func(r netsuite.SalesOrderRecord) bool {
		id, err := strconv.ParseInt(r.NaturalKey, 10, 64)
		if at, ok := dropped[id]; err == nil && ok && r.Created.After(at) {
			recovery = append(recovery, r.Created.Sub(at))
		}
		return true
	})
	sort.Slice(recovery, func(i, j int) bool { return recovery[i] < recovery[j] })
	return out, recovery
}

// checkMissedWebhooks judges missed_webhooks_recovered when the run drops deliveries.
func (r *runner) checkMissedWebhooks(_ context.Context, acc sut.Accounted) {
	if r.sc.Delivery.DropShare <= 0 {
		return
	}
	e, a := r.e, r.sc.Assertions
	dropped := droppedOrders(e.deliv.Ledger())
	holds := e.sut.Traits().HoldsHighRisk
	vs, recovery := CheckMissedWebhooksRecovered(truthOf(e.shop.Store()), e.ns, dropped, acc, CheckOptions{
		ExpectHeld: holds && slices.Contains(a.Allow, "held"), AllowDeadLettered: slices.Contains(a.Allow, "dead_lettered")})
	r.addInvariant("missed_webhooks_recovered", fmt.Sprintf("of the %d orders with a dropped webhook are not in the ERP at their latest state", len(dropped)), vs, WebhookNotRecovered)
	if n := len(recovery); n > 0 {
		r.note(fmt.Sprintf("missed webhooks: %d orders had a delivery dropped; %d reached the ERP only after the drop, in p50 %s, max %s (platform time from the first dropped delivery to the ERP sales order, brought by a later webhook of the order or by the poller)",
			len(dropped), n, report.FormatDuration(recovery[n/2]), report.FormatDuration(recovery[n-1])))
	}
}

func truthOf(st *store.Store) Truth { return st }
