package netsuite

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/faults"
)

// The 429 body as NetSuite sends it (reference erp-crm.md §1.1), including the
// "title":"Bad Request" quirk.
const referenceConcurrencyBody = `{
  "type": "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html",
  "title": "Bad Request",
  "status": 429,
  "o:errorDetails": [
    { "detail": "Concurrent request limit exceeded. Request blocked.",
      "o:errorCode": "CONCURRENCY_LIMIT_EXCEEDED" }
  ]
}`

func compact(t *testing.T, s string) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, json.Compact(&b, []byte(s)))
	return b.Bytes()
}

func TestConcurrencyBodyIsVerbatim(t *testing.T) {
	t.Parallel()
	rec := httptest.NewRecorder()
	writeConcurrencyLimit(rec)
	assert.Equal(t, http.StatusTooManyRequests, rec.Code)
	assert.Equal(t, string(compact(t, referenceConcurrencyBody)), rec.Body.String())
	assert.Empty(t, rec.Header().Get("Retry-After"), "NetSuite sends no Retry-After on 429")
}

func TestReferenceErrorBodies(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name string
		err  *apiError
		want string
	}{
		{"invalid login", invalidLogin("123456", false), `{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html","title":"Unauthorized","status":401,
 "o:errorDetails":[{"detail":"Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail.","o:errorCode":"INVALID_LOGIN"}]}`},
		{"unknown item", invalidFieldValue("item.items[0].item", "9999", "item"), `{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1","title":"Bad Request","status":400,
 "o:errorDetails":[{"detail":"Error while accessing resource: You have entered an Invalid Field Value 9999 for the following field: item",
                    "o:errorCode":"INVALID_CONTENT","o:errorPath":"item.items[0].item"}]}`},
		{"not found", notFound(), `{"type":"https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5","title":"Not Found","status":404,
 "o:errorDetails":[{"detail":"The record instance does not exist. Provide a valid record instance ID.","o:errorCode":"NONEXISTENT_ID"}]}`},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			rec := httptest.NewRecorder()
			writeError(rec, tc.err)
			assert.Equal(t, tc.err.status, rec.Code)
			assert.Equal(t, string(compact(t, tc.want)), rec.Body.String())
		})
	}
}

func TestFaultErrorsRenderInEnvelope(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in         faults.Error
		status     int
		code       string
		detail     string
		retryAfter string
	}{
		{faults.Error{Status: 503, Kind: "maintenance", RetryAfter: 90 * time.Second}, 503, CodeServiceUnavailable, detailMaintenance, "90"},
		{faults.Error{Status: 504, Kind: "timeout"}, 504, CodeRequestTimeout, detailTimeout, ""},
		{faults.Error{Status: 500, Kind: "error"}, 500, CodeUnexpectedError, detailUnexpected, ""},
		{faults.Error{Status: 400, Kind: "error", Code: "UNABLE_TO_SAVE", Message: "custom"}, 400, "UNABLE_TO_SAVE", "custom", ""},
		{faults.Error{Status: 401, Kind: "error"}, 401, CodeInvalidLogin, detailInvalidLogin, ""},
	}
	for _, tc := range cases {
		rec := httptest.NewRecorder()
		faultErrors{}.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), tc.in)
		require.Equal(t, tc.status, rec.Code)
		var e ErrorBody
		require.NoError(t, json.Unmarshal(rec.Body.Bytes(), &e))
		assert.Equal(t, tc.status, e.Status)
		assert.Equal(t, http.StatusText(tc.status), e.Title)
		assert.Equal(t, tc.code, e.Details[0].Code)
		assert.Equal(t, tc.detail, e.Details[0].Detail)
		assert.Equal(t, tc.retryAfter, rec.Header().Get("Retry-After"))
	}
	rec := httptest.NewRecorder()
	faultErrors{}.WriteError(rec, httptest.NewRequest(http.MethodGet, "/", nil), faults.Error{Status: 429, Kind: "error"})
	assert.Equal(t, string(compact(t, referenceConcurrencyBody)), rec.Body.String(), "an injected 429 is NetSuite's concurrency body")
}
