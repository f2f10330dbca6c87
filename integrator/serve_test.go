package integrator_test

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator"
)

// Serve's shutdown is ordered: a webhook whose body is still arriving when shutdown
// begins is answered 200 and queued (or synced), new connections are refused, and Serve
// returns nil once the workers have stopped.
func TestServeFinishesWebhooksInFlightThenStops(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnv(t, envOptions{replicas: -1, rdb: rdb})
	app, err := integrator.New(integrator.Config{Redis: rdb, Prefix: e.prefix, WebhookSecret: secret,
		NetSuiteURL: e.nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, AdminToken: admin, Workers: 2})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	served := make(chan error, 1)
	go func() { served <- app.Serve(ctx, ln) }()

	body := order{ID: 4242, Version: 1, Lines: map[string]int{sku(0): 1}}.payload()
	conn, err := net.Dial("tcp", ln.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	// A first request on the connection proves the server has accepted it and waits for
	// the next one.
	br := bufio.NewReader(conn)
	_, err = conn.Write([]byte("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"))
	require.NoError(t, err)
	hz, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, hz.Body)
	hz.Body.Close()
	head := fmt.Sprintf("POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"+
		"X-Shopify-Topic: orders/create\r\nX-Shopify-Hmac-Sha256: %s\r\nX-Shopify-Webhook-Id: serve-1\r\n"+
		"X-Shopify-Shop-Domain: peakready-demo.myshopify.com\r\nContent-Length: %d\r\n\r\n", sign(body), len(body))
	_, err = conn.Write(append([]byte(head), body[:10]...))
	require.NoError(t, err)
	// The waiting server reads the headers as they arrive; give it a moment to do so.
	time.Sleep(50 * time.Millisecond)

	cancel() // shutdown begins while the body is still arriving
	require.Eventually(t, func() bool {
		c, err := net.DialTimeout("tcp", ln.Addr().String(), 100*time.Millisecond)
		if err == nil {
			c.Close()
		}
		return err != nil
	}, 5*time.Second, 10*time.Millisecond, "the listener closes at once")

	_, err = conn.Write(body[10:])
	require.NoError(t, err)
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode, "the webhook in flight is answered")

	select {
	case err := <-served:
		require.NoError(t, err)
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return after its context ended")
	}
	st, err := app.QueueStats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(1), st.Messages+e.recordsFor(4242), "the answered webhook is queued or synced, once")
	app.Close() // Serve closed it already; a second Close does nothing
}

// Serve reports a server that cannot serve, after stopping the workers.
func TestServeReturnsTheErrorThatStoppedIt(t *testing.T) {
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	app, err := integrator.New(integrator.Config{Redis: rdb, WebhookSecret: secret, NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: nsToken})
	require.NoError(t, err)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, ln.Close()) // Serve gets a listener that is already closed
	done := make(chan error, 1)
	go func() { done <- app.Serve(context.Background(), ln) }()
	select {
	case err := <-done:
		require.Error(t, err)
		assert.True(t, strings.Contains(err.Error(), "http server"), err.Error())
	case <-time.After(20 * time.Second):
		t.Fatal("Serve did not return when its listener failed")
	}
}
