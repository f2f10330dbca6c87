package netsuite

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCollectionPaging(t *testing.T) {
	t.Parallel()
	_, b := setup(t) // 20 catalog items
	r := b.do(t, http.MethodGet, itemPath+"?limit=7&offset=7", nil)
	require.Equal(t, http.StatusOK, r.status)
	p := r.json(t)
	assert.Equal(t, 7.0, p["count"])
	assert.Equal(t, true, p["hasMore"])
	assert.Equal(t, 7.0, p["offset"])
	assert.Equal(t, 20.0, p["totalResults"])
	items := p["items"].([]any)
	require.Len(t, items, 7)
	first := items[0].(map[string]any)
	assert.Equal(t, "1008", first["id"])
	assert.Equal(t, []any{map[string]any{"rel": "self", "href": b.url + itemPath + "/1008"}}, first["links"])
	rels := map[string]string{}
	for _, l := range p["links"].([]any) {
		m := l.(map[string]any)
		rels[m["rel"].(string)] = m["href"].(string)
	}
	assert.Equal(t, b.url+itemPath+"?limit=7&offset=14", rels["next"])
	assert.Equal(t, b.url+itemPath+"?limit=7&offset=0", rels["prev"])
	assert.Equal(t, b.url+itemPath+"?limit=7&offset=14", rels["last"])
	assert.Equal(t, b.url+itemPath+"?limit=7&offset=7", rels["self"])

	last := b.do(t, http.MethodGet, itemPath+"?limit=7&offset=14", nil).json(t)
	assert.Equal(t, 6.0, last["count"])
	assert.Equal(t, false, last["hasMore"])

	all := b.do(t, http.MethodGet, itemPath, nil).json(t)
	assert.Equal(t, 20.0, all["count"], "default page size is 1000")

	empty := b.do(t, http.MethodGet, soPath, nil).json(t)
	assert.Equal(t, 0.0, empty["totalResults"])
	assert.Equal(t, []any{}, empty["items"])

	for _, bad := range []string{"?limit=0", "?limit=1001", "?limit=x", "?offset=-1"} {
		r := b.do(t, http.MethodGet, itemPath+bad, nil)
		require.Equal(t, http.StatusBadRequest, r.status, bad)
		e := r.errorBody(t)
		assert.Equal(t, CodeInvalidParameter, e.Details[0].Code)
		assert.NotEmpty(t, e.Details[0].QueryParam)
	}
}

func TestCollectionQueryFilters(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	sku, id := b.sku(3)
	r := b.do(t, http.MethodGet, itemPath+"?q="+url.QueryEscape(`itemId IS "`+sku+`"`), nil)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	p := r.json(t)
	require.Equal(t, 1.0, p["totalResults"])
	assert.Equal(t, id, p["items"].([]any)[0].(map[string]any)["id"])

	body := b.orderBody("5001", 1)
	body["externalId"] = "5001"
	b.createOrder(t, body)
	b.createOrder(t, b.orderBody("5002", 1))
	p = b.do(t, http.MethodGet, soPath+"?q="+url.QueryEscape(`externalId IS "5001"`), nil).json(t)
	assert.Equal(t, 1.0, p["totalResults"])
	p = b.do(t, http.MethodGet, soPath+"?q="+url.QueryEscape(`custbody_shopify_order_id IS "5002"`), nil).json(t)
	assert.Equal(t, 1.0, p["totalResults"])

	for _, bad := range []string{`itemId IS`, `color IS "red"`, `itemId AFTER "2026-11-27"`, `itemId IS "a" OR itemId IS "b"`} {
		r := b.do(t, http.MethodGet, itemPath+"?q="+url.QueryEscape(bad), nil)
		require.Equal(t, http.StatusBadRequest, r.status, bad)
		e := r.errorBody(t)
		assert.Equal(t, CodeInvalidParameter, e.Details[0].Code)
		assert.Equal(t, "q", e.Details[0].QueryParam)
		assert.Contains(t, e.Details[0].Detail, "Invalid search query")
	}
}

// TestPollingByLastModifiedDate shows the polling pattern the fake supports: remember the
// newest lastModifiedDate seen, ask ON_OR_AFTER it, drop what was already seen.
func TestPollingByLastModifiedDate(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	a := b.createOrder(t, b.orderBody("5001", 1))
	b.clock.Advance(10 * time.Second)
	cursor := b.clock.Now()
	c := b.createOrder(t, b.orderBody("5002", 1))
	b.clock.Advance(10 * time.Second)
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodPatch, soPath+"/"+a, map[string]any{"memo": "touched"}).status)

	q := `lastModifiedDate ON_OR_AFTER "` + cursor.Format(time.RFC3339) + `"`
	p := b.do(t, http.MethodGet, soPath+"?q="+url.QueryEscape(q), nil).json(t)
	var ids []string
	for _, it := range p["items"].([]any) {
		ids = append(ids, it.(map[string]any)["id"].(string))
	}
	assert.Equal(t, []string{a, c}, ids, "the touched order and the new one, in id order")

	q = `lastModifiedDate AFTER "` + cursor.Format(time.RFC3339) + `"`
	p = b.do(t, http.MethodGet, soPath+"?q="+url.QueryEscape(q), nil).json(t)
	assert.Equal(t, 1.0, p["totalResults"], "AFTER excludes records modified in the cursor's second")
}
