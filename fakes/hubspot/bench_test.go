package hubspot

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/internal/benchtest"
	"github.com/peakready/peakready/fakes/limits"
)

// The limit models alone: what each adds to a request.

func BenchmarkRollingWindowAllow(b *testing.B) {
	w := limits.NewRollingWindow(clock.Real(), 1<<16, time.Millisecond)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			w.Allow()
		}
	})
}

func BenchmarkDailyCounterUse(b *testing.B) {
	d := limits.NewCalendarDay(clock.Real(), 0, time.UTC)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			d.Use()
		}
	})
}

func BenchmarkParseSearch(b *testing.B) {
	sc := fuzzSchema(b)
	st, _ := Limits{}.resolve()
	body := []byte(`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"c7@example.com"}]}],"properties":["email","shopify_customer_id"],"limit":10}`)
	b.ReportAllocs()
	for b.Loop() {
		if _, e := parseSearch(body, st, sc); e != nil {
			b.Fatal(e)
		}
	}
}

const benchToken = "pat-na1-bench"

// benchFake is a fake with its limits on but never reached (a burst and a search rate
// far above what the machine can send, no daily limit), no latency, holding n contacts.
func benchFake(tb testing.TB, n int) *Server {
	tb.Helper()
	srv, err := New(Options{Limits: Limits{Latency: "0", Burst: MaxRate, Daily: 1 << 50, SearchPerSecond: MaxRate}})
	if err != nil {
		tb.Fatal(err)
	}
	h := srv.Handler()
	for i := range n {
		body := fmt.Sprintf(`{"properties":{"email":"c%d@example.com","firstname":"F%d","shopify_customer_id":"%d"}}`, i, i, i)
		r := httptest.NewRequest(http.MethodPost, "/crm/v3/objects/contacts", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+benchToken)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		if w.Code != http.StatusCreated {
			tb.Fatalf("seed contact: %d %s", w.Code, w.Body.String())
		}
	}
	return srv
}

// bareContacts is what a plain net/http handler does for the same routes: decode a
// create, dedupe on the lower-cased email, store it, encode it; decode a search for one
// email, look it up, encode the page. No auth, limits, validation, schema or ledger.
type bareContacts struct {
	mu      sync.RWMutex
	byEmail map[string]map[string]string
	seq     atomic.Int64
}

func newBareContacts(n int) *bareContacts {
	c := &bareContacts{byEmail: map[string]map[string]string{}}
	for i := range n {
		e := fmt.Sprintf("c%d@example.com", i)
		c.byEmail[e] = map[string]string{"hs_object_id": strconv.Itoa(101 + i), "email": e, "firstname": fmt.Sprintf("F%d", i)}
	}
	c.seq.Store(int64(101 + n))
	return c
}

func (c *bareContacts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	w.Header().Set("Content-Type", contentTypeJSON)
	if strings.HasSuffix(r.URL.Path, "/search") {
		var req struct {
			FilterGroups []struct {
				Filters []struct{ Value string } `json:"filters"`
			} `json:"filterGroups"`
		}
		if json.Unmarshal(body, &req) != nil || len(req.FilterGroups) == 0 || len(req.FilterGroups[0].Filters) == 0 {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		c.mu.RLock()
		rec := c.byEmail[strings.ToLower(req.FilterGroups[0].Filters[0].Value)]
		c.mu.RUnlock()
		resp := map[string]any{"total": 0, "results": []any{}}
		if rec != nil {
			resp = map[string]any{"total": 1, "results": []any{map[string]any{"id": rec["hs_object_id"], "properties": rec, "archived": false}}}
		}
		_ = json.NewEncoder(w).Encode(resp)
		return
	}
	var in struct {
		Properties map[string]string `json:"properties"`
	}
	if json.Unmarshal(body, &in) != nil {
		w.WriteHeader(http.StatusBadRequest)
		return
	}
	e := strings.ToLower(strings.TrimSpace(in.Properties["email"]))
	c.mu.Lock()
	if _, taken := c.byEmail[e]; taken {
		c.mu.Unlock()
		w.WriteHeader(http.StatusConflict)
		return
	}
	id := strconv.FormatInt(c.seq.Add(1), 10)
	in.Properties["hs_object_id"] = id
	c.byEmail[e] = in.Properties
	c.mu.Unlock()
	w.WriteHeader(http.StatusCreated)
	_ = json.NewEncoder(w).Encode(map[string]any{"id": id, "properties": in.Properties, "archived": false})
}

// In-process handler cost per request, without the network.

const benchContacts = 1000

// createTarget creates a new contact each time; run counts the runs so that every
// run's emails are new.
func createTarget(run string) benchtest.Target {
	return func(i int) (string, string) {
		return "/crm/v3/objects/contacts", fmt.Sprintf(`{"properties":{"email":"new%s-%d@example.com","firstname":"N","shopify_customer_id":"%s-%d"}}`, run, i, run, i)
	}
}

func searchTarget(i int) (string, string) {
	return "/crm/v3/objects/contacts/search", fmt.Sprintf(`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"c%d@example.com"}]}],"properties":["email","firstname"],"limit":10}`, i%benchContacts)
}

var benchRuns atomic.Int64

func BenchmarkCreate(b *testing.B) {
	srv := benchFake(b, benchContacts)
	bare := newBareContacts(benchContacts)
	b.Run("fake", func(b *testing.B) {
		benchtest.Handler(b, srv.Handler(), http.MethodPost, createTarget(fmt.Sprint(benchRuns.Add(1))), benchToken)
	})
	b.Run("bare", func(b *testing.B) {
		benchtest.Handler(b, bare, http.MethodPost, createTarget(fmt.Sprint(benchRuns.Add(1))), benchToken)
	})
}

func BenchmarkSearchByEmail(b *testing.B) {
	srv := benchFake(b, benchContacts)
	b.Run("fake", func(b *testing.B) { benchtest.Handler(b, srv.Handler(), http.MethodPost, searchTarget, benchToken) })
	b.Run("bare", func(b *testing.B) {
		benchtest.Handler(b, newBareContacts(benchContacts), http.MethodPost, searchTarget, benchToken)
	})
}

// BenchmarkVegetaSideBySide drives the fake and the bare handler over loopback in one
// run (benchtest.SideBySide), for create and search by email.
func BenchmarkVegetaSideBySide(b *testing.B) {
	srv := benchFake(b, benchContacts)
	fakeURL, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	benchtest.SideBySide(b, fakeURL, newBareContacts(benchContacts),
		http.Header{"Authorization": {"Bearer " + benchToken}, "Content-Type": {"application/json"}},
		benchtest.Workload{Name: "create", Method: http.MethodPost, Target: func(attack int) benchtest.Target { return createTarget(fmt.Sprintf("v%d", attack)) }},
		benchtest.Workload{Name: "search", Method: http.MethodPost, Target: func(int) benchtest.Target { return searchTarget }},
	)
	if st := srv.Stats(); st.ThrottledTotal > 0 {
		b.Errorf("the fake throttled %d requests", st.ThrottledTotal)
	}
}
