package crm_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	fakehubspot "github.com/peakready/peakready/fakes/hubspot"
	fakesalesforce "github.com/peakready/peakready/fakes/salesforce"
	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/integrator/crm/hubspot"
	"github.com/peakready/peakready/integrator/crm/salesforce"
	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/throttle"
)

func TestValidateEmail(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, norm, reason string }{
		{" Ada@Example.COM ", "ada@example.com", ""},
		{"a.b+tag@mail.example.co.uk", "a.b+tag@mail.example.co.uk", ""},
		{"", "", crm.ReasonEmpty},
		{"ada.example.com", "ada.example.com", crm.ReasonNoAt},
		{"ada@@example.com", "ada@@example.com", crm.ReasonManyAt},
		{"@example.com", "@example.com", crm.ReasonEmptyLocal},
		{"ada@gmail", "ada@gmail", crm.ReasonBadDomain},
		{"ada@example.c", "ada@example.c", crm.ReasonBadDomain},
		{"ada lovelace@example.com", "ada lovelace@example.com", crm.ReasonBadCharacter},
		{"ada@exa mple.com", "ada@exa mple.com", crm.ReasonBadCharacter},
		{"ada..l@example.com", "ada..l@example.com", crm.ReasonDots},
		{"ada@example..com", "ada@example..com", crm.ReasonDots},
		{"ada@-example.com", "ada@-example.com", crm.ReasonBadDomain},
	} {
		norm, reason := crm.ValidateEmail(tc.in)
		assert.Equal(t, tc.norm, norm, tc.in)
		assert.Equal(t, tc.reason, reason, tc.in)
	}
}

func FuzzValidateEmail(f *testing.F) {
	for _, s := range []string{"ada@example.com", "a@b", "@@", " x@y.zz ", "a..b@c.de", "\x00@x.io"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		norm, reason := crm.ValidateEmail(s)
		if reason == "" {
			// A valid address is normalised, has one @ and survives a second pass unchanged.
			n2, r2 := crm.ValidateEmail(norm)
			if n2 != norm || r2 != "" {
				t.Fatalf("%q valid as %q but not on a second pass (%q)", s, norm, r2)
			}
		}
	})
}

func TestSegmentMap(t *testing.T) {
	t.Parallel()
	m, err := crm.ParseSegmentMap([]byte("VIP: vip\nwholesale: Wholesale\n"), crm.IgnoreUnmapped)
	require.NoError(t, err)
	assert.Equal(t, []string{"Wholesale", "vip"}, m.Apply("newsletter, vip,  WHOLESALE, vip"))
	assert.Empty(t, m.Apply(""))
	m.Unmapped = crm.PassUnmapped
	assert.Equal(t, []string{"Wholesale", "newsletter", "x_y"}, m.Apply("Newsletter, wholesale, x;y"))
	_, err = crm.ParseSegmentMap([]byte("vip: a;b"), crm.IgnoreUnmapped)
	assert.Error(t, err)
	_, err = crm.ParseSegmentMap([]byte("vip: a\nVIP: b"), crm.IgnoreUnmapped)
	assert.Error(t, err)
	_, err = crm.ParseSegmentMap(nil, "maybe")
	assert.Error(t, err)
}

// bundle is one test's Redis, store and versions.
type bundle struct {
	rdb      *redis.Client
	store    *crm.Store
	versions *flows.RedisVersions
}

func newBundle(t *testing.T) bundle {
	t.Helper()
	m := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: m.Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	return bundle{rdb: rdb, store: crm.NewStore(rdb, "t"), versions: flows.NewRedisVersions(rdb, "t:crm:", 0)}
}

func customerMsg(topic string, id int64, email, tags string, updated time.Time) *queue.Message {
	b, _ := json.Marshal(map[string]any{"id": id, "email": email, "first_name": "Ada", "last_name": "Lovelace",
		"tags": tags, "updated_at": updated.UTC().Format(time.RFC3339)})
	return &queue.Message{Key: "customer:" + strconv.FormatInt(id, 10), Topic: topic, Payload: b, Attempt: 1}
}

func orderMsg(orderID, customerID int64, email, total string, cancelled bool, orderAt, customerAt time.Time) *queue.Message {
	o := map[string]any{"id": orderID, "updated_at": orderAt.UTC().Format(time.RFC3339), "current_total_price": total, "total_price": total,
		"customer": map[string]any{"id": customerID, "email": email, "first_name": "Ada", "last_name": "Lovelace", "tags": "",
			"updated_at": customerAt.UTC().Format(time.RFC3339)}}
	if cancelled {
		o["cancelled_at"] = orderAt.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(o)
	return &queue.Message{Key: "customer:" + strconv.FormatInt(customerID, 10), Topic: crm.TopicOrderCustomer, Payload: b, Attempt: 1}
}

func startSalesforce(t *testing.T, c clock.Clock, lim fakesalesforce.Limits) (*fakesalesforce.Server, string) {
	t.Helper()
	lim.Latency = "off"
	srv, err := fakesalesforce.New(fakesalesforce.Options{Clock: c, Limits: lim, ClientID: "app", ClientSecret: "secret"})
	require.NoError(t, err)
	url, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv, url
}

func TestSalesforceFlowKeepsOneContactPerCustomer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t)
	srv, url := startSalesforce(t, clock.Real(), fakesalesforce.Limits{})
	alloc, err := throttle.NewDailyAllocation(b.rdb, throttle.DailyAllocationConfig{Name: "sf", Prefix: "t"})
	require.NoError(t, err)
	client, err := salesforce.New(salesforce.Config{URL: url, ClientID: "app", ClientSecret: "secret", Allocation: alloc})
	require.NoError(t, err)
	seg, _ := crm.ParseSegmentMap([]byte("vip: VIP"), crm.IgnoreUnmapped)
	f := &crm.Flow{CRM: client, Store: b.store, Versions: b.versions, Segments: seg}
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

	// A contact someone else made with the customer's address, in another case.
	_, _, err = client.UpsertContact(ctx, crm.Contact{CustomerID: 999, Email: "other@example.com", LastName: "X"})
	require.NoError(t, err)

	require.NoError(t, f.Handle(ctx, customerMsg("customers/create", 7001, "Ada@Example.com", "vip, newsletter", t0)))
	require.NoError(t, f.Handle(ctx, customerMsg("customers/create", 7001, "Ada@Example.com", "vip, newsletter", t0))) // duplicate
	require.NoError(t, f.Handle(ctx, customerMsg("customers/update", 7001, "ada@example.com", "", t0.Add(2*time.Second))))
	require.NoError(t, f.Handle(ctx, customerMsg("customers/update", 7001, "ada@example.com", "vip", t0.Add(time.Second)))) // stale
	require.NoError(t, f.Handle(ctx, orderMsg(1, 7001, "ada@example.com", "10.50", false, t0, t0.Add(2*time.Second))))
	require.NoError(t, f.Handle(ctx, orderMsg(2, 7001, "ada@example.com", "5.00", false, t0, t0.Add(2*time.Second))))
	require.NoError(t, f.Handle(ctx, orderMsg(2, 7001, "ada@example.com", "5.00", true, t0.Add(time.Minute), t0.Add(2*time.Second))))
	require.NoError(t, f.Handle(ctx, orderMsg(1, 7001, "ada@example.com", "12.50", false, t0.Add(time.Minute), t0.Add(2*time.Second))))
	require.NoError(t, f.Handle(ctx, orderMsg(1, 7001, "ada@example.com", "10.50", false, t0, t0.Add(2*time.Second)))) // late
	require.NoError(t, f.Handle(ctx, customerMsg("customers/create", 7002, "grace@example", "", t0)))

	cc := srv.ContactCounts()
	assert.Equal(t, 1, cc.ByEmail["ada@example.com"])
	assert.Equal(t, 1, cc.ByExternalID["7001"])
	var ada fakesalesforce.Record
	for _, r := range srv.Contacts() {
		if r.Fields["Shopify_Customer_Id__c"] == "7001" {
			ada = r
		}
	}
	assert.Equal(t, "ada@example.com", ada.Fields["Email"])
	assert.Nil(t, ada.Fields["Segments__c"], "the newest update removed the tag")

	tot, err := b.store.Totals(ctx, 7001)
	require.NoError(t, err)
	assert.Equal(t, crm.Totals{CustomerID: 7001, LifetimeValueCents: 1250, Orders: 2}, tot)
	inv, err := b.store.InvalidEmails(ctx)
	require.NoError(t, err)
	require.Len(t, inv, 1)
	assert.Equal(t, int64(7002), inv[0].CustomerID)
	assert.Equal(t, crm.ReasonBadDomain, inv[0].Reason)

	// Adoption: a contact made elsewhere with the address, without the id.
	id, out, err := client.UpsertContact(ctx, crm.Contact{CustomerID: 7003, Email: "other@example.com", LastName: "Y"})
	require.Error(t, err, "the address belongs to customer 999's contact")
	_, _ = id, out

	// The nightly batch writes the totals, twice the same.
	batch, err := crm.NewLTVBatch(crm.LTVBatchConfig{CRM: client, Store: b.store, Redis: b.rdb, Prefix: "t", Poll: 10 * time.Millisecond})
	require.NoError(t, err)
	runBatch(t, batch)
	runBatch(t, batch)
	for _, r := range srv.Contacts() {
		if r.Fields["Shopify_Customer_Id__c"] == "7001" {
			assert.Equal(t, 12.5, r.Fields["Lifetime_Value__c"])
			assert.Equal(t, 2.0, r.Fields["Order_Count__c"])
		}
	}
}

// runBatch requests a run and waits until it is done.
func runBatch(t *testing.T, batch *crm.LTVBatch) crm.LTVStatus {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { batch.Run(ctx) })
	defer wg.Wait()
	run, err := batch.Request(ctx)
	require.NoError(t, err)
	var st crm.LTVStatus
	require.Eventually(t, func() bool {
		st, err = batch.Status(ctx)
		return err == nil && st.Run == run && st.State == "done"
	}, 10*time.Second, 10*time.Millisecond)
	cancel()
	return st
}

func TestSalesforceRefreshesOneTokenForConcurrentCallers(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	srv, url := startSalesforce(t, clock.Real(), fakesalesforce.Limits{})
	client, err := salesforce.New(salesforce.Config{URL: url, ClientID: "app", ClientSecret: "secret"})
	require.NoError(t, err)
	_, _, err = client.UpsertContact(ctx, crm.Contact{CustomerID: 1, Email: "a@example.com", LastName: "A"})
	require.NoError(t, err)
	require.Equal(t, 1, client.TokenFetches())
	srv.ExpireSessions()
	var wg sync.WaitGroup
	for i := range 20 {
		wg.Go(func() {
			_, _, err := client.UpsertContact(ctx, crm.Contact{CustomerID: int64(100 + i), Email: fmt.Sprintf("c%d@example.com", i), LastName: "C"})
			assert.NoError(t, err)
		})
	}
	wg.Wait()
	assert.Equal(t, 2, client.TokenFetches(), "one refresh for every caller the expired session refused")
}

func TestSalesforceStopsAtHeadroom(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t)
	srv, url := startSalesforce(t, clock.Real(), fakesalesforce.Limits{DailyLimit: 100})
	alloc, err := throttle.NewDailyAllocation(b.rdb, throttle.DailyAllocationConfig{Name: "sf", Prefix: "t", Headroom: 0.2})
	require.NoError(t, err)
	client, err := salesforce.New(salesforce.Config{URL: url, ClientID: "app", ClientSecret: "secret", Allocation: alloc})
	require.NoError(t, err)
	throttled := 0
	for i := range 150 {
		_, _, err := client.UpsertContact(ctx, crm.Contact{CustomerID: int64(i + 1), Email: fmt.Sprintf("c%d@example.com", i), LastName: "C"})
		if d, ok := throttle.IsThrottled(err); ok {
			throttled++
			assert.GreaterOrEqual(t, d, time.Minute)
			continue
		}
		require.NoError(t, err)
	}
	assert.Equal(t, int64(80), srv.APIUsage().Used, "stopped at 80% of 100")
	assert.Equal(t, 70, throttled)
	assert.Zero(t, srv.LimitStats().DailyRefused, "no REQUEST_LIMIT_EXCEEDED")
}

func startHubSpot(t *testing.T, c clock.Clock, lim fakehubspot.Limits) (*fakehubspot.Server, string) {
	t.Helper()
	lim.Latency = "off"
	srv, err := fakehubspot.New(fakehubspot.Options{Clock: c, Limits: lim, Tokens: []string{"pat-na1-test"}})
	require.NoError(t, err)
	url, err := srv.Start("127.0.0.1:0")
	require.NoError(t, err)
	t.Cleanup(func() { _ = srv.Close() })
	return srv, url
}

func TestHubSpotFlowKeepsOneContactPerCustomer(t *testing.T) {
	t.Parallel()
	ctx := context.Background()
	b := newBundle(t)
	srv, url := startHubSpot(t, clock.Real(), fakehubspot.Limits{})
	window, err := throttle.NewRollingWindow(b.rdb, throttle.RollingWindowConfig{Name: "hs", Prefix: "t", Limit: 190})
	require.NoError(t, err)
	client, err := hubspot.New(hubspot.Config{URL: url, Token: "pat-na1-test", Window: window, Segments: []string{"VIP"}})
	require.NoError(t, err)
	seg, _ := crm.ParseSegmentMap([]byte("vip: VIP"), crm.PassUnmapped)
	f := &crm.Flow{CRM: client, Store: b.store, Versions: b.versions, Segments: seg}
	t0 := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

	// A contact made by a form, with the address and no Shopify id: adopted.
	pre, _, err := client.UpsertContact(ctx, crm.Contact{CustomerID: 1, Email: "x@example.com"})
	require.NoError(t, err)
	_ = pre
	require.NoError(t, f.Handle(ctx, customerMsg("customers/create", 7001, "Ada@Example.com", "vip, newsletter", t0)))
	require.NoError(t, f.Handle(ctx, customerMsg("customers/create", 7001, "Ada@Example.com", "vip, newsletter", t0)))
	require.NoError(t, f.Handle(ctx, customerMsg("customers/update", 7001, "ada@example.com", "vip", t0.Add(2*time.Second))))
	require.NoError(t, f.Handle(ctx, customerMsg("customers/update", 7001, "ada@example.com", "", t0.Add(time.Second))))
	require.NoError(t, f.Handle(ctx, orderMsg(1, 7001, "ada@example.com", "10.50", false, t0, t0.Add(2*time.Second))))
	require.NoError(t, f.Handle(ctx, customerMsg("customers/create", 7002, "no-at-sign", "", t0)))
	cs := srv.ContactsByEmail("ada@example.com")
	require.Len(t, cs, 1)
	assert.Equal(t, "VIP", cs[0].Properties[hubspot.PropSegments])
	assert.Equal(t, "7001", cs[0].Properties[hubspot.PropCustomerID])

	batch, err := crm.NewLTVBatch(crm.LTVBatchConfig{CRM: client, Store: b.store, Redis: b.rdb, Prefix: "t", Poll: 10 * time.Millisecond})
	require.NoError(t, err)
	st := runBatch(t, batch)
	assert.Equal(t, int64(1), st.Written)
	cs = srv.ContactsByEmail("ada@example.com")
	assert.Equal(t, "10.50", cs[0].Properties[hubspot.PropLifetimeValue])
	assert.Equal(t, "1", cs[0].Properties[hubspot.PropOrdersCount])
	assert.Equal(t, 2, srv.ContactCount())
}
