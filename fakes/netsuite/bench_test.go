package netsuite

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/limits"
)

// benchOptions are the fake's settings for throughput measurements: limits on (a
// concurrency gate far above the load), no latency, no fulfilments.
func benchOptions() Options {
	return Options{
		Clock: clock.Real(), Seed: 7, CatalogSize: 200,
		Limits: Limits{Concurrency: 1_000_000, Latency: "0", ReadLatency: "0", FulfillAfter: "off"},
	}
}

// benchOrder is the sales order body the benchmarks post: a realistic integrator order
// with three lines, an address and custom fields.
func benchOrder(cat catalog.Catalog) []byte {
	lines := make([]string, 3)
	for i := range lines {
		lines[i] = `{"item":{"externalId":"` + cat.Items[i].SKU + `"},"quantity":` + strconv.Itoa(i+1) + `,"rate":` + cat.Items[i].Price() + `}`
	}
	return []byte(`{"otherRefNum":"#1001","memo":"web order","custbody_shopify_order_id":"5012345678901",` +
		`"custbody_shopify_updated_at":"2026-11-27T09:00:00Z","custbody_payment_txn_ids":"ch_3Nf,ch_3Ng",` +
		`"shippingAddress":{"addr1":"1 Main St","city":"Los Angeles","state":"CA","zip":"90001","country":"US"},` +
		`"item":{"items":[` + strings.Join(lines, ",") + `]}}`)
}

// bareOrder and bareItem are what the bare handler decodes and encodes: the same JSON
// work as the fake, with no limits, validation, ledger or state beyond a map.
type bareOrder struct {
	OtherRefNum string            `json:"otherRefNum"`
	Memo        string            `json:"memo"`
	ShopifyID   string            `json:"custbody_shopify_order_id"`
	UpdatedAt   string            `json:"custbody_shopify_updated_at"`
	Payments    string            `json:"custbody_payment_txn_ids"`
	Ship        map[string]string `json:"shippingAddress"`
	Item        struct {
		Items []struct {
			Item     map[string]string `json:"item"`
			Quantity int               `json:"quantity"`
			Rate     float64           `json:"rate"`
		} `json:"items"`
	} `json:"item"`
}

type bareLocation struct {
	Location            refView `json:"location"`
	QuantityOnHand      int64   `json:"quantityOnHand"`
	QuantityAvailable   int64   `json:"quantityAvailable"`
	QuantityCommitted   int64   `json:"quantityCommitted"`
	QuantityBackOrdered int64   `json:"quantityBackOrdered"`
}

type bareItem struct {
	Links       []link         `json:"links"`
	ID          string         `json:"id"`
	ItemID      string         `json:"itemId"`
	DisplayName string         `json:"displayName"`
	BasePrice   amount         `json:"basePrice"`
	Locations   []bareLocation `json:"locations"`
}

// bareHandler is the baseline: plain net/http doing the same JSON work per request.
func bareHandler(cat catalog.Catalog) http.Handler {
	var mu sync.Mutex
	next := int64(10001)
	items := map[string]catalog.Item{}
	for i, it := range cat.Items {
		items[strconv.Itoa(1001+i)] = it
	}
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.Method {
		case http.MethodGet:
			id := r.URL.Path[strings.LastIndexByte(r.URL.Path, '/')+1:]
			mu.Lock()
			it, ok := items[id]
			mu.Unlock()
			if !ok {
				http.NotFound(w, r)
				return
			}
			v := bareItem{Links: selfLinks("http://" + r.Host + r.URL.Path), ID: id, ItemID: it.SKU, DisplayName: it.Title, BasePrice: amount(it.PriceCents)}
			for i, q := range it.Stock {
				v.Locations = append(v.Locations, bareLocation{Location: refView{ID: strconv.Itoa(i + 1), RefName: cat.Locations[i].Name}, QuantityOnHand: int64(q), QuantityAvailable: int64(q)})
			}
			b, _ := json.Marshal(v)
			w.Header().Set("Content-Type", "application/json")
			_, _ = w.Write(b)
		case http.MethodPost:
			body, _ := io.ReadAll(r.Body)
			var o bareOrder
			if err := json.Unmarshal(body, &o); err != nil {
				http.Error(w, "bad", http.StatusBadRequest)
				return
			}
			mu.Lock()
			id := next
			next++
			mu.Unlock()
			w.Header().Set("Location", "http://"+r.Host+"/services/rest/record/v1/salesOrder/"+strconv.FormatInt(id, 10))
			w.WriteHeader(http.StatusNoContent)
		}
	})
}

func newBenchServer(b *testing.B) *Server {
	b.Helper()
	srv, err := New(benchOptions())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = srv.Close() })
	return srv
}

// serveLoop runs requests through h in-process (no network), in parallel.
func serveLoop(b *testing.B, h http.Handler, method, path string, body []byte, want int) {
	b.Helper()
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			var rd io.Reader = http.NoBody
			if body != nil {
				rd = bytes.NewReader(body)
			}
			req := httptest.NewRequest(method, path, rd)
			req.Header.Set("Authorization", "Bearer bench")
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != want {
				b.Fatalf("status %d: %s", rec.Code, rec.Body.String())
			}
		}
	})
}

func BenchmarkGetInventoryItem(b *testing.B) {
	srv := newBenchServer(b)
	b.Run("fake", func(b *testing.B) { serveLoop(b, srv.Handler(), http.MethodGet, itemPath+"/1001", nil, http.StatusOK) })
	b.Run("bare", func(b *testing.B) {
		serveLoop(b, bareHandler(srv.seeded), http.MethodGet, itemPath+"/1001", nil, http.StatusOK)
	})
}

func BenchmarkPostSalesOrder(b *testing.B) {
	srv := newBenchServer(b)
	body := benchOrder(srv.seeded)
	b.Run("fake", func(b *testing.B) { serveLoop(b, srv.Handler(), http.MethodPost, soPath, body, http.StatusNoContent) })
	b.Run("bare", func(b *testing.B) {
		serveLoop(b, bareHandler(srv.seeded), http.MethodPost, soPath, body, http.StatusNoContent)
	})
}

// BenchmarkConcurrencyGate is the per-request cost of the account governance model:
// admit and release one request.
func BenchmarkConcurrencyGate(b *testing.B) {
	g := limits.NewConcurrencyGate(1_000_000)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			release, ok := g.TryAcquire()
			if !ok {
				b.Fatal("refused")
			}
			release()
		}
	})
}

// BenchmarkAdmission is the governance path of a request as the fake runs it: settings
// load, gate admission, release.
func BenchmarkAdmission(b *testing.B) {
	srv := newBenchServer(b)
	req := httptest.NewRequest(http.MethodGet, itemPath, nil)
	w := httptest.NewRecorder()
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		release, ok := srv.admit(w, req, srv.settings.Load())
		if !ok {
			b.Fatal("refused")
		}
		release()
	}
}

func BenchmarkDecodeSalesOrder(b *testing.B) {
	body := benchOrder(catalog.Generate(7, 10, 2))
	b.ReportAllocs()
	b.SetBytes(int64(len(body)))
	for range b.N {
		if _, e := decodeSalesOrder(body, false); e != nil {
			b.Fatal(e)
		}
	}
}

func BenchmarkParseQuery(b *testing.B) {
	const q = `lastModifiedDate ON_OR_AFTER "2026-11-27T10:00:00Z" AND externalId IS "5012345678901"`
	b.ReportAllocs()
	for range b.N {
		parsed, err := ParseQuery(q)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := compileQuery(RecordSalesOrder, parsed); err != nil {
			b.Fatal(err)
		}
	}
}
