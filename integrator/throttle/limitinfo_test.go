package throttle

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseLimitInfo(t *testing.T) {
	t.Parallel()
	bursts := func(u, l int64) *APIUsage { return &APIUsage{Used: u, Limit: l} }
	for _, tc := range []struct {
		in   string
		want LimitInfo
	}{
		{"api-usage=18/5000", LimitInfo{APIUsage: APIUsage{18, 5000}}},
		{"api-usage=10018/100000; api-bursts=1/750", LimitInfo{APIUsage: APIUsage{10018, 100000}, APIBursts: bursts(1, 750)}},
		{"api-usage=110018/100000; api-bursts=1/750", LimitInfo{APIUsage: APIUsage{110018, 100000}, APIBursts: bursts(1, 750)}},
		{"api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)",
			LimitInfo{APIUsage: APIUsage{25, 5000}, PerApp: []AppUsage{{APIUsage{17, 250}, "sample-connected-app"}}}},
		{"per-app-api-usage=17/250(appName=a); api-usage=1/2", LimitInfo{APIUsage: APIUsage{1, 2}, PerApp: []AppUsage{{APIUsage{17, 250}, "a"}}}},
		{"  API-Usage = 0 / 15000 ;", LimitInfo{APIUsage: APIUsage{0, 15000}}},
		{"api-usage=5/10,api-bursts=0/750", LimitInfo{APIUsage: APIUsage{5, 10}, APIBursts: bursts(0, 750)}},
		{"api-usage=5/10; future-thing=whatever", LimitInfo{APIUsage: APIUsage{5, 10}}},
		{"api-usage=5/10; per-app-api-usage=3/4", LimitInfo{APIUsage: APIUsage{5, 10}, PerApp: []AppUsage{{APIUsage: APIUsage{3, 4}}}}},
	} {
		got, err := ParseLimitInfo(tc.in)
		require.NoError(t, err, tc.in)
		assert.Equal(t, tc.want, got, tc.in)
	}
}

func TestParseLimitInfoRejects(t *testing.T) {
	t.Parallel()
	for _, in := range []string{
		"",
		"   ",
		"api-usage",
		"api-usage=",
		"api-usage=18",
		"api-usage=18/",
		"api-usage=/5000",
		"api-usage=a/5000",
		"api-usage=-1/5000",
		"api-usage=+1/5000",
		"api-usage=1/5000/6",
		"api-usage=1.5/5000",
		"api-usage=1 2/5000",
		"api-usage=1/2; api-usage=3/4",
		"api-bursts=1/750",
		"=1/2; api-usage=1/2",
		"api-usage=1/2; garbage",
		"api-usage=1/2; api-bursts=x",
		"api-usage=1/2; per-app-api-usage=1/2(appName=a",
		"api-usage=1/2; per-app-api-usage=x(appName=a)",
		"api-usage=9999999999999999999/5",
		"api-usage=1/2; " + strings.Repeat("x=y;", 2000),
	} {
		_, err := ParseLimitInfo(in)
		assert.ErrorIs(t, err, ErrMalformedLimitInfo, "%q", in)
	}
}

func TestLimitInfoStringRoundTrips(t *testing.T) {
	t.Parallel()
	li := LimitInfo{APIUsage: APIUsage{10018, 100000}, APIBursts: &APIUsage{1, 750}, PerApp: []AppUsage{{APIUsage{17, 250}, "app"}}}
	assert.Equal(t, "api-usage=10018/100000; api-bursts=1/750; per-app-api-usage=17/250(appName=app)", li.String())
	back, err := ParseLimitInfo(li.String())
	require.NoError(t, err)
	assert.Equal(t, li, back)
}

func FuzzParseLimitInfo(f *testing.F) {
	for _, s := range []string{
		"api-usage=18/5000",
		"api-usage=10018/100000; api-bursts=1/750",
		"api-usage=25/5000; per-app-api-usage=17/250(appName=sample-connected-app)",
		"api-usage=1/2,x=y", "", ";;;", "api-usage=(/)", "per-app-api-usage=1/2((appName=))",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		li, err := ParseLimitInfo(in)
		if err != nil {
			if li.APIUsage != (APIUsage{}) || li.APIBursts != nil || li.PerApp != nil {
				t.Fatalf("error %v with a non-zero result %+v", err, li)
			}
			return
		}
		if li.APIUsage.Used < 0 || li.APIUsage.Limit < 0 {
			t.Fatalf("negative usage from %q: %+v", in, li)
		}
		// What was parsed renders to a value that parses to the same usage.
		back, err := ParseLimitInfo(li.String())
		if err != nil {
			t.Fatalf("%q parsed to %+v whose String %q does not parse: %v", in, li, li.String(), err)
		}
		if back.APIUsage != li.APIUsage {
			t.Fatalf("round trip of %q changed api-usage: %+v → %+v", in, li.APIUsage, back.APIUsage)
		}
	})
}
