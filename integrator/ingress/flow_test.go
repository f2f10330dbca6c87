package ingress

import (
	"context"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/queue"
)

const (
	flowSecret    = "flow-secret-2026-11"
	flowOldSecret = "flow-secret-2026-10"
	lowBody       = `{"sku": "AB1234-001", "quantity": 3, "variant_id": 808950810, "inventory_item_id": "gid://shopify/InventoryItem/39072856", "location_id": 905684977, "prior": 7}`
)

func flowSetup(t *testing.T, q Enqueuer, mutate func(*FlowConfig)) *FlowInventoryLow {
	t.Helper()
	cfg := FlowConfig{Secret: []byte(flowSecret), PreviousSecret: []byte(flowOldSecret), MaxBody: 1024}
	if mutate != nil {
		mutate(&cfg)
	}
	h, err := NewFlowInventoryLow(cfg, q)
	require.NoError(t, err)
	return h
}

func flowRequest(body, auth string) *http.Request {
	r := httptest.NewRequest(http.MethodPost, "/shopify/flow/inventory-low", strings.NewReader(body))
	if auth != "" {
		r.Header.Set("Authorization", auth)
	}
	return r
}

func TestFlowAuthentication(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	h := flowSetup(t, q, nil)
	for _, tc := range []struct {
		name, auth string
		want       int
	}{
		{"missing", "", http.StatusUnauthorized},
		{"wrong", "Bearer not-the-secret", http.StatusUnauthorized},
		{"a prefix of the secret", "Bearer " + flowSecret[:len(flowSecret)-1], http.StatusUnauthorized},
		{"not bearer", "Basic " + flowSecret, http.StatusUnauthorized},
		{"bare secret", flowSecret, http.StatusUnauthorized},
		{"current", "Bearer " + flowSecret, http.StatusOK},
		{"previous, during a rotation", "bearer " + flowOldSecret, http.StatusOK},
	} {
		w := serve(h, flowRequest(lowBody, tc.auth))
		assert.Equal(t, tc.want, w.Code, tc.name)
		if tc.want == http.StatusUnauthorized {
			assert.Contains(t, w.Body.String(), "missing or wrong Authorization header", tc.name)
		}
	}
	// recordingQueue takes the second accepted request (the same bytes) as a duplicate.
	assert.Len(t, q.msgs, 1, "only authenticated requests reach the queue")

	named := flowSetup(t, q, func(c *FlowConfig) { c.Header = "X-Peakready-Flow-Secret" })
	r := flowRequest(lowBody, "")
	r.Header.Set("X-Peakready-Flow-Secret", flowSecret)
	assert.Equal(t, http.StatusOK, serve(named, r).Code, "a named header carries the secret itself")
	assert.Equal(t, http.StatusUnauthorized, serve(named, flowRequest(lowBody, "Bearer "+flowSecret)).Code, "the Authorization header is not the named one")

	_, err := NewFlowInventoryLow(FlowConfig{}, q)
	require.Error(t, err, "a secret is required")
	_, err = NewFlowInventoryLow(FlowConfig{Secret: []byte("x"), Header: "Bad Header"}, q)
	require.ErrorContains(t, err, "not a valid header name")
}

// The secret is compared with crypto/subtle, never with == or bytes.Equal: authorized
// must call subtle.ConstantTimeCompare and compare nothing else.
func TestFlowSecretIsComparedInConstantTime(t *testing.T) {
	t.Parallel()
	f, err := parser.ParseFile(token.NewFileSet(), "flow.go", nil, 0)
	require.NoError(t, err)
	var fn *ast.FuncDecl
	for _, d := range f.Decls {
		if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "authorized" {
			fn = fd
		}
	}
	require.NotNil(t, fn, "flow.go has the authorized method")
	var constantTime, otherCompare bool
	ast.Inspect(fn.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.CallExpr:
			if sel, ok := x.Fun.(*ast.SelectorExpr); ok {
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "subtle" && sel.Sel.Name == "ConstantTimeCompare" {
					constantTime = true
				}
				if id, ok := sel.X.(*ast.Ident); ok && id.Name == "bytes" && sel.Sel.Name == "Equal" {
					otherCompare = true
				}
			}
		case *ast.BinaryExpr:
			if x.Op == token.EQL || x.Op == token.NEQ {
				if id, ok := x.X.(*ast.Ident); ok && (id.Name == "got" || id.Name == "sum") {
					if lit, ok := x.Y.(*ast.BasicLit); !ok || lit.Value != `""` {
						otherCompare = true // only the emptiness check may use ==
					}
				}
			}
		}
		return true
	})
	assert.True(t, constantTime, "authorized calls subtle.ConstantTimeCompare")
	assert.False(t, otherCompare, "authorized compares the secret only in constant time")
}

func TestFlowBodyIsBoundedAndChecked(t *testing.T) {
	t.Parallel()
	q := &recordingQueue{}
	h := flowSetup(t, q, nil)
	auth := "Bearer " + flowSecret
	for _, tc := range []struct {
		name, body string
		want       int
		says       string
	}{
		{"not JSON", `sku=AB1234-001`, http.StatusBadRequest, "not a JSON object"},
		{"an array", `[1]`, http.StatusBadRequest, "not a JSON object"},
		{"no sku", `{"quantity": 3}`, http.StatusBadRequest, "is required (Flow: {{ productVariant.sku | json }})"},
		{"blank sku", `{"sku": "  ", "quantity": 3}`, http.StatusBadRequest, "productVariant.sku"},
		{"sku with a newline", `{"sku": "A\nB", "quantity": 3}`, http.StatusBadRequest, "control characters"},
		{"long sku", `{"sku": "` + strings.Repeat("A", MaxFlowSKU+1) + `", "quantity": 3}`, http.StatusBadRequest, "longer than 250"},
		{"no quantity", `{"sku": "AB1234-001"}`, http.StatusBadRequest, "is required (Flow: {{ productVariant.inventoryQuantity }})"},
		{"quantity as text", `{"sku": "AB1234-001", "quantity": "3"}`, http.StatusBadRequest, "field quantity must be int64"},
		{"fractional quantity", `{"sku": "AB1234-001", "quantity": 2.5}`, http.StatusBadRequest, "field quantity"},
		{"id as object", `{"sku": "AB1234-001", "quantity": 2, "variant_id": {}}`, http.StatusBadRequest, "number or a string"},
		{"over the limit", `{"sku": "AB1234-001", "quantity": 2, "pad": "` + strings.Repeat("x", 1100) + `"}`, http.StatusRequestEntityTooLarge, "exceeds 1024 bytes"},
	} {
		w := serve(h, flowRequest(tc.body, auth))
		assert.Equal(t, tc.want, w.Code, tc.name)
		assert.Contains(t, w.Body.String(), tc.says, tc.name)
	}
	// Without Content-Length the limit still holds while reading.
	r := flowRequest("", auth)
	r.Body = readerCloser{strings.NewReader(`{"sku":"A","quantity":1,"pad":"` + strings.Repeat("x", 2000) + `"}`)}
	r.ContentLength = -1
	assert.Equal(t, http.StatusRequestEntityTooLarge, serve(h, r).Code)
	get := httptest.NewRequest(http.MethodGet, "/shopify/flow/inventory-low", nil)
	get.Header.Set("Authorization", auth)
	assert.Equal(t, http.StatusMethodNotAllowed, serve(h, get).Code)
	assert.Empty(t, q.msgs, "nothing malformed is stored")

	w := serve(h, flowRequest(lowBody, auth))
	require.Equal(t, http.StatusOK, w.Code)
	require.Len(t, q.msgs, 1)
	m := q.msgs[0]
	assert.Equal(t, "sku:AB1234-001", m.Key)
	assert.Equal(t, TopicFlowInventoryLow, m.Topic)
	assert.JSONEq(t, `{"sku":"AB1234-001","quantity":3,"variant_id":"808950810","inventory_item_id":"gid://shopify/InventoryItem/39072856","location_id":"905684977"}`,
		string(m.Payload), "the stored payload is the checked fields, not the body")
}

type readerCloser struct{ *strings.Reader }

func (readerCloser) Close() error { return nil }

func realQueue(t *testing.T) (*queue.Queue, *miniredis.Miniredis) {
	t.Helper()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr(), MaxRetries: -1})
	t.Cleanup(func() { _ = rdb.Close() })
	q, err := queue.New(rdb, queue.Prefix("t:flow"))
	require.NoError(t, err)
	return q, mr
}

// Flow retrying a request whose answer it lost sends the same bytes: stored once.
func TestFlowRetryOfTheSameRequestIsStoredOnce(t *testing.T) {
	t.Parallel()
	q, _ := realQueue(t)
	h := flowSetup(t, q, nil)
	auth := "Bearer " + flowSecret
	w := serve(h, flowRequest(lowBody, auth))
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"stored"}`, w.Body.String())
	w = serve(h, flowRequest(lowBody, auth))
	require.Equal(t, http.StatusOK, w.Code)
	assert.JSONEq(t, `{"status":"duplicate"}`, w.Body.String())
	w = serve(h, flowRequest(strings.Replace(lowBody, `"quantity": 3`, `"quantity": 2`, 1), auth))
	assert.JSONEq(t, `{"status":"stored"}`, w.Body.String(), "a new run of the same SKU is new work")
	s, err := q.Stats(context.Background())
	require.NoError(t, err)
	assert.Equal(t, int64(2), s.Messages)
}

// With Redis down nothing can be stored: 503 with Retry-After, which Flow retries.
func TestFlowAnswers503WithRetryAfterWhenRedisIsDown(t *testing.T) {
	t.Parallel()
	q, mr := realQueue(t)
	var statuses []int
	h := flowSetup(t, q, func(c *FlowConfig) {
		c.EnqueueTimeout, c.RetryAfter = 500*time.Millisecond, 30*time.Second
		c.Observe = func(status int, _ time.Duration) { statuses = append(statuses, status) }
	})
	mr.Close()
	w := serve(h, flowRequest(lowBody, "Bearer "+flowSecret))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "30", w.Header().Get("Retry-After"))
	assert.Contains(t, w.Body.String(), "retry later")
	assert.Equal(t, []int{http.StatusServiceUnavailable}, statuses)
}

func TestFlowIDsAreNumbersOrStrings(t *testing.T) {
	t.Parallel()
	in, err := ParseInventoryLow([]byte(`{"sku":"A","quantity":-2,"variant_id":"gid://shopify/ProductVariant/1","location_id":null}`))
	require.NoError(t, err)
	assert.Equal(t, InventoryLow{SKU: "A", Quantity: in.Quantity, VariantID: "gid://shopify/ProductVariant/1"}, in)
	assert.Equal(t, int64(-2), *in.Quantity, "Flow's quantity may be negative (oversold)")
	_, err = ParseInventoryLow([]byte(`{"sku":"A","quantity":1,"variant_id":"` + strings.Repeat("9", 201) + `"}`))
	require.ErrorContains(t, err, "longer than 200")
}

func FuzzParseInventoryLow(f *testing.F) {
	f.Add([]byte(lowBody))
	f.Add([]byte(`{"sku":"A","quantity":1}`))
	f.Add([]byte(`{"sku":1}`))
	f.Fuzz(func(t *testing.T, b []byte) {
		in, err := ParseInventoryLow(b)
		if err != nil {
			return
		}
		if in.SKU == "" || len(in.SKU) > MaxFlowSKU || in.Quantity == nil {
			t.Fatalf("accepted %q as %+v", b, in)
		}
	})
}

func TestFlowDefaults(t *testing.T) {
	t.Parallel()
	h, err := NewFlowInventoryLow(FlowConfig{Secret: []byte("s")}, &recordingQueue{})
	require.NoError(t, err)
	c := h.cfg
	assert.Equal(t, []any{"Authorization", int64(16 << 10), 10 * time.Minute, 2 * time.Second, 10 * time.Second, 64},
		[]any{c.Header, c.MaxBody, c.DedupWindow, c.EnqueueTimeout, c.RetryAfter, c.MaxConcurrent}, "as docs/integrator.md says")
}

// signalReader reports its first Read, then blocks until release.
type signalReader struct {
	started chan struct{}
	release chan struct{}
}

func (s signalReader) Read([]byte) (int, error) {
	close(s.started)
	<-s.release
	return 0, io.EOF
}

func (signalReader) Close() error { return nil }

// One request more than MaxConcurrent is answered 503 with Retry-After at once.
func TestFlowBeyondMaxConcurrentIsAskedToRetry(t *testing.T) {
	t.Parallel()
	h := flowSetup(t, &recordingQueue{}, func(c *FlowConfig) { c.MaxConcurrent = 1 })
	slow := signalReader{started: make(chan struct{}), release: make(chan struct{})}
	first := flowRequest("", "Bearer "+flowSecret)
	first.Body, first.ContentLength = slow, -1
	done := make(chan int)
	go func() { done <- serve(h, first).Code }()
	<-slow.started // the first request holds the only slot, reading its body
	w := serve(h, flowRequest(lowBody, "Bearer "+flowSecret))
	assert.Equal(t, http.StatusServiceUnavailable, w.Code)
	assert.Equal(t, "10", w.Header().Get("Retry-After"))
	close(slow.release)
	assert.Equal(t, http.StatusBadRequest, <-done, "the first request's empty body")
	assert.Equal(t, http.StatusOK, serve(h, flowRequest(lowBody, "Bearer "+flowSecret)).Code, "the slot is free again")
}
