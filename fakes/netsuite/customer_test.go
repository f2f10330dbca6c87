package netsuite

import (
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestCustomerLifecycle(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	body := map[string]any{
		"externalId": "shopify-77", "email": "ann@example.com", "firstName": "Ann", "lastName": "Lee",
		"phone": "+1 555 0100", "custentity_shopify_tags": "vip,bf2026",
	}
	r := b.do(t, http.MethodPost, custPath, body)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, b.url+custPath+"/2001", r.header.Get("Location"))

	got := b.do(t, http.MethodGet, custPath+"/eid:shopify-77", nil)
	require.Equal(t, http.StatusOK, got.status)
	c := got.json(t)
	assert.Equal(t, "2001", c["id"])
	assert.Equal(t, "CUS2001", c["entityId"])
	assert.Equal(t, "ann@example.com", c["email"])
	assert.Equal(t, true, c["isPerson"])
	assert.Equal(t, "vip,bf2026", c["custentity_shopify_tags"])
	assert.Equal(t, "2026-11-27T09:00:00Z", c["dateCreated"])

	dup := b.do(t, http.MethodPost, custPath, body)
	require.Equal(t, http.StatusBadRequest, dup.status)
	assert.Equal(t, CodeDuplicateRecord, dup.errorBody(t).Details[0].Code)

	b.clock.Advance(time.Minute)
	r = b.do(t, http.MethodPut, custPath+"/eid:shopify-77", map[string]any{"companyName": "Lee Ltd"})
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, b.url+custPath+"/2001", r.header.Get("Location"), "an updating upsert says where too")
	r = b.do(t, http.MethodPatch, custPath+"/2001", map[string]any{"phone": "+1 555 0199"})
	require.Equal(t, http.StatusNoContent, r.status)
	c = b.do(t, http.MethodGet, custPath+"/2001", nil).json(t)
	assert.Equal(t, "Lee Ltd", c["companyName"])
	assert.Equal(t, "+1 555 0199", c["phone"])
	assert.Equal(t, "2026-11-27T09:01:00Z", c["lastModifiedDate"])

	r = b.do(t, http.MethodPut, custPath+"/eid:shopify-78", map[string]any{"email": "bo@example.com"})
	require.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, b.url+custPath+"/2002", r.header.Get("Location"))

	counts := srv.Ledger().Counts(RecordCustomer)
	assert.Equal(t, int64(2), counts.Created)
	assert.Equal(t, int64(1), counts.RecordsByExternalID["shopify-77"])
	assert.Equal(t, int64(2), counts.CreateAttemptsByExternalID["shopify-77"])

	// A customer with orders cannot be deleted; one without can.
	order := b.orderBody("5001", 1)
	order["entity"] = map[string]any{"id": "2001"}
	b.createOrder(t, order)
	r = b.do(t, http.MethodDelete, custPath+"/2001", nil)
	require.Equal(t, http.StatusBadRequest, r.status)
	r.errorBody(t)
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, custPath+"/eid:shopify-78", nil).status)
	assert.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, custPath+"/2002", nil).status)
}

func TestCustomerNaturalKeyIsEmailWithoutExternalID(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodPost, custPath, map[string]any{"email": "Ann@Example.com"}).status)
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodPost, custPath, map[string]any{"email": "ann@example.com"}).status)
	assert.Equal(t, int64(2), srv.Ledger().Counts(RecordCustomer).RecordsByNaturalKey["ann@example.com"], "two customers for one email: a duplicate")
}

func TestCustomerBodyRefusals(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	cases := []struct {
		body any
		path string
	}{
		{map[string]any{"email": "not-an-email"}, "email"},
		{map[string]any{"email": 5}, "email"},
		{map[string]any{"nickname": "x"}, "nickname"},
		{map[string]any{"entityId": "CUS1"}, "entityId"},
		{map[string]any{"isPerson": "yes"}, "isPerson"},
		{map[string]any{"externalId": "a|b"}, "externalId"},
	}
	for _, tc := range cases {
		r := b.do(t, http.MethodPost, custPath, tc.body)
		require.Equal(t, http.StatusBadRequest, r.status, "%v", tc.body)
		e := r.errorBody(t)
		assert.Equal(t, CodeInvalidContent, e.Details[0].Code)
		assert.Equal(t, tc.path, e.Details[0].Path)
	}
	assert.Equal(t, int64(len(cases)), b.srv.Ledger().Counts(RecordCustomer).Rejected, "refused creates are ledger effects")
}

func FuzzDecodeCustomer(f *testing.F) {
	for _, s := range []string{`{"email":"a@b.co","custentity_x":[1]}`, `{"isPerson":true}`, `{`, `{"externalId":7}`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		in, e := decodeCustomer(body)
		if e != nil {
			if e.status != http.StatusBadRequest {
				t.Fatalf("status %d", e.status)
			}
			return
		}
		if in.Email != nil && *in.Email != "" && !plausibleEmail(*in.Email) {
			t.Fatalf("accepted email %q", *in.Email)
		}
	})
}
