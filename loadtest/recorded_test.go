package loadtest

import (
	"context"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/shopify/store"
)

const recordedSample = "../testdata/replay/orders-sample.jsonl"

func TestParseRecordedOrdersSample(t *testing.T) {
	orders, err := LoadRecordedOrders(recordedSample)
	require.NoError(t, err)
	require.Len(t, orders, 38)
	for i := 1; i < len(orders); i++ {
		assert.False(t, orders[i].At.Before(orders[i-1].At), "sorted by created_at")
	}
	first := orders[0]
	assert.Equal(t, time.Date(2025, 11, 28, 9, 0, 10, 0, time.UTC), first.At)
	assert.Equal(t, 2, first.Line, "the comment line is skipped, lines count from 1")
	assert.Equal(t, []store.LineSpec{{SKU: "TOTE-NAT", Quantity: 2, Price: "18.00"}, {SKU: "CAP-NVY", Quantity: 1, Price: "19.50"}}, first.Spec.LineItems)
	assert.Equal(t, "paid", first.Spec.FinancialStatus)
	assert.Equal(t, "shopify_payments", first.Spec.Gateway)
	assert.Equal(t, "0.00", first.Spec.Shipping)
	assert.Equal(t, "customer-0026@example.com", first.Spec.Customer.Email)
	assert.Equal(t, []string{"bfcm"}, first.Spec.Tags)
	assert.Equal(t, "WA", first.Spec.ShippingAddress.ProvinceCode)

	tl, err := RecordedTimeline(orders)
	require.NoError(t, err)
	assert.Equal(t, int64(38), tl.Total())
	assert.Equal(t, orders[len(orders)-1].At.Sub(first.At), tl.Span())
	assert.Equal(t, first.At, tl.Start())
}

func TestParseRecordedOrdersErrors(t *testing.T) {
	ok := `{"created_at":"2025-11-28T09:00:00Z","line_items":[{"sku":"A","quantity":1,"price":"1.00"}]}`
	for _, c := range []struct{ in, want string }{
		{"", "x.jsonl: no orders"},
		{ok + "\n{", "x.jsonl:2: not an order payload"},
		{`{"created_at":"yesterday","line_items":[{"sku":"A","quantity":1}]}`, `x.jsonl:1: created_at "yesterday" is not an RFC 3339 time`},
		{`{"created_at":"2025-11-28T09:00:00Z","line_items":[{"sku":"A","quantity":0}]}`, "x.jsonl:1: no line item with a quantity above 0"},
		{"# c\n\n" + `{"created_at":"2025-11-28T09:00:00Z","line_items":[{"sku":"A","quantity":1,"price":"1.999"}]}`, `x.jsonl:3: line_items[0].price: "1.999" is not an amount like 19.99`},
		{`{"created_at":"2025-11-28T09:00:00Z","line_items":[{"sku":"A","quantity":1,"price":"-3"}]}`, `is not an amount`},
	} {
		_, err := ParseRecordedOrders("x.jsonl", strings.NewReader(c.in))
		if assert.Error(t, err, c.in) {
			assert.Contains(t, err.Error(), c.want)
		}
	}
	// Prices as numbers, a pending bank deposit, shipping summed.
	got, err := ParseRecordedOrders("x.jsonl", strings.NewReader(`{"created_at":"2025-11-28T09:00:00+01:00","financial_status":"pending","gateway":"bank_deposit",`+
		`"line_items":[{"sku":"A","quantity":2,"price":3.5}],"shipping_lines":[{"price":"4.00"},{"price":1}],"total_discounts":"2.5"}`))
	require.NoError(t, err)
	s := got[0].Spec
	assert.Equal(t, "3.50", s.LineItems[0].Price)
	assert.Equal(t, "pending", s.FinancialStatus)
	assert.Equal(t, "bank_deposit", s.Gateway)
	assert.Equal(t, "5.00", s.Shipping)
	assert.Equal(t, "2.50", s.Discount)
}

func FuzzParseRecordedOrders(f *testing.F) {
	data, err := os.ReadFile(recordedSample)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(string(data))
	f.Add(`{"created_at":"2025-11-28T09:00:00Z","line_items":[{"sku":"A","quantity":1,"price":"1.00"}]}`)
	f.Fuzz(func(t *testing.T, in string) {
		orders, err := ParseRecordedOrders("fuzz", strings.NewReader(in))
		if err != nil {
			return
		}
		for _, o := range orders {
			if len(o.Spec.LineItems) == 0 {
				t.Fatal("an order without lines")
			}
		}
		if _, err := RecordedTimeline(orders); err != nil {
			t.Fatalf("timeline of parsed orders: %v", err)
		}
	})
}

// A phase of recorded orders places each one, in order, its SKUs mapped onto the
// catalog and its quantities and prices kept.
func TestEngineReplaysRecordedOrders(t *testing.T) {
	orders, err := LoadRecordedOrders(recordedSample)
	require.NoError(t, err)
	s := newStore(t, nil)
	e, err := New(Config{Store: s, Seed: 1})
	require.NoError(t, err)
	tl, err := RecordedTimeline(orders)
	require.NoError(t, err)
	p, err := Replay(tl, 1.0/600) // the recorded ten minutes in one second
	require.NoError(t, err)
	res, err := e.Attack(context.Background(), Phase{Name: "replay", Pacer: p, Orders: orders})
	require.NoError(t, err)
	assert.Equal(t, int64(38), res.Hits)
	assert.Zero(t, res.Errors)
	c := e.Counters()
	assert.Equal(t, int64(38), c.Orders)
	assert.Positive(t, c.Events)
	catalog := map[string]bool{}
	for _, it := range s.Catalog().Items {
		catalog[it.SKU] = true
	}
	ids := s.OrderIDs()
	require.Len(t, ids, 38)
	qty := func(ls []store.LineSpec) (n int) {
		for _, l := range ls {
			n += l.Quantity
		}
		return n
	}
	wantQty, gotQty := 0, 0
	for _, o := range orders {
		wantQty += qty(o.Spec.LineItems)
	}
	for _, id := range ids {
		o, ok := s.Order(id)
		require.True(t, ok)
		for _, l := range o.Lines {
			assert.True(t, catalog[l.SKU], "SKU %s is the catalog's", l.SKU)
			gotQty += l.Quantity
		}
	}
	assert.Equal(t, wantQty, gotQty, "quantities kept")
	assert.Equal(t, catalogSKU("TEE-BLK-M", []string{"a", "b", "c"}), catalogSKU("TEE-BLK-M", []string{"a", "b", "c"}), "the mapping is stable")
}
