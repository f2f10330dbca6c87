package integrator_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator"
)

// The ERP ships an order: fake NetSuite pushes fulfillment.created to the replica, which
// fulfils the Shopify order's lines with NetSuite's carrier and tracking number. The
// same push delivered again ships nothing more.
func TestERPFulfillmentReachesShopifyOnce(t *testing.T) {
	t.Parallel()
	shop, shopURL := startShop(t, "shpat_ful")

	var handler atomic.Value
	var mu sync.Mutex
	var shipped [][]byte // fulfillment.created pushes as NetSuite sent them
	front := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/netsuite/changes" {
			b, _ := io.ReadAll(r.Body)
			if strings.Contains(string(b), `"fulfillment.created"`) {
				mu.Lock()
				shipped = append(shipped, b)
				mu.Unlock()
			}
			r.Body = io.NopCloser(bytes.NewReader(b))
		}
		handler.Load().(http.Handler).ServeHTTP(w, r)
	}))
	t.Cleanup(front.Close)

	ns, nsURL := startERP(t, netsuite.PushOptions{URL: front.URL + "/netsuite/changes", Secret: "push-secret"})
	rdb, prefix := e2eRedis(t)
	cfg := integrator.Config{Redis: rdb, Prefix: prefix, WebhookSecret: secret,
		NetSuiteURL: nsURL, NetSuiteToken: nsToken, NetSuiteCustomer: netsuite.DefaultCustomerID, ShopifyURL: shopURL, ShopifyToken: "shpat_ful",
		Inventory: integrator.InventoryConfig{PushSecret: "push-secret"}, Fulfillments: integrator.FulfillmentConfig{Enabled: true}}
	bad := cfg
	bad.Inventory.PushSecret = ""
	_, err := integrator.New(bad)
	require.ErrorContains(t, err, "push secret")
	bad = cfg
	bad.ShopifyURL = ""
	_, err = integrator.New(bad)
	require.ErrorContains(t, err, "needs a Shopify URL")

	app := runApp(t, cfg)
	handler.Store(app.Handler())
	drained := func() bool {
		s, err := app.QueueStats(context.Background())
		return err == nil && s.Messages == 0 && s.GroupsInFlight == 0
	}

	skus := []string{cat.Items[0].SKU, cat.Items[1].SKU}
	ch, err := shop.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: skus[0], Quantity: 2}, {SKU: skus[1], Quantity: 1}}})
	require.NoError(t, err)
	id := ch.Orders[0]
	body := order{ID: id, Version: 1, Lines: map[string]int{skus[0]: 2, skus[1]: 1}}.payload()
	require.Equal(t, http.StatusOK, deliverTo(front.URL, "orders/create", "w-9001", body))
	require.Eventually(t, drained, 10*time.Second, 10*time.Millisecond)

	var soID int64
	ns.EachSalesOrder(func(r netsuite.SalesOrderRecord) bool {
		if r.ExternalID == strconv.FormatInt(id, 10) {
			soID = r.ID
		}
		return soID == 0
	})
	require.NotZero(t, soID, "the order reached the ERP")
	created, err := ns.Fulfill(soID)
	require.NoError(t, err)
	require.Eventually(t, func() bool {
		o, _ := shop.Store().Order(id)
		return len(o.Fulfillments) == 1
	}, 10*time.Second, 10*time.Millisecond)
	o, _ := shop.Store().Order(id)
	assert.Equal(t, []string{created.TrackingNumbers}, o.Fulfillments[0].TrackingNumbers)
	assert.NotEmpty(t, o.Fulfillments[0].TrackingURLs)
	assert.Equal(t, "fulfilled", o.FulfillmentStatus)

	// NetSuite pushes the same fulfillment again (a retry of its own).
	mu.Lock()
	require.Len(t, shipped, 1)
	again := shipped[0]
	mu.Unlock()
	req, _ := http.NewRequest(http.MethodPost, front.URL+"/netsuite/changes", bytes.NewReader(again))
	m := hmac.New(sha256.New, []byte("push-secret"))
	m.Write(again)
	req.Header.Set("X-NetSuite-Signature", "sha256="+hex.EncodeToString(m.Sum(nil)))
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	resp.Body.Close()
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	require.Eventually(t, drained, 10*time.Second, 10*time.Millisecond)
	o, _ = shop.Store().Order(id)
	assert.Len(t, o.Fulfillments, 1, "a duplicate push never fulfils twice")
}
