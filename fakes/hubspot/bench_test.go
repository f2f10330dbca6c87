package hubspot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/clock"
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

func benchServe(b *testing.B, h http.Handler, target func(i int) (string, string)) {
	b.ReportAllocs()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			path, body := target(int(n.Add(1)))
			r := httptest.NewRequest(http.MethodPost, path, strings.NewReader(body))
			r.Header.Set("Authorization", "Bearer "+benchToken)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 300 {
				b.Fatalf("POST %s: %d %s", path, w.Code, w.Body.String())
			}
		}
	})
}

const benchContacts = 1000

// createTarget creates a new contact each time; run counts the runs so that every
// run's emails are new.
func createTarget(run string) func(i int) (string, string) {
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
	b.Run("fake", func(b *testing.B) { benchServe(b, srv.Handler(), createTarget(fmt.Sprint(benchRuns.Add(1)))) })
	b.Run("bare", func(b *testing.B) { benchServe(b, bare, createTarget(fmt.Sprint(benchRuns.Add(1)))) })
}

func BenchmarkSearchByEmail(b *testing.B) {
	srv := benchFake(b, benchContacts)
	b.Run("fake", func(b *testing.B) { benchServe(b, srv.Handler(), searchTarget) })
	b.Run("bare", func(b *testing.B) { benchServe(b, newBareContacts(benchContacts), searchTarget) })
}

// BenchmarkVegetaSideBySide drives the fake and the bare handler over loopback in one
// run, as fast as vegeta can, for create and search by email. Bare and fake alternate
// in short rounds (the order flipping each round) so that load from elsewhere on the
// machine weighs on both alike. It reports requests/s of each and the fake's share of
// the bare rate, and runs once whatever b.N is (about 20 s).
func BenchmarkVegetaSideBySide(b *testing.B) {
	if testing.Short() {
		b.Skip("loopback load run")
	}
	srv := benchFake(b, benchContacts)
	fakeURL, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bare := &http.Server{Handler: newBareContacts(benchContacts), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()
	bareURL := "http://" + ln.Addr().String()

	const (
		rounds  = 4
		round   = time.Second
		workers = 32
	)
	type tally struct {
		m    vegeta.Metrics
		ok   uint64
		took time.Duration
	}
	attack := func(t *tally, base string, target func(i int) (string, string)) {
		var n atomic.Int64
		hdr := http.Header{"Authorization": {"Bearer " + benchToken}, "Content-Type": {"application/json"}}
		tr := func(tg *vegeta.Target) error {
			path, body := target(int(n.Add(1)))
			tg.Method, tg.URL, tg.Header = http.MethodPost, base+path, hdr
			tg.Body = []byte(body)
			return nil
		}
		a := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.MaxConnections(workers), vegeta.KeepAlive(true))
		start := time.Now()
		for res := range a.Attack(tr, vegeta.ConstantPacer{Freq: 0, Per: time.Second}, round, base) {
			t.m.Add(res)
			if res.Code >= 200 && res.Code < 300 && res.Error == "" {
				t.ok++
			}
		}
		t.took += time.Since(start)
		time.Sleep(200 * time.Millisecond) // let closed connections clear
	}
	type row struct {
		name string
		t    *tally
	}
	var rows []row
	for _, w := range []struct {
		name   string
		target func(round int) func(int) (string, string)
	}{
		{"create", func(r int) func(int) (string, string) { return createTarget(fmt.Sprintf("v%d", r)) }},
		{"search", func(int) func(int) (string, string) { return searchTarget }},
	} {
		bt, ft := &tally{}, &tally{}
		for r := 0; r < rounds; r++ {
			if r%2 == 0 {
				attack(bt, bareURL, w.target(2*r))
				attack(ft, fakeURL, w.target(2*r+1))
			} else {
				attack(ft, fakeURL, w.target(2*r))
				attack(bt, bareURL, w.target(2*r+1))
			}
		}
		bt.m.Close()
		ft.m.Close()
		rows = append(rows, row{w.name + "/bare", bt}, row{w.name + "/fake", ft})
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "\n%-12s %10s %9s %9s %8s\n", "run", "req/s", "p50", "p99", "success")
	rate := func(t *tally) float64 { return float64(t.ok) / t.took.Seconds() }
	for _, r := range rows {
		fmt.Fprintf(&buf, "%-12s %10.0f %9s %9s %7.2f%%\n", r.name, rate(r.t), r.t.m.Latencies.P50.Round(time.Microsecond), r.t.m.Latencies.P99.Round(time.Microsecond), r.t.m.Success*100)
		b.ReportMetric(rate(r.t), r.name+"_req/s")
	}
	createShare := rate(rows[1].t) / rate(rows[0].t)
	searchShare := rate(rows[3].t) / rate(rows[2].t)
	fmt.Fprintf(&buf, "fake/bare: create %.0f%%, search %.0f%%\n", createShare*100, searchShare*100)
	b.ReportMetric(createShare*100, "create_%_of_bare")
	b.ReportMetric(searchShare*100, "search_%_of_bare")
	b.Log(buf.String())
	if st := srv.Stats(); st.ThrottledTotal > 0 {
		b.Errorf("the fake throttled %d requests", st.ThrottledTotal)
	}
}
