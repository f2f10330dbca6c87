package store

import (
	"strings"
	"time"
)

// Read access. Every method takes the read lock for its own duration and returns
// detached snapshots.

// Order returns one order.
func (s *Store) Order(id int64) (Order, bool) {
	idx, ok := orderIndex(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !ok || idx >= len(s.orders) {
		return Order{}, false
	}
	return s.orderSnap(idx), true
}

// OrderByFulfillmentOrder returns the order a fulfillment order belongs to.
func (s *Store) OrderByFulfillmentOrder(foID int64) (Order, bool) {
	idx, ok := fulfillmentOrderIndex(foID)
	if !ok {
		return Order{}, false
	}
	return s.Order(orderID(idx))
}

// OrderByLineItem returns the order a line item belongs to.
func (s *Store) OrderByLineItem(lineItemID int64) (Order, int, bool) {
	idx, n, ok := lineIndex(lineItemID)
	if !ok {
		return Order{}, 0, false
	}
	o, ok := s.Order(orderID(idx))
	if !ok || n >= len(o.Lines) {
		return Order{}, 0, false
	}
	return o, n, true
}

// OrderCount is the number of orders.
func (s *Store) OrderCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.orders)
}

// Customer returns one customer.
func (s *Store) Customer(id int64) (Customer, bool) {
	idx, ok := customerIndex(id)
	s.mu.RLock()
	defer s.mu.RUnlock()
	if !ok || idx >= len(s.customers) {
		return Customer{}, false
	}
	return s.customerSnap(idx), true
}

// CustomerByEmail finds a customer by e-mail address (case-insensitive).
func (s *Store) CustomerByEmail(email string) (Customer, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	idx, ok := s.customerByEmail(email)
	if !ok {
		return Customer{}, false
	}
	return s.customerSnap(idx), true
}

// customerByEmail: callers hold mu.
func (s *Store) customerByEmail(email string) (int, bool) {
	email = strings.ToLower(strings.TrimSpace(email))
	if idx, ok := s.emailOwner[email]; ok {
		return int(idx), true
	}
	n, ok := customerNumberFromEmail(email)
	if !ok || n >= len(s.customers) {
		return 0, false
	}
	c := &s.customers[n]
	if c.ext != nil && c.ext.email != nil {
		return 0, false // the generated address was replaced
	}
	if strings.ToLower(makePerson(s.cfg.Seed, n, c.abroad).Email) != email {
		return 0, false
	}
	return n, true
}

// CustomerCount is the number of customers.
func (s *Store) CustomerCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return len(s.customers)
}

// Locations lists the stock locations.
func (s *Store) Locations() []Location {
	out := make([]Location, len(s.cat.Locations))
	for i, l := range s.cat.Locations {
		out[i] = Location{ID: locationID(i), Index: i, Name: l.Name}
	}
	return out
}

// Location returns one location.
func (s *Store) Location(id int64) (Location, bool) {
	idx, ok := locationIndex(id)
	if !ok || idx >= len(s.cat.Locations) {
		return Location{}, false
	}
	return Location{ID: id, Index: idx, Name: s.cat.Locations[idx].Name}, true
}

// VariantCount is the number of SKUs.
func (s *Store) VariantCount() int { return len(s.cat.Items) }

// VariantAt returns the SKU at catalog position i.
func (s *Store) VariantAt(i int) (Variant, bool) {
	if i < 0 || i >= len(s.cat.Items) {
		return Variant{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.variantSnap(i), true
}

// VariantBySKU finds a SKU.
func (s *Store) VariantBySKU(sku string) (Variant, bool) {
	i, ok := s.skuIndex[sku]
	if !ok {
		return Variant{}, false
	}
	return s.VariantAt(i)
}

// VariantByID finds a variant by its id.
func (s *Store) VariantByID(id int64) (Variant, bool) {
	i, ok := catalogIndex(id, variantBase)
	if !ok {
		return Variant{}, false
	}
	return s.VariantAt(i)
}

// VariantByProductID finds the variant of a product.
func (s *Store) VariantByProductID(id int64) (Variant, bool) {
	i, ok := catalogIndex(id, productBase)
	if !ok {
		return Variant{}, false
	}
	return s.VariantAt(i)
}

// VariantByInventoryItem finds the variant of an inventory item.
func (s *Store) VariantByInventoryItem(id int64) (Variant, bool) {
	i, ok := catalogIndex(id, itemBase)
	if !ok {
		return Variant{}, false
	}
	return s.VariantAt(i)
}

// InventoryLevel returns an inventory item's level at a location.
func (s *Store) InventoryLevel(inventoryItemID, locationID int64) (InventoryLevel, bool) {
	item, ok := catalogIndex(inventoryItemID, itemBase)
	loc, ok2 := locationIndex(locationID)
	if !ok || !ok2 || item >= len(s.cat.Items) || loc >= len(s.cat.Locations) {
		return InventoryLevel{}, false
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.levelSnap(item, loc), true
}

// OrderRow is what an order filter sees: the cheap fields directly, the expensive ones
// (e-mail, tags) through methods. It is only valid during the filter call.
type OrderRow struct {
	ID          int64
	CreatedAt   int64 // unix seconds
	UpdatedAt   int64
	Cancelled   bool
	Financial   string
	Fulfillment string // "", "partial", "fulfilled"
	Risk        string // LOW, MEDIUM, HIGH
	CustomerID  int64
	s           *Store
	o           *order
	idx         int
}

// Closed reports whether the order is cancelled, or paid and fully fulfilled.
func (r *OrderRow) Closed() bool {
	return r.Cancelled || (r.Fulfillment == "fulfilled" && (r.Financial == "paid" || r.Financial == "refunded"))
}

// Tags returns the order's tags.
func (r *OrderRow) Tags() []string { return r.o.tags() }

// Name is "#1001".
func (r *OrderRow) Name() string { return "#" + itoa(int64(1001+r.idx)) }

// Email is the order's contact e-mail.
func (r *OrderRow) Email() string {
	if r.o.ext != nil && r.o.ext.email != "" {
		return r.o.ext.email
	}
	return r.s.customerSnap(int(r.o.customer)).Email
}

// HasSKU reports whether a line of the order has the SKU.
func (r *OrderRow) HasSKU(sku string) bool {
	for _, l := range r.o.current().lines {
		if r.s.cat.Items[l.item].SKU == sku {
			return true
		}
	}
	return false
}

// OrderSort is a sort key for order listings.
type OrderSort int

// Order sort keys.
const (
	SortByID OrderSort = iota
	SortByCreatedAt
	SortByUpdatedAt
)

// OrderPage is a page of orders.
type OrderPage struct {
	Orders      []Order
	Positions   []Pos
	HasPrevious bool
	HasNext     bool
}

// ListOrders pages through the orders filter accepts (nil accepts all), sorted by sortKey.
// It scans every order once under the read lock.
func (s *Store) ListOrders(filter func(*OrderRow) bool, sortKey OrderSort, req PageRequest) OrderPage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	var row OrderRow
	row.s = s
	page := Paginate(len(s.orders), func(i int) (Pos, bool) {
		o := &s.orders[i]
		id := orderID(i)
		if filter != nil {
			s.fillRow(&row, i, o)
			if !filter(&row) {
				return Pos{}, false
			}
		}
		return sortPos(sortKey, id, o.createdAt, o.updatedAt), true
	}, req)
	out := OrderPage{Positions: page.Positions, HasPrevious: page.HasPrevious, HasNext: page.HasNext}
	out.Orders = make([]Order, len(page.Items))
	for k, i := range page.Items {
		out.Orders[k] = s.orderSnap(i)
	}
	return out
}

// sortPos is a record's position in a list sorted by sortKey: by id, or by a timestamp
// with the id breaking ties.
func sortPos(sortKey OrderSort, id, createdAt, updatedAt int64) Pos {
	switch sortKey {
	case SortByCreatedAt:
		return Pos{Key: createdAt, ID: id}
	case SortByUpdatedAt:
		return Pos{Key: updatedAt, ID: id}
	}
	return Pos{Key: id, ID: id}
}

// CountOrders counts the orders filter accepts.
func (s *Store) CountOrders(filter func(*OrderRow) bool) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if filter == nil {
		return len(s.orders)
	}
	var row OrderRow
	row.s = s
	n := 0
	for i := range s.orders {
		s.fillRow(&row, i, &s.orders[i])
		if filter(&row) {
			n++
		}
	}
	return n
}

func (s *Store) fillRow(r *OrderRow, i int, o *order) {
	v := o.current()
	r.ID, r.CreatedAt, r.UpdatedAt = orderID(i), o.createdAt, o.updatedAt
	r.Cancelled = o.cancelledAt != 0
	r.Financial, r.Fulfillment = financialNames[v.financial], fulfillmentNames[v.fulfillment]
	r.Risk, r.CustomerID = riskNames[o.risk], customerID(int(o.customer))
	r.o, r.idx = o, i
}

// CustomerRow is what a customer filter sees.
type CustomerRow struct {
	ID        int64
	CreatedAt int64
	UpdatedAt int64
	s         *Store
	idx       int
}

// Snapshot builds the full customer (regenerating its generated fields).
func (r *CustomerRow) Snapshot() Customer { return r.s.customerSnap(r.idx) }

// CustomerPage is a page of customers.
type CustomerPage struct {
	Customers   []Customer
	Positions   []Pos
	HasPrevious bool
	HasNext     bool
}

// ListCustomers pages through customers. sortKey is SortByID, SortByCreatedAt or
// SortByUpdatedAt. An e-mail filter is best done with CustomerByEmail first.
func (s *Store) ListCustomers(filter func(*CustomerRow) bool, sortKey OrderSort, req PageRequest) CustomerPage {
	s.mu.RLock()
	defer s.mu.RUnlock()
	row := CustomerRow{s: s}
	page := Paginate(len(s.customers), func(i int) (Pos, bool) {
		c := &s.customers[i]
		id := customerID(i)
		if filter != nil {
			row.ID, row.CreatedAt, row.UpdatedAt, row.idx = id, c.createdAt, c.updatedAt, i
			if !filter(&row) {
				return Pos{}, false
			}
		}
		return sortPos(sortKey, id, c.createdAt, c.updatedAt), true
	}, req)
	out := CustomerPage{Positions: page.Positions, HasPrevious: page.HasPrevious, HasNext: page.HasNext}
	out.Customers = make([]Customer, len(page.Items))
	for k, i := range page.Items {
		out.Customers[k] = s.customerSnap(i)
	}
	return out
}

// CountCustomers counts the customers filter accepts.
func (s *Store) CountCustomers(filter func(*CustomerRow) bool) int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if filter == nil {
		return len(s.customers)
	}
	row := CustomerRow{s: s}
	n := 0
	for i := range s.customers {
		c := &s.customers[i]
		row.ID, row.CreatedAt, row.UpdatedAt, row.idx = customerID(i), c.createdAt, c.updatedAt, i
		if filter(&row) {
			n++
		}
	}
	return n
}

// ParseTime reads the timestamps Shopify accepts in filters: RFC 3339 with or without
// fractional seconds, "2006-01-02T15:04:05" (UTC), "2006-01-02 15:04:05" or a date.
func ParseTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}
