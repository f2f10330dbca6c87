package shopify

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// MaxSetBatch is how many quantities SetAvailable sends in one inventorySetQuantities
// call: the mutation takes a list, so a batch of SKUs costs one call, not one each.
const MaxSetBatch = 250

// setQuantitiesCost is the requested cost of one inventorySetQuantities call: a mutation
// is 10 points whatever the length of its list.
const setQuantitiesCost = 10

const setQuantitiesMutation = `mutation SetAvailable($input: InventorySetQuantitiesInput!, $key: String!) {
  inventorySetQuantities(input: $input) @idempotent(key: $key) {
    userErrors { field message code }
  }
}`

// Quantity is one inventory level to set: the Shopify inventory item and location (gids)
// and the available quantity they must show.
type Quantity struct {
	InventoryItemID string // gid://shopify/InventoryItem/…
	LocationID      string // gid://shopify/Location/…
	Available       int
}

// SetAvailable sets the available quantity of every level in qs with
// inventorySetQuantities, MaxSetBatch levels a call. The ERP is the source of truth, so
// no compare-and-swap is asked for (changeFromQuantity: null). reference is the
// referenceDocumentUri shown in Shopify's inventory history (may be empty). key is the
// idempotency key of this write (the @idempotent directive, required from 2026-04): the
// caller keeps it across retries of the same write and changes it for a new one; batch
// i is sent with key + ":" + i. It stops at
// the first failed call: the levels of earlier calls are set, and the error (a
// throttled, transient or permanent one, as Query classifies them; a userError is
// permanent) tells why the rest are not. Setting the same levels again is harmless.
func (c *Client) SetAvailable(ctx context.Context, qs []Quantity, reference, key string) error {
	if key == "" {
		return permanent(errors.New("shopify: set available: an idempotency key is required"))
	}
	for start := 0; start < len(qs); start += MaxSetBatch {
		batch := qs[start:min(start+MaxSetBatch, len(qs))]
		list := make([]map[string]any, len(batch))
		for i, q := range batch {
			if q.InventoryItemID == "" || q.LocationID == "" {
				return permanent(fmt.Errorf("shopify: set available: quantity %d has no inventory item or location", start+i))
			}
			list[i] = map[string]any{"inventoryItemId": q.InventoryItemID, "locationId": q.LocationID, "quantity": q.Available, "changeFromQuantity": nil}
		}
		input := map[string]any{"name": "available", "reason": "correction", "quantities": list}
		if reference != "" {
			input["referenceDocumentUri"] = reference
		}
		var data struct {
			Set *struct {
				UserErrors []struct {
					Field   []string `json:"field"`
					Message string   `json:"message"`
					Code    string   `json:"code"`
				} `json:"userErrors"`
			} `json:"inventorySetQuantities"`
		}
		op := fmt.Sprintf("inventorySetQuantities (%d levels)", len(batch))
		if err := c.Query(ctx, op, setQuantitiesMutation, map[string]any{"input": input, "key": key + ":" + strconv.Itoa(start/MaxSetBatch)}, setQuantitiesCost, &data); err != nil {
			return err
		}
		if data.Set == nil {
			return &Error{Op: op, Status: 200, Err: errors.New("the answer has no inventorySetQuantities")}
		}
		if ue := data.Set.UserErrors; len(ue) > 0 {
			return permanent(&Error{Op: op, Status: 200, Code: ue[0].Code, Detail: strings.Join(ue[0].Field, ".") + ": " + ue[0].Message})
		}
	}
	return nil
}
