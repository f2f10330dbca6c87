package salesforce

import (
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
)

func TestUnableToLockRowFromFaultSpec(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, `{"LastName":"A"}`)
	rule, err := faults.ParseSpec("error:status=400,code=UNABLE_TO_LOCK_ROW,p=1,method=PATCH")
	require.NoError(t, err)
	require.NoError(t, b.srv.Fake().SetFaults([]faults.Rule{rule}))
	resp, body := b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/"+id, `{"LastName":"B"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `[{"message":"unable to obtain exclusive access to this record or 1 records: `+id+`","errorCode":"UNABLE_TO_LOCK_ROW","fields":[]}]`, string(body))
	assert.Equal(t, "api-usage=2/100000", resp.Header.Get("Sforce-Limit-Info"), "fault answers keep the usage header")
	assert.EqualValues(t, 1, b.srv.Stats().FaultsInjected["error"])
	assert.EqualValues(t, 0, b.srv.Ledger().Counts(ObjectContact).Updated, "nothing happened")

	// at p=0.05 roughly one write in twenty fails
	rule, err = faults.ParseSpec("error:status=400,code=UNABLE_TO_LOCK_ROW,p=0.05")
	require.NoError(t, err)
	require.NoError(t, b.srv.Fake().SetFaults([]faults.Rule{rule}))
	failed := 0
	for i := 0; i < 400; i++ {
		resp, _ := b.do(t, http.MethodGet, "v60.0/", "")
		if resp.StatusCode == http.StatusBadRequest {
			failed++
		}
	}
	assert.InDelta(t, 20, failed, 15)
}

func TestLockRowRate(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.LockRowRate = 1 })
	resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", `{"LastName":"A","Shopify_Customer_Id__c":"5","Email":"a@example.com"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `[{"message":"unable to obtain exclusive access to this record","errorCode":"UNABLE_TO_LOCK_ROW","fields":[]}]`, string(body))
	effects := b.srv.Ledger().Effects(ObjectContact)
	require.Len(t, effects, 1)
	assert.Equal(t, ledger.Rejected, effects[0].Action)
	assert.Equal(t, CodeUnableToLockRow, effects[0].Reason)
	assert.Equal(t, "5", effects[0].ExternalID)
	assert.Equal(t, "a@example.com", effects[0].NaturalKey)
	assert.True(t, effects[0].CreateAttempt)
	assert.EqualValues(t, 1, b.srv.LimitStats().LockRowFailures)
	// reads are never locked
	resp, _ = b.do(t, http.MethodGet, "v60.0/query?q=SELECT+Id+FROM+Contact", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestFaultErrorDefaults(t *testing.T) {
	t.Parallel()
	cases := []struct {
		e       faults.Error
		status  int
		code    string
		message string
	}{
		{faults.Error{Status: 503, Kind: "maintenance"}, 503, CodeServerUnavailable, "Salesforce is down for maintenance. Please try again later."},
		{faults.Error{Status: 503, Kind: "error"}, 503, CodeServerUnavailable, "Server temporarily unavailable. Please try again later."},
		{faults.Error{Status: 500, Kind: "error"}, 500, CodeUnknownException, "An unexpected error occurred. Please include this ErrorId if you contact support: 1732907355-41297 (-1170349871)"},
		{faults.Error{Status: 504, Kind: "timeout"}, 504, CodeRequestRunningTooLong, "Your request was running for too long, and has been stopped."},
		{faults.Error{Status: 401, Kind: "error"}, 401, CodeInvalidSessionID, "Session expired or invalid"},
		{faults.Error{Status: 403, Kind: "error"}, 403, CodeRequestLimitExceeded, "TotalRequests Limit exceeded."},
		{faults.Error{Status: 404, Kind: "error"}, 404, CodeNotFound, "The requested resource does not exist"},
		{faults.Error{Status: 400, Kind: "error", Code: "CUSTOM", Message: "m"}, 400, "CUSTOM", "m"},
		{faults.Error{Status: 400, Kind: "error", Code: CodeUnableToLockRow}, 400, CodeUnableToLockRow, "unable to obtain exclusive access to this record or 1 records: 0035g0000000001AAA"},
	}
	for _, c := range cases {
		w := httptest.NewRecorder()
		r := httptest.NewRequest(http.MethodGet, "/services/data/v60.0/sobjects/Contact/0035g0000000001AAA", nil)
		faultErrors{}.WriteError(w, r, c.e)
		e := requireError(t, w.Result(), w.Body.Bytes(), c.status, c.code)
		assert.Equal(t, c.message, e.Message)
		assert.Equal(t, []string{}, e.Fields)
		if c.status == 401 {
			assert.Equal(t, "Token", w.Header().Get("WWW-Authenticate"))
		}
	}
	w := httptest.NewRecorder()
	faultErrors{}.WriteError(w, httptest.NewRequest(http.MethodGet, "/", nil), faults.Error{Status: 503, RetryAfter: 1500 * time.Millisecond})
	assert.Equal(t, "2", w.Header().Get("Retry-After"))
}

func TestLatencyHoldsOnTheClock(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.Latency = "2s" })
	done := make(chan int, 1)
	go func() {
		resp, _ := b.do(t, http.MethodGet, "v60.0/", "")
		done <- resp.StatusCode
	}()
	ctx := t.Context()
	require.NoError(t, b.clock.BlockUntil(ctx, 1))
	select {
	case <-done:
		t.Fatal("answered before the latency passed")
	case <-time.After(20 * time.Millisecond):
	}
	b.clock.Advance(2 * time.Second)
	assert.Equal(t, http.StatusOK, <-done)
}

func TestTimeoutFault(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.srv.Fake().SetFaults([]faults.Rule{{Fault: "timeout", Params: map[string]string{"hold": "1m"}}}))
	type result struct {
		status int
		body   []byte
	}
	done := make(chan result, 1)
	go func() {
		resp, body := b.do(t, http.MethodGet, "v60.0/", "")
		done <- result{resp.StatusCode, body}
	}()
	require.NoError(t, b.clock.BlockUntil(t.Context(), 1))
	b.clock.Advance(time.Minute)
	r := <-done
	assert.Equal(t, http.StatusGatewayTimeout, r.status)
	assert.Contains(t, string(r.body), CodeRequestRunningTooLong)
}
