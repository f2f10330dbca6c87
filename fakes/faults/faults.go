// Package faults injects the failures real platforms show under load: latency drawn from
// a distribution, error responses in the platform's own shape, requests held past the
// client's deadline, connection resets, commit-then-drop (the effect happens, the client
// never hears of it: the fault that creates duplicate ERP records in real life) and
// maintenance windows.
//
// Each fault is one file with its own test and registers itself by name, so a profile
// file or a command-line spec can name it. A Rule attaches a fault to requests: with a
// probability, inside time windows, for a method and path prefix.
package faults

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// Fault handles one request it was chosen for. next runs the platform's handler, which
// performs the request's effect; a fault may call it, skip it, or call it and discard
// what it wrote. Inject must be safe for concurrent use.
type Fault interface {
	Inject(env *Env, w http.ResponseWriter, r *http.Request, next http.Handler)
}

// Error is a failure a fault asks the platform to render in its own wire format.
type Error struct {
	Status int
	// Kind is "error", "maintenance" or "timeout": platforms word each differently.
	Kind string
	// Code is the platform's machine-readable code; empty means the platform's default
	// for Status and Kind.
	Code string
	// Message is the human-readable detail; empty means the platform's default.
	Message string
	// RetryAfter, when positive, is sent as a Retry-After header in seconds.
	RetryAfter time.Duration
}

// ErrorWriter renders an Error the way the platform does (NetSuite's o:errorDetails,
// Salesforce's array of errorCode/message, Shopify's {"errors": ...}).
type ErrorWriter interface {
	WriteError(w http.ResponseWriter, r *http.Request, e Error)
}

// Env is what a fault may use of the fake it runs in.
type Env struct {
	Clock  clock.Clock
	Errors ErrorWriter
	Rand   *Rand
}

// Rand is a seeded random source safe for concurrent use.
type Rand struct {
	mu sync.Mutex
	r  *rand.Rand
}

// NewRand returns a source seeded with seed; the same seed gives the same sequence.
func NewRand(seed uint64) *Rand {
	return &Rand{r: rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))}
}

// Float64 returns a number in [0, 1).
func (r *Rand) Float64() float64 {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.r.Float64()
}

// With runs f with exclusive use of the underlying generator.
func (r *Rand) With(f func(*rand.Rand)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	f(r.r)
}

// Builder makes a fault from its parameters. It must read every parameter it accepts
// through p; a parameter it does not read is reported as unknown.
type Builder func(p *Params) (Fault, error)

type registration struct {
	build Builder
	doc   string
	// defaultProbability applies when a rule gives none.
	defaultProbability float64
}

var (
	registryMu sync.RWMutex
	registry   = map[string]registration{}
)

// Register makes a fault available by name. It panics on a duplicate name: registration
// happens at init time and a clash is a programming error.
func Register(name, doc string, build Builder) {
	registryMu.Lock()
	defer registryMu.Unlock()
	if _, dup := registry[name]; dup {
		panic("faults: duplicate registration of " + name)
	}
	registry[name] = registration{build: build, doc: doc, defaultProbability: 1}
}

// Names lists the registered faults with their one-line documentation, sorted by name.
func Names() [][2]string {
	registryMu.RLock()
	defer registryMu.RUnlock()
	out := make([][2]string, 0, len(registry))
	for n, r := range registry {
		out = append(out, [2]string{n, r.doc})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

// ErrUnknownFault is returned for a rule naming no registered fault.
var ErrUnknownFault = errors.New("unknown fault")

// Build constructs the fault a rule names, validating its parameters.
func Build(rule Rule) (Fault, error) {
	registryMu.RLock()
	reg, ok := registry[rule.Fault]
	registryMu.RUnlock()
	if !ok {
		names := make([]string, 0)
		for _, n := range Names() {
			names = append(names, n[0])
		}
		return nil, fmt.Errorf("%w %q (known: %v)", ErrUnknownFault, rule.Fault, names)
	}
	p := &Params{fault: rule.Fault, values: rule.Params, used: map[string]bool{}}
	f, err := reg.build(p)
	if err != nil {
		return nil, err
	}
	if err := p.unused(); err != nil {
		return nil, err
	}
	return f, nil
}

// Params are a fault's parameters as written in a rule, read with typed accessors.
type Params struct {
	fault  string
	values map[string]string
	used   map[string]bool
}

// String returns the parameter, or def when absent.
func (p *Params) String(key, def string) string {
	p.used[key] = true
	if v, ok := p.values[key]; ok {
		return v
	}
	return def
}

// Duration returns the parameter as a non-negative duration ("30s", "15m").
func (p *Params) Duration(key string, def time.Duration) (time.Duration, error) {
	v := p.String(key, "")
	if v == "" {
		return def, nil
	}
	d, err := time.ParseDuration(v)
	if err != nil || d < 0 {
		return 0, fmt.Errorf("fault %s: %s=%q is not a non-negative duration like 30s", p.fault, key, v)
	}
	return d, nil
}

// Int returns the parameter as an integer within [lo, hi].
func (p *Params) Int(key string, def, lo, hi int) (int, error) {
	v := p.String(key, "")
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, fmt.Errorf("fault %s: %s=%q is not an integer between %d and %d", p.fault, key, v, lo, hi)
	}
	return n, nil
}

// OneOf returns the parameter, which must be one of the allowed values.
func (p *Params) OneOf(key, def string, allowed ...string) (string, error) {
	v := p.String(key, def)
	if !slices.Contains(allowed, v) {
		return "", fmt.Errorf("fault %s: %s=%q must be one of %v", p.fault, key, v, allowed)
	}
	return v, nil
}

func (p *Params) unused() error {
	var extra []string
	for k := range p.values {
		if !p.used[k] {
			extra = append(extra, k)
		}
	}
	if len(extra) == 0 {
		return nil
	}
	sort.Strings(extra)
	var known []string
	for k := range p.used {
		known = append(known, k)
	}
	sort.Strings(known)
	return fmt.Errorf("fault %s: unknown parameter(s) %v (it takes %v)", p.fault, extra, known)
}
