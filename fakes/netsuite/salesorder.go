package netsuite

import (
	"encoding/json"
	"maps"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/fakehttp"
)

// maxLines bounds a sales order's item sublist.
const maxLines = 1000

// prepareOrder returns the order in makes of o (a new order when o is nil), with every
// field that needs no other record; resolveOrder completes it. It changes neither o nor
// the store and may run without the store lock for a new order (o is read, so an update
// needs the lock). The caller checks externalId uniqueness.
func (s *Server) prepareOrder(o *salesOrder, in *orderInput, now time.Time) (*salesOrder, *apiError) {
	st := s.settings.Load()
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
		if e := n.mergeLines(in, st.keyedLines); e != nil {
			return nil, e
		}
	} else if creating {
		return nil, invalidContent("item", "You must enter at least one line item for this transaction.")
	}
	if creating && in.Entity == nil && !st.defaultCustomer {
		// The customer is a mandatory field of a sales order.
		return nil, &apiError{status: http.StatusBadRequest, detail: ErrorDetail{
			Detail: "Please enter value(s) for: Customer.", Code: CodeUserError, Path: "entity",
		}}
	}
	if in.HasDiscount {
		n.DiscountRate = in.DiscountRate
		n.DiscountIsPct, n.DiscountPct, n.DiscountFixed = in.DiscountIsPct, in.DiscountPct, in.DiscountCents
	}
	if in.ShippingCents != nil {
		n.ShippingCents = *in.ShippingCents
	}
	n.Custom = mergeCustom(n.Custom, in.Custom)
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
	for _, p := range n.pending {
		li, ln := p.in, &n.Lines[p.idx]
		if li.HasItem {
			it, ok := st.lookupItem(&li.Item)
			if !ok {
				return invalidFieldValue(li.Item.Path, li.Item.value(), "item")
			}
			if !li.HasRate && it.ID != ln.ItemID {
				ln.RateCents = it.PriceCents
			}
			if ln.Description == "" || (!li.HasDescription && it.ID != ln.ItemID) {
				ln.Description = it.Title
			}
			ln.ItemID, ln.SKU = it.ID, it.SKU
		}
		if ln.RateCents > 0 && ln.Quantity > maxAmountCents/ln.RateCents {
			return invalidFieldValue(li.Path+".rate", catalog.Money(ln.RateCents), "rate")
		}
	}
	n.pending = nil
	for i := range n.Lines {
		n.Lines[i].AmountCents = n.Lines[i].RateCents * n.Lines[i].Quantity
	}
	n.computeTotals()
	return nil
}

// pendingLine is a line whose item (and default rate) resolveOrder must look up: line
// idx of the prepared order takes them from in.
type pendingLine struct {
	idx int
	in  *lineInput
}

// mergeLines applies the sent item sublist to n, as NetSuite updates sublists
// (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545295601.html):
// with keyed lines, a sent line whose "line" exists updates that line (fields it omits
// keep their values); every other sent line is added. Without ?replace=item the lines
// not sent stay, so re-sending an order's lines appends a second copy of them; with it
// (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/section_1545297048.html)
// they are removed. On a new order both are the same. New lines get the next line
// numbers; numbers are never reused.
func (n *salesOrder) mergeLines(in *orderInput, keyed bool) *apiError {
	existing := n.Lines
	byLine := make(map[int]int, len(existing))
	for i, ln := range existing {
		byLine[ln.Line] = i
	}
	var lines []orderLine
	if !in.ReplaceItem {
		lines = append(lines, existing...)
	}
	placed := map[int]int{} // line number → index in lines, for keyed lines kept or sent
	if !in.ReplaceItem {
		for i, ln := range lines {
			placed[ln.Line] = i
		}
	}
	var pending []pendingLine
	for i := range in.Lines {
		li := &in.Lines[i]
		if at, ok := byLine[li.Key]; keyed && li.Key != 0 && ok {
			ln := existing[at]
			if li.HasQty {
				ln.Quantity = li.Quantity
			}
			if li.HasRate {
				ln.RateCents = li.RateCents
			}
			if li.HasDescription {
				ln.Description = li.Description
			}
			if len(li.Custom) > 0 {
				custom := make(map[string]json.RawMessage, len(ln.Custom)+len(li.Custom))
				maps.Copy(custom, ln.Custom)
				maps.Copy(custom, li.Custom)
				ln.Custom = custom
			}
			idx, seen := placed[ln.Line]
			if !seen {
				idx = len(lines)
				lines = append(lines, ln)
				placed[ln.Line] = idx
			} else {
				lines[idx] = ln
			}
			pending = append(pending, pendingLine{idx: idx, in: li})
			continue
		}
		if e := li.requireNew(); e != nil {
			return e
		}
		n.LastLine++
		lines = append(lines, orderLine{Line: n.LastLine, Description: li.Description, Quantity: li.Quantity, RateCents: li.RateCents, Custom: li.Custom})
		pending = append(pending, pendingLine{idx: len(lines) - 1, in: li})
	}
	if len(lines) == 0 {
		return invalidContent("item.items", "You must enter at least one line item for this transaction.")
	}
	if len(lines) > maxLines {
		return invalidContent("item.items", "A transaction may have at most "+strconv.Itoa(maxLines)+" lines.")
	}
	n.Lines, n.pending = lines, pending
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

// mergeCustom lays the custom fields a body sent over a record's: a field sent as null is
// removed, others replace or join. The record's map is copied, never changed.
func mergeCustom(old, sent map[string]json.RawMessage) map[string]json.RawMessage {
	if len(sent) == 0 {
		return old
	}
	custom := make(map[string]json.RawMessage, len(old)+len(sent))
	maps.Copy(custom, old)
	for k, v := range sent {
		if strings.TrimSpace(string(v)) == "null" {
			delete(custom, k)
			continue
		}
		custom[k] = v
	}
	return custom
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
	b, err := fakehttp.Marshal(plain(v))
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
	Links            []link          `json:"links"`
	ID               string          `json:"id"`
	TranID           string          `json:"tranId"`
	ExternalID       string          `json:"externalId,omitempty"`
	Entity           refView         `json:"entity"`
	TranDate         string          `json:"tranDate"`
	OtherRefNum      string          `json:"otherRefNum,omitempty"`
	Memo             string          `json:"memo,omitempty"`
	OrderStatus      refView         `json:"orderStatus"`
	Location         refView         `json:"location"`
	ShippingAddress  *addressView    `json:"shippingAddress,omitempty"`
	Subtotal         amount          `json:"subtotal"`
	DiscountRate     json.RawMessage `json:"discountRate,omitempty"`
	DiscountTotal    amount          `json:"discountTotal"`
	TaxRate          amount          `json:"taxRate"`
	TaxTotal         amount          `json:"taxTotal"`
	ShippingCost     amount          `json:"shippingCost"`
	Total            amount          `json:"total"`
	CreatedDate      string          `json:"createdDate"`
	LastModifiedDate string          `json:"lastModifiedDate"`
	// Item is a sublistView[orderLineView], or only its link (sublistLink).
	Item any `json:"item"`
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

// salesOrderBody renders a sales order snapshot; it needs no lock. Without expand the
// item sublist is only its link, as NetSuite answers a GET without
// expandSubResources=true.
func salesOrderBody(base string, o *salesOrder, names refNames, expand bool) ([]byte, *apiError) {
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
	v.Item = sublistOrLink(expand, self+"/item", func() []orderLineView { return orderLineViews(base, o) })
	return marshalRecord(v, o.Custom)
}

// orderLineViews renders the item sublist's lines.
func orderLineViews(base string, o *salesOrder) []orderLineView {
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
	return lines
}
