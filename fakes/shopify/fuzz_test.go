package shopify

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// Every parser of request input is fuzzed: a malformed request must get Shopify's own
// error response, never a panic or a Go error string.

var (
	fuzzOnce sync.Once
	fuzzSrv  *Server
)

// fuzzServer is one store shared by the fuzz targets, with a bucket large enough never to
// throttle and a few orders to read.
func fuzzServer(t testing.TB) *Server {
	fuzzOnce.Do(func() {
		s, err := New(Options{Clock: clock.NewManual(epoch), Seed: 3, Bucket: 1e9, RestoreRate: 1e9, RESTBucket: 1_000_000, RESTLeakRate: 1e6})
		if err != nil {
			panic(err)
		}
		if _, err := s.Store().GenerateOrders(20, nil); err != nil {
			panic(err)
		}
		fuzzSrv = s
	})
	return fuzzSrv
}

func serve(s *Server, req *http.Request) *httptest.ResponseRecorder {
	rec := httptest.NewRecorder()
	s.Handler().ServeHTTP(rec, req)
	return rec
}

func requireJSON(t *testing.T, rec *httptest.ResponseRecorder) {
	t.Helper()
	if !json.Valid(rec.Body.Bytes()) {
		t.Fatalf("status %d: body is not JSON: %q", rec.Code, rec.Body.String())
	}
}

func FuzzGraphQLRequest(f *testing.F) {
	f.Add(`{ shop { name } }`, `{}`, "2026-10")
	f.Add(`query($id: ID!) { order(id: $id) { id lineItems(first: 5) { nodes { sku } } } }`, `{"id":"gid://shopify/Order/820982911900007919"}`, "2025-01")
	f.Add(`{ orders(first: 3, query: "updated_at:>'2026-01-01' OR (tag:x -status:closed)") { edges { cursor node { id } } } }`, ``, "2026-10")
	f.Add(`mutation($input: InventorySetQuantitiesInput!) { inventorySetQuantities(input: $input) { userErrors { code } } }`,
		`{"input":{"name":"available","reason":"correction","quantities":[{"inventoryItemId":"gid://shopify/InventoryItem/1","locationId":"x","quantity":1,"compareQuantity":null}]}}`, "2025-07")
	f.Add(`mutation { inventoryAdjustQuantities(input: {name: "available", reason: "correction", changes: [{inventoryItemId: "1", locationId: "2", delta: 1, changeFromQuantity: null}]}) @idempotent(key: "k") { userErrors { code } } }`, ``, "2026-04")
	f.Add(`mutation($f: FulfillmentInput!) { fulfillmentCreate(fulfillment: $f) { userErrors { field } } }`, `{"f":{"lineItemsByFulfillmentOrder":[{"fulfillmentOrderId":"gid://shopify/FulfillmentOrder/1046000000000007919"}],"trackingInfo":{"number":"1","url":"::"}}}`, "2026-10")
	f.Add(`{ node(id: "gid://shopify/InventoryLevel/1?inventory_item_id=2") { id } nodes(ids: ["", "gid://shopify/Order/-1"]) { id } }`, `null`, "unstable")
	f.Add(`{ a: orders(first: 2, after: "eyJsYXN0X2lkIjoxLCJsYXN0X3ZhbHVlIjoxfQ==") { nodes { id } } }`, `[]`, "2024-10")
	f.Fuzz(func(t *testing.T, query, vars, version string) {
		s := fuzzServer(t)
		body, _ := json.Marshal(map[string]any{"query": query, "variables": json.RawMessage(validOr(vars, "null"))})
		req := httptest.NewRequest(http.MethodPost, "/admin/api/"+url.PathEscape(version)+"/graphql.json", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Access-Token", "t")
		req.Header.Set("Content-Type", "application/json")
		rec := serve(s, req)
		requireJSON(t, rec)
		switch rec.Code {
		case 200, 400, 404:
		default:
			t.Fatalf("status %d: %s", rec.Code, rec.Body.String())
		}
		// The same text as a bare application/graphql body.
		req = httptest.NewRequest(http.MethodPost, "/admin/api/2026-10/graphql.json", strings.NewReader(query))
		req.Header.Set("X-Shopify-Access-Token", "t")
		req.Header.Set("Content-Type", "application/graphql")
		requireJSON(t, serve(s, req))
	})
}

func validOr(s, def string) string {
	if json.Valid([]byte(s)) {
		return s
	}
	return def
}

func FuzzGraphQLBody(f *testing.F) {
	f.Add("application/json", []byte(`{"query":"{ shop { name } }","variables":{"a":1},"operationName":"x"}`))
	f.Add("application/graphql; charset=utf-8", []byte(`{ shop { name } }`))
	f.Add("", []byte(`{"query":"x"} {}`))
	f.Add("text/plain", []byte(`{"query":"x","variables":"str"}`))
	f.Fuzz(func(t *testing.T, contentType string, body []byte) {
		b, ok := parseGraphQLBody(contentType, body)
		if ok && b.Query == "" {
			t.Fatal("accepted a body without a query")
		}
	})
}

func FuzzSearchQuery(f *testing.F) {
	for _, q := range []string{
		"", "updated_at:>'2026-11-27T10:00:00Z' financial_status:paid", "sku:ABC OR sku:DEF", "-tag:held (status:open OR status:closed)",
		"NOT NOT (((", `email:"a b\"c" name:#1001 id:>=5 created_at:2026-11-27`, "foo:bar baz", ")))OR AND OR", "tag:'unterminated",
	} {
		f.Add(q)
	}
	f.Fuzz(func(t *testing.T, q string) {
		s := fuzzServer(t)
		pred, warnings := compileSearch(q, orderSearchFields(s.Store().TimeZone()), orderSearchText)
		for _, w := range warnings {
			if w.Field == "" && w.Message == "" {
				t.Fatal("empty warning")
			}
		}
		s.Store().CountOrders(pred)
		cp, _ := compileSearch(q, customerSearchFields(s.Store().TimeZone()), customerSearchText)
		s.Store().ListCustomers(cp, store.SortByID, store.PageRequest{First: 3})
		vp, _ := compileSearch(q, variantSearchFields(), variantSearchText)
		if vp != nil {
			v, _ := s.Store().VariantAt(0)
			vp(&v)
		}
		lp, _ := compileSearch(q, locationSearchFields(), nil)
		if lp != nil {
			l := s.Store().Locations()[0]
			lp(&l)
		}
		singleTerm(q, "sku")
	})
}

func FuzzCursors(f *testing.F) {
	f.Add(encodeCursor(store.Pos{Key: 1795770000, ID: 820982911900007919}, true))
	f.Add(encodeCursor(store.Pos{Key: 5, ID: 5}, false))
	f.Add(pageInfo{Query: map[string]string{"status": "any"}, Direction: "next", Key: 1, ID: 2}.encode())
	f.Add("eyJsYXN0X2lkIjotMX0=")
	f.Fuzz(func(t *testing.T, s string) {
		for _, timeKey := range []bool{true, false} {
			if p, ok := decodeCursor(s, timeKey); ok {
				back, ok2 := decodeCursor(encodeCursor(p, timeKey), timeKey)
				if !ok2 || back != p {
					t.Fatalf("cursor %q: %+v does not round-trip (%+v)", s, p, back)
				}
			}
		}
		if p, ok := decodePageInfo(s); ok && (p.ID <= 0 || (p.Direction != "next" && p.Direction != "prev")) {
			t.Fatalf("accepted page_info %+v", p)
		}
	})
}

func FuzzRESTQuery(f *testing.F) {
	for _, q := range []string{
		"limit=3&status=any&fields=id,name", "since_id=820982911900007919&order=id%20desc", "updated_at_min=2026-11-27T00:00:00-05:00&financial_status=unpaid",
		"page_info=eyJkIjoibmV4dCIsImsiOjEsImkiOjJ9&limit=250", "ids=1,2,3&fulfillment_status=partial", "limit=-1", "order=created_at%20sideways",
		"inventory_item_ids=271878346500004001&location_ids=655441491001000003&updated_at_min=2020-01-01",
	} {
		f.Add("orders.json", q)
	}
	f.Add("customers.json", "since_id=1&created_at_max=2030-01-01")
	f.Add("inventory_levels.json", "location_ids=655441491001000003&limit=2")
	f.Add("orders/count.json", "status=cancelled")
	f.Add("orders/820982911900007919.json", "fields=,,id,,")
	f.Fuzz(func(t *testing.T, path, rawQuery string) {
		s := fuzzServer(t)
		u := &url.URL{Path: "/admin/api/2026-10/" + path, RawQuery: rawQuery}
		req := httptest.NewRequest(http.MethodGet, "/", nil)
		req.URL = u
		req.RequestURI = u.RequestURI()
		req.Header.Set("X-Shopify-Access-Token", "t")
		rec := serve(s, req)
		requireJSON(t, rec)
		if rec.Code >= 500 {
			t.Fatalf("%s?%s: %d %s", path, rawQuery, rec.Code, rec.Body.String())
		}
		q, _ := url.ParseQuery(rawQuery)
		if p, err := parseListParams(q, "id", false, []string{"id", "created_at"}); err == nil && (p.limit < 1 || p.limit > 250) {
			t.Fatalf("limit %d accepted", p.limit)
		}
	})
}

func FuzzSetInventoryBody(f *testing.F) {
	f.Add([]byte(`{"location_id":655441491001000003,"inventory_item_id":271878346500004001,"available":42}`))
	f.Add([]byte(`{"location_id":1.5,"inventory_item_id":"x","available":1e12}`))
	f.Add([]byte(`{"available":-1000000000,"disconnect_if_necessary":true}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, body []byte) {
		s := fuzzServer(t)
		if b, err := parseSetInventory(body); err == nil {
			if b.Available == nil || b.LocationID == nil || b.InventoryItemID == nil {
				t.Fatal("accepted a body missing a field")
			}
		}
		req := httptest.NewRequest(http.MethodPost, "/admin/api/2026-10/inventory_levels/set.json", bytes.NewReader(body))
		req.Header.Set("X-Shopify-Access-Token", "t")
		rec := serve(s, req)
		requireJSON(t, rec)
		if rec.Code >= 500 {
			t.Fatalf("%d %s", rec.Code, rec.Body.String())
		}
	})
}

func FuzzAdminBodies(f *testing.F) {
	f.Add("orders", []byte(`{"count": 2, "returning_share": 0.5, "line_items": "1:3,2:1"}`))
	f.Add("orders", []byte(`{"order": {"line_items": [{"sku": "LY2262-001", "quantity": 2, "price": "1.5"}], "shipping_address": {"country_code": "us", "province_code": "ca"}, "discount": "3", "tags": ["a,b"]}}`))
	f.Add("orders", []byte(`{"count": 1, "line_items": 3}`))
	f.Add("inventory", []byte(`{"sku": "LY2262-001", "adjust": -3, "name": "on_hand", "location_id": 655441491001000003}`))
	f.Add("edit", []byte(`{"add": [{"sku": "LY2262-001", "quantity": 1}], "set_quantity": [{"line_item_id": 487817672200000000, "quantity": 0}], "shipping_address": {"country_code": "GB"}}`))
	f.Add("customer", []byte(`{"email": "a@b.co", "tags": ["x"], "default_address": {"country_code": "CA", "province_code": "ON"}}`))
	f.Add("cancel", []byte(`{"reason": "inventory", "restock": false}`))
	f.Add("tags", []byte(`{"tags": ["a"], "remove": ["b"]}`))
	f.Fuzz(func(t *testing.T, route string, body []byte) {
		s := fuzzServer(t)
		switch route {
		case "orders":
			if b, err := parseCreateOrders(body); err == nil && (b.Count != nil && *b.Count > 2 || s.Store().OrderCount() > 5000) {
				return // keep the shared store small: the parser has already run
			}
		case "inventory":
			if b, err := parseInventoryBody(body); err == nil && b.SKU == "" {
				t.Fatal("accepted a body without a SKU")
			}
		}
		paths := map[string]string{
			"orders": "/_fake/orders", "inventory": "/_fake/inventory", "edit": "/_fake/orders/820982911900015838/edit",
			"customer": "/_fake/customers/706405506900006007", "cancel": "/_fake/orders/820982911900023757/cancel",
			"tags": "/_fake/orders/820982911900031676/tags",
		}
		p, ok := paths[route]
		if !ok {
			return
		}
		rec := serve(s, httptest.NewRequest(http.MethodPost, p, bytes.NewReader(body)))
		requireJSON(t, rec)
		if rec.Code >= 500 {
			t.Fatalf("%s: %d %s", route, rec.Code, rec.Body.String())
		}
	})
}

func FuzzLimits(f *testing.F) {
	f.Add([]byte(`{"plan":"advanced","bucket":100,"restore-rate":5.5,"rest-bucket":10,"rest-leak-rate":1,"throttle-status":429}`))
	f.Add([]byte(`{"bucket":-1}`))
	f.Add([]byte(`{"plan":"PLUS"} {}`))
	f.Fuzz(func(t *testing.T, raw []byte) {
		cfg := Limits{Plan: "plus", Bucket: 20000, RestoreRate: 1000, RESTBucket: 400, RESTLeakRate: 20, ThrottleStatus: 200}
		apps, err := newAppRegistry(clock.NewManual(epoch), []App{{Name: "a", Token: "t"}}, cfg)
		if err != nil {
			t.Fatal(err)
		}
		l := newLimitState(apps, cfg)
		before := l.config()
		if err := l.apply(raw); err != nil {
			if l.config() != before {
				t.Fatal("a refused limits object changed the limits")
			}
			return
		}
		if err := l.config().validate(); err != nil {
			t.Fatalf("accepted limits that do not validate: %v", err)
		}
	})
}
