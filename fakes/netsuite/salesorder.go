package netsuite

import (
	"encoding/json"
	"maps"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
)

// maxLines bounds a sales order's item sublist.
const maxLines = 1000

// prepareOrder returns the order in makes of o (a new order when o is nil), with every
// field that needs no other record; resolveOrder completes it. It changes neither o nor
// the store and may run without the store lock for a new order (o is read, so an update
// needs the lock). The caller checks externalId uniqueness.
func (s *Server) prepareOrder(o *salesOrder, in *orderInput, now time.Time) (*salesOrder, *apiError) {
	creating := o == nil
	n := &salesOrder{}
	if !creating {
		*n = *o
	}
	if in.ExternalID != nil {
		n.ExternalID = *in.ExternalID
	}
	if in.TranDate != nil && *in.TranDate != "" {
		n.TranDate = *in.TranDate
	}
	if n.TranDate == "" {
		n.TranDate = now.UTC().Format(time.DateOnly)
	}
	if in.OtherRefNum != nil {
		n.OtherRefNum = *in.OtherRefNum
	}
	if in.Memo != nil {
		n.Memo = *in.Memo
	}
	if creating {
		n.Status = StatusPendingFulfillment
		n.CustomerID = defaultCustomerID
	}
	if in.OrderStatus != nil && *in.OrderStatus != n.Status {
		if e := checkTransition(n, *in.OrderStatus); e != nil {
			return nil, e
		}
		n.Status = *in.OrderStatus
	}
	if in.Ship != nil {
		n.Ship = *in.Ship
	}
	if in.HasLines {
		if !creating && (len(o.Fulfillments) > 0 || !(o.Status == StatusPendingApproval || o.Status == StatusPendingFulfillment)) {
			return nil, invalidContent("item", "The item sublist of a sales order that is "+statusNames[o.Status]+" cannot be changed.")
		}
		if len(in.Lines) == 0 {
			return nil, invalidContent("item.items", "You must enter at least one line item for this transaction.")
		}
		if len(in.Lines) > maxLines {
			return nil, invalidContent("item.items", "A transaction may have at most "+strconv.Itoa(maxLines)+" lines.")
		}
		lines := make([]orderLine, len(in.Lines))
		for i, li := range in.Lines {
			lines[i] = orderLine{Line: i + 1, Description: li.Description, Quantity: li.Quantity, RateCents: li.RateCents, Custom: li.Custom}
		}
		n.Lines = lines
	} else if creating {
		return nil, invalidContent("item", "You must enter at least one line item for this transaction.")
	}
	if in.HasDiscount {
		n.DiscountRate = in.DiscountRate
		n.DiscountIsPct, n.DiscountPct, n.DiscountFixed = in.DiscountIsPct, in.DiscountPct, in.DiscountCents
	}
	if in.ShippingCents != nil {
		n.ShippingCents = *in.ShippingCents
	}
	if len(in.Custom) > 0 {
		custom := make(map[string]json.RawMessage, len(n.Custom)+len(in.Custom))
		maps.Copy(custom, n.Custom)
		for k, v := range in.Custom {
			if strings.TrimSpace(string(v)) == "null" {
				delete(custom, k)
				continue
			}
			custom[k] = v
		}
		n.Custom = custom
	}
	if n.NaturalKey == "" {
		n.NaturalKey = n.ExternalID
		if n.NaturalKey == "" {
			n.NaturalKey = fieldKey(n.Custom[s.opts.NaturalKeyField])
		}
	}
	if creating {
		n.Created = now
	}
	n.Modified = now
	return n, nil
}

// resolveOrder resolves the customer, location and item references of in against st
// into n and computes the totals; call with the store locked. Its work is map lookups
// and arithmetic, so the lock is held briefly.
func resolveOrder(st *store, n *salesOrder, in *orderInput) *apiError {
	if in.Entity != nil {
		c, ok := st.lookupCustomer(in.Entity)
		if !ok {
			return invalidFieldValue(in.Entity.Path, in.Entity.value(), "entity")
		}
		n.CustomerID = c.ID
	}
	if in.Location != nil {
		id, err := strconv.ParseInt(in.Location.ID, 10, 64)
		loc, ok := st.locationIndex(id)
		if err != nil || !ok {
			return invalidFieldValue(in.Location.Path, in.Location.value(), "location")
		}
		n.Location = loc
	}
	if in.HasLines {
		for i := range in.Lines {
			li, ln := &in.Lines[i], &n.Lines[i]
			it, ok := st.lookupItem(&li.Item)
			if !ok {
				return invalidFieldValue(li.Item.Path, li.Item.value(), "item")
			}
			if !li.HasRate {
				ln.RateCents = it.PriceCents
			}
			if ln.RateCents > 0 && ln.Quantity > maxAmountCents/ln.RateCents {
				return invalidFieldValue(li.Path+".rate", catalog.Money(ln.RateCents), "rate")
			}
			if ln.Description == "" {
				ln.Description = it.Title
			}
			ln.ItemID, ln.SKU, ln.AmountCents = it.ID, it.SKU, ln.RateCents*ln.Quantity
		}
	}
	n.computeTotals()
	return nil
}

// computeTotals sets subtotal, discount, tax and total. Tax is the shared tax table's rate
// for the shipping address applied to the discounted subtotal, rounded once, half up;
// shipping is not taxed.
func (o *salesOrder) computeTotals() {
	var sub int64
	for _, ln := range o.Lines {
		sub += ln.AmountCents
	}
	disc := o.DiscountFixed
	if o.DiscountIsPct {
		disc = -((sub*(-o.DiscountPct) + 5000) / 10000)
	}
	if disc < -sub {
		disc = -sub
	}
	o.SubtotalCents, o.DiscountCents = sub, disc
	o.TaxRateBP = 0
	if o.Ship.present {
		o.TaxRateBP = catalog.TaxRate(o.Ship.Country, o.Ship.State)
	}
	o.TaxCents = catalog.Tax(sub+disc, o.TaxRateBP)
	o.TotalCents = sub + disc + o.TaxCents + o.ShippingCents
}

// checkTransition says whether a client may move o to status to: approval, cancellation
// and closing, but no cancelling of fulfilled orders and no reopening.
func checkTransition(o *salesOrder, to string) *apiError {
	from := o.Status
	switch {
	case from == StatusCancelled || from == StatusClosed:
		return invalidContent("orderStatus", "A sales order that is "+statusNames[from]+" cannot change status.")
	case to == StatusClosed:
		return nil
	case len(o.Fulfillments) > 0 || !(from == StatusPendingApproval || from == StatusPendingFulfillment):
		return invalidContent("orderStatus", "A sales order that is "+statusNames[from]+" cannot be set to "+statusNames[to]+".")
	}
	return nil
}

// fieldKey turns a custom field value into a natural key: a string as is, a number as
// written; anything else gives no key.
func fieldKey(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return s
	}
	var n json.Number
	if json.Unmarshal(raw, &n) == nil {
		return n.String()
	}
	return ""
}

func (st *store) lookupCustomer(r *recordRef) (*customer, bool) {
	if r.ID != "" {
		id, err := strconv.ParseInt(r.ID, 10, 64)
		if err != nil {
			return nil, false
		}
		c, ok := st.customers.byID[id]
		return c, ok
	}
	c, ok := st.customers.byEID[r.ExternalID]
	return c, ok
}

func (st *store) lookupItem(r *recordRef) (*inventoryItem, bool) {
	if r.ID != "" {
		id, err := strconv.ParseInt(r.ID, 10, 64)
		if err != nil {
			return nil, false
		}
		it, ok := st.items.byID[id]
		return it, ok
	}
	it, ok := st.items.byEID[r.ExternalID]
	return it, ok
}

// detail is the small summary a sales order effect carries in the ledger:
// {"lines":N,"total":"123.45","status":"B","custbody_shopify_updated_at":...}. It is
// built by hand because it is made under the store lock on every write.
func (o *salesOrder) detail() json.RawMessage {
	b := make([]byte, 0, 112)
	b = append(b, `{"lines":`...)
	b = strconv.AppendInt(b, int64(len(o.Lines)), 10)
	b = append(b, `,"total":"`...)
	b = append(b, catalog.Money(o.TotalCents)...)
	b = append(b, `","status":"`...)
	b = append(b, o.Status...)
	b = append(b, '"')
	if v := o.Custom["custbody_shopify_updated_at"]; len(v) > 0 {
		b = append(b, `,"custbody_shopify_updated_at":`...)
		b = append(b, v...)
	}
	return append(b, '}')
}

// orderLineView renders one item sublist line.
type orderLineView struct {
	Line              int     `json:"line"`
	Item              refView `json:"item"`
	Description       string  `json:"description,omitempty"`
	Quantity          int64   `json:"quantity"`
	Rate              amount  `json:"rate"`
	Amount            amount  `json:"amount"`
	QuantityCommitted int64   `json:"quantityCommitted"`
	QuantityFulfilled int64   `json:"quantityFulfilled"`
	custom            map[string]json.RawMessage
}

func (v orderLineView) MarshalJSON() ([]byte, error) {
	type plain orderLineView
	b, err := marshal(plain(v))
	if err != nil {
		return nil, err
	}
	return withCustom(b, v.custom), nil
}

type addressView struct {
	Addr1   string   `json:"addr1,omitempty"`
	Addr2   string   `json:"addr2,omitempty"`
	City    string   `json:"city,omitempty"`
	State   string   `json:"state,omitempty"`
	Zip     string   `json:"zip,omitempty"`
	Country *refView `json:"country,omitempty"`
}

// salesOrderView is a sales order in NetSuite's REST shape.
type salesOrderView struct {
	Links            []link                     `json:"links"`
	ID               string                     `json:"id"`
	TranID           string                     `json:"tranId"`
	ExternalID       string                     `json:"externalId,omitempty"`
	Entity           refView                    `json:"entity"`
	TranDate         string                     `json:"tranDate"`
	OtherRefNum      string                     `json:"otherRefNum,omitempty"`
	Memo             string                     `json:"memo,omitempty"`
	OrderStatus      refView                    `json:"orderStatus"`
	Location         refView                    `json:"location"`
	ShippingAddress  *addressView               `json:"shippingAddress,omitempty"`
	Subtotal         amount                     `json:"subtotal"`
	DiscountRate     json.RawMessage            `json:"discountRate,omitempty"`
	DiscountTotal    amount                     `json:"discountTotal"`
	TaxRate          amount                     `json:"taxRate"`
	TaxTotal         amount                     `json:"taxTotal"`
	ShippingCost     amount                     `json:"shippingCost"`
	Total            amount                     `json:"total"`
	CreatedDate      string                     `json:"createdDate"`
	LastModifiedDate string                     `json:"lastModifiedDate"`
	Item             sublistView[orderLineView] `json:"item"`
}

// refNames are the names a rendered record shows for what it references, copied under
// the store lock so that rendering can happen without it.
type refNames struct {
	locations []catalog.Location // never mutated: a new catalog replaces the slice
	customer  string             // display name of the record's customer
}

func (st *store) refNames(customerID int64) refNames {
	n := refNames{locations: st.locations}
	if c, ok := st.customers.byID[customerID]; ok {
		n.customer = c.displayName()
	}
	return n
}

func (n refNames) customerRef(base string, id int64) refView {
	return refView{Links: selfLinks(base + recordPrefix + RecordCustomer + "/" + itoa(id)), ID: itoa(id), RefName: n.customer}
}

func (n refNames) locationRef(loc int) refView {
	r := refView{ID: strconv.Itoa(loc + 1)}
	if loc < len(n.locations) {
		r.RefName = n.locations[loc].Name
	}
	return r
}

func itemRef(base string, id int64, sku string) refView {
	return refView{Links: selfLinks(base + recordPrefix + RecordInventoryItem + "/" + itoa(id)), ID: itoa(id), RefName: sku}
}

// snapshotOrder copies o and the names it references; call with the store locked. The
// copy's lines are its own (fulfilment changes the stored ones); custom maps are never
// changed in place, so they are shared.
func (st *store) snapshotOrder(o *salesOrder) (salesOrder, refNames) {
	c := *o
	c.Lines = append([]orderLine(nil), o.Lines...)
	return c, st.refNames(o.CustomerID)
}

// salesOrderBody renders a sales order snapshot; it needs no lock.
func salesOrderBody(base string, o *salesOrder, names refNames) ([]byte, *apiError) {
	self := base + recordPrefix + RecordSalesOrder + "/" + itoa(o.ID)
	v := salesOrderView{
		Links: selfLinks(self), ID: itoa(o.ID), TranID: o.TranID, ExternalID: o.ExternalID,
		Entity:   names.customerRef(base, o.CustomerID),
		TranDate: o.TranDate, OtherRefNum: o.OtherRefNum, Memo: o.Memo,
		OrderStatus: refView{ID: o.Status, RefName: statusNames[o.Status]},
		Location:    names.locationRef(o.Location),
		Subtotal:    amount(o.SubtotalCents), DiscountRate: o.DiscountRate, DiscountTotal: amount(o.DiscountCents),
		TaxRate: amount(o.TaxRateBP), TaxTotal: amount(o.TaxCents), ShippingCost: amount(o.ShippingCents), Total: amount(o.TotalCents),
		CreatedDate: formatTime(o.Created), LastModifiedDate: formatTime(o.Modified),
	}
	if o.Ship.present {
		v.ShippingAddress = &addressView{Addr1: o.Ship.Addr1, Addr2: o.Ship.Addr2, City: o.Ship.City, State: o.Ship.State, Zip: o.Ship.Zip, Country: countryRef(o.Ship.Country)}
	}
	lines := make([]orderLineView, len(o.Lines))
	committing := commits(o.Status)
	for i, ln := range o.Lines {
		lv := orderLineView{
			Line: ln.Line, Item: itemRef(base, ln.ItemID, ln.SKU), Description: ln.Description,
			Quantity: ln.Quantity, Rate: amount(ln.RateCents), Amount: amount(ln.AmountCents),
			QuantityFulfilled: ln.Fulfilled, custom: ln.Custom,
		}
		if committing {
			lv.QuantityCommitted = ln.Quantity - ln.Fulfilled
		}
		lines[i] = lv
	}
	v.Item = newSublist(self+"/item", lines)
	return marshalRecord(v, o.Custom)
}
