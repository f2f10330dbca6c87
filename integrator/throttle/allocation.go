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

//go:embed lua/allocation.lua
var luaAllocation string

var scriptAllocation = redis.NewScript(luaAllocation)

// Defaults of DailyAllocationConfig.
const (
	DefaultHeadroom          = 0.10
	DefaultAllocationWindow  = 24 * time.Hour
	DefaultAllocationMinWait = time.Minute
	// DefaultLimitExceededWait is how long a REQUEST_LIMIT_EXCEEDED answer closes the
	// allocation. Salesforce sends no Retry-After; the value is an assumption (a knob).
	DefaultLimitExceededWait = 15 * time.Minute
)

// NoHeadroom, as DailyAllocationConfig.Headroom, lets this integration use the whole
// allocation.
const NoHeadroom = -1.0

// Reasons a DailyAllocation gives in its ThrottledErrors.
const (
	ReasonAllocationShareSpent = "daily API allocation share spent"
	ReasonRequestLimitExceeded = "REQUEST_LIMIT_EXCEEDED"
)

// DailyAllocationConfig configures a DailyAllocation. Zero values take the defaults.
type DailyAllocationConfig struct {
	// Name identifies the org, e.g. "salesforce". Required.
	Name string
	// Headroom is the fraction of the org's allocation kept for other integrations and
	// people (default 0.10: this integration stops at 90% of the allocation). NoHeadroom
	// keeps none. Must be below 1.
	Headroom float64
	// Allocation is the org's allocation before the first Sforce-Limit-Info header says
	// it (default 0: unknown, calls are admitted until the first header arrives).
	Allocation int64
	// Window is the allocation's rolling window (default 24 h).
	Window time.Duration
	// MinWait is the shortest wait Take tells when the share is spent (default 1 min).
	MinWait time.Duration
	// LimitExceededWait is how long LimitExceeded closes the allocation (default 15 min).
	LimitExceededWait time.Duration
	// Prefix of the allocation's Redis keys (default DefaultPrefix).
	Prefix string
	Clock  clock.Clock
	Logger *slog.Logger
}

// DailyAllocation guards a Salesforce org's rolling 24 h API allocation, shared by every
// replica through Redis. Feed it every response's Sforce-Limit-Info header
// (ObserveHeader) and call Take before every call.
//
// Take admits a call while the estimated org usage stays under the ceiling
// floor(allocation × (1 − Headroom)). The estimate is the last header's usage, plus one
// per call admitted since, minus the usage estimated to have rolled off since: the
// observed usage is assumed spread evenly over the window, so usage/Window calls roll
// off per unit of time. When the share is spent, Take returns a *ThrottledError whose
// Wait is the time until enough usage would roll off at that rate:
//
//	wait = (estimate + 1 − ceiling) / (observed usage / Window), within [MinWait, Window]
//
// After the wait the estimate has decayed below the ceiling, so a call goes through and
// its response's header corrects the estimate; if usage really rolls off more slowly
// (it was concentrated in the last hours), the correction closes the share again. Calls
// in flight are not in a header yet, so the estimate can trail the org's usage by the
// number of calls in flight; the headroom absorbs that.
//
// All methods are safe for concurrent use.
type DailyAllocation struct {
	common
	cfg  DailyAllocationConfig
	keys []string
}

// NewDailyAllocation returns the allocation named cfg.Name on rdb.
func NewDailyAllocation(rdb redis.UniversalClient, cfg DailyAllocationConfig) (*DailyAllocation, error) {
	c, err := newCommon(rdb, "allocation", cfg.Name, cfg.Prefix, cfg.Clock, cfg.Logger)
	if err != nil {
		return nil, err
	}
	switch {
	case cfg.Headroom == NoHeadroom:
		cfg.Headroom = 0
	case cfg.Headroom == 0:
		cfg.Headroom = DefaultHeadroom
	case cfg.Headroom < 0 || cfg.Headroom >= 1:
		return nil, fmt.Errorf("throttle: allocation %q: Headroom must be in [0, 1) (or NoHeadroom), got %v", cfg.Name, cfg.Headroom)
	}
	if cfg.Allocation < 0 || cfg.Window < 0 || cfg.MinWait < 0 || cfg.LimitExceededWait < 0 {
		return nil, fmt.Errorf("throttle: allocation %q: Allocation, Window, MinWait and LimitExceededWait must not be negative", cfg.Name)
	}
	if cfg.Window == 0 {
		cfg.Window = DefaultAllocationWindow
	}
	if cfg.MinWait == 0 {
		cfg.MinWait = DefaultAllocationMinWait
	}
	if cfg.LimitExceededWait == 0 {
		cfg.LimitExceededWait = DefaultLimitExceededWait
	}
	return &DailyAllocation{common: c, cfg: cfg, keys: []string{c.key("alloc"), c.key("stats")}}, nil
}

type allocReply struct {
	status   int64
	wait     time.Duration
	reason   string
	estimate float64
	limit    int64
	ceiling  int64
	extra    any
}

func (a *DailyAllocation) call(ctx context.Context, op string, args ...any) (allocReply, error) {
	base := []any{op, millis(a.clock.Now()), fmtFloat(a.cfg.Headroom), a.cfg.Window.Milliseconds(), a.cfg.MinWait.Milliseconds(), a.cfg.Allocation}
	res, err := a.run(ctx, op, scriptAllocation, a.keys, append(base, args...)...)
	if err != nil {
		return allocReply{}, err
	}
	if len(res) < 7 {
		return allocReply{}, &StoreError{Limiter: a.kind, Upstream: a.name, Op: op, Err: fmt.Errorf("unexpected reply %v", res)}
	}
	return allocReply{status: asInt(res[0]), wait: msDuration(asInt(res[1])), reason: asString(res[2]),
		estimate: asFloat(res[3]), limit: asInt(res[4]), ceiling: asInt(res[5]), extra: res[6]}, nil
}

// Take admits one call, counting it in the estimate, or returns a *ThrottledError
// (Reason ReasonAllocationShareSpent or ReasonRequestLimitExceeded, Wait as described
// on DailyAllocation), or a *StoreError when Redis cannot be reached.
func (a *DailyAllocation) Take(ctx context.Context) error {
	r, err := a.call(ctx, "take")
	if err != nil {
		return err
	}
	if r.status == 1 {
		return nil
	}
	reason := r.reason
	if reason == "share" {
		reason = ReasonAllocationShareSpent
	}
	return &ThrottledError{Upstream: a.name, Reason: reason, Wait: r.wait}
}

// ObserveHeader feeds the value of a response's Sforce-Limit-Info header. A malformed
// value changes nothing and returns an error wrapping ErrMalformedLimitInfo.
func (a *DailyAllocation) ObserveHeader(ctx context.Context, value string) error {
	li, err := ParseLimitInfo(value)
	if err != nil {
		return err
	}
	return a.Observe(ctx, li.APIUsage)
}

// Observe replaces the estimate with the org's usage as Salesforce reported it.
func (a *DailyAllocation) Observe(ctx context.Context, u APIUsage) error {
	if u.Used < 0 || u.Limit <= 0 {
		return fmt.Errorf("throttle: allocation %s: usage %d/%d: %w", a.name, u.Used, u.Limit, ErrMalformedLimitInfo)
	}
	_, err := a.call(ctx, "observe", u.Used, u.Limit)
	return err
}

// LimitExceeded records a 403 REQUEST_LIMIT_EXCEEDED answer: Take refuses every call
// for LimitExceededWait. It returns the *ThrottledError to hand to the queue (or a
// *StoreError).
func (a *DailyAllocation) LimitExceeded(ctx context.Context) error {
	r, err := a.call(ctx, "exceeded", a.cfg.LimitExceededWait.Milliseconds())
	if err != nil {
		return err
	}
	a.logger.Warn("throttle: Salesforce answered REQUEST_LIMIT_EXCEEDED; calls paused", "wait", r.wait)
	return &ThrottledError{Upstream: a.name, Reason: ReasonRequestLimitExceeded, Wait: r.wait}
}

// DailyAllocationStats is the allocation's estimate and counters.
type DailyAllocationStats struct {
	Estimate      float64       `json:"estimate"`       // estimated org usage now
	Allocation    int64         `json:"allocation"`     // org allocation (0: unknown)
	Ceiling       int64         `json:"ceiling"`        // usage this integration stops at (-1: unknown)
	ClosedFor     time.Duration `json:"closed_for"`     // remaining REQUEST_LIMIT_EXCEEDED pause
	Taken         int64         `json:"taken"`          // calls admitted
	Refused       int64         `json:"refused"`        // calls refused
	Observed      int64         `json:"observed"`       // headers observed
	LimitExceeded int64         `json:"limit_exceeded"` // REQUEST_LIMIT_EXCEEDED reports
}

// Stats reads the allocation.
func (a *DailyAllocation) Stats(ctx context.Context) (DailyAllocationStats, error) {
	r, err := a.call(ctx, "stats")
	if err != nil {
		return DailyAllocationStats{}, err
	}
	c := asCounters(r.extra)
	return DailyAllocationStats{Estimate: r.estimate, Allocation: r.limit, Ceiling: r.ceiling, ClosedFor: r.wait,
		Taken: c["taken"], Refused: c["refused"], Observed: c["observed"], LimitExceeded: c["limit_exceeded"]}, nil
}
