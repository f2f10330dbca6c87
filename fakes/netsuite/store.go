package netsuite

import (
	"encoding/json"
	"sort"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
)

// Record types the fake serves, named as in NetSuite's REST record API paths.
const (
	RecordSalesOrder      = "salesOrder"
	RecordCustomer        = "customer"
	RecordInventoryItem   = "inventoryItem"
	RecordItemFulfillment = "itemFulfillment"
)

// table holds one record type: by internal id, by external id, and the ids in creation
// order (which is ascending, so collections page in id order). It is not safe for
// concurrent use; the store's mutex guards it.
type table[T any] struct {
	byID    map[int64]*T
	byEID   map[string]*T
	ids     []int64
	removed int
	next    int64
}

func newTable[T any](firstID int64) *table[T] {
	return &table[T]{byID: map[int64]*T{}, byEID: map[string]*T{}, next: firstID}
}

// nextID reserves the next internal id.
func (t *table[T]) nextID() int64 {
	id := t.next
	t.next++
	return id
}

func (t *table[T]) insert(id int64, eid string, v *T) {
	t.byID[id] = v
	if eid != "" {
		t.byEID[eid] = v
	}
	t.ids = append(t.ids, id)
}

func (t *table[T]) remove(id int64, eid string) {
	if _, ok := t.byID[id]; !ok {
		return
	}
	delete(t.byID, id)
	if eid != "" {
		delete(t.byEID, eid)
	}
	t.removed++
	if t.removed > len(t.ids)/2 {
		kept := t.ids[:0]
		for _, x := range t.ids {
			if _, ok := t.byID[x]; ok {
				kept = append(kept, x)
			}
		}
		t.ids, t.removed = kept, 0
	}
}

// each calls fn for every live record in id order until fn returns false.
func (t *table[T]) each(fn func(*T) bool) {
	for _, id := range t.ids {
		if v, ok := t.byID[id]; ok && !fn(v) {
			return
		}
	}
}

func (t *table[T]) len() int { return len(t.byID) }

// address is a shipping address subrecord.
type address struct {
	Addr1   string
	Addr2   string
	City    string
	State   string
	Zip     string
	Country string // ISO 3166-1 alpha-2, upper case
	present bool
}

// orderLine is one line of a sales order's item sublist.
type orderLine struct {
	Line        int
	ItemID      int64
	SKU         string
	Description string
	Quantity    int64
	RateCents   int64
	AmountCents int64
	Fulfilled   int64
	Custom      map[string]json.RawMessage // custcol_* fields
}

// Sales order statuses (orderStatus ids) and their NetSuite names.
const (
	StatusPendingApproval    = "A"
	StatusPendingFulfillment = "B"
	StatusCancelled          = "C"
	StatusPartiallyFulfilled = "D"
	StatusPendingBillingPart = "E"
	StatusPendingBilling     = "F"
	StatusBilled             = "G"
	StatusClosed             = "H"
)

var statusNames = map[string]string{
	StatusPendingApproval:    "Pending Approval",
	StatusPendingFulfillment: "Pending Fulfillment",
	StatusCancelled:          "Cancelled",
	StatusPartiallyFulfilled: "Partially Fulfilled",
	StatusPendingBillingPart: "Pending Billing/Partially Fulfilled",
	StatusPendingBilling:     "Pending Billing",
	StatusBilled:             "Billed",
	StatusClosed:             "Closed",
}

// settableStatuses are the orderStatus ids a client may send; the others follow from
// fulfilment and billing.
var settableStatuses = map[string]bool{StatusPendingApproval: true, StatusPendingFulfillment: true, StatusCancelled: true, StatusClosed: true}

// commits reports whether an order in this status holds stock: approved orders not yet
// fulfilled, cancelled or closed.
func commits(status string) bool {
	return status == StatusPendingFulfillment || status == StatusPartiallyFulfilled || status == StatusPendingBillingPart
}

// salesOrder is a stored sales order.
type salesOrder struct {
	ID            int64
	TranID        string
	ExternalID    string
	NaturalKey    string
	CustomerID    int64
	TranDate      string
	OtherRefNum   string
	Memo          string
	Status        string
	Ship          address
	Location      int // index into the store's locations
	Lines         []orderLine
	LastLine      int             // the highest line number ever given; new lines take the next
	pending       []pendingLine   // lines resolveOrder must complete; nil once stored
	DiscountRate  json.RawMessage // as sent: a number (amount) or "-10%"
	DiscountIsPct bool
	DiscountPct   int64 // basis points of the subtotal, <= 0, when DiscountIsPct
	DiscountFixed int64 // cents, <= 0, when !DiscountIsPct
	DiscountCents int64 // the discount applied, <= 0
	ShippingCents int64
	SubtotalCents int64
	TaxRateBP     int64
	TaxCents      int64
	TotalCents    int64
	Custom        map[string]json.RawMessage // custbody_* fields
	Created       time.Time
	Modified      time.Time
	Fulfillments  []int64
}

// customer is a stored customer.
type customer struct {
	ID          int64
	EntityID    string
	ExternalID  string
	NaturalKey  string
	Email       string
	FirstName   string
	LastName    string
	CompanyName string
	Phone       string
	IsPerson    bool
	Custom      map[string]json.RawMessage // custentity_* fields
	Created     time.Time
	Modified    time.Time
}

// inventoryItem is one SKU of the item master with its stock per location.
type inventoryItem struct {
	ID         int64
	SKU        string
	Title      string
	PriceCents int64
	OnHand     []int64 // per location
	Committed  []int64 // per location: open orders' unfulfilled quantities
	Created    time.Time
	Modified   time.Time
}

// stock is a location line as NetSuite reports it: commitment never exceeds on-hand, the
// rest of the demand is back-ordered.
type stock struct {
	OnHand, Available, Committed, BackOrdered int64
}

func (it *inventoryItem) stockAt(loc int) stock {
	on, demand := it.OnHand[loc], it.Committed[loc]
	committed := min(demand, max(on, 0))
	return stock{OnHand: on, Available: on - committed, Committed: committed, BackOrdered: demand - committed}
}

// fulfillmentLine is one line of an item fulfillment.
type fulfillmentLine struct {
	OrderLine int
	ItemID    int64
	SKU       string
	Quantity  int64
	Location  int
}

// itemFulfillment is a stored item fulfillment.
type itemFulfillment struct {
	ID          int64
	TranID      string
	OrderID     int64
	OrderTranID string
	OrderEID    string
	NaturalKey  string
	CustomerID  int64
	TranDate    string
	Carrier     string
	ShipMethod  string
	Tracking    string
	Lines       []fulfillmentLine
	Created     time.Time
	Modified    time.Time
}

// First internal ids per record type; NetSuite's ids are per-account integers.
const (
	firstItemID        = 1001
	firstCustomerID    = 2001
	firstOrderID       = 10001
	firstFulfillmentID = 50001
	defaultCustomerID  = 2000
	firstTranNumber    = 12345
)

// store is the fake's whole state. Its mutex guards every field; handlers hold it for the
// duration of one record operation, never across I/O.
type store struct {
	locations    []catalog.Location
	items        *table[inventoryItem]
	orders       *table[salesOrder]
	customers    *table[customer]
	fulfillments *table[itemFulfillment]
	bySKU        map[string]*inventoryItem
	tranNo       int64
	fulfilNo     int64
	seed         uint64
}

// newStore builds the seeded state from a catalog at time now.
func newStore(cat catalog.Catalog, now time.Time) *store {
	st := &store{
		orders:       newTable[salesOrder](firstOrderID),
		customers:    newTable[customer](firstCustomerID),
		fulfillments: newTable[itemFulfillment](firstFulfillmentID),
		tranNo:       firstTranNumber,
		fulfilNo:     firstTranNumber,
		seed:         cat.Seed,
	}
	st.loadCatalog(cat, now, nil)
	// The default web customer, used for orders that name no entity.
	st.customers.byID[defaultCustomerID] = &customer{
		ID: defaultCustomerID, EntityID: "CUS" + itoa(defaultCustomerID), CompanyName: "Web Store Customer",
		Created: now, Modified: now,
	}
	st.customers.ids = append(st.customers.ids, defaultCustomerID)
	return st
}

// loadCatalog replaces the item master. SKUs already known keep their internal id
// (prev maps SKU to id); commitments are recomputed from the open orders.
func (st *store) loadCatalog(cat catalog.Catalog, now time.Time, prev map[string]int64) {
	st.locations = append([]catalog.Location(nil), cat.Locations...)
	st.items = newTable[inventoryItem](firstItemID)
	st.bySKU = make(map[string]*inventoryItem, len(cat.Items))
	next := int64(firstItemID)
	for _, id := range prev {
		if id >= next {
			next = id + 1
		}
	}
	var ids []int64
	for _, ci := range cat.Items {
		id, ok := prev[ci.SKU]
		if !ok {
			id = next
			next++
		}
		it := &inventoryItem{
			ID: id, SKU: ci.SKU, Title: ci.Title, PriceCents: ci.PriceCents,
			OnHand: make([]int64, len(cat.Locations)), Committed: make([]int64, len(cat.Locations)),
			Created: now, Modified: now,
		}
		for i := range it.OnHand {
			if i < len(ci.Stock) {
				it.OnHand[i] = int64(ci.Stock[i])
			}
		}
		st.items.byID[id] = it
		st.items.byEID[ci.SKU] = it
		st.bySKU[ci.SKU] = it
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	st.items.ids, st.items.next = ids, next
	if st.orders == nil {
		return
	}
	st.orders.each(func(o *salesOrder) bool {
		for i := range o.Lines {
			ln := &o.Lines[i]
			if it, ok := st.bySKU[ln.SKU]; ok {
				ln.ItemID = it.ID
				if commits(o.Status) && o.Location < len(it.Committed) {
					it.Committed[o.Location] += ln.Quantity - ln.Fulfilled
				}
			}
		}
		if o.Location >= len(st.locations) {
			o.Location = 0
		}
		return true
	})
}

// catalogSnapshot is the current item master with on-hand stock, in the shape PUT
// /_fake/catalog accepts.
func (st *store) catalogSnapshot() catalog.Catalog {
	c := catalog.Catalog{Seed: st.seed, Locations: append([]catalog.Location{}, st.locations...), Items: []catalog.Item{}}
	st.items.each(func(it *inventoryItem) bool {
		ci := catalog.Item{SKU: it.SKU, Title: it.Title, PriceCents: it.PriceCents, Stock: make([]int, len(it.OnHand))}
		for i, v := range it.OnHand {
			ci.Stock[i] = int(v)
		}
		c.Items = append(c.Items, ci)
		return true
	})
	return c
}

// stockChange names one item location whose quantities changed.
type stockChange struct {
	item *inventoryItem
	loc  int
}

// commitLines adds sign × the unfulfilled quantity of each line to its item's commitment
// at the order's location, stamping the items modified at now.
func (st *store) commitLines(o *salesOrder, sign int64, now time.Time, changed []stockChange) []stockChange {
	for _, ln := range o.Lines {
		it, ok := st.items.byID[ln.ItemID]
		if !ok || o.Location >= len(it.Committed) {
			continue
		}
		open := ln.Quantity - ln.Fulfilled
		if open == 0 {
			continue
		}
		it.Committed[o.Location] += sign * open
		it.Modified = now
		changed = append(changed, stockChange{item: it, loc: o.Location})
	}
	return changed
}

func (st *store) nextTranID() string {
	n := st.tranNo
	st.tranNo++
	return "SO" + itoa(n)
}

func (st *store) nextFulfillmentTranID() string {
	n := st.fulfilNo
	st.fulfilNo++
	return "IF" + itoa(n)
}

// locationIndex resolves a location internal id (1-based) to an index.
func (st *store) locationIndex(id int64) (int, bool) {
	if id < 1 || id > int64(len(st.locations)) {
		return 0, false
	}
	return int(id - 1), true
}
