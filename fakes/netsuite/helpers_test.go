package netsuite

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

const (
	soPath   = "/services/rest/record/v1/salesOrder"
	custPath = "/services/rest/record/v1/customer"
	itemPath = "/services/rest/record/v1/inventoryItem"
	ifPath   = "/services/rest/record/v1/itemFulfillment"
)

// bundle is a started fake with a manual clock and a client that authenticates.
type bundle struct {
	srv    *Server
	clock  *clock.Manual
	url    string
	client *http.Client
	bearer string // the Authorization of do; empty: a static test token
}

// setup starts a fake with a manual clock, no latency, no automatic fulfilment and a small
// catalog; mod adjusts the options first.
func setup(t *testing.T, mod ...func(*Options)) (*Server, *bundle) {
	t.Helper()
	c := clock.NewManual(epoch)
	srv, url := fakehttptest.StartWith(t, New, Options{
		Clock: c, Seed: 7, CatalogSize: 20, Locations: 2,
		Limits: Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off"},
	}, mod...)
	tr := &http.Transport{MaxIdleConns: 512, MaxIdleConnsPerHost: 512}
	t.Cleanup(tr.CloseIdleConnections)
	return srv, &bundle{srv: srv, clock: c, url: url, client: &http.Client{Transport: tr, Timeout: 30 * time.Second}}
}

// response is what a test reads of an answer.
type response struct {
	status int
	header http.Header
	body   []byte
}

func (r response) json(t *testing.T) map[string]any {
	t.Helper()
	var m map[string]any
	require.NoError(t, json.Unmarshal(r.body, &m), "body: %s", r.body)
	return m
}

// errorBody decodes NetSuite's error envelope and checks its invariant parts.
func (r response) errorBody(t *testing.T) ErrorBody {
	t.Helper()
	var e ErrorBody
	require.NoError(t, json.Unmarshal(r.body, &e), "body: %s", r.body)
	require.Equal(t, r.status, e.Status, "status field equals the HTTP status")
	require.NotEmpty(t, e.Type)
	require.NotEmpty(t, e.Title)
	require.Len(t, e.Details, 1)
	require.Equal(t, "application/json; charset=UTF-8", r.header.Get("Content-Type"))
	return e
}

// do sends a request with a Bearer credential.
func (b *bundle) do(t *testing.T, method, path string, body any) response {
	t.Helper()
	if b.bearer != "" {
		return b.doAuth(t, method, path, body, b.bearer)
	}
	return b.doAuth(t, method, path, body, "Bearer test-token")
}

func (b *bundle) doAuth(t *testing.T, method, path string, body any, auth string) response {
	t.Helper()
	var rd io.Reader
	switch v := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(v)
	case []byte:
		rd = bytes.NewReader(v)
	default:
		raw, err := json.Marshal(v)
		require.NoError(t, err)
		rd = bytes.NewReader(raw)
	}
	req, err := http.NewRequest(method, b.url+path, rd)
	require.NoError(t, err)
	if auth != "" {
		req.Header.Set("Authorization", auth)
	}
	req.Header.Set("Content-Type", "application/json")
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	raw, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// createOrder posts a sales order and returns its internal id from Location.
func (b *bundle) createOrder(t *testing.T, body map[string]any) string {
	t.Helper()
	r := b.do(t, http.MethodPost, soPath, body)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	loc := r.header.Get("Location")
	require.True(t, strings.HasPrefix(loc, b.url+soPath+"/"), "Location %q", loc)
	return loc[strings.LastIndexByte(loc, '/')+1:]
}

// sku returns the SKU and internal id of catalog item i.
func (b *bundle) sku(i int) (sku, id string) {
	it := b.srv.seeded.Items[i]
	b.srv.mu.Lock()
	defer b.srv.mu.Unlock()
	return it.SKU, itoa(b.srv.st.bySKU[it.SKU].ID)
}

// orderBody is a typical integrator sales order for Shopify order shopifyID.
func (b *bundle) orderBody(shopifyID string, qty int) map[string]any {
	sku, _ := b.sku(0)
	body := map[string]any{
		"entity":                    map[string]any{"id": "2000"},
		"otherRefNum":               "#" + shopifyID,
		"custbody_shopify_order_id": shopifyID,
		"shippingAddress":           map[string]any{"addr1": "1 Main St", "city": "Los Angeles", "state": "CA", "zip": "90001", "country": "US"},
		"item":                      map[string]any{"items": []any{map[string]any{"item": map[string]any{"externalId": sku}, "quantity": qty, "rate": 10.00}}},
	}
	return body
}

// stockOf reads an item's location line through the API.
func (b *bundle) stockOf(t *testing.T, itemID string, loc int) map[string]any {
	t.Helper()
	r := b.do(t, http.MethodGet, itemPath+"/"+itemID+"?expandSubResources=true", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	locs := r.json(t)["locations"].(map[string]any)["items"].([]any)
	return locs[loc].(map[string]any)
}

func num(v any) float64 { return v.(float64) }
