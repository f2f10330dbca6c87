package ingress

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/queue"
)

// rawRequest writes a webhook request's head announcing contentLength bytes, then
// bodyPart, and returns the connection and a reader of its answers.
func rawRequest(t *testing.T, addr, signature string, contentLength int, bodyPart string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	require.NoError(t, err)
	t.Cleanup(func() { conn.Close() })
	head := "POST /webhooks/shopify HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nX-Shopify-Topic: orders/create\r\n" +
		"X-Shopify-Shop-Domain: s.myshopify.com\r\nX-Shopify-Webhook-Id: w-1\r\n"
	if signature != "" {
		head += "X-Shopify-Hmac-Sha256: " + signature + "\r\n"
	}
	head += fmt.Sprintf("Content-Length: %d\r\n\r\n", contentLength)
	_, err = conn.Write([]byte(head + bodyPart))
	require.NoError(t, err)
	return conn, bufio.NewReader(conn)
}

func readStatus(t *testing.T, conn net.Conn, br *bufio.Reader) int {
	t.Helper()
	require.NoError(t, conn.SetReadDeadline(time.Now().Add(10*time.Second)))
	resp, err := http.ReadResponse(br, nil)
	require.NoError(t, err)
	_, _ = io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp.StatusCode
}

// An unsigned delivery is refused from its headers: the body it announces is never
// waited for.
func TestUnsignedDeliveryIsRefusedBeforeItsBody(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	srv := httptest.NewServer(setup(t, q))
	defer srv.Close()
	conn, br := rawRequest(t, srv.Listener.Addr().String(), "", 4000, "{")
	assert.Equal(t, http.StatusUnauthorized, readStatus(t, conn, br), "answered without the body")
	assert.Empty(t, q.msgs)
}

// A body that trickles in slower than BodyTimeout is answered 408.
func TestSlowBodyTimesOut(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	h, err := NewShopify(Config{Secret: []byte(secret), BodyTimeout: 100 * time.Millisecond}, q)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	conn, br := rawRequest(t, srv.Listener.Addr().String(), sign(secret, orderBody), len(orderBody), orderBody[:5])
	assert.Equal(t, http.StatusRequestTimeout, readStatus(t, conn, br))
	assert.Empty(t, q.msgs)
}

// Past MaxConcurrent deliveries in progress, the next is refused at once with 503 and
// Retry-After; once a slot frees, deliveries are stored again.
func TestConcurrentDeliveriesAreCapped(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	h, err := NewShopify(Config{Secret: []byte(secret), MaxConcurrent: 2, RetryAfter: 3 * time.Second}, q)
	require.NoError(t, err)
	srv := httptest.NewServer(h)
	defer srv.Close()
	addr := srv.Listener.Addr().String()
	var held []net.Conn
	var readers []*bufio.Reader
	for range 2 {
		conn, br := rawRequest(t, addr, sign(secret, orderBody), len(orderBody), orderBody[:3])
		held, readers = append(held, conn), append(readers, br)
	}
	// The two slow deliveries hold both slots once the server has read their headers.
	require.Eventually(t, func() bool { return len(h.slots) == 2 }, 5*time.Second, time.Millisecond)

	w := serve(h, delivery(orderBody, nil))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "3", w.Header().Get("Retry-After"))
	assert.Empty(t, q.msgs)

	_, err = held[0].Write([]byte(orderBody[3:]))
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, readStatus(t, held[0], readers[0]))
	assert.Equal(t, http.StatusOK, serve(h, delivery(orderBody, func(hd http.Header) { hd.Set("X-Shopify-Webhook-Id", "w-2") })).Code)
	assert.Len(t, q.msgs, 2)
	held[1].Close() // the other slow sender gives up
}

// panickyQueue fails in the worst way.
type panickyQueue struct{}

func (panickyQueue) Enqueue(context.Context, queue.Message, ...queue.EnqueueOption) (queue.EnqueueResult, error) {
	panic("boom")
}

type observations struct {
	mu  sync.Mutex
	got []int
}

func (o *observations) ObserveWebhook(_ string, status int, _ time.Duration) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.got = append(o.got, status)
}

// A failure inside the handler is a 500 that the metrics see, never a crashed
// connection with a stack trace.
func TestAPanicIsAnswered500AndObserved(t *testing.T) {
	t.Parallel()
	obs := &observations{}
	h, err := NewShopify(Config{Secret: []byte(secret), Observer: obs}, panickyQueue{})
	require.NoError(t, err)
	w := serve(h, delivery(orderBody, nil))
	assert.Equal(t, http.StatusInternalServerError, w.Code)
	assert.True(t, strings.Contains(w.Body.String(), "internal error"))
	assert.Equal(t, []int{500}, obs.got)
}

// A verified delivery of a topic no flow handles is acknowledged and counted, not stored;
// an unverified one is still refused.
func TestUnhandledTopicsAreAcknowledgedNotStored(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	var ignored []string
	h, err := NewShopify(Config{Secret: []byte(secret),
		Handles:   func(topic string) bool { return strings.HasPrefix(topic, "orders/") },
		OnIgnored: func(topic string) { ignored = append(ignored, topic) }}, q)
	require.NoError(t, err)
	w := serve(h, delivery(`{"id":3}`, func(hd http.Header) { hd.Set("X-Shopify-Topic", "app/uninstalled") }))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "ignored")
	assert.Empty(t, q.msgs)
	assert.Equal(t, []string{"app/uninstalled"}, ignored)
	w = serve(h, delivery(`{"id":3}`, func(hd http.Header) {
		hd.Set("X-Shopify-Topic", "app/uninstalled")
		hd.Set("X-Shopify-Hmac-Sha256", sign("wrong", `{"id":3}`))
	}))
	assert.Equal(t, http.StatusUnauthorized, w.Code)
	assert.Equal(t, http.StatusOK, serve(h, delivery(orderBody, nil)).Code)
	assert.Len(t, q.msgs, 1)
}
