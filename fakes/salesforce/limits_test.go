package salesforce

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/faults"
)

func TestDailyAllocationFormula(t *testing.T) {
	t.Parallel()
	cases := []struct {
		l     Limits
		daily int64
		slots int
	}{
		{Limits{}, 100_000, 25},
		{Limits{Edition: "developer"}, 15_000, 5},
		{Limits{Edition: "developer", Licenses: 50}, 15_000, 5},
		{Limits{Edition: "enterprise", Licenses: 50}, 150_000, 25},
		{Limits{Edition: "professional", Licenses: 10}, 110_000, 25},
		{Limits{Edition: "unlimited", Licenses: 50}, 350_000, 25},
		{Limits{Edition: "Performance", Licenses: 2}, 110_000, 25},
		{Limits{Edition: "unlimited", Licenses: 10, BaseAllocation: 500_000}, 550_000, 25},
		{Limits{Edition: "enterprise", Licenses: 10, PerLicense: 2_000}, 120_000, 25},
		{Limits{Edition: "sandbox"}, 5_000_000, 25},
		{Limits{Edition: "enterprise", Licenses: 50, DailyLimit: 42}, 42, 25},
		{Limits{Edition: "developer", LongRunningLimit: 9}, 15_000, 9},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%+v", c.l), func(t *testing.T) {
			t.Parallel()
			got, err := c.l.DailyAllocation()
			require.NoError(t, err)
			assert.Equal(t, c.daily, got)
			st, err := c.l.resolve()
			require.NoError(t, err)
			assert.Equal(t, c.slots, st.limits.LongRunningLimit)
		})
	}
}

func TestLimitsValidation(t *testing.T) {
	t.Parallel()
	bad := []struct {
		l    Limits
		want string
	}{
		{Limits{Edition: "group"}, "edition"},
		{Limits{Licenses: -1}, "licenses"},
		{Limits{DailyLimit: -1}, "daily_limit"},
		{Limits{LongRunningLimit: -1}, "long_running_limit"},
		{Limits{LongRunningThreshold: "0s"}, "long_running_threshold"},
		{Limits{SessionTimeout: "soon"}, "session_timeout"},
		{Limits{DuplicateRule: "maybe"}, "duplicate_rule"},
		{Limits{LockRowRate: 1.5}, "lock_row_rate"},
		{Limits{Latency: "lognormal(1s)"}, "latency"},
		{Limits{APIVersions: "v19.0-v60.0"}, "api_versions"},
		{Limits{APIVersions: "v60.0-v50.0"}, "api_versions"},
		{Limits{APIVersions: "v60.5"}, "api_versions"},
		{Limits{APIVersions: "v25.0-v60.0"}, "overlaps"},
		{Limits{RetiredAPIVersions: "v30"}, "retired_api_versions"},
		{Limits{SessionRefresh: "sometimes"}, "session_refresh"},
		{Limits{BatchCounting: "per_record"}, "batch_counting"},
		{Limits{BulkQueueDelay: "soon"}, "bulk_queue_delay"},
		{Limits{BulkProcessingRate: -1}, "bulk_processing_rate"},
		{Limits{BulkBatchAllocation: -1}, "bulk_batch_allocation"},
		{Limits{ExternalIDFields: "Lead.X__c"}, "external_id_fields"},
		{Limits{ExternalIDFields: "NotCustom"}, "external_id_fields"},
		{Limits{ExternalIDFields: "Order_Count__c"}, "external_id_fields"},
		{Limits{ExternalIDFields: "A__c,a__c"}, "listed twice"},
		{Limits{QueryBatchSize: 100}, "query_batch_size"},
	}
	for _, c := range bad {
		_, err := New(Options{Limits: c.l})
		require.Error(t, err, "%+v", c.l)
		assert.Contains(t, err.Error(), c.want)
	}
}

func TestLimitInfoHeaderAndDailyLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.DailyLimit, o.Limits.SessionTimeout = 3, "48h" })
	for i := 1; i <= 3; i++ {
		resp, body := b.do(t, http.MethodGet, "v60.0/limits", "")
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, fmt.Sprintf("api-usage=%d/3", i), resp.Header.Get("Sforce-Limit-Info"))
	}
	resp, body := b.do(t, http.MethodGet, "v60.0/limits", "")
	e := requireError(t, resp, body, http.StatusForbidden, CodeRequestLimitExceeded)
	assert.Equal(t, "TotalRequests Limit exceeded.", e.Message)
	assert.JSONEq(t, `[{"message":"TotalRequests Limit exceeded.","errorCode":"REQUEST_LIMIT_EXCEEDED"}]`, string(body))
	assert.Equal(t, "api-usage=3/3", resp.Header.Get("Sforce-Limit-Info"))
	assert.Empty(t, resp.Header.Get("Retry-After"), "Salesforce sends no Retry-After")

	// the versions resource neither counts nor carries the header
	resp, _ = send(t, must(http.NewRequest(http.MethodGet, b.url+"/services/data/", nil)))
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Empty(t, resp.Header.Get("Sforce-Limit-Info"))

	st := b.srv.Stats()
	assert.EqualValues(t, 1, st.Throttled[ThrottleDaily])
	assert.EqualValues(t, 1, b.srv.LimitStats().DailyRefused)

	// the rolling 24 hours: calls leave the window a day after they were made
	b.clock.Advance(24*time.Hour - 2*time.Second)
	resp, _ = b.do(t, http.MethodGet, "v60.0/limits", "")
	require.Equal(t, http.StatusForbidden, resp.StatusCode, "still inside the window")
	b.clock.Advance(2 * time.Second)
	resp, body = b.do(t, http.MethodGet, "v60.0/limits", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "api-usage=1/3", resp.Header.Get("Sforce-Limit-Info"))
	var lim map[string]OrgLimit
	require.NoError(t, json.Unmarshal(body, &lim))
	assert.Equal(t, OrgLimit{Max: 3, Remaining: 2}, lim["DailyApiRequests"])
}

func TestDailyOverage(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.DailyLimit, o.Limits.DailyOverage = 2, 1 })
	for i := 1; i <= 3; i++ {
		resp, _ := b.do(t, http.MethodGet, "v60.0/limits", "")
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, fmt.Sprintf("api-usage=%d/2", i), resp.Header.Get("Sforce-Limit-Info"))
	}
	resp, _ := b.do(t, http.MethodGet, "v60.0/limits", "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
}

func TestErrorsCarryLimitInfo(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.do(t, http.MethodGet, "v60.0/sobjects/Lead", "")
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
	assert.Equal(t, "api-usage=1/100000", resp.Header.Get("Sforce-Limit-Info"))
}

// holdRequests starts n GETs of path and waits until all are asleep on the clock.
func holdRequests(t *testing.T, b *testBundle, n int, path string, wg *sync.WaitGroup, codes chan<- int) {
	t.Helper()
	before := b.clock.Waiters()
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			req := must(http.NewRequest(http.MethodGet, b.url+dataPrefix+path, nil))
			req.Header.Set("Authorization", "Bearer "+b.token)
			resp, err := http.DefaultClient.Do(req)
			if err == nil {
				resp.Body.Close()
				codes <- resp.StatusCode
			}
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, before+n))
}

func TestLongRunningSlotsAtTheEdge(t *testing.T) {
	t.Parallel()
	b := setup(t)
	// 24 calls take 60 s, one takes 30 s: only the fault rules add latency here
	require.NoError(t, b.srv.Fake().SetFaults([]faults.Rule{
		{Fault: "latency", Path: "/services/data/v60.0/limits", Params: map[string]string{"dist": "60s"}},
		{Fault: "latency", Path: "/services/data/v60.0/sobjects", Params: map[string]string{"dist": "30s"}},
	}))
	var long, short sync.WaitGroup
	codes := make(chan int, 32)
	holdRequests(t, b, 24, "v60.0/limits", &long, codes)
	holdRequests(t, b, 1, "v60.0/sobjects", &short, codes)

	b.clock.Advance(20*time.Second - time.Nanosecond)
	assert.Equal(t, 0, b.srv.slots.Occupied(), "nothing is long-running before 20 s")
	b.clock.Advance(time.Nanosecond)
	assert.Equal(t, 25, b.srv.slots.Occupied())

	resp, body := b.do(t, http.MethodGet, "v60.0/", "")
	e := requireError(t, resp, body, http.StatusForbidden, CodeRequestLimitExceeded)
	assert.Equal(t, "ConcurrentRequests (Concurrent API Requests) Limit exceeded.", e.Message)
	assert.Equal(t, "api-usage=25/100000", resp.Header.Get("Sforce-Limit-Info"), "the refused call is not counted")
	assert.EqualValues(t, 1, b.srv.Stats().Throttled[ThrottleConcurrent])

	b.clock.Advance(10 * time.Second) // the 30 s call ends
	short.Wait()
	assert.Equal(t, 24, b.srv.slots.Occupied())
	resp, body = b.do(t, http.MethodGet, "v60.0/", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))

	b.clock.Advance(time.Minute)
	long.Wait()
	close(codes)
	for c := range codes {
		assert.Equal(t, http.StatusOK, c)
	}
	ls := b.srv.LimitStats().LongRunning
	assert.Equal(t, 25, ls.MaxOccupied)
	assert.EqualValues(t, 1, ls.Refused)
	assert.Equal(t, 0, ls.InFlight)
}

func TestLongRunningSlotsUnit(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(t0)
	l := NewLongRunningSlots(c, 2, 20*time.Second)
	a, ok := l.Begin()
	require.True(t, ok)
	c.Advance(5 * time.Second)
	fb, ok := l.Begin()
	require.True(t, ok)
	c.Advance(15 * time.Second) // A at 20 s, B at 15 s
	assert.Equal(t, 1, l.Occupied())
	fc, ok := l.Begin() // short requests are never limited
	require.True(t, ok)
	c.Advance(5 * time.Second) // A 25 s, B 20 s, C 5 s
	assert.Equal(t, 2, l.Occupied())
	_, ok = l.Begin()
	assert.False(t, ok)
	a.End()
	a.End() // a second call does nothing
	assert.Equal(t, 1, l.Occupied())
	fd, ok := l.Begin()
	require.True(t, ok)
	l.Set(0, time.Second) // unlimited; D has run for 0 s
	assert.Equal(t, 2, l.Occupied())
	_, ok = l.Begin()
	assert.True(t, ok)
	fb.End()
	fc.End()
	fd.End()
	st := l.Stats()
	assert.Equal(t, 2, st.MaxOccupied)
	assert.EqualValues(t, 1, st.Refused)
	assert.Equal(t, 1, st.InFlight)
}

func TestDeveloperEditionHasFiveSlots(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.Edition = "developer" })
	require.NoError(t, b.srv.Fake().SetFaults([]faults.Rule{{Fault: "latency", Path: "/services/data/v60.0/limits", Params: map[string]string{"dist": "21s"}}}))
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	holdRequests(t, b, 5, "v60.0/limits", &wg, codes)
	b.clock.Advance(20 * time.Second)
	resp, _ := b.do(t, http.MethodGet, "v60.0/", "")
	assert.Equal(t, http.StatusForbidden, resp.StatusCode)
	assert.Equal(t, "api-usage=5/15000", resp.Header.Get("Sforce-Limit-Info"))
	b.clock.Advance(time.Second)
	wg.Wait()
}

func TestApplyLimitsIsStrict(t *testing.T) {
	t.Parallel()
	b := setup(t)
	put := func(body string) (*http.Response, []byte) {
		req := must(http.NewRequest(http.MethodPut, b.url+"/_fake/faults", strings.NewReader(body)))
		return send(t, req)
	}
	resp, body := put(`{"limits":{"edition":"developer","session_timeout":"1h","lock_row_rate":0.5}}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	l := b.srv.Limits()
	assert.Equal(t, "developer", l.Edition)
	assert.Equal(t, 5, l.LongRunningLimit, "a new edition brings its own slot default")
	assert.Equal(t, "1h", l.SessionTimeout)
	assert.Equal(t, 0.5, l.LockRowRate)
	resp, _ = b.do(t, http.MethodGet, "v60.0/limits", "")
	assert.Equal(t, "api-usage=1/15000", resp.Header.Get("Sforce-Limit-Info"))

	for _, bad := range []string{
		`{"limits":{"daily_limt":5}}`,
		`{"limits":{"daily_limit":"5"}}`,
		`{"limits":{"edition":"nope"}}`,
		`{"limits":{"latency":"fast"}}`,
	} {
		resp, body = put(bad)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, bad)
		assert.Contains(t, string(body), "error")
	}
	assert.Equal(t, l, b.srv.Limits(), "a refused change changes nothing")

	resp, body = send(t, must(http.NewRequest(http.MethodGet, b.url+"/_fake/faults", nil)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	for _, k := range []string{"daily_limit", "edition", "licenses", "long_running_limit", "long_running_threshold", "session_timeout", "duplicate_rule", "latency", "lock_row_rate", "external_id_fields", "api_versions"} {
		assert.Contains(t, string(body), `"`+k+`"`)
	}
}

func TestStatsShowLimits(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.DailyLimit = 10 })
	b.do(t, http.MethodGet, "v60.0/limits", "")
	resp, body := send(t, must(http.NewRequest(http.MethodGet, b.url+"/_fake/stats", nil)))
	require.Equal(t, http.StatusOK, resp.StatusCode)
	m := decode(t, body)
	lim := m["limits"].(map[string]any)
	assert.Equal(t, map[string]any{"used": 1.0, "limit": 10.0}, lim["api_usage"])
	assert.Equal(t, "enterprise", lim["edition"])
	assert.Contains(t, lim, "long_running")
	assert.EqualValues(t, 1, lim["sessions"])
}

func TestLimitsResourceMatchesTheAllocation(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.DailyLimit = 500 })
	b.createContact(t, `{"LastName":"A"}`)
	resp, body := b.do(t, http.MethodGet, "v60.0/limits/", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "api-usage=2/500", resp.Header.Get("Sforce-Limit-Info"))
	var lim map[string]OrgLimit
	require.NoError(t, json.Unmarshal(body, &lim))
	assert.Equal(t, OrgLimit{Max: 500, Remaining: 498}, lim["DailyApiRequests"], "the same figures as Sforce-Limit-Info")
	assert.Equal(t, OrgLimit{Max: 15000, Remaining: 15000}, lim["DailyBulkApiBatches"])
	for _, k := range []string{"DailyBulkV2QueryJobs", "DailyBulkV2QueryFileStorageMB", "ConcurrentAsyncGetReportInstances", "DailyAsyncApexExecutions", "DataStorageMB", "SingleEmail"} {
		require.Contains(t, lim, k)
		assert.Equal(t, lim[k].Max, lim[k].Remaining, k)
	}
	// keys come out sorted, as Salesforce's do
	assert.Less(t, strings.Index(string(body), `"ConcurrentAsyncGetReportInstances"`), strings.Index(string(body), `"DailyApiRequests"`))
}
