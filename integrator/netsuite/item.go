package netsuite

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"time"
)

// ItemStock is an inventory item's stock as NetSuite reports it.
type ItemStock struct {
	// ID is the item's internal id.
	ID string
	// OnHand is quantityOnHand summed over the item's locations.
	OnHand int
	// Modified is the item's lastModifiedDate, which every stock change moves; zero when
	// NetSuite sent none or an unreadable one.
	Modified time.Time
}

type itemRecord struct {
	ID               string `json:"id"`
	LastModifiedDate string `json:"lastModifiedDate"`
	Locations        struct {
		Items []struct {
			QuantityOnHand *float64 `json:"quantityOnHand"`
		} `json:"items"`
	} `json:"locations"`
}

// MaxSKULength bounds the SKUs InventoryStock looks up (NetSuite's itemId is at most 250
// characters).
const MaxSKULength = 250

// InventoryStock reads the inventory item whose external id is sku (GET
// .../inventoryItem/eid:{sku}?expandSubResources=true) and sums its locations' on hand.
// A SKU NetSuite does not have is an *Error with Status 404, classified permanent
// (IsNotFound).
func (c *Client) InventoryStock(ctx context.Context, sku string) (ItemStock, error) {
	op := "get inventoryItem eid:" + sku
	if sku == "" || len(sku) > MaxSKULength {
		return ItemStock{}, permanent(fmt.Errorf("netsuite: %s: the SKU must be 1 to %d characters", op, MaxSKULength))
	}
	_, data, err := c.do(ctx, op, http.MethodGet, "/services/rest/record/v1/inventoryItem/eid:"+url.PathEscape(sku)+"?expandSubResources=true", nil)
	if err != nil {
		return ItemStock{}, err
	}
	var rec itemRecord
	if err := json.Unmarshal(data, &rec); err != nil {
		return ItemStock{}, &Error{Op: op, Status: 200, Err: fmt.Errorf("decoding the record: %w", err)}
	}
	st := ItemStock{ID: rec.ID}
	for _, l := range rec.Locations.Items {
		if l.QuantityOnHand != nil {
			st.OnHand += int(*l.QuantityOnHand)
		}
	}
	if t, err := time.Parse(time.RFC3339Nano, rec.LastModifiedDate); err == nil {
		st.Modified = t
	}
	return st, nil
}
