package sut

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/netsuite"
)

// startNetSuite runs a fast fake NetSuite demanding the bundled integrator's token.
func startNetSuite(t *testing.T, cat *catalog.Catalog, creds Credentials) (*netsuite.Server, string) {
	t.Helper()
	opts := netsuite.Options{Catalog: cat, Token: creds.NetSuiteToken,
		Limits: netsuite.Limits{Latency: "1ms", ReadLatency: "0", FulfillAfter: "off", Concurrency: 50}}
	if creds.NetSuiteClientID != "" {
		key, err := netsuite.ParsePublicKey([]byte(creds.NetSuitePublicKey))
		require.NoError(t, err)
		opts.OAuth2Clients = []netsuite.OAuth2Client{{ClientID: creds.NetSuiteClientID, CertificateID: creds.NetSuiteCertificateID, PublicKey: key}}
	}
	ns, err := netsuite.New(opts)
	require.NoError(t, err)
	url, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })
	return ns, url
}

// deliver posts a signed orders/create webhook for order id to the system.
func deliver(t *testing.T, s SUT, cat *catalog.Catalog, id int64) int {
	t.Helper()
	body, err := json.Marshal(map[string]any{
		"id": id, "name": fmt.Sprintf("#%d", id), "email": "buyer@example.com",
		"created_at": "2026-11-27T10:00:00Z", "updated_at": "2026-11-27T10:00:00Z",
		"financial_status": "paid", "currency": "USD",
		"line_items":       []map[string]any{{"sku": cat.Items[0].SKU, "title": cat.Items[0].Title, "quantity": 1, "price": cat.Items[0].Price()}},
		"shipping_address": map[string]any{"name": "Pat Buyer", "address1": "1 Main St", "city": "Austin", "province_code": "TX", "zip": "73301", "country_code": "US"},
	})
	require.NoError(t, err)
	hooks := s.Webhooks()
	mac := hmac.New(sha256.New, []byte(hooks.Secret))
	mac.Write(body)
	req, err := http.NewRequest(http.MethodPost, hooks.URL, bytes.NewReader(body))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", "orders/create")
	req.Header.Set("X-Shopify-Hmac-Sha256", base64.StdEncoding.EncodeToString(mac.Sum(nil)))
	req.Header.Set("X-Shopify-Webhook-Id", fmt.Sprintf("wh-%d", id))
	req.Header.Set("X-Shopify-Shop-Domain", "peakready-demo.myshopify.com")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	return resp.StatusCode
}

func waitDrained(t *testing.T, q QueueObserver) {
	t.Helper()
	require.Eventually(t, func() bool {
		st, err := q.QueueStats(context.Background())
		return err == nil && st.Messages == 0
	}, 20*time.Second, 10*time.Millisecond)
}

// The bundled system behind the seam: webhooks reach a replica and NetSuite, its queue
// is visible, a crashed replica leaves the other serving, a restarted one serves again,
// and Close stops everything.
func TestBundledSyncsCrashesAndRestarts(t *testing.T) {
	cat := catalog.Generate(3, 20, 1)
	st := Bundled(BundledConfig{Replicas: 2, Workers: 2, Redis: "embedded"})
	creds := st.Credentials()
	require.Empty(t, creds.NetSuiteToken, "the bundled integrator logs in with client credentials")
	require.NotEmpty(t, creds.NetSuiteClientID)
	assert.Equal(t, creds, st.Credentials(), "one key pair per starter")
	ns, nsURL := startNetSuite(t, &cat, creds)
	s, err := st.Start(context.Background(), Upstreams{NetSuiteURL: nsURL, Credentials: creds, NetSuiteCustomer: netsuite.DefaultCustomerID, Clock: clock.NewScaled(1)})
	require.NoError(t, err)
	closed := false
	defer func() {
		if !closed {
			_ = s.Close()
		}
	}()
	assert.Equal(t, "builtin: 2 replicas, redis embedded", s.Traits().Description)
	q, ok := s.(QueueObserver)
	require.True(t, ok, "the bundled integrator shows its queue")
	cr, ok := s.(Crasher)
	require.True(t, ok, "the bundled integrator's replicas can be crashed")
	require.Equal(t, 2, cr.Replicas())

	for id := int64(1); id <= 4; id++ {
		require.Equal(t, http.StatusOK, deliver(t, s, &cat, id))
	}
	waitDrained(t, q)
	assert.Equal(t, 4, ns.SalesOrderCount())

	require.NoError(t, cr.Crash(0))
	require.NoError(t, cr.Crash(0), "crashing a dead replica does nothing")
	for id := int64(5); id <= 8; id++ {
		require.Equal(t, http.StatusOK, deliver(t, s, &cat, id), "the live replica takes every webhook")
	}
	require.NoError(t, cr.Restart(0))
	for id := int64(9); id <= 12; id++ {
		require.Equal(t, http.StatusOK, deliver(t, s, &cat, id))
	}
	waitDrained(t, q)
	assert.Equal(t, 12, ns.SalesOrderCount())
	assert.Positive(t, ns.GovernanceStats().OAuth2.Issued, "tokens came from the token endpoint")
	acc, err := s.Accounted(context.Background())
	require.NoError(t, err)
	assert.True(t, acc.Known())
	assert.Empty(t, acc.DeadLettered)
	require.Error(t, cr.Crash(2), "there is no replica 2")

	hooks := s.Webhooks()
	require.NoError(t, s.Close())
	closed = true
	_, err = http.Post(hooks.URL, "application/json", nil)
	assert.Error(t, err, "nothing listens after Close")
}

// A static token still works: the bundled integrator against a fake that knows only it.
func TestBundledWithAStaticNetSuiteToken(t *testing.T) {
	cat := catalog.Generate(3, 20, 1)
	st := Bundled(BundledConfig{Replicas: 1, Workers: 2, Redis: "embedded", NetSuiteStaticToken: true})
	creds := st.Credentials()
	require.Equal(t, bundledNetSuiteToken, creds.NetSuiteToken)
	require.Empty(t, creds.NetSuiteClientID)
	ns, nsURL := startNetSuite(t, &cat, creds)
	s, err := st.Start(context.Background(), Upstreams{NetSuiteURL: nsURL, Credentials: creds, NetSuiteCustomer: netsuite.DefaultCustomerID, Clock: clock.NewScaled(1)})
	require.NoError(t, err)
	defer func() { _ = s.Close() }()
	require.Equal(t, http.StatusOK, deliver(t, s, &cat, 1))
	waitDrained(t, s.(QueueObserver))
	assert.Equal(t, 1, ns.SalesOrderCount())
	assert.Zero(t, ns.GovernanceStats().OAuth2.Issued)
}

func TestBalancerSpreadsOverLiveReplicasOnly(t *testing.T) {
	hits := map[string]int{}
	rep := func(name string) *stubReplica {
		return &stubReplica{h: http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { hits[name]++ })}
	}
	a, b := rep("a"), rep("b")
	var lb balancer
	serve := func() int {
		rec := httptest.NewRecorder()
		lb.ServeHTTP(rec, httptest.NewRequest(http.MethodPost, "/", nil))
		return rec.Code
	}
	assert.Equal(t, http.StatusBadGateway, serve(), "no replica: 502, and Shopify retries")
	lb.add(a)
	lb.add(b)
	for range 10 {
		serve()
	}
	assert.Equal(t, map[string]int{"a": 5, "b": 5}, hits)
	assert.True(t, lb.remove(a))
	assert.False(t, lb.remove(a), "a is out already")
	for range 4 {
		serve()
	}
	assert.Equal(t, map[string]int{"a": 5, "b": 9}, hits)
	assert.True(t, lb.remove(b))
	assert.Equal(t, http.StatusBadGateway, serve())
}

type stubReplica struct{ h http.Handler }

func (s *stubReplica) proxy() http.Handler   { return s.h }
func (s *stubReplica) crash()                {}
func (s *stubReplica) stop()                 {}
func (s *stubReplica) done() <-chan struct{} { return nil }

func TestExternalNeedsAURLAndASecret(t *testing.T) {
	_, err := External(ExternalConfig{WebhookURL: "ftp://x", Secret: "s"}).Start(context.Background(), Upstreams{})
	assert.ErrorContains(t, err, "http(s)")
	_, err = External(ExternalConfig{WebhookURL: "http://127.0.0.1:9/hook"}).Start(context.Background(), Upstreams{})
	assert.ErrorContains(t, err, "secret")
	s, err := External(ExternalConfig{WebhookURL: "http://127.0.0.1:9/hook", Secret: "s", HoldsHighRisk: true}).Start(context.Background(), Upstreams{})
	require.NoError(t, err)
	assert.Equal(t, OrderTopics, s.Webhooks().SubscribedTopics())
	assert.Equal(t, Traits{Description: "external: http://127.0.0.1:9/hook", HoldsHighRisk: true}, s.Traits())
	acc, err := s.Accounted(context.Background())
	require.NoError(t, err)
	assert.False(t, acc.Known(), "an external system does not say what it held")
	_, isQueue := s.(QueueObserver)
	assert.False(t, isQueue)
}

func TestOrderIDOfKey(t *testing.T) {
	for key, want := range map[string]int64{"order:820982911946154508": 820982911946154508, "order:": 0, "customer:1": 0, "order:x": 0} {
		id, ok := OrderIDOfKey(key)
		assert.Equal(t, want, id, key)
		assert.Equal(t, want != 0, ok, key)
	}
}
