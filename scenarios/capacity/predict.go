package capacity

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"sort"
	"time"
)

// Duration is a time.Duration written as a Go duration string in JSON ("12m30s").
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return err
	}
	v, err := time.ParseDuration(s)
	*d = Duration(v)
	return err
}

func (d Duration) String() string { return time.Duration(d).String() }

// Prediction is what the plan predicts a run of the scenario would measure. Its JSON is a
// contract (docs/plan.md): bottleneck, headroom, max_orders_per_hour, peak_backlog,
// drain_time and upstreams keep their names and types.
type Prediction struct {
	Scenario string `json:"scenario"`
	Engine   string `json:"engine"`
	// Meets says every predictable assertion (or the goal) holds; Verdict says it in a word.
	Meets   bool   `json:"meets"`
	Verdict string `json:"verdict"`
	// Bottleneck is what limits throughput first at the busiest moment: an upstream
	// (netsuite, shopify) or workers, the integrator's own worker pool.
	Bottleneck string `json:"bottleneck"`
	// Headroom is how many times the planned traffic the configuration serves without a
	// backlog growing anywhere; MaxOrdersPerHour is the planned peak order rate times it.
	Headroom                 float64 `json:"headroom"`
	MaxOrdersPerHour         float64 `json:"max_orders_per_hour"`
	PlannedPeakOrdersPerHour float64 `json:"planned_peak_orders_per_hour"`
	Orders                   float64 `json:"orders"`
	// SoldOut is the new orders the shop refuses at checkout for want of stock (a deny
	// inventory policy): they never reach the integrator, and Orders leaves them out.
	SoldOut float64 `json:"sold_out_checkouts,omitempty"`
	// PeakBacklog is in queue messages, as the run's queue depth counts them.
	PeakBacklog   float64  `json:"peak_backlog"`
	PeakBacklogAt Duration `json:"peak_backlog_at"`
	// PeakQueueDepth is the largest queue depth a run's samples should show: the
	// backlog, the messages being worked on (Little's law) and their fluctuation. It is
	// what --validate compares with the run's largest sample.
	PeakQueueDepth float64 `json:"peak_queue_depth"`
	// OldestAge is the longest a message waits in the queue (FIFO).
	OldestAge Duration `json:"oldest_age"`
	// DrainTime is from the end of the traffic until the run sees the system idle (the
	// queue empty, the last delivery in, and the run's detection, DrainLook); Drains is false
	// when it is not empty DrainHorizon after the traffic.
	DrainTime Duration `json:"drain_time"`
	Drains    bool     `json:"drains"`
	// QueueDrain is the queue's part of the drain; DeliveryTail how long after the
	// traffic the last held-back or late webhook delivery arrives (the run waits for
	// both).
	QueueDrain   Duration `json:"queue_drain"`
	DeliveryTail Duration `json:"delivery_tail"`
	// AckP99 is the predicted 99th percentile of webhook ack latency in wall time.
	AckP99 Duration `json:"ack_p99"`
	// Contested says the integration would ask NetSuite for more slots than other
	// holders leave it, so NetSuite refuses some requests (429) until the gate adapts.
	Contested bool `json:"contested"`
	// NetSuiteThrottledShare is the share of NetSuite calls refused with 429 (the
	// simulation only).
	NetSuiteThrottledShare float64 `json:"netsuite_throttled_share,omitempty"`
	// Throughput is the NetSuite writes a second over the traffic and the drain
	// (drain_time).
	Throughput float64                 `json:"throughput_rps"`
	Knobs      Knobs                   `json:"knobs"`
	Upstreams  map[string]UpstreamPlan `json:"upstreams"`
	Phases     []PhasePlan             `json:"phases"`
	Daily      []DailyUsage            `json:"daily_usage"`
	Checks     []Check                 `json:"checks"`
	Backlog    []BacklogPoint          `json:"backlog"`
	// Recommendation is the goal search's answer (with --goal only).
	Recommendation *Recommendation `json:"recommendation,omitempty"`
	// Validation puts the prediction next to a run of the scenario (with --validate).
	Validation *Validation `json:"validation,omitempty"`
	// Engines puts the fluid model's queue figures next to the simulation's when both
	// ran (--engine sim, or auto where the fluid model is blind), and says whether they
	// agree.
	Engines *Engines `json:"engines,omitempty"`
	Notes   []string `json:"notes,omitempty"`

	// crmCurve is the CRM queue's own backlog (fluid), which the simulation adds to its
	// orders' queue.
	crmCurve            []BacklogPoint
	crmDrain, crmOldest time.Duration
}

// UpstreamPlan is one upstream's (or the worker pool's) side of the plan.
type UpstreamPlan struct {
	// CapacityRPS is the requests a second it serves us at its tightest during the
	// traffic (windows of no capacity, such as a maintenance, aside); NominalRPS with
	// nobody else holding any of it.
	CapacityRPS      float64 `json:"capacity_rps"`
	NominalRPS       float64 `json:"nominal_rps"`
	RequestsPerOrder float64 `json:"requests_per_order"`
	// PeakUtilisation is the highest offered load ÷ capacity during the traffic (above 1:
	// a backlog grows).
	PeakUtilisation float64 `json:"peak_utilisation"`
	Requests        float64 `json:"requests"`
	// Unavailable is how long it served nothing (maintenance windows).
	Unavailable Duration `json:"unavailable,omitempty"`
	// PeakConcurrency is the most requests in flight at once (NetSuite only), and
	// Limit the account's concurrency.
	PeakConcurrency float64 `json:"peak_concurrency,omitempty"`
	Limit           int     `json:"limit,omitempty"`
	// Kind names the CRM behind crm (salesforce, hubspot); Burst is HubSpot's calls per
	// window as the integrator counts them, SearchRPS its search limit (the flow makes no
	// search calls). Salesforce has no per-second limit: its capacity_rps is 0 and its
	// peak_utilisation the share of the daily allowance in use.
	Kind      string  `json:"kind,omitempty"`
	Burst     int     `json:"burst,omitempty"`
	SearchRPS float64 `json:"search_rps,omitempty"`
	// With ERP stock (Shopify only): the ERP's fulfilments the integrator mirrors (two
	// calls each), its stock writes, and the points all of Shopify's requests are
	// charged.
	Fulfillments float64 `json:"fulfillments,omitempty"`
	StockWrites  float64 `json:"stock_writes,omitempty"`
	Points       float64 `json:"points,omitempty"`
}

// PhasePlan is one traffic phase.
type PhasePlan struct {
	Name        string             `json:"name"`
	Start       Duration           `json:"start"`
	Duration    Duration           `json:"duration"`
	Orders      float64            `json:"orders"`
	Utilisation map[string]float64 `json:"peak_utilisation"`
	EndBacklog  float64            `json:"end_backlog"`
}

// DailyUsage is an upstream's requests over the scenario against its daily allocation
// (0: none documented). For the CRM it also says the day's: DayRequests over 24 hours
// (Basis: "scenario" when the traffic lasts a day or more, else "24h at the last
// phase's rate"), against the Allowance the integrator lets itself use (the allocation
// less its Headroom); OtherUsage is other integrations' calls in the rolling window
// when the run starts (Salesforce's other_usage).
type DailyUsage struct {
	Upstream    string  `json:"upstream"`
	Requests    float64 `json:"requests"`
	Allocation  float64 `json:"allocation"`
	Share       float64 `json:"share"`
	Headroom    float64 `json:"headroom,omitempty"`
	Allowance   float64 `json:"allowance,omitempty"`
	OtherUsage  float64 `json:"other_usage,omitempty"`
	DayRequests float64 `json:"day_requests,omitempty"`
	DayShare    float64 `json:"day_share,omitempty"`
	Basis       string  `json:"basis,omitempty"`
	Within      bool    `json:"within_allowance,omitempty"`
}

// Check is one assertion of the scenario (or the goal) against its prediction.
type Check struct {
	Name      string `json:"name"`
	Predicted string `json:"predicted"`
	Budget    string `json:"budget"`
	Met       bool   `json:"met"`
}

// BacklogPoint is the queue's backlog (messages) at a moment of platform time.
type BacklogPoint struct {
	At      Duration `json:"at"`
	Backlog float64  `json:"backlog"`
}

// DrainHorizon is how long after the traffic the plan follows a backlog before it says
// the queue does not drain.
const DrainHorizon = 24 * time.Hour

// maxSegments bounds the fluid model's steps over the traffic.
const maxSegments = 5000

// segment is a stretch with constant arrivals and constant conditions upstream.
type segment struct {
	start, dur time.Duration
	arrival    float64 // jobs per second
	phase      int     // -1 after the traffic
}

// segments cuts [0, end) at a fixed step and at every change of conditions.
func (m *Model) segments() []segment {
	end := m.tl.end
	step := 10 * time.Second
	if end/step > maxSegments {
		step = (end/maxSegments + time.Second - 1).Truncate(time.Second)
	}
	cuts := map[time.Duration]bool{0: true, end: true}
	for t := step; t < end; t += step {
		cuts[t] = true
	}
	for _, s := range m.tl.starts {
		cuts[s] = true
	}
	for _, t := range m.changes() {
		if t > 0 && t < end {
			cuts[t] = true
		}
	}
	ts := make([]time.Duration, 0, len(cuts))
	for t := range cuts {
		ts = append(ts, t)
	}
	sort.Slice(ts, func(i, j int) bool { return ts[i] < ts[j] })
	js := m.jobShare() * m.Growth
	segs := make([]segment, 0, len(ts))
	for i := 0; i+1 < len(ts); i++ {
		a, b := ts[i], ts[i+1]
		n := m.tl.count(b) - m.tl.count(a)
		segs = append(segs, segment{start: a, dur: b - a, arrival: js * n / (b - a).Seconds(), phase: m.tl.phaseAt(a)})
	}
	return segs
}

// changes are the moments conditions upstream change: the edges of other holders'
// windows, of maintenance windows and of replica outages, in order.
func (m *Model) changes() []time.Duration {
	var out []time.Duration
	add := func(w Window) { out = append(out, w.From, w.To) }
	for _, h := range m.Holders {
		add(Window{From: h.From, To: h.To})
	}
	for _, w := range m.Maintenance {
		add(w)
	}
	for _, o := range m.Outages {
		add(o.Window)
	}
	if c := m.CRMFlow; c != nil {
		for _, o := range c.Other {
			out = append(out, o.RollsOffAt)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// afterCuts are the moments after the traffic where conditions change: the windows'
// edges, and while the ERP still ships the traffic's orders (what their fulfilments take
// of Shopify changes), every few seconds.
func (m *Model) afterCuts() []time.Duration {
	var out []time.Duration
	for _, t := range m.changes() {
		if t > m.tl.end {
			out = append(out, t)
		}
	}
	if m.fulfilledShare() > 0 && len(m.ERP.delays) > 0 {
		end, last := m.tl.end, m.tl.end+m.ERP.delays[len(m.ERP.delays)-1]
		step := max(5*time.Second, (last-end)/500)
		for t := end + step; t < last; t += step {
			out = append(out, t)
		}
		out = append(out, last+time.Second) // past the last shipment's second

		sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	}
	return out
}

// Predict runs the fluid model: jobs arrive as the traffic says and are served at the
// smallest of the limits (NetSuite's concurrency available to us over its mean latency,
// the workers, Shopify's bucket); the backlog is the integral of the excess. Where the
// fluid model is blind (BlindSpots), a note says so.
func (m *Model) Predict() (*Prediction, error) {
	p, err := m.predict()
	if err != nil {
		return nil, err
	}
	for _, why := range m.BlindSpots(p) {
		p.Notes = append(p.Notes, "the fluid model may miss the queue here ("+why+"): --engine auto, the default, or sim runs the simulation")
	}
	return p, nil
}

func (m *Model) predict() (*Prediction, error) {
	if m.tl.end <= 0 {
		return nil, errors.New("capacity: the traffic has no duration")
	}
	if m.jobShare() <= 0 {
		return nil, errors.New("capacity: the mix has no order actions")
	}
	segs := m.segments()
	mpj := m.messagesPerJob()
	p := &Prediction{Scenario: m.Name, Engine: "fluid", Knobs: m.Knobs, Upstreams: map[string]UpstreamPlan{}}

	type stats struct {
		minCap, nominal, peakUtil, requests float64
		unavailable                         time.Duration
		perJob                              float64
	}
	ups := map[string]*stats{}
	q := 0.0
	peakArr := 0.0
	headroom := math.Inf(1)
	bottleneck, worst := "", -1.0
	phases := make([]PhasePlan, len(m.tl.phases))
	for i, ph := range m.tl.phases {
		phases[i] = PhasePlan{Name: ph.name, Start: Duration(m.tl.starts[i]), Duration: Duration(ph.duration), Utilisation: map[string]float64{}}
	}
	var cum cumulative
	p.Backlog = append(p.Backlog, BacklogPoint{})
	cr := m.newCRMRun(len(phases))
	for _, s := range segs {
		mid := s.start + s.dur/2
		// scale is how many times the arrivals the tightest limit carries (limiter), the
		// flows that grow with the traffic included; down: a limit serves nothing.
		capJobs, _ := m.jobCapacity(mid)
		scale, limiter, down := math.Inf(1), "", false
		if crmJobs, ok := cr.segment(m, s, phases); ok && crmJobs < capJobs && s.arrival > 0 {
			scale, limiter = crmJobs/s.arrival, "crm"
		}
		for _, r := range m.resources(mid) {
			st := ups[r.name]
			if st == nil {
				st = &stats{minCap: math.Inf(1), perJob: r.perJob}
				ups[r.name] = st
			}
			if r.rps == 0 {
				st.unavailable += s.dur
				down = down || r.perJob > 0 || r.background > 0
				continue
			}
			st.minCap = math.Min(st.minCap, r.rps)
			if (r.perJob > 0 || r.background > 0) && s.arrival > 0 {
				if sc := r.scale(s.arrival); sc < scale {
					scale, limiter = sc, r.name
				}
			}
			if s.arrival > 0 && (r.perJob > 0 || r.background > 0) {
				u := (s.arrival*r.perJob + r.background) / r.rps
				st.peakUtil = math.Max(st.peakUtil, u)
				pu := &phases[s.phase]
				pu.Utilisation[r.name] = math.Max(pu.Utilisation[r.name], u)
			}
		}
		switch {
		case s.arrival > 0 && down:
			headroom = 0
		case s.arrival > 0 && limiter != "":
			headroom = math.Min(headroom, scale)
			if 1/scale > worst {
				worst, bottleneck = 1/scale, limiter
			}
		}
		peakArr = math.Max(peakArr, s.arrival)
		q0 := q
		ordersCap, _ := m.jobCapacity(mid)
		q = m.advance(p, &cum, q, s.start, s.dur, s.arrival, ordersCap, mpj)
		m.inFlight(p, mid, q0, q, s.arrival, ordersCap)
		p.Backlog[len(p.Backlog)-1].Backlog += cr.backlog()
		phases[s.phase].EndBacklog = q*mpj + cr.backlog()
		phases[s.phase].Orders += s.arrival * s.dur.Seconds() / m.jobsPerOrder()
	}
	// After the traffic: no arrivals; follow the backlog until it is gone.
	end := m.tl.end
	t := end
	cuts := m.afterCuts()
	p.Drains = true
	for q > 0 {
		if t-end >= DrainHorizon {
			p.Drains = false
			break
		}
		next := end + DrainHorizon
		for _, c := range cuts {
			if c > t {
				next = min(next, c)
				break
			}
		}
		capJobs, _ := m.jobCapacity(t)
		empties := false
		if capJobs > 0 {
			if need := seconds(q / capJobs); t+need <= next {
				next, empties = t+need, true
			}
		}
		q0 := q
		q = m.advance(p, &cum, q, t, next-t, 0, capJobs, mpj)
		m.inFlight(p, t, q0, q, 0, capJobs)
		// A stretch as long as the queue needs empties it, whatever the rounding of
		// its length to the nanosecond leaves.
		if q < 1e-9 || empties {
			q = 0
		}
		t = next
	}
	p.QueueDrain = Duration(t - end)
	cr.finish(m, p, end)
	p.DeliveryTail = Duration(m.drainAfter(0))
	p.DrainTime = Duration(m.drainAfter(time.Duration(p.QueueDrain)) + m.drainDetection())
	p.OldestAge = Duration(max(cum.maxWait(), cr.oldestWait()))
	p.Backlog = thin(p.Backlog, maxBacklogPoints)

	// What the traffic asks of each upstream.
	jpo := m.jobsPerOrder()
	names := make([]string, 0, len(ups))
	for n := range ups {
		names = append(names, n)
	}
	sort.Strings(names)
	total := m.tl.count(m.tl.end) * m.jobShare() * m.Growth
	peakConc := p.Upstreams["netsuite"].PeakConcurrency
	for _, n := range names {
		st := ups[n]
		nominal := m.nominal(n)
		if math.IsInf(st.minCap, 1) {
			st.minCap = 0
		}
		p.Upstreams[n] = UpstreamPlan{CapacityRPS: round(st.minCap, 3), NominalRPS: round(nominal, 3), RequestsPerOrder: round(st.perJob*jpo, 4),
			PeakUtilisation: round(st.peakUtil, 4), Requests: math.Round(total * st.perJob), Unavailable: Duration(st.unavailable)}
	}
	cr.upstream(m, p, total/jpo)
	m.erpUpstream(p, end+time.Duration(p.DrainTime))
	ns := p.Upstreams["netsuite"]
	ns.PeakConcurrency, ns.Limit = round(peakConc, 1), m.Knobs.Limit()
	p.Upstreams["netsuite"] = ns
	for i := range phases {
		phases[i].Orders = math.Round(phases[i].Orders)
		phases[i].EndBacklog = math.Round(phases[i].EndBacklog)
		for k, v := range phases[i].Utilisation {
			phases[i].Utilisation[k] = round(v, 4)
		}
	}
	p.Phases = phases
	p.Orders = math.Round(total / jpo)
	p.SoldOut = math.Round(m.Refused)
	p.PlannedPeakOrdersPerHour = math.Round(peakArr / jpo * 3600)
	if math.IsInf(headroom, 1) {
		headroom = 0
	}
	p.Headroom = round(headroom, 3)
	p.MaxOrdersPerHour = math.Round(headroom * peakArr / jpo * 3600)
	if bottleneck == "" {
		bottleneck = "netsuite"
	}
	p.Bottleneck = bottleneck
	if busy := (m.tl.end + time.Duration(p.DrainTime)).Seconds(); busy > 0 {
		p.Throughput = round(total*m.writesPerJob()/busy, 3)
	}
	p.PeakBacklog = math.Round(p.PeakBacklog)
	p.PeakQueueDepth = math.Round(math.Max(p.PeakQueueDepth, p.PeakBacklog))
	p.AckP99 = Duration(m.ackP99(peakArr).Round(100 * time.Microsecond))
	p.Daily = []DailyUsage{
		{Upstream: "netsuite", Requests: p.Upstreams["netsuite"].Requests},
	}
	if m.Lookups || m.ERP != nil {
		p.Daily = append(p.Daily, DailyUsage{Upstream: "shopify", Requests: p.Upstreams["shopify"].Requests})
	}
	if m.CRMFlow != nil {
		p.Daily = append(p.Daily, m.crmUsage(cr.total, cr.last, cr.lastSpan))
	}
	if len(m.Outages) > 0 {
		p.Notes = append(p.Notes, "replica crashes are modelled as fewer workers while the replica is down; lease expiry is not")
	}
	p.roundTimes()
	p.Checks = m.checks(p)
	p.Meets = allMet(p.Checks)
	p.Verdict = verdict(p.Meets)
	return p, nil
}

// roundTimes rounds the queue's times to the millisecond: finer is noise.
func (p *Prediction) roundTimes() {
	for _, d := range []*Duration{&p.DrainTime, &p.QueueDrain, &p.DeliveryTail, &p.OldestAge, &p.PeakBacklogAt} {
		*d = Duration(time.Duration(*d).Round(time.Millisecond))
	}
}

func verdict(ok bool) string {
	if ok {
		return "meets"
	}
	return "fails"
}

func allMet(cs []Check) bool {
	for _, c := range cs {
		if !c.Met {
			return false
		}
	}
	return true
}

// advance moves the backlog q over [t, t+d) at constant arrivals and capacity (jobs per
// second), recording the backlog curve in p and the cumulative curves in cum.
func (m *Model) advance(p *Prediction, cum *cumulative, q float64, t, d time.Duration, arr, capJobs, mpj float64) float64 {
	excess := arr - capJobs
	q0 := q
	q = math.Max(0, q+excess*d.Seconds())
	served := arr*d.Seconds() + q0 - q
	// The backlog hits zero inside the stretch: record the kink.
	if q0 > 0 && q == 0 && excess < 0 {
		at := t + seconds(q0/-excess)
		if at < t+d {
			frac := (at - t).Seconds()
			cum.add(at, cum.arrived()+arr*frac, cum.served()+q0+arr*frac)
		}
	}
	cum.add(t+d, cum.arrived()+arr*d.Seconds(), cum.served()+served)
	work := 0.0
	if d > 0 {
		work = m.inWork(t+d/2, served/d.Seconds(), mpj)
	}
	if bq := q * mpj; bq > p.PeakBacklog {
		p.PeakBacklog, p.PeakBacklogAt = bq, Duration(t+d)
	}
	// The run's queue depth counts every message not yet acknowledged: the backlog and
	// the messages being worked on. Its largest sample sits above the mean of the latter
	// by their fluctuation (a Poisson count: 3√μ covers the samples of a run).
	p.PeakQueueDepth = math.Max(p.PeakQueueDepth, q*mpj+work+3*math.Sqrt(work))
	p.Backlog = append(p.Backlog, BacklogPoint{At: Duration(t + d), Backlog: math.Round(q*mpj*10) / 10})
	return q
}

// inWork is the messages being worked on at t while jobs finish at rate a second
// (Little's law): a job's messages arrive together and wait, per key, for the first to
// be applied, so each stays about as long as the job holds its worker; never more jobs
// than the workers up.
func (m *Model) inWork(t time.Duration, rate, mpj float64) float64 {
	jobs := math.Min(rate*m.jobBusy().Seconds(), float64(m.replicasUp(t)*m.Knobs.Workers))
	return math.Max(jobs, 0) * mpj
}

// inFlight records NetSuite's requests in flight over a stretch (Little's law: rate ×
// mean latency) and whether the integration then asks for more slots than it is left.
func (m *Model) inFlight(p *Prediction, t time.Duration, q0, q, arr, capJobs float64) {
	rate := arr
	if q0 > 0 || q > 0 {
		rate = capJobs // a backlog keeps every permitted slot busy
	}
	conc := rate * m.writesPerJob() * m.NetSuiteMean.Seconds()
	u := p.Upstreams["netsuite"]
	u.PeakConcurrency = math.Max(u.PeakConcurrency, conc)
	p.Upstreams["netsuite"] = u
	if (q0 > 0 || q > 0) && m.Knobs.share() > m.available(t) && m.available(t) > 0 {
		p.Contested = true
	}
}

// nominal is an upstream's capacity with nothing held by others, no maintenance and
// every replica up.
func (m *Model) nominal(name string) float64 {
	n := *m
	n.Holders, n.Maintenance, n.Outages = nil, nil, nil
	for _, r := range n.resources(0) {
		if r.name == name {
			return r.rps
		}
	}
	return 0
}

// ackP99 is the predicted p99 of the ingress's answers at the peak arrival rate (jobs
// per second of platform time), in wall time: AckBase while the machine's ingress keeps
// up, growing as 1/(1-ρ) towards it, unbounded beyond. A coarse model: it only says
// whether the ingress is near its limit.
func (m *Model) ackP99(peakJobs float64) time.Duration {
	wall := peakJobs * m.messagesPerJob() * (1 + m.DuplicateShare) * m.Speed
	rho := wall / (IngressRPS * float64(max(1, m.Knobs.Replicas)))
	if rho >= 1 {
		return time.Duration(math.MaxInt64)
	}
	return time.Duration(float64(AckBase) / (1 - rho))
}

func (m *Model) checks(p *Prediction) []Check {
	var cs []Check
	b := m.Budgets
	if b.DrainTime > 0 {
		cs = append(cs, Check{Name: "drain_time", Predicted: drainString(p), Budget: b.DrainTime.String(),
			Met: p.Drains && time.Duration(p.DrainTime) <= b.DrainTime})
	}
	if b.DrainTimeout > 0 {
		cs = append(cs, Check{Name: "drain.timeout", Predicted: drainString(p), Budget: b.DrainTimeout.String(),
			Met: p.Drains && time.Duration(p.DrainTime) <= b.DrainTimeout})
	}
	if b.AckP99 > 0 {
		cs = append(cs, Check{Name: "ack_p99", Predicted: ackString(time.Duration(p.AckP99)), Budget: b.AckP99.String(),
			Met: time.Duration(p.AckP99) <= b.AckP99})
	}
	for _, u := range p.Daily {
		if u.Basis == "" || u.Allocation <= 0 {
			continue
		}
		cs = append(cs, Check{Name: u.Upstream + ".daily_allocation", Predicted: thousands(u.DayRequests) + " calls a day",
			Budget: thousands(u.Allowance) + fmt.Sprintf(" (%s less %.0f%% headroom)", thousands(u.Allocation), 100*u.Headroom), Met: u.Within})
	}
	return cs
}

func drainString(p *Prediction) string {
	if !p.Drains {
		return "does not drain within " + DrainHorizon.String()
	}
	return time.Duration(p.DrainTime).Round(time.Second).String()
}

func ackString(d time.Duration) string {
	if d == time.Duration(math.MaxInt64) {
		return "unbounded (ingress saturated)"
	}
	return d.Round(time.Millisecond).String()
}

func round(v float64, digits int) float64 {
	if math.IsInf(v, 0) || math.IsNaN(v) {
		return 0
	}
	p := math.Pow(10, float64(digits))
	return math.Round(v*p) / p
}

// cumulative holds the arrived and served curves (jobs) at the moments their slopes
// change, to find the longest FIFO wait: the largest horizontal gap between them.
type cumulative struct {
	t         []time.Duration
	arr, serv []float64
}

func (c *cumulative) arrived() float64 {
	if len(c.arr) == 0 {
		return 0
	}
	return c.arr[len(c.arr)-1]
}

func (c *cumulative) served() float64 {
	if len(c.serv) == 0 {
		return 0
	}
	return c.serv[len(c.serv)-1]
}

func (c *cumulative) add(t time.Duration, a, s float64) {
	if len(c.t) == 0 {
		c.t, c.arr, c.serv = []time.Duration{0}, []float64{0}, []float64{0}
	}
	c.t = append(c.t, t)
	c.arr = append(c.arr, a)
	c.serv = append(c.serv, s)
}

// maxWait is the longest FIFO wait: job x arrives when the arrived curve first reaches
// x and leaves when the served curve does. Both curves are piecewise linear through the
// stored points, so the gap is largest at one of their values.
func (c *cumulative) maxWait() time.Duration {
	xs := make([]float64, 0, 2*len(c.t))
	xs = append(append(xs, c.arr...), c.serv...)
	sort.Float64s(xs)
	var best time.Duration
	ia, is := 0, 0
	for _, x := range xs {
		ta, ok1 := firstReach(c.t, c.arr, &ia, x)
		ts, ok2 := firstReach(c.t, c.serv, &is, x)
		if ok1 && ok2 {
			best = max(best, ts-ta)
		}
	}
	return best
}

// firstReach is the first time the non-decreasing curve (t, y) reaches v; *j advances
// monotonically over calls with non-decreasing v.
func firstReach(t []time.Duration, y []float64, j *int, v float64) (time.Duration, bool) {
	if len(y) == 0 {
		return 0, false
	}
	if y[0] >= v {
		return t[0], true
	}
	for ; *j+1 < len(t); *j++ {
		k := *j
		if y[k+1] >= v {
			f := (v - y[k]) / (y[k+1] - y[k])
			return t[k] + time.Duration(f*float64(t[k+1]-t[k])), true
		}
	}
	return 0, false
}

// maxBacklogPoints bounds the backlog curve a prediction carries.
const maxBacklogPoints = 600

// thin keeps at most n points of a curve, always the first, the last and the highest.
func thin(pts []BacklogPoint, n int) []BacklogPoint {
	if len(pts) <= n {
		return pts
	}
	peak := 0
	for i, p := range pts {
		if p.Backlog > pts[peak].Backlog {
			peak = i
		}
	}
	every := (len(pts) + n - 1) / n
	out := make([]BacklogPoint, 0, n+2)
	for i, p := range pts {
		if i%every == 0 || i == peak || i == len(pts)-1 {
			out = append(out, p)
		}
	}
	return out
}
