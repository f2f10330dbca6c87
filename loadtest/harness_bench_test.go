package loadtest

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// BenchmarkHarnessDeliveries drives the whole harness (vegeta's attacker, the store, the
// signing deliverer) against a receiver that answers 200 at once, and reports webhook
// deliveries per second of wall time: the rate at which the harness itself would become
// the bottleneck. Each new order fires orders/create and, when paid, orders/paid.
func BenchmarkHarnessDeliveries(b *testing.B) {
	recv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.Copy(io.Discard, r.Body)
		w.WriteHeader(http.StatusOK)
	}))
	defer recv.Close()
	var subs []webhooks.Subscription
	for _, t := range []string{"orders/create", "orders/paid", "orders/updated", "orders/cancelled"} {
		subs = append(subs, webhooks.Subscription{Topic: t, URL: recv.URL})
	}
	d, err := webhooks.New(webhooks.Config{Seed: 1, ClientSecret: "bench-secret", Subscriptions: subs, AttemptLogSize: -1})
	require.NoError(b, err)
	defer d.Close()
	s, err := store.New(store.Config{Seed: 1, CatalogSize: 200, Customers: 1000, Sink: d})
	require.NoError(b, err)
	e, err := New(Config{Store: s, Seed: 1})
	require.NoError(b, err)
	e.cfg.Workers = 16

	b.ResetTimer()
	began := time.Now()
	_, err = e.Attack(context.Background(), Phase{Name: "bench", Pacer: countPacer{n: uint64(b.N)}})
	require.NoError(b, err)
	require.NoError(b, d.Drain(context.Background()))
	wall := time.Since(began)
	st := d.Stats()
	b.ReportMetric(float64(st.Sent)/wall.Seconds(), "deliveries/s")
	b.ReportMetric(float64(st.Failed), "failed")
}

// BenchmarkHarnessMemoryPerOrder places b.N orders through the engine (run it with
// -benchtime=1000000x) and reports the heap the harness keeps per order: the store's
// ground truth (every order and its versions) plus the engine's index.
func BenchmarkHarnessMemoryPerOrder(b *testing.B) {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	s, err := store.New(store.Config{Seed: 1, CatalogSize: 200, Customers: 1000})
	require.NoError(b, err)
	e, err := New(Config{Store: s, Seed: 1, Mix: ActionMix{NewOrder: 1}})
	require.NoError(b, err)
	b.ResetTimer()
	_, err = e.Attack(context.Background(), Phase{Name: "bench", Pacer: countPacer{n: uint64(b.N)}})
	require.NoError(b, err)
	b.StopTimer()
	runtime.GC()
	runtime.ReadMemStats(&after)
	orders, _, _ := s.Counts()
	b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(orders), "heap-B/order")
	b.ReportMetric(float64(e.Index().Bytes)/float64(orders), "index-B/order")
	runtime.KeepAlive(s)
	runtime.KeepAlive(e)
}
