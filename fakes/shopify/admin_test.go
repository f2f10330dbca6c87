package shopify

import (
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify/store"
)

func TestAdminGeneratesOrdersAndServesTheTruth(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	r := do(t, http.MethodPost, b.url+"/_fake/orders", `{"count": 5, "returning_share": 0, "line_items": "2"}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	var batch struct {
		Count        int     `json:"count"`
		NewCustomers int     `json:"new_customers"`
		Orders       []int64 `json:"orders"`
		FirstID      int64   `json:"first_id"`
		LastEvent    int64   `json:"last_event_seq"`
	}
	require.NoError(t, json.Unmarshal(r.body, &batch))
	assert.Equal(t, 5, batch.Count)
	assert.Equal(t, 5, batch.NewCustomers, "returning_share 0: every order makes a customer")
	require.Len(t, batch.Orders, 5)
	assert.Equal(t, batch.Orders[0], batch.FirstID)
	assert.Equal(t, int64(len(b.hooks.all())), batch.LastEvent)

	var truth struct {
		Orders []store.OrderTruth `json:"orders"`
		Total  int                `json:"total"`
		Next   int64              `json:"next_since_id"`
	}
	r = do(t, http.MethodGet, b.url+"/_fake/orders?limit=2", "")
	require.NoError(t, json.Unmarshal(r.body, &truth))
	assert.Equal(t, 5, truth.Total)
	require.Len(t, truth.Orders, 2)
	assert.Len(t, truth.Orders[0].Latest.Lines, 2)
	r = do(t, http.MethodGet, b.url+"/_fake/orders?since_id="+strconv.FormatInt(truth.Next, 10), "")
	require.NoError(t, json.Unmarshal(r.body, &truth))
	require.Len(t, truth.Orders, 3)
	assert.Equal(t, batch.Orders[2], truth.Orders[0].ID)

	r = do(t, http.MethodGet, b.url+"/_fake/orders/"+strconv.FormatInt(batch.Orders[0], 10), "")
	var one struct {
		Truth   store.OrderTruth `json:"truth"`
		Payload store.OrderJSON  `json:"payload"`
	}
	require.NoError(t, json.Unmarshal(r.body, &one))
	assert.Equal(t, batch.Orders[0], one.Payload.ID)
	assert.Equal(t, one.Truth.Latest.Total, one.Payload.TotalPrice)

	// An explicit order.
	sku := s.Store().Catalog().Items[0].SKU
	r = do(t, http.MethodPost, b.url+"/_fake/orders", `{"order": {"line_items": [{"sku": "`+sku+`", "quantity": 3}], "financial_status": "pending", "risk_level": "high"}}`)
	require.Equal(t, http.StatusCreated, r.status, string(r.body))
	var ch store.Change
	require.NoError(t, json.Unmarshal(r.body, &ch))
	require.Len(t, ch.Orders, 1)
	id := strconv.FormatInt(ch.Orders[0], 10)
	assert.Equal(t, ch.Events[0].EventID, ch.Events[1].EventID)

	for _, step := range []struct{ path, body, topic string }{
		{"/pay", ``, store.TopicOrdersPaid},
		{"/tags", `{"add": ["held"]}`, store.TopicOrdersUpdated},
		{"/edit", `{"add": [{"sku": "` + sku + `", "quantity": 1}]}`, store.TopicOrdersUpdated},
		{"/cancel", `{"reason": "fraud"}`, store.TopicOrdersCancelled},
	} {
		r := do(t, http.MethodPost, b.url+"/_fake/orders/"+id+step.path, step.body)
		require.Equal(t, http.StatusOK, r.status, step.path+": "+string(r.body))
		var ch store.Change
		require.NoError(t, json.Unmarshal(r.body, &ch))
		assert.Equal(t, step.topic, ch.Events[0].Topic, step.path)
	}
	r = do(t, http.MethodPost, b.url+"/_fake/orders/"+id+"/cancel", ``)
	assert.Equal(t, http.StatusConflict, r.status, "a cancelled order cannot be cancelled again")
	r = do(t, http.MethodGet, b.url+"/_fake/orders/"+id, "")
	require.NoError(t, json.Unmarshal(r.body, &one))
	assert.Len(t, one.Truth.Versions, 5)
	assert.Equal(t, []string{"held"}, one.Truth.Tags)
	assert.Equal(t, "HIGH", one.Truth.RiskLevel)
}

func TestAdminEventsCustomersInventory(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	_, err := s.Store().GenerateOrders(3, nil)
	require.NoError(t, err)
	var ev struct {
		Events []store.EventRecord `json:"events"`
		Total  int64               `json:"total"`
	}
	r := do(t, http.MethodGet, b.url+"/_fake/events?since=2&limit=3", "")
	require.NoError(t, json.Unmarshal(r.body, &ev))
	require.Len(t, ev.Events, 3)
	assert.Equal(t, int64(3), ev.Events[0].Seq)
	assert.Equal(t, int64(len(b.hooks.all())), ev.Total)
	hooks := b.hooks.all()
	assert.Equal(t, store.PayloadHash(hooks[2].Payload), ev.Events[0].PayloadHash, "the hash identifies what was published")

	cid := strconv.FormatInt(706405506900000000+6007*2, 10)
	r = do(t, http.MethodPost, b.url+"/_fake/customers/"+cid, `{"first_name": "Grace", "tags": ["vip"]}`)
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), store.TopicCustomersUpdate)
	c, _ := s.Store().Customer(706405506900000000 + 6007*2)
	assert.Equal(t, "Grace", c.FirstName)

	sku := s.Store().Catalog().Items[5].SKU
	r = do(t, http.MethodPost, b.url+"/_fake/inventory", `{"sku": "`+sku+`", "set": 77}`)
	require.Equal(t, 200, r.status, string(r.body))
	r = do(t, http.MethodPost, b.url+"/_fake/inventory", `{"sku": "`+sku+`", "adjust": -7, "name": "on_hand"}`)
	require.Equal(t, 200, r.status, string(r.body))
	v, _ := s.Store().VariantBySKU(sku)
	assert.Equal(t, 70, v.Levels[0].Available)
	var stock struct {
		Levels []store.StockTruth `json:"levels"`
	}
	r = do(t, http.MethodGet, b.url+"/_fake/inventory", "")
	require.NoError(t, json.Unmarshal(r.body, &stock))
	assert.Len(t, stock.Levels, 200*2)
	assert.Equal(t, 70, stock.Levels[10].Available)
	assert.Empty(t, s.Ledger().Effects(""), "merchant actions are not the integrator's: the ledger stays empty")
}

func TestAdminRefusesBadInput(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{})
	for _, c := range []struct {
		method, path, body string
		status             int
		msg                string
	}{
		{"POST", "/_fake/orders", `{}`, 400, `give`},
		{"POST", "/_fake/orders", `{"count": 0}`, 400, "count 0"},
		{"POST", "/_fake/orders", `{"count": 1, "order": {}}`, 400, "not both"},
		{"POST", "/_fake/orders", `{"count": 1, "returning_share": 2}`, 400, "returning_share"},
		{"POST", "/_fake/orders", `{"count": 1, "line_items": "0:1"}`, 400, "line items"},
		{"POST", "/_fake/orders", `{"count": 1, "colour": "red"}`, 400, "unknown field"},
		{"POST", "/_fake/orders", `{"order": {"line_items": [{"sku": "NOPE", "quantity": 1}]}}`, 404, "unknown SKU"},
		{"POST", "/_fake/orders", `{"order": {"line_items": []}}`, 422, "line_items"},
		{"POST", "/_fake/orders", `not json`, 400, "invalid character"},
		{"POST", "/_fake/orders/abc/pay", ``, 400, "numeric id"},
		{"POST", "/_fake/orders/42/pay", ``, 404, "not found"},
		{"POST", "/_fake/orders/42/edit", `{}`, 404, "not found"},
		{"POST", "/_fake/orders/42/tags", `{"tags": 5}`, 400, "cannot unmarshal"},
		{"POST", "/_fake/customers/42", `{"email": "x"}`, 422, "e-mail"},
		{"POST", "/_fake/inventory", `{"set": 1}`, 400, "sku"},
		{"POST", "/_fake/inventory", `{"sku": "X", "set": 1, "adjust": 1}`, 400, "exactly one"},
		{"POST", "/_fake/inventory", `{"sku": "X", "set": 1}`, 404, "unknown SKU"},
		{"GET", "/_fake/orders?limit=x", ``, 400, "limit"},
		{"GET", "/_fake/orders?limit=100000", ``, 400, "limit"},
		{"GET", "/_fake/events?since=-1", ``, 400, "since"},
		{"GET", "/_fake/orders/9", ``, 404, "not found"},
	} {
		r := do(t, c.method, b.url+c.path, c.body)
		assert.Equal(t, c.status, r.status, c.path+" "+c.body+": "+string(r.body))
		assert.Contains(t, string(r.body), c.msg, c.path+" "+c.body)
		assert.Contains(t, string(r.body), `"error"`, c.path)
	}
}

func TestResetRestoresTheShopAndTheBuckets(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "standard"})
	_, err := s.Store().GenerateOrders(5, nil)
	require.NoError(t, err)
	gqlq(t, b, `{ orders(first: 5) { nodes { id } } }`, nil)
	restGet(t, b, "locations.json")
	gqlq(t, b, `mutation($id: ID!) { tagsAdd(id: $id, tags: ["x"]) { userErrors { message } } }`, map[string]any{"id": store.GID("Order", s.Store().OrderIDs()[0])})
	require.NotEmpty(t, s.Ledger().Effects(""))
	r := do(t, http.MethodPost, b.url+"/_fake/reset", "")
	require.Equal(t, 200, r.status)
	assert.Zero(t, s.Store().OrderCount())
	assert.Equal(t, 2000, testApp(s).cost.Status().CurrentlyAvailable)
	assert.Equal(t, 0, testApp(s).rest.Level().Used)
	assert.Empty(t, s.Ledger().Effects(""))
	assert.Equal(t, 1, b.hooks.resets)
	assert.Equal(t, int64(0), s.Stats().Requests)
}

// Faults apply to the API, after authentication and admission, rendered the Shopify way.
func TestFaultsRenderShopifyErrors(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	r := do(t, http.MethodPut, b.url+"/_fake/faults", `{"faults":[{"fault":"error","params":{"status":"503"},"path":"/admin/api/2026-10/graphql.json"},{"fault":"error","params":{"status":"429","retry_after":"3s"},"path":"/admin/api/2026-10/orders"}]}`)
	require.Equal(t, 200, r.status, string(r.body))
	g := gqlq(t, b, `{ shop { name } }`, nil)
	assert.Equal(t, 503, g.status)
	assert.Equal(t, `{"errors":"Service Unavailable"}`, string(g.body))
	assert.Equal(t, 19999, testApp(s).cost.Status().CurrentlyAvailable, "the query was charged before the fault answered")
	x := restGet(t, b, "orders.json")
	assert.Equal(t, 429, x.status)
	assert.Equal(t, "3.0", x.header.Get("Retry-After"))
	assert.Contains(t, string(x.body), "Exceeded 2 calls per second")
	assert.Equal(t, "1/400", x.header.Get("X-Shopify-Shop-Api-Call-Limit"), "the call-limit header is set before the fault")
	un := do(t, http.MethodPost, b.url+"/admin/api/2026-10/graphql.json", gqlBody(t, `{ shop { name } }`, nil))
	assert.Equal(t, 401, un.status, "authentication comes before faults")
	assert.Equal(t, map[string]int64{"error": 2}, s.Stats().FaultsInjected)
}

func TestSharedLedgerRecordsSubscriptionChangesOnce(t *testing.T) {
	t.Parallel()
	s, err := New(Options{Ledger: ledger.New(clock.NewManual(epoch), 0)})
	require.NoError(t, err)
	url := fakehttptest.Start(t, s)
	b := &testBundle{url: url}
	gqlq(t, b, `mutation { webhookSubscriptionCreate(topic: ORDERS_PAID, webhookSubscription: {callbackUrl: "https://x.example/h"}) { userErrors { message } } }`, nil)
	effects := s.Ledger().Effects(recordSubscription)
	require.Len(t, effects, 1)
	assert.Equal(t, ledger.Created, effects[0].Action)
	assert.True(t, strings.Contains(string(effects[0].Detail), "https://x.example/h"))
}
