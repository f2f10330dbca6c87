package store

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/peakready/peakready/fakes/catalog"
)

func FuzzParseGID(f *testing.F) {
	for _, s := range []string{"gid://shopify/Order/820982911946154508", "gid://shopify/InventoryLevel/1?inventory_item_id=2", "123", "gid://shopify//1", "gid://shopify/X/-1", "gid://shopify/X/99999999999999999999"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		typ, id, _, ok := ParseGID(s)
		if ok && id <= 0 {
			t.Fatalf("%q: accepted id %d", s, id)
		}
		if ok && typ != "" {
			if back, _, _, ok := ParseGID(GID(typ, id)); !ok || back != typ {
				t.Fatalf("%q does not round-trip", s)
			}
		}
		if loc, item, ok := ParseInventoryLevelGID(s); ok && (loc <= 0 || item <= 0) {
			t.Fatalf("%q: level %d/%d", s, loc, item)
		}
	})
}

func FuzzParseLineCounts(f *testing.F) {
	for _, s := range []string{"1:45,2:30,3:15", "3", " 2 : 5 , 1:1", "0", "1:1,1:1", "100:1000000"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		lc, err := ParseLineCounts(s)
		if err != nil {
			return
		}
		back, err := ParseLineCounts(lc.String())
		if err != nil || back.String() != lc.String() {
			t.Fatalf("%q: %q does not round-trip", s, lc.String())
		}
		if m := lc.Mean(); m < 1 || m > maxGeneratedLines {
			t.Fatalf("%q: mean %v", s, m)
		}
	})
}

func FuzzParseTime(f *testing.F) {
	for _, s := range []string{"2026-11-27T10:00:00Z", "2026-11-27T10:00:00.123-05:00", "2026-11-27 10:00:00", "2026-11-27", "yesterday"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) { ParseTime(s) })
}

// Any explicit order the store accepts has consistent totals; anything else is an
// *InputError, never a panic.
func FuzzCreateOrderSpec(f *testing.F) {
	f.Add([]byte(`{"line_items":[{"sku":"SKU","quantity":2,"price":"19.99"}],"shipping_address":{"country_code":"US","province_code":"NY"},"discount":"5.00","shipping":"0"}`))
	f.Add([]byte(`{"customer":{"email":"a@b.co"},"line_items":[{"sku":"SKU","quantity":1}],"financial_status":"pending","risk_level":"HIGH","tags":["x, y"]}`))
	f.Add([]byte(`{"customer_id":706405506900006007,"line_items":[{"sku":"SKU","quantity":10000}],"gateway":"paypal","email":"c@d.io"}`))
	s, err := New(Config{Seed: 1, CatalogSize: 5})
	if err != nil {
		f.Fatal(err)
	}
	sku := s.Catalog().Items[0].SKU
	f.Fuzz(func(t *testing.T, body []byte) {
		var spec OrderSpec
		if json.Unmarshal(body, &spec) != nil {
			return
		}
		for i := range spec.LineItems {
			if spec.LineItems[i].SKU == "SKU" {
				spec.LineItems[i].SKU = sku
			}
		}
		if n, _, _ := s.Counts(); n > 2000 {
			s.Reset()
		}
		ch, err := s.CreateOrder(spec)
		if err != nil {
			var ie *InputError
			if !errors.As(err, &ie) {
				t.Fatalf("not an input error: %v", err)
			}
			return
		}
		o, ok := s.Order(ch.Orders[0])
		if !ok {
			t.Fatal("created order not found")
		}
		if o.SubtotalCents+o.ShippingCents+o.TaxCents != o.TotalCents || o.TaxCents != catalog.Tax(o.SubtotalCents, o.TaxRateBP) {
			t.Fatalf("inconsistent totals: %+v", o)
		}
		if _, err := json.Marshal(s.OrderJSON(&o)); err != nil {
			t.Fatal(err)
		}
	})
}
