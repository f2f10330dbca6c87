package netsuite

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestOracleDocumentedCallSequence walks the REST calls of Oracle's NetSuite help, in
// order, with plain HTTP as any client sends them, and checks each answer against the
// documented one (page named before each step). There is no official NetSuite client
// library to run instead.
func TestOracleDocumentedCallSequence(t *testing.T) {
	t.Parallel()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	require.NoError(t, err)
	srv, b := setup(t, func(o *Options) {
		o.OAuth2Clients = []OAuth2Client{{ClientID: "1c343a716c1dceb60e7fc149fa6735929ef77d28fe16293f892976dde7d8e3e2", CertificateID: "cert-1", PublicKey: &key.PublicKey}}
		o.Limits.AsyncDelay = "1s"
	})
	now := b.clock.Now()

	// "POST Request to the Token Endpoint and the Access Token Response" (section_162755359851):
	// grant_type=client_credentials, a jwt-bearer client_assertion; the answer has
	// access_token, expires_in 3600 and token_type bearer.
	tr := b.token(t, testAssertion(t, key, "ES256", "cert-1", map[string]any{
		"iss": "1c343a716c1dceb60e7fc149fa6735929ef77d28fe16293f892976dde7d8e3e2", "scope": []string{"restlets", "rest_webservices"},
		"aud": accountTokenURL(DefaultAccount), "exp": now.Add(time.Hour).Unix(), "iat": now.Unix(),
	}))
	require.Equal(t, http.StatusOK, tr.status, "body: %s", tr.body)
	auth := "Bearer " + tr.json(t)["access_token"].(string)
	b.bearer = auth
	call := func(method, path string, body any, hdr map[string]string) response {
		t.Helper()
		h := map[string]string{"Authorization": auth}
		for k, v := range hdr {
			h[k] = v
		}
		return b.doHeaders(t, method, path, body, h)
	}

	// "Creating a Record Instance" (section_1545141395): 204, Location of the new record.
	r := call(http.MethodPost, custPath, map[string]any{"companyName": "Glenrock General Hospital", "email": "alan.smith@example.com"}, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, b.url+custPath+"/2001", r.header.Get("Location"))

	// "Using the Upsert Operation" (section_156335203191): PUT .../customer/eid:CID002.
	r = call(http.MethodPut, custPath+"/eid:CID002", map[string]any{"firstName": "John", "lastName": "Smith"}, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	cid := r.header.Get("Location")[strings.LastIndexByte(r.header.Get("Location"), '/')+1:]
	r = call(http.MethodPut, custPath+"/eid:CID002", map[string]any{"firstName": "Johnny"}, nil)
	require.Equal(t, http.StatusNoContent, r.status)

	// "Updating a Record Instance" (section_1545142173): PATCH answers 204 with Location.
	r = call(http.MethodPatch, custPath+"/"+cid, map[string]any{"companyName": "Updated Customer"}, nil)
	require.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, b.url+custPath+"/"+cid, r.header.Get("Location"))

	// A sales order for that customer, upserted by external id.
	a, _ := b.sku(0)
	c, _ := b.sku(1)
	order := map[string]any{"entity": map[string]any{"id": cid}, "item": map[string]any{"items": []any{itemLine(a, 1, 10)}}}
	r = call(http.MethodPut, soPath+"/eid:SO-1", order, nil)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	so := r.header.Get("Location")[len(b.url):]

	// "Updating a Sublist" (section_1545295601): lines are appended to a non-keyed
	// sublist, keyed lines updated.
	r = call(http.MethodPatch, so, map[string]any{"item": map[string]any{"items": []any{itemLine(c, 2, 20)}}}, nil)
	require.Equal(t, http.StatusNoContent, r.status)
	assert.Len(t, b.lineSummary(t, so[len(soPath)+1:]), 2)

	// "Replacing a Sublist" (section_1545297048): ?replace=item removes the lines not sent.
	r = call(http.MethodPatch, so+"?replace=item", map[string]any{"item": map[string]any{"items": []any{itemLine(c, 3, 20)}}}, nil)
	require.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, []string{"3:" + c + "*3@20"}, b.lineSummary(t, so[len(soPath)+1:]))

	// "Getting a Record Instance" / "Format of Sublists and Subrecords" (section_1545141947):
	// sublists are links unless expandSubResources=true.
	plain := call(http.MethodGet, so, nil, nil).json(t)
	assert.NotContains(t, plain["item"], "items")
	expanded := call(http.MethodGet, so+"?expandSubResources=true", nil, nil).json(t)
	assert.Len(t, expanded["item"].(map[string]any)["items"], 1)

	// "Using SuiteQL with SuiteTalk REST Web Services" (section_158394344595): POST
	// .../query/v1/suiteql, Prefer: transient, {"q": ...}; a page of rows.
	r = call(http.MethodPost, suiteqlPath+"?limit=2", map[string]any{"q": "SELECT email, id FROM customer WHERE email IS NOT NULL"}, map[string]string{"Prefer": "transient"})
	page := r.suiteql(t)
	assert.Equal(t, 1, page.TotalResults)
	assert.Equal(t, "alan.smith@example.com", page.Items[0]["email"])

	// "Sending an Asynchronous Request Using an Idempotency Key" (subsect_164494900632),
	// "Sending an Asynchronous Request" (subsect_161278579295), "Polling for the Status of
	// a Completed Asynchronous Request" (subsect_161252896355), "Getting the Result of an
	// Executed Request" (subsect_161252889998).
	async := map[string]string{"Prefer": "respond-async", "X-NetSuite-idempotency-key": "cac827ea-3543-4cda-add2-bae634326c27"}
	r = call(http.MethodPost, custPath, map[string]any{"companyName": "My secret account"}, async)
	require.Equal(t, http.StatusAccepted, r.status, "body: %s", r.body)
	assert.Equal(t, "respond-async", r.header.Get("Preference-Applied"))
	job := r.header.Get("Location")
	r = call(http.MethodPost, custPath, map[string]any{"companyName": "My secret account"}, async)
	require.Equal(t, http.StatusBadRequest, r.status)
	var conflict ErrorBody
	require.NoError(t, json.Unmarshal(r.body, &conflict))
	assert.Equal(t, ErrorBody{Type: "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.10", Title: "Conflict", Status: 400,
		Details: []ErrorDetail{{Detail: `A request with the same idempotency key is already submitted. See the "Location" header for a link to the previously submitted job`,
			Code: "IDEMPOTENCY_ERROR", Header: IdempotencyKeyHeader}}}, conflict)
	assert.Equal(t, job, r.header.Get("Location"))
	status := call(http.MethodGet, job[len(b.url):], nil, nil).json(t)
	assert.Equal(t, "pending", status["progress"])
	b.clock.Advance(2 * time.Second)
	require.Eventually(t, func() bool {
		return call(http.MethodGet, job[len(b.url):], nil, nil).json(t)["completed"] == true
	}, 5*time.Second, 5*time.Millisecond)
	task := call(http.MethodGet, job[len(b.url):]+"/task/1", nil, nil).json(t)
	assert.Equal(t, "succeeded", task["progress"])
	res := call(http.MethodGet, job[len(b.url):]+"/task/1/result", nil, nil).json(t)
	assert.Equal(t, b.url+custPath+"/2003", res["links"].([]any)[0].(map[string]any)["href"])
	assert.Equal(t, int64(3), srv.Ledger().Counts(RecordCustomer).Created, "three customers in all: the retried async create made none")

	// "RESTlets and REST Web Services Authentication Errors" (subsect_158521885412): an
	// expired access token is 401 with WWW-Authenticate invalid_token.
	b.clock.Advance(time.Hour)
	r = call(http.MethodGet, so, nil, nil)
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Contains(t, r.header.Get("WWW-Authenticate"), `error="invalid_token", error_description="Invalid login attempt."`)
}
