package integrator_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/redisserver/redisservertest"
)

func TestMain(m *testing.M) {
	redis.SetLogger(quietRedis{}) // the Redis-outage test makes go-redis log every refused dial
	redisservertest.Main(m)
}

type quietRedis struct{}

func (quietRedis) Printf(context.Context, string, ...any) {}

const (
	secret  = "shpss_e2e_secret"
	nsToken = "ns-token"
	admin   = "admin-token-of-the-e2e-tests"
)

var cat = catalog.Generate(7, 50, 2)

// env is one system under test: a fake NetSuite, one or more integrator replicas on one
// Redis, and their HTTP servers.
type env struct {
	t        testing.TB
	ns       *netsuite.Server
	nsURL    string
	rdb      redis.UniversalClient
	prefix   string
	replicas []*replica
}

type replica struct {
	app    *integrator.App
	srv    *httptest.Server
	cancel context.CancelFunc
	done   chan error
}

type envOptions struct {
	nsLimits    netsuite.Limits
	nsFaults    []string
	concurrency int
	replicas    int
	lease       time.Duration
	backoff     queue.BackoffFunc
	breakerOpen time.Duration
	rdb         redis.UniversalClient
}

func newEnv(t testing.TB, o envOptions) *env {
	t.Helper()
	if o.nsLimits.Latency == "" {
		o.nsLimits.Latency = "2ms"
	}
	o.nsLimits.ReadLatency = "0"
	o.nsLimits.FulfillAfter = "off"
	// Redis first: starting its container can take seconds, and the fake's fault windows
	// (maintenance:from=0s,…) count from the fake's start.
	e := &env{t: t, rdb: o.rdb}
	if e.rdb == nil {
		url := redisservertest.URL(t)
		opt, err := redis.ParseURL(url)
		require.NoError(t, err)
		c := redis.NewClient(opt)
		t.Cleanup(func() { _ = c.Close() })
		e.rdb = c
		e.prefix = redisservertest.KeyPrefix(t, url)
	} else {
		e.prefix = fmt.Sprintf("t%d", time.Now().UnixNano())
	}
	ns, err := netsuite.New(netsuite.Options{Catalog: &cat, Limits: o.nsLimits, Token: nsToken})
	require.NoError(t, err)
	var rules []faults.Rule
	for _, spec := range o.nsFaults {
		r, err := faults.ParseSpec(spec)
		require.NoError(t, err)
		rules = append(rules, r)
	}
	if len(rules) > 0 {
		require.NoError(t, ns.Fake().ApplyProfile(fakehttp.Profile{Faults: rules}))
	}
	nsURL, err := ns.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = ns.Close() })

	e.ns, e.nsURL = ns, nsURL
	if o.replicas == 0 {
		o.replicas = 1
	}
	if o.replicas < 0 {
		o.replicas = 0
	}
	for i := 0; i < o.replicas; i++ {
		e.replicas = append(e.replicas, e.startReplica(o))
	}
	return e
}

func (e *env) startReplica(o envOptions) *replica {
	t := e.t
	backoff := o.backoff
	if backoff == nil {
		backoff = func(int) time.Duration { return 20 * time.Millisecond }
	}
	app, err := integrator.New(integrator.Config{
		Redis: e.rdb, Prefix: e.prefix, WebhookSecret: secret,
		NetSuiteURL: e.nsURL, NetSuiteToken: nsToken, NetSuiteConcurrency: max(o.concurrency, 1), NetSuiteCustomer: netsuite.DefaultCustomerID,
		NetSuiteTimeout: 2 * time.Second, AdminToken: admin, Workers: 8, Lease: o.lease, MaxAttempts: 12,
		Backoff: backoff, BreakerFailures: 3, BreakerOpenFor: o.breakerOpen,
	})
	require.NoError(t, err)
	r := &replica{app: app, srv: httptest.NewServer(app.Handler()), done: make(chan error, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() { r.done <- app.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		<-r.done
		r.srv.Close()
		app.Close()
	})
	return r
}

// order is a Shopify order webhook payload at one version.
type order struct {
	ID        int64
	Version   int // seconds after the base time: its updated_at
	Lines     map[string]int
	Cancelled bool
}

var base = time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)

func (o order) payload() []byte {
	type line struct {
		SKU      string `json:"sku"`
		Title    string `json:"title"`
		Quantity int    `json:"quantity"`
		Price    string `json:"price"`
	}
	var lines []line
	for _, it := range cat.Items {
		if q, ok := o.Lines[it.SKU]; ok {
			lines = append(lines, line{SKU: it.SKU, Title: it.Title, Quantity: q, Price: it.Price()})
		}
	}
	p := map[string]any{
		"id": o.ID, "name": "#" + strconv.FormatInt(o.ID%100000, 10), "email": "buyer@example.com",
		"created_at": base.Format(time.RFC3339), "updated_at": base.Add(time.Duration(o.Version) * time.Second).Format(time.RFC3339),
		"financial_status": "paid", "currency": "USD", "line_items": lines,
		"shipping_address": map[string]any{"name": "Pat Buyer", "address1": "1 Main St", "city": "Austin", "province_code": "TX", "zip": "73301", "country_code": "US"},
	}
	if o.Cancelled {
		p["cancelled_at"] = base.Add(time.Duration(o.Version) * time.Second).Format(time.RFC3339)
	}
	b, _ := json.Marshal(p)
	return b
}

func sign(body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// deliver posts one signed webhook to replica i and returns the status.
func (e *env) deliver(i int, topic, webhookID string, body []byte) int {
	return deliverTo(e.replicas[i%len(e.replicas)].srv.URL, topic, webhookID, body)
}

// deliverTo posts one signed webhook to the integrator at base and returns the status.
func deliverTo(base, topic, webhookID string, body []byte) int {
	req, _ := http.NewRequest(http.MethodPost, base+"/webhooks/shopify", bytes.NewReader(body))
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("X-Shopify-Topic", topic)
	req.Header.Set("X-Shopify-Hmac-Sha256", sign(body))
	req.Header.Set("X-Shopify-Shop-Domain", "peakready-demo.myshopify.com")
	req.Header.Set("X-Shopify-Webhook-Id", webhookID)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0
	}
	resp.Body.Close()
	return resp.StatusCode
}

// drain waits until the shared queue is empty and nothing is in flight.
func (e *env) drain(timeout time.Duration) integrator.QueueStatsView {
	e.t.Helper()
	deadline := time.Now().Add(timeout)
	for {
		s, err := e.replicas[0].app.QueueStats(context.Background())
		require.NoError(e.t, err)
		if s.Messages == 0 && s.GroupsInFlight == 0 {
			return s
		}
		if time.Now().After(deadline) {
			e.t.Fatalf("queue did not drain in %v: %+v", timeout, s)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

type salesOrder struct {
	ExternalID       string `json:"externalId"`
	ShopifyUpdatedAt string `json:"custbody_shopify_updated_at"`
	OrderStatus      struct {
		ID string `json:"id"`
	} `json:"orderStatus"`
	TaxTotal float64 `json:"taxTotal"`
	Item     struct {
		Items []struct {
			Item struct {
				ExternalID string `json:"externalId"`
				RefName    string `json:"refName"`
				ID         string `json:"id"`
			} `json:"item"`
			Quantity int `json:"quantity"`
		} `json:"items"`
	} `json:"item"`
}

func (e *env) salesOrder(id int64) (salesOrder, int) {
	req, _ := http.NewRequest(http.MethodGet, fmt.Sprintf("%s/services/rest/record/v1/salesOrder/eid:%d?expandSubResources=true", e.nsURL, id), nil)
	req.Header.Set("Authorization", "Bearer "+nsToken)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	var so salesOrder
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode == 200 {
		require.NoError(e.t, json.Unmarshal(b, &so), string(b))
	}
	return so, resp.StatusCode
}

func (e *env) recordsFor(id int64) int64 {
	return e.ns.Ledger().Counts("salesOrder").RecordsByNaturalKey[strconv.FormatInt(id, 10)]
}

func sku(i int) string { return cat.Items[i].SKU }

// Duplicated and reordered webhooks end as one ERP record holding the newest state.
func TestDuplicateAndReorderedWebhooksLeaveOneRecordWithNewestState(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{concurrency: 5})
	const id = 820982911946154508
	v1 := order{ID: id, Version: 0, Lines: map[string]int{sku(0): 1}}
	v2 := order{ID: id, Version: 10, Lines: map[string]int{sku(0): 2}}
	v3 := order{ID: id, Version: 20, Lines: map[string]int{sku(0): 2, sku(1): 1}}
	require.Equal(t, 200, e.deliver(0, "orders/create", "w1", v1.payload()))
	require.Equal(t, 200, e.deliver(0, "orders/updated", "w3", v3.payload()))
	require.Equal(t, 200, e.deliver(0, "orders/updated", "w2", v2.payload()), "late, older update")
	require.Equal(t, 200, e.deliver(0, "orders/updated", "w3", v3.payload()), "duplicate delivery")
	stats := e.drain(10 * time.Second)
	assert.Equal(t, int64(1), stats.Duplicates)

	so, status := e.salesOrder(id)
	require.Equal(t, 200, status)
	assert.Equal(t, base.Add(20*time.Second).Format(time.RFC3339), so.ShopifyUpdatedAt, "the stale v2 never overwrote v3")
	assert.Len(t, so.Item.Items, 2)
	assert.Equal(t, int64(1), e.recordsFor(id))
	assert.Positive(t, so.TaxTotal, "NetSuite computed tax from the Texas address")
}

// With NetSuite committing records and then dropping the connection, the integrator's
// retries never create a second record, and no order is missing.
func TestCommitThenDropMakesNoDuplicatesAndLosesNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{concurrency: 5, breakerOpen: 50 * time.Millisecond,
		nsFaults: []string{"commit-then-drop:p=0.3,method=PUT,path=/services/rest/record/v1/salesOrder"}})
	const n = 120
	for i := 0; i < n; i++ {
		o := order{ID: int64(5_000_000_000_000_000 + i), Lines: map[string]int{sku(i % 50): 1 + i%3}}
		require.Equal(t, 200, e.deliver(0, "orders/create", "c"+strconv.Itoa(i), o.payload()))
	}
	s := e.drain(60 * time.Second)
	assert.Zero(t, s.DeadLetters, "nothing dead-lettered")
	counts := e.ns.Ledger().Counts("salesOrder")
	for i := 0; i < n; i++ {
		assert.Equal(t, int64(1), counts.RecordsByNaturalKey[strconv.Itoa(5_000_000_000_000_000+i)], "order %d", i)
	}
	assert.Positive(t, e.ns.Stats().FaultsInjected["commit-then-drop"], "the fault really fired")
}

// An ERP outage (maintenance window) dead-letters nothing: work waits and syncs after.
func TestERPOutageDeadLettersNothing(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{concurrency: 5, breakerOpen: 200 * time.Millisecond,
		nsFaults: []string{"maintenance:from=0s,to=2s"}})
	const n = 30
	for i := 0; i < n; i++ {
		o := order{ID: int64(6_000_000_000 + i), Lines: map[string]int{sku(i % 50): 1}}
		require.Equal(t, 200, e.deliver(0, "orders/paid", "m"+strconv.Itoa(i), o.payload()))
	}
	s := e.drain(30 * time.Second)
	assert.Zero(t, s.DeadLetters)
	assert.Zero(t, s.DeadLettered)
	for i := 0; i < n; i++ {
		assert.Equal(t, int64(1), e.recordsFor(int64(6_000_000_000+i)))
	}
	assert.Positive(t, e.ns.Stats().FaultsInjected["maintenance"])
}

// A worker that takes a message and dies (its lease expires) does not lose it, and its
// redelivery does not duplicate the ERP record.
func TestCrashedWorkerIsRedoneWithoutDuplicate(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{concurrency: 5, replicas: -1})
	// A replica whose workers are stopped receives the webhook; a "worker" then takes the
	// message and vanishes without settling it.
	rcv := e.startReplica(envOptions{concurrency: 5, lease: 300 * time.Millisecond})
	rcv.cancel()
	require.NoError(t, <-rcv.done)
	rcv.done <- nil // for the cleanup
	e.replicas = []*replica{rcv}
	o := order{ID: 7_000_000_001, Lines: map[string]int{sku(3): 2}}
	require.Equal(t, 200, e.deliver(0, "orders/create", "k1", o.payload()))
	d, err := rcv.app.Queue().Dequeue(context.Background())
	require.NoError(t, err, "the doomed worker holds the order")
	require.NotNil(t, d)

	survivor := e.startReplica(envOptions{concurrency: 5, lease: 300 * time.Millisecond})
	e.replicas = append(e.replicas, survivor)
	deadline := time.Now().Add(15 * time.Second)
	for e.recordsFor(o.ID) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	assert.Equal(t, int64(1), e.recordsFor(o.ID), "redone once the lease expired")
	assert.ErrorIs(t, rcv.app.Queue().Ack(context.Background(), d), queue.ErrLeaseLost, "the dead worker can no longer ack")
	assert.Equal(t, int64(1), e.recordsFor(o.ID))
}

// Several replicas on one Redis share the NetSuite limit and never run a key twice.
func TestReplicasShareTheConcurrencyLimit(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{concurrency: 4, replicas: 3, nsLimits: netsuite.Limits{Concurrency: 4, Latency: "15ms"}})
	const n = 150
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			o := order{ID: int64(8_000_000_000 + i%100), Version: i / 100, Lines: map[string]int{sku(i % 50): 1 + i/100}}
			assert.Equal(t, 200, e.deliver(i, "orders/updated", "r"+strconv.Itoa(i), o.payload()))
		}(i)
	}
	wg.Wait()
	s := e.drain(60 * time.Second)
	assert.Zero(t, s.DeadLetters)
	st := e.ns.Stats()
	assert.LessOrEqual(t, st.MaxConcurrency, 4, "three replicas together never exceeded the shared limit")
	assert.Zero(t, st.Throttled["CONCURRENCY_LIMIT_EXCEEDED"], "and NetSuite never had to say so")
	for i := 0; i < 100; i++ {
		assert.Equal(t, int64(1), e.recordsFor(int64(8_000_000_000+i)))
	}
}

// Redis going away makes the ingress answer 503 (Shopify retries), and it recovers on its own.
func TestRedisUnavailableIs503AndRecovers(t *testing.T) {
	t.Parallel()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr(), MaxRetries: -1, DialTimeout: 200 * time.Millisecond, ReadTimeout: 300 * time.Millisecond})
	t.Cleanup(func() { _ = rdb.Close() })
	e := newEnv(t, envOptions{concurrency: 5, rdb: rdb})
	o := order{ID: 9_000_000_001, Lines: map[string]int{sku(1): 1}}
	require.Equal(t, 200, e.deliver(0, "orders/create", "a1", o.payload()))

	m.Close()
	assert.Equal(t, http.StatusServiceUnavailable, e.deliver(0, "orders/updated", "a2", o.payload()), "never a 200 for a message that is not stored")
	ready, _ := http.Get(e.replicas[0].srv.URL + "/readyz")
	require.NotNil(t, ready)
	ready.Body.Close()
	assert.Equal(t, http.StatusServiceUnavailable, ready.StatusCode)

	require.NoError(t, m.Restart())
	deadline := time.Now().Add(5 * time.Second)
	status := 0
	for time.Now().Before(deadline) {
		if status = e.deliver(0, "orders/updated", "a3", o.payload()); status == 200 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	assert.Equal(t, 200, status, "recovers without a restart")
}

// A permanent ERP refusal (unknown SKU) is dead-lettered at once with NetSuite's message,
// and can be replayed through the admin API.
func TestUnknownSKUIsDeadLetteredAndReplayable(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{concurrency: 5})
	o := order{ID: 9_100_000_001, Lines: map[string]int{sku(1): 1}}
	body := bytes.Replace(o.payload(), []byte(sku(1)), []byte("NO-SUCH-SKU"), 1)
	require.Equal(t, 200, e.deliver(0, "orders/create", "u1", body))
	s := e.drain(10 * time.Second)
	require.Equal(t, int64(1), s.DeadLetters)

	list := e.admin(http.MethodGet, "/admin/dlq?key=order:9100000001", nil)
	assert.Contains(t, list, "NO-SUCH-SKU")
	assert.Contains(t, list, "permanent")
	assert.Contains(t, e.admin(http.MethodPost, "/admin/dlq/replay", map[string]any{"key": "order:9100000001"}), `"replayed": 1`)
	e.drain(10 * time.Second)
	assert.Zero(t, e.recordsFor(o.ID), "still unknown: it fails again, and is dead-lettered again")
}

func (e *env) admin(method, path string, body any) string {
	var rd io.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	}
	req, _ := http.NewRequest(method, e.replicas[0].srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+admin)
	resp, err := http.DefaultClient.Do(req)
	require.NoError(e.t, err)
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	require.Equal(e.t, 200, resp.StatusCode, string(b))
	return string(b)
}

func TestAdminAPIRequiresTheToken(t *testing.T) {
	t.Parallel()
	e := newEnv(t, envOptions{concurrency: 1})
	for _, auth := range []string{"", "Bearer wrong", "Basic " + admin} {
		req, _ := http.NewRequest(http.MethodGet, e.replicas[0].srv.URL+"/admin/queue/stats", nil)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		assert.Equal(t, http.StatusUnauthorized, resp.StatusCode, auth)
	}
	metrics, err := http.Get(e.replicas[0].srv.URL + "/metrics")
	require.NoError(t, err)
	b, _ := io.ReadAll(metrics.Body)
	metrics.Body.Close()
	for _, name := range []string{"peakready_webhook_ack_seconds", "peakready_queue_messages", "peakready_queue_oldest_message_age_seconds", "peakready_queue_dead_letters"} {
		assert.Contains(t, string(b), name)
	}
}
