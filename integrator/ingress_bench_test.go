package integrator_test

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
)

// BenchmarkIngressVsBare finds, in one run against one real Redis, the highest webhook
// rate (3 KB signed order payloads) that the integrator's ingress acknowledges with 100%
// success and p99 under 50 ms, and the same for a bare net/http handler that verifies the
// HMAC and does one XADD. Run it once: go test -run '^$' -bench IngressVsBare -benchtime 1x
// ./integrator/ (with PEAKREADY_REDIS_URL or Docker). It reports both rates and their ratio.
func BenchmarkIngressVsBare(b *testing.B) {
	url := redisservertest.URL(b)
	opt, err := redis.ParseURL(url)
	require.NoError(b, err)
	rdb := redis.NewClient(opt)
	defer rdb.Close()
	prefix := "bench-ingress-" + strconv.FormatInt(time.Now().UnixNano(), 36)
	app, err := integrator.New(integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret,
		NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: "unused"})
	require.NoError(b, err)
	defer app.Close()
	ours := httptest.NewServer(app.Handler())
	defer ours.Close()
	stream := prefix + ":bare"
	bare := httptest.NewServer(bareHandler(rdb, stream))
	defer bare.Close()
	defer rdb.Del(context.Background(), stream)

	bodies := benchPayloads(1000)
	for i := 0; i < b.N; i++ {
		oursRate, oursP99 := maxRate(b, ours.URL+"/webhooks/shopify", bodies)
		bareRate, bareP99 := maxRate(b, bare.URL, bodies)
		b.ReportMetric(oursRate, "ingress-req/s")
		b.ReportMetric(float64(oursP99.Microseconds())/1000, "ingress-p99-ms")
		b.ReportMetric(bareRate, "bare-req/s")
		b.ReportMetric(float64(bareP99.Microseconds())/1000, "bare-p99-ms")
		if bareRate > 0 {
			b.ReportMetric(oursRate/bareRate, "ratio")
		}
	}
}

type signedBody struct {
	body []byte
	hmac string
}

// benchPayloads are 3 KB order payloads for n orders, signed.
func benchPayloads(n int) []signedBody {
	out := make([]signedBody, n)
	for i := range out {
		var sb strings.Builder
		fmt.Fprintf(&sb, `{"id":%d,"admin_graphql_api_id":"gid://shopify/Order/%d","name":"#%d","updated_at":"2026-11-27T09:00:00-05:00","financial_status":"paid","line_items":[`,
			820982911946154508+int64(i), 820982911946154508+int64(i), 1000+i)
		for l := 0; sb.Len() < 2900; l++ {
			if l > 0 {
				sb.WriteByte(',')
			}
			fmt.Fprintf(&sb, `{"id":%d,"sku":"SKU-%04d","quantity":1,"price":"19.99","title":"Merino crew sock, charcoal"}`, 1000*i+l, l)
		}
		sb.WriteString(`]}`)
		body := []byte(sb.String())
		mac := hmac.New(sha256.New, []byte(secret))
		mac.Write(body)
		out[i] = signedBody{body: body, hmac: base64.StdEncoding.EncodeToString(mac.Sum(nil))}
	}
	return out
}

// bareHandler is the floor: verify the HMAC, one XADD, 200.
func bareHandler(rdb *redis.Client, stream string) http.Handler {
	key := []byte(secret)
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err != nil {
			w.WriteHeader(http.StatusBadRequest)
			return
		}
		mac := hmac.New(sha256.New, key)
		mac.Write(body)
		got, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Shopify-Hmac-Sha256"))
		if !hmac.Equal(got, mac.Sum(nil)) {
			w.WriteHeader(http.StatusUnauthorized)
			return
		}
		if err := rdb.XAdd(r.Context(), &redis.XAddArgs{Stream: stream, Values: []any{"b", body}}).Err(); err != nil {
			w.WriteHeader(http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusOK)
	})
}

// maxRate steps the request rate up until a step fails (any non-200, or p99 ≥ 50 ms),
// and returns the highest rate that passed with its p99.
func maxRate(b *testing.B, url string, bodies []signedBody) (float64, time.Duration) {
	var seq atomic.Uint64
	targets := func(t *vegeta.Target) error {
		n := seq.Add(1)
		sb := bodies[n%uint64(len(bodies))]
		t.Method, t.URL, t.Body = http.MethodPost, url, sb.body
		t.Header = http.Header{
			"Content-Type":          {"application/json"},
			"X-Shopify-Topic":       {"orders/create"},
			"X-Shopify-Hmac-Sha256": {sb.hmac},
			"X-Shopify-Shop-Domain": {"peakready-demo.myshopify.com"},
			"X-Shopify-Webhook-Id":  {"bench-" + strconv.FormatUint(n, 10) + "-" + strconv.FormatInt(time.Now().UnixNano(), 36)},
		}
		return nil
	}
	best, bestP99 := 0.0, time.Duration(0)
	// Steps of 100 up to 1,000 (a Redis that fsyncs every write may not go further), then
	// of 500.
	for rate := 100; rate <= 40000; rate += max(100, 500*(rate/1000)) {
		atk := vegeta.NewAttacker(vegeta.Workers(32), vegeta.MaxWorkers(2000), vegeta.KeepAlive(true))
		var m vegeta.Metrics
		for r := range atk.Attack(targets, vegeta.Rate{Freq: rate, Per: time.Second}, 2*time.Second, "step") {
			m.Add(r)
		}
		m.Close()
		if m.Success < 1 || m.Latencies.P99 >= 50*time.Millisecond {
			break
		}
		best, bestP99 = m.Throughput, m.Latencies.P99
	}
	return best, bestP99
}

// BenchmarkIngressAppendFsync measures, side by side in one run, the highest webhook rate
// the ingress acknowledges (100% success, p99 under 50 ms) on a Redis with AOF and
// appendfsync everysec and on one with appendfsync always: the price of losing nothing
// even to a power cut. Each Redis is a redis-server of its own with its files on disk.
// Run: go test -run '^$' -bench IngressAppendFsync -benchtime 1x ./integrator/
func BenchmarkIngressAppendFsync(b *testing.B) {
	bodies := benchPayloads(1000)
	targets := map[string]string{}
	for _, fsync := range []string{"everysec", "always"} {
		rdb := redisServer(b, "--appendonly", "yes", "--appendfsync", fsync, "--auto-aof-rewrite-percentage", "0")
		app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: "http://127.0.0.1:1",
			NetSuiteToken: "unused", RedisDurability: integrator.DurabilityRequired})
		require.NoError(b, err)
		require.NoError(b, app.CheckRedisDurability(context.Background()))
		srv := httptest.NewServer(app.Handler())
		b.Cleanup(func() { srv.Close(); app.Close() })
		targets[fsync] = srv.URL + "/webhooks/shopify"
	}
	for i := 0; i < b.N; i++ {
		everyRate, everyP99 := maxRate(b, targets["everysec"], bodies)
		alwaysRate, alwaysP99 := maxRate(b, targets["always"], bodies)
		b.ReportMetric(everyRate, "everysec-req/s")
		b.ReportMetric(float64(everyP99.Microseconds())/1000, "everysec-p99-ms")
		b.ReportMetric(alwaysRate, "always-req/s")
		b.ReportMetric(float64(alwaysP99.Microseconds())/1000, "always-p99-ms")
		if everyRate > 0 {
			b.ReportMetric(alwaysRate/everyRate, "always/everysec")
		}
	}
}
