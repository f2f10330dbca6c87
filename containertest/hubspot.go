package containertest

import (
	"context"
	"strconv"
)

// HubSpotContainer is a running `peakready fake hubspot`: the CRM v3 API with its
// rolling burst limit, daily limit and search limit.
type HubSpotContainer struct{ *FakeContainer }

// RunHubSpot starts a fake HubSpot account and waits until it serves. An image whose
// peakready predates the HubSpot fake gives an error wrapping ErrNotInImage.
func RunHubSpot(ctx context.Context, opts ...HubSpotOption) (*HubSpotContainer, error) {
	r := &request{}
	for _, o := range opts {
		o.applyHubSpot(r)
	}
	c, err := runFake(ctx, "hubspot", r)
	if err != nil {
		return nil, err
	}
	return &HubSpotContainer{c}, nil
}

// HubSpotTier sets the account's subscription: free, starter, professional (the
// default) or enterprise, which sets the burst and daily limits (--tier).
func HubSpotTier(tier string) HubSpotOption {
	return hubSpotOption(func(r *request) { r.flag("tier", tier) })
}

// HubSpotAPILimitIncrease adds API Limit Increase packs, 0 to 2
// (--api-limit-increase).
func HubSpotAPILimitIncrease(packs int) HubSpotOption {
	return hubSpotOption(func(r *request) { r.flag("api-limit-increase", strconv.Itoa(packs)) })
}

// HubSpotBurst sets the private-app burst limit per rolling window itself (--burst).
func HubSpotBurst(n int) HubSpotOption {
	return hubSpotOption(func(r *request) { r.flag("burst", strconv.Itoa(n)) })
}

// HubSpotDaily sets the daily limit itself (--daily).
func HubSpotDaily(n int64) HubSpotOption {
	return hubSpotOption(func(r *request) { r.flag("daily", strconv.FormatInt(n, 10)) })
}

// HubSpotLatency sets every admitted call's service time, a latency spec (--latency).
func HubSpotLatency(spec string) HubSpotOption {
	return hubSpotOption(func(r *request) { r.flag("latency", spec) })
}
