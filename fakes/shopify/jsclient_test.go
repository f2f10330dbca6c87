package shopify

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// Shopify's own Admin API client (@shopify/admin-api-client, pinned in
// testdata/jsclients) is the judge: testdata/jsclients/shopify.mjs runs a query, a
// mutation, introspection, a bulk query with polling, THROTTLED both ways and the REST
// client against a fake on the real clock, and prints what the client saw.
func TestOfficialJSClient(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Seed: 7, CatalogSize: 20, Webhooks: &recordingRegistry{}})
	require.NoError(t, err)
	url := fakehttptest.Start(t, s)
	batch, err := s.Store().GenerateOrders(4, nil)
	require.NoError(t, err)
	lines := 0
	for _, id := range batch.Orders {
		o, _ := s.Store().Order(id)
		lines += len(o.Lines)
	}

	raw := fakehttptest.Node(t, "shopify.mjs", map[string]string{
		"SHOPIFY_URL": url, "SHOPIFY_TOKEN": "shpat_js", "ORDER_GID": store.GID("Order", batch.Orders[0]),
	}, 90*time.Second)
	var got struct {
		APIURL string `json:"apiUrl"`
		Query  struct {
			Errors    any    `json:"errors"`
			Shop      string `json:"shop"`
			Orders    int    `json:"orders"`
			RequestID string `json:"requestId"`
			Version   string `json:"version"`
			Cost      struct {
				Requested int  `json:"requestedQueryCost"`
				Actual    *int `json:"actualQueryCost"`
				Throttle  struct {
					Max float64 `json:"maximumAvailable"`
				} `json:"throttleStatus"`
			} `json:"cost"`
		} `json:"query"`
		Mutation struct {
			Errors     any    `json:"errors"`
			Node       string `json:"node"`
			UserErrors []any  `json:"userErrors"`
			Requested  int    `json:"requested"`
		} `json:"mutation"`
		Introspection struct {
			Errors           any    `json:"errors"`
			QueryType        string `json:"queryType"`
			MutationType     string `json:"mutationType"`
			Types            int    `json:"types"`
			HasBulkOperation bool   `json:"hasBulkOperation"`
			OrderFields      bool   `json:"orderFields"`
		} `json:"introspection"`
		Bulk struct {
			UserErrors      []any  `json:"userErrors"`
			Created         string `json:"created"`
			Status          string `json:"status"`
			ObjectCount     string `json:"objectCount"`
			RootObjectCount string `json:"rootObjectCount"`
			Lines           int    `json:"lines"`
			Roots           int    `json:"roots"`
			Children        int    `json:"children"`
		} `json:"bulk"`
		Throttled200 struct {
			NetworkStatusCode int    `json:"networkStatusCode"`
			Code              string `json:"code"`
			ActualQueryCost   any    `json:"actualQueryCost"`
			HasData           bool   `json:"hasData"`
			Retries           int    `json:"retries"`
		} `json:"throttled200"`
		Throttled429 struct {
			Errors  any  `json:"errors"`
			OK      bool `json:"ok"`
			Retries []struct {
				Status int `json:"status"`
			} `json:"retries"`
		} `json:"throttled429"`
		REST struct {
			Status            int    `json:"status"`
			MyshopifyDomain   string `json:"myshopifyDomain"`
			CallLimit         string `json:"callLimit"`
			Products          int    `json:"products"`
			Link              string `json:"link"`
			ProductsCallLimit string `json:"productsCallLimit"`
		} `json:"rest"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &got), raw)

	assert.Equal(t, "https://"+url[len("http://"):]+"/admin/api/2026-10/graphql.json", got.APIURL, "the client's own URL, scheme swapped by customFetchApi only")
	assert.Nil(t, got.Query.Errors)
	assert.Equal(t, s.Store().Shop(), got.Query.Shop)
	assert.Equal(t, 4, got.Query.Orders)
	assert.Equal(t, "2026-10", got.Query.Version)
	assert.Regexp(t, `^[0-9a-f-]{36}$`, got.Query.RequestID)
	assert.Equal(t, 2+1+3*1, got.Query.Cost.Requested, "shop 1 + orders 2 + floor(2 ln 5) x 1")
	require.NotNil(t, got.Query.Cost.Actual)
	assert.Equal(t, 20000.0, got.Query.Cost.Throttle.Max)

	assert.Nil(t, got.Mutation.Errors)
	assert.Equal(t, store.GID("Order", batch.Orders[0]), got.Mutation.Node)
	assert.Empty(t, got.Mutation.UserErrors)
	assert.Equal(t, 10, got.Mutation.Requested)

	assert.Nil(t, got.Introspection.Errors)
	assert.Equal(t, "QueryRoot", got.Introspection.QueryType)
	assert.Equal(t, "Mutation", got.Introspection.MutationType)
	assert.Greater(t, got.Introspection.Types, 50)
	assert.True(t, got.Introspection.HasBulkOperation)
	assert.True(t, got.Introspection.OrderFields)

	assert.Empty(t, got.Bulk.UserErrors)
	assert.Equal(t, "CREATED", got.Bulk.Created)
	assert.Equal(t, "COMPLETED", got.Bulk.Status)
	assert.Equal(t, 4, got.Bulk.Roots)
	assert.Equal(t, lines, got.Bulk.Children, "one line per line item, with __parentId")
	assert.Equal(t, 4+lines, got.Bulk.Lines)
	assert.Equal(t, "4", got.Bulk.RootObjectCount)

	assert.Equal(t, 200, got.Throttled200.NetworkStatusCode, "THROTTLED is HTTP 200")
	assert.Equal(t, "THROTTLED", got.Throttled200.Code)
	assert.Nil(t, got.Throttled200.ActualQueryCost)
	assert.False(t, got.Throttled200.HasData)
	assert.Zero(t, got.Throttled200.Retries, "the client does not retry a 200")
	assert.Nil(t, got.Throttled429.Errors)
	assert.True(t, got.Throttled429.OK)
	require.NotEmpty(t, got.Throttled429.Retries, "with the 429 knob the client retries by itself")
	assert.Equal(t, 429, got.Throttled429.Retries[0].Status)

	assert.Equal(t, 200, got.REST.Status)
	assert.Equal(t, s.Store().Shop(), got.REST.MyshopifyDomain)
	assert.Equal(t, "1/400", got.REST.CallLimit)
	assert.Equal(t, 2, got.REST.Products)
	assert.Contains(t, got.REST.Link, `rel="next"`)
	assert.Contains(t, got.REST.Link, "page_info=")
	assert.Equal(t, "2/400", got.REST.ProductsCallLimit)
}
