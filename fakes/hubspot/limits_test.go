package hubspot

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp"
)

const getPath = "/crm/v3/objects/contacts?limit=1"

func TestTierLimits(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		limits       Limits
		burst        int
		daily        int64
		oauth, perS  int
		wantErrWords string
	}{
		{limits: Limits{}, burst: 190, daily: 625_000, oauth: 100, perS: 4},
		{limits: Limits{Tier: "free"}, burst: 100, daily: 250_000, oauth: 100, perS: 4},
		{limits: Limits{Tier: "Starter"}, burst: 100, daily: 250_000, oauth: 100, perS: 4},
		{limits: Limits{Tier: "enterprise"}, burst: 190, daily: 1_000_000, oauth: 100, perS: 4},
		{limits: Limits{Tier: "enterprise", APILimitIncrease: 2}, burst: 250, daily: 3_000_000, oauth: 100, perS: 4},
		{limits: Limits{Tier: "starter", APILimitIncrease: 1}, burst: 250, daily: 1_250_000, oauth: 100, perS: 4},
		{limits: Limits{Tier: "professional", Daily: 650_000, Burst: 150, OAuthBurst: 110, SearchPerSecond: 5}, burst: 150, daily: 650_000, oauth: 110, perS: 5},
		{limits: Limits{Tier: "ultimate"}, wantErrWords: "tier"},
		{limits: Limits{APILimitIncrease: 3}, wantErrWords: "api_limit_increase"},
		{limits: Limits{Burst: -1}, wantErrWords: "burst -1"},
		{limits: Limits{Timezone: "Mars/Olympus"}, wantErrWords: "timezone"},
		{limits: Limits{BurstWindow: "0s"}, wantErrWords: "burst_window"},
		{limits: Limits{SearchIndexLag: "-1s"}, wantErrWords: "search_index_lag"},
		{limits: Limits{ConflictCategory: "DUPLICATE"}, wantErrWords: "conflict_category"},
		{limits: Limits{ExternalIDProperty: "Shopify Id"}, wantErrWords: "external_id_property"},
		{limits: Limits{Latency: "soon"}, wantErrWords: "latency"},
	} {
		st, err := c.limits.resolve()
		if c.wantErrWords != "" {
			require.Error(t, err, "%+v", c.limits)
			assert.True(t, strings.HasPrefix(err.Error(), c.wantErrWords), "%v should start with %s", err, c.wantErrWords)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, c.burst, st.burst, "%+v", c.limits)
		assert.Equal(t, c.daily, st.daily, "%+v", c.limits)
		assert.Equal(t, c.oauth, st.oauthBurst)
		assert.Equal(t, c.perS, st.searchPerSecond)
	}
}

// The burst window admits exactly Max requests in any 10 s, answers the next with the
// reference's TEN_SECONDLY_ROLLING body, and admits again one nanosecond after the
// oldest request leaves the window. Every answer says where the app stands.
func TestBurstLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.Burst = 3 })
	for i := 1; i <= 3; i++ {
		r := b.do(t, http.MethodGet, getPath, nil)
		require.Equal(t, http.StatusOK, r.status)
		assert.Equal(t, "10000", r.header.Get(HeaderInterval))
		assert.Equal(t, "3", r.header.Get(HeaderMax))
		assert.Equal(t, itoa(3-i), r.header.Get(HeaderRemaining))
		assert.Equal(t, "625000", r.header.Get(HeaderDaily))
		assert.Equal(t, itoa(625000-i), r.header.Get(HeaderDailyRemaining))
		assert.Equal(t, "1", r.header.Get(HeaderSecondly), "3 per 10 s rounds up to 1 a second")
		b.clock.Advance(time.Second)
	}
	r := b.do(t, http.MethodGet, getPath, nil)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	assert.Equal(t, "0", r.header.Get(HeaderRemaining))
	assert.Equal(t, "624997", r.header.Get(HeaderDailyRemaining), "a refused call is not counted")
	assert.Empty(t, r.header.Get("Retry-After"), "HubSpot documents no Retry-After")
	var body RateLimitBody
	r.decode(t, &body)
	assert.Equal(t, "error", body.Status)
	assert.Equal(t, "You have reached your ten_secondly_rolling limit.", body.Message)
	assert.Equal(t, "RATE_LIMIT", body.ErrorType)
	assert.Equal(t, PolicyTenSecondly, body.PolicyName)
	assert.Regexp(t, `^publicapi:private_app-api-calls-ten-secondly:\d+:62515$`, body.GroupName)
	assert.Equal(t, r.header.Get(headerCorrelationID), body.CorrelationID)
	assert.True(t, strings.HasPrefix(string(r.body), `{"status":"error","message":"You have reached your ten_secondly_rolling limit.","errorType":"RATE_LIMIT","correlationId":`),
		"the reference's field order: %s", r.body)

	b.clock.Advance(7*time.Second - time.Nanosecond) // the first call was at t0; now t0+10s-1ns
	assert.Equal(t, http.StatusTooManyRequests, b.do(t, http.MethodGet, getPath, nil).status)
	b.clock.Advance(time.Nanosecond)
	assert.Equal(t, http.StatusOK, b.do(t, http.MethodGet, getPath, nil).status, "exactly 10 s after the first call")
	assert.Equal(t, http.StatusTooManyRequests, b.do(t, http.MethodGet, getPath, nil).status)

	s := b.srv.Stats()
	assert.Equal(t, int64(3), s.Throttled[PolicyTenSecondly])
	assert.Equal(t, int64(3), s.ResponsesByStatus["429"])
	assert.Equal(t, int64(3), b.srv.LimitStats().Refused[PolicyTenSecondly])
	assert.Equal(t, int64(4), b.srv.DailyUsage().Used)
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }

// Each private app (token) has its own burst; OAuth tokens share the public app's,
// which has no daily limit and no daily headers.
func TestBurstPerAppAndOAuth(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.Burst = 1; o.Limits.OAuthBurst = 2 })
	assert.Equal(t, http.StatusOK, b.doAs(t, "pat-na1-a", http.MethodGet, getPath, nil).status)
	assert.Equal(t, http.StatusTooManyRequests, b.doAs(t, "pat-na1-a", http.MethodGet, getPath, nil).status)
	assert.Equal(t, http.StatusOK, b.doAs(t, "pat-na1-b", http.MethodGet, getPath, nil).status, "another private app")

	r := b.doAs(t, "CJSP5qf1KhICAQEYs-gDIIGOBii1hQIyGQAf3xBKmlwHjX7OIpuIFEavB2-qYAGQsF4", http.MethodGet, getPath, nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, "2", r.header.Get(HeaderMax))
	assert.Empty(t, r.header.Get(HeaderDaily), "OAuth calls carry no daily headers")
	assert.Empty(t, r.header.Get(HeaderDailyRemaining))
	assert.Equal(t, http.StatusOK, b.doAs(t, "another-oauth-token", http.MethodGet, getPath, nil).status)
	r = b.doAs(t, "a-third-oauth-token", http.MethodGet, getPath, nil)
	assert.Equal(t, http.StatusTooManyRequests, r.status, "OAuth tokens share the public app's burst")
	var body RateLimitBody
	r.decode(t, &body)
	assert.Equal(t, PolicyTenSecondly, body.PolicyName)
	assert.Empty(t, body.GroupName)
	assert.Equal(t, int64(2), b.srv.DailyUsage().Used, "only the private apps' calls count against the day")
}

// The daily limit resets at midnight in the account's time zone, not 24 h after each
// call.
func TestDailyLimitResetsAtLocalMidnight(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.Daily = 2; o.Limits.SendRetryAfter = true })
	ny, _ := time.LoadLocation("America/New_York")
	b.clock.Set(time.Date(2026, 11, 27, 23, 59, 0, 0, ny))
	assert.Equal(t, http.StatusOK, b.do(t, http.MethodGet, getPath, nil).status)
	assert.Equal(t, http.StatusOK, b.do(t, http.MethodGet, getPath, nil).status)
	r := b.do(t, http.MethodGet, getPath, nil)
	require.Equal(t, http.StatusTooManyRequests, r.status)
	var body RateLimitBody
	r.decode(t, &body)
	assert.Equal(t, "You have reached your daily limit.", body.Message)
	assert.Equal(t, PolicyDaily, body.PolicyName)
	assert.NotEmpty(t, body.RequestID)
	assert.Equal(t, "0", r.header.Get(HeaderDailyRemaining))
	assert.Equal(t, "60", r.header.Get("Retry-After"), "send_retry_after: until midnight")
	du := b.srv.DailyUsage()
	assert.Equal(t, "2026-11-27", du.Day)
	assert.Equal(t, time.Date(2026, 11, 28, 0, 0, 0, 0, ny), du.ResetsAt)

	b.clock.Set(time.Date(2026, 11, 28, 0, 0, 0, 0, ny).Add(-time.Nanosecond))
	assert.Equal(t, http.StatusTooManyRequests, b.do(t, http.MethodGet, getPath, nil).status)
	b.clock.Set(time.Date(2026, 11, 28, 0, 0, 0, 0, ny))
	r = b.do(t, http.MethodGet, getPath, nil)
	assert.Equal(t, http.StatusOK, r.status, "a new day in New York")
	assert.Equal(t, "1", r.header.Get(HeaderDailyRemaining))
	assert.Equal(t, int64(2), b.srv.Stats().Throttled[PolicyDaily])

	// Switching the zone to UTC: it is already 05:00 on the 28th there, the same day.
	require.NoError(t, b.srv.SetLimits(func() Limits { l := b.srv.Limits(); l.Timezone = "UTC"; return l }()))
	assert.Equal(t, "2026-11-28", b.srv.DailyUsage().Day)
}

// Search has its own limit per token per second, a SECONDLY 429, and no rate-limit
// headers; it does not use the burst window.
func TestSearchLimit(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.Burst = 1 })
	for range 4 {
		r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{})
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		for _, h := range []string{HeaderMax, HeaderRemaining, HeaderInterval, HeaderDaily, HeaderSecondly} {
			assert.Empty(t, r.header.Get(h), "search answers carry no %s", h)
		}
		assert.NotEmpty(t, r.header.Get(headerCorrelationID))
	}
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{})
	require.Equal(t, http.StatusTooManyRequests, r.status)
	var body RateLimitBody
	r.decode(t, &body)
	assert.Equal(t, "You have reached your secondly limit.", body.Message)
	assert.Equal(t, PolicySecondly, body.PolicyName)
	assert.Equal(t, http.StatusOK, b.doAs(t, "pat-na1-other", http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{}).status, "per token")
	b.clock.Advance(time.Second)
	assert.Equal(t, http.StatusOK, b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{}).status)
	assert.Equal(t, http.StatusOK, b.do(t, http.MethodGet, getPath, nil).status, "the burst was not touched by searches")
	assert.Equal(t, int64(7), b.srv.DailyUsage().Used, "six searches and a GET count against the day (search_counts_daily)")
	assert.Equal(t, int64(1), b.srv.Stats().Throttled[PolicySecondly])

	require.NoError(t, b.srv.SetLimits(func() Limits { l := b.srv.Limits(); f := false; l.SearchCountsDaily = &f; return l }()))
	b.clock.Advance(time.Second)
	b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{})
	assert.Equal(t, int64(7), b.srv.DailyUsage().Used)
}

func TestLimitsAtRunTimeAndInStats(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do(t, http.MethodGet, getPath, nil)
	assert.Equal(t, "190", r.header.Get(HeaderMax))
	assert.Equal(t, "19", r.header.Get(HeaderSecondly))
	assert.Equal(t, "18", r.header.Get(HeaderSecondlyRemaining))
	require.NoError(t, b.srv.Fake().ApplyProfile(profile(`{"tier":"enterprise","api_limit_increase":1}`)))
	l := b.srv.Limits()
	assert.Equal(t, "enterprise", l.Tier)
	r = b.do(t, http.MethodGet, getPath, nil)
	assert.Equal(t, "250", r.header.Get(HeaderMax))
	assert.Equal(t, "2000000", r.header.Get(HeaderDaily))
	assert.Equal(t, "1999998", r.header.Get(HeaderDailyRemaining), "the day's usage survives a limit change")

	assert.Error(t, b.srv.Fake().ApplyProfile(profile(`{"tier":"gold"}`)))
	assert.Error(t, b.srv.Fake().ApplyProfile(profile(`{"burst":"many"}`)))
	assert.Equal(t, "enterprise", b.srv.Limits().Tier, "a refused profile changes nothing")

	raw, err := json.Marshal(b.srv.Stats())
	require.NoError(t, err)
	var stats struct {
		Limits map[string]any `json:"limits"`
	}
	require.NoError(t, json.Unmarshal(raw, &stats))
	assert.Equal(t, "enterprise", stats.Limits["tier"])
	assert.Equal(t, float64(250), stats.Limits["burst"])
	daily := stats.Limits["daily"].(map[string]any)
	assert.Equal(t, float64(2), daily["used"])
	assert.Equal(t, "2026-11-27", daily["day"])
}

func profile(limits string) fakehttp.Profile {
	return fakehttp.Profile{Limits: json.RawMessage(limits)}
}
