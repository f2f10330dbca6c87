package hubspot

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/faults"
)

func TestTokens(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Tokens = []string{"pat-na1-good", "oauth-good"} })
	assert.Equal(t, http.StatusOK, b.doAs(t, "pat-na1-good", http.MethodGet, getPath, nil).status)
	r := b.doAs(t, "oauth-good", http.MethodGet, getPath, nil)
	assert.Equal(t, http.StatusOK, r.status)
	assert.Empty(t, r.header.Get(HeaderDaily), "an OAuth token")
	for _, tok := range []string{"pat-na1-bad", ""} {
		r := b.doAs(t, tok, http.MethodGet, getPath, nil)
		require.Equal(t, http.StatusUnauthorized, r.status, tok)
		var e ErrorBody
		r.decode(t, &e)
		assert.Equal(t, ErrorBody{Status: "error", Message: msgAuthNotFound, CorrelationID: r.header.Get(headerCorrelationID), Category: CategoryInvalidAuth}, e)
		assert.Empty(t, r.header.Get(HeaderMax), "a refused token uses no limit")
	}
	assert.Equal(t, int64(2), b.srv.LimitStats().AuthRefused)
	assert.Equal(t, int64(1), b.srv.DailyUsage().Used, "the private app's call; OAuth calls have no daily limit")

	_, err := New(Options{Tokens: []string{"has space"}})
	assert.Error(t, err)
	for h, want := range map[string]string{"Bearer abc": "abc", "bearer abc": "abc", "Basic abc": "", "Bearer": "", "Bearer a b": "", "": ""} {
		assert.Equal(t, want, bearerToken(h), h)
	}
	assert.Equal(t, PrivateApp, KindOf("pat-eu1-x"))
	assert.Equal(t, OAuthApp, KindOf("CJSP5qf1"))
}

// commit-then-drop creates the contact and drops the connection: a naive integrator's
// retry is the second create attempt for the same key, answered 409, and the ledger
// counts both.
func TestCommitThenDropMakesTheRetryA409(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.srv.Fake().SetFaults([]faults.Rule{{Fault: "commit-then-drop", Method: http.MethodPost, Path: "/crm/v3/objects/contacts"}}))
	req, err := http.NewRequest(http.MethodPost, b.url+"/crm/v3/objects/contacts", strings.NewReader(`{"properties":{"email":"ada@example.com","shopify_customer_id":"7001"}}`))
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+testToken)
	resp, err := http.DefaultClient.Do(req)
	if err == nil {
		resp.Body.Close()
	}
	require.Error(t, err, "the client never sees the answer")
	assert.Equal(t, 1, b.srv.ContactCount(), "but the contact was created")

	require.NoError(t, b.srv.Fake().SetFaults(nil))
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"email": "ada@example.com", "shopify_customer_id": "7001"}})
	assert.Equal(t, http.StatusConflict, r.status)
	counts := b.srv.Ledger().Counts(RecordContact)
	assert.Equal(t, int64(2), counts.CreateAttemptsByExternalID["7001"])
	assert.Equal(t, int64(1), counts.RecordsByExternalID["7001"])
	assert.Equal(t, int64(1), b.srv.Stats().FaultsInjected["commit-then-drop"])
}

func TestFaultErrorsInHubSpotsShape(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		fault         faults.Error
		status        int
		category, msg string
	}{
		{faults.Error{Status: 500, Kind: "error"}, 500, CategoryInternalError, "internal error"},
		{faults.Error{Status: 503, Kind: "maintenance"}, 503, CategoryServiceUnavailable, "HubSpot is down for scheduled maintenance. Please try again later."},
		{faults.Error{Status: 504, Kind: "timeout"}, 504, CategoryTimeout, "The request timed out."},
		{faults.Error{Status: 401, Kind: "error"}, 401, CategoryInvalidAuth, msgAuthNotFound},
		{faults.Error{Status: 409, Kind: "error", Message: "Contact already exists. Existing ID: 1"}, 409, CategoryConflict, "Contact already exists. Existing ID: 1"},
		{faults.Error{Status: 400, Kind: "error", Code: "VALIDATION_ERROR", Message: "nope"}, 400, CategoryValidation, "nope"},
	} {
		w := newRecorder()
		w.Header().Set(headerCorrelationID, "corr")
		faultErrors{}.WriteError(w, nil, c.fault)
		assert.Equal(t, c.status, w.code)
		assert.JSONEq(t, `{"status":"error","message":`+quote(c.msg)+`,"correlationId":"corr","category":"`+c.category+`"}`, w.body.String())
	}
	w := newRecorder()
	faultErrors{}.WriteError(w, nil, faults.Error{Status: 429, Kind: "error", RetryAfter: 1500e6})
	assert.Equal(t, "2", w.Header().Get("Retry-After"))
	assert.Contains(t, w.body.String(), `"policyName":"TEN_SECONDLY_ROLLING"`)
	w = newRecorder()
	faultErrors{}.WriteError(w, nil, faults.Error{Status: 429, Kind: "error", Code: "DAILY"})
	assert.Contains(t, w.body.String(), `"message":"You have reached your daily limit.","errorType":"RATE_LIMIT"`)
}
