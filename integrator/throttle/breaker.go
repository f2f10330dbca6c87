package throttle

import (
	"context"
	_ "embed"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
)

//go:embed lua/breaker.lua
var luaBreaker string

var scriptBreaker = redis.NewScript(luaBreaker)

// BreakerState is the state of a circuit breaker.
type BreakerState string

// The breaker's states.
const (
	BreakerClosed   BreakerState = "closed"    // calls flow; transient failures are counted
	BreakerOpen     BreakerState = "open"      // calls are refused until the open period ends
	BreakerHalfOpen BreakerState = "half-open" // one probe call at a time, across replicas
)

// Defaults of BreakerConfig.
const (
	DefaultBreakerFailures = 5
	DefaultOpenFor         = 10 * time.Second
	DefaultMaxOpenFor      = 5 * time.Minute
	DefaultProbeTimeout    = time.Minute
	DefaultHalfOpenWait    = time.Second
)

// BreakerConfig configures a Breaker. Zero values take the defaults given.
type BreakerConfig struct {
	// Name is the upstream, e.g. "netsuite". Breakers with the same Prefix and Name are
	// one breaker, whichever process they run in. Required.
	Name string
	// Failures is how many consecutive transient failures, counted across all replicas,
	// open the breaker (default 5). Any success in between starts the count again.
	Failures int
	// OpenFor is how long the breaker stays open after it opens (default 10 s). Each
	// failed probe doubles it (20 s, 40 s, ...) up to MaxOpenFor; a successful probe
	// resets it.
	OpenFor time.Duration
	// MaxOpenFor caps the open period (default 5 min).
	MaxOpenFor time.Duration
	// ProbeTimeout is how long the one probe call of the half-open state may take
	// before another call may probe instead (default 1 min: an upstream client's call
	// timeout or longer).
	ProbeTimeout time.Duration
	// HalfOpenWait is the wait a refused call is told (BreakerOpenError.Wait) while
	// another call probes (default 1 s, or the probe's remaining time if shorter).
	HalfOpenWait time.Duration
	// OnStateChange, if set, is called by the replica whose call changed the state
	// (exactly once across replicas per change), synchronously, in that caller's
	// goroutine: it must not block.
	OnStateChange func(BreakerTransition)
	// Prefix of the breaker's Redis keys (default DefaultPrefix).
	Prefix string
	// Clock tells time (default the wall clock).
	Clock clock.Clock
	// Logger receives a line per state change (warn when opening, info otherwise).
	Logger *slog.Logger
}

// BreakerTransition is one state change of a breaker.
type BreakerTransition struct {
	Upstream string
	From, To BreakerState
	At       time.Time
	Until    time.Time // end of the open period (To == BreakerOpen) or the probe's deadline (To == BreakerHalfOpen)
}

// Breaker is a circuit breaker for one upstream, shared by every replica through Redis:
//
//   - closed: calls flow. Failures consecutive transient failures (Classify), counted
//     across replicas, open it. A consecutive count was chosen over a failure rate: it
//     reacts within a handful of calls to an outage (NetSuite maintenance answers every
//     call with 503), needs no window state, and a single success (the upstream is up)
//     resets it.
//   - open: Allow refuses with *BreakerOpenError{Until}, so the queue snoozes work
//     without spending attempts, until the open period ends.
//   - half-open: after the open period, exactly one call across all replicas is let
//     through as the probe (an atomic set-if-absent with a ProbeTimeout deadline on the
//     breaker's clock); the others are refused. The probe's success closes the breaker;
//     its failure re-opens it for twice the previous period, capped at MaxOpenFor.
//
// All methods are safe for concurrent use.
type Breaker struct {
	common
	cfg  BreakerConfig
	keys []string
}

// NewBreaker returns the breaker named cfg.Name on rdb.
func NewBreaker(rdb redis.UniversalClient, cfg BreakerConfig) (*Breaker, error) {
	c, err := newCommon(rdb, "breaker", cfg.Name, cfg.Prefix, cfg.Clock, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if cfg.Failures < 0 {
		return nil, fmt.Errorf("throttle: breaker %q: Failures must not be negative, got %d", cfg.Name, cfg.Failures)
	}
	for _, d := range []struct {
		name string
		v    time.Duration
	}{{"OpenFor", cfg.OpenFor}, {"MaxOpenFor", cfg.MaxOpenFor}, {"ProbeTimeout", cfg.ProbeTimeout}, {"HalfOpenWait", cfg.HalfOpenWait}} {
		if d.v < 0 {
			return nil, fmt.Errorf("throttle: breaker %q: %s must not be negative, got %v", cfg.Name, d.name, d.v)
		}
	}
	if cfg.Failures == 0 {
		cfg.Failures = DefaultBreakerFailures
	}
	if cfg.OpenFor == 0 {
		cfg.OpenFor = DefaultOpenFor
	}
	if cfg.MaxOpenFor == 0 {
		cfg.MaxOpenFor = max(DefaultMaxOpenFor, cfg.OpenFor)
	}
	if cfg.MaxOpenFor < cfg.OpenFor {
		return nil, fmt.Errorf("throttle: breaker %q: MaxOpenFor (%v) must be at least OpenFor (%v)", cfg.Name, cfg.MaxOpenFor, cfg.OpenFor)
	}
	if cfg.ProbeTimeout == 0 {
		cfg.ProbeTimeout = DefaultProbeTimeout
	}
	if cfg.HalfOpenWait == 0 {
		cfg.HalfOpenWait = DefaultHalfOpenWait
	}
	return &Breaker{common: c, cfg: cfg, keys: []string{c.key("state"), c.key("stats")}}, nil
}

type breakerReply struct {
	ok    bool
	state BreakerState
	until time.Time
	from  BreakerState
	probe bool
}

func (b *Breaker) call(ctx context.Context, op, token string) (breakerReply, []any, error) {
	now := b.clock.Now()
	res, err := b.run(ctx, op, scriptBreaker, b.keys, op, millis(now), b.cfg.Failures,
		b.cfg.OpenFor.Milliseconds(), b.cfg.MaxOpenFor.Milliseconds(), b.cfg.ProbeTimeout.Milliseconds(),
		b.cfg.HalfOpenWait.Milliseconds(), token)
	if err != nil {
		return breakerReply{}, nil, err
	}
	if len(res) < 5 {
		return breakerReply{}, nil, &StoreError{Limiter: b.kind, Upstream: b.name, Op: op, Err: fmt.Errorf("unexpected reply %v", res)}
	}
	r := breakerReply{ok: asInt(res[0]) == 1, state: BreakerState(asString(res[1])), from: BreakerState(asString(res[3])), probe: asInt(res[4]) == 1}
	if u := asInt(res[2]); u > 0 {
		r.until = time.UnixMilli(u)
	}
	if op != "state" && r.from != "" && r.from != r.state {
		b.changed(BreakerTransition{Upstream: b.name, From: r.from, To: r.state, At: now, Until: r.until})
	}
	return r, res, nil
}

func (b *Breaker) changed(t BreakerTransition) {
	if t.To == BreakerOpen {
		b.logger.Warn("throttle: circuit opened", "from", t.From, "until", t.Until)
	} else {
		b.logger.Info("throttle: circuit state changed", "from", t.From, "to", t.To)
	}
	if b.cfg.OnStateChange != nil {
		b.cfg.OnStateChange(t)
	}
}

// Allow asks to make one call. It returns a BreakerCall to report the call's outcome
// to, or a *BreakerOpenError while the breaker is open (or half-open with another
// replica's probe in flight), or a *StoreError when Redis cannot be reached (fail
// closed: no call without the breaker's word).
func (b *Breaker) Allow(ctx context.Context) (BreakerCall, error) {
	token := newToken()
	r, _, err := b.call(ctx, "allow", token)
	if err != nil {
		return BreakerCall{}, err
	}
	if !r.ok {
		return BreakerCall{}, &BreakerOpenError{Upstream: b.name, State: r.state, Until: r.until, Wait: max(r.until.Sub(b.clock.Now()), 0)}
	}
	c := BreakerCall{b: b}
	if r.probe {
		c.token = token
	}
	return c, nil
}

// BreakerCall is one call admitted by Allow. Report its outcome exactly once.
type BreakerCall struct {
	b     *Breaker
	token string // non-empty for the half-open probe
}

// Probe reports whether this call is the half-open state's one probe.
func (c BreakerCall) Probe() bool { return c.token != "" }

// Succeeded reports that the upstream answered: it resets the failure count, or closes
// the breaker if this call was the probe.
func (c BreakerCall) Succeeded(ctx context.Context) error { return c.report(ctx, "success") }

// Failed reports a transient failure: it counts towards opening the breaker, or
// re-opens it if this call was the probe.
func (c BreakerCall) Failed(ctx context.Context) error { return c.report(ctx, "failure") }

// Report classifies err with Classify and reports it: success, failure, or for an
// ignored outcome nothing (a probe without verdict lets another call probe at once).
func (c BreakerCall) Report(ctx context.Context, err error) error {
	switch Classify(err) {
	case OutcomeSuccess:
		return c.Succeeded(ctx)
	case OutcomeFailure:
		return c.Failed(ctx)
	default:
		if c.Probe() {
			return c.report(ctx, "release")
		}
		return nil
	}
}

func (c BreakerCall) report(ctx context.Context, op string) error {
	if c.b == nil {
		return fmt.Errorf("throttle: breaker: report on a call Allow did not admit")
	}
	if ctx.Err() != nil {
		// The outcome still matters to every replica after the caller's context ended.
		var cancel context.CancelFunc
		ctx, cancel = detached(ctx, 5*time.Second)
		defer cancel()
	}
	_, _, err := c.b.call(ctx, op, c.token)
	return err
}

// BreakerStatus is a breaker's shared state and counters.
type BreakerStatus struct {
	State               BreakerState `json:"state"`
	OpenUntil           time.Time    `json:"open_until,omitzero"` // end of the open period, when open
	ConsecutiveFailures int64        `json:"consecutive_failures"`
	Reopens             int64        `json:"reopens"`   // failed probes since it last opened from closed
	Opens               int64        `json:"opens"`     // times it opened (including re-opens)
	Probes              int64        `json:"probes"`    // probe calls let through
	Rejected            int64        `json:"rejected"`  // calls refused while open or probing
	Successes           int64        `json:"successes"` // reported successes
	Failures            int64        `json:"failures"`  // reported failures
}

// Status reads the breaker's state. An open breaker whose period is over reads as
// half-open (the next Allow probes).
func (b *Breaker) Status(ctx context.Context) (BreakerStatus, error) {
	r, res, err := b.call(ctx, "state", "")
	if err != nil {
		return BreakerStatus{}, err
	}
	s := BreakerStatus{State: r.state, ConsecutiveFailures: asInt(res[0]), Reopens: asInt(res[3])}
	if s.State == BreakerOpen {
		if b.clock.Now().Before(r.until) {
			s.OpenUntil = r.until
		} else {
			s.State = BreakerHalfOpen
		}
	}
	c := asCounters(res[4])
	s.Opens, s.Probes, s.Rejected, s.Successes, s.Failures = c["opens"], c["probes"], c["rejected"], c["successes"], c["failures"]
	return s, nil
}
