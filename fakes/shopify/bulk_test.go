package shopify

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const runBulk = `mutation($q: String!) { bulkOperationRunQuery(query: $q) {
	bulkOperation { id status objectCount rootObjectCount url createdAt }
	userErrors { field message code } } }`

const pollBulk = `{ currentBulkOperation { id status errorCode objectCount rootObjectCount fileSize url partialDataUrl completedAt type query } }`

type bulkOpJSON struct {
	ID              string  `json:"id"`
	Status          string  `json:"status"`
	ErrorCode       *string `json:"errorCode"`
	ObjectCount     string  `json:"objectCount"`
	RootObjectCount string  `json:"rootObjectCount"`
	FileSize        *string `json:"fileSize"`
	URL             *string `json:"url"`
	PartialDataURL  *string `json:"partialDataUrl"`
	CompletedAt     *string `json:"completedAt"`
	Type            string  `json:"type"`
	Query           string  `json:"query"`
}

type bulkUserError struct {
	Field   []string `json:"field"`
	Message string   `json:"message"`
	Code    string   `json:"code"`
}

func startBulk(t *testing.T, b *testBundle, tok, q string) (bulkOpJSON, []bulkUserError) {
	t.Helper()
	r := do(t, http.MethodPost, b.url+"/admin/api/2026-10/graphql.json", gqlBody(t, runBulk, map[string]any{"q": q}),
		"X-Shopify-Access-Token", tok, "Content-Type", "application/json")
	var env struct {
		BulkOperationRunQuery struct {
			BulkOperation *bulkOpJSON     `json:"bulkOperation"`
			UserErrors    []bulkUserError `json:"userErrors"`
		} `json:"bulkOperationRunQuery"`
	}
	require.NoError(t, json.Unmarshal(mustData(t, r), &env))
	var op bulkOpJSON
	if env.BulkOperationRunQuery.BulkOperation != nil {
		op = *env.BulkOperationRunQuery.BulkOperation
	}
	return op, env.BulkOperationRunQuery.UserErrors
}

func pollCurrent(t *testing.T, b *testBundle, tok string) bulkOpJSON {
	t.Helper()
	r := do(t, http.MethodPost, b.url+"/admin/api/2026-10/graphql.json", gqlBody(t, pollBulk, nil),
		"X-Shopify-Access-Token", tok, "Content-Type", "application/json")
	var env struct {
		Current *bulkOpJSON `json:"currentBulkOperation"`
	}
	require.NoError(t, json.Unmarshal(mustData(t, r), &env))
	require.NotNil(t, env.Current)
	return *env.Current
}

func jsonlLines(t *testing.T, body []byte) []map[string]any {
	t.Helper()
	var out []map[string]any
	sc := bufio.NewScanner(bytes.NewReader(body))
	sc.Buffer(nil, 1<<20)
	for sc.Scan() {
		var m map[string]any
		require.NoError(t, json.Unmarshal(sc.Bytes(), &m), sc.Text())
		out = append(out, m)
	}
	return out
}

func bulkFinishEvents(b *testBundle) []map[string]any {
	var out []map[string]any
	for _, e := range b.hooks.all() {
		if e.Topic == "bulk_operations/finish" {
			var m map[string]any
			_ = json.Unmarshal(e.Payload, &m)
			out = append(out, m)
		}
	}
	return out
}

// The missed-webhook poller's shape: orders updated since a time, exported over platform
// time at the configured rate, served as JSONL, announced by bulk_operations/finish.
func TestBulkOrdersUpdatedSince(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{BulkRowsPerSecond: 10})
	_, err := s.Store().GenerateOrders(30, nil)
	require.NoError(t, err)
	since := s.Store().RESTTime(epoch.Add(-time.Hour))
	q := `{ orders(query: "updated_at:>'` + since + `'", sortKey: UPDATED_AT) { edges { node { id name updatedAt displayFinancialStatus } } } }`
	r := do(t, http.MethodPost, b.url+"/admin/api/2026-10/graphql.json", gqlBody(t, runBulk, map[string]any{"q": q}),
		"X-Shopify-Access-Token", token, "Content-Type", "application/json")
	assert.Equal(t, int64(10), costOf(t, r).Requested, "bulkOperationRunQuery is a mutation: 10")
	assert.JSONEq(t, `{"bulkOperationRunQuery":{"bulkOperation":{"id":"gid://shopify/BulkOperation/1","status":"CREATED","objectCount":"0",
		"rootObjectCount":"0","url":null,"createdAt":"2026-11-27T09:00:00Z"},"userErrors":[]}}`, string(mustData(t, r)))
	require.Equal(t, "OPERATION_IN_PROGRESS", errs2code(t, b, q), "one bulk query per app at a time")

	ops := s.bulk
	ops.mu.Lock()
	first := ops.ops[0]
	ops.mu.Unlock()
	assert.Equal(t, 30, len(first.ends))
	cur := pollCurrent(t, b, token)
	assert.Equal(t, first.gid(), cur.ID)
	assert.Equal(t, "CREATED", cur.Status)
	assert.Equal(t, "QUERY", cur.Type)
	assert.Equal(t, q, cur.Query)
	b.clock.Advance(time.Second)
	cur = pollCurrent(t, b, token)
	assert.Equal(t, "RUNNING", cur.Status)
	assert.Equal(t, "10", cur.ObjectCount)
	assert.Nil(t, cur.URL)
	b.clock.Advance(2 * time.Second)
	cur = pollCurrent(t, b, token)
	require.Equal(t, "COMPLETED", cur.Status)
	assert.Equal(t, "30", cur.ObjectCount)
	assert.Equal(t, "30", cur.RootObjectCount)
	require.NotNil(t, cur.URL)
	require.NotNil(t, cur.CompletedAt)
	assert.Equal(t, epoch.Add(3*time.Second).Format(time.RFC3339), *cur.CompletedAt)
	assert.True(t, strings.HasPrefix(*cur.URL, b.url+"/_fake/bulk/"), *cur.URL)

	file := do(t, http.MethodGet, *cur.URL, "")
	require.Equal(t, 200, file.status)
	assert.Equal(t, *cur.FileSize, strconv.Itoa(len(file.body)))
	lines := jsonlLines(t, file.body)
	require.Len(t, lines, 30)
	prev := ""
	for _, l := range lines {
		assert.Contains(t, l["id"], "gid://shopify/Order/")
		assert.NotContains(t, l, "__parentId")
		assert.GreaterOrEqual(t, l["updatedAt"].(string), prev, "sorted by UPDATED_AT")
		prev = l["updatedAt"].(string)
	}

	require.Eventually(t, func() bool { return len(bulkFinishEvents(b)) == 1 }, 5*time.Second, 5*time.Millisecond)
	ev := bulkFinishEvents(b)[0]
	assert.Equal(t, map[string]any{"admin_graphql_api_id": first.gid(), "completed_at": s.Store().RESTTime(epoch.Add(3 * time.Second)),
		"created_at": s.Store().RESTTime(epoch), "error_code": nil, "status": "completed", "type": "query"}, ev)

	// Done: a new one may start; the old one is still there by id, and as a node.
	_, errs := startBulk(t, b, token, q)
	require.Empty(t, errs)
	r = gqlq(t, b, `query($id: ID!) { bulkOperation(id: $id) { status } node(id: $id) { ... on BulkOperation { objectCount } } }`, map[string]any{"id": first.gid()})
	assert.JSONEq(t, `{"bulkOperation":{"status":"COMPLETED"},"node":{"objectCount":"30"}}`, string(mustData(t, r)))

	// Results expire after seven days.
	b.clock.Advance(7 * 24 * time.Hour)
	r = gqlq(t, b, `query($id: ID!) { bulkOperation(id: $id) { status url } }`, map[string]any{"id": first.gid()})
	assert.JSONEq(t, `{"bulkOperation":{"status":"EXPIRED","url":null}}`, string(mustData(t, r)))
	assert.Equal(t, 403, do(t, http.MethodGet, *cur.URL, "").status)
}

func errs2code(t *testing.T, b *testBundle, q string) string {
	t.Helper()
	_, errs := startBulk(t, b, token, q)
	require.Len(t, errs, 1)
	assert.Contains(t, errs[0].Message, "A bulk query operation for this app and shop is already in progress: gid://shopify/BulkOperation/1")
	return errs[0].Code
}

// The nightly stock overwrite's shape: every inventory item with its levels, the levels
// on lines of their own with __parentId, after their item.
func TestBulkInventoryLevelsWithParentIDs(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{CatalogSize: 5, Locations: 2, BulkRowsPerSecond: 1e6})
	q := `{ inventoryItems { edges { node { id sku inventoryLevels { edges { node { id
		quantities(names: ["available", "on_hand"]) { name quantity } location { id } } } } } } } }`
	_, errs := startBulk(t, b, token, q)
	require.Empty(t, errs)
	b.clock.Advance(time.Second)
	cur := pollCurrent(t, b, token)
	require.Equal(t, "COMPLETED", cur.Status)
	assert.Equal(t, "15", cur.ObjectCount, "5 items + 10 levels")
	assert.Equal(t, "5", cur.RootObjectCount)
	lines := jsonlLines(t, do(t, http.MethodGet, *cur.URL, "").body)
	require.Len(t, lines, 15)
	stock := s.Store().Stock()
	var item string
	levels := 0
	for i, l := range lines {
		id := l["id"].(string)
		if strings.HasPrefix(id, "gid://shopify/InventoryItem/") {
			assert.NotContains(t, l, "__parentId")
			assert.NotContains(t, l, "inventoryLevels", "nested connections leave the parent's line")
			item = id
			continue
		}
		levels++
		assert.Equal(t, item, l["__parentId"], "line %d follows its item", i)
		assert.Len(t, l["quantities"], 2)
		assert.Contains(t, l["location"].(map[string]any)["id"], "gid://shopify/Location/")
	}
	assert.Equal(t, 10, levels)
	assert.Len(t, stock, 10)
}

// The rules a bulk query must meet, each a userError with code INVALID on field query.
func TestBulkQueryValidation(t *testing.T) {
	t.Parallel()
	_, b := setup(t, Options{})
	for q, msg := range map[string]string{
		`{ shop { name } }`:                            "at least one connection",
		`{ node(id: "gid://shopify/Order/1") { id } }`: "top-level `node` and `nodes`",
		`{ orders { nodes { nope } } }`:                "Invalid bulk query: Cannot query field",
		`{ a: orders { nodes { id } } b: orders { nodes { id } } c: orders { nodes { id } } d: orders { nodes { id } } e: orders { nodes { id } } f: orders { nodes { id } } }`: "more than 5 connections",
		`{ customers { nodes { id orders { nodes { id lineItems { nodes { id } } } } } } }`:                                                                                     "nesting depth greater than 2",
		`{ orders { nodes { name lineItems { nodes { id } } } } }`:                                                                                                              "must select the 'id' field",
		`mutation { tagsAdd(id: "x", tags: ["a"]) { userErrors { message } } }`:                                                                                                 "not a mutation",
		`query($n: Int) { orders(first: $n) { nodes { id } } }`:                                                                                                                 "variables",
	} {
		op, errs := startBulk(t, b, token, q)
		require.Len(t, errs, 1, q)
		assert.Contains(t, errs[0].Message, msg, q)
		assert.Equal(t, "INVALID", errs[0].Code, q)
		assert.Equal(t, []string{"query"}, errs[0].Field, q)
		assert.Empty(t, op.ID)
	}
	r := gqlq(t, b, `{ currentBulkOperation { id } }`, nil)
	assert.JSONEq(t, `{"currentBulkOperation":null}`, string(mustData(t, r)), "nothing was created")
}

// One running bulk query per app: another app runs its own at the same time and sees only
// its own operations.
func TestBulkConcurrencyIsPerApp(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{BulkRowsPerSecond: 1, Apps: []App{{Name: "erp", Token: "te"}, {Name: "crm", Token: "tc"}}})
	_, err := s.Store().GenerateOrders(5, nil)
	require.NoError(t, err)
	q := `{ orders { nodes { id } } }`
	a, errs := startBulk(t, b, "te", q)
	require.Empty(t, errs)
	_, errs = startBulk(t, b, "te", q)
	require.Len(t, errs, 1)
	assert.Equal(t, "OPERATION_IN_PROGRESS", errs[0].Code)
	assert.Nil(t, errs[0].Field)
	c, errs := startBulk(t, b, "tc", q)
	require.Empty(t, errs, "the other app has its own slot")
	assert.NotEqual(t, a.ID, c.ID)
	r := do(t, http.MethodPost, b.url+"/admin/api/2026-10/graphql.json", gqlBody(t, `query($id: ID!) { bulkOperation(id: $id) { id } }`, map[string]any{"id": a.ID}),
		"X-Shopify-Access-Token", "tc", "Content-Type", "application/json")
	assert.JSONEq(t, `{"bulkOperation":null}`, string(mustData(t, r)), "another app's operation is not found")

	s2, b2 := setup(t, Options{BulkConcurrency: 2, BulkRowsPerSecond: 1})
	_, err = s2.Store().GenerateOrders(5, nil)
	require.NoError(t, err)
	for i := 0; i < 2; i++ {
		_, errs = startBulk(t, b2, token, q)
		require.Empty(t, errs)
	}
	_, errs = startBulk(t, b2, token, q)
	require.Len(t, errs, 1, "the knob allows two")
}

func TestBulkCancel(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{BulkRowsPerSecond: 2})
	_, err := s.Store().GenerateOrders(10, nil)
	require.NoError(t, err)
	op, errs := startBulk(t, b, token, `{ orders { nodes { id } } }`)
	require.Empty(t, errs)
	b.clock.Advance(2 * time.Second)
	cancel := `mutation($id: ID!) { bulkOperationCancel(id: $id) { bulkOperation { status objectCount } userErrors { field message } } }`
	r := gqlq(t, b, cancel, map[string]any{"id": op.ID})
	assert.JSONEq(t, `{"bulkOperationCancel":{"bulkOperation":{"status":"CANCELING","objectCount":"4"},"userErrors":[]}}`, string(mustData(t, r)))
	b.clock.Advance(time.Millisecond)
	cur := pollCurrent(t, b, token)
	assert.Equal(t, "CANCELED", cur.Status)
	assert.Equal(t, "4", cur.ObjectCount)
	assert.Nil(t, cur.URL)
	require.Eventually(t, func() bool { return len(bulkFinishEvents(b)) == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, "canceled", bulkFinishEvents(b)[0]["status"])
	r = gqlq(t, b, cancel, map[string]any{"id": op.ID})
	assert.Contains(t, string(mustData(t, r)), `"message":"A bulk operation cannot be canceled when it is canceled"`)
	r = gqlq(t, b, cancel, map[string]any{"id": "gid://shopify/BulkOperation/99"})
	assert.Contains(t, string(mustData(t, r)), `{"field":["id"],"message":"Bulk operation does not exist"}`)
	_, errs = startBulk(t, b, token, `{ orders { nodes { id } } }`)
	assert.Empty(t, errs, "a canceled operation frees the slot")
}

// A failure keeps what was exported as partialDataUrl; the 10-day limit fails with TIMEOUT.
func TestBulkFailureAndTimeout(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{BulkRowsPerSecond: 2})
	_, err := s.Store().GenerateOrders(10, nil)
	require.NoError(t, err)
	op, errs := startBulk(t, b, token, `{ orders { nodes { id } } }`)
	require.Empty(t, errs)
	b.clock.Advance(1500 * time.Millisecond)
	r := do(t, http.MethodPost, b.url+"/_fake/bulk/fail", `{"id":"`+op.ID+`","error_code":"INTERNAL_SERVER_ERROR"}`)
	require.Equal(t, 200, r.status, string(r.body))
	cur := pollCurrent(t, b, token)
	assert.Equal(t, "FAILED", cur.Status)
	require.NotNil(t, cur.ErrorCode)
	assert.Equal(t, "INTERNAL_SERVER_ERROR", *cur.ErrorCode)
	assert.Nil(t, cur.URL)
	assert.Nil(t, cur.CompletedAt)
	require.NotNil(t, cur.PartialDataURL)
	assert.Len(t, jsonlLines(t, do(t, http.MethodGet, *cur.PartialDataURL, "").body), 3)
	require.Eventually(t, func() bool { return len(bulkFinishEvents(b)) == 1 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, "failed", bulkFinishEvents(b)[0]["status"])
	assert.Equal(t, "internal_server_error", bulkFinishEvents(b)[0]["error_code"])
	assert.Equal(t, 409, do(t, http.MethodPost, b.url+"/_fake/bulk/fail", `{"id":"`+op.ID+`"}`).status)
	assert.Equal(t, 400, do(t, http.MethodPost, b.url+"/_fake/bulk/fail", `{"id":"`+op.ID+`","error_code":"OOPS"}`).status)

	s2, b2 := setup(t, Options{BulkRowsPerSecond: 1, BulkTimeout: 4 * time.Second})
	_, err = s2.Store().GenerateOrders(10, nil)
	require.NoError(t, err)
	_, errs = startBulk(t, b2, token, `{ orders { nodes { id } } }`)
	require.Empty(t, errs)
	b2.clock.Advance(3 * time.Second)
	assert.Equal(t, "RUNNING", pollCurrent(t, b2, token).Status)
	b2.clock.Advance(time.Second)
	cur = pollCurrent(t, b2, token)
	assert.Equal(t, "FAILED", cur.Status)
	assert.Equal(t, "TIMEOUT", *cur.ErrorCode)
	assert.Equal(t, "4", cur.ObjectCount)
}

// Reset forgets bulk operations; a result URL with a wrong token is not found.
func TestBulkResetAndUnknownFiles(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	_, err := s.Store().GenerateOrders(2, nil)
	require.NoError(t, err)
	_, errs := startBulk(t, b, token, `{ orders { nodes { id } } }`)
	require.Empty(t, errs)
	assert.Equal(t, 404, do(t, http.MethodGet, b.url+"/_fake/bulk/1-0000.jsonl", "").status)
	r := do(t, http.MethodGet, b.url+"/_fake/bulk", "")
	assert.Contains(t, string(r.body), `"total_objects":2`)
	s.Reset()
	r = gqlq(t, b, `{ currentBulkOperation { id } }`, nil)
	assert.JSONEq(t, `{"currentBulkOperation":null}`, string(mustData(t, r)))
}

// A bulk query's updated_at:>= filter keeps only the orders updated at or after it (the
// missed-webhook poller's bulk listing).
func TestBulkOrdersFilteredByUpdatedAtOrAfter(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{})
	_, err := s.Store().GenerateOrders(4, nil)
	require.NoError(t, err)
	b.clock.Advance(time.Hour)
	later, err := s.Store().GenerateOrders(3, nil)
	require.NoError(t, err)
	q := `{ orders(query: "updated_at:>='` + epoch.Add(time.Hour).Format(time.RFC3339) + `'") { edges { node { id updatedAt } } } }`
	_, errs := startBulk(t, b, token, q)
	require.Empty(t, errs)
	b.clock.Advance(time.Minute)
	cur := pollCurrent(t, b, token)
	require.Equal(t, "COMPLETED", cur.Status)
	require.NotNil(t, cur.URL)
	var got []string
	for _, l := range jsonlLines(t, do(t, http.MethodGet, *cur.URL, "").body) {
		got = append(got, l["id"].(string))
	}
	var want []string
	for _, o := range later.Orders {
		want = append(want, "gid://shopify/Order/"+strconv.FormatInt(o, 10))
	}
	assert.ElementsMatch(t, want, got, "only the orders updated at or after the bound, the bound's second included")
}
