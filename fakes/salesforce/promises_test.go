package salesforce

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/faults"
)

func TestHeadWorksWhereGetDoes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, `{"LastName":"A"}`)
	for _, p := range []string{"v60.0/sobjects/Contact/" + id, "v60.0/limits", "v60.0/query?q=SELECT+Id+FROM+Contact"} {
		resp, body := b.do(t, http.MethodHead, p, "")
		assert.Equal(t, http.StatusOK, resp.StatusCode, p)
		assert.Empty(t, body)
		assert.NotEmpty(t, resp.Header.Get("Sforce-Limit-Info"))
	}
}

func TestLowerSessionTimeoutAppliesToIssuedTokens(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.clock.Advance(20 * time.Minute)
	l := b.srv.Limits()
	l.SessionTimeout = "15m"
	require.NoError(t, b.srv.SetLimits(l))
	resp, _ := b.do(t, http.MethodGet, "v60.0/limits", "")
	assert.Equal(t, http.StatusUnauthorized, resp.StatusCode)
}

func TestRefreshTokensSurviveExpireSessions(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.form(t, url.Values{"grant_type": {"authorization_code"}, "code": {"c"}, "client_id": {"cid"}})
	require.Equal(t, http.StatusOK, resp.StatusCode)
	rt := decode(t, body)["refresh_token"].(string)
	b.srv.ExpireSessions()
	resp, _ = b.form(t, url.Values{"grant_type": {"refresh_token"}, "refresh_token": {rt}, "client_id": {"cid"}})
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}

func TestTokenEndpointPassesFaultRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	require.NoError(t, b.srv.Fake().SetFaults([]faults.Rule{{Fault: "error", Path: TokenPath, Params: map[string]string{"status": "503"}}}))
	resp, body := b.form(t, url.Values{"grant_type": {"client_credentials"}, "client_id": {"a"}, "client_secret": {"b"}})
	requireError(t, resp, body, http.StatusServiceUnavailable, CodeServerUnavailable)
	assert.Empty(t, resp.Header.Get("Sforce-Limit-Info"))
	assert.Zero(t, b.srv.APIUsage().Used)
}

func TestConcurrentDuplicateCreatesNeverBothSucceed(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 8
	codes := make(chan int, n)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			resp, _ := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", fmt.Sprintf(`{"LastName":"L%d","Email":"same@example.com"}`, i))
			codes <- resp.StatusCode
		}(i)
	}
	wg.Wait()
	close(codes)
	created := 0
	for c := range codes {
		if c == http.StatusCreated {
			created++
		}
	}
	assert.Equal(t, 1, created)
	assert.EqualValues(t, 1, b.srv.Ledger().Counts(ObjectContact).RecordsByNaturalKey["same@example.com"])
	assert.EqualValues(t, n, b.srv.Ledger().Counts(ObjectContact).CreateAttemptsByNaturalKey["same@example.com"])
}

func TestBodyTooLarge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	big := `{"LastName":"` + strings.Repeat("x", maxBody) + `"}`
	resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", big)
	requireError(t, resp, body, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE")
}

func TestIDsRestartAfterReset(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.createContact(t, `{"LastName":"A"}`)
	b.srv.Reset()
	assert.Equal(t, first, b.createContact(t, `{"LastName":"A"}`))
	assert.Equal(t, NewID(PrefixContact, 1), first)
}

func TestUsageKeptWhenAllocationChanges(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.do(t, http.MethodGet, "v60.0/limits", "")
	b.do(t, http.MethodGet, "v60.0/limits", "")
	l := b.srv.Limits()
	l.DailyLimit = 3
	require.NoError(t, b.srv.SetLimits(l))
	resp, _ := b.do(t, http.MethodGet, "v60.0/limits", "")
	assert.Equal(t, "api-usage=3/3", resp.Header.Get("Sforce-Limit-Info"))
	resp, _ = b.do(t, http.MethodGet, "v60.0/limits", "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestLockRowRateAppliesToDeletes(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, `{"LastName":"A"}`)
	l := b.srv.Limits()
	l.LockRowRate = 1
	require.NoError(t, b.srv.SetLimits(l))
	resp, body := b.do(t, http.MethodDelete, "v60.0/sobjects/Contact/"+id, "")
	e := requireError(t, resp, body, http.StatusBadRequest, CodeUnableToLockRow)
	assert.Equal(t, "unable to obtain exclusive access to this record or 1 records: "+id, e.Message)
}

func TestCursorStoreBounds(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(t0)
	cs := newCursorStore(c)
	first := &cursor{}
	cs.add(first)
	for i := 0; i < maxCursors; i++ {
		cs.add(&cursor{})
	}
	assert.Equal(t, maxCursors, cs.open())
	assert.Nil(t, cs.get(first.id), "the oldest cursor goes first")
	c.Advance(cursorIdle - time.Nanosecond)
	assert.Equal(t, maxCursors, cs.open())
	c.Advance(time.Nanosecond)
	assert.Equal(t, 0, cs.open())
}

func TestIDs(t *testing.T) {
	t.Parallel()
	// a documented Salesforce id and its 18-character form
	assert.Equal(t, "AAR", idSuffix("0015000000Gv7qJ"))
	id, ok := canonicalID("0015000000Gv7qJ")
	assert.True(t, ok)
	assert.Equal(t, "0015000000Gv7qJAAR", id)
	_, ok = canonicalID("0015000000Gv7qJaar")
	assert.True(t, ok, "the suffix is case-insensitive")
	_, ok = canonicalID("0015000000Gv7qJAAS")
	assert.False(t, ok)
	_, ok = canonicalID("0015000000Gv7q!")
	assert.False(t, ok)
	assert.Equal(t, "0035g00000000zzAAA", NewID(PrefixContact, 62*62-1)[:15]+idSuffix(NewID(PrefixContact, 62*62-1)[:15]))
}

// The profile examples of docs/fake-salesforce.md apply as written.
func TestDocumentedProfilesApply(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := send(t, must(http.NewRequest(http.MethodPut, b.url+"/_fake/faults", strings.NewReader(`{
  "limits": {"edition":"unlimited","licenses":50,"long_running_limit":10,"long_running_threshold":"20s",
             "session_timeout":"15m","duplicate_rule":"on","lock_row_rate":0.02,"latency":"lognormal(300ms,25s)"},
  "faults": [{"fault":"maintenance","windows":[{"from":"1h","to":"70m"}]}]}`))))
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	n, err := b.srv.Limits().DailyAllocation()
	require.NoError(t, err)
	assert.EqualValues(t, 350_000, n)
	assert.Equal(t, 10, b.srv.Limits().LongRunningLimit)

	req := must(http.NewRequest(http.MethodPut, b.url+"/_fake/faults", strings.NewReader(`limits:
  edition: developer
  daily_limit: 5000
  external_id_fields: Shopify_Customer_Id__c,Account.Shopify_Company_Id__c
  unique_external_ids: true
faults:
  - fault: error
    probability: 0.05
    method: PATCH
    params: {status: "400", code: UNABLE_TO_LOCK_ROW}
`)))
	req.Header.Set("Content-Type", "application/yaml")
	resp, body = send(t, req)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.EqualValues(t, 5000, b.srv.Limits().DailyLimit)
	assert.Equal(t, 5, b.srv.Limits().LongRunningLimit)
	require.Len(t, b.srv.Fake().Faults(), 1)
}
