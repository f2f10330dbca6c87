package throttle

import (
	"context"
	_ "embed"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
)

//go:embed lua/costbucket.lua
var luaCostBucket string

var scriptCostBucket = redis.NewScript(luaCostBucket)

// Defaults of CostBucketConfig: Shopify Plus's GraphQL Admin API bucket.
const (
	DefaultMaximumAvailable = 20000.0
	DefaultRestoreRate      = 1000.0
	DefaultMaxReserveWait   = 30 * time.Second
	// DefaultReservationLease is how long after its wait an unsettled reservation still
	// counts as open (its query may still be on the wire). A replica that dies between
	// Reserve and Settle holds its points no longer than this.
	DefaultReservationLease = 2 * time.Minute
)

// ErrCostExceedsBucket is returned by Reserve for a cost larger than the whole bucket:
// no wait makes it fit. Shopify refuses any query over 1000 requested points anyway.
var ErrCostExceedsBucket = errors.New("throttle: requested cost exceeds the bucket's maximum")

// ThrottleStatus is Shopify's extensions.cost.throttleStatus, as found in every GraphQL
// Admin API response (the JSON tags match it, so it can be decoded straight from the
// response).
type ThrottleStatus struct {
	MaximumAvailable   float64 `json:"maximumAvailable"`
	CurrentlyAvailable float64 `json:"currentlyAvailable"`
	RestoreRate        float64 `json:"restoreRate"`
}

// WaitFromThrottled is the wait Shopify's clients compute from a THROTTLED response:
// (requested − currentlyAvailable) / restoreRate seconds, exact (not rounded up to whole
// seconds as go-shopify's sleep is). It is 0 when the points are already there, and
// DefaultMaxReserveWait when the status has no restore rate.
func WaitFromThrottled(requested int, status ThrottleStatus) time.Duration {
	short := float64(requested) - status.CurrentlyAvailable
	if short <= 0 {
		return 0
	}
	if status.RestoreRate <= 0 || math.IsNaN(status.RestoreRate) {
		return DefaultMaxReserveWait
	}
	return time.Duration(math.Ceil(short / status.RestoreRate * float64(time.Second)))
}

// CostBucketConfig configures a CostBucket. Zero values take the defaults given.
type CostBucketConfig struct {
	// Name identifies the bucket: one per (app, store) pair, e.g. "shopify:my-store".
	// Required.
	Name string
	// MaximumAvailable and RestoreRate are the bucket before the first response tells
	// the real values (default Shopify Plus: 20000 points, 1000 points/s). Every
	// observed throttleStatus replaces them.
	MaximumAvailable float64
	RestoreRate      float64
	// MaxWait: Reserve refuses, with a *ThrottledError, a reservation that would have
	// to wait longer than this for its points (default 30 s), so a queue worker
	// snoozes instead of blocking.
	MaxWait time.Duration
	// Lease: a reservation not settled this long after its wait is forgotten (default
	// DefaultReservationLease). It bounds how long an answered query's points are kept
	// to recognise stale reports, too.
	Lease time.Duration
	// Prefix of the bucket's Redis keys (default DefaultPrefix).
	Prefix string
	// Clock tells time (default the wall clock); Reserve waits on it.
	Clock  clock.Clock
	Logger *slog.Logger
}

// CostBucket mirrors Shopify's GraphQL cost bucket in Redis for every replica that calls
// the same store with the same app, so that the integrator spends points before it
// sends a query and is almost never told THROTTLED.
//
// The mirror holds the points available at a time and refills them at the restore rate
// up to the maximum, as Shopify does. Reserve takes the query's requested cost before
// the query is sent; when the points are not there yet it still takes them (the level
// goes below zero) and waits until the refill covers them, so reservations are served
// in the order they were made and the bucket is used up to its restore rate. Settle
// refunds requested − actual cost, as Shopify does, and corrects the mirror with the
// response's throttleStatus: the mirror is lowered to Shopify's view, never raised
// above it (it already counts reservations Shopify has not seen yet).
//
// Reconciling several replicas: an answer's throttleStatus is Shopify's level when it
// ran that query, which has not been charged for queries still open (reserved, waiting
// or on the wire, by any replica) nor, since answers overtake one another, for queries
// answered after this one was sent. The mirror is lowered to that level minus both, so a
// stale or overlapping report never lets it overcommit; both are tracked in Redis (open
// reservations with a lease, so a dead replica's points come back; answers for Lease).
// The mirror's time never goes back, though callers' clock readings reach Redis out of
// order. A query that was sent but got no answer (timeout, reset, 5xx) keeps its points:
// Shopify may have charged it.
//
// All methods are safe for concurrent use.
type CostBucket struct {
	common
	cfg  CostBucketConfig
	keys []string
}

// NewCostBucket returns the bucket named cfg.Name on rdb.
func NewCostBucket(rdb redis.UniversalClient, cfg CostBucketConfig) (*CostBucket, error) {
	c, err := newCommon(rdb, "cost", cfg.Name, cfg.Prefix, cfg.Clock, cfg.Logger)
	if err != nil {
		return nil, err
	}
	if cfg.MaximumAvailable < 0 || cfg.RestoreRate < 0 || cfg.MaxWait < 0 {
		return nil, fmt.Errorf("throttle: cost bucket %q: MaximumAvailable, RestoreRate and MaxWait must not be negative", cfg.Name)
	}
	if cfg.MaximumAvailable == 0 {
		cfg.MaximumAvailable = DefaultMaximumAvailable
	}
	if cfg.RestoreRate == 0 {
		cfg.RestoreRate = DefaultRestoreRate
	}
	if cfg.MaxWait == 0 {
		cfg.MaxWait = DefaultMaxReserveWait
	}
	if cfg.Lease < 0 {
		return nil, fmt.Errorf("throttle: cost bucket %q: Lease must not be negative", cfg.Name)
	}
	if cfg.Lease == 0 {
		cfg.Lease = DefaultReservationLease
	}
	return &CostBucket{common: c, cfg: cfg, keys: []string{c.key("bucket"), c.key("stats"), c.key("open"), c.key("answered")}}, nil
}

type bucketReply struct {
	status int64
	avail  float64
	max    float64
	rate   float64
	wait   time.Duration
	extra  any
	more   []any
}

func (b *CostBucket) call(ctx context.Context, op string, args ...any) (bucketReply, error) {
	base := []any{op, millis(b.clock.Now()), fmtFloat(b.cfg.MaximumAvailable), fmtFloat(b.cfg.RestoreRate), b.cfg.Lease.Milliseconds()}
	res, err := b.run(ctx, op, scriptCostBucket, b.keys, append(base, args...)...)
	if err != nil {
		return bucketReply{}, err
	}
	if len(res) < 5 {
		return bucketReply{}, &StoreError{Limiter: b.kind, Upstream: b.name, Op: op, Err: fmt.Errorf("unexpected reply %v", res)}
	}
	r := bucketReply{status: asInt(res[0]), avail: asFloat(res[1]), max: asFloat(res[2]), rate: asFloat(res[3]), wait: time.Duration(asFloat(res[4]) * float64(time.Millisecond))}
	if len(res) > 5 {
		r.extra = res[5]
		r.more = res[6:]
	}
	return r, nil
}

// ErrReservationSettled is returned by a second Settle, Throttled or Cancel of the same
// reservation: its points were already accounted for.
var ErrReservationSettled = errors.New("throttle: reservation already settled")

// Reservation is points taken from the bucket for one query. Settle it (or Throttled,
// or Cancel) once; its methods are safe for concurrent use.
type Reservation struct {
	b       *CostBucket
	id      string
	seen    string // answers recorded when it was reserved
	cost    int
	wait    time.Duration
	ready   time.Time // when Reserve returned: the query is sent no earlier
	settled atomic.Bool
}

// Cost is the requested cost reserved.
func (r *Reservation) Cost() int { return r.cost }

// Waited is how long Reserve waited for the points.
func (r *Reservation) Waited() time.Duration { return r.wait }

// Reserve takes requestedCost points before a query is sent, waiting (on the bucket's
// clock) until the mirror says they are there. It returns
//   - ErrCostExceedsBucket when requestedCost is above the bucket's maximum;
//   - a *ThrottledError (Reason "cost bucket", Wait = the wait) without taking anything
//     when the wait would exceed MaxWait;
//   - a *ThrottledError wrapping ctx's error, with the points given back, when ctx ends
//     during the wait;
//   - a *StoreError when Redis cannot be reached.
func (b *CostBucket) Reserve(ctx context.Context, requestedCost int) (*Reservation, error) {
	if requestedCost < 0 {
		return nil, fmt.Errorf("throttle: cost bucket %s: negative cost %d", b.name, requestedCost)
	}
	r, err := b.call(ctx, "reserve", requestedCost, b.cfg.MaxWait.Milliseconds(), b.cfg.Lease.Milliseconds())
	if err != nil {
		return nil, err
	}
	switch r.status {
	case -1:
		return nil, fmt.Errorf("throttle: cost bucket %s: cost %d, bucket %v: %w", b.name, requestedCost, r.max, ErrCostExceedsBucket)
	case 0:
		return nil, &ThrottledError{Upstream: b.name, Reason: "cost bucket", Wait: max(r.wait, 0)}
	}
	res := &Reservation{b: b, id: asString(r.extra), seen: "0", cost: requestedCost, wait: r.wait}
	if len(r.more) > 0 {
		res.seen = asString(r.more[0])
	}
	if r.wait > 0 {
		if err := b.clock.Sleep(ctx, r.wait); err != nil {
			_ = res.Cancel(ctx)
			return nil, &ThrottledError{Upstream: b.name, Reason: "cost bucket: context ended while waiting for points", Wait: r.wait, Err: err}
		}
	}
	res.ready = b.clock.Now()
	return res, nil
}

// Settle records the query's result: actualCost (Shopify's actualQueryCost) and the
// response's throttleStatus. requested − actual points are refunded and the mirror is
// corrected to Shopify's view. A zero status (MaximumAvailable 0) is ignored.
func (r *Reservation) Settle(ctx context.Context, actualCost int, status ThrottleStatus) error {
	if !r.settled.CompareAndSwap(false, true) {
		return ErrReservationSettled
	}
	return r.b.settle(ctx, r, r.cost-actualCost, status, "")
}

// Throttled records that Shopify refused the query with THROTTLED (it charged nothing):
// all points are refunded and the mirror takes Shopify's view. It returns a
// *ThrottledError whose Wait is WaitFromThrottled(cost, status); a *StoreError if
// Redis cannot be reached.
func (r *Reservation) Throttled(ctx context.Context, status ThrottleStatus) error {
	if !r.settled.CompareAndSwap(false, true) {
		return ErrReservationSettled
	}
	if err := r.b.settle(ctx, r, r.cost, status, "throttled"); err != nil {
		return err
	}
	r.b.logger.Warn("throttle: Shopify answered THROTTLED despite the cost mirror", "requested", r.cost, "available", status.CurrentlyAvailable)
	return &ThrottledError{Upstream: r.b.name, Reason: "THROTTLED", Wait: WaitFromThrottled(r.cost, status)}
}

// Cancel gives all points back: the query was not sent.
func (r *Reservation) Cancel(ctx context.Context) error {
	return r.close(ctx, r.cost, "cancel")
}

// Unanswered records that the query was sent but no answer told its cost (a timeout, a
// reset connection, a 5xx): Shopify may have charged it, so its points stay spent.
func (r *Reservation) Unanswered(ctx context.Context) error {
	return r.close(ctx, 0, "unanswered")
}

// close settles the reservation without a status, even when ctx has ended (its points
// must be accounted for either way).
func (r *Reservation) close(ctx context.Context, refund int, kind string) error {
	if !r.settled.CompareAndSwap(false, true) {
		return ErrReservationSettled
	}
	if ctx.Err() != nil {
		var cancel context.CancelFunc
		ctx, cancel = detached(ctx, 5*time.Second)
		defer cancel()
	}
	return r.b.settle(ctx, r, refund, ThrottleStatus{}, kind)
}

// settle runs the settle op: close the reservation, refund points, then lower the
// mirror to what the status (if any) allows.
func (b *CostBucket) settle(ctx context.Context, r *Reservation, refund int, status ThrottleStatus, kind string) error {
	sent := r.ready
	if sent.IsZero() {
		sent = b.clock.Now()
	}
	args := []any{r.id, r.cost, millis(sent), refund, kind, "0", 0, 0, 0, r.seen}
	if status.MaximumAvailable > 0 {
		args = []any{r.id, r.cost, millis(sent), refund, kind, "1", fmtFloat(status.MaximumAvailable), fmtFloat(status.CurrentlyAvailable), fmtFloat(status.RestoreRate), r.seen}
	}
	_, err := b.call(ctx, "settle", args...)
	return err
}

// Observe feeds the mirror a throttleStatus seen at time at (any response: a query made
// without Reserve, a bulk operation's poll). The mirror takes Shopify's maximum and
// restore rate, and is lowered to Shopify's level refilled from at to now if that is
// lower.
func (b *CostBucket) Observe(ctx context.Context, status ThrottleStatus, at time.Time) error {
	if status.MaximumAvailable <= 0 {
		return fmt.Errorf("throttle: cost bucket %s: throttleStatus without maximumAvailable", b.name)
	}
	_, err := b.call(ctx, "observe", fmtFloat(status.MaximumAvailable), fmtFloat(status.CurrentlyAvailable), fmtFloat(status.RestoreRate), millis(at))
	return err
}

// CostBucketStats is the mirror's current level and its counters.
type CostBucketStats struct {
	Available        float64 `json:"available"` // points now; negative while reservations wait
	InFlight         float64 `json:"in_flight"` // points of open reservations (waiting or on the wire)
	MaximumAvailable float64 `json:"maximum_available"`
	RestoreRate      float64 `json:"restore_rate"`
	Reserved         int64   `json:"reserved"`         // reservations made
	Refused          int64   `json:"refused"`          // reservations refused (wait over MaxWait)
	Settled          int64   `json:"settled"`          // Settle calls
	Throttled        int64   `json:"throttled"`        // THROTTLED answers reported
	Unanswered       int64   `json:"unanswered"`       // queries sent without an answer (points kept)
	Observed         int64   `json:"observed"`         // throttleStatus blocks applied
	SpentPoints      float64 `json:"spent_points"`     // requested points reserved
	RefundedPoints   float64 `json:"refunded_points"`  // points given back (requested - actual, cancels, throttles)
	CorrectedPoints  float64 `json:"corrected_points"` // points the mirror was lowered by to match Shopify
}

// Stats reads the mirror.
func (b *CostBucket) Stats(ctx context.Context) (CostBucketStats, error) {
	r, err := b.call(ctx, "stats")
	if err != nil {
		return CostBucketStats{}, err
	}
	xs, _ := r.extra.([]any)
	f := map[string]float64{}
	for i := 0; i+1 < len(xs); i += 2 {
		f[asString(xs[i])] = asFloat(xs[i+1])
	}
	var inFlight float64
	if len(r.more) > 0 {
		inFlight = asFloat(r.more[0])
	}
	return CostBucketStats{
		Available: r.avail, InFlight: inFlight, MaximumAvailable: r.max, RestoreRate: r.rate,
		Reserved: int64(f["reserved"]), Refused: int64(f["refused"]), Settled: int64(f["settled"]),
		Throttled: int64(f["throttled"]), Unanswered: int64(f["unanswered"]), Observed: int64(f["observed"]),
		SpentPoints: f["spent_points"], RefundedPoints: f["refunded_points"], CorrectedPoints: f["corrected_points"],
	}, nil
}
