package netsuite

import (
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/ledger"
)

// Reasons Fulfill refuses.
var (
	ErrNoSuchOrder       = errors.New("no such sales order")
	ErrNotFulfillable    = errors.New("sales order is not Pending Fulfillment")
	ErrInsufficientStock = errors.New("insufficient stock on hand")
)

// carrier is a shipping carrier with its ship method and tracking number format.
type carrier struct {
	name, method string
	tracking     func(r *rand.Rand) string
}

var carriers = []carrier{
	{"UPS", "UPS Ground", func(r *rand.Rand) string {
		// 1Z, a six-character shipper number, a two-digit service code, eight digits.
		return "1Z" + randChars(r, 6, "0123456789ABCDEFGHJKLMNPRSTUVWXYZ") + "03" + randChars(r, 8, digits)
	}},
	{"FedEx", "FedEx Home Delivery", func(r *rand.Rand) string { return randChars(r, 12, digits) }},
	{"USPS", "USPS Priority Mail", func(r *rand.Rand) string { return "9400" + randChars(r, 18, digits) }},
	{"DHL", "DHL Express Worldwide", func(r *rand.Rand) string { return randChars(r, 10, digits) }},
}

const digits = "0123456789"

func randChars(r *rand.Rand, n int, alphabet string) string {
	var b strings.Builder
	b.Grow(n)
	for range n {
		b.WriteByte(alphabet[r.IntN(len(alphabet))])
	}
	return b.String()
}

// Fulfill ships a Pending Fulfillment sales order now: it creates the item fulfillment
// (carrier, ship method and a tracking number drawn from the seed), takes the quantities
// off on-hand stock and the commitment, and moves the order to Pending Billing
// (fulfilled). It refuses an order in another status, or one whose stock on hand does not
// cover every line.
func (s *Server) Fulfill(orderID int64) (FulfillmentCreated, error) {
	s.mu.Lock()
	created, events, err := s.fulfilLocked(orderID)
	s.mu.Unlock()
	if err != nil {
		return FulfillmentCreated{}, err
	}
	s.publish(events)
	return created, nil
}

func (s *Server) fulfilLocked(orderID int64) (FulfillmentCreated, []Event, error) {
	o, ok := s.st.orders.byID[orderID]
	if !ok {
		return FulfillmentCreated{}, nil, fmt.Errorf("%w %d", ErrNoSuchOrder, orderID)
	}
	if o.Status != StatusPendingFulfillment {
		return FulfillmentCreated{}, nil, fmt.Errorf("%w: sales order %d is %s", ErrNotFulfillable, orderID, statusNames[o.Status])
	}
	need := map[int64]int64{}
	for _, ln := range o.Lines {
		need[ln.ItemID] += ln.Quantity - ln.Fulfilled
	}
	for id, q := range need {
		it, ok := s.st.items.byID[id]
		if !ok || o.Location >= len(it.OnHand) {
			return FulfillmentCreated{}, nil, fmt.Errorf("%w: item %d of sales order %d is no longer in the catalog", ErrInsufficientStock, id, orderID)
		}
		if it.OnHand[o.Location] < q {
			return FulfillmentCreated{}, nil, fmt.Errorf("%w: sales order %d needs %d of %s at %s, %d on hand",
				ErrInsufficientStock, orderID, q, it.SKU, s.st.locations[o.Location].Name, it.OnHand[o.Location])
		}
	}
	now := s.clock.Now()
	var c carrier
	var tracking string
	s.fulfiller.rand.With(func(r *rand.Rand) {
		c = carriers[r.IntN(len(carriers))]
		tracking = c.tracking(r)
	})
	f := &itemFulfillment{
		ID: s.st.fulfillments.nextID(), TranID: s.st.nextFulfillmentTranID(), OrderID: o.ID, OrderTranID: o.TranID,
		OrderEID: o.ExternalID, NaturalKey: o.NaturalKey, CustomerID: o.CustomerID, TranDate: now.UTC().Format(time.DateOnly),
		Carrier: c.name, ShipMethod: c.method, Tracking: tracking, Created: now, Modified: now,
	}
	var changed []stockChange
	created := FulfillmentCreated{
		ID: itoa(f.ID), TranID: f.TranID, SalesOrderID: itoa(o.ID), SalesOrderTranID: o.TranID, SalesOrderExternalID: o.ExternalID,
		Carrier: c.name, ShipMethod: c.method, TrackingNumbers: tracking,
	}
	for i := range o.Lines {
		ln := &o.Lines[i]
		open := ln.Quantity - ln.Fulfilled
		if open <= 0 {
			continue
		}
		it := s.st.items.byID[ln.ItemID]
		it.OnHand[o.Location] -= open
		it.Committed[o.Location] -= open
		s.stock.add(StockMove{SKU: it.SKU, Location: o.Location, At: now, Delta: -open, OnHand: it.OnHand[o.Location], Reason: ReasonOrderShipment})
		it.Modified = now
		ln.Fulfilled += open
		changed = append(changed, stockChange{item: it, loc: o.Location})
		f.Lines = append(f.Lines, fulfillmentLine{OrderLine: ln.Line, ItemID: it.ID, SKU: it.SKU, Quantity: open, Location: o.Location})
		created.Lines = append(created.Lines, FulfilledLine{OrderLine: ln.Line, ItemID: itoa(it.ID), SKU: it.SKU, Quantity: open, LocationID: strconv.Itoa(o.Location + 1)})
	}
	o.Status = StatusPendingBilling
	o.Modified = now
	o.Fulfillments = append(o.Fulfillments, f.ID)
	s.st.fulfillments.insert(f.ID, "", f)

	detail, _ := json.Marshal(struct {
		SalesOrderID string `json:"sales_order_id"`
		Lines        int    `json:"lines"`
		Carrier      string `json:"carrier"`
		Tracking     string `json:"tracking_numbers"`
	}{itoa(o.ID), len(f.Lines), c.name, tracking})
	s.ledger.Append(ledger.Effect{Action: ledger.Created, Record: RecordItemFulfillment, ID: itoa(f.ID), NaturalKey: o.NaturalKey, Detail: detail})
	s.ledger.Append(ledger.Effect{Action: "fulfilled", Record: RecordSalesOrder, ID: itoa(o.ID), ExternalID: o.ExternalID, NaturalKey: o.NaturalKey, Detail: o.detail()})

	var events []Event
	if s.push != nil {
		events = append(events, newEvent(EventFulfillmentCreated, now, created))
		events = append(events, s.stockEvents(changed, "fulfillment", now)...)
	}
	return created, events, nil
}

// fulfillmentLineView is one line of an item fulfillment's item sublist.
type fulfillmentLineView struct {
	OrderLine   int     `json:"orderLine"`
	Item        refView `json:"item"`
	ItemReceive bool    `json:"itemReceive"`
	Quantity    int64   `json:"quantity"`
	Location    refView `json:"location"`
}

// itemFulfillmentView is an item fulfillment in NetSuite's REST shape.
type itemFulfillmentView struct {
	Links            []link  `json:"links"`
	ID               string  `json:"id"`
	TranID           string  `json:"tranId"`
	CreatedFrom      refView `json:"createdFrom"`
	Entity           refView `json:"entity"`
	TranDate         string  `json:"tranDate"`
	ShipStatus       refView `json:"shipStatus"`
	ShipMethod       refView `json:"shipMethod"`
	ShipCarrier      string  `json:"shipCarrier"`
	TrackingNumbers  string  `json:"trackingNumbers"`
	CreatedDate      string  `json:"createdDate"`
	LastModifiedDate string  `json:"lastModifiedDate"`
	// Item is a sublistView[fulfillmentLineView], or only its link.
	Item any `json:"item"`
}

// fulfillmentLineViews renders an item fulfillment's item sublist lines.
func fulfillmentLineViews(base string, f *itemFulfillment, names refNames) []fulfillmentLineView {
	lines := make([]fulfillmentLineView, len(f.Lines))
	for i, ln := range f.Lines {
		lines[i] = fulfillmentLineView{OrderLine: ln.OrderLine, Item: itemRef(base, ln.ItemID, ln.SKU), ItemReceive: true, Quantity: ln.Quantity, Location: names.locationRef(ln.Location)}
	}
	return lines
}

// renderItemFulfillment renders f, which never changes once stored; it needs no lock.
// Without expand the item sublist is only its link.
func renderItemFulfillment(base string, f *itemFulfillment, names refNames, expand bool) itemFulfillmentView {
	self := base + recordPrefix + RecordItemFulfillment + "/" + itoa(f.ID)
	return itemFulfillmentView{
		Links: selfLinks(self), ID: itoa(f.ID), TranID: f.TranID,
		CreatedFrom: refView{Links: selfLinks(base + recordPrefix + RecordSalesOrder + "/" + itoa(f.OrderID)), ID: itoa(f.OrderID), RefName: "Sales Order #" + f.OrderTranID},
		Entity:      names.customerRef(base, f.CustomerID), TranDate: f.TranDate,
		ShipStatus: refView{ID: "C", RefName: "Shipped"},
		ShipMethod: refView{ID: f.ShipMethod, RefName: f.ShipMethod}, ShipCarrier: f.Carrier, TrackingNumbers: f.Tracking,
		CreatedDate: formatTime(f.Created), LastModifiedDate: formatTime(f.Modified),
		Item: sublistOrLink(expand, self+"/item", func() []fulfillmentLineView { return fulfillmentLineViews(base, f, names) }),
	}
}

// getItemFulfillment is GET /itemFulfillment/{id}. Fulfillments have no external id, so
// eid: never matches.
func (s *Server) getItemFulfillment(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	s.mu.Lock()
	f, ok := s.st.fulfillments.byID[rid.id]
	if !ok || rid.isExternal() {
		s.mu.Unlock()
		return notFound()
	}
	names := s.st.refNames(f.CustomerID)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, renderItemFulfillment(fakehttp.BaseURL(r), f, names, expandSubResources(r)))
	return nil
}

// itemFulfillmentSublist is GET /itemFulfillment/{id}/item.
func (s *Server) itemFulfillmentSublist(w http.ResponseWriter, r *http.Request, rid recordID, name string) *apiError {
	if name != "item" {
		return unknownPath(r.URL.Path)
	}
	s.mu.Lock()
	f, ok := s.st.fulfillments.byID[rid.id]
	if !ok || rid.isExternal() {
		s.mu.Unlock()
		return notFound()
	}
	names := s.st.refNames(f.CustomerID)
	s.mu.Unlock()
	base := fakehttp.BaseURL(r)
	writeJSON(w, http.StatusOK, newSublist(base+recordPrefix+RecordItemFulfillment+"/"+itoa(f.ID)+"/item", fulfillmentLineViews(base, f, names)))
	return nil
}
