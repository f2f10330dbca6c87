package scenarios

import (
	"context"
	"fmt"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/hubspot"
	"github.com/peakready/peakready/fakes/salesforce"
	"github.com/peakready/peakready/scenarios/sut"
)

// Credentials the run's CRM fakes accept from the bundled integrator. An external system
// brings its own: the fakes then accept any.
const (
	scenarioSalesforceClientID     = "peakready-scenario-connected-app"
	scenarioSalesforceClientSecret = "peakready-scenario-connected-app-secret"
	scenarioHubSpotToken           = "pat-na1-peakready-scenario"
)

// crmFakes is the run's CRM fake and what the runner watches of it.
type crmFakes struct {
	kind string
	sf   *salesforce.Server
	hs   *hubspot.Server
	// burst is HubSpot's private-app burst per window.
	burst int
	// start is when the CRM fake started: customers created since are the run's.
	start time.Time

	mu      sync.Mutex
	samples []callSample // HubSpot's admitted calls over platform time
	stop    context.CancelFunc
	done    chan struct{}
}

type callSample struct {
	at    time.Time
	calls int64
}

// startCRM starts the CRM fake the system under test syncs customers to, if any, and
// tells the system where it is.
func (e *env) startCRM(up *sut.Upstreams) error {
	kind := e.sc.CRMKind()
	if kind == "" {
		return nil
	}
	external := e.sc.SUT.External != nil
	c := &crmFakes{kind: kind, start: e.clock.Now()}
	u := &sut.CRMUpstream{Kind: kind}
	switch kind {
	case "salesforce":
		f := e.sc.Fakes.Salesforce
		lim := salesforce.Limits{Edition: f.Edition, Licenses: f.Licenses, DailyLimit: f.DailyLimit, Latency: string(f.Latency)}
		if lim.Latency == "" {
			lim.Latency = "lognormal(150ms,600ms)"
		}
		opts := salesforce.Options{Clock: e.clock, Seed: e.sc.Seed, Limits: lim, Logger: e.log}
		if !external {
			opts.ClientID, opts.ClientSecret = scenarioSalesforceClientID, scenarioSalesforceClientSecret
			u.SalesforceClientID, u.SalesforceClientSecret = scenarioSalesforceClientID, scenarioSalesforceClientSecret
		}
		srv, err := salesforce.New(opts)
		if err != nil {
			return fmt.Errorf("fake salesforce: %w", err)
		}
		if len(f.Faults) > 0 {
			if err := srv.Fake().ApplyProfile(fakehttp.Profile{Faults: f.Faults}); err != nil {
				return fmt.Errorf("fake salesforce faults: %w", err)
			}
		}
		now := e.clock.Now()
		for _, o := range f.OtherUsage {
			srv.RecordOtherUsage(o.Calls, now.Add(o.RollsOffAt.D()-24*time.Hour))
		}
		url, err := srv.Start(listenAddr(f.Addr))
		if err != nil {
			return fmt.Errorf("fake salesforce: %w", err)
		}
		c.sf, u.URL = srv, url
		e.closers = append(e.closers, func() { _ = srv.Close() })
	case "hubspot":
		f := e.sc.Fakes.HubSpot
		lim := hubspot.Limits{Tier: f.Tier, Burst: f.Burst, Daily: f.Daily, SearchPerSecond: f.SearchPerSecond, Latency: string(f.Latency)}
		if lim.Latency == "" {
			lim.Latency = "lognormal(120ms,500ms)"
		}
		opts := hubspot.Options{Clock: e.clock, Seed: e.sc.Seed, Limits: lim, Logger: e.log}
		if !external {
			opts.Tokens = []string{scenarioHubSpotToken}
			u.HubSpotToken = scenarioHubSpotToken
		}
		srv, err := hubspot.New(opts)
		if err != nil {
			return fmt.Errorf("fake hubspot: %w", err)
		}
		if len(f.Faults) > 0 {
			if err := srv.Fake().ApplyProfile(fakehttp.Profile{Faults: f.Faults}); err != nil {
				return fmt.Errorf("fake hubspot faults: %w", err)
			}
		}
		url, err := srv.Start(listenAddr(f.Addr))
		if err != nil {
			return fmt.Errorf("fake hubspot: %w", err)
		}
		c.hs, u.URL, c.burst = srv, url, srv.LimitStats().Burst
		u.HubSpotBurst = c.burst
		e.closers = append(e.closers, func() { _ = srv.Close() })
		c.startSampling(e)
	}
	e.crm, up.CRM = c, u
	return nil
}

// hubSpotCalls is how many calls HubSpot admitted so far (refusals excluded).
func (c *crmFakes) hubSpotCalls() int64 {
	st := c.hs.Stats()
	return st.Requests - st.ThrottledTotal - st.ResponsesByStatus["401"]
}

// startSampling records HubSpot's admitted calls every half second of platform time, for
// the burst-use figure.
func (c *crmFakes) startSampling(e *env) {
	ctx, cancel := context.WithCancel(context.Background())
	c.stop, c.done = cancel, make(chan struct{})
	go func() {
		defer close(c.done)
		for {
			c.mu.Lock()
			c.samples = append(c.samples, callSample{at: e.clock.Now(), calls: c.hubSpotCalls()})
			c.mu.Unlock()
			if e.clock.Sleep(ctx, 500*time.Millisecond) != nil {
				return
			}
		}
	}()
	e.closers = append(e.closers, func() { cancel(); <-c.done })
}

// burstUse is the largest share of HubSpot's budget used over any minute of platform
// time: calls in the minute ÷ (burst × 6).
func (c *crmFakes) burstUse() (float64, time.Time) {
	c.mu.Lock()
	defer c.mu.Unlock()
	best, at := 0.0, time.Time{}
	j := 0
	for i := range c.samples {
		for j < i && c.samples[i].at.Sub(c.samples[j].at) > time.Minute {
			j++
		}
		if c.samples[i].at.Sub(c.samples[j].at) < time.Minute-time.Second {
			continue
		}
		u := float64(c.samples[i].calls-c.samples[j].calls) / (float64(c.burst) * c.samples[i].at.Sub(c.samples[j].at).Seconds() / 10)
		if u > best {
			best, at = u, c.samples[j].at
		}
	}
	return best, at
}
