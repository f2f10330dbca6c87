package scenarios

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/scenarios/report"
)

// ShopifyLimitWindow changes the fake Shopify's limits from From to To (platform time
// from the start of the run; no To: until the end): "restore rate halved for 10 minutes"
// is {from: 20m, to: 30m, restore_rate: 50%}. Each bucket keeps its level when the
// window opens and closes (clamped to a smaller size), and restores (or leaks) at the
// new rate from then on, as Shopify's own limit changes do.
type ShopifyLimitWindow struct {
	From Duration `yaml:"from"`
	To   Duration `yaml:"to"`
	// Bucket and RestoreRate are the GraphQL cost bucket's size (points) and restore
	// rate (points per second of platform time); RESTBucket and RESTLeakRate the REST
	// request bucket's size (requests) and leak rate (requests per second). Each is a
	// number or a percentage of the scenario's own ("50%"); unset keeps the scenario's.
	Bucket       LimitValue `yaml:"bucket"`
	RestoreRate  LimitValue `yaml:"restore_rate"`
	RESTBucket   LimitValue `yaml:"rest_bucket"`
	RESTLeakRate LimitValue `yaml:"rest_leak_rate"`
}

// LimitValue is a limit written as a number ("500") or as a percentage of the value it
// replaces ("50%").
type LimitValue struct {
	Value   float64
	Percent bool
	set     bool
}

func (v *LimitValue) UnmarshalYAML(n *yaml.Node) error {
	s := strings.TrimSpace(n.Value)
	num, pct := strings.CutSuffix(s, "%")
	f, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || math.IsNaN(f) || math.IsInf(f, 0) {
		return lineErr(n, fmt.Errorf("%q is not a number or a percentage like 50%%", n.Value))
	}
	*v = LimitValue{Value: f, Percent: pct, set: true}
	return nil
}

// Set reports whether the value was given.
func (v LimitValue) Set() bool { return v.set }

// of is the value, a percentage taken of base.
func (v LimitValue) of(base float64) float64 {
	if v.Percent {
		return base * v.Value / 100
	}
	return v.Value
}

func (v LimitValue) String() string {
	if v.Percent {
		return strconv.FormatFloat(v.Value, 'f', -1, 64) + "%"
	}
	return strconv.FormatFloat(v.Value, 'f', -1, 64)
}

// shopifyLimits are the fake Shopify's buckets: GraphQL points and restore rate, REST
// requests and leak rate.
type shopifyLimits struct {
	Bucket, Restore, RESTBucket, RESTLeak float64
}

// shopifyLimits are the scenario's buckets outside its limit windows: the plan's,
// overridden by fakes.shopify.bucket, restore_rate, rest_bucket and rest_leak_rate.
func (s *Scenario) shopifyLimits() shopifyLimits {
	sh := s.Fakes.Shopify
	plan, err := shopify.PlanLimits(sh.Plan)
	if err != nil {
		plan, _ = shopify.PlanLimits(shopify.DefaultPlan) // an unknown plan is a validation error
	}
	l := shopifyLimits{Bucket: plan.Bucket, Restore: plan.RestoreRate, RESTBucket: float64(plan.RESTBucket), RESTLeak: plan.RESTLeakRate}
	for _, o := range []struct {
		v   float64
		dst *float64
	}{{sh.Bucket, &l.Bucket}, {sh.RestoreRate, &l.Restore}, {float64(sh.RESTBucket), &l.RESTBucket}, {sh.RESTLeakRate, &l.RESTLeak}} {
		if o.v > 0 {
			*o.dst = o.v
		}
	}
	return l
}

// limits are the buckets the window sets.
func (w ShopifyLimitWindow) limits(base shopifyLimits) shopifyLimits {
	l := base
	for _, o := range w.values(&l, base) {
		if o.v.Set() {
			*o.dst = o.v.of(o.base)
			if o.whole {
				*o.dst = math.Round(*o.dst)
			}
		}
	}
	return l
}

// windowValue is one of a window's values: the key, its value, the limit it sets and
// that limit outside the window.
type windowValue struct {
	key, unit string
	v         LimitValue
	dst       *float64
	base      float64
	whole     bool // a count of requests, rounded
	lo, hi    float64
}

func (w ShopifyLimitWindow) values(l *shopifyLimits, base shopifyLimits) []windowValue {
	return []windowValue{
		{"restore_rate", "points/s", w.RestoreRate, &l.Restore, base.Restore, false, math.SmallestNonzeroFloat64, 1e9},
		{"bucket", "points", w.Bucket, &l.Bucket, base.Bucket, false, 1, 1e9},
		{"rest_leak_rate", "requests/s", w.RESTLeakRate, &l.RESTLeak, base.RESTLeak, false, math.SmallestNonzeroFloat64, 1e6},
		{"rest_bucket", "requests", w.RESTBucket, &l.RESTBucket, base.RESTBucket, true, 1, 1_000_000},
	}
}

// describe says what the window sets: "restore rate 500 points/s (50%), bucket 20,000 points".
func (w ShopifyLimitWindow) describe(base shopifyLimits) string {
	l := w.limits(base)
	var parts []string
	for _, o := range w.values(&l, base) {
		if !o.v.Set() {
			continue
		}
		p := strings.ReplaceAll(o.key, "_", " ") + " " + formatLimit(*o.dst) + " " + o.unit
		if o.v.Percent {
			p += " (" + o.v.String() + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// formatLimit writes a limit with thousands separators and at most two decimals.
func formatLimit(v float64) string {
	if v == math.Trunc(v) {
		return report.FormatCount(int64(v))
	}
	return strconv.FormatFloat(math.Round(v*100)/100, 'f', -1, 64)
}

// validateShopifyLimits checks the buckets and the windows: values within the fake's
// bounds, windows that set something, end after they start and do not overlap (which
// would leave the limits in force ambiguous).
func (s *Scenario) validateShopifyLimits(c *checker) {
	sh := &s.Fakes.Shopify
	if sh.Bucket < 0 || sh.Bucket > 1e9 {
		c.at(fmt.Sprintf("shopify bucket %v must be from 1 to 1e9 points (0: the plan's)", sh.Bucket), "fakes", "shopify", "bucket")
	}
	if sh.RestoreRate < 0 || sh.RestoreRate > 1e9 {
		c.at(fmt.Sprintf("shopify restore_rate %v must be a positive number of points per second (0: the plan's)", sh.RestoreRate), "fakes", "shopify", "restore_rate")
	}
	if sh.RESTBucket < 0 || sh.RESTBucket > 1_000_000 {
		c.at(fmt.Sprintf("shopify rest_bucket %v must be from 1 to 1000000 requests (0: the plan's)", sh.RESTBucket), "fakes", "shopify", "rest_bucket")
	}
	if sh.RESTLeakRate < 0 || sh.RESTLeakRate > 1e6 {
		c.at(fmt.Sprintf("shopify rest_leak_rate %v must be a positive number of requests per second (0: the plan's)", sh.RESTLeakRate), "fakes", "shopify", "rest_leak_rate")
	}
	if !slices.Contains(shopifyPlans, sh.Plan) {
		return // reported by validateFakes
	}
	base := s.shopifyLimits()
	order := make([]int, len(sh.LimitWindows))
	for i, w := range sh.LimitWindows {
		order[i] = i
		path := []string{"fakes", "shopify", "limit_windows", strconv.Itoa(i)}
		l := w.limits(base)
		vals := w.values(&l, base)
		set := false
		for _, o := range vals {
			set = set || o.v.Set()
		}
		if !set {
			c.at(fmt.Sprintf("shopify limit_windows[%d]: set bucket, restore_rate, rest_bucket or rest_leak_rate (a number, or a percentage like 50%%)", i), path...)
			continue
		}
		if w.To != 0 && w.To <= w.From {
			c.at(fmt.Sprintf("shopify limit_windows[%d]: to %s must be after from %s", i, w.To, w.From), path...)
		}
		for _, o := range vals {
			if o.v.Set() && !(*o.dst >= o.lo && *o.dst <= o.hi) {
				c.at(fmt.Sprintf("shopify limit_windows[%d]: %s %s gives %v %s; it must be above 0 and at most %v", i, o.key, o.v, *o.dst, o.unit, o.hi),
					append(path, o.key)...)
			}
		}
	}
	sort.Slice(order, func(a, b int) bool { return sh.LimitWindows[order[a]].From < sh.LimitWindows[order[b]].From })
	for k := 1; k < len(order); k++ {
		prev, cur := sh.LimitWindows[order[k-1]], sh.LimitWindows[order[k]]
		if prev.To == 0 || cur.From < prev.To {
			c.at(fmt.Sprintf("shopify limit_windows[%d] overlaps limit_windows[%d]: one window at a time", order[k], order[k-1]),
				"fakes", "shopify", "limit_windows", strconv.Itoa(order[k]))
		}
	}
}

// shopifyLimitChange is a change of the fake Shopify's buckets during a run: at an
// instant (platform time from the start), the limits in force from then on.
type shopifyLimitChange struct {
	at     time.Duration
	limits shopifyLimits
}

// shopifyLimitSchedule is when the limit windows change the buckets, in time order.
func (s *Scenario) shopifyLimitSchedule() []shopifyLimitChange {
	base := s.shopifyLimits()
	var out []shopifyLimitChange
	for _, w := range s.Fakes.Shopify.LimitWindows {
		out = append(out, shopifyLimitChange{at: w.From.D(), limits: w.limits(base)})
		if w.To > w.From {
			out = append(out, shopifyLimitChange{at: w.To.D(), limits: base})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}

// patch is the limits as a patch of the fake's.
func (l shopifyLimits) patch() shopify.LimitsPatch {
	rest := int(math.Round(l.RESTBucket))
	return shopify.LimitsPatch{Bucket: &l.Bucket, RestoreRate: &l.Restore, RESTBucket: &rest, RESTLeakRate: &l.RESTLeak}
}
