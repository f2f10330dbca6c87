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
// and the quantity (available or on hand, as the call says) they must show.
type Quantity struct {
	InventoryItemID string // gid://shopify/InventoryItem/…
	LocationID      string // gid://shopify/Location/…
	Quantity        int
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
	return c.setQuantities(ctx, "available", qs, reference, key)
}

// SetOnHand sets the on-hand quantity of every level in qs, as SetAvailable sets the
// available one: Shopify moves available by the same amount and keeps its committed
// units, so the units of orders Shopify took and the ERP has not shipped stay out of
// what it sells.
func (c *Client) SetOnHand(ctx context.Context, qs []Quantity, reference, key string) error {
	return c.setQuantities(ctx, "on_hand", qs, reference, key)
}

func (c *Client) setQuantities(ctx context.Context, name string, qs []Quantity, reference, key string) error {
	if key == "" {
		return permanent(fmt.Errorf("shopify: set %s: an idempotency key is required", name))
	}
	for start := 0; start < len(qs); start += MaxSetBatch {
		batch := qs[start:min(start+MaxSetBatch, len(qs))]
		list := make([]map[string]any, len(batch))
		for i, q := range batch {
			if q.InventoryItemID == "" || q.LocationID == "" {
				return permanent(fmt.Errorf("shopify: set %s: quantity %d has no inventory item or location", name, start+i))
			}
			list[i] = map[string]any{"inventoryItemId": q.InventoryItemID, "locationId": q.LocationID, "quantity": q.Quantity, "changeFromQuantity": nil}
		}
		input := map[string]any{"name": name, "reason": "correction", "quantities": list}
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

// levelBySKUQuery finds a SKU's variant and its inventory levels. Requested cost:
// productVariants 2 + 1 × (variant 1 + inventoryItem 1 + inventoryLevels 2 + 10 ×
// (level 1 + location 1)) = 26.
const levelBySKUQuery = `query LevelBySKU($q: String!) {
  productVariants(first: 1, query: $q) {
    nodes { sku inventoryItem { id inventoryLevels(first: 10) { nodes { location { id } } } } }
  }
}`

const levelBySKUCost = 26

// SearchableSKU reports whether InventoryLevel can search Shopify for sku: not empty, and
// without the quote or backslash its search syntax would need escaped.
func SearchableSKU(sku string) bool { return sku != "" && !strings.ContainsAny(sku, `"\`) }

// InventoryLevel finds the inventory item of the variant with sku and its level at
// locationID (a gid; empty takes the item's first level). found is false when Shopify has
// no variant with that SKU, or it is not stocked at the location.
func (c *Client) InventoryLevel(ctx context.Context, sku, locationID string) (itemID, location string, found bool, err error) {
	if !SearchableSKU(sku) {
		return "", "", false, permanent(fmt.Errorf("shopify: inventory level: SKU %q cannot be searched", sku))
	}
	var data struct {
		Variants struct {
			Nodes []struct {
				SKU  string `json:"sku"`
				Item struct {
					ID     string `json:"id"`
					Levels struct {
						Nodes []struct {
							Location struct {
								ID string `json:"id"`
							} `json:"location"`
						} `json:"nodes"`
					} `json:"inventoryLevels"`
				} `json:"inventoryItem"`
			} `json:"nodes"`
		} `json:"productVariants"`
	}
	if err := c.Query(ctx, "inventory level of "+sku, levelBySKUQuery, map[string]any{"q": `sku:"` + sku + `"`}, levelBySKUCost, &data); err != nil {
		return "", "", false, err
	}
	for _, v := range data.Variants.Nodes {
		if v.SKU != sku {
			continue
		}
		for _, l := range v.Item.Levels.Nodes {
			if locationID == "" || l.Location.ID == locationID {
				return v.Item.ID, l.Location.ID, true, nil
			}
		}
	}
	return "", "", false, nil
}
