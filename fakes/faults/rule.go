package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"go.yaml.in/yaml/v3"
)

// Rule attaches a fault to requests.
type Rule struct {
	// Fault is the registered name: latency, error, timeout, reset, commit-then-drop, maintenance.
	Fault string `json:"fault" yaml:"fault"`
	// Probability that a matching request gets the fault, in [0, 1]; absent means 1.
	Probability *float64 `json:"probability,omitempty" yaml:"probability,omitempty"`
	// Windows restrict the fault to spans of platform time measured from the moment the
	// profile took effect (the fake's start, or the PUT /_fake/faults that set it).
	// No window means always.
	Windows []Window `json:"windows,omitempty" yaml:"windows,omitempty"`
	// Method restricts the fault to one HTTP method; empty means any.
	Method string `json:"method,omitempty" yaml:"method,omitempty"`
	// Path restricts the fault to request paths with this prefix; empty means any.
	Path string `json:"path,omitempty" yaml:"path,omitempty"`
	// Params are the fault's own parameters (see each fault's documentation).
	Params map[string]string `json:"params,omitempty" yaml:"params,omitempty"`
}

// Window is a span [From, To) of platform time after the profile took effect.
// A zero To means open-ended.
type Window struct {
	From Duration `json:"from" yaml:"from"`
	To   Duration `json:"to,omitempty" yaml:"to,omitempty"`
}

// Duration is a time.Duration written as "90s" or "15m" in JSON and YAML.
type Duration time.Duration

func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err != nil {
		return fmt.Errorf("duration must be a string like \"90s\", got %s", b)
	}
	return d.set(s)
}

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	if err := d.set(n.Value); err != nil {
		return fmt.Errorf("line %d: %w", n.Line, err)
	}
	return nil
}

func (d *Duration) set(s string) error {
	v, err := time.ParseDuration(strings.TrimSpace(s))
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a non-negative duration like 90s", s)
	}
	*d = Duration(v)
	return nil
}

// Validate checks a rule without building it.
func (r Rule) Validate() error {
	if r.Probability != nil && (*r.Probability < 0 || *r.Probability > 1 || *r.Probability != *r.Probability) {
		return fmt.Errorf("fault %s: probability %v is outside [0, 1]", r.Fault, *r.Probability)
	}
	for _, w := range r.Windows {
		if w.To != 0 && w.To <= w.From {
			return fmt.Errorf("fault %s: window to=%s is not after from=%s", r.Fault, time.Duration(w.To), time.Duration(w.From))
		}
	}
	if r.Path != "" && !strings.HasPrefix(r.Path, "/") {
		return fmt.Errorf("fault %s: path %q must start with /", r.Fault, r.Path)
	}
	return nil
}

// ParseSpec reads the compact command-line form of a rule:
//
//	NAME[:key=value,key=value...]
//
// where p (probability), from and to (one window), method and path are rule fields and
// every other key is a fault parameter. Commas inside parentheses belong to the value:
// "latency:dist=lognormal(700ms,2.5s),p=0.5".
func ParseSpec(spec string) (Rule, error) {
	name, rest, _ := strings.Cut(strings.TrimSpace(spec), ":")
	r := Rule{Fault: strings.TrimSpace(name)}
	if r.Fault == "" {
		return r, fmt.Errorf("fault spec %q: missing fault name", spec)
	}
	var w Window
	hasWindow := false
	for _, kv := range splitTop(rest) {
		if strings.TrimSpace(kv) == "" {
			continue
		}
		k, v, ok := strings.Cut(kv, "=")
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if !ok || k == "" {
			return r, fmt.Errorf("fault spec %q: %q is not key=value", spec, kv)
		}
		switch k {
		case "p", "probability":
			f, err := strconv.ParseFloat(v, 64)
			if err != nil {
				return r, fmt.Errorf("fault spec %q: probability %q is not a number", spec, v)
			}
			r.Probability = &f
		case "from", "to":
			var d Duration
			if err := d.set(v); err != nil {
				return r, fmt.Errorf("fault spec %q: %s: %v", spec, k, err)
			}
			hasWindow = true
			if k == "from" {
				w.From = d
			} else {
				w.To = d
			}
		case "method":
			r.Method = strings.ToUpper(v)
		case "path":
			r.Path = v
		default:
			if r.Params == nil {
				r.Params = map[string]string{}
			}
			r.Params[k] = v
		}
	}
	if hasWindow {
		r.Windows = []Window{w}
	}
	if err := r.Validate(); err != nil {
		return r, err
	}
	return r, nil
}

// splitTop splits on commas that are not inside parentheses.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i, c := range s {
		switch c {
		case '(':
			depth++
		case ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, s[start:i])
				start = i + 1
			}
		}
	}
	return append(out, s[start:])
}

// Injector applies a set of rules to requests. It is safe for concurrent use; Set swaps
// the rules atomically.
type Injector struct {
	env     *Env
	mu      sync.RWMutex
	rules   []compiled
	started time.Time

	countMu  sync.Mutex
	injected map[string]*atomic.Int64
}

type compiled struct {
	rule  Rule
	fault Fault
	p     float64
}

// NewInjector returns an injector with no rules.
func NewInjector(env *Env) *Injector {
	return &Injector{env: env, started: env.Clock.Now(), injected: map[string]*atomic.Int64{}}
}

// Set builds and installs rules; windows count from now. On error nothing changes.
func (in *Injector) Set(rules []Rule) error {
	built := make([]compiled, 0, len(rules))
	for i, r := range rules {
		if err := r.Validate(); err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
		f, err := Build(r)
		if err != nil {
			return fmt.Errorf("faults[%d]: %w", i, err)
		}
		p := 1.0
		if r.Probability != nil {
			p = *r.Probability
		}
		built = append(built, compiled{rule: r, fault: f, p: p})
	}
	in.mu.Lock()
	in.rules, in.started = built, in.env.Clock.Now()
	in.mu.Unlock()
	return nil
}

// Rules returns the installed rules.
func (in *Injector) Rules() []Rule {
	in.mu.RLock()
	defer in.mu.RUnlock()
	out := make([]Rule, len(in.rules))
	for i, c := range in.rules {
		out[i] = c.rule
	}
	return out
}

// Serve runs next through every rule that applies to r, the first rule outermost.
func (in *Injector) Serve(w http.ResponseWriter, r *http.Request, next http.Handler) {
	in.mu.RLock()
	rules, started := in.rules, in.started
	in.mu.RUnlock()
	if len(rules) == 0 {
		next.ServeHTTP(w, r)
		return
	}
	since := in.env.Clock.Now().Sub(started)
	h := next
	for i := len(rules) - 1; i >= 0; i-- {
		c := rules[i]
		if !c.applies(r, since) || (c.p < 1 && in.env.Rand.Float64() >= c.p) {
			continue
		}
		in.count(c.rule.Fault)
		inner := h
		h = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { c.fault.Inject(in.env, w, r, inner) })
	}
	h.ServeHTTP(w, r)
}

func (c compiled) applies(r *http.Request, since time.Duration) bool {
	if c.p <= 0 {
		return false
	}
	if c.rule.Method != "" && !strings.EqualFold(c.rule.Method, r.Method) {
		return false
	}
	if c.rule.Path != "" && !strings.HasPrefix(r.URL.Path, c.rule.Path) {
		return false
	}
	if len(c.rule.Windows) == 0 {
		return true
	}
	for _, w := range c.rule.Windows {
		if since >= time.Duration(w.From) && (w.To == 0 || since < time.Duration(w.To)) {
			return true
		}
	}
	return false
}

func (in *Injector) count(name string) {
	in.countMu.Lock()
	c, ok := in.injected[name]
	if !ok {
		c = &atomic.Int64{}
		in.injected[name] = c
	}
	in.countMu.Unlock()
	c.Add(1)
}

// Injected reports how many times each fault was applied.
func (in *Injector) Injected() map[string]int64 {
	in.countMu.Lock()
	defer in.countMu.Unlock()
	out := make(map[string]int64, len(in.injected))
	for k, v := range in.injected {
		out[k] = v.Load()
	}
	return out
}

// ResetCounts zeroes the injection counters.
func (in *Injector) ResetCounts() {
	in.countMu.Lock()
	in.injected = map[string]*atomic.Int64{}
	in.countMu.Unlock()
}
