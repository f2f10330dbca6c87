package faults

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// jsonErrors renders errors as {"status","kind","code","message"} so tests can read them.
type jsonErrors struct{}

func (jsonErrors) WriteError(w http.ResponseWriter, _ *http.Request, e Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.Itoa(int(e.RetryAfter.Seconds())))
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.Status)
	_ = json.NewEncoder(w).Encode(map[string]any{"status": e.Status, "kind": e.Kind, "code": e.Code, "message": e.Message})
}

// fixture is a server whose every request goes through an injector to an effect that
// counts how often it ran.
type fixture struct {
	srv     *httptest.Server
	in      *Injector
	clock   clock.Clock
	effects atomic.Int64
}

func newFixture(t *testing.T, c clock.Clock, specs ...string) *fixture {
	t.Helper()
	f := &fixture{clock: c}
	f.in = NewInjector(&Env{Clock: c, Errors: jsonErrors{}, Rand: NewRand(7)})
	var rules []Rule
	for _, s := range specs {
		r, err := ParseSpec(s)
		require.NoError(t, err)
		rules = append(rules, r)
	}
	require.NoError(t, f.in.Set(rules))
	effect := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		n := f.effects.Add(1)
		w.WriteHeader(http.StatusCreated)
		fmt.Fprintf(w, "effect %d", n)
	})
	f.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { f.in.Serve(w, r, effect) }))
	t.Cleanup(f.srv.Close)
	return f
}

func (f *fixture) get(t *testing.T, client *http.Client, path string) (*http.Response, error) {
	t.Helper()
	if client == nil {
		client = f.srv.Client()
	}
	return client.Get(f.srv.URL + path)
}
