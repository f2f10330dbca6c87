package flows

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// shopifyOrder is the part of Shopify's order webhook payload the orders flow reads.
// Ids are int64 (they exceed 2^53); money is a decimal string.
type shopifyOrder struct {
	ID              int64   `json:"id"`
	Name            string  `json:"name"`
	Email           string  `json:"email"`
	CreatedAt       string  `json:"created_at"`
	UpdatedAt       string  `json:"updated_at"`
	CancelledAt     *string `json:"cancelled_at"`
	FinancialStatus string  `json:"financial_status"`
	Currency        string  `json:"currency"`
	TotalDiscounts  string  `json:"total_discounts"`
	ShippingLines   []struct {
		Price string `json:"price"`
	} `json:"shipping_lines"`
	LineItems       []shopifyLine    `json:"line_items"`
	ShippingAddress *shopifyAddress  `json:"shipping_address"`
	Transactions    []shopifyPayment `json:"transactions"`
	PaymentGateways []string         `json:"payment_gateway_names"`
	Customer        *struct {
		ID    int64  `json:"id"`
		Email string `json:"email"`
	} `json:"customer"`
}

type shopifyLine struct {
	ID       int64  `json:"id"`
	SKU      string `json:"sku"`
	Title    string `json:"title"`
	Quantity int    `json:"quantity"`
	// CurrentQuantity is the quantity after edits and refunds (absent in older payloads).
	CurrentQuantity *int   `json:"current_quantity"`
	Price           string `json:"price"`
}

type shopifyAddress struct {
	Name         string `json:"name"`
	Address1     string `json:"address1"`
	Address2     string `json:"address2"`
	City         string `json:"city"`
	ProvinceCode string `json:"province_code"`
	Zip          string `json:"zip"`
	CountryCode  string `json:"country_code"`
}

type shopifyPayment struct {
	ID            int64  `json:"id"`
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Gateway       string `json:"gateway"`
	Authorization string `json:"authorization"`
}

var errNoUpdatedAt = errors.New("order has no updated_at")

func decodeOrder(payload []byte) (shopifyOrder, time.Time, error) {
	var o shopifyOrder
	if err := json.Unmarshal(payload, &o); err != nil {
		return o, time.Time{}, fmt.Errorf("decode order: %w", err)
	}
	if o.ID <= 0 {
		return o, time.Time{}, errors.New("order has no id")
	}
	if o.UpdatedAt == "" {
		return o, time.Time{}, errNoUpdatedAt
	}
	at, err := time.Parse(time.RFC3339Nano, o.UpdatedAt)
	if err != nil {
		return o, time.Time{}, fmt.Errorf("order updated_at %q: %w", o.UpdatedAt, err)
	}
	return o, at, nil
}

// quantity is what the ERP should ship: the current quantity after edits when Shopify
// sends it.
func (l shopifyLine) quantity() int {
	if l.CurrentQuantity != nil {
		return *l.CurrentQuantity
	}
	return l.Quantity
}

// parseRate reads a decimal money string ("19.99") as a float for NetSuite's rate field.
func parseRate(s string) (float64, error) {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || f < 0 {
		return 0, fmt.Errorf("price %q is not a non-negative decimal", s)
	}
	return f, nil
}
