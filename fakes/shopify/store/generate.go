package store

import (
	"fmt"
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
)

// Batch is what GenerateOrders made. Its events are Events(FirstEventSeq-1, ...) up to
// LastEventSeq; they are not copied here so a million-order batch stays small.
type Batch struct {
	Orders        []int64 `json:"orders"`
	NewCustomers  int     `json:"new_customers"`
	FirstEventSeq int64   `json:"first_event_seq"`
	LastEventSeq  int64   `json:"last_event_seq"`
	// SoldOut counts the checkouts refused because a line asked for more than was
	// available (inventory policy deny): they placed no order and fired no event.
	SoldOut int `json:"sold_out,omitempty"`
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
// give the same orders and byte-identical payloads. Under PolicyDeny a checkout whose
// line asks for more than its variant has available at the order's location is refused,
// as Shopify's checkout refuses it: no order, no event, Batch.SoldOut and SoldOut count
// it (the draw is made all the same, so the orders after it do not change).
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
		if s.soldOutLine(&p) {
			s.soldOut++
			b.SoldOut++
			s.unlock()
			continue
		}
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
		if m.InvalidEmailShare > 0 && r.Float64() < m.InvalidEmailShare {
			e := malformedEmail(r)
			p.custExt = &customerExt{email: &e}
		}
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
