package scenarios

import "github.com/peakready/peakready/fakes/fakehttp"

// throttles counts every throttle an upstream fake answered, from its stats (what its
// GET /_fake/stats serves, so it holds for any system under test): each 429 it sent,
// modelled or injected by a fault rule, or, when more, the refusals its limit model
// counted (Shopify's GraphQL THROTTLED is a 200).
func throttles(st fakehttp.Stats) int64 {
	return max(st.ThrottledTotal, st.ResponsesByStatus["429"])
}
