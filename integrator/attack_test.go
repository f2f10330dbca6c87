package integrator_test

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator"
)

// A thousand slow unauthenticated connections, each announcing a 2 MiB body and sending
// one byte, cost the replica neither memory nor responsiveness: its heap stays far under
// what the bodies announce (2 GB), and /healthz still answers at once.
func TestSlowUnsignedConnectionsCostNeitherMemoryNorHealth(t *testing.T) {
	if testing.Short() {
		t.Skip("opens 1,000 connections; skipped with -short")
	}
	const conns = 1000
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: nsToken,
		WebhookBodyTimeout: time.Minute})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ctx, cancel := context.WithCancel(context.Background())
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()
	defer func() {
		cancel()
		<-served
	}()

	var before runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)

	// Half carry no signature, half a well-formed but wrong one (which passes the shape
	// check and waits for its body).
	wrong := strings.Repeat("A", 43) + "="
	open := make([]net.Conn, 0, conns)
	defer func() {
		for _, c := range open {
			c.Close()
		}
	}()
	for i := range conns {
		c, err := net.Dial("tcp", addr)
		require.NoError(t, err)
		open = append(open, c)
		sig := ""
		if i%2 == 1 {
			sig = "X-Shopify-Hmac-Sha256: " + wrong + "\r\n"
		}
		_, err = fmt.Fprintf(c, "POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
			"X-Shopify-Topic: orders/create\r\nX-Shopify-Webhook-Id: a-%d\r\nX-Shopify-Shop-Domain: s.myshopify.com\r\n%s"+
			"Content-Length: %d\r\n\r\n{", i, sig, 2<<20)
		require.NoError(t, err)
	}

	client := &http.Client{Timeout: 5 * time.Second}
	best := time.Hour
	for range 5 {
		start := time.Now()
		resp, err := client.Get("http://" + addr + "/healthz")
		require.NoError(t, err)
		resp.Body.Close()
		require.Equal(t, http.StatusOK, resp.StatusCode)
		best = min(best, time.Since(start))
	}
	var after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&after)
	grown := int64(after.HeapInuse) - int64(before.HeapInuse)
	t.Logf("%d slow connections: heap in use grew %.1f MB; /healthz best of 5 %s", conns, float64(grown)/(1<<20), best)
	assert.Less(t, grown, int64(64<<20), "heap growth under the attack")
	assert.Less(t, best, 50*time.Millisecond, "/healthz under the attack")
}
