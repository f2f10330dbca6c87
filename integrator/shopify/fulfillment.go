package shopify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// orderShippingQuery reads what mirroring a shipment needs: the order's open fulfillment
// orders with their lines, and the tracking numbers of the fulfillments it already has.
// Requested cost (as fakes/shopify counts it by Shopify's rules): 35.
const orderShippingQuery = `query OrderShipping($id: ID!) {
  order(id: $id) {
    id
    fulfillmentOrders(first: 5) { nodes { id status lineItems(first: 50) { nodes { id sku remainingQuantity } } } }
    fulfillments(first: 50) { id trackingInfo(first: 5) { number } }
  }
}`

const orderShippingCost = 35

// FulfillmentOrderLine is one line of a fulfillment order: its gid, SKU and the
// quantity not yet fulfilled.
type FulfillmentOrderLine struct {
	ID                string
	SKU               string
	RemainingQuantity int
}

// FulfillmentOrder is a fulfillment order of an order (gid, status OPEN, IN_PROGRESS,
// CLOSED, CANCELLED...) with its lines.
type FulfillmentOrder struct {
	ID     string
	Status string
	Lines  []FulfillmentOrderLine
}

// OrderShipping is an order's fulfillment orders and the tracking numbers of its
// existing fulfillments.
type OrderShipping struct {
	FulfillmentOrders []FulfillmentOrder
	// TrackingNumbers of every fulfillment the order already has, with the fulfillment's gid.
	TrackingNumbers map[string]string
}

// OrderShipping reads the fulfillment orders and fulfillments of the order with orderID.
// An order Shopify does not have is a permanent *Error with Code NOT_FOUND.
func (c *Client) OrderShipping(ctx context.Context, orderID int64) (OrderShipping, error) {
	var data struct {
		Order *struct {
			FulfillmentOrders struct {
				Nodes []struct {
					ID        string `json:"id"`
					Status    string `json:"status"`
					LineItems struct {
						Nodes []struct {
							ID                string `json:"id"`
							SKU               string `json:"sku"`
							RemainingQuantity int    `json:"remainingQuantity"`
						} `json:"nodes"`
					} `json:"lineItems"`
				} `json:"nodes"`
			} `json:"fulfillmentOrders"`
			Fulfillments []struct {
				ID           string `json:"id"`
				TrackingInfo []struct {
					Number string `json:"number"`
				} `json:"trackingInfo"`
			} `json:"fulfillments"`
		} `json:"order"`
	}
	gid := "gid://shopify/Order/" + strconv.FormatInt(orderID, 10)
	op := "order shipping " + gid
	if err := c.Query(ctx, op, orderShippingQuery, map[string]any{"id": gid}, orderShippingCost, &data); err != nil {
		return OrderShipping{}, err
	}
	if data.Order == nil {
		return OrderShipping{}, permanent(&Error{Op: op, Status: 200, Code: "NOT_FOUND", Detail: "Shopify has no such order"})
	}
	out := OrderShipping{TrackingNumbers: map[string]string{}}
	for _, fo := range data.Order.FulfillmentOrders.Nodes {
		f := FulfillmentOrder{ID: fo.ID, Status: fo.Status}
		for _, l := range fo.LineItems.Nodes {
			f.Lines = append(f.Lines, FulfillmentOrderLine{ID: l.ID, SKU: l.SKU, RemainingQuantity: l.RemainingQuantity})
		}
		out.FulfillmentOrders = append(out.FulfillmentOrders, f)
	}
	for _, f := range data.Order.Fulfillments {
		for _, t := range f.TrackingInfo {
			if t.Number != "" {
				out.TrackingNumbers[t.Number] = f.ID
			}
		}
	}
	return out, nil
}

// ShipLine is a quantity of one fulfillment order line to ship.
type ShipLine struct {
	FulfillmentOrderID string
	LineID             string
	Quantity           int
}

// Tracking is a shipment's carrier, tracking numbers and their URLs (may be empty:
// Shopify builds them for the carriers it knows).
type Tracking struct {
	Company string
	Numbers []string
	URLs    []string
}

// fulfillmentCreateCost is the requested cost of a mutation.
const fulfillmentCreateCost = 10

const fulfillmentCreateMutation = `mutation Ship($f: FulfillmentInput!) {
  fulfillmentCreate(fulfillment: $f) {
    fulfillment { id }
    userErrors { field message }
  }
}`

// CreateFulfillment ships lines (all of fulfillment orders of one order) with tracking,
// without notifying the customer, and returns the fulfillment's gid. A userError is a
// permanent *Error. fulfillmentCreate is not idempotent: a caller that retries after an
// unanswered call must look for the fulfillment first (OrderShipping's tracking numbers).
func (c *Client) CreateFulfillment(ctx context.Context, lines []ShipLine, t Tracking) (string, error) {
	if len(lines) == 0 {
		return "", permanent(errors.New("shopify: create fulfillment: no lines"))
	}
	var groups []map[string]any
	byFO := map[string]int{}
	for _, l := range lines {
		i, ok := byFO[l.FulfillmentOrderID]
		if !ok {
			i = len(groups)
			byFO[l.FulfillmentOrderID] = i
			groups = append(groups, map[string]any{"fulfillmentOrderId": l.FulfillmentOrderID, "fulfillmentOrderLineItems": []map[string]any{}})
		}
		groups[i]["fulfillmentOrderLineItems"] = append(groups[i]["fulfillmentOrderLineItems"].([]map[string]any), map[string]any{"id": l.LineID, "quantity": l.Quantity})
	}
	input := map[string]any{"lineItemsByFulfillmentOrder": groups, "notifyCustomer": false}
	if len(t.Numbers) > 0 {
		ti := map[string]any{"numbers": t.Numbers}
		if t.Company != "" {
			ti["company"] = t.Company
		}
		if len(t.URLs) > 0 {
			ti["urls"] = t.URLs
		}
		input["trackingInfo"] = ti
	}
	var data struct {
		Create *struct {
			Fulfillment *struct {
				ID string `json:"id"`
			} `json:"fulfillment"`
			UserErrors []struct {
				Field   []string `json:"field"`
				Message string   `json:"message"`
			} `json:"userErrors"`
		} `json:"fulfillmentCreate"`
	}
	op := fmt.Sprintf("fulfillmentCreate (%d lines)", len(lines))
	if err := c.Query(ctx, op, fulfillmentCreateMutation, map[string]any{"f": input}, fulfillmentCreateCost, &data); err != nil {
		return "", err
	}
	if data.Create == nil {
		return "", &Error{Op: op, Status: 200, Err: errors.New("the answer has no fulfillmentCreate")}
	}
	if ue := data.Create.UserErrors; len(ue) > 0 {
		return "", permanent(&Error{Op: op, Status: 200, Code: "USER_ERROR", Detail: strings.Join(ue[0].Field, ".") + ": " + ue[0].Message})
	}
	if data.Create.Fulfillment == nil {
		return "", &Error{Op: op, Status: 200, Err: errors.New("fulfillmentCreate returned no fulfillment")}
	}
	return data.Create.Fulfillment.ID, nil
}
