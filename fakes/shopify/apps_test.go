package shopify

import (
	"encoding/json"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp"
)

func gqlAs(t *testing.T, b *testBundle, tok, query string) response {
	t.Helper()
	return do(t, http.MethodPost, b.url+"/admin/api/2026-10/graphql.json", gqlBody(t, query, nil),
		"X-Shopify-Access-Token", tok, "Content-Type", "application/json")
}

func restAs(t *testing.T, b *testBundle, tok, path string) response {
	t.Helper()
	return do(t, http.MethodGet, b.url+"/admin/api/2026-10/"+path, "", "X-Shopify-Access-Token", tok)
}

// Two tokens are two apps with two GraphQL buckets and two REST buckets: one app
// throttled leaves the other untouched (rate-limits doc: "Calls from one app don't affect
// the rate limits of another app, even on the same store").
func TestEachAppHasItsOwnBuckets(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "standard", Bucket: 10, RestoreRate: 1,
		Apps: []App{{Name: "erp-sync", Token: "tok-erp"}, {Name: "crm-sync", Token: "tok-crm"}}})
	for i := 0; i < 10; i++ {
		require.NotContains(t, string(gqlAs(t, b, "tok-erp", `{ shop { name } }`).body), "THROTTLED")
	}
	assert.Contains(t, string(gqlAs(t, b, "tok-erp", `{ shop { name } }`).body), "THROTTLED", "erp-sync's bucket is empty")
	c := costOf(t, gqlAs(t, b, "tok-crm", `{ shop { name } }`))
	assert.Equal(t, int64(9), c.Throttle.Available, "crm-sync's bucket is its own")

	for i := 0; i < 40; i++ {
		require.Equal(t, 200, restAs(t, b, "tok-erp", "locations.json").status)
	}
	assert.Equal(t, 429, restAs(t, b, "tok-erp", "locations.json").status)
	r := restAs(t, b, "tok-crm", "locations.json")
	assert.Equal(t, 200, r.status)
	assert.Equal(t, "1/40", r.header.Get("X-Shopify-Shop-Api-Call-Limit"))

	assert.Equal(t, 401, gqlAs(t, b, "shpat_unknown", `{ shop { name } }`).status, "configured apps: other tokens are refused")

	stats := s.AppStats()
	require.Len(t, stats, 2)
	assert.Equal(t, "crm-sync", stats[0].Name)
	assert.Equal(t, AppStats{Name: "crm-sync", GraphQL: stats[0].GraphQL, REST: "1/40", GraphQLRequests: 1, RESTRequests: 1, PointsSpent: 1}, stats[0])
	assert.Equal(t, int64(11), stats[1].GraphQLRequests)
	assert.Equal(t, int64(1), stats[1].Throttled)
	assert.Equal(t, int64(41), stats[1].RESTRequests)
	assert.Equal(t, int64(1), stats[1].RESTThrottled)

	var st struct {
		fakehttp.Stats
		Limits LimitStats `json:"limits"`
	}
	require.NoError(t, json.Unmarshal(do(t, http.MethodGet, b.url+"/_fake/stats", "").body, &st))
	require.Len(t, st.Limits.Apps, 2)
	assert.Equal(t, "erp-sync", st.Limits.Apps[1].Name)
	assert.Equal(t, "40/40", st.Limits.Apps[1].REST)
}

// Without configured tokens every distinct token is an app of its own; a single
// AccessToken is the one app "default".
func TestOpenStoreMakesAnAppPerToken(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Bucket: 10, RestoreRate: 1})
	for i := 0; i < 10; i++ {
		gqlAs(t, b, "a", `{ shop { name } }`)
	}
	assert.Contains(t, string(gqlAs(t, b, "a", `{ shop { name } }`).body), "THROTTLED")
	assert.NotContains(t, string(gqlAs(t, b, "b", `{ shop { name } }`).body), "THROTTLED")
	names := []string{}
	for _, a := range s.AppStats() {
		names = append(names, a.Name)
	}
	assert.Equal(t, []string{"app-1", "app-2"}, names)

	s2, b2 := setup(t, Options{AccessToken: "only"})
	assert.Equal(t, 401, gqlAs(t, b2, "other", `{ shop { name } }`).status)
	assert.Equal(t, 200, gqlAs(t, b2, "only", `{ shop { name } }`).status)
	assert.Equal(t, "default", s2.AppStats()[0].Name)

	_, err := New(Options{Apps: []App{{Name: "x", Token: "t"}, {Name: "y", Token: "t"}}})
	assert.Error(t, err, "two apps cannot share a token")
	_, err = New(Options{Apps: []App{{Name: "bad name", Token: "t"}}})
	assert.Error(t, err)
}

// A scenario changes the limits at run time through the Go API, for every app: "restore
// rate halved for ten minutes", then back.
func TestApplyLimitsAtRunTimeForEveryApp(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{Plan: "standard", Apps: []App{{Name: "a", Token: "ta"}, {Name: "b", Token: "tb"}}})
	half := 50.0
	require.NoError(t, s.ApplyLimits(LimitsPatch{RestoreRate: &half}))
	for _, tok := range []string{"ta", "tb"} {
		assert.Equal(t, 50.0, costOf(t, gqlAs(t, b, tok, `{ shop { name } }`)).Throttle.Restore)
	}
	b.clock.Advance(10 * time.Minute)
	full := 100.0
	rb := 10
	require.NoError(t, s.ApplyLimits(LimitsPatch{RestoreRate: &full, RESTBucket: &rb}))
	assert.Equal(t, 100.0, costOf(t, gqlAs(t, b, "ta", `{ shop { name } }`)).Throttle.Restore)
	assert.Equal(t, "1/10", restAs(t, b, "tb", "locations.json").header.Get("X-Shopify-Shop-Api-Call-Limit"))
	bad := 0.0
	assert.Error(t, s.ApplyLimits(LimitsPatch{RestoreRate: &bad}))
	assert.Equal(t, 100.0, s.Limits().RestoreRate)
}

func TestParseApp(t *testing.T) {
	t.Parallel()
	a, err := ParseApp("erp-sync=shpat_123")
	require.NoError(t, err)
	assert.Equal(t, App{Name: "erp-sync", Token: "shpat_123"}, a)
	for _, bad := range []string{"", "x", "=t", "x=", "a b=t"} {
		_, err := ParseApp(bad)
		assert.Error(t, err, bad)
	}
}

func FuzzParseApp(f *testing.F) {
	f.Add("erp=shpat_1")
	f.Add("=")
	f.Add("a=b=c")
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseApp(s)
		if err != nil {
			return
		}
		if !validAppName(a.Name) || a.Token == "" {
			t.Fatalf("accepted %q as %+v", s, a)
		}
	})
}
