package netsuite

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"math"
	"net"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const concurrencyBody = `{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html","title":"Bad Request","status":429,"o:errorDetails":[{"detail":"Concurrent request limit exceeded. Request blocked.","o:errorCode":"CONCURRENCY_LIMIT_EXCEEDED"}]}`

const invalidItemBody = `{"type":"https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html#sec10.4.1","title":"Bad Request","status":400,"o:errorDetails":[{"detail":"Error while accessing resource: You have entered an Invalid Field Value NOPE for the following field: item","o:errorCode":"INVALID_CONTENT","o:errorPath":"item.items[0].item"}]}`

func answer(status int, body string, hdr map[string]string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		for k, v := range hdr {
			w.Header().Set(k, v)
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, body)
	}
}

func client(t *testing.T, h http.Handler) *Client {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	c, err := New(srv.URL, "tok", WithHTTPClient(&http.Client{Timeout: 200 * time.Millisecond}))
	require.NoError(t, err)
	return c
}

func TestUpsertSendsTheOrderToItsExternalID(t *testing.T) {
	t.Parallel()
	var got SalesOrder
	var path, auth string
	c := client(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		path, auth = r.Method+" "+r.URL.Path, r.Header.Get("Authorization")
		require.NoError(t, json.NewDecoder(r.Body).Decode(&got))
		w.WriteHeader(http.StatusNoContent)
	}))
	so := SalesOrder{Item: Lines{Items: []Line{{Item: Ref{ExternalID: "AB1234-001"}, Quantity: 2, Rate: 19.99}}}, ShopifyOrderID: "820982911946154508"}
	require.NoError(t, c.UpsertSalesOrder(context.Background(), "820982911946154508", so))
	assert.Equal(t, "PUT /services/rest/record/v1/salesOrder/eid:820982911946154508", path)
	assert.Equal(t, "Bearer tok", auth)
	assert.Equal(t, "820982911946154508", got.ExternalID)
	assert.Equal(t, 2, got.Item.Items[0].Quantity)
}

func TestErrorsAreClassifiedOnce(t *testing.T) {
	t.Parallel()
	cases := []struct {
		name      string
		h         http.Handler
		throttled bool
		transient bool
		permanent bool
		retry     time.Duration
	}{
		{"429 concurrency", answer(429, concurrencyBody, map[string]string{"Retry-After": "2"}), true, false, false, 2 * time.Second},
		{"503 maintenance", answer(503, `{"status":503,"o:errorDetails":[{"detail":"maintenance","o:errorCode":"SERVICE_UNAVAILABLE"}]}`, nil), false, true, false, 0},
		{"500 html", answer(500, `<html>oops</html>`, nil), false, true, false, 0},
		{"401 quirk", answer(401, `{"status":401,"o:errorDetails":[{"detail":"Invalid login attempt.","o:errorCode":"INVALID_LOGIN"}]}`, nil), false, true, false, 0},
		{"400 unknown item", answer(400, invalidItemBody, nil), false, false, true, 0},
		{"timeout", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			_, _ = io.Copy(io.Discard, r.Body) // the server notices a gone client only once the body is read
			select {
			case <-r.Context().Done():
			case <-time.After(5 * time.Second):
			}
		}), false, true, false, 0},
		{"reset", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			conn, _, _ := http.NewResponseController(w).Hijack()
			conn.(*net.TCPConn).SetLinger(0)
			conn.Close()
		}), false, true, false, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			err := client(t, tc.h).UpsertSalesOrder(context.Background(), "1001", SalesOrder{})
			require.Error(t, err)
			assert.Equal(t, tc.throttled, IsThrottled(err), err.Error())
			assert.Equal(t, tc.transient, IsTransient(err), err.Error())
			assert.Equal(t, tc.permanent, isPermanent(err), err.Error())
			var ra interface{ RetryAfter() time.Duration }
			if errors.As(err, &ra) {
				assert.Equal(t, tc.retry, ra.RetryAfter())
			}
		})
	}
}

// isPermanent is how the queue reads a permanent failure: some error in the chain has a
// Permanent method that reports true.
func isPermanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

// The queue dead-letters what the client calls permanent and snoozes or retries the rest;
// it learns which is which only from the errors' methods.
func TestPermanentErrorsSayPermanent(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	refuse := client(t, answer(400, invalidItemBody, nil))
	missing := client(t, answer(404, `{"status":404,"o:errorDetails":[{"detail":"Record not found.","o:errorCode":"NONEXISTENT_ID"}]}`, nil))
	busy := client(t, answer(429, concurrencyBody, map[string]string{"Retry-After": "1"}))
	down := client(t, answer(503, `{"status":503,"o:errorDetails":[{"detail":"maintenance","o:errorCode":"SERVICE_UNAVAILABLE"}]}`, nil))

	_, getMissing := missing.GetSalesOrder(ctx, "1001")
	_, getBadID := busy.GetSalesOrder(ctx, "a|b")
	for name, err := range map[string]error{
		"400 unknown item":         refuse.UpsertSalesOrder(ctx, "1001", SalesOrder{}),
		"404 on get":               getMissing,
		"invalid external id":      busy.UpsertSalesOrder(ctx, "a/b", SalesOrder{}),
		"invalid external id, get": getBadID,
		"unencodable order":        refuse.UpsertSalesOrder(ctx, "1001", SalesOrder{Item: Lines{Items: []Line{{Rate: math.NaN()}}}}),
	} {
		require.Error(t, err, name)
		assert.True(t, isPermanent(err), "%s: %v", name, err)
		assert.False(t, IsThrottled(err), name)
	}
	assert.True(t, IsNotFound(getMissing), "the 404 is still NetSuite's *Error")

	_, getBusy := busy.GetSalesOrder(ctx, "1001")
	for name, err := range map[string]error{
		"429 concurrency":        busy.UpsertSalesOrder(ctx, "1001", SalesOrder{}),
		"429 concurrency on get": getBusy,
		"503 maintenance":        down.UpsertSalesOrder(ctx, "1001", SalesOrder{}),
	} {
		require.Error(t, err, name)
		var p interface{ Permanent() bool }
		assert.False(t, errors.As(err, &p), "%s: nothing in the chain claims to be permanent: %v", name, err)
	}
}

func TestPermanentErrorKeepsNetSuitesMessage(t *testing.T) {
	t.Parallel()
	err := client(t, answer(400, invalidItemBody, nil)).UpsertSalesOrder(context.Background(), "1001", SalesOrder{})
	assert.ErrorContains(t, err, "INVALID_CONTENT")
	assert.ErrorContains(t, err, "Invalid Field Value NOPE")
	assert.ErrorContains(t, err, "item.items[0].item")
}

func TestInvalidExternalIDIsPermanentWithoutACall(t *testing.T) {
	t.Parallel()
	called := false
	c := client(t, http.HandlerFunc(func(http.ResponseWriter, *http.Request) { called = true }))
	for _, id := range []string{"", "a|b", "a/b", "über"} {
		err := c.UpsertSalesOrder(context.Background(), id, SalesOrder{})
		assert.True(t, isPermanent(err), id)
	}
	assert.False(t, called)
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	_, err := New("ftp://x", "t")
	assert.Error(t, err)
	_, err = New("http://x", "")
	assert.Error(t, err)
}

// A retried cancellation whose first attempt was committed (its answer lost) meets a
// closed order whose lines NetSuite will not change: the client sends the cancellation
// again without the lines, and it succeeds. Other orders get no such second try.
func TestARetriedCancellationOfAClosedOrderIsSentWithoutLines(t *testing.T) {
	t.Parallel()
	const locked = `{"status":400,"o:errorDetails":[{"detail":"The item sublist of a sales order that is Closed cannot be changed.","o:errorCode":"INVALID_CONTENT","o:errorPath":"item"}]}`
	var bodies []map[string]any
	c := client(t, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b map[string]any
		require.NoError(t, json.NewDecoder(r.Body).Decode(&b))
		bodies = append(bodies, b)
		if _, hasLines := b["item"]; hasLines {
			w.WriteHeader(http.StatusBadRequest)
			_, _ = io.WriteString(w, locked)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	}))
	so := SalesOrder{OrderStatus: &Ref{ID: StatusCancelled}, Item: Lines{Items: []Line{{Item: Ref{ExternalID: "A"}, Quantity: 1, Rate: 5}}}}
	require.NoError(t, c.UpsertSalesOrder(context.Background(), "42", so))
	require.Len(t, bodies, 2)
	assert.Equal(t, map[string]any{"id": StatusCancelled}, bodies[1]["orderStatus"])

	bodies = nil
	so.OrderStatus = &Ref{ID: StatusPendingFulfillment}
	err := c.UpsertSalesOrder(context.Background(), "43", so)
	require.Error(t, err, "an order that is not being cancelled keeps the error")
	assert.Len(t, bodies, 1)
}
