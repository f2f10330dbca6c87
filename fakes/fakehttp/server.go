// Package fakehttp is the HTTP shell every fake shares: it serves the platform's API next
// to the admin API under /_fake/ (ledger, stats, reset, faults), counts every request and
// response, applies fault rules where the platform asks for them, and starts and stops the
// listener the same way for Go tests and for the CLI.
//
// A platform supplies its API handler and a Platform (limits, stats, reset). Admin routes
// never pass through the platform's limits or faults and never count as requests.
package fakehttp

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
)

// Platform is what a fake tells the shell about its limits and state.
// Every method must be safe for concurrent use.
type Platform interface {
	// Limits returns the current limit settings, JSON-encodable, in the same shape
	// ApplyLimits accepts.
	Limits() any
	// ApplyLimits changes the limits given in raw (a JSON object; absent fields keep their
	// value). Unknown fields and impossible values are errors, and on error nothing changes.
	ApplyLimits(raw json.RawMessage) error
	// LimitStats reports the limit models' state for /_fake/stats, and the peak number of
	// requests the platform admitted at once (-1 if it has no concurrency model).
	LimitStats() (detail any, maxConcurrency int)
	// Reset forgets every record and counter, restoring the seeded state. Limits and
	// fault rules stay.
	Reset()
}

// Config makes a Server.
type Config struct {
	// Name is the platform, e.g. "netsuite".
	Name string
	// Clock drives every duration; nil means wall time.
	Clock clock.Clock
	// Seed seeds the fault dice.
	Seed uint64
	// API serves the platform's routes. It should call Server.Inject at the point where
	// faults apply: after authentication and limit admission, before the effect.
	API http.Handler
	// Errors renders fault errors in the platform's shape.
	Errors faults.ErrorWriter
	// Platform reports limits and resets state.
	Platform Platform
	// Ledger is the platform's record of effects.
	Ledger *ledger.Ledger
	// Logger receives lifecycle and admin messages; nil discards them.
	Logger *slog.Logger
}

// Server is one running fake.
type Server struct {
	cfg      Config
	injector *faults.Injector
	stats    *counters
	admin    *http.ServeMux
	handler  http.Handler
	extra    []string // platform admin routes, for the index

	mu       sync.Mutex
	srv      *http.Server
	listener net.Listener
	url      string
}

// New assembles a server; call Start to listen, or use Handler with your own listener.
func New(cfg Config) *Server {
	if cfg.Clock == nil {
		cfg.Clock = clock.Real()
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{
		cfg:      cfg,
		injector: faults.NewInjector(&faults.Env{Clock: cfg.Clock, Errors: cfg.Errors, Rand: faults.NewRand(cfg.Seed)}),
		stats:    newCounters(cfg.Clock),
		admin:    http.NewServeMux(),
	}
	s.routeAdmin()
	api := s.stats.middleware(cfg.API)
	s.handler = http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/_fake" || strings.HasPrefix(r.URL.Path, "/_fake/") {
			s.admin.ServeHTTP(w, r)
			return
		}
		api.ServeHTTP(w, r)
	})
	return s
}

// Handler serves the API and the admin API.
func (s *Server) Handler() http.Handler { return s.handler }

// Clock is the server's clock.
func (s *Server) Clock() clock.Clock { return s.cfg.Clock }

// Inject runs next through the fault rules that apply to r. Platforms call it once per
// request, after authentication and limit admission, so that injected latency holds the
// request's concurrency slot as a slow platform would.
func (s *Server) Inject(w http.ResponseWriter, r *http.Request, next http.Handler) {
	s.injector.Serve(w, r, next)
}

// Throttled counts a request the platform refused for a limit, by reason
// (e.g. CONCURRENCY_LIMIT_EXCEEDED, THROTTLED, REQUEST_LIMIT_EXCEEDED).
func (s *Server) Throttled(reason string) { s.stats.throttled(reason) }

// HandleAdmin adds a platform route under /_fake/ (pattern as for http.ServeMux, e.g.
// "POST /_fake/orders").
// Call it before serving.
func (s *Server) HandleAdmin(pattern string, h http.Handler) {
	s.admin.Handle(pattern, h)
	s.extra = append(s.extra, pattern)
}

// SetFaults installs fault rules (see faults.Rule); their windows count from now.
func (s *Server) SetFaults(rules []faults.Rule) error { return s.injector.Set(rules) }

// Faults returns the installed fault rules.
func (s *Server) Faults() []faults.Rule { return s.injector.Rules() }

// ApplyProfile applies a profile's limits and faults, each only if present. It validates
// the fault rules before touching anything, so a bad profile changes nothing.
func (s *Server) ApplyProfile(p Profile) error {
	if p.Faults != nil {
		for i, r := range p.Faults {
			if err := r.Validate(); err != nil {
				return fmt.Errorf("faults[%d]: %w", i, err)
			}
			if _, err := faults.Build(r); err != nil {
				return fmt.Errorf("faults[%d]: %w", i, err)
			}
		}
	}
	if len(p.Limits) > 0 && string(p.Limits) != "null" {
		if err := s.cfg.Platform.ApplyLimits(p.Limits); err != nil {
			return fmt.Errorf("limits: %w", err)
		}
	}
	if p.Faults != nil {
		return s.injector.Set(p.Faults)
	}
	return nil
}

// Stats returns the server's counters.
func (s *Server) Stats() Stats {
	st := s.stats.snapshot()
	st.Platform = s.cfg.Name
	st.FaultsInjected = s.injector.Injected()
	detail, maxConc := s.cfg.Platform.LimitStats()
	st.Limits = detail
	st.MaxConcurrency = int(st.MaxInFlight)
	if maxConc >= 0 {
		st.MaxConcurrency = maxConc
	}
	return st
}

// Reset restores the platform's seeded state and zeroes every counter; limits and fault
// rules stay as they are.
func (s *Server) Reset() {
	s.cfg.Platform.Reset()
	if s.cfg.Ledger != nil {
		s.cfg.Ledger.Reset()
	}
	s.stats.reset()
	s.injector.ResetCounts()
}

// Start listens on addr ("127.0.0.1:0" picks a free port) and serves in the background.
// It returns the base URL, e.g. http://127.0.0.1:41234.
func (s *Server) Start(addr string) (string, error) {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return "", fmt.Errorf("%s fake: listen on %s: %w", s.cfg.Name, addr, err)
	}
	return s.Serve(ln), nil
}

// Serve serves on ln in the background and returns the base URL.
func (s *Server) Serve(ln net.Listener) string {
	srv := &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 30 * time.Second,
		ErrorLog:          slog.NewLogLogger(s.cfg.Logger.Handler(), slog.LevelDebug),
	}
	s.mu.Lock()
	s.srv, s.listener = srv, ln
	s.url = "http://" + ln.Addr().String()
	s.mu.Unlock()
	go func() {
		if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.cfg.Logger.Error("serve", "platform", s.cfg.Name, "err", err)
		}
	}()
	s.cfg.Logger.Info("listening", "platform", s.cfg.Name, "url", s.url)
	return s.url
}

// URL is the base URL once started.
func (s *Server) URL() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.url
}

// Close stops the listener and drops open connections, including requests a fault is
// holding.
func (s *Server) Close() error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	return srv.Close()
}

// Shutdown stops accepting and waits for in-flight requests until ctx ends.
func (s *Server) Shutdown(ctx context.Context) error {
	s.mu.Lock()
	srv := s.srv
	s.mu.Unlock()
	if srv == nil {
		return nil
	}
	err := srv.Shutdown(ctx)
	if err != nil {
		_ = srv.Close()
	}
	return err
}

// WriteJSON writes v as JSON with status.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	_ = enc.Encode(v)
}
