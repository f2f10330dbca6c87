package loadtest

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/shopify/store"
)

// RecordedOrder is one order of a recorded incident: when it was created and what it
// held, as the fake store can place it again.
type RecordedOrder struct {
	At   time.Time
	Spec store.OrderSpec
	// Line is where it was in its file.
	Line int
}

// MaxRecordedOrders bounds a recorded orders file.
const MaxRecordedOrders = 1_000_000

// maxRecordedLine bounds one webhook payload (Shopify's order payloads are a few KiB;
// a large order with hundreds of lines stays well under it).
const maxRecordedLine = 4 << 20

// recordedWebhook is the part of a Shopify order webhook payload (REST order JSON,
// orders/create) a replay uses. Names, e-mail addresses and addresses are expected to
// be anonymised; only their shape matters.
type recordedWebhook struct {
	CreatedAt       string `json:"created_at"`
	Email           string `json:"email"`
	FinancialStatus string `json:"financial_status"`
	LineItems       []struct {
		SKU      string          `json:"sku"`
		Quantity int             `json:"quantity"`
		Price    json.RawMessage `json:"price"`
	} `json:"line_items"`
	TotalDiscounts json.RawMessage `json:"total_discounts"`
	ShippingLines  []struct {
		Price json.RawMessage `json:"price"`
	} `json:"shipping_lines"`
	ShippingAddress *store.Address `json:"shipping_address"`
	Customer        *struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	} `json:"customer"`
	Tags       string `json:"tags"`
	Note       string `json:"note"`
	SourceName string `json:"source_name"`
}

// LoadRecordedOrders reads a JSONL file of recorded Shopify order webhooks; see
// ParseRecordedOrders.
func LoadRecordedOrders(path string) ([]RecordedOrder, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return ParseRecordedOrders(path, f)
}

// ParseRecordedOrders reads recorded Shopify order webhooks, one JSON payload (the REST
// order of an orders/create webhook) a line; blank lines and lines starting with # are
// skipped. Each needs created_at (RFC 3339) and at least one line item with a quantity
// above 0. It keeps what shapes the load: the instant, the lines' SKUs, quantities and
// prices, the discount and shipping, the payment status and gateway, the shipping
// address, the customer's e-mail (a returning customer is the same e-mail again), tags,
// note and source. The orders come back sorted by created_at (a stable sort: equal
// instants keep the file's order). Errors name source and line.
func ParseRecordedOrders(source string, r io.Reader) ([]RecordedOrder, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), maxRecordedLine)
	var out []RecordedOrder
	line := 0
	for sc.Scan() {
		line++
		b := bytes.TrimSpace(sc.Bytes())
		if len(b) == 0 || b[0] == '#' {
			continue
		}
		if len(out) == MaxRecordedOrders {
			return nil, fmt.Errorf("%s:%d: more than %d orders", source, line, MaxRecordedOrders)
		}
		o, err := parseRecordedOrder(b)
		if err != nil {
			return nil, fmt.Errorf("%s:%d: %w", source, line, err)
		}
		o.Line = line
		out = append(out, o)
	}
	if err := sc.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return nil, fmt.Errorf("%s:%d: a line longer than %d bytes", source, line+1, maxRecordedLine)
		}
		return nil, fmt.Errorf("%s: %w", source, err)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: no orders", source)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].At.Before(out[j].At) })
	return out, nil
}

func parseRecordedOrder(b []byte) (RecordedOrder, error) {
	var w recordedWebhook
	if err := json.Unmarshal(b, &w); err != nil {
		return RecordedOrder{}, fmt.Errorf("not an order payload: %w", err)
	}
	var raw struct {
		Gateways []string `json:"payment_gateway_names"`
		Gateway  string   `json:"gateway"`
	}
	_ = json.Unmarshal(b, &raw)
	at, err := time.Parse(time.RFC3339, w.CreatedAt)
	if err != nil {
		return RecordedOrder{}, fmt.Errorf("created_at %q is not an RFC 3339 time", w.CreatedAt)
	}
	spec := store.OrderSpec{Email: w.Email, Note: w.Note, SourceName: w.SourceName, ShippingAddress: w.ShippingAddress}
	for i, li := range w.LineItems {
		if li.Quantity <= 0 {
			continue // removed lines (quantity 0) are not part of the order
		}
		price, err := money(li.Price)
		if err != nil {
			return RecordedOrder{}, fmt.Errorf("line_items[%d].price: %w", i, err)
		}
		sku := strings.TrimSpace(li.SKU)
		if sku == "" {
			sku = "line-" + strconv.Itoa(i)
		}
		spec.LineItems = append(spec.LineItems, store.LineSpec{SKU: sku, Quantity: li.Quantity, Price: price})
	}
	if len(spec.LineItems) == 0 {
		return RecordedOrder{}, errors.New("no line item with a quantity above 0")
	}
	if spec.Discount, err = money(w.TotalDiscounts); err != nil {
		return RecordedOrder{}, fmt.Errorf("total_discounts: %w", err)
	}
	if spec.Discount == "0.00" {
		spec.Discount = ""
	}
	if len(w.ShippingLines) > 0 {
		var cents int64
		for i, sl := range w.ShippingLines {
			p, err := money(sl.Price)
			if err != nil {
				return RecordedOrder{}, fmt.Errorf("shipping_lines[%d].price: %w", i, err)
			}
			c, _ := centsOf(p)
			cents += c
		}
		spec.Shipping = strconv.FormatInt(cents/100, 10) + "." + fmt.Sprintf("%02d", cents%100)
	}
	switch w.FinancialStatus {
	case "pending":
		spec.FinancialStatus = "pending"
	default: // paid, authorized, partially_paid...: the store places it paid
		spec.FinancialStatus = "paid"
	}
	gw := raw.Gateway
	if len(raw.Gateways) > 0 {
		gw = raw.Gateways[0]
	}
	switch gw {
	case "shopify_payments", "bank_deposit", "manual", "paypal":
		if !(gw == "bank_deposit" && spec.FinancialStatus == "paid") {
			spec.Gateway = gw
		}
	}
	if c := w.Customer; c != nil && c.Email != "" {
		spec.Customer = &store.CustomerSpec{Email: c.Email, FirstName: c.FirstName, LastName: c.LastName}
	} else if w.Email != "" {
		spec.Customer = &store.CustomerSpec{Email: w.Email}
	}
	for _, t := range strings.Split(w.Tags, ",") {
		if t = strings.TrimSpace(t); t != "" {
			spec.Tags = append(spec.Tags, t)
		}
	}
	return RecordedOrder{At: at, Spec: spec}, nil
}

// money reads a Shopify money value, a string ("19.99") or a number, as "19.99"; absent
// is "".
func money(raw json.RawMessage) (string, error) {
	if len(raw) == 0 || string(raw) == "null" {
		return "", nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		s = string(raw)
	}
	c, err := centsOf(s)
	if err != nil {
		return "", err
	}
	return strconv.FormatInt(c/100, 10) + "." + fmt.Sprintf("%02d", c%100), nil
}

// centsOf reads a non-negative decimal amount with at most two decimals.
func centsOf(s string) (int64, error) {
	s = strings.TrimSpace(s)
	whole, frac, _ := strings.Cut(s, ".")
	if len(frac) > 2 {
		frac = strings.TrimRight(frac, "0")
	}
	if whole == "" || len(frac) > 2 {
		return 0, fmt.Errorf("%q is not an amount like 19.99", s)
	}
	w, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || w < 0 || w > 1e12 {
		return 0, fmt.Errorf("%q is not an amount like 19.99", s)
	}
	f := int64(0)
	if frac != "" {
		for len(frac) < 2 {
			frac += "0"
		}
		if f, err = strconv.ParseInt(frac, 10, 64); err != nil || f < 0 {
			return 0, fmt.Errorf("%q is not an amount like 19.99", s)
		}
	}
	return w*100 + f, nil
}

// RecordedTimeline is the arrival timeline of recorded orders: one hit at each order's
// created_at, offsets from the first.
func RecordedTimeline(orders []RecordedOrder) (Timeline, error) {
	if len(orders) == 0 {
		return Timeline{}, errors.New("no orders")
	}
	arr := make([]Arrival, len(orders))
	for i, o := range orders {
		arr[i] = Arrival{Offset: o.At.Sub(orders[0].At), Count: 1}
	}
	tl, err := NewTimeline(arr)
	if err != nil {
		return Timeline{}, err
	}
	tl.start = orders[0].At
	return tl, nil
}

// catalogSKU maps a recorded SKU onto one of the first n SKUs of the store's catalog:
// the same recorded SKU always maps to the same catalog SKU, so a recorded best seller
// stays one.
func catalogSKU(recorded string, skus []string) string {
	h := fnv.New64a()
	_, _ = h.Write([]byte(recorded))
	return skus[h.Sum64()%uint64(len(skus))]
}
