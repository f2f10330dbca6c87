package scenarios

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/shopify/store"
	"go.yaml.in/yaml/v3"
)

// Limits of what one machine can drive; beyond them a scenario is refused as impossible.
const (
	// MaxWallRate is the highest arrival rate in events per second of wall time
	// (Rate × Speed) the harness drives.
	MaxWallRate = 20000.0
	MaxSpeed    = 10000.0
	MaxReplicas = 16
)

// Defaults applied by validate.
const (
	DefaultSpeed        = 1.0
	DefaultSeed         = 1
	DefaultDrainTimeout = 10 * time.Minute
	DefaultDrainQuiet   = 30 * time.Second
	DefaultMaxListed    = 50
)

// problem is a validation failure at a path of the YAML document.
type problem struct {
	path []string // field names and list indexes, e.g. traffic phases 2 ramp to
	line int      // when known directly
	msg  string
}

type checker struct{ problems []problem }

func (c *checker) at(msg string, path ...string) {
	c.problems = append(c.problems, problem{path: path, msg: msg})
}

func (c *checker) atLine(line int, msg string) {
	c.problems = append(c.problems, problem{line: line, msg: msg})
}

func share(v float64) bool { return v >= 0 && v <= 1 }

// validate applies defaults and checks every value, returning the first problem with
// its file and line.
func (s *Scenario) validate() error {
	c := &checker{}
	if strings.TrimSpace(s.Name) == "" {
		c.at("name is required", "name")
	}
	if s.Speed == 0 {
		s.Speed = DefaultSpeed
	}
	if s.Speed < 0 || s.Speed > MaxSpeed {
		c.at(fmt.Sprintf("speed %v must be above 0 and at most %v", s.Speed, MaxSpeed), "speed")
	}
	if s.Seed == 0 {
		s.Seed = DefaultSeed
	}
	s.validateTraffic(c)
	s.validateDelivery(c)
	s.validateFakes(c)
	s.validateSUT(c)
	s.validateCRM(c)
	s.validateAudit(c)
	switch {
	case s.Redis == "", s.Redis == "embedded", s.Redis == "docker", s.Redis == "local":
	case strings.HasPrefix(s.Redis, "redis://"), strings.HasPrefix(s.Redis, "rediss://"):
		if _, err := url.Parse(s.Redis); err != nil {
			c.at("redis URL: "+err.Error(), "redis")
		}
	default:
		c.at(fmt.Sprintf("redis %q must be embedded, docker, local, or a redis:// URL", s.Redis), "redis")
	}
	if s.Drain.Timeout == 0 {
		s.Drain.Timeout = Duration(DefaultDrainTimeout)
	}
	if s.Drain.Quiet == 0 {
		s.Drain.Quiet = Duration(DefaultDrainQuiet)
	}
	s.validateAssertions(c)
	if len(c.problems) == 0 {
		return nil
	}
	p := c.problems[0]
	line := p.line
	if line == 0 {
		line = lineAt(s.root, p.path)
	}
	msg := p.msg
	if len(c.problems) > 1 {
		msg += fmt.Sprintf(" (and %d more problems)", len(c.problems)-1)
	}
	return &ParseError{File: s.File, Line: line, Msg: msg}
}

func (s *Scenario) validateTraffic(c *checker) {
	t := &s.Traffic
	if len(t.Phases) == 0 {
		c.at("traffic needs at least one phase", "traffic")
	}
	maxRate := 0.0
	for i := range t.Phases {
		p := &t.Phases[i]
		if p.Name == "" {
			p.Name = "phase " + strconv.Itoa(i+1)
		}
		shapes := 0
		for _, set := range []bool{p.Constant != nil, p.Ramp != nil, p.Steps != nil, p.Spike != nil, p.Sine != nil, p.Replay != nil} {
			if set {
				shapes++
			}
		}
		if shapes != 1 {
			c.atLine(p.Line, fmt.Sprintf("phase %q needs exactly one of constant, ramp, steps, spike, sine, replay (has %d)", p.Name, shapes))
			continue
		}
		needDur := func(d Duration, what string) {
			if d <= 0 {
				c.atLine(p.Line, fmt.Sprintf("phase %q: %s must be above 0", p.Name, what))
			}
		}
		switch {
		case p.Constant != nil:
			needDur(p.Constant.Duration, "duration")
			maxRate = max(maxRate, p.Constant.Rate.PerSecond)
		case p.Ramp != nil:
			needDur(p.Ramp.Duration, "duration")
			maxRate = max(maxRate, p.Ramp.From.PerSecond, p.Ramp.To.PerSecond)
		case p.Steps != nil:
			needDur(p.Steps.Every, "every")
			if len(p.Steps.Rates) == 0 {
				c.atLine(p.Line, fmt.Sprintf("phase %q: steps needs at least one rate", p.Name))
			}
			for _, r := range p.Steps.Rates {
				maxRate = max(maxRate, r.PerSecond)
			}
		case p.Spike != nil:
			sp := p.Spike
			needDur(sp.Duration, "duration")
			needDur(sp.Width, "width")
			if sp.At+sp.Width > sp.Duration {
				c.atLine(p.Line, fmt.Sprintf("phase %q: the spike (at %s, width %s) must end within the phase's %s", p.Name, sp.At, sp.Width, sp.Duration))
			}
			if sp.Peak.PerSecond < sp.Base.PerSecond {
				c.atLine(p.Line, fmt.Sprintf("phase %q: spike peak %s is below its base %s", p.Name, sp.Peak, sp.Base))
			}
			maxRate = max(maxRate, sp.Peak.PerSecond)
		case p.Sine != nil:
			needDur(p.Sine.Duration, "duration")
			needDur(p.Sine.Period, "period")
			if p.Sine.Amplitude.PerSecond >= p.Sine.Mean.PerSecond && p.Sine.Amplitude.PerSecond > 0 {
				c.atLine(p.Line, fmt.Sprintf("phase %q: amplitude %s must be below the mean %s (the rate never reaches zero)", p.Name, p.Sine.Amplitude, p.Sine.Mean))
			}
			maxRate = max(maxRate, p.Sine.Mean.PerSecond+p.Sine.Amplitude.PerSecond)
		case p.Replay != nil:
			if p.Replay.Scale == 0 {
				p.Replay.Scale = 1
			}
			if p.Replay.Scale < 0 {
				c.atLine(p.Line, fmt.Sprintf("phase %q: replay scale must be above 0", p.Name))
			}
			switch {
			case p.Replay.File == "" && p.Replay.Orders == "":
				c.atLine(p.Line, fmt.Sprintf("phase %q: replay needs a file (an arrival timeline) or orders (recorded order webhooks, JSONL)", p.Name))
			case p.Replay.File != "" && p.Replay.Orders != "":
				c.atLine(p.Line, fmt.Sprintf("phase %q: replay takes a file or orders, not both", p.Name))
			}
			for _, f := range []*string{&p.Replay.File, &p.Replay.Orders} {
				if *f == "" {
					continue
				}
				if s.Dir != "" && !filepath.IsAbs(*f) {
					*f = filepath.Join(s.Dir, *f)
				}
				if s.Dir != "" {
					if _, err := os.Stat(*f); err != nil {
						c.atLine(p.Line, fmt.Sprintf("phase %q: replay file: %v", p.Name, err))
					}
				}
			}
		}
	}
	if wall := maxRate * s.Speed; wall > MaxWallRate {
		c.at(fmt.Sprintf("the peak rate %s at speed %v is %s of wall time, above the %s one machine can drive; lower the rate or the speed",
			FormatRate(maxRate), s.Speed, FormatRate(wall), FormatRate(MaxWallRate)), "traffic")
	}
	m := &t.Mix
	for name, w := range map[string]float64{"new_order": m.NewOrder, "pay": m.Pay, "edit": m.Edit, "cancel": m.Cancel, "customer_update": m.CustomerUpdate} {
		if w < 0 {
			c.at(fmt.Sprintf("mix weight %s must not be negative", name), "traffic", "mix", name)
		}
	}
	if m.NewOrder+m.Pay+m.Edit+m.Cancel+m.CustomerUpdate == 0 {
		m.NewOrder = 1
	}
	if m.NewOrder == 0 {
		c.at("mix needs new_order above 0: other events act on existing orders", "traffic", "mix")
	}
	o := &t.Orders
	if o.MinLines == 0 {
		o.MinLines = 1
	}
	if o.MaxLines == 0 {
		o.MaxLines = max(o.MinLines, 4)
	}
	if o.MinLines < 1 || o.MaxLines < o.MinLines || o.MaxLines > 100 {
		c.at(fmt.Sprintf("orders: lines must satisfy 1 ≤ min_lines (%d) ≤ max_lines (%d) ≤ 100", o.MinLines, o.MaxLines), "traffic", "orders")
	}
	for name, v := range map[string]*float64{"paid_share": o.PaidShare, "returning_share": o.ReturningShare, "high_risk_share": o.HighRiskShare} {
		if v != nil && !share(*v) {
			c.at(fmt.Sprintf("orders: %s %v must be between 0 and 1", name, *v), "traffic", "orders", name)
		}
	}
	if o.SKUs < 0 || o.CatalogSize < 0 || o.Customers < 0 {
		c.at("orders: skus, catalog_size and customers must not be negative", "traffic", "orders")
	}
	if o.CatalogSize > 0 && o.SKUs > o.CatalogSize {
		c.at(fmt.Sprintf("orders: skus %d is more than the catalog's %d", o.SKUs, o.CatalogSize), "traffic", "orders", "skus")
	}
}

func (s *Scenario) validateDelivery(c *checker) {
	d := &s.Delivery
	for name, v := range map[string]float64{"duplicate_share": d.DuplicateShare, "reorder_share": d.ReorderShare, "late_share": d.LateShare, "drop_share": d.DropShare} {
		if !share(v) {
			c.at(fmt.Sprintf("delivery: %s %v must be between 0 and 1", name, v), "delivery", name)
		}
	}
	if d.LateShare > 0 && d.LateDelay == "" {
		c.at("delivery: late_share needs late_delay (e.g. lognormal(5m,2h))", "delivery", "late_share")
	}
	if d.Workers < 0 {
		c.at("delivery: workers must not be negative", "delivery", "workers")
	}
}

var netsuiteTiers = []string{"", "standard", "premium", "enterprise", "ultimate", "shared", "tier1", "tier2"}
var shopifyPlans = []string{"", "standard", "advanced", "plus", "enterprise"}

func (s *Scenario) validateFakes(c *checker) {
	n := &s.Fakes.NetSuite
	if !slices.Contains(netsuiteTiers, n.Tier) {
		c.at(fmt.Sprintf("netsuite tier %q must be standard, premium, enterprise or ultimate", n.Tier), "fakes", "netsuite", "tier")
	}
	if n.Concurrency < 0 || n.SuiteCloudPlus < 0 || n.Held < 0 {
		c.at("netsuite: concurrency, suitecloud_plus and held must not be negative", "fakes", "netsuite")
	}
	if lim := s.NetSuiteLimit(); n.Held >= lim {
		c.at(fmt.Sprintf("netsuite: held %d leaves no slot of the account's %d", n.Held, lim), "fakes", "netsuite", "held")
	}
	for i, cp := range n.Competing {
		if cp.Slots < 1 || cp.Slots >= s.NetSuiteLimit() {
			c.at(fmt.Sprintf("netsuite competing[%d]: slots %d must be from 1 to the account limit %d minus one", i, cp.Slots, s.NetSuiteLimit()), "fakes", "netsuite", "competing", strconv.Itoa(i))
		}
		if cp.To != 0 && cp.To <= cp.From {
			c.at(fmt.Sprintf("netsuite competing[%d]: to must be after from", i), "fakes", "netsuite", "competing", strconv.Itoa(i))
		}
	}
	for i, r := range n.Faults {
		if err := r.Validate(); err != nil {
			c.at("netsuite faults: "+err.Error(), "fakes", "netsuite", "faults", strconv.Itoa(i))
		}
	}
	for _, tl := range []struct {
		name string
		path *string
	}{{"netsuite", &n.Timeline}, {"shopify", &s.Fakes.Shopify.Timeline}} {
		if *tl.path == "" || s.Dir == "" {
			continue
		}
		if !filepath.IsAbs(*tl.path) {
			*tl.path = filepath.Join(s.Dir, *tl.path)
		}
		if err := s.loadTimelines(); err != nil && strings.Contains(err.Error(), "fakes "+tl.name+" timeline") {
			c.at(err.Error(), "fakes", tl.name, "timeline")
		}
	}
	if st := n.Stock; st != nil {
		if err := st.validate(); err != nil {
			c.at(err.Error(), "fakes", "netsuite", "stock")
		}
		if st.FulfillAfter != "" {
			if _, err := latency.Parse(string(st.FulfillAfter)); err != nil {
				c.at("fakes.netsuite.stock: fulfill_after: "+err.Error(), "fakes", "netsuite", "stock", "fulfill_after")
			}
		}
	}
	sh := &s.Fakes.Shopify
	if !slices.Contains(shopifyPlans, sh.Plan) {
		c.at(fmt.Sprintf("shopify plan %q must be standard, advanced, plus or enterprise", sh.Plan), "fakes", "shopify", "plan")
	}
	if p := sh.InventoryPolicy; p != "" && p != store.PolicyDeny && p != store.PolicyContinue {
		c.at(fmt.Sprintf("shopify inventory_policy %q must be deny or continue", p), "fakes", "shopify", "inventory_policy")
	}
	for i, r := range sh.Faults {
		if err := r.Validate(); err != nil {
			c.at("shopify faults: "+err.Error(), "fakes", "shopify", "faults", strconv.Itoa(i))
		}
	}
	s.validateShopifyLimits(c)
	s.validateFlow(c)
}

// NetSuiteLimit is the account's concurrency limit the scenario sets up.
func (s *Scenario) NetSuiteLimit() int {
	n := s.Fakes.NetSuite
	if n.Concurrency > 0 {
		return n.Concurrency
	}
	base := map[string]int{"": 15, "premium": 15, "tier1": 15, "standard": 5, "shared": 5, "enterprise": 20, "tier2": 20, "ultimate": 20}[n.Tier]
	return base + 10*n.SuiteCloudPlus
}

func (s *Scenario) validateSUT(c *checker) {
	switch {
	case s.SUT.Builtin != nil && s.SUT.External != nil:
		c.at("sut: choose builtin or external, not both", "sut")
	case s.SUT.External != nil:
		e := s.SUT.External
		u, err := url.Parse(e.WebhookURL)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
			c.at(fmt.Sprintf("sut external: webhook_url %q must be an http(s) URL", e.WebhookURL), "sut", "external", "webhook_url")
		}
		if e.SecretEnv == "" {
			c.at("sut external: secret_env must name the environment variable holding the webhook secret", "sut", "external")
		}
		if a := e.Admin; a != nil {
			u, err := url.Parse(a.URL)
			if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
				c.at(fmt.Sprintf("sut external admin: url %q must be an http(s) URL", a.URL), "sut", "external", "admin", "url")
			}
			if a.TokenEnv == "" {
				c.at("sut external admin: token_env must name the environment variable holding the admin token", "sut", "external", "admin")
			}
		}
		if s.Fakes.NetSuite.Addr == "" || s.Fakes.Shopify.Addr == "" {
			c.at("sut external: pin fakes.netsuite.addr and fakes.shopify.addr so your integrator can be configured to call them", "fakes")
		}
	default:
		if s.SUT.Builtin == nil {
			s.SUT.Builtin = &BuiltinSUT{}
		}
		b := s.SUT.Builtin
		if b.Replicas == 0 {
			b.Replicas = 1
		}
		if b.Replicas < 1 || b.Replicas > MaxReplicas {
			c.at(fmt.Sprintf("sut builtin: replicas %d must be from 1 to %d", b.Replicas, MaxReplicas), "sut", "builtin", "replicas")
		}
		if b.Workers < 0 || b.NetSuiteConcurrency < 0 {
			c.at("sut builtin: workers and netsuite_concurrency must not be negative", "sut", "builtin")
		}
		if b.NetSuiteConcurrency == 0 {
			b.NetSuiteConcurrency = s.NetSuiteLimit()
		}
		switch b.RedisDurability {
		case "", "required", "volatile-ok":
		default:
			c.at(fmt.Sprintf("sut builtin: redis_durability %q must be required or volatile-ok", b.RedisDurability), "sut", "builtin", "redis_durability")
		}
		for i, cr := range b.allCrashes() {
			where := []string{"sut", "builtin", "crashes", fmt.Sprint(i)}
			if b.Crash != nil && i == 0 {
				where = []string{"sut", "builtin", "crash"}
			}
			if cr.Replica < 0 || cr.Replica >= b.Replicas {
				c.at(fmt.Sprintf("sut builtin crash: replica %d does not exist (replicas are 0 to %d)", cr.Replica, b.Replicas-1), append(where, "replica")...)
			}
			if b.Replicas < 2 && cr.RestartAfter == 0 {
				c.at("sut builtin crash: with one replica, set restart_after so someone finishes the work", where...)
			}
		}
		for i, rr := range b.RedisRestarts {
			if rr.DownFor < 0 || rr.DownFor.D() > time.Minute {
				c.at(fmt.Sprintf("sut builtin redis_restarts: down_for %s must be from 0 to 1m", rr.DownFor), "sut", "builtin", "redis_restarts", fmt.Sprint(i))
			}
		}
		if len(b.RedisRestarts) > 0 && s.Redis != "local" {
			c.at("sut builtin redis_restarts: only redis: local (a redis-server the runner starts) can be restarted", "redis")
		}
	}
	for _, a := range []struct{ addr, name string }{{s.Fakes.NetSuite.Addr, "netsuite"}, {s.Fakes.Shopify.Addr, "shopify"}} {
		if a.addr == "" {
			continue
		}
		host, _, err := splitHostPort(a.addr)
		if err != nil || !loopback(host) {
			c.at(fmt.Sprintf("fakes %s addr %q must be a loopback HOST:PORT (test traffic stays on this machine)", a.name, a.addr), "fakes", a.name, "addr")
		}
	}
}

func (s *Scenario) validateAssertions(c *checker) {
	a := &s.Assertions
	zero := 0
	for _, p := range []**int{&a.Lost, &a.Duplicated, &a.Stale, &a.WrongLines} {
		if *p == nil {
			*p = &zero
		}
		if **p < 0 {
			c.at("assertions: counts must not be negative", "assertions")
		}
	}
	if a.MaxThrottledShare != nil && !share(*a.MaxThrottledShare) {
		c.at("assertions: max_throttled_share must be between 0 and 1", "assertions", "max_throttled_share")
	}
	if a.NetSuiteWithinLimit == nil {
		t := true
		a.NetSuiteWithinLimit = &t
	}
	for _, al := range a.Allow {
		if al != "held" && al != "dead_lettered" {
			c.at(fmt.Sprintf("assertions allow: %q must be held or dead_lettered", al), "assertions", "allow")
		}
	}
	if a.MaxViolationsListed == 0 {
		a.MaxViolationsListed = DefaultMaxListed
	}
}

// lineAt finds the line of the deepest node along path in a YAML document.
func lineAt(root *yaml.Node, path []string) int {
	if root == nil {
		return 0
	}
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := n.Line
	for _, key := range path {
		next := (*yaml.Node)(nil)
		switch n.Kind {
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == key {
					line = n.Content[i].Line
					next = n.Content[i+1]
					break
				}
			}
		case yaml.SequenceNode:
			if i, err := strconv.Atoi(key); err == nil && i < len(n.Content) {
				next = n.Content[i]
				line = next.Line
			}
		}
		if next == nil {
			return line
		}
		n = next
	}
	return line
}

func splitHostPort(addr string) (string, string, error) { return net.SplitHostPort(addr) }

func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// Override applies command-line overrides (zero values keep the scenario's) and checks
// them as the file's values are checked.
func (s *Scenario) Override(speed float64, seed uint64, redisSpec string) error {
	if speed != 0 {
		if !(speed > 0 && speed <= MaxSpeed) {
			return fmt.Errorf("--speed %v must be above 0 and at most %v", speed, MaxSpeed)
		}
		if wall := s.peakRate() * speed; wall > MaxWallRate {
			return fmt.Errorf("--speed %v: the peak rate %s is then %s of wall time, above the %s one machine can drive",
				speed, FormatRate(s.peakRate()), FormatRate(wall), FormatRate(MaxWallRate))
		}
		s.Speed = speed
	}
	if seed != 0 {
		s.Seed = seed
	}
	if redisSpec != "" {
		switch {
		case redisSpec == "embedded", redisSpec == "docker", redisSpec == "local":
		case strings.HasPrefix(redisSpec, "redis://"), strings.HasPrefix(redisSpec, "rediss://"):
			if _, err := url.Parse(redisSpec); err != nil {
				return fmt.Errorf("--redis: %v", err)
			}
		default:
			return fmt.Errorf("--redis %q must be embedded, docker, local, or a redis:// URL", redisSpec)
		}
		if s.SUT.External != nil {
			return errors.New("--redis: the scenario tests an external system, which brings its own Redis")
		}
		s.Redis = redisSpec
	}
	return nil
}

// peakRate is the highest platform rate of the scenario's phases (replays excluded).
func (s *Scenario) peakRate() float64 {
	m := 0.0
	for _, p := range s.Traffic.Phases {
		switch {
		case p.Constant != nil:
			m = max(m, p.Constant.Rate.PerSecond)
		case p.Ramp != nil:
			m = max(m, p.Ramp.From.PerSecond, p.Ramp.To.PerSecond)
		case p.Steps != nil:
			for _, r := range p.Steps.Rates {
				m = max(m, r.PerSecond)
			}
		case p.Spike != nil:
			m = max(m, p.Spike.Peak.PerSecond)
		case p.Sine != nil:
			m = max(m, p.Sine.Mean.PerSecond+p.Sine.Amplitude.PerSecond)
		}
	}
	return m
}
