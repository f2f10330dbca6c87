package store

import (
	"os"
	"runtime"
	"strconv"
	"testing"

	"github.com/peakready/peakready/clock"
)

// BenchmarkGenerateOrders measures order generation: each order is a checkout (customer,
// lines, payment, stock, payloads rendered and hashed) plus its fraud analysis.
func BenchmarkGenerateOrders(b *testing.B) {
	s, err := New(Config{Seed: 1, Clock: clock.NewManual(epoch)})
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	b.ResetTimer()
	if _, err := s.GenerateOrders(b.N, nil); err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "orders/s")
}

// BenchmarkOrderSnapshotAndPayload is the cost of rendering one stored order as its REST
// payload (what every read and every webhook pays).
func BenchmarkOrderSnapshotAndPayload(b *testing.B) {
	s, err := New(Config{Seed: 1, Clock: clock.NewManual(epoch)})
	if err != nil {
		b.Fatal(err)
	}
	bt, _ := s.GenerateOrders(1000, nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		o, _ := s.Order(bt.Orders[i%len(bt.Orders)])
		_ = marshal(s.OrderJSON(&o))
	}
}

// TestMemoryPerOrder stores PEAKREADY_MEMORY_ORDERS orders (default 100,000; set it to
// run this measurement, which takes a few seconds) and reports the heap they hold: the
// store's compact orders, versions, customers and the event log together.
func TestMemoryPerOrder(t *testing.T) {
	v := os.Getenv("PEAKREADY_MEMORY_ORDERS")
	if v == "" {
		t.Skip("set PEAKREADY_MEMORY_ORDERS=100000 to measure memory per stored order")
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < 1 {
		t.Fatalf("PEAKREADY_MEMORY_ORDERS=%q is not a positive integer", v)
	}
	heap := func() uint64 {
		runtime.GC()
		runtime.GC()
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		return m.HeapAlloc
	}
	s, err := New(Config{Seed: 1, Clock: clock.NewManual(epoch)})
	if err != nil {
		t.Fatal(err)
	}
	before := heap()
	if _, err := s.GenerateOrders(n, nil); err != nil {
		t.Fatal(err)
	}
	// Half the orders change once more (a tag), as a busy day's orders do.
	for i, id := range s.OrderIDs() {
		if i%2 == 0 {
			if _, err := s.TagOrder(id, []string{"synced"}, nil); err != nil {
				t.Fatal(err)
			}
		}
	}
	after := heap()
	orders, customers, events := s.Counts()
	per := float64(after-before) / float64(orders)
	t.Logf("%d orders, %d customers, %d events: %.0f MiB held, %.0f bytes per order (events %.1f per order); 1,000,000 orders ≈ %.0f MiB",
		orders, customers, events, float64(after-before)/(1<<20), per, float64(events)/float64(orders), per*1e6/(1<<20))
	runtime.KeepAlive(s)
}

// BenchmarkListOrdersByUpdatedAt is one reconciliation page over 100,000 orders: a scan
// with a filter, keeping the page in a bounded heap.
func BenchmarkListOrdersByUpdatedAt(b *testing.B) {
	s, err := New(Config{Seed: 1, Clock: clock.NewManual(epoch)})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := s.GenerateOrders(100_000, nil); err != nil {
		b.Fatal(err)
	}
	cut := epoch.Unix() - 1
	filter := func(r *OrderRow) bool { return r.UpdatedAt > cut && r.Financial == "paid" }
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		p := s.ListOrders(filter, SortByUpdatedAt, PageRequest{First: 50})
		if len(p.Orders) != 50 {
			b.Fatal(len(p.Orders))
		}
	}
}
