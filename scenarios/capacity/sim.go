package capacity

import (
	"cmp"
	"container/heap"
	"errors"
	"math"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/peakready/peakready/fakes/latency"
)

// The integrator's policies the simulation follows, as the bundled integrator sets them
// (integrator/throttle/gate.go, integrator/guard.go, integrator/queue).
const (
	// gateDecrease multiplies the gate's effective limit on a 429, at most once per
	// gateCooldown; gateIncreaseAfter successes raise it by one, up to the share.
	gateDecrease      = 0.75
	gateCooldown      = time.Second
	gateIncreaseAfter = 20
	// throttleSnooze is the wait after a 429; unavailableSnooze after a 503 (maintenance).
	throttleSnooze    = time.Second
	unavailableSnooze = 30 * time.Second
	// retryBase doubles per failed attempt up to retryMax (the queue's exponential backoff).
	retryBase = time.Second
	retryMax  = 10 * time.Minute
	// sampleEvery is the backlog curve's step.
	sampleEvery = 10 * time.Second
)

// Simulation runs the integrator's policies over the scenario's traffic in virtual
// time: store actions arrive as the pacer sends them (evenly spaced at the phase's rate),
// each order action queues a job under its order's key (per-key FIFO: one job of a key
// at a time), workers take ready keys oldest first, a NetSuite call needs a permit of the
// gate (an adaptive limit that shrinks on 429 and grows back on successes), NetSuite
// refuses calls beyond what other holders leave of the account (429, snoozed 1 s),
// answers 503 in maintenance windows (snoozed 30 s), fails injected faults (retried with
// exponential backoff) and otherwise answers after a latency drawn from the scenario's
// distribution. Draws are seeded: the same model and seed give the same answer.
type Simulation struct {
	m    *Model
	dist latency.Distribution
	rng  *rand.Rand
	fail float64

	now    time.Duration
	events eventHeap
	seq    uint64

	keys    []simKey
	ready   readyHeap
	idle    int // workers free
	busy    int
	waiting []int // keys whose worker waits for a gate permit, in order
	// machineFree is when the run's machine (Model.machineCap) is next free for a job.
	machineFree time.Duration
	inflight    int
	limit       float64 // the gate's effective limit
	success     int
	lastDec     time.Duration

	jobsLeft   int
	backlog    int // messages of jobs not finished
	peak       int
	peakAt     time.Duration
	oldest     time.Duration
	requests   int
	throttled  int
	writes     int
	curve      []BacklogPoint
	trafficEnd time.Duration
	drainedAt  time.Duration
	lastFinish time.Duration // when the last job finished
	lastArr    time.Duration

	// shop is Shopify's cost bucket as the integrator's mirror spends it, and the stock
	// flow's flushers; nil when the plan has no Shopify.
	shop *simShopify
}

type simJob struct {
	arrived  time.Duration
	msgs     int
	attempts int
	kind     jobKind
	// paid: the job's order is paid once it is written (a new order created paid, a
	// payment); stage is how far a job that spends Shopify's points got.
	paid  bool
	stage int
}

// jobKind is what a queued job does.
type jobKind uint8

const (
	jobOrder  jobKind = iota // an order action: the look-up, then the NetSuite write
	jobFulfil                // an ERP fulfilment: two Shopify calls
	jobEcho                  // the store's webhook of a fulfilment: handled, costs nothing upstream
)

type simKey struct {
	jobs []simJob
	held bool
	busy bool // a worker has it, or it is snoozed
	// shipped: the ERP ships the order (its fulfilment is drawn); cancelled: it will not.
	shipped, cancelled bool
}

type eventKind uint8

const (
	evArrive eventKind = iota
	evDone
	evWake
	evSample
	evPrepared
	evPoints // a key's Shopify points are there
	evShip   // the ERP pushes a key's fulfilment
	evFlush  // a replica's stock flush (key: the replica)
	evMove   // the ERP moves a SKU's stock on its own
)

type event struct {
	at   time.Duration
	seq  uint64
	kind eventKind
	key  int
	ok   bool // evDone: the call succeeded
}

type eventHeap []event

func (h eventHeap) Len() int { return len(h) }
func (h eventHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h eventHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *eventHeap) Push(x any)   { *h = append(*h, x.(event)) }
func (h *eventHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

type readyItem struct {
	at  time.Duration
	seq uint64
	key int
}

type readyHeap []readyItem

func (h readyHeap) Len() int { return len(h) }
func (h readyHeap) Less(i, j int) bool {
	if h[i].at != h[j].at {
		return h[i].at < h[j].at
	}
	return h[i].seq < h[j].seq
}
func (h readyHeap) Swap(i, j int) { h[i], h[j] = h[j], h[i] }
func (h *readyHeap) Push(x any)   { *h = append(*h, x.(readyItem)) }
func (h *readyHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}

// SimResult is what the simulation measured.
type SimResult struct {
	PeakBacklog float64
	PeakAt      time.Duration
	OldestAge   time.Duration
	Drain       time.Duration
	Drains      bool
	Requests    int
	Throttled   int
	// Writes are the NetSuite calls that succeeded.
	Writes int
	Curve  []BacklogPoint
	// ShopifyPoints are the points Shopify charged the integrator's calls.
	ShopifyPoints float64
}

// Simulate runs the model's scenario through the integrator's policies, seeded by seed.
func (m *Model) Simulate(seed uint64) (*SimResult, error) {
	if m.nsLatency == nil {
		return nil, errors.New("capacity: the model has no NetSuite latency distribution")
	}
	s := &Simulation{m: m, dist: m.nsLatency, rng: rand.New(rand.NewPCG(seed, 0x51a1)),
		limit: float64(m.Knobs.share()), lastDec: -gateCooldown, trafficEnd: m.tl.end}
	s.fail = 1 - 1/m.Retry
	s.idle = m.replicasUp(0) * m.Knobs.Workers
	s.schedule(event{at: 0, kind: evSample})
	s.scheduleArrivals()
	s.shop = newSimShopify(s, seed)
	horizon := m.tl.end + DrainHorizon
	for s.events.Len() > 0 {
		e := heap.Pop(&s.events).(event)
		if e.at > horizon {
			break
		}
		s.now = e.at
		switch e.kind {
		case evArrive:
			s.arrive()
		case evDone:
			s.done(e.key, e.ok)
		case evPrepared:
			s.prepared(e.key)
		case evPoints:
			s.pointsReady(e.key)
		case evShip:
			s.ship(e.key)
		case evFlush:
			s.shop.flush(e.key)
		case evMove:
			s.shop.move(e.key)
		case evWake:
		case evSample:
			s.curve = append(s.curve, BacklogPoint{At: Duration(s.now), Backlog: float64(s.backlog)})
			if s.now < s.trafficEnd || s.jobsLeft > 0 {
				s.schedule(event{at: s.now + sampleEvery, kind: evSample})
			}
		}
		s.dispatch()
		if s.now >= s.trafficEnd && s.jobsLeft == 0 && s.drainedAt == 0 && s.arrivalsDone() {
			s.drainedAt = s.now
			s.curve = append(s.curve, BacklogPoint{At: Duration(s.now), Backlog: 0})
			break
		}
	}
	r := &SimResult{PeakBacklog: float64(s.peak), PeakAt: s.peakAt, OldestAge: s.oldest, Drains: s.drainedAt > 0 || s.jobsLeft == 0,
		Requests: s.requests, Throttled: s.throttled, Writes: s.writes, Curve: thin(s.curve, maxBacklogPoints)}
	if s.shop != nil {
		r.ShopifyPoints = s.shop.spent
	}
	if r.Drains {
		r.Drain = max(0, s.lastFinish-m.tl.end)
	} else {
		r.Drain = DrainHorizon
	}
	return r, nil
}

func (s *Simulation) schedule(e event) {
	s.seq++
	e.seq = s.seq
	heap.Push(&s.events, e)
}

// scheduleArrivals queues every store action at the instant the pacer sends it: the
// k-th action when the cumulative count reaches k (growth applied).
func (s *Simulation) scheduleArrivals() {
	m := s.m
	segs := m.segments()
	share := m.jobShare()
	k := 1.0
	done := 0.0
	for _, sg := range segs {
		rate := sg.arrival / share // actions per second
		n := rate * sg.dur.Seconds()
		for k <= done+n+1e-9 {
			at := sg.start + time.Duration((k-done)/rate*float64(time.Second))
			s.schedule(event{at: at, kind: evArrive})
			s.lastArr = at
			k++
		}
		done += n
	}
}

func (s *Simulation) arrivalsDone() bool { return s.now >= s.lastArr }

// arrive draws the action and queues its job.
func (s *Simulation) arrive() {
	mx := s.m.Mix
	x := s.rng.Float64()
	var key, msgs int
	var paid bool
	switch {
	case x < mx.NewOrder || len(s.keys) == 0:
		held := s.rng.Float64() < s.m.HighRiskShare
		s.keys = append(s.keys, simKey{held: held})
		key = len(s.keys) - 1
		msgs = 2
		if s.rng.Float64() < s.m.PaidShare {
			msgs = 3
		}
		paid = msgs == 3
	case x < mx.NewOrder+mx.Pay+mx.Edit+mx.Cancel:
		key = s.rng.IntN(len(s.keys))
		switch {
		case x < mx.NewOrder+mx.Pay:
			msgs, paid = 2, true
		case x < mx.NewOrder+mx.Pay+mx.Edit:
			msgs = 1
		default:
			msgs = 2
			s.keys[key].cancelled = true
		}
	default:
		return // a customer action: not an order job
	}
	s.enqueue(key, simJob{arrived: s.now, msgs: msgs, paid: paid})
}

// enqueue queues a job under its key.
func (s *Simulation) enqueue(key int, j simJob) {
	k := &s.keys[key]
	k.jobs = append(k.jobs, j)
	msgs := j.msgs
	s.jobsLeft++
	s.backlog += msgs
	if s.backlog > s.peak {
		s.peak, s.peakAt = s.backlog, s.now
	}
	if !k.busy && len(k.jobs) == 1 {
		s.makeReady(key, s.now)
	}
}

func (s *Simulation) makeReady(key int, at time.Duration) {
	s.seq++
	heap.Push(&s.ready, readyItem{at: at, seq: s.seq, key: key})
}

// workers is the pool at the moment: replicas up × workers each.
func (s *Simulation) workers() int { return s.m.replicasUp(s.now) * s.m.Knobs.Workers }

// dispatch gives ready keys to free workers and gate permits to waiting workers.
func (s *Simulation) dispatch() {
	for len(s.waiting) > 0 && s.inflight < s.gateLimit() {
		key := s.waiting[0]
		s.waiting = s.waiting[1:]
		s.call(key)
	}
	for s.ready.Len() > 0 && s.busy < s.workers() {
		top := s.ready[0]
		if top.at > s.now {
			break
		}
		heap.Pop(&s.ready)
		k := &s.keys[top.key]
		k.busy = true
		s.busy++
		j := &k.jobs[0]
		if j.attempts == 0 {
			s.oldest = max(s.oldest, s.now-j.arrived)
		}
		prep := time.Duration(float64(j.msgs) * float64(s.m.Overhead) * s.m.Speed)
		if j.attempts > 0 {
			prep = time.Duration(float64(s.m.Overhead) * s.m.Speed) // only the retried message
		}
		// In a plan of a run, the machine the harness shares serves jobs one after the
		// other at its rate of the moment: a job's work ends no sooner than its turn.
		done := s.now + prep
		if c, ok := s.m.machineCap(s.now); ok && j.attempts == 0 {
			turn := max(s.now, s.machineFree)
			if c > 0 {
				s.machineFree = turn + seconds(1/c)
			} else {
				s.machineFree = turn + time.Second
			}
			done = max(done, s.machineFree)
		}
		s.schedule(event{at: done, kind: evPrepared, key: top.key})
	}
}

// prepared: the worker has done the job's work outside the upstreams (its messages'
// handling). An order job then looks the order up in Shopify, once, when the bucket has
// the points; a fulfilment makes its Shopify calls; the store's echo of a fulfilment is
// done.
func (s *Simulation) prepared(key int) {
	j := &s.keys[key].jobs[0]
	switch {
	case j.kind == jobEcho:
		s.finish(key)
		return
	case j.kind == jobFulfil:
		s.shop.fulfil(key)
		return
	case s.m.Lookups && j.stage == 0:
		s.shop.spend(key, OrderDetailsPoints)
		return
	}
	s.write(key)
}

// pointsReady: the points a key's worker waited for are there.
func (s *Simulation) pointsReady(key int) {
	j := &s.keys[key].jobs[0]
	j.stage++
	if j.kind == jobFulfil {
		s.shop.fulfil(key)
		return
	}
	s.write(key)
}

// write: a held order is done, any other order job calls NetSuite.
func (s *Simulation) write(key int) {
	if s.keys[key].held {
		s.finish(key) // held for review: no NetSuite write
		return
	}
	if s.inflight < s.gateLimit() && len(s.waiting) == 0 {
		s.call(key)
	} else {
		s.waiting = append(s.waiting, key)
	}
}

func (s *Simulation) gateLimit() int { return max(1, int(s.limit)) }

// call sends the key's head job to NetSuite.
func (s *Simulation) call(key int) {
	s.requests++
	m := s.m
	if m.inMaintenance(s.now) {
		s.snooze(key, unavailableSnooze)
		return
	}
	if s.inflight+1 > m.Knobs.Limit()-m.heldAt(s.now) {
		s.throttled++
		if s.now-s.lastDec >= gateCooldown {
			s.limit = math.Max(1, s.limit*gateDecrease)
			s.lastDec = s.now
			s.success = 0
		}
		s.snooze(key, throttleSnooze)
		return
	}
	s.inflight++
	d := s.dist.Sample(s.rng)
	ok := s.rng.Float64() >= s.fail
	s.schedule(event{at: s.now + d + m.permitGap(), kind: evDone, key: key, ok: ok})
}

// snooze frees the worker and makes the key ready again after d, its head kept: the
// next attempt handles the message again from the start (the order's look-up, a
// fulfilment's read).
func (s *Simulation) snooze(key int, d time.Duration) {
	s.keys[key].jobs[0].attempts++
	s.keys[key].jobs[0].stage = 0
	s.busy--
	s.makeReady(key, s.now+d)
	s.schedule(event{at: s.now + d, kind: evWake})
}

func (s *Simulation) done(key int, ok bool) {
	s.inflight--
	if !ok {
		j := &s.keys[key].jobs[0]
		wait := min(retryMax, retryBase<<min(j.attempts, 20))
		s.snooze(key, wait)
		return
	}
	s.writes++
	s.success++
	s.written(key)
	if s.success >= gateIncreaseAfter {
		s.success = 0
		s.limit = math.Min(float64(s.m.Knobs.share()), s.limit+1)
	}
	s.finish(key)
}

// finish acknowledges the key's head job and frees its worker.
func (s *Simulation) finish(key int) {
	k := &s.keys[key]
	j := k.jobs[0]
	k.jobs = k.jobs[1:]
	s.jobsLeft--
	s.backlog -= j.msgs
	s.lastFinish = s.now
	s.busy--
	k.busy = false
	if len(k.jobs) > 0 {
		s.makeReady(key, s.now)
	}
}

// SimRuns is how many seeded runs PredictSim plays (seeds seed, seed+1, …). One run is
// one draw of every latency and action: where the backlog is the small difference of two
// close rates, a run's latencies alone move it by tens of per cent, as they move a real
// run's. The median run is the plan's.
const SimRuns = 7

// simulateMedian plays SimRuns seeded runs and returns the one whose peak backlog is the
// median (the earlier seed of equals), and the lowest and highest peak of the runs.
func (m *Model) simulateMedian(seed uint64) (*SimResult, [2]float64, error) {
	runs := make([]*SimResult, SimRuns)
	for i := range runs {
		r, err := m.Simulate(seed + uint64(i))
		if err != nil {
			return nil, [2]float64{}, err
		}
		runs[i] = r
	}
	slices.SortStableFunc(runs, func(a, b *SimResult) int { return cmp.Compare(a.PeakBacklog, b.PeakBacklog) })
	return runs[SimRuns/2], [2]float64{runs[0].PeakBacklog, runs[SimRuns-1].PeakBacklog}, nil
}

// PredictSim is Predict with the queue's figures (backlog, its curve, oldest age, drain,
// throughput, NetSuite's refusals) measured by the simulation instead of the fluid
// model (the median of SimRuns seeded runs); capacities, headroom and bottleneck stay the
// analytic ones. Engines holds both engines' figures.
func (m *Model) PredictSim() (*Prediction, error) {
	p, err := m.predict()
	if err != nil {
		return nil, err
	}
	return m.simulated(p, nil)
}

// simulated replaces the fluid prediction p's queue figures with the simulation's; why
// says why the simulation ran, when it was not asked for.
func (m *Model) simulated(p *Prediction, why []string) (*Prediction, error) {
	r, spread, err := m.simulateMedian(m.Seed)
	if err != nil {
		return nil, err
	}
	fluid := figuresOf(p)
	p.Engine = "sim"
	crmDrains := p.Drains || p.crmDrain == 0 // the fluid CRM queue's
	curve, drain := p.addCRM(r.Curve, r.Drain)
	p.PeakBacklog, p.PeakBacklogAt, p.OldestAge = r.PeakBacklog, Duration(r.PeakAt), Duration(max(r.OldestAge, p.crmOldest))
	p.PeakQueueDepth = r.PeakBacklog // the simulation counts the messages in work
	if p.crmCurve != nil {
		p.PeakBacklog, p.PeakBacklogAt = 0, 0
		for _, pt := range curve {
			if pt.Backlog > p.PeakBacklog {
				p.PeakBacklog, p.PeakBacklogAt = pt.Backlog, pt.At
			}
		}
		p.Notes = append(p.Notes, "the simulation models the orders flow; the CRM's queue is the fluid model's, added to it")
		p.PeakQueueDepth = math.Max(p.PeakQueueDepth, p.PeakBacklog)
	}
	p.QueueDrain, p.Drains, p.Backlog = Duration(drain), r.Drains && crmDrains, curve
	p.DrainTime = Duration(m.drainAfter(drain) + m.drainDetection())
	if r.Requests > 0 {
		p.NetSuiteThrottledShare = round(float64(r.Throttled)/float64(r.Requests), 4)
	}
	if busy := (m.tl.end + time.Duration(p.DrainTime)).Seconds(); busy > 0 {
		p.Throughput = round(float64(r.Writes)/busy, 3)
	}
	for i := range p.Phases {
		end := time.Duration(p.Phases[i].Start + p.Phases[i].Duration)
		p.Phases[i].EndBacklog = curveAt(r.Curve, end)
	}
	p.roundTimes()
	p.Checks = m.checks(p)
	p.Meets = allMet(p.Checks)
	p.Verdict = verdict(p.Meets)
	p.Engines = compareEngines(fluid, figuresOf(p), why)
	if p.crmCurve == nil { // with a CRM the peak is the sum of two queues
		p.Engines.SimPeakRange = spread[:]
	}
	return p, nil
}

// curveAt is the last sample of a curve at or before t.
func curveAt(c []BacklogPoint, t time.Duration) float64 {
	v := 0.0
	for _, pt := range c {
		if time.Duration(pt.At) > t {
			break
		}
		v = pt.Backlog
	}
	return v
}
