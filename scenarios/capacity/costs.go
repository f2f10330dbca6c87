package capacity

import (
	"fmt"
	"sort"
)

// Cost is the upstream requests one event causes when the integrator
// applies it (not skipped as stale or unchanged).
type Cost struct {
	NetSuite float64
	Shopify  float64
}

// EventCosts is what each order webhook costs, read from the orders flow:
//   - integrator/orders.go (registerOrderFlows, orderTopics) routes these
//     topics to flows.Orders;
//   - integrator/flows/orders.go (Orders.Handle) makes one Shopify
//     OrderDetails look-up (Orders.details, only when a look-up client is
//     configured) and one NetSuite UpsertSalesOrder;
//   - integrator/netsuite/client.go (Client.UpsertSalesOrder) sends one PUT
//     to salesOrder/eid:… (a second, status-only PUT happens only on a
//     fallback path, left out of the plan).
var EventCosts = map[string]Cost{
	"orders/create":              {NetSuite: 1, Shopify: 1},
	"orders/paid":                {NetSuite: 1, Shopify: 1},
	"orders/updated":             {NetSuite: 1, Shopify: 1},
	"orders/cancelled":           {NetSuite: 1, Shopify: 1},
	"orders/fulfilled":           {NetSuite: 1, Shopify: 1},
	"orders/partially_fulfilled": {NetSuite: 1, Shopify: 1},
}

// PerOrder turns events per order (topic → mean count) into requests per
// order per upstream. Without Shopify look-ups the Shopify cost is zero.
// An unknown topic is an error, so a new flow is not silently free.
func PerOrder(eventsPerOrder map[string]float64, shopifyLookups bool) (Cost, error) {
	topics := make([]string, 0, len(eventsPerOrder))
	for t := range eventsPerOrder {
		topics = append(topics, t)
	}
	sort.Strings(topics)
	var c Cost
	for _, t := range topics {
		n := eventsPerOrder[t]
		if n < 0 {
			return Cost{}, fmt.Errorf("capacity: topic %s: negative count %v", t, n)
		}
		ec, ok := EventCosts[t]
		if !ok {
			return Cost{}, fmt.Errorf("capacity: topic %s: no known cost", t)
		}
		c.NetSuite += n * ec.NetSuite
		if shopifyLookups {
			c.Shopify += n * ec.Shopify
		}
	}
	return c, nil
}
