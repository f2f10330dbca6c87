package netsuite

import (
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/catalog"
)

func TestEachSalesOrderCopiesTheStoredState(t *testing.T) {
	t.Parallel()
	cat := catalog.Generate(3, 5, 1)
	s, err := New(Options{Catalog: &cat, Limits: Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	sku := cat.Items[0].SKU
	body := `{"entity":{"id":"2000"},"item":{"items":[{"item":{"externalId":"` + sku + `"},"quantity":2,"rate":10}]},"discountRate":-2,"shippingCost":5,
	  "shippingAddress":{"state":"CA","country":"US"},"custbody_shopify_order_id":"77","custbody_shopify_updated_at":"2026-11-27T10:00:00Z"}`
	req := httptest.NewRequest(http.MethodPut, "/services/rest/record/v1/salesOrder/eid:77", strings.NewReader(body))
	req.Header.Set("Authorization", "Bearer t")
	req.Header.Set("Content-Type", "application/json")
	w := httptest.NewRecorder()
	s.Handler().ServeHTTP(w, req)
	require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())

	assert.Equal(t, 1, s.SalesOrderCount(), "one sales order stored")
	var got []SalesOrderRecord
	s.EachSalesOrder(func(r SalesOrderRecord) bool { got = append(got, r); return true })
	require.Len(t, got, 1)
	r := got[0]
	assert.Equal(t, "77", r.NaturalKey)
	assert.Equal(t, []SalesOrderLine{{SKU: sku, Quantity: 2, RateCents: 1000, AmountCents: 2000}}, r.Lines)
	assert.Equal(t, int64(-200), r.DiscountCents)
	assert.Equal(t, int64(500), r.ShippingCents)
	assert.Equal(t, catalog.Tax(1800, 725), r.TaxCents, "tax on the discounted subtotal at California's rate")
	assert.Equal(t, int64(1800+500)+r.TaxCents, r.TotalCents)
	assert.Equal(t, "2026-11-27T10:00:00Z", r.Custom["custbody_shopify_updated_at"])
}

func TestSalesOrdersAfterReadsOnlyNewerOrders(t *testing.T) {
	t.Parallel()
	cat := catalog.Generate(3, 5, 1)
	s, err := New(Options{Catalog: &cat, Limits: Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off"}})
	require.NoError(t, err)
	for _, eid := range []string{"71", "72", "73"} {
		body := `{"entity":{"id":"2000"},"item":{"items":[{"item":{"externalId":"` + cat.Items[0].SKU + `"},"quantity":1,"rate":10}]}}`
		req := httptest.NewRequest(http.MethodPut, "/services/rest/record/v1/salesOrder/eid:"+eid, strings.NewReader(body))
		req.Header.Set("Authorization", "Bearer t")
		req.Header.Set("Content-Type", "application/json")
		w := httptest.NewRecorder()
		s.Handler().ServeHTTP(w, req)
		require.Equal(t, http.StatusNoContent, w.Code, w.Body.String())
	}
	var all []SalesOrderRecord
	s.EachSalesOrder(func(r SalesOrderRecord) bool { all = append(all, r); return true })
	require.Len(t, all, 3)
	var after []string
	s.SalesOrdersAfter(all[0].ID, func(r SalesOrderRecord) bool { after = append(after, r.NaturalKey); return true })
	assert.Equal(t, []string{"72", "73"}, after)
	after = nil
	s.SalesOrdersAfter(all[2].ID, func(r SalesOrderRecord) bool { after = append(after, r.NaturalKey); return true })
	assert.Empty(t, after)
}
