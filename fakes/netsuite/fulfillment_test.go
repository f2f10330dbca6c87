package netsuite

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// delivery is one push the receiver got.
type delivery struct {
	header http.Header
	body   []byte
	event  Event
	data   map[string]any
}

// receiver is an endpoint that records pushes; fail makes it answer 500 to the first
// fail deliveries.
type receiver struct {
	srv   *httptest.Server
	got   chan delivery
	fail  atomic.Int64
	calls atomic.Int64
}

func newReceiver(t *testing.T) *receiver {
	t.Helper()
	rc := &receiver{got: make(chan delivery, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		rc.calls.Add(1)
		body, _ := io.ReadAll(r.Body)
		if rc.fail.Add(-1) >= 0 {
			w.WriteHeader(http.StatusInternalServerError)
			return
		}
		var ev struct {
			Event
			Data map[string]any `json:"data"`
		}
		_ = json.Unmarshal(body, &ev)
		rc.got <- delivery{header: r.Header.Clone(), body: body, event: ev.Event, data: ev.Data}
		w.WriteHeader(http.StatusOK)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

// next waits for the next delivery of type typ, skipping others.
func (rc *receiver) next(t *testing.T, typ string) delivery {
	t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case d := <-rc.got:
			if d.event.Type == typ {
				return d
			}
		case <-timeout:
			t.Fatalf("no %s event arrived", typ)
		}
	}
}

const pushSecret = "whsec-test"

func TestFulfillmentAfterDelayIsPolledAndPushed(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	srv, b := setup(t, func(o *Options) {
		o.Limits.FulfillAfter = "2h"
		o.Push = PushOptions{URL: rc.srv.URL, Secret: pushSecret}
	})
	body := b.orderBody("5001", 2)
	body["externalId"] = "5001"
	soID := b.createOrder(t, body)
	_, itemID := b.sku(0)
	onHand := num(b.stockOf(t, itemID, 0)["quantityOnHand"])

	// The commitment is pushed at once.
	d := rc.next(t, EventInventoryChanged)
	assert.Equal(t, "salesOrder", d.data["reason"])
	assert.Equal(t, 2.0, d.data["quantityCommitted"])

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, 1), "the fulfiller waits on its timer")
	b.clock.Advance(2*time.Hour - time.Second)
	assert.Equal(t, 1, srv.GovernanceStats().PendingFulfillments)
	assert.Equal(t, 0.0, b.do(t, http.MethodGet, ifPath, nil).json(t)["totalResults"], "not before the delay")

	cursor := b.clock.Now()
	b.clock.Advance(time.Second)
	d = rc.next(t, EventFulfillmentCreated)

	// The push: signed over the raw body, with our headers.
	assert.True(t, VerifySignature(pushSecret, d.body, d.header.Get(SignatureHeader)), "signature %q", d.header.Get(SignatureHeader))
	assert.False(t, VerifySignature("other", d.body, d.header.Get(SignatureHeader)))
	assert.Regexp(t, `^sha256=[0-9a-f]{64}$`, d.header.Get(SignatureHeader))
	assert.Equal(t, EventFulfillmentCreated, d.header.Get("X-NetSuite-Event"))
	assert.Equal(t, d.event.ID, d.header.Get("X-NetSuite-Event-Id"))
	assert.Regexp(t, `^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, d.event.ID)
	assert.Equal(t, "2026-11-27T11:00:00Z", d.event.OccurredAt)
	assert.Equal(t, soID, d.data["salesOrderId"])
	assert.Equal(t, "5001", d.data["salesOrderExternalId"])
	assert.NotEmpty(t, d.data["trackingNumbers"])
	assert.Contains(t, []any{"UPS", "FedEx", "USPS", "DHL"}, d.data["carrier"])
	ifID := d.data["id"].(string)

	// The poll: the fulfillment and the order show up after the cursor.
	q := url.QueryEscape(`lastModifiedDate AFTER "` + cursor.Format(time.RFC3339) + `"`)
	p := b.do(t, http.MethodGet, ifPath+"?q="+q, nil).json(t)
	require.Equal(t, 1.0, p["totalResults"])
	assert.Equal(t, ifID, p["items"].([]any)[0].(map[string]any)["id"])
	p = b.do(t, http.MethodGet, soPath+"?q="+q, nil).json(t)
	assert.Equal(t, 1.0, p["totalResults"])
	p = b.do(t, http.MethodGet, itemPath+"?q="+q, nil).json(t)
	assert.Equal(t, 1.0, p["totalResults"], "the shipped item's stock changed")

	f := b.do(t, http.MethodGet, ifPath+"/"+ifID+"?expandSubResources=true", nil)
	require.Equal(t, http.StatusOK, f.status)
	fj := f.json(t)
	assert.Equal(t, soID, fj["createdFrom"].(map[string]any)["id"])
	assert.Equal(t, d.data["trackingNumbers"], fj["trackingNumbers"])
	assert.Equal(t, map[string]any{"id": "C", "refName": "Shipped"}, fj["shipStatus"])
	assert.Equal(t, 2.0, fj["item"].(map[string]any)["items"].([]any)[0].(map[string]any)["quantity"])
	assert.Equal(t, http.StatusOK, b.do(t, http.MethodGet, ifPath+"/"+ifID+"/item", nil).status)
	assert.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, ifPath+"/eid:x", nil).status)

	so := b.do(t, http.MethodGet, soPath+"/"+soID, nil).json(t)
	assert.Equal(t, "F", so["orderStatus"].(map[string]any)["id"], "fulfilled: Pending Billing")
	stock := b.stockOf(t, itemID, 0)
	assert.Equal(t, onHand-2, num(stock["quantityOnHand"]))
	assert.Equal(t, 0.0, num(stock["quantityCommitted"]))

	counts := srv.Ledger().Counts(RecordItemFulfillment)
	assert.Equal(t, int64(1), counts.RecordsByNaturalKey["5001"])
	require.Eventually(t, func() bool { return srv.GovernanceStats().Push.Delivered >= 3 }, 5*time.Second, time.Millisecond)

	// Cancelled or fulfilled orders cannot be changed back.
	r := b.do(t, http.MethodPatch, soPath+"/"+soID, map[string]any{"orderStatus": map[string]any{"id": "C"}})
	require.Equal(t, http.StatusBadRequest, r.status)
	r = b.do(t, http.MethodDelete, soPath+"/"+soID, nil)
	require.Equal(t, http.StatusBadRequest, r.status, "an order with a fulfillment cannot be deleted")
}

func TestCancelledOrdersAreNotFulfilled(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.FulfillAfter = "1h" })
	id := b.createOrder(t, b.orderBody("5001", 1))
	require.Equal(t, http.StatusNoContent, b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"orderStatus": map[string]any{"id": "C"}}).status)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, 1))
	b.clock.Advance(time.Hour)
	require.Eventually(t, func() bool { return srv.GovernanceStats().PendingFulfillments == 0 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, 0.0, b.do(t, http.MethodGet, ifPath, nil).json(t)["totalResults"])

	r := adminPost(t, b, "/_fake/fulfill/"+id, "")
	assert.Equal(t, http.StatusConflict, r.status)
}

func TestShortStockWaitsForStock(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) { o.Limits.FulfillAfter = "0" })
	sku, itemID := b.sku(0)
	onHand := int(num(b.stockOf(t, itemID, 0)["quantityOnHand"]))
	id := b.createOrder(t, b.orderBody("5001", onHand+5))
	require.Eventually(t, func() bool {
		srv.fulfiller.mu.Lock()
		defer srv.fulfiller.mu.Unlock()
		return len(srv.fulfiller.short) == 1
	}, 5*time.Second, time.Millisecond, "the fulfilment is attempted and waits")
	assert.Equal(t, 1, srv.GovernanceStats().PendingFulfillments)

	r := adminPost(t, b, "/_fake/inventory", `{"sku":"`+sku+`","location":1,"delta":5}`)
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	require.Eventually(t, func() bool {
		return b.do(t, http.MethodGet, ifPath, nil).json(t)["totalResults"] == 1.0
	}, 5*time.Second, time.Millisecond)
	assert.Equal(t, 0.0, num(b.stockOf(t, itemID, 0)["quantityOnHand"]))
	assert.Equal(t, "F", b.do(t, http.MethodGet, soPath+"/"+id, nil).json(t)["orderStatus"].(map[string]any)["id"])
}

func TestAdminFulfillNow(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	body := b.orderBody("5001", 1)
	body["externalId"] = "5001"
	id := b.createOrder(t, body)
	r := adminPost(t, b, "/_fake/fulfill/eid:5001", "")
	require.Equal(t, http.StatusOK, r.status, "%s", r.body)
	var created FulfillmentCreated
	require.NoError(t, json.Unmarshal(r.body, &created))
	assert.Equal(t, id, created.SalesOrderID)
	assert.Len(t, created.Lines, 1)
	assert.True(t, trackingFormat(created.Carrier).MatchString(created.TrackingNumbers), "%s %s", created.Carrier, created.TrackingNumbers)

	assert.Equal(t, http.StatusConflict, adminPost(t, b, "/_fake/fulfill/"+id, "").status, "already fulfilled")
	assert.Equal(t, http.StatusNotFound, adminPost(t, b, "/_fake/fulfill/77777", "").status)
	so := b.do(t, http.MethodGet, soPath+"/"+id+"?expandSubResources=true", nil).json(t)
	assert.Equal(t, "F", so["orderStatus"].(map[string]any)["id"])
	assert.Equal(t, 1.0, so["item"].(map[string]any)["items"].([]any)[0].(map[string]any)["quantityFulfilled"])
	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"orderStatus": map[string]any{"id": "H"}})
	require.Equal(t, http.StatusNoContent, r.status, "a fulfilled order can be closed: %s", r.body)
	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"orderStatus": map[string]any{"id": "B"}})
	require.Equal(t, http.StatusBadRequest, r.status, "a closed order stays closed")
	assert.Equal(t, http.StatusBadRequest, adminPost(t, b, "/_fake/fulfill/x|y", "").status)
}

func trackingFormat(carrier string) *regexp.Regexp {
	return map[string]*regexp.Regexp{
		"UPS":   regexp.MustCompile(`^1Z[0-9A-Z]{6}03[0-9]{8}$`),
		"FedEx": regexp.MustCompile(`^[0-9]{12}$`),
		"USPS":  regexp.MustCompile(`^9400[0-9]{18}$`),
		"DHL":   regexp.MustCompile(`^[0-9]{10}$`),
	}[carrier]
}

func TestTrackingNumbersAreSeeded(t *testing.T) {
	t.Parallel()
	run := func() []string {
		_, b := setup(t)
		var out []string
		for i := range 8 {
			id := b.createOrder(t, b.orderBody(itoa(int64(i)), 1))
			r := adminPost(t, b, "/_fake/fulfill/"+id, "")
			require.Equal(t, http.StatusOK, r.status)
			var c FulfillmentCreated
			require.NoError(t, json.Unmarshal(r.body, &c))
			require.NotNil(t, trackingFormat(c.Carrier), c.Carrier)
			assert.Regexp(t, trackingFormat(c.Carrier), c.TrackingNumbers)
			out = append(out, c.Carrier+":"+c.TrackingNumbers)
		}
		return out
	}
	assert.Equal(t, run(), run(), "the same seed gives the same carriers and tracking numbers")
}

func adminPost(t *testing.T, b *bundle, path, body string) response {
	t.Helper()
	return adminDo(t, b, http.MethodPost, path, body)
}
