package capacity

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
	"github.com/peakready/peakready/scenarios"
)

// Defaults of what a scenario file does not say, taken from the code the run uses.
const (
	// DefaultWorkers is the bundled integrator's workers per replica
	// (integrator.DefaultWorkers).
	DefaultWorkers = 16
	// DefaultNetSuiteLatency is the fake NetSuite's latency when a scenario names none
	// (scenarios/env.go).
	DefaultNetSuiteLatency = "lognormal(700ms,2.5s)"
	// DefaultPaidShare is the share of new orders created paid (the fake store's
	// PendingShare 0.08); DefaultHighRiskShare the share held for review.
	DefaultPaidShare     = 0.92
	DefaultHighRiskShare = 0.02
	// OrderDetailsPoints is the GraphQL cost of the integrator's OrderDetails look-up
	// (integrator/shopify orderDetailsCost).
	OrderDetailsPoints = 4
	// IngressRPS is what one machine's ingress answers within a few milliseconds
	// (net/http + HMAC + one Redis write, reference/machine-limits.md: 7k/s at p99 ~7 ms),
	// and AckBase the p99 ack latency below that load.
	IngressRPS = 7000.0
	AckBase    = 7 * time.Millisecond
	// DefaultOverhead is Overhead when nothing else is said: measured on the 2-core
	// test machine with two workers kept busy (docs/plan.md, "Calibration"): 10.3 ms of
	// wall time a job of three messages, 8.3 ms a job of two, NetSuite's 10 ms latency and
	// the permit's gap included.
	DefaultOverhead = 2500 * time.Microsecond
	// DefaultMachineJobs is MachineJobs when nothing else is said: fitted to two runs on
	// the 2-core test machine whose jobs were limited by its CPU (docs/plan.md,
	// "Calibration"), with IngressRPS as each webhook's share of it.
	DefaultMachineJobs = 437.0
	// DefaultPermitGap is PermitGap when nothing else is said: fitted to the
	// netsuite-concurrency-incident run on the 2-core test machine (docs/plan.md,
	// "Validation"), where three contested slots carried 3.5 calls a second, not the
	// 3.7 their mean latency allows.
	DefaultPermitGap = 2500 * time.Microsecond
	// latencySamples is how many seeded draws estimate a distribution's mean.
	latencySamples = 20000
)

// NetSuiteTierBase is each service tier's base concurrency (reference/erp-crm.md §1.1:
// limit = base + 10 × SuiteCloud Plus licences). The old names map to the new ones.
var NetSuiteTierBase = map[string]int{
	"standard": 5, "shared": 5, "premium": 15, "tier1": 15,
	"enterprise": 20, "tier2": 20, "ultimate": 20,
}

// Knobs are what a team can change before a peak: what it buys from NetSuite (tier,
// SuiteCloud Plus licences), the share of the account it allocates to this integration,
// and how it runs the integrator (workers per replica, replicas).
type Knobs struct {
	Tier           string `json:"netsuite_tier"`
	SuiteCloudPlus int    `json:"suitecloud_plus"`
	// AccountLimit, when above 0, is the account's concurrency stated outright (the
	// scenario's fakes.netsuite.concurrency); it then wins over tier and licences.
	AccountLimit int `json:"netsuite_account_limit,omitempty"`
	// Share is this integration's share of the account's concurrency; 0 means the whole
	// account.
	Share    int `json:"netsuite_share"`
	Workers  int `json:"workers"`
	Replicas int `json:"replicas"`
}

// Limit is the account's NetSuite concurrency.
func (k Knobs) Limit() int {
	if k.AccountLimit > 0 {
		return k.AccountLimit
	}
	return NetSuiteTierBase[k.Tier] + 10*k.SuiteCloudPlus
}

// share is this integration's concurrency, at most the account's.
func (k Knobs) share() int {
	if k.Share <= 0 || k.Share > k.Limit() {
		return k.Limit()
	}
	return k.Share
}

// Holder is another integration holding Slots of the NetSuite account from From to To
// (To zero: to the end).
type Holder struct {
	Slots    int
	From, To time.Duration
}

// Window is a span [From, To) of platform time (To zero: to the end).
type Window struct{ From, To time.Duration }

func (w Window) covers(t time.Duration) bool { return t >= w.From && (w.To == 0 || t < w.To) }

// Outage is replicas of the integrator down during a window (a crash and its restart).
type Outage struct {
	Replicas int
	Window
}

// Budgets are the assertions of the scenario the plan can predict.
type Budgets struct {
	DrainTime    time.Duration
	AckP99       time.Duration
	DrainTimeout time.Duration
}

// Model is a scenario reduced to what the plan needs. FromScenario fills it; a caller
// may change Knobs (the goal search does) and predict again.
type Model struct {
	Name string
	// Mix is each store action's share of the arrivals.
	Mix struct{ NewOrder, Pay, Edit, Cancel, Customer float64 }
	// PaidShare of new orders fire orders/paid; HighRiskShare are held for review (no
	// NetSuite write).
	PaidShare, HighRiskShare float64
	// DuplicateShare of deliveries arrive twice (the ingress drops the copy).
	DuplicateShare float64
	// Lookups: the integrator asks Shopify for each order's risk and transactions.
	Lookups      bool
	ShopifyPlan  string
	Knobs        Knobs
	NetSuiteMean time.Duration
	// Retry is the NetSuite requests per write: 1/(1-p) with p the probability a
	// request meets an injected error, reset or lost answer.
	Retry       float64
	Holders     []Holder
	Maintenance []Window
	Outages     []Outage
	// Speed is the speed of the system modelled: 1, production, unless the plan predicts
	// a sped-up run (the scenario's speed); it stretches the workers' Overhead and sets
	// the ingress's wall rate.
	Speed   float64
	Budgets Budgets
	// Growth scales every arrival rate (1: as the scenario says). Change it with
	// SetGrowth, which replays the checkouts at the new traffic.
	Growth float64
	// Overhead is the wall time a worker spends on each queue message outside NetSuite:
	// dequeue and acknowledgement in Redis, the Shopify look-up, bookkeeping. A run at
	// speed S stretches it S times in platform time, which is why a sped-up run on a
	// small machine is limited by its workers sooner than production is.
	Overhead time.Duration
	// PermitGap is the wall time a NetSuite call costs beyond its latency: the permit's
	// acquisition and release in Redis, and, while workers wait for a slot, the waiting
	// worker's wake-up, when the slot stays idle. It is added to every call's slot time
	// and its worker's time; a run at speed S stretches it S times, like Overhead.
	PermitGap time.Duration
	// MachineJobs is the jobs a second of wall time the machine running a scenario
	// carries, the harness (fakes, load generator) and the integrator together, while no
	// webhook arrives; each webhook a second takes 1/IngressRPS of it. It limits only a
	// plan of a run (Harness): production's integrator has its own machines.
	MachineJobs float64
	// Harness says the plan predicts what a run of the harness measures (a plan of a
	// run's speed): its drain then includes the run's detection, DrainLook.
	Harness bool
	// CRM is the CRM the integrator syncs customers to ("" none); CRMFlow its flow.
	CRM     string
	CRMFlow *CRMFlow
	// Seed is the scenario's: it seeds the latency mean's draws and the simulation.
	Seed uint64
	// ReorderShare of deliveries are held back up to ReorderWindow, LateShare by a draw
	// of LateDelay: the run's drain waits for them.
	ReorderShare, LateShare float64
	ReorderWindow           time.Duration
	LateDelay               latency.Distribution

	// Checkouts, when the store refuses what it has not in stock, is its stock; Refused
	// the new orders it refuses over the traffic (at Growth).
	Checkouts *Checkouts
	Refused   float64

	// rawTL is the traffic as the scenario writes it; tl what reaches the integrator
	// (less the refused checkouts).
	rawTL, tl timeline
	// ERP is the ERP → Shopify flows (nil without ERP stock).
	ERP *ERPFlows

	// tail caches deliveryTail, ship the fulfilments' curve and echo the runs of the
	// deliveries after the traffic: they depend on the traffic, not on the knobs.
	tail      *time.Duration
	ship      *shipCurve
	echo      [][]span
	nsLatency latency.Distribution
}

// ErrExternal is returned for a scenario whose system under test is the team's own:
// its workers and policies are unknown, so only upstream capacity could be planned.
var ErrExternal = errors.New("capacity: the scenario tests an external integrator; plan models the bundled one (sut.builtin)")

// FromScenario reads what the plan needs from a validated scenario. seed fixes the
// draws that estimate the NetSuite latency's mean.
func FromScenario(sc *scenarios.Scenario) (*Model, error) {
	b := sc.SUT.Builtin
	if b == nil {
		return nil, ErrExternal
	}
	m := &Model{Name: sc.Name, Speed: 1, Growth: 1, Overhead: DefaultOverhead, PermitGap: DefaultPermitGap, MachineJobs: DefaultMachineJobs, CRM: sc.CRMKind(), DuplicateShare: sc.Delivery.DuplicateShare}
	mx := sc.Traffic.Mix
	total := mx.NewOrder + mx.Pay + mx.Edit + mx.Cancel + mx.CustomerUpdate + mx.CustomerEdit
	if total <= 0 {
		return nil, errors.New("capacity: the mix has no weight")
	}
	m.Mix.NewOrder, m.Mix.Pay, m.Mix.Edit, m.Mix.Cancel = mx.NewOrder/total, mx.Pay/total, mx.Edit/total, mx.Cancel/total
	m.Mix.Customer = (mx.CustomerUpdate + mx.CustomerEdit) / total
	m.PaidShare, m.HighRiskShare = DefaultPaidShare, DefaultHighRiskShare
	if o := sc.Traffic.Orders; o.PaidShare != nil {
		m.PaidShare = *o.PaidShare
	}
	if o := sc.Traffic.Orders; o.HighRiskShare != nil {
		m.HighRiskShare = *o.HighRiskShare
	}
	m.Lookups = b.RiskCheck == nil || *b.RiskCheck
	m.ShopifyPlan = sc.Fakes.Shopify.Plan
	if m.ShopifyPlan == "" {
		m.ShopifyPlan = "plus"
	}

	n := sc.Fakes.NetSuite
	tier := n.Tier
	if tier == "" {
		tier = "premium"
	}
	m.Knobs = Knobs{Tier: tier, SuiteCloudPlus: n.SuiteCloudPlus, AccountLimit: n.Concurrency,
		Workers: b.Workers, Replicas: b.Replicas}
	if m.Knobs.Workers == 0 {
		m.Knobs.Workers = DefaultWorkers
	}
	if b.NetSuiteConcurrency < m.Knobs.Limit() {
		m.Knobs.Share = b.NetSuiteConcurrency // a share set below the account's
	}
	spec := string(n.Latency)
	if spec == "" {
		spec = DefaultNetSuiteLatency
	}
	dist, err := latency.Parse(spec)
	if err != nil {
		return nil, fmt.Errorf("capacity: netsuite latency: %w", err)
	}
	m.NetSuiteMean = MeanLatency(dist, sc.Seed, latencySamples)
	m.nsLatency, m.Seed = dist, sc.Seed
	if n.Held > 0 {
		m.Holders = append(m.Holders, Holder{Slots: n.Held})
	}
	for _, c := range n.Competing {
		m.Holders = append(m.Holders, Holder{Slots: c.Slots, From: c.From.D(), To: c.To.D()})
	}
	fail := 0.0
	for _, r := range n.Faults {
		switch r.Fault {
		case "maintenance":
			for _, w := range r.Windows {
				m.Maintenance = append(m.Maintenance, Window{From: time.Duration(w.From), To: time.Duration(w.To)})
			}
			if len(r.Windows) == 0 {
				m.Maintenance = append(m.Maintenance, Window{})
			}
		case "error", "reset", "commit-then-drop", "timeout":
			if len(r.Windows) == 0 && (r.Method == "" || strings.EqualFold(r.Method, "PUT")) {
				p := 1.0
				if r.Probability != nil {
					p = *r.Probability
				}
				fail = 1 - (1-fail)*(1-p)
			}
		}
	}
	if fail >= 1 {
		return nil, errors.New("capacity: every NetSuite request fails: nothing drains")
	}
	m.Retry = 1 / (1 - fail)
	for _, c := range b.Crashes {
		m.Outages = append(m.Outages, Outage{Replicas: 1, Window: Window{From: c.At.D(), To: restartAt(c)}})
	}
	if c := b.Crash; c != nil {
		m.Outages = append(m.Outages, Outage{Replicas: 1, Window: Window{From: c.At.D(), To: restartAt(*c)}})
	}
	d := sc.Delivery
	m.ReorderShare, m.LateShare, m.ReorderWindow = d.ReorderShare, d.LateShare, d.ReorderWindow.D()
	if m.ReorderWindow == 0 {
		m.ReorderWindow = webhooks.DefaultReorderWindow
	}
	m.LateDelay = webhooks.DefaultLateDelay
	if d.LateDelay != "" {
		if m.LateDelay, err = latency.Parse(string(d.LateDelay)); err != nil {
			return nil, fmt.Errorf("capacity: delivery late_delay: %w", err)
		}
	}
	m.Budgets = Budgets{DrainTime: sc.Assertions.DrainTime.D(), AckP99: sc.Assertions.AckP99.D(), DrainTimeout: sc.Drain.Timeout.D()}
	phases, err := curvesOf(sc, 1)
	if err != nil {
		return nil, err
	}
	m.rawTL = newTimeline(phases)
	if m.ERP, err = erpFlowsFrom(sc); err != nil {
		return nil, fmt.Errorf("capacity: netsuite stock fulfill_after: %w", err)
	}
	m.Checkouts = checkoutsFrom(sc)
	m.limitCheckouts()
	if m.CRMFlow, err = crmFromScenario(sc, sc.Seed); err != nil {
		return nil, err
	}
	return m, nil
}

func restartAt(c scenarios.Crash) time.Duration {
	if c.RestartAfter == 0 {
		return 0
	}
	return c.At.D() + c.RestartAfter.D()
}

// SetNetSuiteLatency replaces the scenario's NetSuite latency distribution (with one
// fitted from a sample, say): the mean the fluid model uses and the draws of the
// simulation.
func (m *Model) SetNetSuiteLatency(d latency.Distribution) {
	m.nsLatency = d
	m.NetSuiteMean = MeanLatency(d, m.Seed, latencySamples)
}

// Per-action counts, from the fake store and the orders flow (see EventCosts): every
// order action fires its topics with one payload; the first message of them the
// integrator applies makes the NetSuite write and the Shopify look-up, the others are the
// state already applied and cost nothing upstream.
//   - new order: orders/create, orders/updated, and orders/paid when created paid;
//   - pay: orders/paid, orders/updated; edit: orders/updated; cancel: orders/cancelled,
//     orders/updated.
//
// Customer actions fire customers/update, which the bundled integrator queues only when
// it syncs a CRM (see CRMFlow).

// jobShare is the share of actions that reach the orders flow (a "job": one NetSuite
// write, or one hold).
func (m *Model) jobShare() float64 {
	return m.Mix.NewOrder + m.Mix.Pay + m.Mix.Edit + m.Mix.Cancel
}

// messagesPerJob is the queue messages an order action leaves, on average.
func (m *Model) messagesPerJob() float64 {
	j := m.jobShare()
	if j == 0 {
		return 0
	}
	return (m.Mix.NewOrder*(2+m.PaidShare) + m.Mix.Pay*2 + m.Mix.Edit + m.Mix.Cancel*2) / j
}

// appliedCost is what the message a job applies costs upstream, weighed over the mix:
// EventCosts of orders/create, orders/paid, orders/updated and orders/cancelled, the
// first topic each action fires.
func (m *Model) appliedCost() Cost {
	j := m.jobShare()
	if j == 0 {
		return Cost{}
	}
	var c Cost
	for _, a := range []struct {
		share float64
		topic string
	}{{m.Mix.NewOrder, "orders/create"}, {m.Mix.Pay, "orders/paid"}, {m.Mix.Edit, "orders/updated"}, {m.Mix.Cancel, "orders/cancelled"}} {
		c.NetSuite += a.share / j * EventCosts[a.topic].NetSuite
		c.Shopify += a.share / j * EventCosts[a.topic].Shopify
	}
	return c
}

// writesPerJob is the NetSuite requests a job makes: held orders make none, every
// write is retried after an injected failure.
func (m *Model) writesPerJob() float64 {
	return (1 - m.HighRiskShare) * m.Retry * m.appliedCost().NetSuite
}

// lookupsPerJob is the Shopify look-ups a job makes (the risk check's).
func (m *Model) lookupsPerJob() float64 {
	if m.Lookups {
		return m.appliedCost().Shopify
	}
	return 0
}

// jobsPerOrder is the jobs each new order brings with it (its own, and its share of the
// payments, edits and cancellations).
func (m *Model) jobsPerOrder() float64 {
	if m.Mix.NewOrder == 0 {
		return 0
	}
	return m.jobShare() / m.Mix.NewOrder
}

// available is the NetSuite concurrency this integration gets at t: its share, less
// what other holders take of the account's, and nothing during maintenance.
func (m *Model) available(t time.Duration) int {
	if m.inMaintenance(t) {
		return 0
	}
	return max(0, min(m.Knobs.share(), m.Knobs.Limit()-m.heldAt(t)))
}

// inMaintenance reports whether NetSuite answers 503 at t.
func (m *Model) inMaintenance(t time.Duration) bool {
	for _, w := range m.Maintenance {
		if w.covers(t) {
			return true
		}
	}
	return false
}

// heldAt is the NetSuite slots other integrations hold at t.
func (m *Model) heldAt(t time.Duration) int {
	held := 0
	for _, h := range m.Holders {
		if (Window{From: h.From, To: h.To}).covers(t) {
			held += h.Slots
		}
	}
	return held
}

// replicasUp is the replicas running at t.
func (m *Model) replicasUp(t time.Duration) int {
	up := m.Knobs.Replicas
	for _, o := range m.Outages {
		if o.covers(t) {
			up -= o.Replicas
		}
	}
	return max(0, up)
}

// resource is one thing that limits how many jobs a second the integrator finishes.
type resource struct {
	name string
	// rps is the requests a second it serves; perJob the requests a job makes;
	// background the requests a second (in the same units) of flows that spend it
	// without waiting in the queue, and grow with the traffic (Shopify: the ERP's
	// fulfilments, in look-ups' worth of points).
	rps, perJob, background float64
}

// resources are the limits at t: NetSuite's concurrency over its mean latency, the
// workers over the time a job holds one, and Shopify's cost bucket.
func (m *Model) resources(t time.Duration) []resource {
	ns := NetSuiteRPS(m.available(t), m.slotTime())
	busy := m.jobBusy().Seconds()
	workers := 0.0
	if busy > 0 {
		workers = float64(m.replicasUp(t)*m.Knobs.Workers) / busy
	}
	if c, ok := m.machineCap(t); ok {
		workers = math.Min(workers, c)
	}
	rs := []resource{
		{name: "netsuite", rps: ns, perJob: m.writesPerJob()},
		{name: "workers", rps: workers, perJob: 1},
	}
	if m.Lookups || m.ERP != nil {
		rs = append(rs, resource{name: "shopify", rps: ShopifyRPS(shopifyRestore[m.ShopifyPlan], OrderDetailsPoints), perJob: m.lookupsPerJob(),
			background: m.shopifyBackground(t)})
	}
	return rs
}

// jobs is the jobs a second the resource serves the queue: what the flows that do not
// wait in it (background) leave.
func (r resource) jobs() float64 { return math.Max(0, r.rps-r.background) / r.perJob }

// scale is how many times the arrivals the resource carries, the background growing
// with them: rps ÷ (arrivals × perJob + background).
func (r resource) scale(arrival float64) float64 {
	need := arrival*r.perJob + r.background
	if need <= 0 {
		return math.Inf(1)
	}
	return r.rps / need
}

// machineCap is the jobs a second (platform time) the machine running the scenario
// carries at t, when the plan is of a run: MachineJobs less the share its webhooks take,
// in the run's compressed time.
func (m *Model) machineCap(t time.Duration) (float64, bool) {
	if !m.Harness || m.MachineJobs <= 0 {
		return 0, false
	}
	const h = 500 * time.Millisecond
	rate := 0.0
	if t < m.tl.end {
		a, b := max(t-h, 0), min(t+h, m.tl.end)
		rate = (m.tl.count(b) - m.tl.count(a)) / (b - a).Seconds() * m.Growth
	}
	webhooks := rate * m.jobShare() * m.messagesPerJob() * (1 + m.DuplicateShare) * m.Speed
	return m.MachineJobs * math.Max(0, 1-webhooks/IngressRPS) / m.Speed, true
}

// jobBusy is how long a job holds a worker: its NetSuite calls and the handling of its
// messages.
func (m *Model) jobBusy() time.Duration {
	return time.Duration(m.writesPerJob()*float64(m.slotTime())) + m.prep()
}

// slotTime is how long a NetSuite call holds a slot in platform time: its mean latency
// and the permit's gap before the next call (PermitGap, stretched by the speed).
func (m *Model) slotTime() time.Duration {
	return m.NetSuiteMean + m.permitGap()
}

func (m *Model) permitGap() time.Duration {
	return time.Duration(float64(m.PermitGap) * m.Speed)
}

// prep is the platform time a worker spends on a job outside NetSuite: Overhead (wall
// time) for each of its messages, stretched by the speed the run compresses time by;
// with a CRM, its share of the CRM's messages too, and the CRM's latency for its
// upserts.
func (m *Model) prep() time.Duration {
	msgs := m.messagesPerJob()
	var crm time.Duration
	if m.CRMFlow != nil && m.jobShare() > 0 {
		d := m.crmDemandOf(0, m.tl.count(m.tl.end)*m.jobShare()*m.Growth)
		jobs := m.tl.count(m.tl.end) * m.jobShare() * m.Growth
		if jobs > 0 {
			msgs += d.messages / jobs
			crm = time.Duration(d.upserts / jobs * m.CRMFlow.Retry * float64(m.CRMFlow.Mean))
		}
	}
	return time.Duration(msgs*float64(m.Overhead)*m.Speed) + crm
}

// shopifyRestore is each plan's GraphQL restore rate in points per second (the fake's
// plans, reference/shopify.md).
var shopifyRestore = map[string]float64{"standard": 100, "advanced": 200, "plus": 1000, "enterprise": 2000}

// jobCapacity is the jobs a second the integrator finishes at t, and what limits it.
func (m *Model) jobCapacity(t time.Duration) (float64, string) {
	best, name := math.Inf(1), ""
	for _, r := range m.resources(t) {
		if r.perJob <= 0 {
			continue
		}
		if c := r.jobs(); c < best {
			best, name = c, r.name
		}
	}
	if math.IsInf(best, 1) {
		return 0, "netsuite"
	}
	return best, name
}

// tailDraws is how many seeded draws of a delivery's fate estimate the delivery tail.
const tailDraws = 20000

// DrainLook is the run's drain detection: it looks at the store and the queue every
// 100 ms of wall time and calls the system drained on the second idle look in a row, so
// a drain ends, on average, 150 ms of wall time after the work did. A run at speed S
// reads that as S times as long in platform time.
const DrainLook = 150 * time.Millisecond

// drainDetection is DrainLook in the platform time of the run modelled; nothing for a
// plan of production.
func (m *Model) drainDetection() time.Duration {
	if !m.Harness {
		return 0
	}
	return time.Duration(float64(DrainLook) * m.Speed)
}

// deliveryTail is how long after the traffic the last delivery arrives, when the
// deliverer holds some back (reordering), delays them (late deliveries) or sends a copy
// later (duplicates, DefaultDuplicateDelay after the original): the median of that
// maximum. Each delivery is delayed as the fake deliverer delays it; the expected number
// of deliveries landing later than x after the traffic, E(x), is summed over seeded draws
// of a delivery's delay, and the last one lands after x with probability 1 − e^−E(x)
// (deliveries are many and independent), so the median is where E(x) = ln 2. A median is
// what one run measures most often; a single draw of the maximum is not.
func (m *Model) deliveryTail() time.Duration {
	if m.tail == nil {
		t := m.computeTail()
		m.tail = &t
	}
	return *m.tail
}

func (m *Model) computeTail() time.Duration {
	if m.ReorderShare == 0 && m.LateShare == 0 && m.DuplicateShare == 0 {
		return 0
	}
	r := rand.New(rand.NewPCG(m.Seed, 0x1a7e))
	delays := make([]time.Duration, 0, tailDraws*2)
	for range tailDraws {
		var d time.Duration
		if r.Float64() < m.LateShare {
			d += m.LateDelay.Sample(r)
		}
		if r.Float64() < m.ReorderShare {
			d += 1 + time.Duration(r.Int64N(int64(m.ReorderWindow)))
		}
		delays = append(delays, d)
		if r.Float64() < m.DuplicateShare {
			delays = append(delays, d+webhooks.DefaultDuplicateDelay.Sample(r))
		}
	}
	end := m.tl.end
	perAction := m.jobShare() * m.messagesPerJob() * m.Growth
	total := m.tl.count(end)
	// expected is E(x): a delivery of an action at t lands after end+x when its delay
	// exceeds end+x−t, so each draw d counts the deliveries of the actions after end+x−d.
	expected := func(x time.Duration) float64 {
		e := 0.0
		for _, d := range delays {
			if from := end + x - d; from < end {
				e += perAction * (total - m.tl.count(max(from, 0)))
			}
		}
		return e / tailDraws
	}
	hi := slices.Max(delays)
	if hi <= 0 || expected(0) <= math.Ln2 {
		return 0
	}
	lo := time.Duration(0)
	for hi-lo > 10*time.Millisecond {
		mid := lo + (hi-lo)/2
		if expected(mid) > math.Ln2 {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}
