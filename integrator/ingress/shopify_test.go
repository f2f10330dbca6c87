package ingress

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/queue"
)

const (
	secret    = "shpss_current_secret"
	oldSecret = "shpss_previous_secret"
	orderBody = `{"id":820982911946154508,"admin_graphql_api_id":"gid://shopify/Order/820982911946154508","line_items":[{"id":1,"sku":"A"}],"updated_at":"2026-11-27T10:00:00-05:00"}`
)

// recordingQueue stores what it is given, keeps dedup ids, and fails on demand.
type recordingQueue struct {
	mu    sync.Mutex
	msgs  []queue.Message
	seen  map[string]bool
	fail  error
	delay time.Duration
}

func (q *recordingQueue) Enqueue(ctx context.Context, m queue.Message, opts ...queue.EnqueueOption) (queue.EnqueueResult, error) {
	if q.delay > 0 {
		select {
		case <-time.After(q.delay):
		case <-ctx.Done():
			return queue.EnqueueResult{}, ctx.Err()
		}
	}
	q.mu.Lock()
	defer q.mu.Unlock()
	if q.fail != nil {
		return queue.EnqueueResult{}, q.fail
	}
	if q.seen == nil {
		q.seen = map[string]bool{}
	}
	if q.seen[m.Key+"|"+m.ID] {
		return queue.EnqueueResult{ID: m.ID, Duplicate: true}, nil
	}
	q.seen[m.Key+"|"+m.ID] = true
	m.Payload = append([]byte(nil), m.Payload...) // the handler reuses its buffer
	q.msgs = append(q.msgs, m)
	return queue.EnqueueResult{ID: m.ID}, nil
}

// sign is the test's own HMAC: base64(HMAC-SHA256(secret, body)).
func sign(key, body string) string {
	m := hmac.New(sha256.New, []byte(key))
	m.Write([]byte(body))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

func delivery(body string, mutate func(h http.Header)) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", strings.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("X-Shopify-Topic", "orders/create")
	r.Header.Set("X-Shopify-Hmac-Sha256", sign(secret, body))
	r.Header.Set("X-Shopify-Shop-Domain", "peakready-demo.myshopify.com")
	r.Header.Set("X-Shopify-API-Version", "2026-07")
	r.Header.Set("X-Shopify-Webhook-Id", "545ebdd4-b7be-4d3d-b14e-54aa78e0e0f9")
	r.Header.Set("X-Shopify-Event-Id", "59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f")
	r.Header.Set("X-Shopify-Triggered-At", "2026-11-27T15:00:00.000000000Z")
	if mutate != nil {
		mutate(r.Header)
	}
	return r
}

func setup(t *testing.T, q Enqueuer) *Shopify {
	t.Helper()
	h, err := NewShopify(Config{Secret: []byte(secret), PreviousSecret: []byte(oldSecret), MaxBody: 4096}, q)
	require.NoError(t, err)
	return h
}

func serve(h http.Handler, r *http.Request) *httptest.ResponseRecorder {
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w
}

func TestStoresAVerifiedDelivery(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	w := serve(setup(t, q), delivery(orderBody, nil))
	assert.Equal(t, http.StatusOK, w.Code)
	require.Len(t, q.msgs, 1)
	m := q.msgs[0]
	assert.Equal(t, "order:820982911946154508", m.Key)
	assert.Equal(t, "orders/create", m.Topic)
	assert.Equal(t, "545ebdd4-b7be-4d3d-b14e-54aa78e0e0f9", m.ID)
	assert.Equal(t, orderBody, string(m.Payload), "the raw bytes are stored, not a re-encoding")
	assert.Equal(t, "59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f", m.Headers["event_id"])
	assert.Equal(t, "peakready-demo.myshopify.com", m.Headers["shop_domain"])
}

func TestAnswers(t *testing.T) {
	t.Parallel()
	big := `{"id":1,"pad":"` + strings.Repeat("x", 5000) + `"}`
	cases := []struct {
		name   string
		req    *http.Request
		status int
	}{
		{"previous secret during rotation", delivery(orderBody, func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", sign(oldSecret, orderBody)) }), 200},
		{"lowercase shopify-* headers", delivery(orderBody, func(h http.Header) {
			for _, n := range []string{"Topic", "Hmac-Sha256", "Shop-Domain", "Webhook-Id", "API-Version"} {
				v := h.Get("X-Shopify-" + n)
				h.Del("X-Shopify-" + n)
				h.Set("shopify-"+strings.ToLower(n), v)
			}
		}), 200},
		{"missing signature", delivery(orderBody, func(h http.Header) { h.Del("X-Shopify-Hmac-Sha256") }), 401},
		{"wrong secret", delivery(orderBody, func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", sign("other", orderBody)) }), 401},
		{"hex instead of base64", delivery(orderBody, func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", strings.Repeat("ab", 32)) }), 401},
		{"signature decoding to 96 bytes", delivery(orderBody, func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", strings.Repeat("A", 128)) }), 401},
		{"signature decoding to 33 bytes", delivery(orderBody, func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", strings.Repeat("A", 44)) }), 401},
		{"signature without padding", delivery(orderBody, func(h http.Header) {
			h.Set("X-Shopify-Hmac-Sha256", strings.TrimRight(sign(secret, orderBody), "="))
		}), 401},
		{"signature over other bytes", delivery(orderBody, func(h http.Header) { h.Set("X-Shopify-Hmac-Sha256", sign(secret, orderBody+" ")) }), 401},
		{"missing topic", delivery(orderBody, func(h http.Header) { h.Del("X-Shopify-Topic") }), 400},
		{"bad topic", delivery(orderBody, func(h http.Header) { h.Set("X-Shopify-Topic", "orders create") }), 400},
		{"missing webhook id", delivery(orderBody, func(h http.Header) { h.Del("X-Shopify-Webhook-Id") }), 400},
		{"missing shop", delivery(orderBody, func(h http.Header) { h.Del("X-Shopify-Shop-Domain") }), 400},
		{"malformed JSON", delivery(`{"id":1,`, nil), 400},
		{"no order id", delivery(`{"name":"#1001"}`, nil), 400},
		{"order id not a number", delivery(`{"id":"abc"}`, nil), 400},
		{"oversized", delivery(big, nil), 413},
		{"wrong content type", delivery(orderBody, func(h http.Header) { h.Set("Content-Type", "text/plain") }), 415},
		{"no content type", delivery(orderBody, func(h http.Header) { h.Del("Content-Type") }), 415},
		{"GET", httptest.NewRequest(http.MethodGet, "/webhooks/shopify", nil), 405},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			q := &recordingQueue{}
			w := serve(setup(t, q), tc.req)
			assert.Equal(t, tc.status, w.Code, w.Body.String())
			if tc.status == 200 {
				assert.Len(t, q.msgs, 1)
			} else {
				assert.Empty(t, q.msgs, "a refused delivery stores nothing")
				assert.Contains(t, w.Body.String(), `"error"`)
			}
		})
	}
}

// Over a real connection, lowercase header names (as HTTP/2 and the newer Events
// deliveries send them) are accepted.
func TestLowercaseHeadersOverTheWire(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	srv := httptest.NewServer(setup(t, q))
	defer srv.Close()
	conn, err := net.Dial("tcp", srv.Listener.Addr().String())
	require.NoError(t, err)
	defer conn.Close()
	raw := "POST /webhooks/shopify HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\n" +
		"x-shopify-topic: orders/paid\r\nx-shopify-hmac-sha256: " + sign(secret, orderBody) + "\r\n" +
		"x-shopify-shop-domain: s.myshopify.com\r\nx-shopify-webhook-id: w-1\r\n" +
		"content-length: " + strconv.Itoa(len(orderBody)) + "\r\nconnection: close\r\n\r\n" + orderBody
	_, err = conn.Write([]byte(raw))
	require.NoError(t, err)
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	require.NoError(t, err)
	resp.Body.Close()
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Len(t, q.msgs, 1)
}

func TestOversizedWithoutContentLength(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	body := `{"id":1,"pad":"` + strings.Repeat("x", 5000) + `"}`
	r := delivery(body, nil)
	r.ContentLength = -1
	assert.Equal(t, http.StatusRequestEntityTooLarge, serve(setup(t, q), r).Code)
	assert.Empty(t, q.msgs)
}

func TestDuplicateWebhookIDIsAcknowledgedOnce(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	h := setup(t, q)
	assert.Equal(t, http.StatusOK, serve(h, delivery(orderBody, nil)).Code)
	w := serve(h, delivery(orderBody, nil))
	assert.Equal(t, http.StatusOK, w.Code)
	assert.Contains(t, w.Body.String(), "duplicate")
	assert.Len(t, q.msgs, 1)
}

func TestQueueUnavailableIs503WithRetryAfter(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{fail: errors.New("dial tcp: connection refused")}
	w := serve(setup(t, q), delivery(orderBody, nil))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "10", w.Header().Get("Retry-After"))

	slow := &recordingQueue{delay: time.Second}
	h, err := NewShopify(Config{Secret: []byte(secret), EnqueueTimeout: 20 * time.Millisecond}, slow)
	require.NoError(t, err)
	assert.Equal(t, http.StatusServiceUnavailable, serve(h, delivery(orderBody, nil)).Code, "a Redis slower than the budget is a 503, not a late 200")
}

func TestKeysByTopic(t *testing.T) {
	t.Parallel()
	cases := map[string][2]string{
		"orders/updated":                 {`{"id":5,"note":"x"}`, "order:5"},
		"orders/risk_assessment_changed": {`{"order_id":7,"risk_level":"high"}`, "order:7"},
		"fulfillments/create":            {`{"id":99,"order_id":7}`, "order:7"},
		"customers/update":               {`{"id":42,"email":"a@b.co"}`, "customer:42"},
		"inventory_levels/update":        {`{"inventory_item_id":271878346596884015,"location_id":24826418,"available":10}`, "inventory_item:271878346596884015"},
		"app/uninstalled":                {`{"id":3}`, "topic:app/uninstalled:3"},
		"shop/redact":                    {`{"shop_id":3}`, "topic:shop/redact:wh-1"},
	}
	for topic, c := range cases {
		key, ok := messageKey(topic, []byte(c[0]), "wh-1")
		assert.True(t, ok, topic)
		assert.Equal(t, c[1], key, topic)
	}
	_, ok := messageKey("orders/create", []byte(`{"order":{"id":5}}`), "wh")
	assert.False(t, ok, "a wrapped order has no top-level id")
}

func TestNewShopifyNeedsASecret(t *testing.T) {
	t.Parallel()
	_, err := NewShopify(Config{}, &recordingQueue{})
	assert.ErrorIs(t, err, ErrNoSecret)
}

// FuzzWebhook throws arbitrary bodies and headers at the handler: it never panics, only
// answers with the documented statuses, and a 200 always means the message was stored.
func FuzzWebhook(f *testing.F) {
	f.Add(orderBody, "orders/create", "", "wh-1", "application/json", "s.myshopify.com", -1)
	f.Add(`{"id":1}`, "customers/create", "x", "", "application/json; charset=utf-8", "", 0)
	f.Add(`[1,2]`, "orders/paid", strings.Repeat("A", 128), "x", "text/plain", "s", 3)
	f.Add(`{"id":"1"`, "a/b", strings.Repeat("=", 44), "id", "", "s", 1<<30)
	f.Fuzz(func(t *testing.T, body, topic, signature, webhookID, contentType, shop string, contentLength int) {
		q := &recordingQueue{}
		h, err := NewShopify(Config{Secret: []byte(secret), MaxBody: 1 << 16}, q)
		if err != nil {
			t.Fatal(err)
		}
		r := httptest.NewRequest(http.MethodPost, "/webhooks/shopify", strings.NewReader(body))
		r.Header.Set("Content-Type", contentType)
		r.Header.Set("X-Shopify-Topic", topic)
		r.Header.Set("X-Shopify-Shop-Domain", shop)
		r.Header.Set("X-Shopify-Webhook-Id", webhookID)
		signed := signature == ""
		if signed {
			signature = sign(secret, body)
		}
		r.Header.Set("X-Shopify-Hmac-Sha256", signature)
		if contentLength >= 0 {
			r.ContentLength = int64(contentLength) // what the sender announces, true or not
		}
		w := serve(h, r)
		switch w.Code {
		case 200:
			if len(q.msgs) != 1 || string(q.msgs[0].Payload) != body {
				t.Fatalf("200 without the message stored")
			}
		case 400, 401, 408, 413, 415:
			if len(q.msgs) != 0 {
				t.Fatalf("%d but stored", w.Code)
			}
		default:
			t.Fatalf("unexpected status %d", w.Code)
		}
		if !signed && signature != sign(secret, body) && w.Code != 401 && w.Code != 413 && w.Code != 415 {
			t.Fatalf("a delivery with a wrong signature answered %d", w.Code)
		}
	})
}
