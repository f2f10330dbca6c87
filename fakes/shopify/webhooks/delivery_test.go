package webhooks

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify/flow"
)

var (
	uuidRE        = regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`)
	triggeredAtRE = regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{9}Z$`)
)

func TestDeliveryCarriesEveryHeaderAndAValidSignature(t *testing.T) {
	t.Parallel()
	d, m := setup(t, nil)
	rc := newReceiver(t, m, nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	named, err := d.Subscribe(Subscription{Topic: "orders/create", URL: srv.URL + "/named", Name: "order-sync_1"})
	require.NoError(t, err)
	subscribe(t, d, "orders/create", srv.URL+"/plain")
	trig := epoch.Add(-1500 * time.Millisecond).In(time.FixedZone("EST", -5*3600))
	body := payload(7)
	d.Publish(Event{Topic: "orders/create", EventID: "59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f", ResourceID: 820982911946154508, TriggeredAt: trig, Payload: body})

	byPath := map[string]received{}
	for range 2 {
		r := rc.next()
		byPath[r.Path] = r
	}
	require.Len(t, byPath, 2, "two subscriptions to one topic get two deliveries")
	for path, r := range byPath {
		assert.Equal(t, http.MethodPost, r.Method)
		assert.Equal(t, body, r.Body, "the body is the payload, byte for byte")
		assert.Equal(t, SecretCurrent, r.ValidBy, "%s: HMAC must verify with the client secret", path)
		h := r.Header
		assert.Equal(t, "application/json", h.Get("Content-Type"))
		assert.Equal(t, "orders/create", h.Get("X-Shopify-Topic"))
		assert.Equal(t, DefaultShopDomain, h.Get("X-Shopify-Shop-Domain"))
		assert.Equal(t, DefaultAPIVersion, h.Get("X-Shopify-API-Version"))
		assert.Regexp(t, uuidRE, h.Get("X-Shopify-Webhook-Id"))
		assert.Equal(t, "59d6d79c-595f-4e7e-bc6f-72f5c3d0c66f", h.Get("X-Shopify-Event-Id"))
		assert.Regexp(t, triggeredAtRE, h.Get("X-Shopify-Triggered-At"))
		at, err := time.Parse(time.RFC3339Nano, h.Get("X-Shopify-Triggered-At"))
		require.NoError(t, err)
		assert.True(t, at.Equal(trig), "Triggered-At is the event's time, in UTC")
		assert.Equal(t, DefaultUserAgent, h.Get("User-Agent"))
	}
	assert.Equal(t, "order-sync_1", byPath["/named"].Header.Get("X-Shopify-Name"))
	assert.Empty(t, byPath["/plain"].Header.Values("X-Shopify-Name"), "no name, no header")
	assert.NotEqual(t, byPath["/named"].Header.Get("X-Shopify-Webhook-Id"), byPath["/plain"].Header.Get("X-Shopify-Webhook-Id"),
		"each delivery has its own webhook id")
	_ = named
}

func TestEventsHeaderStyle(t *testing.T) {
	t.Parallel()
	d, m := setup(t, func(c *Config) { c.HeaderStyle = HeaderStyleEvents })
	rc := newReceiver(t, m, nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	_, err := d.Subscribe(Subscription{Topic: "inventory_levels/update", URL: srv.URL, Name: "stock"})
	require.NoError(t, err)
	d.Publish(Event{Topic: "inventory_levels/update", EventID: "ev-1", ResourceID: 271878346596884015, Payload: payload(1)})
	r := rc.next()
	assert.Equal(t, SecretCurrent, r.ValidBy)
	h := r.Header
	assert.Equal(t, "inventory_levels/update", h.Get("shopify-topic"))
	assert.Equal(t, "update", h.Get("shopify-action"))
	assert.Equal(t, "gid://shopify/InventoryLevel/271878346596884015", h.Get("shopify-resource-id"))
	assert.Equal(t, "stock", h.Get("shopify-handle"))
	assert.Equal(t, "ev-1", h.Get("shopify-event-id"))
	assert.Regexp(t, uuidRE, h.Get("shopify-webhook-id"))
	assert.Regexp(t, triggeredAtRE, h.Get("shopify-triggered-at"))
	assert.Equal(t, DefaultShopDomain, h.Get("shopify-shop-domain"))
	assert.Equal(t, DefaultAPIVersion, h.Get("shopify-api-version"))
	assert.Empty(t, h.Get("X-Shopify-Topic"), "events style sends no X-Shopify-* headers")
}

// TestHeaderSpellingOnTheWire reads the raw request: header names go out exactly as
// Shopify documents them (X-Shopify-API-Version, lowercase shopify-* for events).
func TestHeaderSpellingOnTheWire(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		style string
		want  []string
	}{
		{HeaderStyleLegacy, []string{"X-Shopify-Topic:", "X-Shopify-Hmac-Sha256:", "X-Shopify-Shop-Domain:", "X-Shopify-API-Version:",
			"X-Shopify-Webhook-Id:", "X-Shopify-Triggered-At:", "X-Shopify-Event-Id:", "X-Shopify-Name:", "Content-Type: application/json"}},
		{HeaderStyleEvents, []string{"shopify-topic:", "shopify-hmac-sha256:", "shopify-shop-domain:", "shopify-api-version:",
			"shopify-webhook-id:", "shopify-triggered-at:", "shopify-event-id:", "shopify-handle:", "shopify-action: create",
			"shopify-resource-id: gid://shopify/Order/5"}},
	} {
		t.Run(tc.style, func(t *testing.T) {
			t.Parallel()
			ln, err := net.Listen("tcp", "127.0.0.1:0")
			require.NoError(t, err)
			defer ln.Close()
			lines := make(chan []string, 1)
			go func() {
				c, err := ln.Accept()
				if err != nil {
					return
				}
				defer c.Close()
				br := bufio.NewReader(c)
				var got []string
				for {
					l, err := br.ReadString('\n')
					if err != nil || l == "\r\n" {
						break
					}
					got = append(got, strings.TrimRight(l, "\r\n"))
				}
				_, _ = c.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n"))
				lines <- got
			}()
			d, _ := setup(t, func(c *Config) { c.HeaderStyle = tc.style })
			_, err = d.Subscribe(Subscription{Topic: "orders/create", URL: "http://" + ln.Addr().String() + "/h", Name: "n1"})
			require.NoError(t, err)
			d.Publish(Event{Topic: "orders/create", ResourceID: 5, Payload: payload(1)})
			got := strings.Join(<-lines, "\n")
			assert.True(t, strings.HasPrefix(got, "POST /h HTTP/1.1"), got)
			for _, w := range tc.want {
				assert.Contains(t, got, "\n"+w, "raw request lacks %q", w)
			}
		})
	}
}

// TestRetryScheduleAndStableWebhookID follows one failing delivery through the whole
// default schedule on a manual clock: each retry is due exactly its wait after the
// failure before it, carries the same Webhook-Id, Event-Id and body, and after the 8th
// failed retry the subscription is removed, once.
func TestRetryScheduleAndStableWebhookID(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) { c.OnAttempt = at.hook })
	rc := newReceiver(t, m, func(*http.Request, []byte, int) int { return http.StatusInternalServerError })
	srv := httptest.NewServer(rc)
	defer srv.Close()
	sub := subscribe(t, d, "orders/paid", srv.URL)
	d.Publish(Event{Topic: "orders/paid", EventID: "evt", ResourceID: 9, Payload: payload(1)})

	schedule := DefaultRetrySchedule()
	var total time.Duration
	for _, w := range schedule {
		total += w
	}
	assert.Equal(t, 3*time.Hour+59*time.Minute+3750*time.Millisecond, total, "8 retries over about 4 hours")

	first := rc.next()
	webhookID := first.Header.Get(HeaderWebhookID)
	a := at.next(t)
	assert.Equal(t, 1, a.Attempt)
	assert.Equal(t, epoch, a.SentAt)
	for i, wait := range schedule {
		require.Equal(t, OutcomeRetryScheduled, a.Outcome, "attempt %d", a.Attempt)
		require.Equal(t, 500, a.Status)
		due := a.SentAt.Add(wait)
		require.Equal(t, due, a.NextAttemptAt, "retry %d is due %s after the failure", i+1, wait)

		m.Set(due.Add(-time.Millisecond))
		waitFor(t, "retry scheduled", func() bool { return d.Stats().Scheduled == 1 })
		at.none(t) // the clock is 1 ms short of due: nothing may be sent

		m.Set(due)
		r := rc.next()
		assert.Equal(t, webhookID, r.Header.Get(HeaderWebhookID), "retry %d keeps the webhook id", i+1)
		assert.Equal(t, "evt", r.Header.Get(HeaderEventID))
		assert.Equal(t, first.Body, r.Body, "retry %d carries the original payload", i+1)
		assert.Equal(t, first.Header.Get(HeaderTriggeredAt), r.Header.Get(HeaderTriggeredAt))
		assert.Equal(t, SecretCurrent, r.ValidBy)
		a = at.next(t)
		assert.Equal(t, i+2, a.Attempt)
		assert.Equal(t, due, a.SentAt)
		assert.Equal(t, due, a.ScheduledAt)
	}
	assert.Equal(t, OutcomeSubscriptionRemoved, a.Outcome, "8 consecutive failed retries remove the subscription")
	assert.True(t, a.NextAttemptAt.IsZero())
	waitFor(t, "drained", func() bool { return d.Stats().Pending == 0 })
	st := d.Stats()
	assert.Equal(t, int64(9), st.Sent)
	assert.Equal(t, int64(8), st.Retried)
	assert.Equal(t, int64(1), st.Exhausted)
	assert.Equal(t, int64(1), st.SubscriptionsRemoved)
	assert.Empty(t, d.Subscriptions())
	assert.Equal(t, int64(9), st.FailedByStatus["5xx"])

	// Removal is recorded once, and later events go nowhere.
	m.Advance(10 * time.Hour)
	d.Publish(Event{Topic: "orders/paid", Payload: payload(2)})
	removals := 0
	for _, e := range d.Ledger().Effects(RecordSubscription) {
		if e.Action == ledger.Deleted {
			removals++
			assert.Equal(t, sub.ID, e.ID)
			assert.Equal(t, reasonConsecutiveFailures, e.Reason)
		}
	}
	assert.Equal(t, 1, removals)
	assert.Equal(t, int64(1), d.Stats().SubscriptionsRemoved)
	assert.Equal(t, 9, rc.count(), "nothing is sent after the removal")
}

// TestSuccessResetsTheFailureCount: a 2xx to the subscription while a delivery is
// failing means its failures are not consecutive, so exhausting its retries does not
// remove the subscription; the next delivery failing 8 retries in a row does.
func TestSuccessResetsTheFailureCount(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) {
		c.OnAttempt = at.hook
		c.RetrySchedule = []time.Duration{time.Minute, time.Minute, time.Minute}
		c.RemoveAfter = 3
	})
	rc := newReceiver(t, m, func(_ *http.Request, body []byte, _ int) int {
		if strings.Contains(string(body), `"seq":2,`) {
			return http.StatusOK
		}
		return http.StatusServiceUnavailable
	})
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, d, "orders/updated", srv.URL)

	d.Publish(Event{Topic: "orders/updated", ResourceID: 1, Payload: payload(1)}) // always fails
	a := at.next(t)
	require.Equal(t, OutcomeRetryScheduled, a.Outcome)
	m.Set(a.NextAttemptAt)
	a = at.next(t) // retry 1 fails
	require.Equal(t, 2, a.Attempt)
	d.Publish(Event{Topic: "orders/updated", ResourceID: 2, Payload: payload(2)}) // succeeds
	require.Equal(t, OutcomeSucceeded, at.next(t).Outcome)
	for a.NextAttemptAt.After(time.Time{}) {
		m.Set(a.NextAttemptAt)
		a = at.next(t)
	}
	assert.Equal(t, 4, a.Attempt)
	assert.Equal(t, OutcomeExhausted, a.Outcome, "a success in between: exhausted, not removed")
	require.Len(t, d.Subscriptions(), 1)

	d.Publish(Event{Topic: "orders/updated", ResourceID: 3, Payload: payload(3)}) // fails 1+3 times in a row
	a = at.next(t)
	for a.NextAttemptAt.After(time.Time{}) {
		m.Set(a.NextAttemptAt)
		a = at.next(t)
	}
	assert.Equal(t, OutcomeSubscriptionRemoved, a.Outcome)
	assert.Empty(t, d.Subscriptions())
	assert.Equal(t, int64(1), d.Stats().SubscriptionsRemoved)
}

func TestRemovalAbandonsScheduledDeliveries(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) {
		c.OnAttempt = at.hook
		c.RetrySchedule = []time.Duration{time.Minute}
		c.RemoveAfter = 1
		c.Workers = 1
	})
	rc := newReceiver(t, m, func(*http.Request, []byte, int) int { return http.StatusBadRequest })
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, d, "orders/create", srv.URL)
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	a1 := at.next(t)
	m.Advance(30 * time.Second)
	d.Publish(Event{Topic: "orders/create", Payload: payload(2)})
	a2 := at.next(t) // fails; retry due at +1m30s
	require.Equal(t, OutcomeRetryScheduled, a2.Outcome)
	m.Set(a1.NextAttemptAt)
	a := at.next(t)
	require.Equal(t, OutcomeSubscriptionRemoved, a.Outcome)
	require.NoError(t, d.Drain(context.Background()), "the second delivery's retry is abandoned, not left waiting")
	st := d.Stats()
	assert.Equal(t, int64(1), st.Abandoned)
	assert.Equal(t, int64(0), st.Scheduled)
	var abandoned int
	for _, e := range d.Ledger().Effects(RecordDelivery) {
		if e.Action == "abandoned" {
			abandoned++
			assert.Equal(t, a2.WebhookID, e.ID)
		}
	}
	assert.Equal(t, 1, abandoned)
}

func TestFailuresThatAreNotSuccess(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name    string
		handler http.HandlerFunc
		status  int
		class   string
	}{
		{"301 redirect is not followed", func(w http.ResponseWriter, r *http.Request) {
			http.Redirect(w, r, "/elsewhere", http.StatusMovedPermanently)
		}, 301, ""},
		{"302 redirect", func(w http.ResponseWriter, r *http.Request) { http.Redirect(w, r, "/x", http.StatusFound) }, 302, ""},
		{"404", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(404) }, 404, ""},
		{"429", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(429) }, 429, ""},
		{"503", func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(503) }, 503, ""},
		{"connection reset mid-response", func(w http.ResponseWriter, _ *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			_, _ = conn.Write([]byte("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\npartial"))
			conn.Close()
		}, 0, ErrClassReset},
		{"connection closed without a response", func(w http.ResponseWriter, _ *http.Request) {
			conn, _, _ := w.(http.Hijacker).Hijack()
			conn.Close()
		}, 0, ErrClassReset},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			at := newAttempts()
			d, _ := setup(t, func(c *Config) { c.OnAttempt = at.hook })
			var elsewhere atomic.Int64
			mux := http.NewServeMux()
			mux.HandleFunc("/hook", tc.handler)
			mux.HandleFunc("/", func(http.ResponseWriter, *http.Request) { elsewhere.Add(1) })
			srv := httptest.NewServer(mux)
			defer srv.Close()
			subscribe(t, d, "orders/create", srv.URL+"/hook")
			d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
			a := at.next(t)
			assert.Equal(t, tc.status, a.Status)
			assert.Equal(t, tc.class, a.Error)
			assert.Equal(t, OutcomeRetryScheduled, a.Outcome)
			assert.Equal(t, int64(1), d.Stats().Failed)
			assert.Zero(t, elsewhere.Load(), "redirects are never followed")
		})
	}
}

func TestEvery2xxIsSuccess(t *testing.T) {
	t.Parallel()
	for _, status := range []int{200, 201, 202, 204, 299} {
		at := newAttempts()
		d, _ := setup(t, func(c *Config) { c.OnAttempt = at.hook })
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { w.WriteHeader(status) }))
		subscribe(t, d, "orders/create", srv.URL)
		d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
		a := at.next(t)
		assert.Equal(t, OutcomeSucceeded, a.Outcome, "status %d", status)
		assert.True(t, a.Succeeded())
		srv.Close()
	}
}

func TestRefusedConnectionIsAFailure(t *testing.T) {
	t.Parallel()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := ln.Addr().String()
	ln.Close()
	at := newAttempts()
	d, _ := setup(t, func(c *Config) { c.OnAttempt = at.hook })
	subscribe(t, d, "orders/create", "http://"+addr+"/gone")
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	a := at.next(t)
	assert.Equal(t, ErrClassRefused, a.Error)
	assert.Equal(t, 0, a.Status)
	assert.Equal(t, int64(1), d.Stats().FailedByError[ErrClassRefused])
}

// TestFiveSecondTimeout: on the manual clock the receiver has exactly 5 s of platform
// time to answer.
func TestFiveSecondTimeout(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) { c.OnAttempt = at.hook })
	release := make(chan struct{})
	arrived := make(chan struct{}, 1)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release) // before srv.Close, which waits for the handler
	subscribe(t, d, "orders/create", srv.URL)
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	<-arrived
	m.Advance(5*time.Second - time.Millisecond)
	at.none(t)
	assert.Equal(t, int64(1), d.Stats().InFlight, "still waiting 1 ms before the limit")
	m.Advance(time.Millisecond)
	a := at.next(t)
	assert.Equal(t, ErrClassTimeout, a.Error)
	assert.Equal(t, 0, a.Status)
	assert.Equal(t, 5*time.Second, a.Latency)
	assert.Equal(t, OutcomeRetryScheduled, a.Outcome)
	assert.Equal(t, epoch.Add(5*time.Second+DefaultRetrySchedule()[0]), a.NextAttemptAt)
}

// TestScaledClockCompressesTheTimeout: at speed 100 the 5 s limit is 50 ms of wall time.
func TestScaledClockCompressesTheTimeout(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, err := New(Config{Clock: clockScaled(100), ClientSecret: testSecret, OnAttempt: at.hook})
	require.NoError(t, err)
	defer d.Close()
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	subscribe(t, d, "orders/create", srv.URL)
	start := time.Now()
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	a := at.next(t)
	wall := time.Since(start)
	assert.Equal(t, ErrClassTimeout, a.Error)
	assert.Less(t, wall, time.Second, "5 s of platform time at speed 100 is 50 ms of wall time")
	assert.GreaterOrEqual(t, a.Latency, 5*time.Second-100*time.Millisecond)
}

func TestRotationWindowSignsWithThePreviousSecretThenTheNew(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) {
		c.PreviousSecret = "old-secret"
		c.RotationWindow = time.Hour
		c.OnAttempt = at.hook
		c.RetrySchedule = []time.Duration{2 * time.Minute}
		c.RemoveAfter = -1
	})
	rc := newReceiver(t, m, func(_ *http.Request, body []byte, _ int) int {
		if strings.Contains(string(body), `"seq":3,`) && !strings.Contains(string(body), "retried") {
			return 500
		}
		return 200
	})
	rc.secrets = map[string]string{SecretCurrent: testSecret, SecretPrevious: "old-secret"}
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, d, "orders/create", srv.URL)

	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	assert.Equal(t, SecretPrevious, rc.next().ValidBy, "inside the window: the old secret")
	assert.Equal(t, SecretPrevious, at.next(t).SignedWith)

	m.Advance(59 * time.Minute)
	d.Publish(Event{Topic: "orders/create", Payload: payload(3)})
	assert.Equal(t, SecretPrevious, rc.next().ValidBy)
	a := at.next(t)
	require.Equal(t, OutcomeRetryScheduled, a.Outcome)
	m.Set(a.NextAttemptAt) // 1h01m: the retry crosses the window
	r := rc.next()
	assert.Equal(t, SecretCurrent, r.ValidBy, "after the window a retry is signed with the new secret")
	assert.Equal(t, SecretCurrent, at.next(t).SignedWith)

	d.Publish(Event{Topic: "orders/create", Payload: payload(4)})
	assert.Equal(t, SecretCurrent, rc.next().ValidBy)

	d.Reset() // the window restarts
	subscribe(t, d, "orders/create", srv.URL)
	d.Publish(Event{Topic: "orders/create", Payload: payload(5)})
	assert.Equal(t, SecretPrevious, rc.next().ValidBy)
}

func TestEventIDSharedAcrossTopicsAndSubscriptions(t *testing.T) {
	t.Parallel()
	d, m := setup(t, nil)
	rc := newReceiver(t, m, nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, d, "orders/create", srv.URL)
	subscribe(t, d, "orders/paid", srv.URL+"/a")
	subscribe(t, d, "orders/paid", srv.URL+"/b")
	for _, topic := range []string{"orders/create", "orders/paid"} {
		d.Publish(Event{Topic: topic, EventID: "one-action", Payload: payload(1)})
	}
	d.Publish(Event{Topic: "customers/create", EventID: "unsubscribed", Payload: payload(2)})
	ids := map[string]bool{}
	for range 3 {
		r := rc.next()
		assert.Equal(t, "one-action", r.Header.Get(HeaderEventID))
		ids[r.Header.Get(HeaderWebhookID)] = true
	}
	assert.Len(t, ids, 3, "three deliveries, three webhook ids, one event id")
	require.NoError(t, d.Drain(context.Background()))
	assert.Equal(t, 3, rc.count())
	assert.Equal(t, int64(3), d.Stats().Published)
	assert.Equal(t, int64(3), d.Stats().Deliveries)
}

func TestPublishFillsMissingEventIDAndTime(t *testing.T) {
	t.Parallel()
	d, m := setup(t, nil)
	rc := newReceiver(t, m, nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, d, "orders/create", srv.URL)
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	r := rc.next()
	assert.Regexp(t, uuidRE, r.Header.Get(HeaderEventID))
	assert.Equal(t, "2026-11-27T05:00:00.000000000Z", r.Header.Get(HeaderTriggeredAt))
}

func TestSameSeedSameIDs(t *testing.T) {
	t.Parallel()
	ids := func() []string {
		var out []string
		at := newAttempts()
		d, _ := setup(t, func(c *Config) {
			c.OnAttempt = at.hook
			c.Workers = 1
			c.Transport = handlerTransport{http.NotFoundHandler()}
		})
		subscribe(t, d, "orders/create", "http://receiver.test/")
		for i := range 3 {
			d.Publish(Event{Topic: "orders/create", Payload: payload(i)})
			a := at.next(t)
			out = append(out, a.WebhookID, a.EventID)
		}
		return out
	}
	assert.Equal(t, ids(), ids())
}

func TestPublishAfterCloseIsCountedAndIgnored(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, nil)
	subscribe(t, d, "orders/create", "http://127.0.0.1:1/")
	require.NoError(t, d.Close())
	require.NoError(t, d.Close(), "Close is idempotent")
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	assert.Equal(t, int64(1), d.Stats().RejectedClosed)
	assert.ErrorIs(t, d.Drain(context.Background()), ErrClosed)
	_, err := d.Subscribe(Subscription{Topic: "orders/create", URL: "http://x/"})
	assert.ErrorIs(t, err, ErrClosed)
}

func TestResetRestoresFlagSubscriptionsAndZeroesCounters(t *testing.T) {
	t.Parallel()
	d, m := setup(t, func(c *Config) {
		c.Subscriptions = []Subscription{{Topic: "orders/create", URL: "http://127.0.0.1:9/a"}}
	})
	rc := newReceiver(t, m, nil)
	srv := httptest.NewServer(rc)
	defer srv.Close()
	flagged := d.Subscriptions()
	require.Len(t, flagged, 1)
	assert.Equal(t, SourceFlag, flagged[0].Source)
	assert.Equal(t, SubscriptionIDPrefix+"1", flagged[0].ID)
	other := subscribe(t, d, "orders/paid", srv.URL)
	assert.Equal(t, SubscriptionIDPrefix+"2", other.ID)
	require.NoError(t, d.Unsubscribe(flagged[0].ID))
	d.Publish(Event{Topic: "orders/paid", Payload: payload(1)})
	rc.next()
	waitFor(t, "idle", idle(d))

	d.Reset()
	assert.Equal(t, flagged, d.Subscriptions(), "flag subscriptions come back under their ids; others go")
	assert.Equal(t, Stats{}.Sent, d.Stats().Sent)
	assert.Zero(t, d.Stats().Published)
	assert.Empty(t, d.Attempts(AttemptQuery{}).Attempts)
	again := subscribe(t, d, "orders/paid", srv.URL)
	assert.Equal(t, SubscriptionIDPrefix+"2", again.ID)
}

func TestResetAbandonsPendingWork(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) { c.OnAttempt = at.hook })
	rc := newReceiver(t, m, func(*http.Request, []byte, int) int { return 500 })
	srv := httptest.NewServer(rc)
	defer srv.Close()
	subscribe(t, d, "orders/create", srv.URL)
	for i := range 5 {
		d.Publish(Event{Topic: "orders/create", Payload: payload(i)})
	}
	for range 5 {
		at.next(t)
	}
	waitFor(t, "retries scheduled", func() bool { return d.Stats().Scheduled == 5 })
	d.Reset()
	require.NoError(t, d.Drain(context.Background()))
	assert.Zero(t, d.Stats().Pending)
	m.Advance(24 * time.Hour)
	assert.Equal(t, 5, rc.count(), "no retry survives a reset")
}

func TestUnsubscribe(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, nil)
	s := subscribe(t, d, "orders/create", "http://127.0.0.1:1/")
	require.ErrorIs(t, d.Unsubscribe("gid://shopify/WebhookSubscription/999"), ErrUnknownSubscription)
	require.NoError(t, d.Unsubscribe(strings.TrimPrefix(s.ID, SubscriptionIDPrefix)), "the number alone is enough")
	require.ErrorIs(t, d.Unsubscribe(s.ID), ErrUnknownSubscription)
	assert.Empty(t, d.Subscriptions())
	assert.Zero(t, d.Stats().SubscriptionsRemoved, "an unsubscribe is not a removal for failures")
}

func TestSubscribeValidation(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, nil)
	for _, tc := range []struct {
		name string
		sub  Subscription
		ok   bool
	}{
		{"ok", Subscription{Topic: "orders/create", URL: "https://example.com/h?token=1"}, true},
		{"ok with name", Subscription{Topic: "inventory_levels/update", URL: "http://x:8080/", Name: "a-b_C9"}, true},
		{"explicit id", Subscription{ID: SubscriptionIDPrefix + "77", Topic: "orders/create", URL: "http://x/"}, true},
		{"duplicate id", Subscription{ID: SubscriptionIDPrefix + "77", Topic: "orders/paid", URL: "http://x/"}, false},
		{"id without prefix", Subscription{ID: "77", Topic: "orders/create", URL: "http://x/"}, false},
		{"no topic", Subscription{URL: "http://x/"}, false},
		{"graphql enum topic", Subscription{Topic: "ORDERS_CREATE", URL: "http://x/"}, false},
		{"three-part topic", Subscription{Topic: "a/b/c", URL: "http://x/"}, false},
		{"relative url", Subscription{Topic: "orders/create", URL: "/hooks"}, false},
		{"ftp url", Subscription{Topic: "orders/create", URL: "ftp://x/"}, false},
		{"credentials in url", Subscription{Topic: "orders/create", URL: "http://u:p@x/"}, false},
		{"name with space", Subscription{Topic: "orders/create", URL: "http://x/", Name: "a b"}, false},
		{"name too long", Subscription{Topic: "orders/create", URL: "http://x/", Name: strings.Repeat("n", 51)}, false},
		{"unknown source", Subscription{Topic: "orders/create", URL: "http://x/", Source: "ui"}, false},
		{"same topic and url from another source", Subscription{Topic: "orders/create", URL: "https://example.com/h?token=1", Source: SourceFlag}, true},
	} {
		_, err := d.Subscribe(tc.sub)
		if tc.ok {
			assert.NoError(t, err, tc.name)
		} else {
			assert.ErrorIs(t, err, ErrInvalidSubscription, tc.name)
		}
	}
	_, err := d.Subscribe(Subscription{Topic: "orders/create", URL: "https://example.com/h?token=1"})
	assert.ErrorIs(t, err, ErrDuplicateSubscription, "same topic, address and source")
	s, err := d.Subscribe(Subscription{Topic: "orders/create", URL: "http://y/"})
	require.NoError(t, err)
	assert.Equal(t, SubscriptionIDPrefix+"79", s.ID, "numbering continues after an explicit id")
}

func TestConfigValidate(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		mod  func(*Config)
		want string
	}{
		{func(c *Config) {}, ""},
		{func(c *Config) { c.HeaderStyle = "modern" }, "webhook-header-style"},
		{func(c *Config) { c.ResponseTimeout = -time.Second }, "webhook-timeout"},
		{func(c *Config) { c.ConnectTimeout = -time.Second }, "webhook-connect-timeout"},
		{func(c *Config) { c.RetrySchedule = []time.Duration{time.Second, 0} }, "webhook-retry-schedule"},
		{func(c *Config) { c.RetrySchedule = []time.Duration{time.Second} }, "webhook-remove-after 8 exceeds the 1 retries"},
		{func(c *Config) { c.RetrySchedule = []time.Duration{}; c.RemoveAfter = -1 }, ""},
		{func(c *Config) { c.RemoveAfter = -2 }, "webhook-remove-after"},
		{func(c *Config) { c.Workers = -1 }, "webhook-workers"},
		{func(c *Config) { c.MaxPending = -1 }, "webhook-max-pending"},
		{func(c *Config) { c.AttemptLogSize = -2 }, "webhook-attempt-log"},
		{func(c *Config) { c.RotationWindow = -time.Second }, "webhook-rotation-window"},
		{func(c *Config) { c.Faults.DuplicateShare = 1.5 }, "webhook-duplicate-share"},
		{func(c *Config) { c.Faults.DropShare = -0.1 }, "webhook-drop-share"},
		{func(c *Config) { c.Faults.BurstSize = 5 }, "webhook-burst-size and burst-interval"},
		{func(c *Config) { c.Flow.Timeout = -1 }, "flow-timeout"},
		{func(c *Config) { c.Flow.RetryMax = time.Second }, "flow-retry-max"},
		{func(c *Config) { c.Flow.Workflows = []flow.Workflow{{Name: "x"}} }, "flow-workflows"},
		{func(c *Config) { c.Subscriptions = []Subscription{{Topic: "bad", URL: "http://x/"}} }, "webhook bad=http://x/"},
		{func(c *Config) { c.UserAgent = "a\nb" }, "webhook-user-agent"},
	} {
		cfg := Config{}
		tc.mod(&cfg)
		err := cfg.Validate()
		if tc.want == "" {
			assert.NoError(t, err)
			continue
		}
		if assert.Error(t, err, tc.want) {
			assert.Contains(t, err.Error(), tc.want)
		}
		_, err = New(cfg)
		assert.Error(t, err, "New refuses what Validate refuses")
	}
}

func TestConnectTimeoutScalesWithAFloor(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		speed   float64
		connect time.Duration
		want    time.Duration
	}{
		{1, time.Second, time.Second},
		{5, time.Second, 200 * time.Millisecond},
		{100, time.Second, 100 * time.Millisecond},          // 10 ms, floored
		{100, 50 * time.Millisecond, 50 * time.Millisecond}, // a configured value below the floor stays
	} {
		d, err := New(Config{Clock: clockScaled(tc.speed), ConnectTimeout: tc.connect})
		require.NoError(t, err)
		assert.Equal(t, tc.want, d.dialTimeout(), "speed %v, connect %s", tc.speed, tc.connect)
		require.NoError(t, d.Close())
	}
}

// Shopify deletes a subscription after 8 consecutive failures "if it was created through
// the Admin API": an app-configuration subscription (source flag) whose delivery fails
// every retry stays, its delivery exhausted; RemoveConfigSubscriptions removes it too.
func TestOnlyAPISubscriptionsAreRemoved(t *testing.T) {
	t.Parallel()
	for _, removeConfig := range []bool{false, true} {
		at := newAttempts()
		d, m := setup(t, func(c *Config) {
			c.OnAttempt = at.hook
			c.RetrySchedule = []time.Duration{time.Minute, time.Minute}
			c.RemoveAfter = 2
			c.RemoveConfigSubscriptions = removeConfig
		})
		rc := newReceiver(t, m, func(*http.Request, []byte, int) int { return http.StatusServiceUnavailable })
		srv := httptest.NewServer(rc)
		_, err := d.Subscribe(Subscription{Topic: "orders/create", URL: srv.URL + "/config", Source: SourceFlag})
		require.NoError(t, err)
		_, err = d.Subscribe(Subscription{Topic: "orders/paid", URL: srv.URL + "/api", Source: SourceGraphQL})
		require.NoError(t, err)
		outcomes := map[string]string{}
		for _, topic := range []string{"orders/create", "orders/paid"} {
			d.Publish(Event{Topic: topic, ResourceID: 1, Payload: payload(1)})
			a := at.next(t)
			for a.NextAttemptAt.After(time.Time{}) {
				m.Set(a.NextAttemptAt)
				a = at.next(t)
			}
			outcomes[topic] = a.Outcome
		}
		srv.Close()
		assert.Equal(t, OutcomeSubscriptionRemoved, outcomes["orders/paid"], "an API subscription is removed")
		if removeConfig {
			assert.Equal(t, OutcomeSubscriptionRemoved, outcomes["orders/create"])
			assert.Empty(t, d.Subscriptions())
			continue
		}
		assert.Equal(t, OutcomeExhausted, outcomes["orders/create"], "a config subscription stays")
		subs := d.Subscriptions()
		require.Len(t, subs, 1)
		assert.Equal(t, SourceFlag, subs[0].Source)
	}
}
