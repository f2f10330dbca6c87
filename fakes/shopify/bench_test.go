package shopify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// The two GraphQL requests the benchmarks make: the order an integration fetches on every
// webhook, and the SKU lookup before every inventory update.
const (
	benchOrderQuery = `query($id: ID!) { order(id: $id) { id name email updatedAt displayFinancialStatus
		totalPriceSet { shopMoney { amount currencyCode } } totalTaxSet { shopMoney { amount } }
		shippingAddress { provinceCode countryCodeV2 zip } customer { id email }
		lineItems(first: 10) { nodes { sku quantity originalUnitPriceSet { shopMoney { amount } } } }
		transactions { gateway authorizationCode } risk { assessments { riskLevel } recommendation } } }`
	benchSKUQuery = `query($q: String) { productVariants(first: 1, query: $q) { nodes { id sku inventoryItem { id
		inventoryLevels(first: 5) { nodes { id quantities(names: ["available", "on_hand"]) { name quantity } location { id } } } } } } }`
)

// benchServer is a Plus store whose buckets never run dry, so the benchmarks measure the
// cost accounting, not throttling.
func benchServer(tb testing.TB, orders int) *Server {
	tb.Helper()
	s, err := New(Options{Clock: clock.Real(), Seed: 1, Bucket: 1e9, RestoreRate: 1e9, RESTBucket: 1_000_000, RESTLeakRate: 1e6, Customers: 10_000})
	if err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Store().GenerateOrders(orders, nil); err != nil {
		tb.Fatal(err)
	}
	return s
}

func benchBodies(tb testing.TB, s *Server, n int) (orderBodies, skuBodies [][]byte) {
	tb.Helper()
	ids := s.Store().OrderIDs()
	for i := 0; i < n; i++ {
		ob, _ := json.Marshal(map[string]any{"query": benchOrderQuery, "variables": map[string]any{"id": store.GID("Order", ids[i%len(ids)])}})
		v, _ := s.Store().VariantAt(i % s.Store().VariantCount())
		sb, _ := json.Marshal(map[string]any{"query": benchSKUQuery, "variables": map[string]any{"q": "sku:" + v.SKU}})
		orderBodies, skuBodies = append(orderBodies, ob), append(skuBodies, sb)
	}
	return orderBodies, skuBodies
}

func benchHandler(b *testing.B, h http.Handler, req func(i int) *http.Request) {
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		i := 0
		for pb.Next() {
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req(i))
			if rec.Code != 200 || bytes.Contains(rec.Body.Bytes(), []byte(`"errors"`)) {
				b.Fatalf("%d %s", rec.Code, rec.Body.String())
			}
			i++
		}
	})
}

func BenchmarkGraphQLOrderByID(b *testing.B) {
	s := benchServer(b, 1000)
	bodies, _ := benchBodies(b, s, 1000)
	benchHandler(b, s.Handler(), func(i int) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/admin/api/2026-10/graphql.json", bytes.NewReader(bodies[i%len(bodies)]))
		r.Header.Set("X-Shopify-Access-Token", "t")
		r.Header.Set("Content-Type", "application/json")
		return r
	})
}

func BenchmarkGraphQLVariantBySKU(b *testing.B) {
	s := benchServer(b, 10)
	_, bodies := benchBodies(b, s, 200)
	benchHandler(b, s.Handler(), func(i int) *http.Request {
		r := httptest.NewRequest(http.MethodPost, "/admin/api/2026-10/graphql.json", bytes.NewReader(bodies[i%len(bodies)]))
		r.Header.Set("X-Shopify-Access-Token", "t")
		r.Header.Set("Content-Type", "application/json")
		return r
	})
}

func BenchmarkRESTOrderByID(b *testing.B) {
	s := benchServer(b, 1000)
	ids := s.Store().OrderIDs()
	benchHandler(b, s.Handler(), func(i int) *http.Request {
		r := httptest.NewRequest(http.MethodGet, "/admin/api/2026-10/orders/"+strconv.FormatInt(ids[i%len(ids)], 10)+".json", nil)
		r.Header.Set("X-Shopify-Access-Token", "t")
		return r
	})
}

// bareHandler is the yardstick: plain net/http decoding the same JSON request body and
// encoding the same order struct the REST route encodes, with no authentication, limits,
// GraphQL or store behind it.
func bareHandler(order *store.OrderJSON) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Query     string         `json:"query"`
			Variables map[string]any `json:"variables"`
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil && r.Method == http.MethodPost {
			http.Error(w, err.Error(), 400)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		_ = json.NewEncoder(w).Encode(map[string]any{"order": order})
	})
}

// TestVegetaSideBySide attacks the fake's GraphQL order(id) and productVariants(sku)
// queries and REST orders/{id}.json, and a bare net/http handler doing comparable JSON
// work, in one run, at a ladder of rates. It takes about a minute; set
// PEAKREADY_BENCH_VEGETA=1 to run it (PEAKREADY_BENCH_RATES overrides the ladder, e.g.
// "1000,2000,4000"; PEAKREADY_BENCH_SECONDS the seconds per step).
func TestVegetaSideBySide(t *testing.T) {
	if os.Getenv("PEAKREADY_BENCH_VEGETA") == "" {
		t.Skip("set PEAKREADY_BENCH_VEGETA=1 to run the load benchmark")
	}
	rates := []int{1000, 2000, 3000, 4000, 6000}
	if v := os.Getenv("PEAKREADY_BENCH_RATES"); v != "" {
		rates = nil
		for _, f := range strings.Split(v, ",") {
			n, err := strconv.Atoi(strings.TrimSpace(f))
			if err != nil || n <= 0 {
				t.Fatalf("PEAKREADY_BENCH_RATES=%q", v)
			}
			rates = append(rates, n)
		}
	}
	secs := 5
	if v := os.Getenv("PEAKREADY_BENCH_SECONDS"); v != "" {
		secs, _ = strconv.Atoi(v)
	}
	s := benchServer(t, 10_000)
	url, err := s.Start("127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	ids := s.Store().OrderIDs()
	o, _ := s.Store().Order(ids[0])
	bare := &http.Server{Handler: bareHandler(s.Store().OrderJSON(&o)), ReadHeaderTimeout: 10 * time.Second}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	go func() { _ = bare.Serve(ln) }()
	defer bare.Close()
	bareURL := "http://" + ln.Addr().String()

	orderBodies, skuBodies := benchBodies(t, s, 2000)
	hdr := http.Header{"X-Shopify-Access-Token": {"t"}, "Content-Type": {"application/json"}}
	cycle := func(make func(i int, tgt *vegeta.Target)) vegeta.Targeter {
		i := 0
		return func(tgt *vegeta.Target) error {
			make(i, tgt)
			i++
			return nil
		}
	}
	targets := []struct {
		name string
		tr   func() vegeta.Targeter
	}{
		{"graphql order(id)", func() vegeta.Targeter {
			return cycle(func(i int, t *vegeta.Target) {
				*t = vegeta.Target{Method: "POST", URL: url + "/admin/api/2026-10/graphql.json", Body: orderBodies[i%len(orderBodies)], Header: hdr}
			})
		}},
		{"graphql productVariants(sku)", func() vegeta.Targeter {
			return cycle(func(i int, t *vegeta.Target) {
				*t = vegeta.Target{Method: "POST", URL: url + "/admin/api/2026-10/graphql.json", Body: skuBodies[i%len(skuBodies)], Header: hdr}
			})
		}},
		{"rest orders/{id}.json", func() vegeta.Targeter {
			return cycle(func(i int, t *vegeta.Target) {
				*t = vegeta.Target{Method: "GET", URL: url + "/admin/api/2026-10/orders/" + strconv.FormatInt(ids[i%len(ids)], 10) + ".json", Header: hdr}
			})
		}},
		{"bare net/http JSON", func() vegeta.Targeter {
			return cycle(func(i int, t *vegeta.Target) {
				*t = vegeta.Target{Method: "POST", URL: bareURL + "/", Body: orderBodies[i%len(orderBodies)], Header: hdr}
			})
		}},
	}
	fmt.Printf("%-30s %7s %10s %8s %9s %9s %9s\n", "target", "rate", "throughput", "success", "p50", "p99", "max")
	for _, rate := range rates {
		for _, tg := range targets {
			atk := vegeta.NewAttacker(vegeta.MaxConnections(256), vegeta.Connections(256), vegeta.MaxWorkers(512), vegeta.Timeout(5*time.Second), vegeta.KeepAlive(true))
			var m vegeta.Metrics
			for res := range atk.Attack(tg.tr(), vegeta.Rate{Freq: rate, Per: time.Second}, time.Duration(secs)*time.Second, tg.name) {
				m.Add(res)
			}
			m.Close()
			fmt.Printf("%-30s %7d %10.0f %7.2f%% %9s %9s %9s\n", tg.name, rate, m.Throughput, m.Success*100,
				m.Latencies.P50.Round(10*time.Microsecond), m.Latencies.P99.Round(10*time.Microsecond), m.Latencies.Max.Round(100*time.Microsecond))
			time.Sleep(2 * time.Second) // let closed connections clear before the next step
		}
	}
}
