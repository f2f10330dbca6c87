package shopify

import (
	"crypto/subtle"
	"fmt"
	"net/http"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/limits"
)

// App is one app installed on the store: its name and the access token it calls the
// Admin API with. Shopify limits every (app, store) pair on its own: "Calls from one app
// don't affect the rate limits of another app, even on the same store"
// (shopify.dev/docs/apps/build/apis/graphql-admin/rate-limits; the REST page says the same
// of its bucket), so each app has its own GraphQL cost bucket, its own REST request bucket
// and its own bulk operations.
type App struct {
	Name  string `json:"name"`
	Token string `json:"-"`
}

// ParseApp reads the --app flag's NAME=TOKEN.
func ParseApp(s string) (App, error) {
	name, token, ok := strings.Cut(s, "=")
	name, token = strings.TrimSpace(name), strings.TrimSpace(token)
	if !ok || name == "" || token == "" {
		return App{}, fmt.Errorf("app %q: want NAME=TOKEN", s)
	}
	if !validAppName(name) {
		return App{}, fmt.Errorf("app %q: a name holds letters, digits, '-', '_' and '.', at most 64", name)
	}
	return App{Name: name, Token: token}, nil
}

func validAppName(n string) bool {
	if n == "" || len(n) > 64 {
		return false
	}
	for _, r := range n {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' && r != '.' {
			return false
		}
	}
	return true
}

// maxOpenApps bounds how many distinct tokens an open store (no tokens configured) turns
// into apps; a token past that is refused as an unknown one.
const maxOpenApps = 1000

// appState is one app's limit models and counters.
type appState struct {
	name      string
	cost      *limits.CostBucket
	rest      *limits.LeakyBucket
	graphql   atomic.Int64 // GraphQL requests that reached the bucket
	restCalls atomic.Int64 // REST requests that reached the bucket
	throttled atomic.Int64 // GraphQL THROTTLED answers
	restLimit atomic.Int64 // REST 429 answers
	// points are the GraphQL cost points the bucket kept: the actual cost of each query
	// that ran, the requested cost of one an injected fault cut short.
	points atomic.Int64
}

// appRegistry maps access tokens to apps. With configured apps only their tokens are
// accepted; without, any non-empty token is accepted and each distinct token is an app of
// its own, named app-1, app-2, ... in order of first use. Safe for concurrent use.
type appRegistry struct {
	clock      clock.Clock
	configured []App // nil: open

	mu      sync.Mutex
	byToken map[string]*appState
	order   []*appState
}

func newAppRegistry(c clock.Clock, apps []App, l Limits) (*appRegistry, error) {
	r := &appRegistry{clock: c, configured: apps, byToken: map[string]*appState{}}
	seen := map[string]bool{}
	for _, a := range apps {
		if !validAppName(a.Name) || a.Token == "" {
			return nil, fmt.Errorf("app %q: a name (letters, digits, '-', '_', '.') and a token are required", a.Name)
		}
		if seen["n:"+a.Name] || seen["t:"+a.Token] {
			return nil, fmt.Errorf("app %q: names and tokens must be unique", a.Name)
		}
		seen["n:"+a.Name], seen["t:"+a.Token] = true, true
		r.addLocked(a.Name, a.Token, l)
	}
	return r, nil
}

func (r *appRegistry) addLocked(name, token string, l Limits) *appState {
	a := &appState{name: name, cost: limits.NewCostBucket(r.clock, l.Bucket, l.RestoreRate),
		rest: limits.NewLeakyBucket(r.clock, l.RESTBucket, l.RESTLeakRate)}
	r.byToken[token] = a
	r.order = append(r.order, a)
	return a
}

// lookup finds the app of a request's X-Shopify-Access-Token; nil means 401. l is the
// configuration a newly seen token's buckets start with.
func (r *appRegistry) lookup(req *http.Request, l func() Limits) *appState {
	tok := req.Header.Get("X-Shopify-Access-Token")
	if tok == "" {
		return nil
	}
	if r.configured != nil {
		// Compare against every configured token in constant time, so the answer's timing
		// does not say how much of a token was right.
		var found *appState
		for _, a := range r.configured {
			if subtle.ConstantTimeCompare([]byte(tok), []byte(a.Token)) == 1 {
				r.mu.Lock()
				found = r.byToken[a.Token]
				r.mu.Unlock()
			}
		}
		return found
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	if a := r.byToken[tok]; a != nil {
		return a
	}
	if len(r.order) >= maxOpenApps {
		return nil
	}
	return r.addLocked("app-"+strconv.Itoa(len(r.order)+1), tok, l())
}

func (r *appRegistry) all() []*appState {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]*appState(nil), r.order...)
}

// first is the first app (the only one of a single-token store), or nil.
func (r *appRegistry) first() *appState {
	r.mu.Lock()
	defer r.mu.Unlock()
	if len(r.order) == 0 {
		return nil
	}
	return r.order[0]
}

func (r *appRegistry) configure(l Limits, graphql, rest bool) {
	for _, a := range r.all() {
		if graphql {
			a.cost.Configure(l.Bucket, l.RestoreRate)
		}
		if rest {
			a.rest.Configure(l.RESTBucket, l.RESTLeakRate)
		}
	}
}

// reset fills every bucket and zeroes the counters. Apps made from open tokens stay, so
// a client keeps its app name across a reset.
func (r *appRegistry) reset() {
	for _, a := range r.all() {
		a.cost.Reset()
		a.rest.Reset()
		a.graphql.Store(0)
		a.restCalls.Store(0)
		a.throttled.Store(0)
		a.restLimit.Store(0)
		a.points.Store(0)
	}
}

// AppStats is one app's part of GET /_fake/stats.
type AppStats struct {
	Name    string                `json:"name"`
	GraphQL limits.ThrottleStatus `json:"graphql"`
	// REST is the request bucket's fill level, "used/capacity".
	REST            string `json:"rest_call_limit"`
	GraphQLRequests int64  `json:"graphql_requests"`
	RESTRequests    int64  `json:"rest_requests"`
	Throttled       int64  `json:"throttled"`
	RESTThrottled   int64  `json:"rest_throttled"`
	// PointsSpent is the GraphQL cost points the app's bucket kept: each query's actual
	// cost (its requested cost when an injected fault cut it short).
	PointsSpent int64 `json:"points_spent"`
}

func (a *appState) stats() AppStats {
	d := a.rest.Level()
	return AppStats{Name: a.name, GraphQL: a.cost.Status(), REST: strconv.Itoa(d.Used) + "/" + strconv.Itoa(d.Capacity),
		GraphQLRequests: a.graphql.Load(), RESTRequests: a.restCalls.Load(), Throttled: a.throttled.Load(), RESTThrottled: a.restLimit.Load(), PointsSpent: a.points.Load()}
}

// AppStats reports every app's buckets and counters, sorted by name.
func (s *Server) AppStats() []AppStats {
	apps := s.apps.all()
	out := make([]AppStats, len(apps))
	for i, a := range apps {
		out[i] = a.stats()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}
