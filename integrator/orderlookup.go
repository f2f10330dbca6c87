package integrator

import (
	"context"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/shopify"
)

// shopifyLookup gives the orders flow what it asks of Shopify, from the Shopify client,
// so that the client knows nothing of the flows that use it. Errors pass through
// untouched: their Throttled, RetryAfter and Permanent methods still tell the queue what
// to do.
type shopifyLookup struct{ client *shopify.Client }

var _ flows.OrderLookup = shopifyLookup{}

func (l shopifyLookup) OrderDetails(ctx context.Context, orderID int64) (flows.OrderDetails, error) {
	d, err := l.client.OrderDetails(ctx, orderID)
	if err != nil {
		return flows.OrderDetails{}, err
	}
	out := flows.OrderDetails{RiskLevel: d.RiskLevel, Recommendation: d.Recommendation}
	for _, t := range d.Transactions {
		out.Transactions = append(out.Transactions, flows.Transaction(t))
	}
	return out, nil
}
