package throttle

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
)

// Defaults of GateConfig.
const (
	// DefaultLease is short so that a replica killed while holding permits gives their
	// slots back within seconds; the heartbeat (Lease/3) keeps a live call's permit however
	// long the call runs.
	DefaultLease = 10 * time.Second
	// DefaultWaiterTTL is short so that a killed replica's places in line lapse before
	// its permits do: slots freed by expired leases go to live waiters, not to dead ones.
	DefaultWaiterTTL        = 5 * time.Second
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
	// Lease is how long a permit holds its slot without being extended (default 10 s).
	// A replica that crashes while holding permits gives their slots back after Lease.
	Lease time.Duration
	// Heartbeat is how often the gate extends the leases of the permits it holds
	// (default Lease/3). Negative disables it: callers then call Permit.Extend for
	// calls that may outlast Lease.
	Heartbeat time.Duration
	// WaiterTTL is how long a waiting Acquire stays in line after its replica stops
	// refreshing it (default 5 s). The gate refreshes every WaiterTTL/3 and on every
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
	// Written so NaN fails too: stored as the shared effective limit, it would stop every
	// replica from ever being granted a slot again.
	if !(cfg.DecreaseFactor >= 0 && cfg.DecreaseFactor < 1) {
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
