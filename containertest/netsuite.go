package containertest

import (
	"context"
	"strconv"
)

// NetSuiteContainer is a running `peakready fake netsuite` (docs/fake-netsuite.md): the
// SuiteTalk REST record API at URL()+"/services/rest/record/v1/" with the account's
// concurrency governance.
type NetSuiteContainer struct{ *FakeContainer }

// RunNetSuite starts a fake NetSuite and waits until it serves.
func RunNetSuite(ctx context.Context, opts ...NetSuiteOption) (*NetSuiteContainer, error) {
	r := &request{}
	for _, o := range opts {
		o.applyNetSuite(r)
	}
	c, err := runFake(ctx, "netsuite", r)
	if err != nil {
		return nil, err
	}
	return &NetSuiteContainer{c}, nil
}

// RecordURL is the REST record API's base, e.g. URL()+"/services/rest/record/v1".
func (c *NetSuiteContainer) RecordURL() string { return c.URL() + "/services/rest/record/v1" }

// NetSuiteTier sets the service tier: standard (5 concurrent requests), premium (15,
// the default), enterprise or ultimate (20) (--tier).
func NetSuiteTier(tier string) NetSuiteOption {
	return netSuiteOption(func(r *request) { r.flag("tier", tier) })
}

// NetSuiteSuiteCloudPlus adds SuiteCloud Plus licences, 10 concurrent requests each
// (--suitecloud-plus).
func NetSuiteSuiteCloudPlus(licences int) NetSuiteOption {
	return netSuiteOption(func(r *request) { r.flag("suitecloud-plus", strconv.Itoa(licences)) })
}

// NetSuiteConcurrency sets the account's concurrency limit itself, winning over the
// tier and licences (--concurrency).
func NetSuiteConcurrency(n int) NetSuiteOption {
	return netSuiteOption(func(r *request) { r.flag("concurrency", strconv.Itoa(n)) })
}

// NetSuiteHeld makes another integration hold n of the account's slots (--held).
func NetSuiteHeld(n int) NetSuiteOption {
	return netSuiteOption(func(r *request) { r.flag("held", strconv.Itoa(n)) })
}

// NetSuiteLatency sets the write latency: "300ms", "uniform(a,b)", "normal(m,sd)",
// "lognormal(p50,p99)", or "0" for none (--latency; default lognormal(700ms,2.5s)).
func NetSuiteLatency(spec string) NetSuiteOption {
	return netSuiteOption(func(r *request) { r.flag("latency", spec) })
}

// NetSuiteReadLatency sets the GET latency, same syntax (--read-latency).
func NetSuiteReadLatency(spec string) NetSuiteOption {
	return netSuiteOption(func(r *request) { r.flag("read-latency", spec) })
}

// NetSuiteToken makes the fake accept only this bearer token (--token; by default any
// credential is accepted). It is passed in the environment, not on the command line.
func NetSuiteToken(token string) NetSuiteOption {
	return netSuiteOption(func(r *request) { WithEnv("PEAKREADY_NETSUITE_TOKEN", token)(r) })
}

// NetSuiteFulfillAfter sets the delay before a sales order is fulfilled (a latency
// spec in platform time), or "off" (--fulfill-after).
func NetSuiteFulfillAfter(spec string) NetSuiteOption {
	return netSuiteOption(func(r *request) { r.flag("fulfill-after", spec) })
}

// NetSuitePushURL makes the fake POST inventory and fulfillment events to url
// (--push-url), signed with secret when it is not empty.
func NetSuitePushURL(url, secret string) NetSuiteOption {
	return netSuiteOption(func(r *request) {
		r.flag("push-url", url)
		if secret != "" {
			WithEnv("PEAKREADY_NETSUITE_PUSH_SECRET", secret)(r)
		}
	})
}
