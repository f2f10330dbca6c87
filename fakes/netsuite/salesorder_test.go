package netsuite

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
)

func TestCreateSalesOrderAnswers204WithLocation(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	body := b.orderBody("5001", 2)
	body["externalId"] = "5001"
	r := b.do(t, http.MethodPost, soPath, body)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Empty(t, r.body)
	assert.Equal(t, b.url+soPath+"/10001", r.header.Get("Location"), "Location uses the host the request came in on")

	plain := b.do(t, http.MethodGet, soPath+"/10001", nil).json(t)
	assert.Equal(t, map[string]any{"links": []any{map[string]any{"rel": "self", "href": b.url + soPath + "/10001/item"}}}, plain["item"],
		"without expandSubResources the sublist is only its link")

	got := b.do(t, http.MethodGet, soPath+"/10001?expandSubResources=true", nil)
	require.Equal(t, http.StatusOK, got.status)
	assert.Equal(t, "application/json; charset=UTF-8", got.header.Get("Content-Type"))
	so := got.json(t)
	assert.Equal(t, "10001", so["id"])
	assert.Equal(t, "SO12345", so["tranId"])
	assert.Equal(t, "5001", so["externalId"])
	assert.Equal(t, "#5001", so["otherRefNum"])
	assert.Equal(t, "5001", so["custbody_shopify_order_id"], "custbody fields are kept")
	assert.Equal(t, "2026-11-27", so["tranDate"])
	assert.Equal(t, "2026-11-27T09:00:00Z", so["createdDate"])
	assert.Equal(t, "2026-11-27T09:00:00Z", so["lastModifiedDate"])
	assert.Equal(t, map[string]any{"id": "B", "refName": "Pending Fulfillment"}, so["orderStatus"])
	assert.Equal(t, []any{map[string]any{"rel": "self", "href": b.url + soPath + "/10001"}}, so["links"])
	entity := so["entity"].(map[string]any)
	assert.Equal(t, "2000", entity["id"], "the web customer the body named")
	item := so["item"].(map[string]any)
	assert.Equal(t, float64(1), item["totalResults"])
	line := item["items"].([]any)[0].(map[string]any)
	sku, id := b.sku(0)
	assert.Equal(t, id, line["item"].(map[string]any)["id"])
	assert.Equal(t, sku, line["item"].(map[string]any)["refName"])
	assert.Equal(t, float64(2), line["quantity"])
	assert.Equal(t, 10.0, line["rate"])
	assert.Equal(t, 20.0, line["amount"])

	byEID := b.do(t, http.MethodGet, soPath+"/eid:5001?expandSubResources=true", nil)
	require.Equal(t, http.StatusOK, byEID.status)
	assert.JSONEq(t, string(got.body), string(byEID.body))

	sub := b.do(t, http.MethodGet, soPath+"/10001/item", nil)
	require.Equal(t, http.StatusOK, sub.status)
	assert.Equal(t, float64(1), sub.json(t)["count"])
}

func TestDuplicateExternalIDIsRefusedAndCounted(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		knob   string
		status int
		code   string
	}{{"", 400, "DUP_RCRD"}, {"409:DUPLICATE_EXTERNAL_ID", 409, "DUPLICATE_EXTERNAL_ID"}} {
		_, b := setup(t, func(o *Options) { o.Limits.DuplicateExternalID = tc.knob })
		body := b.orderBody("5001", 1)
		body["externalId"] = "5001"
		b.createOrder(t, body)
		r := b.do(t, http.MethodPost, soPath, body)
		require.Equal(t, tc.status, r.status)
		e := r.errorBody(t)
		assert.Equal(t, tc.code, e.Details[0].Code)
		assert.Equal(t, "externalId", e.Details[0].Path)

		c := b.srv.Ledger().Counts(RecordSalesOrder)
		assert.Equal(t, int64(1), c.RecordsByExternalID["5001"])
		assert.Equal(t, int64(2), c.CreateAttemptsByExternalID["5001"])
		assert.Equal(t, int64(2), c.CreateAttemptsByNaturalKey["5001"])
		assert.Equal(t, int64(1), c.Rejected)
	}
}

func TestPostWithoutExternalIDAlwaysCreates(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	first := b.createOrder(t, b.orderBody("5001", 1))
	second := b.createOrder(t, b.orderBody("5001", 1))
	assert.NotEqual(t, first, second)

	c := b.srv.Ledger().Counts(RecordSalesOrder)
	assert.Equal(t, int64(2), c.RecordsByNaturalKey["5001"], "two records for one Shopify order: a duplicate")
	assert.Equal(t, int64(2), c.CreateAttemptsByNaturalKey["5001"])
	assert.Empty(t, c.RecordsByExternalID)

	dups := b.srv.Ledger().Snapshot(ledger.Query{NoEffects: true, DuplicatesOnly: true})
	assert.Equal(t, map[string]int64{"5001": 2}, dups.Records[RecordSalesOrder].RecordsByNaturalKey)
}

func TestNaturalKeyFieldIsConfigurable(t *testing.T) {
	t.Parallel()
	_, b := setup(t, func(o *Options) { o.NaturalKeyField = "custbody_order_ref" })
	body := b.orderBody("ignored", 1)
	body["custbody_order_ref"] = 7001
	b.createOrder(t, body)
	assert.Equal(t, int64(1), b.srv.Ledger().Counts(RecordSalesOrder).RecordsByNaturalKey["7001"])
}

func TestCommitThenDropCreatesTheRecordTheClientNeverSees(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	rule, err := faults.ParseSpec("commit-then-drop:method=POST,path=" + soPath)
	require.NoError(t, err)
	require.NoError(t, srv.Fake().SetFaults([]faults.Rule{rule}))

	body := b.orderBody("5001", 1)
	req, err := http.NewRequest(http.MethodPost, b.url+soPath, strings.NewReader(mustJSON(t, body)))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer x")
	_, err = b.client.Do(req)
	require.Error(t, err, "the client sees a reset, not an answer")
	assert.True(t, errors.Is(err, syscall.ECONNRESET) || strings.Contains(err.Error(), "EOF") || strings.Contains(err.Error(), "reset"), "%v", err)

	require.NoError(t, srv.Fake().SetFaults(nil))
	list := b.do(t, http.MethodGet, soPath, nil)
	require.Equal(t, http.StatusOK, list.status)
	assert.Equal(t, float64(1), list.json(t)["totalResults"], "the record exists")
	assert.Equal(t, int64(1), srv.Ledger().Counts(RecordSalesOrder).RecordsByNaturalKey["5001"])
	assert.Equal(t, int64(1), srv.Stats().FaultsInjected["commit-then-drop"])

	// The naive retry duplicates it.
	b.createOrder(t, body)
	assert.Equal(t, int64(2), srv.Ledger().Counts(RecordSalesOrder).RecordsByNaturalKey["5001"])
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestUpsertIsIdempotent(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	body := b.orderBody("5001", 1)
	body["custbody_shopify_updated_at"] = "2026-11-27T09:00:00Z"

	r := b.do(t, http.MethodPut, soPath+"/eid:5001", body)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, b.url+soPath+"/10001", r.header.Get("Location"), "an upsert that creates says where")

	b.clock.Advance(time.Minute)
	body["custbody_shopify_updated_at"] = "2026-11-27T09:01:00Z"
	body["memo"] = "updated"
	for range 3 {
		r = b.do(t, http.MethodPut, soPath+"/eid:5001?replace=item", body)
		require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
		assert.Equal(t, b.url+soPath+"/10001", r.header.Get("Location"), "an upsert that updates says where too")
	}

	c := b.srv.Ledger().Counts(RecordSalesOrder)
	assert.Equal(t, int64(1), c.RecordsByExternalID["5001"])
	assert.Equal(t, int64(1), c.RecordsByNaturalKey["5001"])
	assert.Equal(t, int64(1), c.CreateAttemptsByExternalID["5001"], "only the creating upsert is a create attempt")
	assert.Equal(t, int64(3), c.Updated)

	so := b.do(t, http.MethodGet, soPath+"/eid:5001", nil).json(t)
	assert.Equal(t, "updated", so["memo"])
	assert.Equal(t, "2026-11-27T09:01:00Z", so["lastModifiedDate"])
	assert.Equal(t, "2026-11-27T09:00:00Z", so["createdDate"])

	effects := b.srv.Ledger().Effects(RecordSalesOrder)
	last := effects[len(effects)-1]
	assert.JSONEq(t, `{"lines":1,"total":"10.73","status":"B","custbody_shopify_updated_at":"2026-11-27T09:01:00Z"}`, string(last.Detail))

	mismatch := map[string]any{"externalId": "5002"}
	r = b.do(t, http.MethodPut, soPath+"/eid:5001", mismatch)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "externalId", r.errorBody(t).Details[0].Path)

	r = b.do(t, http.MethodPut, soPath+"/10001", body)
	require.Equal(t, http.StatusMethodNotAllowed, r.status, "upsert needs eid: in the URL")
	r.errorBody(t)
}

func TestUnknownSKUIsRefusedAndCounted(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	body := b.orderBody("5001", 1)
	body["externalId"] = "5001"
	items := body["item"].(map[string]any)["items"].([]any)
	body["item"].(map[string]any)["items"] = append(items, map[string]any{"item": map[string]any{"id": "9999"}, "quantity": 1})
	r := b.do(t, http.MethodPost, soPath, body)
	require.Equal(t, http.StatusBadRequest, r.status)
	e := r.errorBody(t)
	assert.Equal(t, "Error while accessing resource: You have entered an Invalid Field Value 9999 for the following field: item", e.Details[0].Detail)
	assert.Equal(t, "item.items[1].item", e.Details[0].Path)
	assert.Equal(t, CodeInvalidContent, e.Details[0].Code)

	c := b.srv.Ledger().Counts(RecordSalesOrder)
	assert.Equal(t, int64(1), c.CreateAttemptsByNaturalKey["5001"])
	assert.Empty(t, c.RecordsByNaturalKey)
	effects := b.srv.Ledger().Effects(RecordSalesOrder)
	require.Len(t, effects, 1)
	assert.Equal(t, ledger.Rejected, effects[0].Action)
	assert.Equal(t, CodeInvalidContent, effects[0].Reason)

	body["item"].(map[string]any)["items"] = []any{map[string]any{"item": map[string]any{"externalId": "NOPE-1"}, "quantity": 1}}
	r = b.do(t, http.MethodPost, soPath, body)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.errorBody(t).Details[0].Detail, "Invalid Field Value NOPE-1")
}

func TestTaxIsComputedFromTheShippingAddress(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	cases := []struct {
		country, state string
		ship           float64
		discount       any
		subtotal       float64
		discountTotal  float64
		tax            float64
		total          float64
	}{
		{"US", "CA", 0, nil, 100, 0, 7.25, 107.25},
		{"US", "OR", 0, nil, 100, 0, 0, 100},
		{"US", "NY", 5.99, nil, 100, 0, 4, 109.99},
		{"GB", "", 0, nil, 100, 0, 20, 120},
		{"DE", "", 0, "-10%", 100, -10, 17.10, 107.10},
		{"US", "TX", 0, -25.5, 100, -25.5, 4.66, 79.16},
		{"BR", "", 0, nil, 100, 0, 0, 100},
	}
	for i, tc := range cases {
		body := b.orderBody("tax", 4)
		body["shippingAddress"] = map[string]any{"country": tc.country, "state": tc.state}
		body["item"].(map[string]any)["items"].([]any)[0].(map[string]any)["rate"] = 25
		if tc.ship > 0 {
			body["shippingCost"] = tc.ship
		}
		if tc.discount != nil {
			body["discountRate"] = tc.discount
		}
		id := b.createOrder(t, body)
		so := b.do(t, http.MethodGet, soPath+"/"+id, nil).json(t)
		assert.Equal(t, tc.subtotal, so["subtotal"], "case %d", i)
		assert.Equal(t, tc.discountTotal, so["discountTotal"], "case %d", i)
		assert.Equal(t, tc.tax, so["taxTotal"], "case %d %s-%s", i, tc.country, tc.state)
		assert.Equal(t, tc.total, so["total"], "case %d", i)
	}
}

func TestTaxFieldsAreRejectedOrIgnored(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	body := b.orderBody("5001", 1)
	body["taxTotal"] = 1.23
	r := b.do(t, http.MethodPost, soPath, body)
	require.Equal(t, http.StatusBadRequest, r.status)
	e := r.errorBody(t)
	assert.Equal(t, "taxTotal", e.Details[0].Path)
	assert.Contains(t, e.Details[0].Detail, "read-only, tax is computed by NetSuite")

	l := srv.Limits()
	l.TaxFields = "ignore"
	require.NoError(t, srv.SetLimits(l))
	id := b.createOrder(t, body)
	so := b.do(t, http.MethodGet, soPath+"/"+id, nil).json(t)
	assert.Equal(t, 0.73, so["taxTotal"], "the sent tax is ignored; NetSuite's own is used")
}

func TestStockIsCommittedAndReleased(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	_, itemID := b.sku(0)
	before := b.stockOf(t, itemID, 0)
	onHand := num(before["quantityOnHand"])
	require.Equal(t, onHand, num(before["quantityAvailable"]))

	id := b.createOrder(t, b.orderBody("5001", 3))
	after := b.stockOf(t, itemID, 0)
	assert.Equal(t, onHand, num(after["quantityOnHand"]))
	assert.Equal(t, onHand-3, num(after["quantityAvailable"]))
	assert.Equal(t, 3.0, num(after["quantityCommitted"]))

	// Replacing the lines moves the commitment.
	patch := b.orderBody("5001", 5)
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodPatch, soPath+"/"+id+"?replace=item", map[string]any{"item": patch["item"]}).status)
	assert.Equal(t, 5.0, num(b.stockOf(t, itemID, 0)["quantityCommitted"]))

	// Cancellation releases it.
	r := b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"orderStatus": map[string]any{"id": "C"}})
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	released := b.stockOf(t, itemID, 0)
	assert.Equal(t, onHand, num(released["quantityAvailable"]))
	assert.Equal(t, 0.0, num(released["quantityCommitted"]))

	// A cancelled order stays cancelled.
	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"orderStatus": map[string]any{"id": "B"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "orderStatus", r.errorBody(t).Details[0].Path)

	// Pending approval does not commit; approval does; deleting releases.
	body := b.orderBody("5002", 2)
	body["orderStatus"] = map[string]any{"id": "A"}
	id2 := b.createOrder(t, body)
	assert.Equal(t, 0.0, num(b.stockOf(t, itemID, 0)["quantityCommitted"]))
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodPatch, soPath+"/"+id2, map[string]any{"orderStatus": map[string]any{"id": "B"}}).status)
	assert.Equal(t, 2.0, num(b.stockOf(t, itemID, 0)["quantityCommitted"]))
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, soPath+"/"+id2, nil).status)
	assert.Equal(t, 0.0, num(b.stockOf(t, itemID, 0)["quantityCommitted"]))
	assert.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, soPath+"/"+id2, nil).status)

	// Demand beyond on-hand is back-ordered, never negative availability.
	big := b.createOrder(t, b.orderBody("5003", int(onHand)+4))
	over := b.stockOf(t, itemID, 0)
	assert.Equal(t, 0.0, num(over["quantityAvailable"]))
	assert.Equal(t, onHand, num(over["quantityCommitted"]))
	assert.Equal(t, 4.0, num(over["quantityBackOrdered"]))
	_ = big
}

func TestPatchSalesOrder(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	id := b.createOrder(t, b.orderBody("5001", 1))
	b.clock.Advance(time.Hour)
	r := b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"memo": "gift", "externalId": "5001", "custbody_shopify_updated_at": "2026-11-27T10:00:00Z"})
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	so := b.do(t, http.MethodGet, soPath+"/eid:5001", nil).json(t)
	assert.Equal(t, "gift", so["memo"])
	assert.Equal(t, "5001", so["custbody_shopify_order_id"], "fields not sent stay")
	assert.Equal(t, "2026-11-27T10:00:00Z", so["lastModifiedDate"])

	other := b.createOrder(t, b.orderBody("5002", 1))
	r = b.do(t, http.MethodPatch, soPath+"/"+other, map[string]any{"externalId": "5001"})
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, CodeDuplicateRecord, r.errorBody(t).Details[0].Code)

	r = b.do(t, http.MethodPatch, soPath+"/99999", map[string]any{"memo": "x"})
	require.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, CodeNonexistentID, r.errorBody(t).Details[0].Code)

	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"item": map[string]any{"items": []any{}}})
	require.Equal(t, http.StatusNoContent, r.status, "merging no lines keeps the lines: %s", r.body)
	r = b.do(t, http.MethodPatch, soPath+"/"+id+"?replace=item", map[string]any{"item": map[string]any{"items": []any{}}})
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.errorBody(t).Details[0].Detail, "at least one line item")
}

func TestSalesOrderRouteErrors(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	cases := []struct {
		method, path string
		body         any
		status       int
		code         string
	}{
		{http.MethodGet, soPath + "/424242", nil, 404, CodeNonexistentID},
		{http.MethodGet, soPath + "/eid:missing", nil, 404, CodeNonexistentID},
		{http.MethodDelete, soPath + "/424242", nil, 404, CodeNonexistentID},
		{http.MethodGet, "/services/rest/record/v1/invoice", nil, 404, CodeNonexistentID},
		{http.MethodGet, "/services/rest/record/v1/", nil, 404, CodeNonexistentID},
		{http.MethodGet, "/services/rest/query/v1/suiteql", nil, 405, CodeMethodNotAllowed},
		{http.MethodPut, soPath, nil, 405, CodeMethodNotAllowed},
		{http.MethodPost, itemPath, map[string]any{}, 405, CodeMethodNotAllowed},
		{http.MethodPatch, ifPath + "/50001", map[string]any{}, 405, CodeMethodNotAllowed},
		{http.MethodGet, soPath + "/abc", nil, 400, CodeInvalidParameter},
		{http.MethodPost, soPath, "{not json", 400, CodeInvalidContent},
		{http.MethodPost, soPath, map[string]any{"memo": "no lines"}, 400, CodeInvalidContent},
		{http.MethodPost, soPath, map[string]any{"id": "1"}, 400, CodeInvalidContent},
		{http.MethodPost, soPath, map[string]any{"entity": map[string]any{"id": "31337"}, "item": map[string]any{"items": []any{}}}, 400, CodeInvalidContent},
		{http.MethodPost, soPath, strings.Repeat(" ", maxBody+1), 413, CodeInvalidContent},
	}
	for _, tc := range cases {
		r := b.do(t, tc.method, tc.path, tc.body)
		require.Equal(t, tc.status, r.status, "%s %s: %s", tc.method, tc.path, r.body)
		assert.Equal(t, tc.code, r.errorBody(t).Details[0].Code, "%s %s", tc.method, tc.path)
	}
}

func TestEntityAndLocationReferences(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	r := b.do(t, http.MethodPut, custPath+"/eid:cust-1", map[string]any{"email": "ann@example.com", "firstName": "Ann", "lastName": "Lee"})
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)

	body := b.orderBody("5001", 1)
	body["entity"] = map[string]any{"externalId": "cust-1"}
	body["location"] = map[string]any{"id": "2"}
	id := b.createOrder(t, body)
	so := b.do(t, http.MethodGet, soPath+"/"+id, nil).json(t)
	assert.Equal(t, "CUS2001 Ann Lee", so["entity"].(map[string]any)["refName"])
	assert.Equal(t, "2", so["location"].(map[string]any)["id"])
	_, itemID := b.sku(0)
	assert.Equal(t, 1.0, num(b.stockOf(t, itemID, 1)["quantityCommitted"]), "commitment at the order's location")
	assert.Equal(t, 0.0, num(b.stockOf(t, itemID, 0)["quantityCommitted"]))

	body["entity"] = map[string]any{"id": "31337"}
	r = b.do(t, http.MethodPost, soPath, body)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "entity", r.errorBody(t).Details[0].Path)

	body["entity"] = map[string]any{"externalId": "cust-1"}
	body["location"] = map[string]any{"id": "9"}
	r = b.do(t, http.MethodPost, soPath, body)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "location", r.errorBody(t).Details[0].Path)
}
