package shopify

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/limits"
)

// planLimits are one plan's limits (shopify.md §1.2 and §2).
type planLimits struct {
	bucket, restore float64 // GraphQL cost points
	restBucket      int     // REST requests
	restLeak        float64 // REST requests per second
}

// Plans maps each plan to its limits. Standard is Basic/Shopify/Grow. The enterprise
// GraphQL bucket (40000) and REST bucket (800) are inferred from the other plans (bucket =
// 20 x rate), not documented.
var plans = map[string]planLimits{
	"standard":   {bucket: 2000, restore: 100, restBucket: 40, restLeak: 2},
	"advanced":   {bucket: 4000, restore: 200, restBucket: 80, restLeak: 4},
	"plus":       {bucket: 20000, restore: 1000, restBucket: 400, restLeak: 20},
	"enterprise": {bucket: 40000, restore: 2000, restBucket: 800, restLeak: 40},
}

// PlanNames lists the plans, sorted.
func PlanNames() []string {
	out := make([]string, 0, len(plans))
	for p := range plans {
		out = append(out, p)
	}
	sort.Strings(out)
	return out
}

// PlanLimits are a plan's limits ("" is DefaultPlan).
func PlanLimits(plan string) (Limits, error) { return resolveLimits(plan, 0, 0, 0, 0, 0) }

// DefaultPlan is the plan when none is given: Shopify Plus, the plan peak-season
// integrations run on.
const DefaultPlan = "plus"

// MaxQueryCost is the single-query limit of requested cost, on every plan.
const MaxQueryCost = 1000

// Limits is the fake's limit configuration. Its JSON names are the command-line flag
// names, so PUT /_fake/faults {"limits": {...}} reads like the command line.
type Limits struct {
	// Plan is standard, advanced, plus or enterprise.
	Plan string `json:"plan"`
	// Bucket and RestoreRate are the GraphQL cost bucket: maximumAvailable points and
	// points restored per second.
	Bucket      float64 `json:"bucket"`
	RestoreRate float64 `json:"restore-rate"`
	// RESTBucket and RESTLeakRate are the REST request bucket: capacity and requests
	// leaked per second.
	RESTBucket   int     `json:"rest-bucket"`
	RESTLeakRate float64 `json:"rest-leak-rate"`
	// ThrottleStatus is the HTTP status of a THROTTLED GraphQL response: 200 (what client
	// libraries see) or 429.
	ThrottleStatus int `json:"throttle-status"`
}

// LimitsPatch is Limits with every field optional: what PUT /_fake/faults {"limits": ...}
// and Server.ApplyLimits change. A nil field keeps its value.
type LimitsPatch struct {
	Plan           *string  `json:"plan"`
	Bucket         *float64 `json:"bucket"`
	RestoreRate    *float64 `json:"restore-rate"`
	RESTBucket     *int     `json:"rest-bucket"`
	RESTLeakRate   *float64 `json:"rest-leak-rate"`
	ThrottleStatus *int     `json:"throttle-status"`
}

// resolveLimits fills a configuration from a plan and explicit overrides (zero values
// mean "the plan's").
func resolveLimits(plan string, bucket, restore float64, restBucket int, restLeak float64, throttleStatus int) (Limits, error) {
	if plan == "" {
		plan = DefaultPlan
	}
	plan = strings.ToLower(plan)
	p, ok := plans[plan]
	if !ok {
		return Limits{}, fmt.Errorf("plan %q: want one of %s", plan, strings.Join(PlanNames(), ", "))
	}
	l := Limits{Plan: plan, Bucket: p.bucket, RestoreRate: p.restore, RESTBucket: p.restBucket, RESTLeakRate: p.restLeak, ThrottleStatus: 200}
	if bucket != 0 {
		l.Bucket = bucket
	}
	if restore != 0 {
		l.RestoreRate = restore
	}
	if restBucket != 0 {
		l.RESTBucket = restBucket
	}
	if restLeak != 0 {
		l.RESTLeakRate = restLeak
	}
	if throttleStatus != 0 {
		l.ThrottleStatus = throttleStatus
	}
	return l, l.validate()
}

func (l Limits) validate() error {
	switch {
	case !(l.Bucket >= 1 && l.Bucket <= 1e9):
		return fmt.Errorf("bucket %v must be between 1 and 1e9 points", l.Bucket)
	case !(l.RestoreRate > 0 && l.RestoreRate <= 1e9) || math.IsInf(l.RestoreRate, 0):
		return fmt.Errorf("restore-rate %v must be a positive number of points per second", l.RestoreRate)
	case l.RESTBucket < 1 || l.RESTBucket > 1_000_000:
		return fmt.Errorf("rest-bucket %d must be between 1 and 1000000 requests", l.RESTBucket)
	case !(l.RESTLeakRate > 0 && l.RESTLeakRate <= 1e6):
		return fmt.Errorf("rest-leak-rate %v must be a positive number of requests per second", l.RESTLeakRate)
	case l.ThrottleStatus != 200 && l.ThrottleStatus != 429:
		return fmt.Errorf("throttle-status %d must be 200 or 429", l.ThrottleStatus)
	}
	return nil
}

// limitState holds the limit configuration and every app's limit models. Safe for
// concurrent use.
type limitState struct {
	mu   sync.Mutex
	cfg  Limits
	apps *appRegistry
}

func newLimitState(apps *appRegistry, l Limits) *limitState {
	return &limitState{cfg: l, apps: apps}
}

func (s *limitState) config() Limits {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg
}

// apply changes the limits given in raw. A new plan resets the four bucket values to the
// plan's unless the same object sets them. Nothing changes on error.
func (s *limitState) apply(raw json.RawMessage) error {
	var p LimitsPatch
	if err := fakehttp.DecodeLimits(raw, &p); err != nil {
		return err
	}
	return s.applyPatch(p)
}

// applyPatch changes the limits p sets, for every app at once: each bucket keeps its
// level (clamped to a smaller capacity) and restores at the new rate from now on.
func (s *limitState) applyPatch(p LimitsPatch) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	next := s.cfg
	if p.Plan != nil {
		pl, ok := plans[strings.ToLower(*p.Plan)]
		if !ok {
			return fmt.Errorf("plan %q: want one of %s", *p.Plan, strings.Join(PlanNames(), ", "))
		}
		next.Plan = strings.ToLower(*p.Plan)
		next.Bucket, next.RestoreRate, next.RESTBucket, next.RESTLeakRate = pl.bucket, pl.restore, pl.restBucket, pl.restLeak
	}
	if p.Bucket != nil {
		next.Bucket = *p.Bucket
	}
	if p.RestoreRate != nil {
		next.RestoreRate = *p.RestoreRate
	}
	if p.RESTBucket != nil {
		next.RESTBucket = *p.RESTBucket
	}
	if p.RESTLeakRate != nil {
		next.RESTLeakRate = *p.RESTLeakRate
	}
	if p.ThrottleStatus != nil {
		next.ThrottleStatus = *p.ThrottleStatus
	}
	if err := next.validate(); err != nil {
		return err
	}
	s.apps.configure(next, next.Bucket != s.cfg.Bucket || next.RestoreRate != s.cfg.RestoreRate,
		next.RESTBucket != s.cfg.RESTBucket || next.RESTLeakRate != s.cfg.RESTLeakRate)
	s.cfg = next
	return nil
}

func (s *limitState) throttleStatus() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cfg.ThrottleStatus
}

func (s *limitState) reset() { s.apps.reset() }

// LimitStats is the limits part of GET /_fake/stats.
type LimitStats struct {
	Limits Limits `json:"config"`
	// GraphQL and REST are the first app's buckets (the only app of a single-token store;
	// absent before any request of an open store).
	GraphQL *limits.ThrottleStatus `json:"graphql,omitempty"`
	// REST is the request bucket's fill level, "used/capacity".
	REST string `json:"rest_call_limit,omitempty"`
	// Apps are every app's buckets and counters, by name.
	Apps []AppStats `json:"apps"`
	// Store is what the shop's checkouts did.
	Store StoreStats `json:"store"`
}

// StoreStats is the store part of GET /_fake/stats.
type StoreStats struct {
	// InventoryPolicy is every variant's policy when out of stock (deny or continue).
	InventoryPolicy string `json:"inventory_policy"`
	// SoldOutCheckouts counts generated checkouts refused because a line asked for more
	// than was available (deny only).
	SoldOutCheckouts int64 `json:"sold_out_checkouts"`
}
