package netsuite

import (
	"encoding/json"
	"sort"
	"time"
)

// SalesOrderRecord is a copy of one stored sales order, for checkers that compare the
// ERP's final state with the source of truth.
type SalesOrderRecord struct {
	ID         int64
	TranID     string
	ExternalID string
	// NaturalKey is the Shopify order id: externalId, or the natural-key field's value.
	NaturalKey    string
	Status        string // orderStatus id: A, B, C...
	Lines         []SalesOrderLine
	SubtotalCents int64
	DiscountCents int64 // <= 0
	ShippingCents int64
	TaxCents      int64
	TotalCents    int64
	// Custom holds the custbody_* fields as sent; string values are unquoted.
	Custom   map[string]string
	Created  time.Time
	Modified time.Time
}

// SalesOrderLine is one line of a SalesOrderRecord.
type SalesOrderLine struct {
	SKU         string
	Quantity    int64
	RateCents   int64
	AmountCents int64
}

// EachSalesOrder calls fn with a copy of every sales order, in internal id order, until
// fn returns false. It holds the store's lock for one record at a time, never while fn
// runs, so requests keep flowing during a long scan.
func (s *Server) EachSalesOrder(fn func(SalesOrderRecord) bool) { s.SalesOrdersAfter(0, fn) }

// SalesOrdersAfter is EachSalesOrder for the sales orders whose internal id is above
// after: internal ids only grow, so a caller that remembers the last id it saw reads
// only the sales orders created since.
func (s *Server) SalesOrdersAfter(after int64, fn func(SalesOrderRecord) bool) {
	s.mu.Lock()
	all := s.st.orders.ids
	i := sort.Search(len(all), func(i int) bool { return all[i] > after })
	ids := append([]int64(nil), all[i:]...)
	s.mu.Unlock()
	for _, id := range ids {
		s.mu.Lock()
		o, ok := s.st.orders.byID[id]
		var rec SalesOrderRecord
		if ok {
			rec = recordOf(o)
		}
		s.mu.Unlock()
		if ok && !fn(rec) {
			return
		}
	}
}

// SalesOrderCount is the number of stored sales orders, without copying any.
func (s *Server) SalesOrderCount() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.st.orders.byID)
}

func recordOf(o *salesOrder) SalesOrderRecord {
	r := SalesOrderRecord{
		ID: o.ID, TranID: o.TranID, ExternalID: o.ExternalID, NaturalKey: o.NaturalKey, Status: o.Status,
		SubtotalCents: o.SubtotalCents, DiscountCents: o.DiscountCents, ShippingCents: o.ShippingCents,
		TaxCents: o.TaxCents, TotalCents: o.TotalCents, Created: o.Created, Modified: o.Modified,
		Lines: make([]SalesOrderLine, len(o.Lines)), Custom: make(map[string]string, len(o.Custom)),
	}
	for i, l := range o.Lines {
		r.Lines[i] = SalesOrderLine{SKU: l.SKU, Quantity: l.Quantity, RateCents: l.RateCents, AmountCents: l.AmountCents}
	}
	for k, raw := range o.Custom {
		var str string
		if json.Unmarshal(raw, &str) == nil {
			r.Custom[k] = str
		} else {
			r.Custom[k] = string(raw)
		}
	}
	return r
}

// ItemFulfillmentRecord is a copy of one stored item fulfillment, for checkers that
// compare what the ERP shipped with what the store shows.
type ItemFulfillmentRecord struct {
	ID     int64
	TranID string
	// SalesOrderID is the internal id of its sales order, NaturalKey the Shopify order id
	// of that order (its externalId, or the natural-key field's value; "" for none).
	SalesOrderID int64
	NaturalKey   string
	Carrier      string
	// Tracking is the trackingNumbers field as the ERP holds it.
	Tracking string
	Lines    []FulfilledLineRecord
	Created  time.Time
}

// FulfilledLineRecord is one line of an ItemFulfillmentRecord.
type FulfilledLineRecord struct {
	SKU      string
	Quantity int64
}

// EachItemFulfillment calls fn with a copy of every item fulfillment, in internal id
// order, until fn returns false, holding the store's lock for one record at a time.
func (s *Server) EachItemFulfillment(fn func(ItemFulfillmentRecord) bool) {
	s.mu.Lock()
	ids := append([]int64(nil), s.st.fulfillments.ids...)
	s.mu.Unlock()
	for _, id := range ids {
		s.mu.Lock()
		f, ok := s.st.fulfillments.byID[id]
		var rec ItemFulfillmentRecord
		if ok {
			rec = ItemFulfillmentRecord{ID: f.ID, TranID: f.TranID, SalesOrderID: f.OrderID, NaturalKey: f.NaturalKey,
				Carrier: f.Carrier, Tracking: f.Tracking, Created: f.Created, Lines: make([]FulfilledLineRecord, len(f.Lines))}
			for i, l := range f.Lines {
				rec.Lines[i] = FulfilledLineRecord{SKU: l.SKU, Quantity: l.Quantity}
			}
		}
		s.mu.Unlock()
		if ok && !fn(rec) {
			return
		}
	}
}
