package netsuite

import (
	"net"
	"net/http"
	"os"
	"sort"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"
)

// vegetaConnections caps vegeta's connections (machine-limits.md: uncapped attacks exhaust
// file handles and local ports on this machine).
const vegetaConnections = 32

// TestVegetaComparison measures, over real HTTP with one vegeta attack per case, the
// requests per second the fake serves for GET inventoryItem and POST salesOrder (limits
// on, latency 0) next to a bare net/http handler doing the same JSON work, and checks the
// fake reaches 70% of the bare rate. It takes about a minute, so it runs only with
// PEAKREADY_VEGETA=1:
//
//	PEAKREADY_VEGETA=1 go test -run TestVegetaComparison -v ./fakes/netsuite
func TestVegetaComparison(t *testing.T) {
	if os.Getenv("PEAKREADY_VEGETA") != "1" {
		t.Skip("set PEAKREADY_VEGETA=1 to run the vegeta throughput comparison")
	}
	duration := 3 * time.Second
	if d, err := time.ParseDuration(os.Getenv("PEAKREADY_VEGETA_DURATION")); err == nil && d > 0 {
		duration = d
	}
	srv, err := New(benchOptions())
	if err != nil {
		t.Fatal(err)
	}
	fakeURL, err := srv.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	bare := &http.Server{Handler: bareHandler(srv.seeded), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()
	bareURL := "http://" + ln.Addr().String()

	header := http.Header{"Authorization": {"Bearer vegeta"}, "Content-Type": {"application/json"}}
	order := benchOrder(srv.seeded)
	cases := []struct {
		name   string
		target func(base string) vegeta.Target
		want   int
	}{
		{"GET inventoryItem", func(base string) vegeta.Target {
			return vegeta.Target{Method: http.MethodGet, URL: base + itemPath + "/1001", Header: header}
		}, http.StatusOK},
		{"POST salesOrder", func(base string) vegeta.Target {
			return vegeta.Target{Method: http.MethodPost, URL: base + soPath, Body: order, Header: header}
		}, http.StatusNoContent},
	}
	// Other processes share the machine, so each case alternates bare and fake runs and
	// compares the medians.
	const rounds = 3
	for _, tc := range cases {
		var bareRates, fakeRates []float64
		for range rounds {
			bareRates = append(bareRates, attackRate(t, tc.target(bareURL), tc.want, duration))
			fakeRates = append(fakeRates, attackRate(t, tc.target(fakeURL), tc.want, duration))
		}
		bareRate, fakeRate := median(bareRates), median(fakeRates)
		ratio := fakeRate / bareRate
		t.Logf("%-18s fake %8.0f req/s   bare net/http %8.0f req/s   ratio %.2f   (runs: fake %.0f, bare %.0f)",
			tc.name, fakeRate, bareRate, ratio, fakeRates, bareRates)
		if ratio < 0.70 {
			t.Errorf("%s: the fake serves %.0f%% of the bare handler's rate, want at least 70%%", tc.name, ratio*100)
		}
	}
	st := srv.Stats()
	t.Logf("fake stats: requests=%d max_concurrency=%d throttled=%d", st.Requests, st.MaxConcurrency, st.ThrottledTotal)
}

// attackRate runs one vegeta attack at the highest rate a fixed pool of workers reaches
// and returns the successful requests per second.
func attackRate(t *testing.T, target vegeta.Target, want int, d time.Duration) float64 {
	t.Helper()
	time.Sleep(time.Second) // let the previous attack's connections close
	atk := vegeta.NewAttacker(
		vegeta.Workers(vegetaConnections), vegeta.MaxWorkers(vegetaConnections),
		vegeta.Connections(vegetaConnections), vegeta.MaxConnections(vegetaConnections),
		vegeta.KeepAlive(true), vegeta.Timeout(10*time.Second),
	)
	var ok, failed int
	var first, last time.Time
	for res := range atk.Attack(vegeta.NewStaticTargeter(target), vegeta.Rate{Freq: 0}, d, target.Method) {
		if first.IsZero() {
			first = res.Timestamp
		}
		last = res.Timestamp.Add(res.Latency)
		if int(res.Code) == want {
			ok++
		} else {
			failed++
		}
	}
	if failed > 0 {
		t.Errorf("%s %s: %d requests failed", target.Method, target.URL, failed)
	}
	return float64(ok) / last.Sub(first).Seconds()
}

func median(v []float64) float64 {
	s := append([]float64(nil), v...)
	sort.Float64s(s)
	return s[len(s)/2]
}
