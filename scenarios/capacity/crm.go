package capacity

import (
	"fmt"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/faults"
	fakehubspot "github.com/peakready/peakready/fakes/hubspot"
	"github.com/peakready/peakready/fakes/latency"
	fakesalesforce "github.com/peakready/peakready/fakes/salesforce"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator"
	hubspotclient "github.com/peakready/peakready/integrator/crm/hubspot"
	salesforceclient "github.com/peakready/peakready/integrator/crm/salesforce"
	"github.com/peakready/peakready/integrator/throttle"
	"github.com/peakready/peakready/scenarios"
)

// Latencies of the CRM fakes when a scenario names none (scenarios/crm_env.go).
const (
	DefaultSalesforceLatency = "lognormal(150ms,600ms)"
	DefaultHubSpotLatency    = "lognormal(120ms,500ms)"
	// DefaultStoreCustomers is the store's customers before the run when the scenario
	// does not say (scenarios/env.go).
	DefaultStoreCustomers = 5000
)

// CRMFlow is the bundled integrator's customers → CRM flow, reduced to what the plan
// needs. Counted from integrator/customers.go and integrator/crm:
//
//   - every order message is queued a second time under its customer's key
//     (crm/order_customer); a new customer also fires customers/create, a customer
//     action customers/update: all of them are CRM messages;
//   - a message carrying a customer state the flow has not synced (a newer updated_at)
//     costs one upsert (Salesforce: PATCH by external id; HubSpot: a batch upsert of one
//     input); the same state again costs nothing. An order does not change its
//     customer's updated_at, so only a customer's first message in the run, and each
//     customer action, make a call; a customer whose e-mail address is malformed is
//     listed, not synced;
//   - the nightly batch writes every synced customer's lifetime value, BatchSize to a
//     call (Salesforce sObject Collections 200, HubSpot batch update 100): the run asks
//     for it once after the drain.
type CRMFlow struct {
	// Kind is salesforce or hubspot.
	Kind string
	// ReturningShare of new orders are placed by an existing customer, drawn uniformly
	// from the store's customers (Pool before the run, and those the run creates);
	// InvalidEmailShare of new customers have a malformed address.
	ReturningShare, InvalidEmailShare float64
	Pool                              float64
	// Retry is the requests per upsert: 1/(1-p) with p the probability an injected
	// fault fails it.
	Retry     float64
	BatchSize int
	// RPS is the requests a second the CRM admits (HubSpot: the burst ÷ the window the
	// integrator counts in; 0: no per-second limit, Salesforce's case); SearchRPS is
	// HubSpot search's own limit (the flow makes no search calls).
	RPS       float64
	Burst     int
	Window    time.Duration
	SearchRPS float64
	// Allocation is the daily allocation (Salesforce: rolling 24 hours; HubSpot: a
	// day); Headroom the share of it the integrator leaves to other integrations
	// (Salesforce's DailyAllocation guard; 0 for HubSpot, which stops at its 429).
	Allocation, Headroom float64
	// Other are calls other integrations made before the run, leaving the rolling 24
	// hours at RollsOffAt (Salesforce).
	Other []OtherCalls
	// Mean is the CRM's mean latency: a worker waits for it on each upsert.
	Mean time.Duration
}

// OtherCalls are Calls other integrations made, leaving the rolling window at
// RollsOffAt into the run.
type OtherCalls struct {
	Calls      float64
	RollsOffAt time.Duration
}

// crmFromScenario reads the CRM flow of a scenario whose bundled integrator syncs a CRM.
func crmFromScenario(sc *scenarios.Scenario, seed uint64) (*CRMFlow, error) {
	kind := sc.CRMKind()
	if kind == "" {
		return nil, nil
	}
	mix := store.DefaultMix()
	c := &CRMFlow{Kind: kind, ReturningShare: mix.ReturningShare, Pool: DefaultStoreCustomers}
	o := sc.Traffic.Orders
	if o.ReturningShare != nil {
		c.ReturningShare = *o.ReturningShare
	}
	if o.InvalidEmailShare != nil {
		c.InvalidEmailShare = *o.InvalidEmailShare
	}
	if o.Customers > 0 {
		c.Pool = float64(o.Customers)
	}
	cs := sc.SUT.Builtin.CRMSUT
	var spec, upsertMethod, upsertPath string
	switch kind {
	case "salesforce":
		f := sc.Fakes.Salesforce
		srv, err := fakesalesforce.New(fakesalesforce.Options{Limits: fakesalesforce.Limits{Edition: f.Edition, Licenses: f.Licenses, DailyLimit: f.DailyLimit}})
		if err != nil {
			return nil, fmt.Errorf("capacity: salesforce: %w", err)
		}
		c.Allocation = float64(srv.APIUsage().Limit)
		c.Headroom = cs.SalesforceHeadroom
		if c.Headroom == 0 {
			c.Headroom = throttle.DefaultHeadroom
		}
		for _, u := range f.OtherUsage {
			c.Other = append(c.Other, OtherCalls{Calls: float64(u.Calls), RollsOffAt: u.RollsOffAt.D()})
		}
		c.BatchSize = salesforceclient.BatchSize
		spec, upsertMethod, upsertPath = string(f.Latency), "PATCH", "/sobjects/Contact/"
		if spec == "" {
			spec = DefaultSalesforceLatency
		}
		c.retry(f.Faults, upsertMethod, upsertPath)
	case "hubspot":
		f := sc.Fakes.HubSpot
		srv, err := fakehubspot.New(fakehubspot.Options{Limits: fakehubspot.Limits{Tier: f.Tier, Burst: f.Burst, Daily: f.Daily, SearchPerSecond: f.SearchPerSecond}})
		if err != nil {
			return nil, fmt.Errorf("capacity: hubspot: %w", err)
		}
		ls := srv.LimitStats()
		c.Allocation = float64(ls.Daily.Limit)
		// The integrator counts its own window, the fake's burst unless the scenario
		// sets the integrator's (scenarios/crm_env.go), over ten seconds and a margin.
		c.Burst = ls.Burst
		if cs.HubSpotBurst > 0 {
			c.Burst = cs.HubSpotBurst
		}
		c.Window = throttle.DefaultWindow + integrator.DefaultHubSpotWindowMargin
		c.RPS = WindowRPS(c.Burst, c.Window)
		c.SearchRPS = float64(ls.SearchPerSecond)
		c.BatchSize = hubspotclient.BatchSize
		spec, upsertMethod, upsertPath = string(f.Latency), "POST", "/crm/v3/objects/contacts/batch/upsert"
		if spec == "" {
			spec = DefaultHubSpotLatency
		}
		c.retry(f.Faults, upsertMethod, upsertPath)
	default:
		return nil, fmt.Errorf("capacity: crm %q: the plan models salesforce and hubspot", kind)
	}
	d, err := latency.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("capacity: %s latency: %w", kind, err)
	}
	c.Mean = MeanLatency(d, seed, latencySamples)
	return c, nil
}

// retry sets Retry from the faults that fail an upsert (every request when a rule names
// no method and no path).
func (c *CRMFlow) retry(rules []faults.Rule, method, path string) {
	fail := 0.0
	for _, r := range rules {
		switch r.Fault {
		case "error", "reset", "commit-then-drop", "timeout":
		default:
			continue
		}
		if len(r.Windows) > 0 || (r.Method != "" && !strings.EqualFold(r.Method, method)) ||
			(r.Path != "" && !strings.Contains(r.Path, path) && !strings.Contains(path, r.Path)) {
			continue
		}
		p := 1.0
		if r.Probability != nil {
			p = *r.Probability
		}
		fail = 1 - (1-fail)*(1-p)
	}
	c.Retry = 1 / (1 - math.Min(fail, 0.99))
}

// crmDemand is what a stretch of traffic asks of the CRM: its queue messages, its
// upserts, and the customers synced for the first time (the nightly batch's).
type crmDemand struct {
	messages, upserts, synced float64
}

// crmDemandOf is the CRM messages and upserts of jobs order jobs arriving after before
// of them (the pool's customers touched first are counted as the store grows).
func (m *Model) crmDemandOf(before, jobs float64) crmDemand {
	c := m.CRMFlow
	if c == nil || jobs <= 0 {
		return crmDemand{}
	}
	js := m.jobShare()
	perJob := func(share float64) float64 { return jobs * share / js }
	newOrders := perJob(m.Mix.NewOrder)
	customerActions := perJob(m.Mix.Customer)
	var d crmDemand
	// Every order message is queued again under its customer; a new customer fires
	// customers/create, a customer action customers/update.
	d.messages = perJob(m.Mix.NewOrder)*(2+m.PaidShare) + perJob(m.Mix.Pay)*2 + perJob(m.Mix.Edit) + perJob(m.Mix.Cancel)*2 +
		newOrders*(1-c.ReturningShare) + customerActions
	valid := 1 - c.InvalidEmailShare
	n0 := before * m.Mix.NewOrder / js
	d.synced = newOrders*(1-c.ReturningShare)*valid + c.poolTouched(n0+newOrders) - c.poolTouched(n0)
	d.upserts = d.synced + customerActions*valid
	return d
}

// poolTouched is how many of the store's customers from before the run have placed an
// order after n new orders, in expectation: each returning order draws uniformly from
// the store's customers, Pool of them from before the run and (1-R)·x created by the
// first x orders, so the draws that land in the pool are k(n) = ∫ R·P/(P+(1-R)x) dx
// and P·(1-e^(-k/P)) of its customers are drawn at least once.
func (c *CRMFlow) poolTouched(n float64) float64 {
	r, p := c.ReturningShare, c.Pool
	if p <= 0 || r <= 0 || n <= 0 {
		return 0
	}
	var k float64
	if r >= 1 {
		k = n
	} else {
		k = r * p / (1 - r) * math.Log((p+(1-r)*n)/p)
	}
	return p * (1 - math.Exp(-k/p))
}

// otherInWindow is the other integrations' calls still in the rolling 24 hours at t.
func (c *CRMFlow) otherInWindow(t time.Duration) float64 {
	sum := 0.0
	for _, o := range c.Other {
		if t < o.RollsOffAt {
			sum += o.Calls
		}
	}
	return sum
}

// allowance is what the integrator lets the day's usage reach: the allocation less the
// headroom it leaves to others.
func (c *CRMFlow) allowance() float64 { return c.Allocation * (1 - c.Headroom) }

// crmQueue is the CRM flow's side of the fluid model: upserts wait in their customers'
// keys (with the messages behind them) while the CRM's window or allocation holds them
// back; the orders flow goes on.
type crmQueue struct {
	q    float64 // upserts waiting
	used float64 // requests made
	// demanded counts every request asked for, served or not (the day's usage).
	demanded float64
	// msgsPerUpsert converts waiting upserts into queue messages.
	msgsPerUpsert float64
	// rps is the requests a second the queue is served at while the allowance lasts:
	// the CRM's rate, or, with none (Salesforce), what the workers take.
	rps float64
	// cum holds the arrived and served upserts, for the oldest wait.
	cum cumulative
}

// step serves the queue over [t, t+d) with upserts arriving at arr a second: at most the
// CRM's rate, and no further than the allowance, less what others hold in the rolling
// window, lets usage go. It returns the CRM's capacity in upserts a second over the
// stretch (+Inf: not limited) and whether the allowance ran out.
func (c *CRMFlow) step(s *crmQueue, t, d time.Duration, arr float64) (float64, bool) {
	secs := d.Seconds()
	want := s.q + arr*secs
	s.demanded += arr * secs * c.Retry
	limit := math.Inf(1)
	if s.rps > 0 {
		limit = s.rps / c.Retry * secs
	}
	exhausted := false
	if c.Allocation > 0 {
		left := math.Max(0, c.allowance()-c.otherInWindow(t)-s.used) / c.Retry
		if left < math.Min(want, limit) {
			limit, exhausted = left, true
		}
	}
	served := math.Min(want, limit)
	s.q = want - served
	s.used += served * c.Retry
	if s.q < 1e-9 {
		s.q = 0
	}
	s.cum.add(t+d, s.cum.arrived()+arr*secs, s.cum.arrived()+arr*secs-s.q)
	rate := math.Inf(1)
	if s.rps > 0 {
		rate = s.rps / c.Retry
	}
	if exhausted {
		rate = limit / secs
	}
	return rate, exhausted
}

// drain follows the queue after the traffic from end: how long until it is empty, the
// backlog (upserts) at the moments its slope changes, and false when it is not empty
// within the horizon (the allocation does not free up).
func (c *CRMFlow) drain(s *crmQueue, end, horizon time.Duration) (time.Duration, []BacklogPoint, bool) {
	var pts []BacklogPoint
	t := end
	for s.q > 0 {
		if t-end >= horizon {
			return t - end, pts, false
		}
		next := end + horizon
		for _, o := range c.Other {
			if o.RollsOffAt > t && o.RollsOffAt < next {
				next = o.RollsOffAt
			}
		}
		left := math.Inf(1)
		if c.Allocation > 0 {
			left = math.Max(0, c.allowance()-c.otherInWindow(t)-s.used) / c.Retry
		}
		if left > 0 {
			n := math.Min(s.q, left)
			dt := time.Duration(0)
			if s.rps > 0 {
				dt = seconds(n * c.Retry / s.rps)
			}
			if t+dt <= next {
				s.q -= n
				s.used += n * c.Retry
				if s.q < 1e-9 {
					s.q = 0
				}
				t += dt
				pts = append(pts, BacklogPoint{At: Duration(t), Backlog: s.q * s.msgsPerUpsert})
				s.cum.add(t, s.cum.arrived(), s.cum.arrived()-s.q)
				continue
			}
			// Served at the rate until the next change of conditions.
			n = (next - t).Seconds() * s.rps / c.Retry
			s.q -= n
			s.used += n * c.Retry
		}
		t = next
		pts = append(pts, BacklogPoint{At: Duration(t), Backlog: s.q * s.msgsPerUpsert})
		s.cum.add(t, s.cum.arrived(), s.cum.arrived()-s.q)
	}
	return t - end, pts, true
}

// ltvBatches is the nightly batch's calls for synced customers.
func (c *CRMFlow) ltvBatches(synced float64) float64 {
	if c.BatchSize <= 0 || synced <= 0 {
		return 0
	}
	return math.Ceil(math.Round(synced) / float64(c.BatchSize))
}

// crmUsage is the day's CRM usage against its daily allocation: the scenario's requests
// (its upserts, with their retries, and the nightly batch of the customers it synced)
// and, when the traffic is shorter than a day, the same over 24 hours with the rest of
// the day at the last phase's rates.
func (m *Model) crmUsage(total, last crmDemand, lastSpan time.Duration) DailyUsage {
	c := m.CRMFlow
	u := DailyUsage{Upstream: c.Kind, Allocation: c.Allocation, Headroom: c.Headroom, Allowance: math.Round(c.allowance()),
		OtherUsage: c.otherInWindow(0), Basis: "scenario"}
	u.Requests = math.Round(total.upserts*c.Retry + c.ltvBatches(total.synced))
	day := total
	if span := m.tl.end; span < 24*time.Hour && lastSpan > 0 {
		u.Basis = "24h at the last phase's rate"
		f := (24*time.Hour - span).Seconds() / lastSpan.Seconds()
		day.upserts += f * last.upserts
		day.synced += f * last.synced
	}
	u.DayRequests = math.Round(day.upserts*c.Retry + c.ltvBatches(day.synced))
	if c.Allocation > 0 {
		u.Share = round(u.Requests/c.Allocation, 4)
		u.DayShare = round(u.DayRequests/c.Allocation, 4)
	}
	u.Within = c.Allocation == 0 || u.DayRequests <= c.allowance()
	return u
}

// crmRun follows the CRM flow through a prediction (nothing without a CRM).
type crmRun struct {
	c     *CRMFlow
	queue crmQueue
	// jobs are the order jobs so far; total the CRM demand of the traffic, last that
	// of its last phase (lastSpan long).
	jobs        float64
	total, last crmDemand
	lastPhase   int
	lastSpan    time.Duration
	// capacity (requests a second, at its tightest), peak utilisation, time served
	// nothing.
	minRPS, peakUtil float64
	unavailable      time.Duration
	// curve is the CRM's own backlog (messages) over the traffic and its drain.
	curve []BacklogPoint
}

func (m *Model) newCRMRun(phases int) *crmRun {
	c := m.CRMFlow
	if c == nil {
		return nil
	}
	r := &crmRun{c: c, lastPhase: phases - 1, minRPS: math.Inf(1), curve: []BacklogPoint{{}}}
	r.queue.rps = c.RPS
	if c.RPS == 0 {
		// No per-second limit: the workers take the CRM's messages as fast as they can,
		// each upsert holding one for the CRM's latency and the messages behind it.
		d := m.crmDemandOf(0, m.tl.count(m.tl.end)*m.jobShare()*m.Growth)
		busy := c.Mean.Seconds()
		if d.upserts > 0 {
			busy += d.messages / d.upserts * m.Overhead.Seconds() * m.Speed
		}
		if busy > 0 {
			r.queue.rps = float64(m.Knobs.Replicas*m.Knobs.Workers) / busy * c.Retry
		}
	}
	return r
}

// oldestWait is the longest an upsert waits for the CRM (FIFO).
func (r *crmRun) oldestWait() time.Duration {
	if r == nil {
		return 0
	}
	return r.queue.cum.maxWait()
}

// backlog is the messages waiting for the CRM: the upserts held back, each with the
// messages its customer's key holds behind it.
func (r *crmRun) backlog() float64 {
	if r == nil {
		return 0
	}
	return r.queue.q * r.queue.msgsPerUpsert
}

// segment moves the CRM's queue over a stretch of traffic and records its use; it
// returns the order jobs a second the CRM lets through (false: it does not limit them).
func (r *crmRun) segment(m *Model, s segment, phases []PhasePlan) (float64, bool) {
	if r == nil {
		return 0, false
	}
	c := r.c
	jobs := s.arrival * s.dur.Seconds()
	d := m.crmDemandOf(r.jobs, jobs)
	r.jobs += jobs
	r.total.messages += d.messages
	r.total.upserts += d.upserts
	r.total.synced += d.synced
	if s.phase == r.lastPhase {
		r.last.messages += d.messages
		r.last.upserts += d.upserts
		r.last.synced += d.synced
		r.lastSpan += s.dur
	}
	if r.total.upserts > 0 {
		r.queue.msgsPerUpsert = r.total.messages / r.total.upserts
	}
	arr := d.upserts / s.dur.Seconds()
	rate, exhausted := c.step(&r.queue, s.start, s.dur, arr)
	r.curve = append(r.curve, BacklogPoint{At: Duration(s.start + s.dur), Backlog: r.backlog()})
	if c.RPS > 0 {
		r.minRPS = math.Min(r.minRPS, c.RPS)
	}
	if exhausted && rate == 0 {
		r.unavailable += s.dur
	}
	// Use: of the window's rate, and of the allowance in the rolling 24 hours (every
	// request asked for counted, so above 100 %: some wait for it).
	u := 0.0
	if c.RPS > 0 {
		u = arr * c.Retry / c.RPS
	}
	if c.Allocation > 0 {
		u = math.Max(u, (c.otherInWindow(s.start)+r.queue.demanded)/c.allowance())
	}
	r.peakUtil = math.Max(r.peakUtil, u)
	pu := &phases[s.phase]
	pu.Utilisation["crm"] = math.Max(pu.Utilisation["crm"], u)
	if d.upserts <= 0 || math.IsInf(rate, 1) || (c.RPS == 0 && !exhausted) {
		return 0, false
	}
	return rate * jobs / d.upserts, true
}

// finish drains the CRM's queue after the traffic and folds its backlog into the
// prediction's: the curve, its peak, the phases' ends and the drain.
func (r *crmRun) finish(m *Model, p *Prediction, end time.Duration) {
	if r == nil {
		return
	}
	dt, pts, ok := r.c.drain(&r.queue, end, DrainHorizon)
	r.curve = append(r.curve, pts...)
	p.Drains = p.Drains && ok
	p.QueueDrain = Duration(max(time.Duration(p.QueueDrain), dt))
	// The traffic's points already hold both queues; after it, add the CRM's drain to the
	// orders' (linear between points).
	var after []BacklogPoint
	for _, pt := range p.Backlog {
		if time.Duration(pt.At) > end {
			after = append(after, pt)
		}
	}
	crmAfter := []BacklogPoint{{At: Duration(end), Backlog: curveAtLinear(r.curve, end)}}
	crmAfter = append(crmAfter, pts...)
	ordersAfter := append([]BacklogPoint{{At: Duration(end), Backlog: 0}}, after...)
	ordersAt := func(t time.Duration) float64 { return curveAtLinear(ordersAfter, t) }
	// Orders' backlog at the end of the traffic is in the traffic's last point less the
	// CRM's; rebuild the curve after end from both.
	var endOrders float64
	for _, pt := range p.Backlog {
		if time.Duration(pt.At) == end {
			endOrders = pt.Backlog - crmAfter[0].Backlog
		}
	}
	ordersAfter[0].Backlog = endOrders
	times := map[Duration]bool{}
	for _, pt := range append(append([]BacklogPoint(nil), ordersAfter[1:]...), pts...) {
		times[pt.At] = true
	}
	keep := p.Backlog[:0:0]
	for _, pt := range p.Backlog {
		if time.Duration(pt.At) <= end {
			keep = append(keep, pt)
		}
	}
	ts := make([]Duration, 0, len(times))
	for t := range times {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	for _, t := range ts {
		keep = append(keep, BacklogPoint{At: t, Backlog: math.Round((ordersAt(time.Duration(t))+curveAtLinear(crmAfter, time.Duration(t)))*10) / 10})
	}
	p.Backlog = keep
	p.PeakBacklog, p.PeakBacklogAt = 0, 0
	for _, pt := range p.Backlog {
		if pt.Backlog > p.PeakBacklog {
			p.PeakBacklog, p.PeakBacklogAt = pt.Backlog, pt.At
		}
	}
	p.crmCurve, p.crmDrain, p.crmOldest = r.curve, dt, r.oldestWait()
}

// addCRM adds the CRM queue's fluid backlog to a simulated curve of the orders' queue,
// and its drain to the simulation's.
func (p *Prediction) addCRM(orders []BacklogPoint, drain time.Duration) ([]BacklogPoint, time.Duration) {
	if len(p.crmCurve) == 0 {
		return orders, drain
	}
	times := map[Duration]bool{}
	for _, pt := range orders {
		times[pt.At] = true
	}
	for _, pt := range p.crmCurve {
		times[pt.At] = true
	}
	ts := make([]Duration, 0, len(times))
	for t := range times {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	out := make([]BacklogPoint, 0, len(ts))
	for _, t := range ts {
		v := curveAtLinear(orders, time.Duration(t)) + curveAtLinear(p.crmCurve, time.Duration(t))
		out = append(out, BacklogPoint{At: t, Backlog: math.Round(v*10) / 10})
	}
	return thin(out, maxBacklogPoints), max(drain, p.crmDrain)
}

// upstream records the CRM in the prediction's upstreams.
func (r *crmRun) upstream(m *Model, p *Prediction, orders float64) {
	if r == nil {
		return
	}
	c := r.c
	if math.IsInf(r.minRPS, 1) {
		r.minRPS = 0
	}
	requests := math.Round(r.total.upserts*c.Retry + c.ltvBatches(r.total.synced))
	u := UpstreamPlan{Kind: c.Kind, CapacityRPS: round(r.minRPS, 3), NominalRPS: round(c.RPS, 3), PeakUtilisation: round(r.peakUtil, 4),
		Requests: requests, Unavailable: Duration(r.unavailable), Burst: c.Burst, SearchRPS: c.SearchRPS}
	if orders > 0 {
		u.RequestsPerOrder = round(requests/orders, 4)
	}
	p.Upstreams["crm"] = u
}

// curveAtLinear reads a curve at t, linear between its points, its last value after it.
func curveAtLinear(c []BacklogPoint, t time.Duration) float64 {
	if len(c) == 0 {
		return 0
	}
	if t <= time.Duration(c[0].At) {
		return c[0].Backlog
	}
	for i := 1; i < len(c); i++ {
		a, b := c[i-1], c[i]
		if time.Duration(b.At) >= t {
			if b.At == a.At {
				return b.Backlog
			}
			f := float64(t-time.Duration(a.At)) / float64(b.At-a.At)
			return a.Backlog + f*(b.Backlog-a.Backlog)
		}
	}
	return c[len(c)-1].Backlog
}
