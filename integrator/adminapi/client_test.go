package adminapi_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/adminapi"
	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/queue"
)

const (
	token = "admin-token-for-the-adminapi-tests"
	// bigID is a Shopify order id above 2^53: a float64 would make it ...504.
	bigID = int64(820982911946154508)
)

// testBundle is one integrator replica served over HTTP, its workers not running, so
// the tests put the queue and the holds in the state they need.
type testBundle struct {
	app   *integrator.App
	url   string
	holds *flows.RedisHolds
}

type setupOptions struct {
	adminToken string // "" turns the admin API off
	shop       bool   // configure a Shopify URL, which adds the cost bucket
}

func setup(t *testing.T, o setupOptions) (*adminapi.Client, *testBundle) {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	cfg := integrator.Config{
		Redis: rdb, WebhookSecret: "shpss_test", NetSuiteURL: "http://127.0.0.1:1", NetSuiteToken: "ns-token",
		NetSuiteConcurrency: 7, AdminToken: o.adminToken,
	}
	if o.shop {
		cfg.ShopifyURL, cfg.ShopifyToken = "http://127.0.0.1:1", "shpat_test"
	}
	app, err := integrator.New(cfg)
	require.NoError(t, err)
	srv := httptest.NewServer(app.Handler())
	t.Cleanup(func() {
		srv.Close()
		app.Close()
	})
	c, err := adminapi.New(srv.URL, token)
	require.NoError(t, err)
	// The integrator keeps holds under <prefix>:orders: (docs/integrator.md, Redis keys).
	return c, &testBundle{app: app, url: srv.URL, holds: flows.NewRedisHolds(rdb, integrator.DefaultPrefix+":orders:")}
}

func setupAdmin(t *testing.T) (*adminapi.Client, *testBundle) {
	return setup(t, setupOptions{adminToken: token})
}

// deadLetter enqueues a message and dead-letters it at once, as a worker does with a
// permanent failure.
func (b *testBundle) deadLetter(t *testing.T, m queue.Message, reason string, cause error) {
	t.Helper()
	ctx := t.Context()
	_, err := b.app.Queue().Enqueue(ctx, m)
	require.NoError(t, err)
	d, err := b.app.Queue().Dequeue(ctx)
	require.NoError(t, err)
	require.Equal(t, m.Key, d.Message.Key)
	require.NoError(t, b.app.Queue().DeadLetter(ctx, d, reason, cause))
}

func (b *testBundle) raw(t *testing.T, path string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodGet, b.url+path, nil)
	require.NoError(t, err)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	return string(body)
}

func TestQueueStats(t *testing.T) {
	t.Parallel()
	c, b := setupAdmin(t)
	s, err := c.QueueStats(t.Context())
	require.NoError(t, err)
	assert.Equal(t, adminapi.QueueStats{}, s, "an idle queue")

	for i, key := range []string{"order:1", "order:1", "order:2"} {
		_, err := b.app.Queue().Enqueue(t.Context(), queue.Message{ID: "m" + strconv.Itoa(i), Key: key, Topic: "orders/create", Payload: []byte(`{}`)})
		require.NoError(t, err)
	}
	s, err = c.QueueStats(t.Context())
	require.NoError(t, err)
	assert.Positive(t, s.OldestMessageSeconds)
	s.OldestMessageSeconds = 0
	assert.Equal(t, adminapi.QueueStats{Messages: 3, GroupsReady: 2, Enqueued: 3}, s)
}

func TestDeadLetters(t *testing.T) {
	t.Parallel()
	c, b := setupAdmin(t)
	ctx := t.Context()
	bigKey := "order:" + strconv.FormatInt(bigID, 10)
	payload := `{"id":820982911946154508,"line_items":[{"sku":"LATE-SKU-1","price":"19.90"}]}`
	b.deadLetter(t, queue.Message{ID: "msg-big", Key: bigKey, Topic: "orders/create", Payload: []byte(payload),
		Headers: map[string]string{"webhook_id": "w-1"}}, queue.ReasonPermanent, errors.New("netsuite: unknown item LATE-SKU-1"))
	b.deadLetter(t, queue.Message{ID: "msg-other", Key: "order:2", Topic: "orders/paid", Payload: []byte("not json")},
		queue.ReasonMaxAttempts, errors.New("netsuite: 503"))

	all, err := c.DeadLetters(ctx, adminapi.DLQFilter{}, adminapi.DefaultDeadLetterLimit)
	require.NoError(t, err)
	require.Len(t, all, 2)
	first := all[0]
	assert.Equal(t, "msg-big", first.MessageID, "oldest first")
	assert.Equal(t, bigKey, first.Key)
	assert.Equal(t, "orders/create", first.Topic)
	assert.Equal(t, "permanent", first.Reason)
	assert.Equal(t, 1, first.Attempts)
	assert.Equal(t, "netsuite: unknown item LATE-SKU-1", first.LastError)
	assert.False(t, first.DeadAt.IsZero())
	assert.False(t, first.EnqueuedAt.IsZero())
	assert.Nil(t, first.Payload, "lists leave payloads out")
	assert.Equal(t, map[string]string{"webhook_id": "w-1"}, first.Headers)

	for name, tc := range map[string]struct {
		f    adminapi.DLQFilter
		want []string
	}{
		"key":            {adminapi.DLQFilter{Key: "order:2"}, []string{"msg-other"}},
		"reason":         {adminapi.DLQFilter{Reason: "permanent"}, []string{"msg-big"}},
		"topic":          {adminapi.DLQFilter{Topic: "orders/paid"}, []string{"msg-other"}},
		"message id":     {adminapi.DLQFilter{MessageID: "msg-big"}, []string{"msg-big"}},
		"id":             {adminapi.DLQFilter{ID: first.ID}, []string{"msg-big"}},
		"combined":       {adminapi.DLQFilter{Key: "order:2", Reason: "permanent"}, nil},
		"all is ignored": {adminapi.DLQFilter{All: true}, []string{"msg-big", "msg-other"}},
	} {
		got, err := c.DeadLetters(ctx, tc.f, 10)
		require.NoError(t, err, name)
		var ids []string
		for _, d := range got {
			ids = append(ids, d.MessageID)
		}
		assert.Equal(t, tc.want, ids, name)
	}
	one, err := c.DeadLetters(ctx, adminapi.DLQFilter{}, 1)
	require.NoError(t, err)
	assert.Len(t, one, 1)
	for _, limit := range []int{0, -1, adminapi.MaxDeadLetterLimit + 1} {
		_, err := c.DeadLetters(ctx, adminapi.DLQFilter{}, limit)
		var e *adminapi.Error
		require.ErrorAs(t, err, &e, "limit %d", limit)
		assert.Equal(t, http.StatusBadRequest, e.Status)
		assert.Contains(t, e.Message, "limit must be an integer from 1 to 10000")
	}

	got, err := c.DeadLetter(ctx, first.ID)
	require.NoError(t, err)
	assert.JSONEq(t, payload, string(got.Payload))
	assert.Contains(t, string(got.Payload), `"id": 820982911946154508,`, "the id exact, in its place")
	assert.Equal(t, map[string]string{"webhook_id": "w-1"}, got.Headers)
	got.Payload = nil
	assert.Equal(t, first, got)
	other, err := c.DeadLetter(ctx, all[1].ID)
	require.NoError(t, err)
	assert.Equal(t, `"not json"`, string(other.Payload), "a body that is not JSON comes as a string")

	_, err = c.DeadLetter(ctx, "no-such-dead-letter")
	assert.ErrorIs(t, err, adminapi.ErrNotFound)
	var e *adminapi.Error
	require.ErrorAs(t, err, &e)
	assert.Equal(t, adminapi.Error{Status: http.StatusNotFound, Message: "no dead letter no-such-dead-letter"}, *e)
	assert.Equal(t, "GET /admin/dlq/no-such-dead-letter: 404: no dead letter no-such-dead-letter", err.Error())
	_, err = c.DeadLetter(ctx, "")
	assert.Error(t, err)

	// Replay and discard refuse an empty selection, and take exactly what they select.
	_, err = c.Replay(ctx, adminapi.DLQFilter{})
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusBadRequest, e.Status)
	assert.Contains(t, e.Message, "say which dead letters")
	_, err = c.Discard(ctx, adminapi.DLQFilter{})
	require.ErrorAs(t, err, &e)
	assert.Equal(t, http.StatusBadRequest, e.Status)

	n, err := c.Replay(ctx, adminapi.DLQFilter{ID: first.ID})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	n, err = c.Replay(ctx, adminapi.DLQFilter{ID: first.ID})
	require.NoError(t, err)
	assert.Zero(t, n, "already replayed")
	n, err = c.Discard(ctx, adminapi.DLQFilter{All: true})
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	s, err := c.QueueStats(ctx)
	require.NoError(t, err)
	assert.Zero(t, s.DeadLetters)
	assert.Equal(t, int64(1), s.Replayed)
	assert.Equal(t, int64(1), s.Messages, "the replayed message is queued again")

	d, err := b.app.Queue().Dequeue(ctx)
	require.NoError(t, err)
	assert.Equal(t, payload, string(d.Message.Payload))
}

func TestHeldAndRelease(t *testing.T) {
	t.Parallel()
	c, b := setupAdmin(t)
	ctx := t.Context()
	heldAt := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	held, err := c.Held(ctx)
	require.NoError(t, err)
	assert.Empty(t, held)

	require.NoError(t, b.holds.Hold(ctx, flows.HeldOrder{OrderID: bigID, Name: "#1001", Risk: "HIGH", Reason: "risk HIGH",
		Topic: "orders/create", HeldAt: heldAt, UpdatedAt: heldAt.Add(-time.Minute), Payload: []byte(`{"id":820982911946154508}`)}))
	require.NoError(t, b.holds.Hold(ctx, flows.HeldOrder{OrderID: 5, Name: "#1002", Risk: "HIGH", Topic: "orders/create",
		HeldAt: heldAt.Add(time.Second), Payload: []byte(`{"id":5}`)}))

	held, err = c.Held(ctx)
	require.NoError(t, err)
	require.Len(t, held, 2)
	assert.Equal(t, adminapi.HeldOrder{OrderID: bigID, Name: "#1001", Risk: "HIGH", Reason: "risk HIGH", HeldAt: heldAt,
		UpdatedAt: heldAt.Add(-time.Minute)}, held[0], "oldest hold first, the id exact")
	assert.Equal(t, int64(5), held[1].OrderID)
	assert.Contains(t, b.raw(t, "/admin/held"), `"order_id": "820982911946154508"`, "a string on the wire")

	require.NoError(t, c.Release(ctx, bigID))
	d, err := b.app.Queue().Dequeue(ctx)
	require.NoError(t, err)
	assert.Equal(t, "order:820982911946154508", d.Message.Key, "released: queued to sync")
	assert.Equal(t, `{"id":820982911946154508}`, string(d.Message.Payload))

	err = c.Release(ctx, 6)
	assert.ErrorIs(t, err, adminapi.ErrNotFound)
	assert.EqualError(t, err, "POST /admin/held/6/release: 404: order 6 is not held")
	for _, id := range []int64{0, -5} {
		err = c.Release(ctx, id)
		var e *adminapi.Error
		require.ErrorAs(t, err, &e, "id %d", id)
		assert.Equal(t, adminapi.Error{Status: http.StatusBadRequest, Message: "order id must be a positive integer"}, *e)
	}
}

func TestLimits(t *testing.T) {
	t.Parallel()
	c, _ := setupAdmin(t)
	l, err := c.Limits(t.Context())
	require.NoError(t, err)
	require.NotNil(t, l.NetSuiteConcurrency)
	assert.Equal(t, 7, l.NetSuiteConcurrency.Limit)
	assert.Equal(t, 7, l.NetSuiteConcurrency.EffectiveLimit)
	require.NotNil(t, l.NetSuiteBreaker)
	assert.Equal(t, "closed", string(l.NetSuiteBreaker.State))
	assert.Nil(t, l.ShopifyCostBucket, "no Shopify URL, no cost bucket")

	c, _ = setup(t, setupOptions{adminToken: token, shop: true})
	l, err = c.Limits(t.Context())
	require.NoError(t, err)
	require.NotNil(t, l.ShopifyCostBucket)
	assert.Equal(t, 20000.0, l.ShopifyCostBucket.MaximumAvailable)
}

// The statuses the integrator refuses with become errors that errors.Is can tell apart,
// and none of them carries the token.
func TestErrors(t *testing.T) {
	t.Parallel()
	_, b := setupAdmin(t)
	_, off := setup(t, setupOptions{})
	wrong, err := adminapi.New(b.url, "not-the-token")
	require.NoError(t, err)
	disabled, err := adminapi.New(off.url, token)
	require.NoError(t, err)

	calls := map[string]func(*adminapi.Client) error{
		"queue stats": func(c *adminapi.Client) error { _, err := c.QueueStats(t.Context()); return err },
		"dead letters": func(c *adminapi.Client) error {
			_, err := c.DeadLetters(t.Context(), adminapi.DLQFilter{}, 1)
			return err
		},
		"dead letter": func(c *adminapi.Client) error { _, err := c.DeadLetter(t.Context(), "x"); return err },
		"replay": func(c *adminapi.Client) error {
			_, err := c.Replay(t.Context(), adminapi.DLQFilter{All: true})
			return err
		},
		"discard": func(c *adminapi.Client) error {
			_, err := c.Discard(t.Context(), adminapi.DLQFilter{All: true})
			return err
		},
		"held":    func(c *adminapi.Client) error { _, err := c.Held(t.Context()); return err },
		"release": func(c *adminapi.Client) error { return c.Release(t.Context(), bigID) },
		"limits":  func(c *adminapi.Client) error { _, err := c.Limits(t.Context()); return err },
	}
	for name, call := range calls {
		err := call(wrong)
		assert.ErrorIs(t, err, adminapi.ErrUnauthorized, name)
		assert.NotErrorIs(t, err, adminapi.ErrNotFound, name)
		var e *adminapi.Error
		require.ErrorAs(t, err, &e, name)
		assert.Equal(t, adminapi.Error{Status: http.StatusUnauthorized, Message: "missing or wrong admin token"}, *e, name)
		assert.NotContains(t, err.Error(), "not-the-token", name)

		err = call(disabled)
		assert.ErrorIs(t, err, adminapi.ErrDisabled, name)
		require.ErrorAs(t, err, &e, name)
		assert.Equal(t, http.StatusForbidden, e.Status, name)
		assert.Contains(t, e.Message, "the admin API is disabled", name)
		assert.NotContains(t, err.Error(), token, name)
	}

	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	c, err := adminapi.New(b.url, token)
	require.NoError(t, err)
	_, err = c.QueueStats(ctx)
	assert.ErrorIs(t, err, context.Canceled)

	c, err = adminapi.New("http://127.0.0.1:1", token)
	require.NoError(t, err)
	_, err = c.QueueStats(t.Context())
	require.Error(t, err)
	assert.Contains(t, err.Error(), "http://127.0.0.1:1/admin/queue/stats", "a transport error names the URL")
	assert.NotContains(t, err.Error(), token)
}

func TestNewValidatesTheURLAndToken(t *testing.T) {
	t.Parallel()
	for _, u := range []string{"http://127.0.0.1:8080", "https://integrator.example.com", "http://host:1/prefix/"} {
		_, err := adminapi.New(u, token)
		assert.NoError(t, err, u)
	}
	for _, u := range []string{"", "127.0.0.1:8080", "ftp://host", "http://", "http://host/?x=1", "http://host/#frag", "http://[::1"} {
		_, err := adminapi.New(u, token)
		assert.ErrorContains(t, err, "must be http(s)://host:port", "%q", u)
	}
	_, err := adminapi.New("http://127.0.0.1:8080", "")
	assert.ErrorContains(t, err, "token is required")
}

// A base URL with a path prefix (a proxy serving the integrator under it) is kept.
func TestBaseURLPathPrefix(t *testing.T) {
	t.Parallel()
	_, b := setupAdmin(t)
	proxy := httptest.NewServer(http.StripPrefix("/integrator", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rp, _ := http.NewRequestWithContext(r.Context(), r.Method, b.url+r.URL.RequestURI(), r.Body)
		rp.Header = r.Header
		resp, err := http.DefaultClient.Do(rp)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	})))
	t.Cleanup(proxy.Close)
	c, err := adminapi.New(proxy.URL+"/integrator/", token)
	require.NoError(t, err)
	_, err = c.QueueStats(t.Context())
	assert.NoError(t, err)
}

// One client serves many goroutines (run with -race).
func TestClientIsSafeForConcurrentUse(t *testing.T) {
	t.Parallel()
	c, _ := setupAdmin(t)
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 40 {
		wg.Go(func() {
			var err error
			switch i % 4 {
			case 0:
				_, err = c.QueueStats(t.Context())
			case 1:
				_, err = c.DeadLetters(t.Context(), adminapi.DLQFilter{Key: "order:" + strconv.Itoa(i)}, 5)
			case 2:
				_, err = c.Held(t.Context())
			case 3:
				_, err = c.Limits(t.Context())
			}
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		assert.NoError(t, err)
	}
}

// The server's raw JSON of a dead letter keeps the payload's ids exact too, for clients
// that do not use this package.
func TestDeadLetterPayloadIsExactOnTheWire(t *testing.T) {
	t.Parallel()
	c, b := setupAdmin(t)
	b.deadLetter(t, queue.Message{Key: "order:1", Topic: "orders/create", Payload: []byte(`{"id":820982911946154508}`)}, "", errors.New("boom"))
	list, err := c.DeadLetters(t.Context(), adminapi.DLQFilter{}, 1)
	require.NoError(t, err)
	require.Len(t, list, 1)
	raw := b.raw(t, "/admin/dlq/"+list[0].ID)
	assert.True(t, strings.Contains(raw, `"id": 820982911946154508`), raw)
}
