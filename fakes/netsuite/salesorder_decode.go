package netsuite

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"
)

// recordRef is a reference to another record as a body gives it: {"id": ...} or
// {"externalId": ...}.
type recordRef struct {
	ID         string
	ExternalID string
	Path       string // JSON path of the reference, for errors
}

func (r recordRef) value() string {
	if r.ID != "" {
		return r.ID
	}
	return r.ExternalID
}

// lineInput is one line of a sales order body's item sublist. A line that names an
// existing "line" is keyed: it updates that line, and the fields it omits keep their
// values; any other line is new and needs item and quantity.
type lineInput struct {
	Key            int // the "line" sent; 0: none
	Item           recordRef
	HasItem        bool
	Quantity       int64
	HasQty         bool
	RateCents      int64
	HasRate        bool
	Description    string
	HasDescription bool
	Custom         map[string]json.RawMessage
	Path           string
}

// orderInput is a decoded sales order body. Pointer fields are nil when the body did not
// send them, so an update changes only what was sent.
type orderInput struct {
	ExternalID  *string
	Entity      *recordRef
	TranDate    *string
	OtherRefNum *string
	Memo        *string
	OrderStatus *string
	Ship        *address
	Location    *recordRef
	Lines       []lineInput
	HasLines    bool
	// ReplaceItem is ?replace=item: the sent lines replace the sublist instead of being
	// merged into it. It comes from the URL, not the body.
	ReplaceItem   bool
	DiscountRate  json.RawMessage
	DiscountPct   int64 // hundredths of a percent, <= 0; used when DiscountIsPct
	DiscountCents int64 // <= 0
	DiscountIsPct bool
	HasDiscount   bool
	ShippingCents *int64
	Custom        map[string]json.RawMessage
}

// readOnlyOrderFields are computed or assigned by NetSuite.
var readOnlyOrderFields = map[string]bool{
	"id": true, "tranId": true, "subtotal": true, "total": true, "discountTotal": true,
	"createdDate": true, "lastModifiedDate": true, "links": true, "status": true,
}

// decodeSalesOrder reads a sales order body. With acceptTax, tax fields are read and
// ignored; otherwise they are refused as read-only. It checks types and shapes only;
// references (items, customer, location) are resolved against the store later.
func decodeSalesOrder(body []byte, acceptTax bool) (*orderInput, *apiError) {
	d := newBodyDecoder(body)
	in := &orderInput{}
	present, e := d.object("", "a JSON object", func(key, path string) *apiError {
		switch key {
		case "externalId":
			v, e := d.idValue(path)
			if e != nil {
				return e
			}
			if !validExternalID(v) {
				return invalidExternalID(path, v)
			}
			in.ExternalID = &v
		case "entity":
			ref, e := d.ref(path)
			if e != nil {
				return e
			}
			in.Entity = ref
		case "location":
			ref, e := d.ref(path)
			if e != nil {
				return e
			}
			in.Location = ref
		case "tranDate":
			v, e := d.str(path)
			if e != nil {
				return e
			}
			if v != "" {
				if _, err := time.Parse(time.DateOnly, v); err != nil {
					return invalidContent(path, detailInvalidBody+" Field 'tranDate' must be a date like 2026-11-27.")
				}
			}
			in.TranDate = &v
		case "otherRefNum":
			v, e := d.str(path)
			if e != nil {
				return e
			}
			in.OtherRefNum = &v
		case "memo":
			v, e := d.str(path)
			if e != nil {
				return e
			}
			in.Memo = &v
		case "orderStatus":
			ref, e := d.ref(path)
			if e != nil {
				return e
			}
			if ref == nil {
				return nil
			}
			id := strings.ToUpper(ref.value())
			if !settableStatuses[id] {
				return invalidFieldValue(path, ref.value(), "orderStatus")
			}
			in.OrderStatus = &id
		case "shippingAddress":
			a, e := d.address(path)
			if e != nil {
				return e
			}
			in.Ship = a
		case "item":
			e := d.itemSublist(path, acceptTax, in)
			if e != nil {
				return e
			}
		case "discountRate":
			return d.discount(path, in)
		case "shippingCost":
			n, e := d.number(path)
			if e != nil {
				return e
			}
			c, ok := amountCents(n)
			if !ok || c < 0 {
				return invalidFieldValue(path, n.String(), "shippingCost")
			}
			in.ShippingCents = &c
		default:
			switch {
			case strings.HasPrefix(key, "custbody"):
				return d.customField(path, key, &in.Custom)
			case isTaxField(key):
				return d.taxField(path, acceptTax)
			case readOnlyOrderFields[key]:
				return readOnlyField(path)
			default:
				return unknownField(path)
			}
		}
		return nil
	})
	if e != nil {
		return nil, e
	}
	if !present {
		return nil, invalidContent("", detailInvalidBody+" The request body must be a JSON object.")
	}
	if e := d.end(); e != nil {
		return nil, e
	}
	return in, nil
}

// ref reads {"id": ...} or {"externalId": ...}; "refName" and "links" are accepted and
// ignored so a record read with GET can be sent back. A null reads as nil.
func (d *bodyDecoder) ref(path string) (*recordRef, *apiError) {
	r := recordRef{Path: path}
	present, e := d.object(path, `an object like {"id": "123"} or {"externalId": "X"}`, func(key, p string) *apiError {
		var e *apiError
		switch key {
		case "id":
			r.ID, e = d.idValue(p)
		case "externalId":
			r.ExternalID, e = d.idValue(p)
		case "refName", "links":
			e = d.skip(p)
		default:
			e = unknownField(p)
		}
		return e
	})
	if e != nil || !present {
		return nil, e
	}
	if r.ID == "" && r.ExternalID == "" {
		return nil, invalidContent(path, detailInvalidBody+" "+describe(path)+" needs an id or an externalId.")
	}
	return &r, nil
}

// address reads the shippingAddress subrecord.
func (d *bodyDecoder) address(path string) (*address, *apiError) {
	a := address{present: true}
	present, e := d.object(path, "an address object", func(key, p string) *apiError {
		var e *apiError
		switch key {
		case "addr1":
			a.Addr1, e = d.str(p)
		case "addr2":
			a.Addr2, e = d.str(p)
		case "addr3", "addressee", "attention", "addrPhone", "addrText", "override", "links":
			e = d.skip(p)
		case "city":
			a.City, e = d.str(p)
		case "state":
			a.State, e = d.str(p)
		case "zip":
			a.Zip, e = d.str(p)
		case "country":
			a.Country, e = d.countryValue(p)
		default:
			e = unknownField(p)
		}
		return e
	})
	if e != nil || !present {
		return nil, e
	}
	return &a, nil
}

// countryValue reads a country as a code ("US") or a reference ({"id": "US"}).
func (d *bodyDecoder) countryValue(path string) (string, *apiError) {
	raw, e := d.raw(path)
	if e != nil {
		return "", e
	}
	var code string
	switch t := strings.TrimSpace(string(raw)); {
	case t == "null":
	case strings.HasPrefix(t, "{"):
		var ref struct {
			ID         string `json:"id"`
			ExternalID string `json:"externalId"`
			RefName    string `json:"refName"`
		}
		if json.Unmarshal(raw, &ref) != nil {
			return "", invalidContent(path, detailInvalidBody+` Field '`+path+`' must be a country code like "US" or {"id": "US"}.`)
		}
		code = ref.ID
	default:
		if json.Unmarshal(raw, &code) != nil {
			return "", invalidContent(path, detailInvalidBody+` Field '`+path+`' must be a country code like "US" or {"id": "US"}.`)
		}
	}
	if code == "" {
		return "", nil
	}
	up := strings.ToUpper(code)
	if len(up) != 2 || up[0] < 'A' || up[0] > 'Z' || up[1] < 'A' || up[1] > 'Z' {
		return "", invalidFieldValue(path, code, "country")
	}
	return up, nil
}

// itemSublist reads "item": {"items": [...]}.
func (d *bodyDecoder) itemSublist(path string, acceptTax bool, in *orderInput) *apiError {
	present, e := d.object(path, `an object like {"items": [...]}`, func(key, p string) *apiError {
		switch key {
		case "items":
			in.HasLines = true
			in.Lines = in.Lines[:0]
			return d.array(p, func(i int, lp string) *apiError {
				ln, e := d.line(lp, acceptTax)
				if e != nil {
					return e
				}
				in.Lines = append(in.Lines, ln)
				return nil
			})
		case "links", "totalResults", "count", "hasMore", "offset":
			return d.skip(p)
		}
		return unknownField(p)
	})
	if e != nil {
		return e
	}
	if !present || !in.HasLines {
		return invalidContent(path, detailInvalidBody+` Field 'item' must be an object like {"items": [...]}.`)
	}
	return nil
}

// line reads one item sublist line.
func (d *bodyDecoder) line(path string, acceptTax bool) (lineInput, *apiError) {
	ln := lineInput{Path: path}
	present, e := d.object(path, "an object", func(key, p string) *apiError {
		switch key {
		case "item":
			ref, e := d.ref(p)
			if e != nil {
				return e
			}
			if ref != nil {
				ln.Item, ln.HasItem = *ref, true
			}
		case "quantity":
			n, e := d.number(p)
			if e != nil {
				return e
			}
			q, ok := intValue(n)
			if !ok || q <= 0 || q > 1_000_000 {
				return invalidContent(p, "Invalid Field Value "+n.String()+" for the following field: quantity. The quantity must be a whole number above 0.")
			}
			ln.Quantity, ln.HasQty = q, true
		case "rate":
			n, e := d.number(p)
			if e != nil {
				return e
			}
			c, ok := amountCents(n)
			if !ok || c < 0 {
				return invalidFieldValue(p, n.String(), "rate")
			}
			ln.RateCents, ln.HasRate = c, true
		case "description":
			v, e := d.str(p)
			if e != nil {
				return e
			}
			ln.Description, ln.HasDescription = v, true
		case "line":
			n, e := d.number(p)
			if e != nil {
				return e
			}
			k, ok := intValue(n)
			if !ok || k <= 0 || k > 1<<30 {
				return invalidFieldValue(p, n.String(), "line")
			}
			ln.Key = int(k)
		case "links", "amount", "quantityFulfilled", "quantityCommitted":
			return d.skip(p) // read-only values a client may echo back from GET
		default:
			switch {
			case strings.HasPrefix(key, "custcol"):
				return d.customField(p, key, &ln.Custom)
			case isTaxField(key):
				return d.taxField(p, acceptTax)
			default:
				return unknownField(p)
			}
		}
		return nil
	})
	if e != nil {
		return ln, e
	}
	if !present {
		return ln, invalidContent(path, detailInvalidBody+" "+describe(path)+" must be an object.")
	}
	if ln.Key == 0 {
		if e := ln.requireNew(); e != nil {
			return ln, e
		}
	}
	return ln, nil
}

// requireNew checks what a new line needs: an item and a quantity.
func (ln *lineInput) requireNew() *apiError {
	if !ln.HasItem {
		return invalidContent(joinPath(ln.Path, "item"), "Please enter value(s) for: Item")
	}
	if !ln.HasQty {
		return invalidContent(joinPath(ln.Path, "quantity"), "Please enter value(s) for: Quantity")
	}
	return nil
}

// discount reads discountRate: a negative amount (-10.00) or a negative percentage
// ("-10%"), as NetSuite's header discount takes it.
func (d *bodyDecoder) discount(path string, in *orderInput) *apiError {
	v, e := d.scalar(path)
	if e != nil {
		return e
	}
	in.HasDiscount = true
	switch t := v.(type) {
	case nil:
		in.DiscountRate, in.DiscountCents, in.DiscountIsPct = nil, 0, false
		return nil
	case json.Number:
		c, ok := amountCents(t)
		if !ok || c > 0 {
			return invalidFieldValue(path, t.String(), "discountRate")
		}
		in.DiscountRate, in.DiscountCents = json.RawMessage(t.String()), c
		return nil
	case string:
		s := strings.TrimSpace(t)
		pct, ok := strings.CutSuffix(s, "%")
		if ok {
			hundredths, err := parseHundredths(pct)
			if err == nil && hundredths <= 0 && hundredths >= -10000 {
				raw, _ := json.Marshal(s)
				in.DiscountRate, in.DiscountPct, in.DiscountIsPct = raw, hundredths, true
				return nil
			}
		}
		return invalidFieldValue(path, t, "discountRate")
	}
	return invalidContent(path, detailInvalidBody+" Field 'discountRate' must be a number or a percentage like \"-10%\".")
}

// parseHundredths reads "-12.5" as -1250.
func parseHundredths(s string) (int64, error) {
	neg := strings.HasPrefix(s, "-")
	c, err := amountFromString(strings.TrimPrefix(s, "-"))
	if err != nil {
		return 0, err
	}
	if neg {
		c = -c
	}
	return c, nil
}

func amountFromString(s string) (int64, error) {
	if s == "" || strings.Trim(s, "0123456789.") != "" {
		return 0, strconv.ErrSyntax
	}
	c, ok := amountCents(json.Number(s))
	if !ok || c < 0 {
		return 0, strconv.ErrSyntax
	}
	return c, nil
}
