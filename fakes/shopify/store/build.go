package store

import (
	"strconv"

	"github.com/peakready/peakready/fakes/catalog"
)

// Snapshot builders. Callers hold mu (read or write).

const alnum = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"

// token makes a deterministic string of n characters from alphabet for (purpose, k).
func (s *Store) token(purpose uint64, k int, n int, alphabet string) string {
	b := make([]byte, n)
	x := derive(s.cfg.Seed, purpose, k)
	for i := range b {
		x = splitmix64(x)
		b[i] = alphabet[x%uint64(len(alphabet))]
	}
	return string(b)
}

func (s *Store) customerSnap(idx int) Customer {
	c := &s.customers[idx]
	p := makePerson(s.cfg.Seed, idx, c.abroad)
	out := Customer{
		ID: customerID(idx), Number: idx + 1, Email: p.Email, FirstName: p.FirstName, LastName: p.LastName,
		Phone: p.Phone, State: "disabled", CreatedAt: s.unix(c.createdAt), UpdatedAt: s.unix(c.updatedAt),
		OrdersCount: int(c.orders), AmountSpentCents: c.spent, Address: p.Address,
	}
	if c.createdAt < s.start {
		out.State = "enabled" // pool customers have accounts; checkout creates guests
	}
	if e := c.ext; e != nil {
		if e.email != nil {
			out.Email = *e.email
		}
		if e.firstName != nil {
			out.FirstName = *e.firstName
		}
		if e.lastName != nil {
			out.LastName = *e.lastName
		}
		if e.phone != nil {
			out.Phone = *e.phone
		}
		out.Note = e.note
		out.Tags = append([]string(nil), e.tags...)
		if e.address != nil {
			out.Address = *e.address
		}
		if e.state != "" {
			out.State = e.state
		}
	}
	return out
}

// customerAddress is the customer's current default address.
func (s *Store) customerAddress(idx int) Address {
	c := &s.customers[idx]
	if c.ext != nil && c.ext.address != nil {
		return *c.ext.address
	}
	return makePerson(s.cfg.Seed, idx, c.abroad).Address
}

func (s *Store) lineSnap(orderIdx, n int, l line, fulfilled int32) LineItem {
	it := &s.cat.Items[l.item]
	return LineItem{
		ID: lineID(orderIdx, n), Number: n, SKU: it.SKU, Title: it.Title,
		ProductID: productID(int(l.item)), VariantID: variantID(int(l.item)), InventoryItemID: inventoryItemID(int(l.item)),
		Quantity: int(l.qty), CurrentQuantity: int(l.current), FulfilledQuantity: int(fulfilled), PriceCents: l.price,
	}
}

// totals computes an order's money from its lines, discount, shipping and tax rate.
func totals(lines []line, discountPct uint8, discountFixed int64, shipping int64, rateBP int64) (items, discount, subtotal, tax, total int64) {
	for _, l := range lines {
		items += l.price * int64(l.current)
	}
	switch {
	case discountFixed > 0:
		discount = min(discountFixed, items)
	case discountPct > 0:
		discount = (items*int64(discountPct) + 50) / 100
	}
	subtotal = items - discount
	tax = catalog.Tax(subtotal, rateBP)
	total = subtotal + shipping + tax
	return
}

func (o *order) discountFixed() int64 {
	if o.ext == nil {
		return 0
	}
	return o.ext.discountCents
}

func (s *Store) shippingAddress(idx int) Address {
	o := &s.orders[idx]
	if o.ext != nil && o.ext.shipping != nil {
		return *o.ext.shipping
	}
	return s.customerAddress(int(o.customer))
}

func (o *order) paid() int64 {
	var n int64
	for _, t := range o.txns {
		if t.status != statusSuccess {
			continue
		}
		switch t.kind {
		case kindSale, kindCapture:
			n += t.amount
		case kindRefund:
			n -= t.amount
		}
	}
	return n
}

func (s *Store) orderSnap(idx int) Order {
	o := &s.orders[idx]
	v := o.current()
	id := orderID(idx)
	cust := s.customerSnap(int(o.customer))
	ship := s.shippingAddress(idx)
	rate := catalog.TaxRate(ship.CountryCode, ship.ProvinceCode)
	items, discount, _, _, _ := totals(v.lines, o.discountPct, o.discountFixed(), int64(o.shipping), rate)
	out := Order{
		ID: id, Index: idx, Number: idx + 1, Name: "#" + strconv.Itoa(1001+idx), Email: cust.Email, Phone: cust.Phone,
		Token:     s.token(5, idx, 32, "0123456789abcdef"),
		CreatedAt: s.unix(o.createdAt), UpdatedAt: s.unix(o.updatedAt), ProcessedAt: s.unix(o.createdAt),
		FinancialStatus: financialNames[v.financial], FulfillmentStatus: fulfillmentNames[v.fulfillment],
		Tags: append([]string(nil), o.tags()...), Currency: s.cfg.Currency, SourceName: "web",
		Gateway:        gatewayNames[o.gateway],
		LineItemsCents: items, DiscountCents: discount, SubtotalCents: v.subtotal, ShippingCents: int64(o.shipping),
		TaxCents: v.tax, TotalCents: v.total, TaxRateBP: rate,
		Customer: cust, ShippingAddress: ship, BillingAddress: s.customerAddress(int(o.customer)),
		Risk:       Risk{Level: riskNames[o.risk], Recommendation: recommendation(o.risk)},
		LocationID: locationID(int(o.loc)), Versions: len(o.versions),
	}
	if o.cancelledAt != 0 {
		out.CancelledAt = s.unix(o.cancelledAt)
		out.CancelReason = cancelReasonNames[o.cancelReason]
	}
	if o.discountPct > 0 {
		out.DiscountCode = "BFCM" + strconv.Itoa(int(o.discountPct))
	}
	if o.ext != nil {
		out.Note = o.ext.note
		if o.ext.email != "" {
			out.Email = o.ext.email
		}
		if o.ext.source != "" {
			out.SourceName = o.ext.source
		}
	}
	out.PaidCents = o.paid()
	if o.cancelledAt == 0 {
		out.OutstandingCents = max(0, v.total-out.PaidCents)
	}
	out.Lines = make([]LineItem, len(v.lines))
	for n, l := range v.lines {
		out.Lines[n] = s.lineSnap(idx, n, l, o.fulfilledQty(n))
	}
	out.Transactions = make([]Transaction, len(o.txns))
	for i, t := range o.txns {
		out.Transactions[i] = s.txnSnap(idx, i, o, t)
	}
	out.FulfillmentOrder = s.foSnap(idx, &out)
	if o.ext != nil {
		for _, f := range o.ext.fulfillments {
			out.Fulfillments = append(out.Fulfillments, s.fulfillmentSnap(&out, f))
		}
	}
	return out
}

func recommendation(risk uint8) string {
	switch risk {
	case riskHigh:
		return "CANCEL"
	case riskMedium:
		return "INVESTIGATE"
	}
	return "ACCEPT"
}

func (s *Store) txnSnap(orderIdx, i int, o *order, t txn) Transaction {
	gw := gatewayNames[o.gateway]
	out := Transaction{
		ID: transactionID(orderIdx, i), OrderID: orderID(orderIdx), Kind: txnKindNames[t.kind],
		Status: txnStatusNames[t.status], Gateway: gw, AmountCents: t.amount, CreatedAt: s.unix(t.at),
	}
	switch o.gateway {
	case gwShopifyPayments:
		out.Authorization = "pi_" + s.token(6, orderIdx*int(txPerOrder)+i, 24, alnum)
	case gwPaypal:
		out.Authorization = s.token(6, orderIdx*int(txPerOrder)+i, 17, "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ")
	}
	return out
}

func (s *Store) foSnap(idx int, o *Order) FulfillmentOrder {
	ord := &s.orders[idx]
	fo := FulfillmentOrder{
		ID: fulfillmentOrderID(idx), OrderID: o.ID, LocationID: o.LocationID,
		CreatedAt: o.CreatedAt, UpdatedAt: o.UpdatedAt,
	}
	var total, remaining, fulfilled int
	for _, l := range o.Lines {
		rem := l.FulfillableQuantity()
		if ord.cancelledAt != 0 {
			rem = 0
		}
		total += l.CurrentQuantity
		remaining += rem
		fulfilled += l.FulfilledQuantity
		if l.CurrentQuantity == 0 && l.FulfilledQuantity == 0 {
			continue // removed by an edit
		}
		fo.Lines = append(fo.Lines, FulfillmentOrderLine{
			ID: foLineID(idx, l.Number), LineItem: l, TotalQuantity: l.CurrentQuantity, RemainingQuantity: rem,
		})
	}
	switch {
	case ord.cancelledAt != 0 && fulfilled == 0:
		fo.Status = "CANCELLED"
	case remaining == 0:
		fo.Status = "CLOSED"
	case fulfilled > 0:
		fo.Status = "IN_PROGRESS"
	default:
		fo.Status = "OPEN"
	}
	return fo
}

func (s *Store) fulfillmentSnap(o *Order, f fulfillment) Fulfillment {
	out := Fulfillment{
		ID: f.id, OrderID: o.ID, LocationID: o.LocationID, Status: "success", CreatedAt: s.unix(f.at),
		TrackingCompany: f.company, TrackingNumbers: f.numbers, TrackingURLs: f.urls, NotifyCustomer: f.notified,
	}
	n := 1
	if ord := &s.orders[o.Index]; ord.ext != nil {
		for i, g := range ord.ext.fulfillments {
			if g.id == f.id {
				n = i + 1
			}
		}
	}
	out.Name = o.Name + "." + strconv.Itoa(n)
	for _, fl := range f.lines {
		out.Lines = append(out.Lines, FulfilledLine{LineItem: o.Lines[fl.line], Quantity: int(fl.qty)})
	}
	return out
}

func (s *Store) levelSnap(item, loc int) InventoryLevel {
	nl := len(s.cat.Locations)
	li := item*nl + loc
	l := &s.levels[li]
	out := InventoryLevel{
		InventoryItemID: inventoryItemID(item), LocationID: locationID(loc),
		Available: int(l.available), OnHand: int(l.onHand), Committed: int(l.committed), UpdatedAt: s.unix(l.updatedAt),
	}
	for code, name := range otherStates {
		if q, ok := s.other[uint64(li)<<8|uint64(code)]; ok && q != 0 {
			if out.Other == nil {
				out.Other = map[string]int{}
			}
			out.Other[name] = int(q)
		}
	}
	return out
}

func (s *Store) variantSnap(item int) Variant {
	it := &s.cat.Items[item]
	v := Variant{
		Index: item, ProductID: productID(item), VariantID: variantID(item), InventoryItemID: inventoryItemID(item),
		SKU: it.SKU, Title: it.Title, PriceCents: it.PriceCents, CreatedAt: s.unix(s.start - 400*86400),
	}
	for loc := range s.cat.Locations {
		v.Levels = append(v.Levels, s.levelSnap(item, loc))
	}
	return v
}

// otherStates are the inventory states besides available, committed and on_hand that an
// adjustment may name. All but incoming count toward on_hand.
var otherStates = []string{"incoming", "reserved", "damaged", "safety_stock", "quality_control"}
