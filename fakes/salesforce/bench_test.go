package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/limits"
	"github.com/peakready/peakready/fakes/salesforce/soql"
)

// The limit models alone: what each adds to a request.

func BenchmarkDailyAllocationUse(b *testing.B) {
	a := limits.NewDailyAllocation(clock.Real(), 1<<62, 0)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			a.Use()
		}
	})
}

func BenchmarkLongRunningSlots(b *testing.B) {
	l := NewLongRunningSlots(clock.Real(), 25, 20*time.Second)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			f, _ := l.Begin()
			f.End()
		}
	})
}

func BenchmarkSessionCheck(b *testing.B) {
	s := newSessionStore(clock.Real(), NewID(PrefixOrg, 1), 1)
	tok, _ := s.issue()
	for i := 0; i < 1000; i++ {
		s.issue()
	}
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			s.valid(tok, time.Hour, false)
		}
	})
}

func BenchmarkSOQLParseCompile(b *testing.B) {
	sc, _ := buildSchema([]ExternalIDField{{Object: ObjectContact, Field: DefaultExternalIDField}}, true)
	q := "SELECT Id, Email, FirstName FROM Contact WHERE Email = 'a@b.com' AND Shopify_Customer_Id__c = '123' LIMIT 1"
	b.ReportAllocs()
	for b.Loop() {
		p, _ := soql.Parse(q)
		_, _ = soql.Compile(p, sc.soql)
	}
}

// benchFake is a fake with limits on (a daily allocation that is never reached, 25
// long-running slots, sessions checked) and no latency, holding n contacts.
func benchFake(tb testing.TB, n int) (*Server, string, []string) {
	tb.Helper()
	srv, err := New(Options{Limits: Limits{Latency: "0", DailyLimit: 1 << 50}})
	if err != nil {
		tb.Fatal(err)
	}
	token, _ := srv.sessions.issue()
	ids := make([]string, n)
	h := srv.Handler()
	for i := range ids {
		body := fmt.Sprintf(`{"LastName":"L%d","FirstName":"F","Email":"c%d@example.com","Shopify_Customer_Id__c":"%d","Order_Count__c":2}`, i, i, i)
		r := httptest.NewRequest(http.MethodPost, "/services/data/v60.0/sobjects/Contact", strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		var res SaveResult
		if err := json.Unmarshal(w.Body.Bytes(), &res); err != nil || !res.Success {
			tb.Fatalf("seed contact: %d %s", w.Code, w.Body.String())
		}
		ids[i] = res.ID
	}
	return srv, token, ids
}

// bareContacts is what a plain net/http handler does for the same routes: look a
// contact up and encode it; decode an upsert body, store it, encode the result. No
// sessions, limits, validation, duplicate rules or ledger.
type bareContacts struct {
	mu    sync.RWMutex
	byID  map[string]map[string]any
	byExt map[string]string
	seq   atomic.Int64
}

func newBareContacts(ids []string) *bareContacts {
	c := &bareContacts{byID: map[string]map[string]any{}, byExt: map[string]string{}}
	for i, id := range ids {
		c.byID[id] = map[string]any{"Id": id, "LastName": fmt.Sprintf("L%d", i), "FirstName": "F", "Email": fmt.Sprintf("c%d@example.com", i), "Order_Count__c": 2.0}
		c.byExt[fmt.Sprint(i)] = id
	}
	return c
}

func (c *bareContacts) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	parts := strings.Split(r.URL.Path, "/")
	w.Header().Set("Content-Type", contentTypeJSON)
	switch r.Method {
	case http.MethodGet:
		id := parts[len(parts)-1]
		c.mu.RLock()
		rec := c.byID[id]
		c.mu.RUnlock()
		if rec == nil {
			w.WriteHeader(http.StatusNotFound)
			return
		}
		out := map[string]any{"attributes": map[string]string{"type": "Contact", "url": r.URL.Path}}
		for k, v := range rec {
			out[k] = v
		}
		_ = json.NewEncoder(w).Encode(out)
	case http.MethodPatch:
		body, _ := io.ReadAll(r.Body)
		var fields map[string]any
		if json.Unmarshal(body, &fields) != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		ext := parts[len(parts)-1]
		c.mu.Lock()
		id, ok := c.byExt[ext]
		status := http.StatusOK
		if !ok {
			id = fmt.Sprintf("003%015d", c.seq.Add(1))
			c.byExt[ext] = id
			c.byID[id] = map[string]any{"Id": id}
			status = http.StatusCreated
		}
		rec := c.byID[id]
		for k, v := range fields {
			rec[k] = v
		}
		c.mu.Unlock()
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(SaveResult{ID: id, Success: true, Errors: []ErrorBody{}, Created: new(status == http.StatusCreated)})
	}
}

// In-process handler cost per request, without the network.

func benchServe(b *testing.B, h http.Handler, method string, target func(i int) (string, string), token string) {
	b.ReportAllocs()
	var n atomic.Int64
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			path, body := target(int(n.Add(1)))
			var rd io.Reader
			if body != "" {
				rd = strings.NewReader(body)
			}
			r := httptest.NewRequest(method, path, rd)
			r.Header.Set("Authorization", "Bearer "+token)
			w := httptest.NewRecorder()
			h.ServeHTTP(w, r)
			if w.Code >= 300 {
				b.Fatalf("%s %s: %d %s", method, path, w.Code, w.Body.String())
			}
		}
	})
}

const benchContacts = 1000

func BenchmarkGetByID(b *testing.B) {
	srv, token, ids := benchFake(b, benchContacts)
	get := func(i int) (string, string) { return "/services/data/v60.0/sobjects/Contact/" + ids[i%len(ids)], "" }
	b.Run("fake", func(b *testing.B) { benchServe(b, srv.Handler(), http.MethodGet, get, token) })
	b.Run("bare", func(b *testing.B) { benchServe(b, newBareContacts(ids), http.MethodGet, get, token) })
}

func upsertTarget(i int) (string, string) {
	k := i % benchContacts
	return fmt.Sprintf("/services/data/v60.0/sobjects/Contact/Shopify_Customer_Id__c/%d", k),
		fmt.Sprintf(`{"LastName":"L%d","Email":"c%d@example.com","Order_Count__c":%d,"Segments__c":"vip;newsletter"}`, k, k, i%50)
}

func BenchmarkUpsert(b *testing.B) {
	srv, token, ids := benchFake(b, benchContacts)
	b.Run("fake", func(b *testing.B) { benchServe(b, srv.Handler(), http.MethodPatch, upsertTarget, token) })
	b.Run("bare", func(b *testing.B) { benchServe(b, newBareContacts(ids), http.MethodPatch, upsertTarget, token) })
}

// BenchmarkVegetaSideBySide drives the fake and the bare handler over loopback in one
// run, as fast as vegeta can, for GET-by-id and upsert. Bare and fake alternate in short
// rounds (the order flipping each round) so that load from elsewhere on the machine
// weighs on both alike. It reports requests/s of each and the fake's share of the bare
// rate, and runs once whatever b.N is (about 20 s).
func BenchmarkVegetaSideBySide(b *testing.B) {
	if testing.Short() {
		b.Skip("loopback load run")
	}
	srv, token, ids := benchFake(b, benchContacts)
	fakeURL, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bare := &http.Server{Handler: newBareContacts(ids), ReadHeaderTimeout: 10 * time.Second}
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
	attack := func(t *tally, base, method string, target func(i int) (string, string)) {
		var n atomic.Int64
		hdr := http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}}
		tr := func(tg *vegeta.Target) error {
			path, body := target(int(n.Add(1)))
			tg.Method, tg.URL, tg.Header = method, base+path, hdr
			tg.Body = []byte(body)
			return nil
		}
		a := vegeta.NewAttacker(vegeta.Workers(workers), vegeta.MaxWorkers(workers), vegeta.MaxConnections(workers), vegeta.KeepAlive(true))
		start := time.Now()
		for res := range a.Attack(tr, vegeta.ConstantPacer{Freq: 0, Per: time.Second}, round, base+method) {
			t.m.Add(res)
			if res.Code >= 200 && res.Code < 300 && res.Error == "" {
				t.ok++
			}
		}
		t.took += time.Since(start)
		time.Sleep(200 * time.Millisecond) // let closed connections clear
	}
	get := func(i int) (string, string) { return "/services/data/v60.0/sobjects/Contact/" + ids[i%len(ids)], "" }
	type row struct {
		name string
		t    *tally
	}
	var rows []row
	for _, w := range []struct {
		name   string
		method string
		target func(int) (string, string)
	}{{"get", http.MethodGet, get}, {"upsert", http.MethodPatch, upsertTarget}} {
		bt, ft := &tally{}, &tally{}
		for r := 0; r < rounds; r++ {
			if r%2 == 0 {
				attack(bt, bareURL, w.method, w.target)
				attack(ft, fakeURL, w.method, w.target)
			} else {
				attack(ft, fakeURL, w.method, w.target)
				attack(bt, bareURL, w.method, w.target)
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
	getShare := rate(rows[1].t) / rate(rows[0].t)
	upsertShare := rate(rows[3].t) / rate(rows[2].t)
	fmt.Fprintf(&buf, "fake/bare: get %.0f%%, upsert %.0f%%\n", getShare*100, upsertShare*100)
	b.ReportMetric(getShare*100, "get_%_of_bare")
	b.ReportMetric(upsertShare*100, "upsert_%_of_bare")
	b.Log(buf.String())
	if st := srv.Stats(); st.ThrottledTotal > 0 {
		b.Errorf("the fake throttled %d requests", st.ThrottledTotal)
	}
}
