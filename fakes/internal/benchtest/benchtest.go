// Package benchtest measures what a fake costs per request next to a bare net/http handler
// doing the same work without the fake's auth, limits, validation and ledger: in-process
// (Handler) and over loopback with vegeta (SideBySide). It imports testing: only test
// code may import it.
package benchtest

import (
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// Target makes the i-th request of a run: its path below the base URL, and its body (""
// for none).
type Target func(i int) (path, body string)

// Handler runs b.N requests through h in-process, in parallel, each with method, the
// target's path and body, and Authorization: Bearer token. An answer of 300 or more fails
// the benchmark.
func Handler(b *testing.B, h http.Handler, method string, target Target, token string) {
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

// Workload is one kind of request SideBySide sends.
type Workload struct {
	Name   string
	Method string
	// Target returns the target of the attack-th attack (0, 1, ...): a workload that
	// creates records wants new ones in every attack.
	Target func(attack int) Target
}

// SideBySide drives the fake at fakeURL and bare, served on loopback here, as fast as
// vegeta can (32 workers, keep-alive), each workload in turn, every request carrying
// header. Bare and fake alternate in four rounds of one second (the order flipping each
// round) so that load from elsewhere on the machine weighs on both alike. It logs
// requests/s, p50, p99 and success of each, reports requests/s as NAME/bare_req/s and
// NAME/fake_req/s and the fake's share of the bare rate as NAME_%_of_bare, and runs once
// whatever b.N is (about 10 s a workload). It is skipped under -short.
func SideBySide(b *testing.B, fakeURL string, bare http.Handler, header http.Header, workloads ...Workload) {
	b.Helper()
	if testing.Short() {
		b.Skip("loopback load run")
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	bareSrv := &http.Server{Handler: bare, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = bareSrv.Serve(ln) }()
	defer bareSrv.Close()
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
	attack := func(t *tally, base, method string, target Target) {
		var n atomic.Int64
		tr := func(tg *vegeta.Target) error {
			path, body := target(int(n.Add(1)))
			tg.Method, tg.URL, tg.Header = method, base+path, header
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
	type row struct {
		name string
		t    *tally
	}
	var rows []row
	for _, w := range workloads {
		bt, ft := &tally{}, &tally{}
		for r := 0; r < rounds; r++ {
			if r%2 == 0 {
				attack(bt, bareURL, w.Method, w.Target(2*r))
				attack(ft, fakeURL, w.Method, w.Target(2*r+1))
			} else {
				attack(ft, fakeURL, w.Method, w.Target(2*r))
				attack(bt, bareURL, w.Method, w.Target(2*r+1))
			}
		}
		bt.m.Close()
		ft.m.Close()
		rows = append(rows, row{w.Name + "/bare", bt}, row{w.Name + "/fake", ft})
	}
	var buf bytes.Buffer
	fmt.Fprintf(&buf, "\n%-12s %10s %9s %9s %8s\n", "run", "req/s", "p50", "p99", "success")
	rate := func(t *tally) float64 { return float64(t.ok) / t.took.Seconds() }
	for _, r := range rows {
		fmt.Fprintf(&buf, "%-12s %10.0f %9s %9s %7.2f%%\n", r.name, rate(r.t), r.t.m.Latencies.P50.Round(time.Microsecond), r.t.m.Latencies.P99.Round(time.Microsecond), r.t.m.Success*100)
		b.ReportMetric(rate(r.t), r.name+"_req/s")
	}
	shares := make([]string, len(workloads))
	for i, w := range workloads {
		share := rate(rows[2*i+1].t) / rate(rows[2*i].t)
		shares[i] = fmt.Sprintf("%s %.0f%%", w.Name, share*100)
		b.ReportMetric(share*100, w.Name+"_%_of_bare")
	}
	fmt.Fprintf(&buf, "fake/bare: %s\n", strings.Join(shares, ", "))
	b.Log(buf.String())
}
