package queue_test

// Benchmarks against a real Redis (PEAKREADY_REDIS_URL, or a container), side by side
// with hibiken/asynq doing the same work on the same Redis in the same run:
//
//	PEAKREADY_REDIS_URL=redis://127.0.0.1:6379 go test -run '^$' \
//	    -bench 'Enqueue|Process|Memory' -benchtime 20000x ./integrator/queue
//
// Each reports msgs/s (or bytes per message). BenchmarkBacklog needs
// PEAKREADY_BACKLOG=<messages> (1000000 for the figure in the README).

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/hibiken/asynq"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
	"github.com/redis/go-redis/v9"
)

const (
	benchPayloadSize = 3 * 1024
	benchProducers   = 16
	benchWorkers     = 16
)

var benchPayload = []byte(strings.Repeat("x", benchPayloadSize))

// benchRedis returns a client on the benchmark Redis and a prefix cleaned up afterwards.
func benchRedis(b *testing.B) (*redis.Client, string) {
	url := redisservertest.URL(b)
	opt, err := redis.ParseURL(url)
	if err != nil {
		b.Fatal(err)
	}
	opt.PoolSize = 64
	rdb := redis.NewClient(opt)
	b.Cleanup(func() { _ = rdb.Close() })
	return rdb, redisservertest.KeyPrefix(b, url)
}

func benchQueue(b *testing.B, rdb *redis.Client, prefix string, opts ...queue.Option) *queue.Queue {
	q, err := queue.New(rdb, append([]queue.Option{queue.Prefix(prefix)}, opts...)...)
	if err != nil {
		b.Fatal(err)
	}
	return q
}

// parallel runs fn(i) for i in [0, n) on workers goroutines and returns the elapsed time.
func parallel(n, workers int, fn func(i int) error) (time.Duration, error) {
	var next atomic.Int64
	var firstErr atomic.Value
	var wg sync.WaitGroup
	start := time.Now()
	for range workers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= n {
					return
				}
				if err := fn(i); err != nil {
					firstErr.CompareAndSwap(nil, err)
					return
				}
			}
		})
	}
	wg.Wait()
	if err, _ := firstErr.Load().(error); err != nil {
		return 0, err
	}
	return time.Since(start), nil
}

func report(b *testing.B, n int, d time.Duration) {
	b.ReportMetric(float64(n)/d.Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEnqueue: 16 producers enqueue b.N 3 KB messages.
func BenchmarkEnqueue(b *testing.B) {
	b.Run("peakready/keys=10000", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		q := benchQueue(b, rdb, prefix)
		ctx := context.Background()
		b.ResetTimer()
		d, err := parallel(b.N, benchProducers, func(i int) error {
			_, err := q.Enqueue(ctx, queue.Message{Key: "order-" + strconv.Itoa(i%10000), Topic: "orders/create", Payload: benchPayload})
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		report(b, b.N, d)
	})
	b.Run("peakready/keys=10000/dedup", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		q := benchQueue(b, rdb, prefix)
		ctx := context.Background()
		b.ResetTimer()
		d, err := parallel(b.N, benchProducers, func(i int) error {
			_, err := q.Enqueue(ctx, queue.Message{Key: "order-" + strconv.Itoa(i%10000), Topic: "orders/create", Payload: benchPayload},
				queue.Dedup("webhook-"+strconv.Itoa(i), time.Hour))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		report(b, b.N, d)
	})
	b.Run("asynq", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		c := asynq.NewClientFromRedisClient(rdb)
		qname := prefix
		b.Cleanup(func() { deleteAsynqQueue(rdb, qname) })
		b.ResetTimer()
		d, err := parallel(b.N, benchProducers, func(i int) error {
			_, err := c.Enqueue(asynq.NewTask("orders/create", benchPayload), asynq.Queue(qname))
			return err
		})
		if err != nil {
			b.Fatal(err)
		}
		report(b, b.N, d)
	})
}

// fill enqueues n 3 KB messages over keys keys (pipelined 16 ways; not measured).
func fill(b *testing.B, q *queue.Queue, n, keys int) {
	ctx := context.Background()
	if _, err := parallel(n, benchProducers, func(i int) error {
		_, err := q.Enqueue(ctx, queue.Message{Key: "order-" + strconv.Itoa(i%keys), Topic: "orders/create", Payload: benchPayload})
		return err
	}); err != nil {
		b.Fatal(err)
	}
}

// processAll runs a Processor with a no-op handler until n messages were handled.
func processAll(b *testing.B, q *queue.Queue, n int) time.Duration {
	var handled atomic.Int64
	done := make(chan struct{})
	h := queue.HandlerFunc(func(context.Context, *queue.Message) error {
		if handled.Add(1) == int64(n) {
			close(done)
		}
		return nil
	})
	p := queue.NewProcessor(q, h, queue.Workers(benchWorkers), queue.WithLogger(quiet))
	ctx, cancel := context.WithCancel(context.Background())
	start := time.Now()
	errc := make(chan error, 1)
	go func() { errc <- p.Run(ctx) }()
	<-done
	d := time.Since(start)
	cancel()
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	return d
}

// BenchmarkProcess: 16 workers with a no-op handler drain b.N queued 3 KB messages.
func BenchmarkProcess(b *testing.B) {
	for _, keys := range []int{10000, 1} {
		b.Run(fmt.Sprintf("peakready/keys=%d", keys), func(b *testing.B) {
			rdb, prefix := benchRedis(b)
			q := benchQueue(b, rdb, prefix)
			fill(b, q, b.N, keys)
			b.ResetTimer()
			report(b, b.N, processAll(b, q, b.N))
		})
	}
	b.Run("asynq", func(b *testing.B) {
		rdb, prefix := benchRedis(b)
		qname := prefix
		b.Cleanup(func() { deleteAsynqQueue(rdb, qname) })
		c := asynq.NewClientFromRedisClient(rdb)
		if _, err := parallel(b.N, benchProducers, func(int) error {
			_, err := c.Enqueue(asynq.NewTask("orders/create", benchPayload), asynq.Queue(qname))
			return err
		}); err != nil {
			b.Fatal(err)
		}
		var handled atomic.Int64
		done := make(chan struct{})
		n := int64(b.N)
		srv := asynq.NewServerFromRedisClient(rdb, asynq.Config{
			Concurrency: benchWorkers, Queues: map[string]int{qname: 1}, LogLevel: asynq.FatalLevel,
		})
		b.ResetTimer()
		start := time.Now()
		if err := srv.Start(asynq.HandlerFunc(func(context.Context, *asynq.Task) error {
			if handled.Add(1) == n {
				close(done)
			}
			return nil
		})); err != nil {
			b.Fatal(err)
		}
		<-done
		d := time.Since(start)
		b.StopTimer()
		srv.Shutdown()
		report(b, b.N, d)
	})
}

func deleteAsynqQueue(rdb *redis.Client, qname string) {
	ctx := context.Background()
	iter := rdb.Scan(ctx, 0, "asynq:{"+qname+"}*", 1000).Iterator()
	for iter.Next(ctx) {
		rdb.Unlink(ctx, iter.Val())
	}
	rdb.SRem(ctx, "asynq:queues", qname)
}

func usedMemory(b *testing.B, rdb *redis.Client) int64 {
	info, err := rdb.Info(context.Background(), "memory").Result()
	if err != nil {
		b.Fatal(err)
	}
	for _, line := range strings.Split(info, "\r\n") {
		if v, ok := strings.CutPrefix(line, "used_memory:"); ok {
			n, _ := strconv.ParseInt(v, 10, 64)
			return n
		}
	}
	b.Fatal("no used_memory in INFO")
	return 0
}

// BenchmarkMemoryPerMessage: Redis memory per queued 3 KB message beyond its payload
// (INFO used_memory before and after b.N messages; the Redis must be otherwise idle).
func BenchmarkMemoryPerMessage(b *testing.B) {
	measure := func(b *testing.B, enqueue func(n int)) {
		rdb, _ := benchRedis(b)
		before := usedMemory(b, rdb)
		enqueue(b.N)
		after := usedMemory(b, rdb)
		per := float64(after-before) / float64(b.N)
		b.ReportMetric(per, "B/msg")
		b.ReportMetric(per-benchPayloadSize, "B/msg-beyond-payload")
		b.ReportMetric(0, "ns/op")
	}
	for _, keys := range []int{0, 100} { // 0: one message per key
		b.Run(fmt.Sprintf("peakready/msgs-per-key=%d", max(keys, 1)), func(b *testing.B) {
			measure(b, func(n int) {
				rdb, prefix := benchRedis(b)
				q := benchQueue(b, rdb, prefix)
				k := n
				if keys > 0 {
					k = max(n/keys, 1)
				}
				fill(b, q, n, k)
			})
		})
	}
	b.Run("asynq", func(b *testing.B) {
		measure(b, func(n int) {
			rdb, prefix := benchRedis(b)
			b.Cleanup(func() { deleteAsynqQueue(rdb, prefix) })
			c := asynq.NewClientFromRedisClient(rdb)
			if _, err := parallel(n, benchProducers, func(int) error {
				_, err := c.Enqueue(asynq.NewTask("orders/create", benchPayload), asynq.Queue(prefix))
				return err
			}); err != nil {
				b.Fatal(err)
			}
		})
	})
}

// rssMB is the process's resident set and its peak, from /proc (Linux).
func rssMB() (cur, peak float64) {
	data, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1, -1
	}
	for _, line := range strings.Split(string(data), "\n") {
		f := strings.Fields(line)
		if len(f) < 2 {
			continue
		}
		kb, _ := strconv.ParseFloat(f[1], 64)
		switch f[0] {
		case "VmRSS:":
			cur = kb / 1024
		case "VmHWM:":
			peak = kb / 1024
		}
	}
	return cur, peak
}

// BenchmarkBacklog: PEAKREADY_BACKLOG messages (1 KB, 10,000 keys) are queued, then a
// 16-worker Processor drains them; the Go process's RSS stays flat because the backlog
// lives in Redis. Reports peak RSS and drain rate.
func BenchmarkBacklog(b *testing.B) {
	n, _ := strconv.Atoi(os.Getenv("PEAKREADY_BACKLOG"))
	if n <= 0 {
		b.Skip("set PEAKREADY_BACKLOG=<messages> to run")
	}
	rdb, prefix := benchRedis(b)
	q := benchQueue(b, rdb, prefix)
	payload := benchPayload[:1024]
	ctx := context.Background()
	start := time.Now()
	if _, err := parallel(n, benchProducers, func(i int) error {
		_, err := q.Enqueue(ctx, queue.Message{Key: "order-" + strconv.Itoa(i%10000), Payload: payload})
		return err
	}); err != nil {
		b.Fatal(err)
	}
	enqueued := time.Since(start)
	runtime.GC()
	rssQueued, _ := rssMB()
	s, err := q.Stats(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.Logf("%d queued in %v; Stats: %d messages, oldest %v; RSS %.0f MB", n, enqueued.Round(time.Millisecond), s.Messages, s.OldestMessageAge.Round(time.Millisecond), rssQueued)

	var peakDuring atomic.Int64
	stopSampling := make(chan struct{})
	var sampler sync.WaitGroup
	sampler.Go(func() {
		t := time.NewTicker(100 * time.Millisecond)
		defer t.Stop()
		for {
			select {
			case <-stopSampling:
				return
			case <-t.C:
				if cur, _ := rssMB(); int64(cur) > peakDuring.Load() {
					peakDuring.Store(int64(cur))
				}
			}
		}
	})
	d := processAll(b, q, n)
	close(stopSampling)
	sampler.Wait()
	_, peak := rssMB()
	b.Logf("drained %d in %v (%.0f msgs/s); RSS while draining ≤ %d MB; process peak RSS %.0f MB", n, d.Round(time.Millisecond), float64(n)/d.Seconds(), peakDuring.Load(), peak)
	b.ReportMetric(float64(peakDuring.Load()), "MB-RSS-draining")
	b.ReportMetric(peak, "MB-peak-RSS")
	b.ReportMetric(float64(n)/d.Seconds(), "msgs/s")
	b.ReportMetric(0, "ns/op")
}
