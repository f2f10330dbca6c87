package netsuite

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestDecodeSalesOrderAcceptsIntegratorBody(t *testing.T) {
	t.Parallel()
	body := `{
	  "externalId": 5012345,
	  "entity": {"externalId": "shopify-customer-77"},
	  "tranDate": "2026-11-27",
	  "otherRefNum": "#1001",
	  "memo": "Black Friday",
	  "orderStatus": {"id": "b"},
	  "location": {"id": "2", "refName": "East Coast DC"},
	  "shippingAddress": {"addressee": "Ann", "addr1": "1 Main", "addr2": null, "city": "Austin", "state": "TX", "zip": "73301", "country": {"id": "us"}},
	  "discountRate": "-10%",
	  "shippingCost": 4.99,
	  "custbody_shopify_order_id": "5012345",
	  "custbody_shopify_updated_at": "2026-11-27T09:00:00Z",
	  "custbody_payment_txn_ids": ["ch_1", "ch_2"],
	  "item": {"items": [
	    {"item": {"id": "1001"}, "quantity": 2, "rate": 19.99, "description": "Mug", "custcol_gift": true},
	    {"item": {"externalId": "AB1234-002", "refName": "x"}, "quantity": 1.0}
	  ]}
	}`
	in, e := decodeSalesOrder([]byte(body), false)
	require.Nil(t, e)
	assert.Equal(t, "5012345", *in.ExternalID)
	assert.Equal(t, "shopify-customer-77", in.Entity.ExternalID)
	assert.Equal(t, "B", *in.OrderStatus)
	assert.Equal(t, "2", in.Location.ID)
	assert.Equal(t, "US", in.Ship.Country)
	assert.Equal(t, "TX", in.Ship.State)
	assert.Equal(t, int64(-1000), in.DiscountPct)
	assert.True(t, in.DiscountIsPct)
	assert.Equal(t, int64(499), *in.ShippingCents)
	require.Len(t, in.Lines, 2)
	assert.Equal(t, int64(1999), in.Lines[0].RateCents)
	assert.True(t, in.Lines[0].HasRate)
	assert.False(t, in.Lines[1].HasRate)
	assert.Equal(t, int64(1), in.Lines[1].Quantity)
	assert.JSONEq(t, `true`, string(in.Lines[0].Custom["custcol_gift"]))
	assert.JSONEq(t, `["ch_1","ch_2"]`, string(in.Custom["custbody_payment_txn_ids"]))
}

func TestDecodeSalesOrderRefusals(t *testing.T) {
	t.Parallel()
	line := func(extra string) string {
		return `{"item":{"items":[{"item":{"id":"1001"},"quantity":1` + extra + `}]}}`
	}
	cases := []struct {
		name, body, path, detail string
	}{
		{"not an object", `[]`, "", "must be a JSON object"},
		{"null body", `null`, "", "must be a JSON object"},
		{"empty body", ``, "", "ends unexpectedly"},
		{"malformed", `{"memo": }`, "memo", "malformed"},
		{"trailing data", `{} {}`, "", "Unexpected data"},
		{"unknown field", `{"shipVia": "UPS"}`, "shipVia", "Unknown field 'shipVia'"},
		{"tax total", `{"taxTotal": 5}`, "taxTotal", "tax is computed by NetSuite"},
		{"tax rate", `{"taxRate": 7.25}`, "taxRate", "tax is computed by NetSuite"},
		{"line tax", line(`,"taxCode":{"id":"5"}`), "item.items[0].taxCode", "tax is computed by NetSuite"},
		{"line tax amount", line(`,"tax1Amt":1.2`), "item.items[0].tax1Amt", "read-only"},
		{"read-only total", `{"total": 10}`, "total", "read-only"},
		{"memo type", `{"memo": 5}`, "memo", "must be a string"},
		{"externalId charset", `{"externalId": "a|b"}`, "externalId", "letters, digits, _ and -"},
		{"externalId object", `{"externalId": {}}`, "externalId", "single value"},
		{"entity shape", `{"entity": "123"}`, "entity", "must be an object"},
		{"entity empty", `{"entity": {}}`, "entity", "needs an id or an externalId"},
		{"entity unknown key", `{"entity": {"name": "x"}}`, "entity.name", "Unknown field"},
		{"status", `{"orderStatus": {"id": "F"}}`, "orderStatus", "Invalid Field Value F"},
		{"tranDate", `{"tranDate": "27/11/2026"}`, "tranDate", "must be a date"},
		{"country", `{"shippingAddress": {"country": "USA"}}`, "shippingAddress.country", "Invalid Field Value USA"},
		{"address field", `{"shippingAddress": {"street": "x"}}`, "shippingAddress.street", "Unknown field"},
		{"item shape", `{"item": [{"item":{"id":"1"}}]}`, "item", "must be an object"},
		{"item without items", `{"item": {}}`, "item", `{"items": [...]}`},
		{"items not an array", `{"item": {"items": {}}}`, "item.items", "must be an array"},
		{"line without item", `{"item":{"items":[{"quantity":1}]}}`, "item.items[0].item", "Item"},
		{"line without quantity", `{"item":{"items":[{"item":{"id":"1"}}]}}`, "item.items[0].quantity", "Quantity"},
		{"zero quantity", `{"item":{"items":[{"item":{"id":"1"},"quantity":0}]}}`, "item.items[0].quantity", "whole number above 0"},
		{"fractional quantity", `{"item":{"items":[{"item":{"id":"1"},"quantity":1.5}]}}`, "item.items[0].quantity", "whole number above 0"},
		{"string quantity", `{"item":{"items":[{"item":{"id":"1"},"quantity":"2"}]}}`, "item.items[0].quantity", "must be a number"},
		{"negative rate", line(`,"rate":-1`), "item.items[0].rate", "Invalid Field Value -1"},
		{"string rate", line(`,"rate":"9.99"`), "item.items[0].rate", "must be a number"},
		{"line unknown", line(`,"price":1`), "item.items[0].price", "Unknown field"},
		{"markup discount", `{"discountRate": 5}`, "discountRate", "Invalid Field Value 5"},
		{"markup percent", `{"discountRate": "10%"}`, "discountRate", "Invalid Field Value 10%"},
		{"negative shipping", `{"shippingCost": -1}`, "shippingCost", "Invalid Field Value -1"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, e := decodeSalesOrder([]byte(tc.body), false)
			require.NotNil(t, e)
			assert.Equal(t, http.StatusBadRequest, e.status)
			assert.Equal(t, CodeInvalidContent, e.detail.Code)
			assert.Equal(t, tc.path, e.detail.Path)
			assert.Contains(t, e.detail.Detail, tc.detail)
		})
	}
}

func TestDecodeSalesOrderIgnoresTaxWhenAsked(t *testing.T) {
	t.Parallel()
	in, e := decodeSalesOrder([]byte(`{"taxTotal": 5, "taxRate": 7, "item":{"items":[{"item":{"id":"1"},"quantity":1,"taxCode":{"id":"-7"}}]}}`), true)
	require.Nil(t, e)
	assert.Len(t, in.Lines, 1)
}

func FuzzDecodeSalesOrder(f *testing.F) {
	for _, s := range []string{
		`{"externalId":"5001","item":{"items":[{"item":{"id":"1001"},"quantity":2,"rate":19.99}]}}`,
		`{"shippingAddress":{"country":{"id":"US"},"state":"CA"},"discountRate":"-10%","custbody_x":{"a":[1,2]}}`,
		`{"entity":{"externalId":"c1"},"orderStatus":{"id":"C"},"shippingCost":1e3}`,
		`{"item":{"items":[{"item":{"externalId":"X"},"quantity":1.0,"custcol_a":null}]}}`,
		`{"discountRate":-0.001}`, `[`, `{"a":`, `{"item":{"items":[{}]}}`, `{"memo":"\u00e9"}`,
	} {
		f.Add([]byte(s), false)
	}
	f.Fuzz(func(t *testing.T, body []byte, acceptTax bool) {
		in, e := decodeSalesOrder(body, acceptTax)
		if e != nil {
			if e.status != http.StatusBadRequest || e.detail.Code != CodeInvalidContent || e.detail.Detail == "" {
				t.Fatalf("refusal %+v", e)
			}
			return
		}
		if !json.Valid(body) {
			t.Fatalf("accepted invalid JSON %q", body)
		}
		if in.ExternalID != nil && !validExternalID(*in.ExternalID) {
			t.Fatalf("accepted external id %q", *in.ExternalID)
		}
		for _, ln := range in.Lines {
			if ln.Quantity <= 0 || ln.RateCents < 0 || ln.Item.value() == "" {
				t.Fatalf("accepted line %+v", ln)
			}
		}
		if in.DiscountCents > 0 || in.DiscountPct > 0 || (in.ShippingCents != nil && *in.ShippingCents < 0) {
			t.Fatalf("accepted discount %d/%d shipping %v", in.DiscountCents, in.DiscountPct, in.ShippingCents)
		}
		for k, v := range in.Custom {
			if !json.Valid(v) {
				t.Fatalf("custom field %s kept invalid JSON %q", k, v)
			}
		}
	})
}
