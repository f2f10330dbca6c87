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

//go:embed lua/window.lua
var luaWindow string

var scriptWindow = redis.NewScript(luaWindow)

// Defaults of RollingWindowConfig: HubSpot's burst limit for Free/Starter private apps.
const (
	DefaultWindowLimit = 100
	DefaultWindow      = 10 * time.Second
)

// ReasonWindowFull is the Reason of a RollingWindow's ThrottledError when this limiter's
// own count is at the limit.
const ReasonWindowFull = "rolling window full"

// RollingWindowConfig configures a RollingWindow. Zero values take the defaults.
type RollingWindowConfig struct {
	// Name identifies the budget, e.g. "hubspot". Required.
	Name string
	// Limit is the number of calls allowed in any Window (default 100: HubSpot
	// Free/Starter, 100 per 10 s; Professional and Enterprise allow 190).
	Limit int
	// Window is the rolling window (default 10 s). A margin over the upstream's own
	// window covers the time a call takes to reach it (see WindowCall).
	Window time.Duration
	// DailyReset is the time zone of the upstream account, whose midnight ends a DAILY
	// 429 (default UTC; HubSpot resets daily limits at midnight in the account's zone).
	DailyReset *time.Location
	// MaxWait bounds how long Wait and Admit block in all (default Window): a call whose
	// turn is further away gets a *ThrottledError saying how far.
	MaxWait time.Duration
	// Prefix of the window's Redis keys (default DefaultPrefix).
	Prefix string
	Clock  clock.Clock
	Logger *slog.Logger
}

// RollingWindow admits at most Limit calls in any Window across every replica sharing
// its Redis, keeping a log of admitted calls in a sorted set: HubSpot's burst limit
// ("100 requests per 10 seconds"). A call admitted at t counts until t+Window exactly.
// Refused calls are not logged.
//
// HubSpot answers 429 with a policyName telling its limits apart; Rejected turns that
// answer into the wait callers need: TEN_SECONDLY_ROLLING closes the window for one
// Window, DAILY closes it until the account's next midnight.
//
// All methods are safe for concurrent use.
type RollingWindow struct {
	common
	cfg  RollingWindowConfig
	keys []string
}

// NewRollingWindow returns the window named cfg.Name on rdb.
func NewRollingWindow(rdb redis.UniversalClient, cfg RollingWindowConfig) (*RollingWindow, error) {
	c, err := newCommon(rdb, "window", cfg.Name, cfg.Prefix, cfg.Clock, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if cfg.Limit < 0 || cfg.Window < 0 || cfg.MaxWait < 0 {
		return nil, fmt.Errorf("throttle: window %q: Limit, Window and MaxWait must not be negative", cfg.Name)
	}
	if cfg.Limit == 0 {
		cfg.Limit = DefaultWindowLimit
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultWindow
	}
	if cfg.Window < time.Millisecond {
		return nil, fmt.Errorf("throttle: window %q: Window must be at least 1ms, got %v", cfg.Name, cfg.Window)
	}
	if cfg.DailyReset == nil {
		cfg.DailyReset = time.UTC
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = cfg.Window
	}
	return &RollingWindow{common: c, cfg: cfg, keys: []string{c.key("log"), c.key("ctl"), c.key("stats")}}, nil
}

type windowReply struct {
	allowed bool
	wait    time.Duration
	reason  string
	count   int64
	extra   any
}

func (w *RollingWindow) call(ctx context.Context, op string, args ...any) (windowReply, error) {
	base := []any{op, millis(w.clock.Now()), w.cfg.Limit, w.cfg.Window.Milliseconds()}
	res, err := w.run(ctx, op, scriptWindow, w.keys, append(base, args...)...)
	if err != nil {
		return windowReply{}, err
	}
	if len(res) < 5 {
		return windowReply{}, &StoreError{Limiter: w.kind, Upstream: w.name, Op: op, Err: fmt.Errorf("unexpected reply %v", res)}
	}
	return windowReply{allowed: asInt(res[0]) == 1, wait: msDuration(asInt(res[1])), reason: asString(res[2]), count: asInt(res[3]), extra: res[4]}, nil
}

// Allow admits one call now, or returns a *ThrottledError saying how long until one
// would be admitted (Reason ReasonWindowFull, or the policy of the 429 that closed the
// window), or a *StoreError.
func (w *RollingWindow) Allow(ctx context.Context) error {
	r, err := w.call(ctx, "allow", newToken(), 0)
	if err != nil {
		return err
	}
	if r.allowed {
		return nil
	}
	return w.refused(r)
}

// refused is the *ThrottledError of a call the window did not admit.
func (w *RollingWindow) refused(r windowReply) *ThrottledError {
	reason := r.reason
	if reason == "window" {
		reason = ReasonWindowFull
	}
	return &ThrottledError{Upstream: w.name, Reason: reason, Wait: r.wait}
}

// Wait blocks (on the window's clock) until a call is admitted, at most MaxWait in all:
// it is Admit for a call whose answer is not reported (see Admit for turns, places in
// line and a wait that ctx ends).
func (w *RollingWindow) Wait(ctx context.Context) error {
	_, err := w.Admit(ctx)
	return err
}

// Rejected records a 429 from the upstream. body is HubSpot's error body, from which the
// policy is read (ParseRateLimitError; an unreadable body counts as
// TEN_SECONDLY_ROLLING). TEN_SECONDLY_ROLLING and SECONDLY close the window for one
// Window, DAILY until the next midnight in DailyReset. It returns the *ThrottledError to
// hand to the queue, whose Reason is the policy name (PolicyDaily for the daily limit,
// which callers may prefer to fail fast on), or a *StoreError.
func (w *RollingWindow) Rejected(ctx context.Context, body []byte) error {
	rl, _ := ParseRateLimitError(body)
	now := w.clock.Now()
	until, counter := now.Add(w.cfg.Window), "rejected_rolling"
	if rl.Policy == PolicyDaily {
		until, counter = nextMidnight(now, w.cfg.DailyReset), "rejected_daily"
	}
	r, err := w.call(ctx, "close", millis(until), string(rl.Policy), counter)
	if err != nil {
		return err
	}
	w.logger.Warn("throttle: upstream rate limit hit", "policy", rl.Policy, "wait", r.wait)
	return &ThrottledError{Upstream: w.name, Reason: string(rl.Policy), Wait: r.wait}
}

// nextMidnight is the first midnight in loc after t.
func nextMidnight(t time.Time, loc *time.Location) time.Time {
	l := t.In(loc)
	return time.Date(l.Year(), l.Month(), l.Day()+1, 0, 0, 0, 0, loc)
}

// RollingWindowStats is the window's state and counters.
type RollingWindowStats struct {
	Limit           int             `json:"limit"`
	Window          time.Duration   `json:"window"`
	InWindow        int64           `json:"in_window"`           // calls counted in the window now
	ClosedFor       time.Duration   `json:"closed_for"`          // remaining close after a 429
	ClosedBy        RateLimitPolicy `json:"closed_by,omitempty"` // policy of that 429
	Allowed         int64           `json:"allowed"`
	Refused         int64           `json:"refused"`
	RejectedRolling int64           `json:"rejected_rolling"` // 429 TEN_SECONDLY_ROLLING/SECONDLY reported
	RejectedDaily   int64           `json:"rejected_daily"`   // 429 DAILY reported
}

// Stats reads the window.
func (w *RollingWindow) Stats(ctx context.Context) (RollingWindowStats, error) {
	r, err := w.call(ctx, "stats")
	if err != nil {
		return RollingWindowStats{}, err
	}
	c := asCounters(r.extra)
	return RollingWindowStats{Limit: w.cfg.Limit, Window: w.cfg.Window, InWindow: r.count, ClosedFor: r.wait, ClosedBy: RateLimitPolicy(r.reason),
		Allowed: c["allowed"], Refused: c["refused"], RejectedRolling: c["rejected_rolling"], RejectedDaily: c["rejected_daily"]}, nil
}
