package fakehttptest_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/limits"
)

// widgets is the smallest fake that keeps the contract: POST /widgets?id=ID with a Bearer
// token creates a widget, behind a concurrency gate. It shows what a new fake needs.
type widgets struct {
	*fakehttp.Server
	gate   *limits.ConcurrencyGate
	ledger *ledger.Ledger

	mu    sync.Mutex
	limit int
}

func newWidgets() *widgets {
	w := &widgets{gate: limits.NewConcurrencyGate(4), limit: 4, ledger: ledger.New(clock.Real(), 0)}
	w.Server = fakehttp.New(fakehttp.Config{
		Name: "widgets", API: http.HandlerFunc(w.serveAPI), Errors: widgetErrors{}, Platform: w, Ledger: w.ledger,
	})
	return w
}

func (w *widgets) serveAPI(rw http.ResponseWriter, r *http.Request) {
	if !strings.HasPrefix(r.Header.Get("Authorization"), "Bearer ") {
		fakehttp.WriteJSON(rw, http.StatusUnauthorized, map[string]string{"code": "NO_TOKEN"})
		return
	}
	release, ok := w.gate.TryAcquire()
	if !ok {
		w.Throttled("TOO_MANY")
		fakehttp.WriteJSON(rw, http.StatusTooManyRequests, map[string]string{"code": "TOO_MANY"})
		return
	}
	defer release()
	w.Inject(rw, r, http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		id := r.URL.Query().Get("id")
		w.ledger.Append(ledger.Effect{Action: ledger.Created, Record: "widget", ExternalID: id, CreateAttempt: true})
		rw.WriteHeader(http.StatusCreated)
	}))
}

func (w *widgets) Limits() any {
	w.mu.Lock()
	defer w.mu.Unlock()
	return map[string]int{"concurrency": w.limit}
}

func (w *widgets) ApplyLimits(raw json.RawMessage) error {
	var l struct {
		Concurrency *int `json:"concurrency"`
	}
	if err := fakehttp.DecodeLimits(raw, &l); err != nil {
		return err
	}
	if l.Concurrency != nil {
		if *l.Concurrency < 1 {
			return fmt.Errorf("concurrency %d must be at least 1", *l.Concurrency)
		}
		w.mu.Lock()
		w.limit = *l.Concurrency
		w.mu.Unlock()
		w.gate.SetLimit(*l.Concurrency)
	}
	return nil
}

func (w *widgets) LimitStats() (any, int) { s := w.gate.Stats(); return s, s.MaxObserved }
func (w *widgets) Reset()                 { w.gate.Reset() }

type widgetErrors struct{}

func (widgetErrors) WriteError(rw http.ResponseWriter, _ *http.Request, e faults.Error) {
	if e.RetryAfter > 0 {
		rw.Header().Set("Retry-After", fmt.Sprint(int(e.RetryAfter.Seconds())))
	}
	fakehttp.WriteJSON(rw, e.Status, map[string]string{"code": e.Kind})
}

func widgetsTarget() fakehttptest.Target {
	return fakehttptest.Target{
		Name: "widgets",
		New:  func(*testing.T) fakehttptest.Server { return newWidgets() },
		Effect: func(t *testing.T, baseURL, key string) *http.Request {
			req, err := http.NewRequest(http.MethodPost, baseURL+"/widgets?id="+key, nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header.Set("Authorization", "Bearer w")
			return req
		},
		EffectCreates: true,
		Unauthorized: fakehttptest.Unauthorized{
			Request: func(t *testing.T, baseURL string) *http.Request {
				req, err := http.NewRequest(http.MethodPost, baseURL+"/widgets?id=x", nil)
				if err != nil {
					t.Fatal(err)
				}
				return req
			},
			Status: http.StatusUnauthorized,
			Body: func(_ http.Header, body []byte) error {
				if string(body) != "{\"code\":\"NO_TOKEN\"}\n" {
					return fmt.Errorf("want NO_TOKEN")
				}
				return nil
			},
		},
		TightLimits: `{"concurrency":1}`,
	}
}

// The suite holds no platform's quirks: a minimal fake on the kit passes it.
func TestRunPassesMinimalFake(t *testing.T) {
	t.Parallel()
	fakehttptest.Run(t, widgetsTarget())
}
