package store

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
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

// Batch is what GenerateOrders made. Its events are Events(FirstEventSeq-1, ...) up to
// LastEventSeq; they are not copied here so a million-order batch stays small.
type Batch struct {
	Orders        []int64 `json:"orders"`
	NewCustomers  int     `json:"new_customers"`
	FirstEventSeq int64   `json:"first_event_seq"`
	LastEventSeq  int64   `json:"last_event_seq"`
}

// placement is a fully resolved new order.
type placement struct {
	customer    int
	newCustomer bool
	abroad      bool
	lines       []line
	loc         int
	risk        uint8
	gateway     uint8
	discountPct uint8
	discount    int64 // fixed discount, cents
	shipping    int64 // < 0: the standard rule
	paid        bool
	tags        []string
	note        string
	email       string
	address     *Address
	source      string
	custExt     *customerExt
}

// GenerateOrders places n generated orders (mix nil: the store's mix), each as its own
// merchant action, and returns their ids. The same seed and the same sequence of calls
// give the same orders and byte-identical payloads.
func (s *Store) GenerateOrders(n int, mix *Mix) (Batch, error) {
	if n < 0 || n > 10_000_000 {
		return Batch{}, fmt.Errorf("store: count %d must be between 0 and 10000000", n)
	}
	if mix != nil {
		if err := mix.Validate(); err != nil {
			return Batch{}, fmt.Errorf("store: %w", err)
		}
	}
	b := Batch{Orders: make([]int64, 0, n)}
	for i := 0; i < n; i++ {
		s.mu.Lock()
		m := s.mix
		if mix != nil {
			m = *mix
		}
		if i == 0 {
			b.FirstEventSeq = s.events.n + 1
		}
		p := s.drawPlacement(&m)
		if p.newCustomer {
			b.NewCustomers++
		}
		idx := s.place(p, nil)
		b.Orders = append(b.Orders, orderID(idx))
		b.LastEventSeq = s.events.n
		s.unlock()
	}
	return b, nil
}

// drawPlacement draws a generated order. Callers hold mu.
func (s *Store) drawPlacement(m *Mix) placement {
	r := s.rng
	var p placement
	if len(s.customers) > 0 && r.Float64() < m.ReturningShare {
		p.customer = r.IntN(len(s.customers))
	} else {
		p.newCustomer = true
		p.abroad = r.Float64() < m.InternationalShare
	}
	skus := len(s.cat.Items)
	if m.SKUs > 0 && m.SKUs < skus {
		skus = m.SKUs
	}
	count := min(m.LineItems.draw(r), skus)
	p.lines = make([]line, 0, count)
	for len(p.lines) < count {
		item := int32(r.IntN(skus))
		dup := false
		for _, l := range p.lines {
			dup = dup || l.item == item
		}
		if dup {
			continue
		}
		q := int32(1)
		switch x := r.IntN(100); {
		case x >= 95:
			q = 3
		case x >= 80:
			q = 2
		}
		p.lines = append(p.lines, line{item: item, qty: q, current: q, price: s.cat.Items[item].PriceCents})
	}
	switch f := r.Float64(); {
	case f < m.HighRiskShare:
		p.risk = riskHigh
	case f < m.HighRiskShare+m.MediumRiskShare:
		p.risk = riskMedium
	}
	p.paid = r.Float64() >= m.PendingShare
	switch {
	case !p.paid:
		p.gateway = gwBankDeposit
	case r.IntN(10) == 0:
		p.gateway = gwPaypal
	}
	if r.Float64() < m.DiscountShare {
		p.discountPct = []uint8{10, 15, 20}[r.IntN(3)]
	}
	p.loc = r.IntN(len(s.cat.Locations))
	p.shipping = -1
	return p
}

// standardShipping is the generated shop's rate: free from $100 after discounts, else $9.99.
func standardShipping(subtotal int64) int64 {
	if subtotal >= 10000 {
		return 0
	}
	return 999
}

// place creates the order (and its customer), commits stock, and emits the events of
// checkout followed by the fraud analysis. Callers hold mu.
func (s *Store) place(p placement, out *Change) int {
	a := s.begin(out)
	sec := a.at.Unix()
	if p.newCustomer {
		p.customer = len(s.customers)
		s.customers = append(s.customers, customer{createdAt: sec, updatedAt: sec, abroad: p.abroad, ext: p.custExt})
		if p.custExt != nil && p.custExt.email != nil {
			s.emailOwner[strings.ToLower(*p.custExt.email)] = int32(p.customer)
		}
	}
	idx := len(s.orders)
	s.orders = append(s.orders, order{
		createdAt: sec, updatedAt: sec, customer: int32(p.customer), loc: uint8(p.loc), risk: p.risk,
		gateway: p.gateway, discountPct: p.discountPct,
	})
	o := &s.orders[idx]
	if len(p.tags) > 0 || p.note != "" || p.email != "" || p.address != nil || p.discount > 0 || p.source != "" {
		o.ext = &orderExt{tags: p.tags, note: p.note, email: p.email, shipping: p.address, discountCents: p.discount, source: p.source}
	}
	ship := s.shippingAddress(idx)
	rate := catalog.TaxRate(ship.CountryCode, ship.ProvinceCode)
	shipping := p.shipping
	if shipping < 0 {
		_, _, sub, _, _ := totals(p.lines, p.discountPct, p.discount, 0, rate)
		shipping = standardShipping(sub)
	}
	o.shipping = int32(shipping)
	_, _, sub, tax, total := totals(p.lines, p.discountPct, p.discount, shipping, rate)
	v := version{at: sec, subtotal: sub, tax: tax, total: total, lines: p.lines, financial: finPending}
	if p.paid {
		v.financial = finPaid
		o.txns = []txn{{at: sec, amount: total, kind: kindSale, status: statusSuccess}}
	}
	o.versions = []version{v}
	c := &s.customers[p.customer]
	c.orders++
	c.spent += total

	moves := stockMoves{s: s}
	for _, l := range p.lines {
		moves.move(int(l.item), p.loc, -l.qty, l.qty, 0, sec)
	}
	id := orderID(idx)
	if out != nil {
		out.Orders = append(out.Orders, id)
		if p.newCustomer {
			out.Customers = append(out.Customers, customerID(p.customer))
		}
	}
	if p.newCustomer {
		cs := s.customerSnap(p.customer)
		s.emitJSON(a, TopicCustomersCreate, cs.ID, s.CustomerJSON(&cs))
	}
	snap := s.orderSnap(idx)
	payload := marshal(s.OrderJSON(&snap))
	h := payloadHash64(payload)
	a.emit(TopicOrdersCreate, id, payload, h, nil)
	if p.paid {
		a.emit(TopicOrdersPaid, id, payload, h, nil)
	}
	a.emit(TopicOrdersUpdated, id, payload, h, nil)
	moves.emit(a, out)

	// Fraud analysis runs after checkout and announces its result as its own event.
	r := s.begin(out)
	s.emitJSON(r, TopicOrdersRiskChanged, id, RiskJSON{
		ProviderTitle: "Shopify", RiskLevel: strings.ToLower(riskNames[p.risk]), CreatedAt: s.RESTTime(r.at),
		OrderID: id, AdminGraphqlAPIOrderID: GID("Order", id), Recommendation: strings.ToLower(recommendation(p.risk)),
	})
	return idx
}

func (s *Store) emitJSON(a *action, topic string, resource int64, v any) {
	p := marshal(v)
	a.emit(topic, resource, p, payloadHash64(p), nil)
}

// OrderSpec is an explicit order for CreateOrder. Absent fields are generated.
type OrderSpec struct {
	// CustomerID places the order for an existing customer.
	CustomerID int64 `json:"customer_id,omitempty"`
	// Customer creates a new customer with these details (or uses the existing customer
	// with that e-mail). Neither: a new generated customer.
	Customer *CustomerSpec `json:"customer,omitempty"`
	// LineItems is required: at least one line, each a known SKU.
	LineItems       []LineSpec `json:"line_items"`
	ShippingAddress *Address   `json:"shipping_address,omitempty"`
	// FinancialStatus is "paid" (default) or "pending".
	FinancialStatus string `json:"financial_status,omitempty"`
	// Gateway is shopify_payments (default when paid), bank_deposit (default when
	// pending), manual or paypal.
	Gateway string `json:"gateway,omitempty"`
	// Discount is a fixed discount ("10.00"); Shipping the shipping charged (default: free
	// from $100, else $9.99).
	Discount string   `json:"discount,omitempty"`
	Shipping string   `json:"shipping,omitempty"`
	Tags     []string `json:"tags,omitempty"`
	Note     string   `json:"note,omitempty"`
	Email    string   `json:"email,omitempty"`
	// RiskLevel is low (default), medium or high.
	RiskLevel string `json:"risk_level,omitempty"`
	// LocationID is the location that fulfils it (default: the first).
	LocationID int64  `json:"location_id,omitempty"`
	SourceName string `json:"source_name,omitempty"`
}

// CustomerSpec is a new customer's details.
type CustomerSpec struct {
	Email     string `json:"email"`
	FirstName string `json:"first_name,omitempty"`
	LastName  string `json:"last_name,omitempty"`
	Phone     string `json:"phone,omitempty"`
}

// LineSpec is one line of an explicit order or of an edit.
type LineSpec struct {
	SKU      string `json:"sku"`
	Quantity int    `json:"quantity"`
	// Price is the unit price ("19.99"); default the catalog price.
	Price string `json:"price,omitempty"`
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

func (s *Store) resolve(spec OrderSpec) (placement, error) {
	p := placement{shipping: -1, newCustomer: true}
	if spec.CustomerID != 0 {
		idx, ok := customerIndex(spec.CustomerID)
		if !ok {
			return p, notFound("NOT_FOUND", "customer "+itoa(spec.CustomerID)+" not found", "customer_id")
		}
		p.customer, p.newCustomer = idx, false
	} else if c := spec.Customer; c != nil {
		if !validEmail(c.Email) {
			return p, invalid("INVALID", "customer.email "+strconv.Quote(c.Email)+" is not an e-mail address", "customer", "email")
		}
		email := strings.ToLower(strings.TrimSpace(c.Email))
		p.custExt = &customerExt{email: &email}
		if c.FirstName != "" {
			p.custExt.firstName = &c.FirstName
		}
		if c.LastName != "" {
			p.custExt.lastName = &c.LastName
		}
		if c.Phone != "" {
			p.custExt.phone = &c.Phone
		}
	}
	if len(spec.LineItems) == 0 {
		return p, invalid("BLANK", "line_items must have at least one line", "line_items")
	}
	if len(spec.LineItems) > maxLines {
		return p, invalid("TOO_LONG", fmt.Sprintf("line_items has %d lines; at most %d", len(spec.LineItems), maxLines), "line_items")
	}
	for i, ls := range spec.LineItems {
		l, err := s.resolveLine(ls, "line_items", i)
		if err != nil {
			return p, err
		}
		p.lines = append(p.lines, l)
	}
	if spec.ShippingAddress != nil {
		a, err := checkAddress(*spec.ShippingAddress, "shipping_address")
		if err != nil {
			return p, err
		}
		p.address = &a
		p.abroad = a.CountryCode != "US"
	}
	switch spec.FinancialStatus {
	case "", "paid":
		p.paid = true
	case "pending":
		p.gateway = gwBankDeposit
	default:
		return p, invalid("INVALID", "financial_status "+strconv.Quote(spec.FinancialStatus)+" must be paid or pending", "financial_status")
	}
	if spec.Gateway != "" {
		g, ok := codeOf(gatewayNames, spec.Gateway)
		if !ok {
			return p, invalid("INVALID", "gateway "+strconv.Quote(spec.Gateway)+" must be one of "+strings.Join(gatewayNames, ", "), "gateway")
		}
		p.gateway = g
	}
	var err error
	if spec.Discount != "" {
		if p.discount, err = catalog.ParseMoney(spec.Discount); err != nil || p.discount < 0 {
			return p, invalid("INVALID", "discount "+strconv.Quote(spec.Discount)+" is not a non-negative amount like 10.00", "discount")
		}
	}
	if spec.Shipping != "" {
		if p.shipping, err = catalog.ParseMoney(spec.Shipping); err != nil || p.shipping < 0 || p.shipping > 1<<31-1 {
			return p, invalid("INVALID", "shipping "+strconv.Quote(spec.Shipping)+" is not a non-negative amount like 9.99", "shipping")
		}
	}
	if p.tags, err = normalizeTags(spec.Tags, "tags"); err != nil {
		return p, err
	}
	switch strings.ToLower(spec.RiskLevel) {
	case "", "low":
	case "medium":
		p.risk = riskMedium
	case "high":
		p.risk = riskHigh
	default:
		return p, invalid("INVALID", "risk_level "+strconv.Quote(spec.RiskLevel)+" must be low, medium or high", "risk_level")
	}
	if spec.LocationID != 0 {
		loc, ok := locationIndex(spec.LocationID)
		if !ok || loc >= len(s.cat.Locations) {
			return p, notFound("NOT_FOUND", "location "+itoa(spec.LocationID)+" not found", "location_id")
		}
		p.loc = loc
	}
	if spec.Email != "" {
		if !validEmail(spec.Email) {
			return p, invalid("INVALID", "email "+strconv.Quote(spec.Email)+" is not an e-mail address", "email")
		}
		p.email = spec.Email
	}
	if len(spec.Note) > 5000 {
		return p, invalid("TOO_LONG", "note is longer than 5000 characters", "note")
	}
	p.note, p.source = spec.Note, spec.SourceName
	return p, nil
}

func (s *Store) resolveLine(ls LineSpec, field string, i int) (line, error) {
	item, ok := s.skuIndex[ls.SKU]
	if !ok {
		return line{}, notFound("NOT_FOUND", "unknown SKU "+strconv.Quote(ls.SKU), field, strconv.Itoa(i), "sku")
	}
	if ls.Quantity < 1 || ls.Quantity > 10_000 {
		return line{}, invalid("INVALID", fmt.Sprintf("quantity %d must be between 1 and 10000", ls.Quantity), field, strconv.Itoa(i), "quantity")
	}
	price := s.cat.Items[item].PriceCents
	if ls.Price != "" {
		var err error
		if price, err = catalog.ParseMoney(ls.Price); err != nil || price < 0 || price > 100_000_000 {
			return line{}, invalid("INVALID", "price "+strconv.Quote(ls.Price)+" is not an amount between 0.00 and 1000000.00", field, strconv.Itoa(i), "price")
		}
	}
	return line{item: int32(item), qty: int32(ls.Quantity), current: int32(ls.Quantity), price: price}, nil
}

func validEmail(e string) bool {
	e = strings.TrimSpace(e)
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(e, " ,;<>") && len(e) <= 254
}

func checkAddress(a Address, field string) (Address, error) {
	a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
	a.ProvinceCode = strings.ToUpper(strings.TrimSpace(a.ProvinceCode))
	if len(a.CountryCode) != 2 {
		return a, invalid("INVALID", field+".country_code "+strconv.Quote(a.CountryCode)+" must be a two-letter country code", field, "country_code")
	}
	if a.CountryCode == "US" && catalog.TaxRate("US", a.ProvinceCode) == 0 && !noSalesTax[a.ProvinceCode] {
		return a, invalid("INVALID", field+".province_code "+strconv.Quote(a.ProvinceCode)+" is not a US state code", field, "province_code")
	}
	if a.Country == "" {
		a.Country = a.CountryCode
		if a.CountryCode == "US" {
			a.Country = "United States"
		}
	}
	if a.Province == "" {
		a.Province = a.ProvinceCode
		for _, st := range usStates {
			if a.CountryCode == "US" && st[0] == a.ProvinceCode {
				a.Province = st[1]
			}
		}
	}
	for _, f := range []string{a.FirstName, a.LastName, a.Address1, a.Address2, a.City, a.Zip, a.Phone, a.Company, a.Country, a.Province} {
		if len(f) > 255 {
			return a, invalid("TOO_LONG", field+" has a field longer than 255 characters", field)
		}
	}
	return a, nil
}

var noSalesTax = map[string]bool{"AK": true, "DE": true, "MT": true, "NH": true, "OR": true}

// normalizeTags splits comma-separated entries, trims them, and drops empty and duplicate
// tags (case-insensitively, keeping the first spelling), as Shopify does.
func normalizeTags(in []string, field string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, t := range in {
		for _, part := range strings.Split(t, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if len(part) > 255 {
				return nil, invalid("TOO_LONG", "a tag is longer than 255 characters", field)
			}
			k := strings.ToLower(part)
			if !seen[k] {
				seen[k] = true
				out = append(out, part)
			}
		}
	}
	if len(out) > 250 {
		return nil, invalid("TOO_LONG", "at most 250 tags", field)
	}
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
	v := s.newVersion(idx, o, lines, sec)
	v.fulfillment = fulfillmentOf(o, lines)
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

func mergeTags(have, add, remove []string) ([]string, bool) {
	out := append([]string(nil), have...)
	changed := false
	for _, r := range remove {
		for i, t := range out {
			if strings.EqualFold(t, r) {
				out = append(out[:i], out[i+1:]...)
				changed = true
				break
			}
		}
	}
	for _, t := range add {
		found := false
		for _, h := range out {
			found = found || strings.EqualFold(h, t)
		}
		if !found {
			out = append(out, t)
			changed = true
		}
	}
	return out, changed
}

// CustomerUpdate changes a customer; nil fields keep their value.
type CustomerUpdate struct {
	Email     *string  `json:"email,omitempty"`
	FirstName *string  `json:"first_name,omitempty"`
	LastName  *string  `json:"last_name,omitempty"`
	Phone     *string  `json:"phone,omitempty"`
	Note      *string  `json:"note,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	// State is disabled, invited, enabled or declined.
	State   *string  `json:"state,omitempty"`
	Address *Address `json:"default_address,omitempty"`
}

// UpdateCustomer changes a customer as a merchant action and fires customers/update.
// Tags, when given, replace the customer's tags.
func (s *Store) UpdateCustomer(id int64, u CustomerUpdate) (Change, error) {
	out := Change{Events: []EventRecord{}}
	var addr *Address
	if u.Address != nil {
		a, err := checkAddress(*u.Address, "default_address")
		if err != nil {
			return out, err
		}
		addr = &a
	}
	var tags []string
	if u.Tags != nil {
		var err error
		if tags, err = normalizeTags(u.Tags, "tags"); err != nil {
			return out, err
		}
	}
	if u.Email != nil && !validEmail(*u.Email) {
		return out, invalid("INVALID", "email "+strconv.Quote(*u.Email)+" is not an e-mail address", "email")
	}
	if u.State != nil {
		switch *u.State {
		case "disabled", "invited", "enabled", "declined":
		default:
			return out, invalid("INVALID", "state "+strconv.Quote(*u.State)+" must be disabled, invited, enabled or declined", "state")
		}
	}
	for _, f := range []*string{u.FirstName, u.LastName, u.Phone} {
		if f != nil && len(*f) > 255 {
			return out, invalid("TOO_LONG", "a field is longer than 255 characters", "customer")
		}
	}
	if u.Note != nil && len(*u.Note) > 5000 {
		return out, invalid("TOO_LONG", "note is longer than 5000 characters", "note")
	}
	s.mu.Lock()
	defer s.unlock()
	idx, ok := customerIndex(id)
	if !ok || idx >= len(s.customers) {
		return out, notFound("NOT_FOUND", "customer "+itoa(id)+" not found", "id")
	}
	c := &s.customers[idx]
	if c.ext == nil {
		c.ext = &customerExt{}
	}
	if u.Email != nil {
		email := strings.ToLower(strings.TrimSpace(*u.Email))
		if other, taken := s.customerByEmail(email); taken && other != idx {
			return out, invalid("TAKEN", "email "+strconv.Quote(email)+" has already been taken", "email")
		}
		if old := s.customerSnap(idx).Email; old != email {
			delete(s.emailOwner, strings.ToLower(old))
		}
		c.ext.email = &email
		s.emailOwner[email] = int32(idx)
	}
	if u.FirstName != nil {
		c.ext.firstName = u.FirstName
	}
	if u.LastName != nil {
		c.ext.lastName = u.LastName
	}
	if u.Phone != nil {
		c.ext.phone = u.Phone
	}
	if u.Note != nil {
		c.ext.note = *u.Note
	}
	if u.Tags != nil {
		c.ext.tags = tags
	}
	if u.State != nil {
		c.ext.state = *u.State
	}
	if addr != nil {
		c.ext.address = addr
	}
	s.touchCustomer(idx, &out)
	return out, nil
}

// TagCustomer adds tags to a customer; nothing fires when it already had them all.
func (s *Store) TagCustomer(id int64, add []string) (Change, error) {
	out := Change{Events: []EventRecord{}}
	add, err := normalizeTags(add, "tags")
	if err != nil {
		return out, err
	}
	s.mu.Lock()
	defer s.unlock()
	idx, ok := customerIndex(id)
	if !ok || idx >= len(s.customers) {
		return out, notFound("NOT_FOUND", "customer "+itoa(id)+" not found", "id")
	}
	c := &s.customers[idx]
	var have []string
	if c.ext != nil {
		have = c.ext.tags
	}
	tags, changed := mergeTags(have, add, nil)
	if !changed {
		return out, nil
	}
	if c.ext == nil {
		c.ext = &customerExt{}
	}
	c.ext.tags = tags
	s.touchCustomer(idx, &out)
	return out, nil
}

func (s *Store) touchCustomer(idx int, out *Change) {
	a := s.begin(out)
	c := &s.customers[idx]
	c.updatedAt = nextUpdate(c.updatedAt, a.at.Unix())
	cs := s.customerSnap(idx)
	s.emitJSON(a, TopicCustomersUpdate, cs.ID, s.CustomerJSON(&cs))
	out.Customers = append(out.Customers, cs.ID)
}

// stockMoves applies quantity changes and emits inventory_levels/update for every level
// whose available quantity changed, with the variant's total before and after for Flow.
type stockMoves struct {
	s       *Store
	touched []stockTouch
}

type stockTouch struct {
	li, item, loc int
	prior         int32 // available at the level before
	priorTotal    int   // variant's available over every location before
}

func (m *stockMoves) total(item int) int {
	nl := len(m.s.cat.Locations)
	n := 0
	for l := 0; l < nl; l++ {
		n += int(m.s.levels[item*nl+l].available)
	}
	return n
}

func (m *stockMoves) touch(item, loc int) *level {
	li := item*len(m.s.cat.Locations) + loc
	for _, t := range m.touched {
		if t.li == li {
			return &m.s.levels[li]
		}
	}
	pt := m.total(item)
	for _, t := range m.touched {
		if t.item == item {
			pt = t.priorTotal
			break
		}
	}
	m.touched = append(m.touched, stockTouch{li: li, item: item, loc: loc, prior: m.s.levels[li].available, priorTotal: pt})
	return &m.s.levels[li]
}

func (m *stockMoves) move(item, loc int, dAvailable, dCommitted, dOnHand int32, at int64) {
	l := m.touch(item, loc)
	l.available += dAvailable
	l.committed += dCommitted
	l.onHand += dOnHand
	l.updatedAt = nextUpdate(l.updatedAt-1, at)
}

func (m *stockMoves) emit(a *action, out *Change) {
	s := m.s
	for _, t := range m.touched {
		l := &s.levels[t.li]
		if out != nil {
			out.InventoryItems = appendOnce(out.InventoryItems, inventoryItemID(t.item))
		}
		if l.available == t.prior {
			continue
		}
		snap := s.levelSnap(t.item, t.loc)
		p := marshal(s.InventoryLevelJSON(&snap))
		it := &s.cat.Items[t.item]
		a.emit(TopicInventoryLevelsUpdate, snap.InventoryItemID, p, payloadHash64(p), &webhooks.InventoryChange{
			ProductID: productID(t.item), VariantID: variantID(t.item), InventoryItemID: snap.InventoryItemID,
			LocationID: snap.LocationID, SKU: it.SKU, ProductTitle: it.Title, Prior: t.priorTotal, Current: m.total(t.item),
		})
	}
}
