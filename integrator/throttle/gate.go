package throttle

import (
	"context"
	"crypto/rand"
	_ "embed"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
)

//go:embed lua/gate.lua
var luaGate string

var scriptGate = redis.NewScript(luaGate)

// Defaults of GateConfig.
const (
	DefaultLease            = 2 * time.Minute
	DefaultWaiterTTL        = 30 * time.Second
	DefaultPollInterval     = 200 * time.Millisecond
	DefaultDecreaseFactor   = 0.75
	DefaultDecreaseCooldown = time.Second
	DefaultIncreaseAfter    = 20
)

// GateConfig configures a ConcurrencyGate. Zero values take the defaults given.
type GateConfig struct {
	// Name identifies the upstream budget, e.g. "netsuite". Gates with the same Prefix
	// and Name share one budget, whichever process they run in. Required.
	Name string
	// Limit is this integration's share of the upstream's concurrency limit (for
	// NetSuite, the integration's allocation, or a part of the account limit left to
	// it). Every replica must be given the same Limit. Required, at least 1.
	Limit int
	// Lease is how long a permit holds its slot without being extended (default 2 min).
	// A replica that crashes while holding permits gives their slots back after Lease.
	Lease time.Duration
	// Heartbeat is how often the gate extends the leases of the permits it holds
	// (default Lease/3). Negative disables it: callers then call Permit.Extend for
	// calls that may outlast Lease.
	Heartbeat time.Duration
	// WaiterTTL is how long a waiting Acquire stays in line after its replica stops
	// refreshing it (default 30 s). The gate refreshes every WaiterTTL/3 and on every
	// poll.
	WaiterTTL time.Duration
	// PollInterval bounds, in wall time, how long a waiter can miss a hand-off signal
	// (a lost Redis pub/sub message, a reconnect): every PollInterval a replica with
	// waiters asks Redis which of its tickets were granted (default 200 ms).
	PollInterval time.Duration
	// DecreaseFactor multiplies the effective limit when the upstream still says too
	// many (Throttled); the result is rounded down, floor 1 (default 0.75).
	DecreaseFactor float64
	// DecreaseCooldown: Throttled reports within this time of the last decrease count
	// in the stats but do not shrink the limit again, so one burst of 429s from calls
	// already in flight is one decrease (default 1 s).
	DecreaseCooldown time.Duration
	// IncreaseAfter is the run of successes (Succeeded, counted across replicas) after
	// which the effective limit grows by one, never above Limit (default 20).
	IncreaseAfter int
	// Prefix of the gate's Redis keys (default DefaultPrefix).
	Prefix string
	// Clock tells time (default the wall clock); the heartbeat and ticks wait on it.
	Clock clock.Clock
	// Logger receives warnings (lost leases, Redis failures in the background loops).
	Logger *slog.Logger

	onHeartbeat func() // test hook, called after each heartbeat
}

// ConcurrencyGate bounds how many calls to an upstream run at once across every replica
// sharing its Redis: NetSuite's account concurrency governance, where the 16th call of a
// 15-slot account is refused with 429 CONCURRENCY_LIMIT_EXCEEDED.
//
// A permit is a lease in a Redis sorted set. Acquire takes a free slot at once when no
// one is waiting; otherwise it joins one line shared by all replicas (first come, first
// served) and blocks. A released slot is handed to the oldest waiter inside the same
// Redis script, so it never sits idle between a release and a wake-up: a waiter on the
// releasing replica is woken in-process immediately, one on another replica by a Redis
// pub/sub message, and every PollInterval a replica asks Redis directly in case a
// message was lost.
//
// The effective limit adapts: Throttled (the upstream still said too many, because other
// integrations use the account's pool) shrinks it multiplicatively, a run of Succeeded
// grows it back by one. It lives in Redis, so every replica obeys the same value.
//
// All methods are safe for concurrent use. Close stops the gate's background loops.
type ConcurrencyGate struct {
	common
	cfg   GateConfig
	keys  []string
	self  string // this replica's id, the prefix of its tickets
	chans string // wake channel prefix
	seq   atomic.Uint64

	mu      sync.Mutex
	waiters map[string]*gateWaiter
	held    map[string]*Permit
	orphans map[string]struct{} // tickets/permits whose give-back failed; retried on poll

	eff atomic.Int64 // effective limit as last seen in a reply

	// hand-offs delivered to this replica's waiters, by path
	handoffs [3]atomic.Int64

	pollNow   chan struct{}
	ctx       context.Context // ends at Close; bounds the background loops
	cancel    context.CancelFunc
	closed    <-chan struct{} // ctx.Done()
	closeOnce sync.Once
	wg        sync.WaitGroup
}

type gateWaiter struct {
	ticket string
	done   chan error // nil: granted
	inLine bool       // the acquire script has run: poll may refresh or re-queue it
}

// NewConcurrencyGate returns a gate on rdb and starts its background loops (the
// hand-off listener, polling and the lease heartbeat). It does not contact Redis before
// the first call; a Redis that is down at start makes the calls fail, not New.
func NewConcurrencyGate(rdb redis.UniversalClient, cfg GateConfig) (*ConcurrencyGate, error) {
	c, err := newCommon(rdb, "gate", cfg.Name, cfg.Prefix, cfg.Clock, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if cfg.Limit < 1 {
		return nil, fmt.Errorf("throttle: gate %q: Limit must be at least 1, got %d", cfg.Name, cfg.Limit)
	}
	if cfg.DecreaseFactor < 0 || cfg.DecreaseFactor >= 1 {
		return nil, fmt.Errorf("throttle: gate %q: DecreaseFactor must be in (0, 1), got %v", cfg.Name, cfg.DecreaseFactor)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"Lease", cfg.Lease}, {"WaiterTTL", cfg.WaiterTTL}, {"PollInterval", cfg.PollInterval}, {"DecreaseCooldown", cfg.DecreaseCooldown}} {
		if d.v < 0 {
			return nil, fmt.Errorf("throttle: gate %q: %s must not be negative, got %v", cfg.Name, d.name, d.v)
		}
	}
	if cfg.IncreaseAfter < 0 {
		return nil, fmt.Errorf("throttle: gate %q: IncreaseAfter must not be negative, got %d", cfg.Name, cfg.IncreaseAfter)
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultLease
	}
	if cfg.Lease < time.Millisecond {
		return nil, fmt.Errorf("throttle: gate %q: Lease must be at least 1ms, got %v", cfg.Name, cfg.Lease)
	}
	if cfg.Heartbeat == 0 {
		cfg.Heartbeat = cfg.Lease / 3
	}
	if cfg.WaiterTTL == 0 {
		cfg.WaiterTTL = DefaultWaiterTTL
	}
	if cfg.PollInterval == 0 {
		cfg.PollInterval = DefaultPollInterval
	}
	if cfg.DecreaseFactor == 0 {
		cfg.DecreaseFactor = DefaultDecreaseFactor
	}
	if cfg.DecreaseCooldown == 0 {
		cfg.DecreaseCooldown = DefaultDecreaseCooldown
	}
	if cfg.IncreaseAfter == 0 {
		cfg.IncreaseAfter = DefaultIncreaseAfter
	}
	var id [6]byte
	_, _ = rand.Read(id[:])
	g := &ConcurrencyGate{
		common:  c,
		cfg:     cfg,
		self:    hex.EncodeToString(id[:]),
		waiters: map[string]*gateWaiter{},
		held:    map[string]*Permit{},
		orphans: map[string]struct{}{},
		pollNow: make(chan struct{}, 1),
	}
	g.ctx, g.cancel = context.WithCancel(context.Background())
	g.closed = g.ctx.Done()
	g.keys = []string{c.key("holders"), c.key("queue"), c.key("live"), c.key("ctl"), c.key("stats"), c.key("gone")}
	g.chans = c.key("wake") + ":"
	g.eff.Store(int64(cfg.Limit))
	g.wg.Add(3)
	go g.listen()
	go g.pollLoop()
	go g.tick()
	if cfg.Heartbeat > 0 {
		g.wg.Add(1)
		go g.heartbeat()
	}
	return g, nil
}

// Limit is the configured share.
func (g *ConcurrencyGate) Limit() int { return g.cfg.Limit }

// gateReply is a decoded script reply.
type gateReply struct {
	status int64
	eff    int64
	inUse  int64
	mine   []string
	extra  []any
}

func (g *ConcurrencyGate) call(ctx context.Context, op string, args ...any) (gateReply, error) {
	base := []any{op, millis(g.clock.Now()), g.cfg.Limit, g.cfg.Lease.Milliseconds(), g.self, g.chans}
	res, err := g.run(ctx, op, scriptGate, g.keys, append(base, args...)...)
	if err != nil {
		return gateReply{}, err
	}
	if len(res) < 5 {
		return gateReply{}, &StoreError{Limiter: g.kind, Upstream: g.name, Op: op, Err: fmt.Errorf("unexpected reply %v", res)}
	}
	r := gateReply{status: asInt(res[0]), eff: asInt(res[1]), inUse: asInt(res[2]), mine: asStrings(res[3])}
	r.extra, _ = res[4].([]any)
	g.eff.Store(r.eff)
	g.handoffs[viaReply].Add(g.dispatch(r.mine, nil))
	return r, nil
}

func (g *ConcurrencyGate) newID() string {
	return g.self + "." + strconv.FormatUint(g.seq.Add(1), 36)
}

// Acquire blocks until a slot is free and returns its permit. Waiters are served in the
// order they joined the line, across all replicas. When ctx ends first, Acquire returns
// a *ThrottledError wrapping ctx's error (a snooze for the queue); when Redis cannot be
// reached, a *StoreError; after Close, ErrClosed.
func (g *ConcurrencyGate) Acquire(ctx context.Context) (*Permit, error) {
	return g.acquire(ctx, true)
}

// TryAcquire takes a slot if one is free and nobody is waiting, without blocking. It
// returns (nil, nil) when there is none.
func (g *ConcurrencyGate) TryAcquire(ctx context.Context) (*Permit, error) {
	return g.acquire(ctx, false)
}

// errTicketDropped tells a waiter its ticket left the line without a slot (its replica
// did not refresh it within WaiterTTL): it joins again with a new ticket.
var errTicketDropped = errors.New("throttle: ticket dropped from the line")

func (g *ConcurrencyGate) acquire(ctx context.Context, wait bool) (*Permit, error) {
	for {
		p, err := g.acquireOnce(ctx, wait)
		if !errors.Is(err, errTicketDropped) {
			return p, err
		}
	}
}

func (g *ConcurrencyGate) acquireOnce(ctx context.Context, wait bool) (*Permit, error) {
	select {
	case <-g.closed:
		return nil, ErrClosed
	default:
	}
	ticket := g.newID()
	w := &gateWaiter{ticket: ticket, done: make(chan error, 1)}
	if wait {
		// Registered before the script runs: a release on this replica may hand the slot
		// over the moment the ticket is in line.
		g.mu.Lock()
		g.waiters[ticket] = w
		g.mu.Unlock()
	}
	r, err := g.call(ctx, "acquire", ticket, boolArg(wait), g.cfg.WaiterTTL.Milliseconds())
	if err != nil {
		// The script may have run before the call failed: take the ticket (or the slot
		// granted to it) back.
		if ctx.Err() != nil {
			return nil, g.abandon(ctx, w)
		}
		g.unregister(ticket)
		g.addOrphan(ticket)
		return nil, err
	}
	if r.status == 1 {
		g.unregister(ticket)
		return g.newPermit(ticket), nil
	}
	if r.status < 0 {
		g.unregister(ticket)
		return nil, &StoreError{Limiter: g.kind, Upstream: g.name, Op: "acquire", Err: errors.New("ticket already given up")}
	}
	if !wait {
		return nil, nil
	}
	g.mu.Lock()
	w.inLine = true
	g.mu.Unlock()
	select {
	case err := <-w.done:
		if err != nil {
			return nil, err
		}
		return g.newPermit(ticket), nil
	case <-ctx.Done():
		return nil, g.abandon(ctx, w)
	case <-g.closed:
		if g.unregister(ticket) {
			g.addOrphan(ticket)
		} else if err := <-w.done; err == nil {
			g.addOrphan(ticket)
		}
		g.flushOrphans(context.Background())
		return nil, ErrClosed
	}
}

// abandon takes a waiter whose context ended out of line, giving back a slot granted to
// it in the meantime.
func (g *ConcurrencyGate) abandon(ctx context.Context, w *gateWaiter) error {
	g.unregister(w.ticket)
	cctx, cancel := detached(ctx, 5*time.Second)
	defer cancel()
	if _, err := g.call(cctx, "cancel", g.cfg.WaiterTTL.Milliseconds(), "1", w.ticket); err != nil {
		g.addOrphan(w.ticket)
		g.logger.Warn("throttle: could not leave the gate's line; retrying in the background", "ticket", w.ticket, "err", err)
	}
	return &ThrottledError{Upstream: g.name, Reason: "no concurrency slot before the context ended", Err: ctx.Err()}
}

func boolArg(b bool) string {
	if b {
		return "1"
	}
	return "0"
}

// unregister removes a waiter; false when a grant or error was already dispatched to it.
func (g *ConcurrencyGate) unregister(ticket string) bool {
	g.mu.Lock()
	defer g.mu.Unlock()
	_, ok := g.waiters[ticket]
	delete(g.waiters, ticket)
	return ok
}

// The paths by which a hand-off reaches a waiter.
const (
	viaReply  = iota // the reply of a script this replica ran (a local release)
	viaSignal        // a pub/sub message from another replica's script
	viaPoll          // this replica's poll (a lost or late message)
)

// dispatch wakes the local waiters of tickets with err (nil: granted) and returns how
// many it woke. Tickets with no waiter are ignored: their waiter left, and its cancel
// gives the slot back.
func (g *ConcurrencyGate) dispatch(tickets []string, err error) int64 {
	if len(tickets) == 0 {
		return 0
	}
	g.mu.Lock()
	defer g.mu.Unlock()
	var n int64
	for _, t := range tickets {
		if w, ok := g.waiters[t]; ok {
			delete(g.waiters, t)
			w.done <- err
			n++
		}
	}
	return n
}

func (g *ConcurrencyGate) addOrphan(id string) {
	g.mu.Lock()
	g.orphans[id] = struct{}{}
	g.mu.Unlock()
	g.poke()
}

func (g *ConcurrencyGate) poke() {
	select {
	case g.pollNow <- struct{}{}:
	default:
	}
}

// Throttled reports that the upstream still refused a call for concurrency (NetSuite's
// 429 CONCURRENCY_LIMIT_EXCEEDED) although this gate admitted it: other integrations
// use the account's pool. The shared effective limit shrinks by DecreaseFactor, at most
// once per DecreaseCooldown, never below 1. It returns the effective limit after the
// report.
func (g *ConcurrencyGate) Throttled(ctx context.Context) (int, error) {
	r, err := g.call(ctx, "throttled", g.cfg.DecreaseCooldown.Milliseconds(), fmtFloat(g.cfg.DecreaseFactor))
	if err != nil {
		return 0, err
	}
	if r.status == 1 {
		g.logger.Info("throttle: upstream still says too many; effective concurrency limit lowered", "effective", r.eff, "limit", g.cfg.Limit)
	}
	return int(r.eff), nil
}

// Succeeded reports a call the upstream accepted. After IncreaseAfter reports (from any
// replica) without a decrease in between, the effective limit grows by one, up to Limit.
// While this replica last saw the effective limit at Limit, Succeeded returns at once
// without contacting Redis. It returns the effective limit as last seen.
func (g *ConcurrencyGate) Succeeded(ctx context.Context) (int, error) {
	if g.eff.Load() >= int64(g.cfg.Limit) {
		return g.cfg.Limit, nil
	}
	r, err := g.call(ctx, "succeeded", g.cfg.IncreaseAfter)
	if err != nil {
		return 0, err
	}
	if r.status == 1 {
		g.logger.Info("throttle: effective concurrency limit raised", "effective", r.eff, "limit", g.cfg.Limit)
	}
	return int(r.eff), nil
}

// GateStats is a gate's shared state and its counters since its keys were created.
type GateStats struct {
	Limit          int   `json:"limit"`           // configured share
	EffectiveLimit int   `json:"effective_limit"` // after adaptive decreases
	InUse          int   `json:"in_use"`          // permits held, all replicas
	Waiters        int   `json:"waiters"`         // waiting Acquires, all replicas
	LocalWaiters   int   `json:"local_waiters"`   // waiting Acquires of this replica
	LocalHeld      int   `json:"local_held"`      // permits held by this replica
	Acquired       int64 `json:"acquired"`        // permits granted
	Timeouts       int64 `json:"timeouts"`        // Acquires whose context ended in line
	Expired        int64 `json:"expired"`         // leases that ran out (crashed holders)
	Dropped        int64 `json:"dropped"`         // waiting tickets not refreshed within WaiterTTL
	// Hand-offs to this replica's waiters by the path that delivered them: the reply
	// of a local release, another replica's pub/sub message, or a poll (a message that
	// was lost or came late). Polled hand-offs waited up to PollInterval.
	HandOffsLocal  int64 `json:"hand_offs_local"`
	HandOffsSignal int64 `json:"hand_offs_signal"`
	HandOffsPolled int64 `json:"hand_offs_polled"`
	Throttled      int64 `json:"throttled"` // Throttled reports
	Decreases      int64 `json:"decreases"` // effective-limit decreases
	Increases      int64 `json:"increases"` // effective-limit increases
}

// Stats reads the gate's shared state from Redis.
func (g *ConcurrencyGate) Stats(ctx context.Context) (GateStats, error) {
	r, err := g.call(ctx, "stats")
	if err != nil {
		return GateStats{}, err
	}
	c := asCounters(r.extra)
	g.mu.Lock()
	lw, lh := len(g.waiters), len(g.held)
	g.mu.Unlock()
	return GateStats{
		Limit: g.cfg.Limit, EffectiveLimit: int(r.eff), InUse: int(r.inUse), Waiters: int(r.status),
		LocalWaiters: lw, LocalHeld: lh,
		Acquired: c["acquired"], Timeouts: c["timeouts"], Expired: c["expired"], Dropped: c["dropped"],
		Throttled: c["throttled"], Decreases: c["decreases"], Increases: c["increases"],
		HandOffsLocal: g.handoffs[viaReply].Load(), HandOffsSignal: g.handoffs[viaSignal].Load(), HandOffsPolled: g.handoffs[viaPoll].Load(),
	}, nil
}

// Close stops the gate's background loops and fails waiting Acquires with ErrClosed
// (their places in line are given up). Permits still held are not released: their
// holders release them, or their leases expire since nothing extends them any more.
// Close does not close rdb. It is idempotent.
func (g *ConcurrencyGate) Close() error {
	g.closeOnce.Do(func() {
		g.cancel()
		g.wg.Wait()
		g.failWaiters(ErrClosed)
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		g.flushOrphans(ctx)
	})
	return nil
}

// Permit is one slot of a ConcurrencyGate. Its methods are safe for concurrent use.
type Permit struct {
	gate     *ConcurrencyGate
	id       string
	released atomic.Bool
	lost     atomic.Bool
}

func (g *ConcurrencyGate) newPermit(id string) *Permit {
	p := &Permit{gate: g, id: id}
	g.mu.Lock()
	g.held[id] = p
	g.mu.Unlock()
	return p
}

// ID is the permit's member in the gate's holders set.
func (p *Permit) ID() string { return p.id }

// Lost reports whether the gate found the permit's lease expired (heartbeat or Extend).
func (p *Permit) Lost() bool { return p.lost.Load() }

// Release gives the slot back; it goes to the oldest waiter at once. It works with a
// context that has already ended (it then allows itself 5 s). A second Release is a
// no-op returning nil. It returns ErrLeaseLost when the lease had already expired, and
// a *StoreError when Redis cannot be reached (the gate then retries in the background,
// and the lease expires in any case).
func (p *Permit) Release(ctx context.Context) error {
	if !p.released.CompareAndSwap(false, true) {
		return nil
	}
	g := p.gate
	g.mu.Lock()
	delete(g.held, p.id)
	g.mu.Unlock()
	if ctx.Err() != nil {
		// The slot must go back even when the caller's context has ended.
		var cancel context.CancelFunc
		ctx, cancel = detached(ctx, 5*time.Second)
		defer cancel()
	}
	r, err := g.call(ctx, "release", p.id)
	if err != nil {
		g.addOrphan(p.id)
		return err
	}
	if r.status == 0 {
		p.lost.Store(true)
		return ErrLeaseLost
	}
	return nil
}

// Extend renews the permit's lease for another Lease from now. It returns ErrLeaseLost
// when the lease had expired (the slot may be someone else's now).
func (p *Permit) Extend(ctx context.Context) error {
	if p.released.Load() {
		return ErrLeaseLost
	}
	r, err := p.gate.call(ctx, "extend", p.id)
	if err != nil {
		return err
	}
	if len(r.extra) != 1 || asInt(r.extra[0]) != 1 {
		p.lost.Store(true)
		return ErrLeaseLost
	}
	return nil
}

// listen receives hand-offs for this replica's tickets. It reads the subscription
// itself, so a hand-off reaches its waiter with one goroutine switch.
func (g *ConcurrencyGate) listen() {
	defer g.wg.Done()
	ps := g.rdb.Subscribe(g.ctx, g.chans+g.self)
	stop := context.AfterFunc(g.ctx, func() { _ = ps.Close() }) // unblocks Receive
	defer stop()
	failures := 0
	for {
		msg, err := ps.Receive(g.ctx)
		if err != nil {
			if g.ctx.Err() != nil {
				return
			}
			// The client reconnects and resubscribes on the next Receive; polling covers
			// the hand-offs missed meanwhile.
			failures++
			if failures == 1 {
				g.logger.Warn("throttle: gate hand-off subscription failed; polling until it is back", "err", err)
			}
			t := time.NewTimer(min(time.Duration(failures)*50*time.Millisecond, time.Second))
			select {
			case <-t.C:
			case <-g.closed:
				t.Stop()
				return
			}
			continue
		}
		failures = 0
		switch m := msg.(type) {
		case *redis.Message:
			g.handoffs[viaSignal].Add(g.dispatch([]string{m.Payload}, nil))
		case *redis.Subscription:
			// (Re)subscribed: anything published while unsubscribed was lost.
			g.poke()
		}
	}
}

// pollLoop asks Redis for this replica's hand-offs every PollInterval (wall time) and
// whenever poked.
func (g *ConcurrencyGate) pollLoop() {
	defer g.wg.Done()
	t := time.NewTicker(g.cfg.PollInterval)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			g.poll(g.ctx)
		case <-g.pollNow:
			g.poll(g.ctx)
		case <-g.closed:
			g.failWaiters(ErrClosed)
			return
		}
	}
}

// tick pokes a poll every WaiterTTL/3 of the gate's clock, so waiting tickets stay
// alive when the clock runs faster than the wall-time PollInterval.
func (g *ConcurrencyGate) tick() {
	defer g.wg.Done()
	for g.clock.Sleep(g.ctx, g.cfg.WaiterTTL/3) == nil {
		g.poke()
	}
}

// poll gives back orphans and asks Redis which local tickets hold a slot now.
func (g *ConcurrencyGate) poll(ctx context.Context) {
	g.flushOrphans(ctx)
	g.mu.Lock()
	tickets := make([]any, 0, len(g.waiters)+1)
	tickets = append(tickets, g.cfg.WaiterTTL.Milliseconds())
	for t, w := range g.waiters {
		if w.inLine {
			tickets = append(tickets, t)
		}
	}
	g.mu.Unlock()
	if len(tickets) == 1 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := g.call(cctx, "poll", tickets...)
	if err != nil {
		if ctx.Err() == nil {
			g.logger.Warn("throttle: gate poll failed; failing local waiters", "err", err)
			g.failWaiters(err)
		}
		return
	}
	if len(r.extra) == 2 {
		g.handoffs[viaPoll].Add(g.dispatch(asStrings(r.extra[0]), nil))
		// Still waiting here and nowhere in Redis: dropped, not granted (a granted ticket
		// is a holder until its waiter, who is then no longer waiting, releases it).
		g.dispatch(asStrings(r.extra[1]), errTicketDropped)
	}
}

// failWaiters wakes every local waiter in line with err; their tickets become orphans.
// Waiters whose acquire call is still in flight are left to it: that call decides (a
// slot it was granted directly must not be given back behind its holder's back).
func (g *ConcurrencyGate) failWaiters(err error) {
	g.mu.Lock()
	for t, w := range g.waiters {
		if !w.inLine {
			continue
		}
		delete(g.waiters, t)
		g.orphans[t] = struct{}{}
		w.done <- err
	}
	g.mu.Unlock()
}

// flushOrphans gives back tickets and permits whose give-back failed earlier.
func (g *ConcurrencyGate) flushOrphans(ctx context.Context) {
	g.mu.Lock()
	if len(g.orphans) == 0 {
		g.mu.Unlock()
		return
	}
	ids := make([]any, 0, len(g.orphans))
	for id := range g.orphans {
		ids = append(ids, id)
	}
	g.mu.Unlock()
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	args := append([]any{g.cfg.WaiterTTL.Milliseconds(), "0"}, ids...)
	if _, err := g.call(cctx, "cancel", args...); err != nil {
		return
	}
	g.mu.Lock()
	for _, id := range ids {
		delete(g.orphans, id.(string))
	}
	g.mu.Unlock()
}

// heartbeat extends the leases of the permits this replica holds every Heartbeat.
func (g *ConcurrencyGate) heartbeat() {
	defer g.wg.Done()
	for g.clock.Sleep(g.ctx, g.cfg.Heartbeat) == nil {
		g.extendHeld(g.ctx)
		if g.cfg.onHeartbeat != nil {
			g.cfg.onHeartbeat()
		}
	}
}

func (g *ConcurrencyGate) extendHeld(ctx context.Context) {
	g.mu.Lock()
	ps := make([]*Permit, 0, len(g.held))
	ids := make([]any, 0, len(g.held))
	for id, p := range g.held {
		ps = append(ps, p)
		ids = append(ids, id)
	}
	g.mu.Unlock()
	if len(ids) == 0 {
		return
	}
	cctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	r, err := g.call(cctx, "extend", ids...)
	if err != nil {
		if !errors.Is(err, context.Canceled) {
			g.logger.Warn("throttle: could not extend permit leases", "permits", len(ids), "err", err)
		}
		return
	}
	for i, p := range ps {
		if i < len(r.extra) && asInt(r.extra[i]) == 0 && !p.released.Load() {
			p.lost.Store(true)
			g.logger.Warn("throttle: permit lease expired while held; the upstream may see one call over the limit", "permit", p.id)
		}
	}
}
