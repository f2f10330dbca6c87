package salesforce

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/internal/benchtest"
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

const benchContacts = 1000

func getTarget(ids []string) benchtest.Target {
	return func(i int) (string, string) { return "/services/data/v60.0/sobjects/Contact/" + ids[i%len(ids)], "" }
}

func BenchmarkGetByID(b *testing.B) {
	srv, token, ids := benchFake(b, benchContacts)
	b.Run("fake", func(b *testing.B) { benchtest.Handler(b, srv.Handler(), http.MethodGet, getTarget(ids), token) })
	b.Run("bare", func(b *testing.B) { benchtest.Handler(b, newBareContacts(ids), http.MethodGet, getTarget(ids), token) })
}

func upsertTarget(i int) (string, string) {
	k := i % benchContacts
	return fmt.Sprintf("/services/data/v60.0/sobjects/Contact/Shopify_Customer_Id__c/%d", k),
		fmt.Sprintf(`{"LastName":"L%d","Email":"c%d@example.com","Order_Count__c":%d,"Segments__c":"vip;newsletter"}`, k, k, i%50)
}

func BenchmarkUpsert(b *testing.B) {
	srv, token, ids := benchFake(b, benchContacts)
	b.Run("fake", func(b *testing.B) { benchtest.Handler(b, srv.Handler(), http.MethodPatch, upsertTarget, token) })
	b.Run("bare", func(b *testing.B) { benchtest.Handler(b, newBareContacts(ids), http.MethodPatch, upsertTarget, token) })
}

// BenchmarkVegetaSideBySide drives the fake and the bare handler over loopback in one
// run (benchtest.SideBySide), for GET-by-id and upsert.
func BenchmarkVegetaSideBySide(b *testing.B) {
	srv, token, ids := benchFake(b, benchContacts)
	fakeURL, err := srv.Start("127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer srv.Close()
	benchtest.SideBySide(b, fakeURL, newBareContacts(ids),
		http.Header{"Authorization": {"Bearer " + token}, "Content-Type": {"application/json"}},
		benchtest.Workload{Name: "get", Method: http.MethodGet, Target: func(int) benchtest.Target { return getTarget(ids) }},
		benchtest.Workload{Name: "upsert", Method: http.MethodPatch, Target: func(int) benchtest.Target { return upsertTarget }},
	)
	if st := srv.Stats(); st.ThrottledTotal > 0 {
		b.Errorf("the fake throttled %d requests", st.ThrottledTotal)
	}
}
