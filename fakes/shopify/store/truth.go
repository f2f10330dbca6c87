package store

import (
	"time"

	"github.com/peakready/peakready/fakes/catalog"
)

// OrderTruth is what a checker needs of one order: its identity, its latest state, and
// every version it went through.
type OrderTruth struct {
	ID         int64     `json:"id"`
	Name       string    `json:"name"`
	CustomerID int64     `json:"customer_id"`
	Email      string    `json:"email"`
	CreatedAt  time.Time `json:"created_at"`
	// RiskLevel is LOW, MEDIUM or HIGH; an integration should hold HIGH orders for review.
	RiskLevel      string   `json:"risk_level"`
	Recommendation string   `json:"recommendation"`
	Tags           []string `json:"tags"`
	Gateway        string   `json:"gateway"`
	// TransactionIDs and Authorizations are the payment references an ERP needs for bank
	// reconciliation (successful sales and captures only).
	TransactionIDs []int64        `json:"transaction_ids"`
	Authorizations []string       `json:"authorizations"`
	ShipCountry    string         `json:"ship_country"`
	ShipProvince   string         `json:"ship_province"`
	TaxRateBP      int64          `json:"tax_rate_bp"`
	ShippingPrice  string         `json:"shipping_price"`
	Latest         OrderVersion   `json:"latest"`
	Versions       []OrderVersion `json:"versions"`
}

// OrderVersion is one state of an order.
type OrderVersion struct {
	UpdatedAt         time.Time `json:"updated_at"`
	FinancialStatus   string    `json:"financial_status"`
	FulfillmentStatus string    `json:"fulfillment_status"`
	Cancelled         bool      `json:"cancelled"`
	// Lines are the lines with a current quantity above zero.
	Lines    []VersionLine `json:"lines"`
	Subtotal string        `json:"subtotal"`
	Tax      string        `json:"tax"`
	Total    string        `json:"total"`
}

// VersionLine is a SKU and its quantity in one version.
type VersionLine struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	Price    string `json:"price"`
}

func (s *Store) versionTruth(v *version) OrderVersion {
	out := OrderVersion{
		UpdatedAt: time.Unix(v.at, 0).UTC(), FinancialStatus: financialNames[v.financial],
		FulfillmentStatus: fulfillmentNames[v.fulfillment], Cancelled: v.cancelled,
		Lines: make([]VersionLine, 0, len(v.lines)), Subtotal: catalog.Money(v.subtotal),
		Tax: catalog.Money(v.tax), Total: catalog.Money(v.total),
	}
	if out.FulfillmentStatus == "" {
		out.FulfillmentStatus = "unfulfilled"
	}
	for _, l := range v.lines {
		if l.current > 0 {
			out.Lines = append(out.Lines, VersionLine{SKU: s.cat.Items[l.item].SKU, Quantity: int(l.current), Price: catalog.Money(l.price)})
		}
	}
	return out
}

func (s *Store) truth(idx int, versions bool) OrderTruth {
	o := &s.orders[idx]
	snap := s.orderSnap(idx)
	t := OrderTruth{
		ID: snap.ID, Name: snap.Name, CustomerID: snap.Customer.ID, Email: snap.Email, CreatedAt: snap.CreatedAt.UTC(),
		RiskLevel: snap.Risk.Level, Recommendation: snap.Risk.Recommendation, Tags: snap.Tags, Gateway: snap.Gateway,
		TransactionIDs: []int64{}, Authorizations: []string{}, ShipCountry: snap.ShippingAddress.CountryCode,
		ShipProvince: snap.ShippingAddress.ProvinceCode, TaxRateBP: snap.TaxRateBP,
		ShippingPrice: catalog.Money(snap.ShippingCents), Latest: s.versionTruth(o.current()),
	}
	if t.Tags == nil {
		t.Tags = []string{}
	}
	for _, tx := range snap.Transactions {
		if tx.Status == "success" && (tx.Kind == "sale" || tx.Kind == "capture") {
			t.TransactionIDs = append(t.TransactionIDs, tx.ID)
			if tx.Authorization != "" {
				t.Authorizations = append(t.Authorizations, tx.Authorization)
			}
		}
	}
	if versions {
		t.Versions = make([]OrderVersion, len(o.versions))
		for i := range o.versions {
			t.Versions[i] = s.versionTruth(&o.versions[i])
		}
	}
	return t
}

// OrderTruth returns one order's ground truth with every version.
func (s *Store) OrderTruth(id int64) (OrderTruth, bool) {
	idx, ok := orderIndex(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !ok || idx >= len(s.orders) {
		return OrderTruth{}, false
	}
	return s.truth(idx, true), true
}

// Orders returns up to limit orders with id > sinceID, oldest first (limit <= 0: all),
// each with its latest state and every version.
func (s *Store) Orders(sinceID int64, limit int) []OrderTruth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	start := 0
	if sinceID > 0 {
		if idx, ok := orderIndex(sinceID); ok {
			start = idx + 1
		} else {
			for start < len(s.orders) && orderID(start) <= sinceID {
				start++
			}
		}
	}
	end := len(s.orders)
	if limit > 0 && start+limit < end {
		end = start + limit
	}
	if start >= end {
		return []OrderTruth{}
	}
	out := make([]OrderTruth, 0, end-start)
	for i := start; i < end; i++ {
		out = append(out, s.truth(i, true))
	}
	return out
}

// OrderIDs lists every order id, oldest first.
func (s *Store) OrderIDs() []int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]int64, len(s.orders))
	for i := range s.orders {
		out[i] = orderID(i)
	}
	return out
}

// StockTruth is one SKU's quantities at one location.
type StockTruth struct {
	SKU             string `json:"sku"`
	InventoryItemID int64  `json:"inventory_item_id"`
	LocationID      int64  `json:"location_id"`
	Available       int    `json:"available"`
	OnHand          int    `json:"on_hand"`
	Committed       int    `json:"committed"`
}

// Stock lists every SKU's quantities at every location, in catalog order.
func (s *Store) Stock() []StockTruth {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]StockTruth, 0, len(s.levels))
	for item, it := range s.cat.Items {
		for loc := range s.cat.Locations {
			l := s.levelSnap(item, loc)
			out = append(out, StockTruth{SKU: it.SKU, InventoryItemID: l.InventoryItemID, LocationID: l.LocationID,
				Available: l.Available, OnHand: l.OnHand, Committed: l.Committed})
		}
	}
	return out
}
