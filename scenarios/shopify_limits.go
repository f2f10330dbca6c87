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

// ShopifyLimitWindow changes the fake Shopify's GraphQL cost bucket from From to To
// (platform time from the start of the run; no To: until the end): "restore rate halved
// for 10 minutes" is {from: 20m, to: 30m, restore_rate: 50%}. Each bucket keeps its level
// when the window opens and closes (clamped to a smaller size), and restores at the new
// rate from then on, as Shopify's own limit changes do.
type ShopifyLimitWindow struct {
	From Duration `yaml:"from"`
	To   Duration `yaml:"to"`
	// Bucket and RestoreRate are the window's bucket size (points) and restore rate
	// (points per second of platform time), each a number or a percentage of the
	// scenario's own ("50%"); unset keeps the scenario's.
	Bucket      LimitValue `yaml:"bucket"`
	RestoreRate LimitValue `yaml:"restore_rate"`
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

// shopifyBucket is the scenario's GraphQL cost bucket outside its limit windows: the
// plan's, overridden by fakes.shopify.bucket and restore_rate.
func (s *Scenario) shopifyBucket() (size, restore float64) {
	plan := s.Fakes.Shopify.Plan
	if plan == "" {
		plan = shopify.DefaultPlan
	}
	size, restore = shopify.PlanBucket(plan)
	if b := s.Fakes.Shopify.Bucket; b > 0 {
		size = b
	}
	if r := s.Fakes.Shopify.RestoreRate; r > 0 {
		restore = r
	}
	return size, restore
}

// limits is the bucket the window sets.
func (w ShopifyLimitWindow) limits(baseSize, baseRestore float64) (size, restore float64) {
	size, restore = baseSize, baseRestore
	if w.Bucket.Set() {
		size = w.Bucket.of(baseSize)
	}
	if w.RestoreRate.Set() {
		restore = w.RestoreRate.of(baseRestore)
	}
	return size, restore
}

// describe says what the window sets: "restore rate 500 points/s (50%), bucket 20000".
func (w ShopifyLimitWindow) describe(baseSize, baseRestore float64) string {
	size, restore := w.limits(baseSize, baseRestore)
	var parts []string
	if w.RestoreRate.Set() {
		p := "restore rate " + report.FormatCount(int64(math.Round(restore))) + " points/s"
		if w.RestoreRate.Percent {
			p += " (" + w.RestoreRate.String() + ")"
		}
		parts = append(parts, p)
	}
	if w.Bucket.Set() {
		p := "bucket " + report.FormatCount(int64(math.Round(size))) + " points"
		if w.Bucket.Percent {
			p += " (" + w.Bucket.String() + ")"
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ", ")
}

// validateShopifyLimits checks the bucket, the restore rate and the windows: positive
// values within the fake's bounds, windows that set something, end after they start and
// do not overlap (which would leave the limits in force ambiguous).
func (s *Scenario) validateShopifyLimits(c *checker) {
	sh := &s.Fakes.Shopify
	if sh.Bucket < 0 || sh.Bucket > 1e9 {
		c.at(fmt.Sprintf("shopify bucket %v must be from 1 to 1e9 points (0: the plan's)", sh.Bucket), "fakes", "shopify", "bucket")
	}
	if sh.RestoreRate < 0 || sh.RestoreRate > 1e9 {
		c.at(fmt.Sprintf("shopify restore_rate %v must be a positive number of points per second (0: the plan's)", sh.RestoreRate), "fakes", "shopify", "restore_rate")
	}
	if !slices.Contains(shopifyPlans, sh.Plan) {
		return // reported by validateFakes
	}
	size, restore := s.shopifyBucket()
	order := make([]int, len(sh.LimitWindows))
	for i, w := range sh.LimitWindows {
		order[i] = i
		path := []string{"fakes", "shopify", "limit_windows", strconv.Itoa(i)}
		if !w.Bucket.Set() && !w.RestoreRate.Set() {
			c.at(fmt.Sprintf("shopify limit_windows[%d]: set bucket or restore_rate (a number, or a percentage like 50%%)", i), path...)
			continue
		}
		if w.To != 0 && w.To <= w.From {
			c.at(fmt.Sprintf("shopify limit_windows[%d]: to %s must be after from %s", i, w.To, w.From), path...)
		}
		ws, wr := w.limits(size, restore)
		if w.Bucket.Set() && !(ws >= 1 && ws <= 1e9) {
			c.at(fmt.Sprintf("shopify limit_windows[%d]: bucket %s gives %v points; it must be from 1 to 1e9", i, w.Bucket, ws), append(path, "bucket")...)
		}
		if w.RestoreRate.Set() && !(wr > 0 && wr <= 1e9) {
			c.at(fmt.Sprintf("shopify limit_windows[%d]: restore_rate %s gives %v points per second; it must be above 0", i, w.RestoreRate, wr), append(path, "restore_rate")...)
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

// shopifyLimitChange is a change of the fake Shopify's bucket during a run: at an
// instant (platform time from the start), the bucket in force from then on.
type shopifyLimitChange struct {
	at            time.Duration
	size, restore float64
}

// shopifyLimitSchedule is when the limit windows change the bucket, in time order.
func (s *Scenario) shopifyLimitSchedule() []shopifyLimitChange {
	size, restore := s.shopifyBucket()
	var out []shopifyLimitChange
	for _, w := range s.Fakes.Shopify.LimitWindows {
		ws, wr := w.limits(size, restore)
		out = append(out, shopifyLimitChange{at: w.From.D(), size: ws, restore: wr})
		if w.To > w.From {
			out = append(out, shopifyLimitChange{at: w.To.D(), size: size, restore: restore})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].at < out[j].at })
	return out
}
