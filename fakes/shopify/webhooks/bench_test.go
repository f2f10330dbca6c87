package webhooks

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

// payload3KB is an order-sized JSON body.
func payload3KB(i int) []byte {
	var b bytes.Buffer
	b.WriteString(`{"id":`)
	b.WriteString(strconv.Itoa(820982911946154508 + i))
	b.WriteString(`,"note":"`)
	for b.Len() < 3*1024-2 {
		b.WriteByte('x')
	}
	b.WriteString(`"}`)
	return b.Bytes()
}

// BenchmarkDeliver3KB measures deliveries per second of 3 KB payloads to a trivial
// receiver over real HTTP on loopback (keep-alive), with the default worker pool. The
// receiver runs in the same process, so allocs/op include its side of each request.
func BenchmarkDeliver3KB(b *testing.B) {
	for _, workers := range []int{64, DefaultWorkers} {
		b.Run("workers="+strconv.Itoa(workers), func(b *testing.B) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				_, _ = io.Copy(io.Discard, r.Body)
				w.WriteHeader(http.StatusOK)
			}))
			defer srv.Close()
			benchDeliver(b, Config{Workers: workers}, srv.URL)
		})
	}
}

// BenchmarkDeliver3KBInProcess isolates the deliverer's own cost: the receiver is an
// in-process handler called directly, no sockets.
func BenchmarkDeliver3KBInProcess(b *testing.B) {
	benchDeliver(b, Config{Workers: 4, Transport: syncTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {})}}, "http://receiver.test/")
}

func benchDeliver(b *testing.B, cfg Config, url string) {
	cfg.Clock = clock.Real()
	cfg.AttemptLogSize = -1
	d, err := New(cfg)
	require.NoError(b, err)
	defer d.Close()
	_, err = d.Subscribe(Subscription{Topic: "orders/create", URL: url})
	require.NoError(b, err)
	body := payload3KB(0)
	b.SetBytes(int64(len(body)))
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	for i := range b.N {
		d.Publish(Event{Topic: "orders/create", ResourceID: int64(i), Payload: body})
	}
	require.NoError(b, d.Drain(context.Background()))
	elapsed := time.Since(start)
	b.StopTimer()
	st := d.Stats()
	require.Equal(b, int64(b.N), st.Succeeded, "every delivery succeeds")
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
	b.ReportMetric(st.AckLatencyP99MS, "p99-ack-ms")
}

// TestMillionEventRunStaysBounded publishes 1,000,000 events with distinct 3 KB payloads
// through a fast in-process receiver with 10% of deliveries held back and 10%
// duplicated, and checks the live heap stays bounded: payloads are not retained once
// delivered, and pending work never exceeds MaxPending.
func TestMillionEventRunStaysBounded(t *testing.T) {
	if testing.Short() || raceEnabled {
		t.Skip("a million events: skipped with -short and -race")
	}
	// Not parallel: it measures the process's heap, so it runs while parallel tests wait.
	const events, maxPending = 1_000_000, 20_000
	d, err := New(Config{
		Clock: clock.Real(), Seed: 3, Workers: 8, MaxPending: maxPending, PublishWait: time.Minute,
		Transport: syncTransport{http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})},
		Faults:    Faults{ReorderShare: 0.1, ReorderWindow: 50 * time.Millisecond, DuplicateShare: 0.1, DuplicateDelay: mustDist("uniform(1ms,20ms)")},
	})
	require.NoError(t, err)
	defer d.Close()
	subscribe(t, d, "orders/create", "http://receiver.test/")

	heap := func() uint64 {
		runtime.GC()
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		return ms.HeapAlloc
	}
	base := heap()
	var peak uint64
	var maxSeen int64
	for i := range events {
		d.Publish(Event{Topic: "orders/create", ResourceID: int64(i), Payload: payload3KB(i)})
		if i%1000 == 999 {
			maxSeen = max(maxSeen, d.Stats().Pending)
		}
		if i%100_000 == 99_999 {
			peak = max(peak, heap())
		}
	}
	require.NoError(t, d.Drain(context.Background()))
	after := heap()
	st := d.Stats()
	t.Logf("heap: base %d MiB, peak %d MiB, after drain %d MiB; sent %d, duplicates %d, max pending seen %d",
		base>>20, peak>>20, after>>20, st.Sent, st.DuplicatesSent, maxSeen)
	assert.Equal(t, int64(events)+st.DuplicatesSent, st.Succeeded)
	assert.Zero(t, st.Overflowed)
	assert.LessOrEqual(t, maxSeen, int64(maxPending))
	// MaxPending deliveries of 3 KB each is about 60 MiB of payload at most.
	assert.Less(t, peak-min(peak, base), uint64(160<<20), "the heap stays bounded")
	// What stays is the attempt log: 100,000 attempts of about 350 bytes with their ids.
	assert.Less(t, after-min(after, base), uint64(48<<20), "nothing but the bounded attempt log is retained once drained")
}

func mustDist(spec string) latencyDistribution {
	d, err := parseDist(spec)
	if err != nil {
		panic(err)
	}
	return d
}
