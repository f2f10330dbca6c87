package netsuite

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
)

func (b *bundle) suiteql(t *testing.T, q, params string) response {
	t.Helper()
	return b.doHeaders(t, http.MethodPost, suiteqlPath+params, map[string]string{"q": q}, map[string]string{"Prefer": "transient"})
}

type suiteqlResult struct {
	Links        []link           `json:"links"`
	Count        int              `json:"count"`
	HasMore      bool             `json:"hasMore"`
	Items        []map[string]any `json:"items"`
	Offset       int              `json:"offset"`
	TotalResults int              `json:"totalResults"`
}

func (r response) suiteql(t *testing.T) suiteqlResult {
	t.Helper()
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var out suiteqlResult
	require.NoError(t, json.Unmarshal(r.body, &out))
	return out
}

func TestSuiteQLStockByLocation(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	sku, _ := b.sku(0)
	b.createOrder(t, b.orderBody("5001", 3))

	res := b.suiteql(t, `
		SELECT item.itemid AS sku, loc.name AS location, il.quantityonhand, il.quantityavailable
		FROM item
		JOIN inventoryItemLocations il ON il.item = item.id
		INNER JOIN location loc ON loc.id = il.location
		WHERE item.itemid = '`+sku+`' AND il.location = 1`, "").suiteql(t)
	require.Equal(t, 1, res.Count)
	row := res.Items[0]
	assert.Equal(t, sku, row["sku"])
	assert.Equal(t, "Main Warehouse", row["location"])
	onHand := row["quantityonhand"].(string)
	avail := row["quantityavailable"].(string)
	assert.NotEqual(t, onHand, avail, "the open order commits 3")
	assert.Equal(t, []any{}, row["links"])

	// Paging: limit/offset with links, hasMore, totalResults.
	page := b.suiteql(t, "SELECT id, itemid FROM item ORDER BY id DESC", "?limit=5&offset=5").suiteql(t)
	assert.Equal(t, 5, page.Count)
	assert.Equal(t, 20, page.TotalResults)
	assert.True(t, page.HasMore)
	assert.Equal(t, "1015", page.Items[0]["id"])
	rels := map[string]string{}
	for _, l := range page.Links {
		rels[l.Rel] = l.Href
	}
	assert.Equal(t, b.url+suiteqlPath+"?limit=5&offset=10", rels["next"])
	assert.Equal(t, b.url+suiteqlPath+"?limit=5&offset=0", rels["prev"])

	agg := b.suiteql(t, "SELECT item, location, quantityavailable, lastquantityavailablechange FROM aggregateItemLocation WHERE quantityonhand BETWEEN 0 AND 1000000 AND location IN (1, 2)", "").suiteql(t)
	assert.Equal(t, 40, agg.TotalResults, "20 items in 2 locations")
}

func TestSuiteQLSalesOrdersByDate(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	b.createOrder(t, b.orderBody("5001", 1))
	b.clock.Advance(26 * time.Hour)
	body := b.orderBody("5002", 2)
	body["externalId"] = "5002"
	b.createOrder(t, body)

	res := b.suiteql(t, `SELECT t.id, t.tranid, t.externalid, t.trandate, TO_CHAR(t.lastmodifieddate, 'YYYY-MM-DD HH24:MI:SS') AS modified,
		tl.item, tl.quantity
		FROM transaction t JOIN transactionLine tl ON tl.transaction = t.id
		WHERE t.type = 'SalesOrd' AND tl.mainline = 'F'
		  AND t.lastmodifieddate >= TO_DATE('2026-11-28', 'YYYY-MM-DD')
		ORDER BY t.id`, "").suiteql(t)
	require.Equal(t, 1, res.Count, "%+v", res.Items)
	row := res.Items[0]
	assert.Equal(t, "5002", row["externalid"])
	assert.Equal(t, "11/28/2026", row["trandate"], "dates show in the account's format")
	assert.Equal(t, "2026-11-28 11:00:00", row["modified"])
	assert.Equal(t, "-2", row["quantity"], "sales lines are booked negative")

	first := b.suiteql(t, "SELECT id, externalid FROM transaction WHERE type = 'SalesOrd' AND (externalid IS NULL OR NOT externalid LIKE '50%') ORDER BY 1", "").suiteql(t)
	require.Equal(t, 1, first.Count)
	assert.NotContains(t, first.Items[0], "externalid", "NULL columns are left out")
}

func TestSuiteQLErrors(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	cases := []struct {
		q, detail string
	}{
		{"SELECT id FROM nosuchtable", "Invalid search query. Detailed unprocessed description follows. Invalid search type: nosuchtable."},
		{"SELECT not_existing_field FROM customer", "Invalid search query. Detailed unprocessed description follows. Search error occurred: Unknown identifier 'not_existing_field'. Available identifiers are: {customer=customer}"},
		{"SELECT COUNT(*) FROM item", "aggregate functions are not supported"},
		{"SELECT itemtype FROM item GROUP BY itemtype", "GROUP BY is not supported"},
		{"SELECT BUILTIN.DF(status) FROM transaction", "BUILTIN.DF is not supported"},
		{"SELECT id FROM item WHERE id IN (SELECT item FROM inventoryitemlocations)", "subqueries are not supported"},
		{"SELECT id FROM item WHERE", "expected"},
		{"SELECT id FROM item WHERE itemid = 'unterminated", "unterminated string"},
	}
	for _, tc := range cases {
		r := b.suiteql(t, tc.q, "")
		require.Equal(t, http.StatusBadRequest, r.status, "%s: %s", tc.q, r.body)
		d := r.errorBody(t).Details[0]
		assert.Equal(t, CodeInvalidParameter, d.Code, tc.q)
		assert.Equal(t, "q", d.QueryParam, tc.q)
		assert.Contains(t, d.Detail, tc.detail, tc.q)
	}
	noPrefer := b.doHeaders(t, http.MethodPost, suiteqlPath, map[string]string{"q": "SELECT id FROM item"}, nil)
	require.Equal(t, http.StatusBadRequest, noPrefer.status)
	assert.Equal(t, "Prefer", noPrefer.errorBody(t).Details[0].Header)
	assert.Equal(t, http.StatusMethodNotAllowed, b.do(t, http.MethodGet, suiteqlPath, nil).status)
	assert.Equal(t, http.StatusBadRequest, b.suiteql(t, "SELECT id FROM item", "?limit=1001").status)
}

// SuiteQL holds a concurrency slot like every request.
func TestSuiteQLIsGoverned(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.Concurrency = 1; o.Limits.Held = 1 })
	r := b.suiteql(t, "SELECT id FROM item", "")
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, int64(1), srv.GovernanceStats().Gate.Rejected)
}

func FuzzParseSuiteQL(f *testing.F) {
	for _, s := range []string{
		"SELECT item.itemid, il.quantityonhand FROM item JOIN inventoryitemlocations il ON il.item = item.id WHERE il.location IN (1,2) ORDER BY 1 DESC",
		"SELECT * FROM transaction t WHERE t.lastmodifieddate BETWEEN TO_DATE('2026-11-27','YYYY-MM-DD') AND TO_DATE('2026-11-28','YYYY-MM-DD') OR NOT (id = 3)",
		"select distinct t.* from transaction t left outer join transactionline tl on tl.transaction = t.id where tl.item is not null;",
		"SELECT x FROM y WHERE a LIKE 'b%' AND c NOT BETWEEN 1 AND 2 -- comment", "((((", "'", "SELECT /* */ 1 FROM item",
	} {
		f.Add(s)
	}
	cat := newStore(catalog.Generate(1, 5, 2), epoch)
	f.Fuzz(func(t *testing.T, q string) {
		parsed, err := ParseSuiteQL(q)
		if err != nil {
			return
		}
		_, _, _ = runSuiteQL(parsed, cat.suiteqlTables())
	})
}
