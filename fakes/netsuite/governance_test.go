package netsuite

import (
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func TestAccountLimitFromTier(t *testing.T) {
	t.Parallel()
	cases := []struct {
		l    Limits
		want int
	}{
		{Limits{}, 15},
		{Limits{Tier: "standard"}, 5},
		{Limits{Tier: "standard", SuiteCloudPlus: 1}, 15},
		{Limits{Tier: "shared", SuiteCloudPlus: 5}, 55},
		{Limits{Tier: "premium", SuiteCloudPlus: 5}, 65},
		{Limits{Tier: "Tier1", SuiteCloudPlus: 1}, 25},
		{Limits{Tier: "enterprise", SuiteCloudPlus: 1}, 30},
		{Limits{Tier: "ultimate", SuiteCloudPlus: 5}, 70},
		{Limits{Tier: "enterprise", TierBase: 25, SuiteCloudPlus: 1}, 35},
		{Limits{Tier: "standard", SuiteCloudPlus: 3, Concurrency: 7}, 7},
	}
	for _, tc := range cases {
		st, err := tc.l.resolve()
		require.NoError(t, err, "%+v", tc.l)
		assert.Equal(t, tc.want, st.accountLimit, "%+v", tc.l)
	}
}

func TestLimitsValidation(t *testing.T) {
	t.Parallel()
	cases := []struct {
		l    Limits
		knob string
	}{
		{Limits{Tier: "gold"}, "tier"},
		{Limits{SuiteCloudPlus: -1}, "suitecloud_plus"},
		{Limits{Concurrency: -2}, "concurrency"},
		{Limits{Held: -1}, "held"},
		{Limits{TierBase: -1}, "tier_base"},
		{Limits{Latency: "slow"}, "latency"},
		{Limits{ReadLatency: "lognormal(2s,1s)"}, "read_latency"},
		{Limits{OverLimit401Share: 1.5}, "overlimit_401_share"},
		{Limits{OverLimit401Delay: "-1s"}, "overlimit_401_delay"},
		{Limits{DuplicateExternalID: "200:OK"}, "duplicate_external_id"},
		{Limits{DuplicateExternalID: "400"}, "duplicate_external_id"},
		{Limits{DuplicateExternalID: "400:dup"}, "duplicate_external_id"},
		{Limits{TaxFields: "keep"}, "tax_fields"},
		{Limits{FulfillAfter: "soon"}, "fulfill_after"},
		{Limits{ReceiptsEvery: "often"}, "receipts_every"},
	}
	for _, tc := range cases {
		_, err := tc.l.resolve()
		var ke *KnobError
		require.ErrorAs(t, err, &ke, "%+v", tc.l)
		assert.Equal(t, tc.knob, ke.Knob)
		assert.Equal(t, "--"+strings.ReplaceAll(tc.knob, "_", "-"), ke.Flag())
	}
}

// TestExactlyLimitRequestsPass holds N GETs inside their latency on a manual clock, so
// they overlap deterministically; request N+1 gets the 429 body.
func TestExactlyLimitRequestsPass(t *testing.T) {
	t.Parallel()
	const limit = 4
	srv, b := setup(t, func(o *Options) { o.Limits.Concurrency = limit; o.Limits.ReadLatency = "1s" })

	var wg sync.WaitGroup
	statuses := make(chan int, limit)
	for range limit {
		wg.Add(1)
		go func() {
			defer wg.Done()
			statuses <- b.do(t, http.MethodGet, itemPath, nil).status
		}()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, limit), "every admitted request is asleep in its latency")

	over := b.do(t, http.MethodGet, itemPath, nil)
	require.Equal(t, http.StatusTooManyRequests, over.status)
	assert.Equal(t, string(compact(t, referenceConcurrencyBody)), string(over.body))
	assert.Equal(t, "application/json; charset=UTF-8", over.header.Get("Content-Type"))

	b.clock.Advance(time.Second)
	wg.Wait()
	close(statuses)
	for s := range statuses {
		assert.Equal(t, http.StatusOK, s)
	}
	st := srv.Stats()
	assert.Equal(t, limit, st.MaxConcurrency)
	assert.Equal(t, int64(1), st.Throttled[CodeConcurrencyLimitExceeded])
	assert.Equal(t, int64(1), st.ResponsesByStatus["429"])

	// With the slots free again, a request passes.
	again := make(chan int)
	go func() { again <- b.do(t, http.MethodGet, itemPath+"?limit=1", nil).status }()
	require.NoError(t, b.clock.BlockUntil(ctx, 1))
	b.clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, <-again)
}

func TestHeldSlotsBelongToAnotherIntegration(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.Concurrency = 3; o.Limits.Held = 2; o.Limits.ReadLatency = "1s" })
	done := make(chan int)
	go func() { done <- b.do(t, http.MethodGet, itemPath, nil).status }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, 1))
	assert.Equal(t, http.StatusTooManyRequests, b.do(t, http.MethodGet, itemPath, nil).status, "2 held + 1 in use = 3")
	b.clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, <-done)

	// Releasing the held slots through the admin API admits more.
	r := putFaults(t, b, `{"limits":{"held":0}}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, 0, srv.Limits().Held)
	assert.Equal(t, 0, srv.gate.Stats().HeldOutside)
}

func putFaults(t *testing.T, b *bundle, body string) response {
	t.Helper()
	req, err := http.NewRequest(http.MethodPut, b.url+"/_fake/faults", strings.NewReader(body))
	require.NoError(t, err)
	resp, err := b.client.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	var raw json.RawMessage
	_ = json.NewDecoder(resp.Body).Decode(&raw)
	return response{status: resp.StatusCode, header: resp.Header, body: raw}
}

// TestConcurrencyNeverExceedsLimitUnderLoad fires hundreds of goroutines at the HTTP fake
// with real (short) latency: the gate's peak never passes the limit, some requests are
// refused, and every request is accounted for.
func TestConcurrencyNeverExceedsLimitUnderLoad(t *testing.T) {
	t.Parallel()
	const limit, workers, perWorker = 10, 300, 5
	srv, b := setup(t, func(o *Options) {
		o.Clock = clock.Real()
		o.Limits.Concurrency = limit
		o.Limits.ReadLatency = "uniform(1ms,4ms)"
		o.Limits.Latency = "uniform(1ms,4ms)"
	})
	var ok, throttled, other atomic.Int64
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range perWorker {
				var r response
				if (w+i)%3 == 0 {
					r = b.do(t, http.MethodPost, soPath, b.orderBody("load", 1))
				} else {
					r = b.do(t, http.MethodGet, itemPath+"/1001", nil)
				}
				switch r.status {
				case http.StatusOK, http.StatusNoContent:
					ok.Add(1)
				case http.StatusTooManyRequests:
					throttled.Add(1)
				default:
					other.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	st := srv.Stats()
	gate := srv.GovernanceStats().Gate
	t.Logf("ok=%d throttled=%d max_concurrency=%d max_in_flight=%d", ok.Load(), throttled.Load(), st.MaxConcurrency, st.MaxInFlight)
	assert.LessOrEqual(t, st.MaxConcurrency, limit)
	assert.Equal(t, gate.MaxObserved, st.MaxConcurrency)
	assert.Positive(t, throttled.Load(), "300 goroutines against 10 slots must be refused sometimes")
	assert.Positive(t, ok.Load())
	assert.Zero(t, other.Load())
	assert.Equal(t, int64(workers*perWorker), ok.Load()+throttled.Load())
	assert.Equal(t, throttled.Load(), st.Throttled[CodeConcurrencyLimitExceeded])
	assert.Equal(t, gate.Admitted, ok.Load())
	assert.Greater(t, st.MaxInFlight, int64(limit), "more requests were open at the HTTP layer than admitted")
}

func TestOverLimit401Quirk(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) {
		o.Limits.Concurrency = 1
		o.Limits.ReadLatency = "1s"
		o.Limits.OverLimit401Share = 1
		o.Limits.OverLimit401Delay = "60s"
	})
	first := make(chan int)
	go func() { first <- b.do(t, http.MethodGet, itemPath, nil).status }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, 1))

	second := make(chan response)
	go func() { second <- b.do(t, http.MethodGet, itemPath, nil) }()
	require.NoError(t, b.clock.BlockUntil(ctx, 2), "the refused request waits out its delay")
	b.clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, <-first)
	select {
	case <-second:
		t.Fatal("the 401 came before its delay")
	default:
	}
	b.clock.Advance(59 * time.Second)
	r := <-second
	require.Equal(t, http.StatusUnauthorized, r.status)
	assert.Equal(t, CodeInvalidLogin, r.errorBody(t).Details[0].Code)
	assert.Equal(t, int64(1), srv.GovernanceStats().RejectedAs401)
	assert.Equal(t, int64(1), srv.Stats().Throttled[CodeConcurrencyLimitExceeded])
}

func TestGovernanceLimitsRoute(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.Tier = "standard"; o.Limits.SuiteCloudPlus = 1 })
	r := b.do(t, http.MethodGet, governancePath, nil)
	require.Equal(t, http.StatusOK, r.status)
	m := r.json(t)
	assert.Equal(t, 15.0, m["accountConcurrencyLimit"])
	assert.Equal(t, 15.0, m["unallocatedConcurrencyLimit"])
	assert.Equal(t, "accountLimit", m["limitType"])
	assert.Equal(t, int64(0), srv.gate.Stats().Admitted, "the governance route never counts against the limit")

	r = b.do(t, http.MethodPost, governancePath, map[string]any{})
	require.Equal(t, http.StatusMethodNotAllowed, r.status)
	r.errorBody(t)
}

func TestLimitsThroughAdminAPI(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	r := putFaults(t, b, `{"limits":{"tier":"enterprise","suitecloud_plus":2,"latency":"0","read_latency":"0"}}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	assert.Equal(t, 40, srv.GovernanceStats().AccountLimit)
	assert.Equal(t, 40, srv.gate.Stats().Limit)

	var view struct {
		Limits Limits `json:"limits"`
	}
	require.NoError(t, json.Unmarshal(r.body, &view))
	assert.Equal(t, "enterprise", view.Limits.Tier)
	assert.Equal(t, DefaultDuplicateExternalID, view.Limits.DuplicateExternalID, "defaults are filled in")

	for _, bad := range []string{`{"limits":{"concurrancy":5}}`, `{"limits":{"tier":"gold"}}`, `{"limits":{"held":"two"}}`} {
		r = putFaults(t, b, bad)
		assert.Equal(t, http.StatusBadRequest, r.status, bad)
		assert.Equal(t, 40, srv.GovernanceStats().AccountLimit, "nothing changes on error: %s", bad)
	}
	r = putFaults(t, b, `{"limits":{"concurrency":3}}`)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, 3, srv.gate.Stats().Limit, "concurrency wins over tier")
}

func TestLatencyHoldsTheSlot(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.Latency = "2s"; o.Limits.Concurrency = 5 })
	done := make(chan int)
	go func() { done <- b.do(t, http.MethodPost, soPath, b.orderBody("5001", 1)).status }()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, 1))
	assert.Equal(t, 1, srv.gate.Stats().InUse, "the write holds its slot while it waits")
	assert.Empty(t, srv.Ledger().Effects(RecordSalesOrder), "the effect comes after the latency")
	b.clock.Advance(2 * time.Second)
	assert.Equal(t, http.StatusNoContent, <-done)
	assert.Equal(t, 0, srv.gate.Stats().InUse)
	assert.Empty(t, srv.Stats().FaultsInjected, "base latency is not counted as an injected fault")
}

func TestMaintenanceFaultAnswers503(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	r := putFaults(t, b, `{"faults":[{"fault":"maintenance","params":{"retry_after":"10m"}}]}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	got := b.do(t, http.MethodPost, soPath, b.orderBody("5001", 1))
	require.Equal(t, http.StatusServiceUnavailable, got.status)
	e := got.errorBody(t)
	assert.Equal(t, detailMaintenance, e.Details[0].Detail)
	assert.Equal(t, "600", got.header.Get("Retry-After"))
	assert.Empty(t, b.srv.Ledger().Effects(RecordSalesOrder), "maintenance has no effect")
}
