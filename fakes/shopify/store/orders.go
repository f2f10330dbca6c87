package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
)

// Change is what one store action changed: the resources it touched and the events it
// emitted (all sharing one event id when they come from one merchant action, except the
// fraud analysis that follows a new order, which is its own action).
type Change struct {
	Orders         []int64       `json:"orders,omitempty"`
	Customers      []int64       `json:"customers,omitempty"`
	InventoryItems []int64       `json:"inventory_items,omitempty"`
	Fulfillments   []int64       `json:"fulfillments,omitempty"`
	Events         []EventRecord `json:"events"`
}

// CreateOrder places one explicit order as a merchant action.
func (s *Store) CreateOrder(spec OrderSpec) (Change, error) {
	p, err := s.resolve(spec)
	if err != nil {
		return Change{Events: []EventRecord{}}, err
	}
	out := Change{Events: []EventRecord{}}
	s.mu.Lock()
	if p.customer >= 0 && !p.newCustomer && p.customer >= len(s.customers) {
		s.mu.Unlock()
		return out, notFound("NOT_FOUND", "customer not found", "customer_id")
	}
	if spec.Customer != nil && spec.CustomerID == 0 {
		if idx, ok := s.customerByEmail(spec.Customer.Email); ok {
			p.customer, p.newCustomer, p.custExt = idx, false, nil
		}
	}
	s.place(p, &out)
	s.unlock()
	return out, nil
}

// orderForChange locates an order for a write. Callers hold mu.
func (s *Store) orderForChange(id int64) (int, *order, error) {
	idx, ok := orderIndex(id)
	if !ok || idx >= len(s.orders) {
		return 0, nil, notFound("NOT_FOUND", "order "+itoa(id)+" not found", "id")
	}
	return idx, &s.orders[idx], nil
}

// newVersion appends a version with the given lines (shared with the previous version if
// unchanged) and recomputes its totals; financial and fulfillment carry over and the
// caller adjusts them. Callers hold mu.
func (s *Store) newVersion(idx int, o *order, lines []line, now int64) *version {
	prev := o.current()
	at := nextUpdate(o.updatedAt, now)
	ship := s.shippingAddress(idx)
	rate := catalog.TaxRate(ship.CountryCode, ship.ProvinceCode)
	_, _, sub, tax, total := totals(lines, o.discountPct, o.discountFixed(), int64(o.shipping), rate)
	o.versions = append(o.versions, version{
		at: at, subtotal: sub, tax: tax, total: total, lines: lines,
		financial: prev.financial, fulfillment: prev.fulfillment, cancelled: o.cancelledAt != 0,
	})
	o.updatedAt = at
	return o.current()
}

func (s *Store) emitOrder(a *action, idx int, topics ...string) {
	snap := s.orderSnap(idx)
	payload := marshal(s.OrderJSON(&snap))
	h := payloadHash64(payload)
	for _, t := range topics {
		a.emit(t, snap.ID, payload, h, nil)
	}
	if a.out != nil {
		a.out.Orders = appendOnce(a.out.Orders, snap.ID)
	}
}

func appendOnce(ids []int64, id int64) []int64 {
	for _, x := range ids {
		if x == id {
			return ids
		}
	}
	return append(ids, id)
}

// PayOrder captures the outstanding amount of an unpaid or partially paid order: it
// becomes paid and fires orders/paid and orders/updated.
func (s *Store) PayOrder(id int64) (Change, error) {
	out := Change{Events: []EventRecord{}}
	s.mu.Lock()
	defer s.unlock()
	idx, o, err := s.orderForChange(id)
	if err != nil {
		return out, err
	}
	if o.cancelledAt != 0 {
		return out, fmt.Errorf("store: pay order %d: %w", id, ErrOrderClosed)
	}
	switch o.current().financial {
	case finPending, finAuthorized, finPartiallyPaid:
	default:
		return out, invalid("INVALID", "order "+itoa(id)+" is "+financialNames[o.current().financial]+"; nothing to pay", "id")
	}
	a := s.begin(&out)
	sec := a.at.Unix()
	v := s.newVersion(idx, o, o.current().lines, sec)
	if due := v.total - o.paid(); due > 0 && len(o.txns) < int(txPerOrder) {
		o.txns = append(o.txns, txn{at: sec, amount: due, kind: kindSale, status: statusSuccess})
	}
	v.financial = finPaid
	s.emitOrder(a, idx, TopicOrdersPaid, TopicOrdersUpdated)
	return out, nil
}

// CancelReasons are the reasons CancelOrder accepts.
var CancelReasons = cancelReasonNames[1:]

// CancelOrder cancels an order: unfulfilled quantities are restocked (or written off when
// restock is false), a paid amount is refunded (financial_status refunded) and an unpaid
// order is voided. It fires orders/cancelled, orders/updated and inventory_levels/update.
func (s *Store) CancelOrder(id int64, reason string, restock bool) (Change, error) {
	out := Change{Events: []EventRecord{}}
	if reason == "" {
		reason = "other"
	}
	rc, ok := codeOf(cancelReasonNames, reason)
	if !ok || rc == 0 {
		return out, invalid("INVALID", "reason "+strconv.Quote(reason)+" must be one of "+strings.Join(CancelReasons, ", "), "reason")
	}
	s.mu.Lock()
	defer s.unlock()
	idx, o, err := s.orderForChange(id)
	if err != nil {
		return out, err
	}
	if o.cancelledAt != 0 {
		return out, fmt.Errorf("store: cancel order %d: %w", id, ErrOrderClosed)
	}
	a := s.begin(&out)
	sec := a.at.Unix()
	moves := stockMoves{s: s}
	for n, l := range o.current().lines {
		rem := l.current - o.fulfilledQty(n)
		if rem <= 0 {
			continue
		}
		if restock {
			moves.move(int(l.item), int(o.loc), rem, -rem, 0, sec)
		} else {
			moves.move(int(l.item), int(o.loc), 0, -rem, -rem, sec)
		}
	}
	o.cancelledAt = nextUpdate(o.updatedAt, sec)
	o.cancelReason = rc
	paid := o.paid()
	v := s.newVersion(idx, o, o.current().lines, sec)
	o.cancelledAt = v.at
	if paid > 0 {
		if len(o.txns) < int(txPerOrder) {
			o.txns = append(o.txns, txn{at: v.at, amount: paid, kind: kindRefund, status: statusSuccess})
		}
		v.financial = finRefunded
	} else {
		v.financial = finVoided
	}
	c := &s.customers[o.customer]
	c.spent -= min(c.spent, v.total)
	s.emitOrder(a, idx, TopicOrdersCancelled, TopicOrdersUpdated)
	moves.emit(a, &out)
	return out, nil
}

// OrderEdit changes an order's lines or shipping address.
type OrderEdit struct {
	// Add appends lines.
	Add []LineSpec `json:"add,omitempty"`
	// SetQuantity changes lines' current quantity (0 removes the line). A quantity below
	// what was already fulfilled is refused.
	SetQuantity []LineQuantity `json:"set_quantity,omitempty"`
	// Remove sets lines' current quantity to 0.
	Remove []int64 `json:"remove,omitempty"`
	// ShippingAddress replaces the shipping address (and so the tax rate).
	ShippingAddress *Address `json:"shipping_address,omitempty"`
}

// LineQuantity names a line item and its new quantity.
type LineQuantity struct {
	LineItemID int64 `json:"line_item_id"`
	Quantity   int   `json:"quantity"`
}

// EditOrder applies an edit as one merchant action: totals and tax are recomputed, stock is
// committed or released, a paid order whose total grew becomes partially_paid. It fires
// orders/updated and inventory_levels/update. Removed lines stay with current_quantity 0.
func (s *Store) EditOrder(id int64, e OrderEdit) (Change, error) {
	out := Change{Events: []EventRecord{}}
	var addr *Address
	if e.ShippingAddress != nil {
		a, err := checkAddress(*e.ShippingAddress, "shipping_address")
		if err != nil {
			return out, err
		}
		addr = &a
	}
	var added []line
	for i, ls := range e.Add {
		l, err := s.resolveLine(ls, "add", i)
		if err != nil {
			return out, err
		}
		added = append(added, l)
	}
	s.mu.Lock()
	defer s.unlock()
	idx, o, err := s.orderForChange(id)
	if err != nil {
		return out, err
	}
	if o.cancelledAt != 0 {
		return out, fmt.Errorf("store: edit order %d: %w", id, ErrOrderClosed)
	}
	lines := append([]line(nil), o.current().lines...)
	set := func(lineItemID int64, q int, field string, i int) error {
		oi, n, ok := lineIndex(lineItemID)
		if !ok || oi != idx || n >= len(lines) {
			return notFound("NOT_FOUND", "line item "+itoa(lineItemID)+" is not on order "+itoa(id), field, strconv.Itoa(i))
		}
		if q < 0 || q > 10_000 {
			return invalid("INVALID", fmt.Sprintf("quantity %d must be between 0 and 10000", q), field, strconv.Itoa(i), "quantity")
		}
		if f := o.fulfilledQty(n); int32(q) < f {
			return invalid("INVALID", fmt.Sprintf("line item %d has %d fulfilled; its quantity cannot go below that", lineItemID, f), field, strconv.Itoa(i))
		}
		lines[n].current = int32(q)
		return nil
	}
	for i, lq := range e.SetQuantity {
		if err := set(lq.LineItemID, lq.Quantity, "set_quantity", i); err != nil {
			return out, err
		}
	}
	for i, lid := range e.Remove {
		if err := set(lid, 0, "remove", i); err != nil {
			return out, err
		}
	}
	if len(lines)+len(added) > maxLines {
		return out, invalid("TOO_LONG", fmt.Sprintf("an order has at most %d lines", maxLines), "add")
	}
	lines = append(lines, added...)
	changed := addr != nil || len(added) > 0
	for n, l := range o.current().lines {
		changed = changed || lines[n].current != l.current
	}
	if !changed {
		return out, invalid("INVALID", "the edit changes nothing", "edit")
	}
	a := s.begin(&out)
	sec := a.at.Unix()
	moves := stockMoves{s: s}
	prev := o.current().lines
	for n, l := range lines {
		before := int32(0)
		if n < len(prev) {
			before = prev[n].current
		}
		if d := l.current - before; d != 0 {
			moves.move(int(l.item), int(o.loc), -d, d, 0, sec)
		}
	}
	if addr != nil {
		o.extension().shipping = addr
	}
	before := o.current().total
	v := s.newVersion(idx, o, lines, sec)
	v.fulfillment = fulfillmentOf(o, lines)
	// The customer's amount spent follows the order's new total, as Shopify's does after
	// an edit is paid or refunded.
	c := &s.customers[o.customer]
	c.spent = max(c.spent+v.total-before, 0)
	if v.financial == finPaid || v.financial == finPartiallyPaid {
		if v.total > o.paid() {
			v.financial = finPartiallyPaid
		} else {
			v.financial = finPaid
		}
	}
	s.emitOrder(a, idx, TopicOrdersUpdated)
	moves.emit(a, &out)
	return out, nil
}

func fulfillmentOf(o *order, lines []line) uint8 {
	any, all := false, true
	for n, l := range lines {
		f := o.fulfilledQty(n)
		if f > 0 {
			any = true
		}
		if f < l.current {
			all = false
		}
	}
	switch {
	case any && all:
		return fulFulfilled
	case any:
		return fulPartial
	}
	return fulNone
}

// TagOrder adds and removes tags (comma-separated entries are split). Adding a tag the order
// has is not a change: when nothing changes no event fires and the order's updated_at stays.
func (s *Store) TagOrder(id int64, add, remove []string) (Change, error) {
	out := Change{Events: []EventRecord{}}
	add, err := normalizeTags(add, "tags")
	if err != nil {
		return out, err
	}
	remove, err = normalizeTags(remove, "tags")
	if err != nil {
		return out, err
	}
	s.mu.Lock()
	defer s.unlock()
	idx, o, err := s.orderForChange(id)
	if err != nil {
		return out, err
	}
	tags, changed := mergeTags(o.tags(), add, remove)
	if !changed {
		out.Orders = []int64{id}
		return out, nil
	}
	if len(tags) > 250 {
		return out, invalid("TOO_LONG", "at most 250 tags", "tags")
	}
	a := s.begin(&out)
	o.extension().tags = tags
	s.newVersion(idx, o, o.current().lines, a.at.Unix())
	s.emitOrder(a, idx, TopicOrdersUpdated)
	return out, nil
}
