package shopify

import (
	"encoding/json"
	"net/http"
	"regexp"
	"strconv"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestRESTShopProductsVariantsItemsAndFulfillmentOrders(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Options{CatalogSize: 7, Plan: "plus"})
	r := restGet(t, b, "shop.json")
	require.Equal(t, 200, r.status, string(r.body))
	assert.Equal(t, "1/400", r.header.Get("X-Shopify-Shop-Api-Call-Limit"))
	var shop struct {
		Shop map[string]any `json:"shop"`
	}
	require.NoError(t, json.Unmarshal(r.body, &shop))
	assert.Equal(t, s.Store().Shop(), shop.Shop["myshopify_domain"])
	assert.Equal(t, "shopify_plus", shop.Shop["plan_name"])
	assert.Equal(t, "USD", shop.Shop["currency"])
	assert.JSONEq(t, `{"shop":{"plan_display_name":"Shopify Plus"}}`, string(restGet(t, b, "shop.json?fields=plan_display_name").body))

	// products.json pages by id with page_info Link headers.
	var ids []int64
	next := "products.json?limit=3"
	for pages := 0; next != ""; pages++ {
		require.Less(t, pages, 5)
		r = restGet(t, b, next)
		require.Equal(t, 200, r.status, string(r.body))
		var l struct {
			Products []struct {
				ID       int64 `json:"id"`
				Variants []struct {
					ID              int64  `json:"id"`
					ProductID       int64  `json:"product_id"`
					SKU             string `json:"sku"`
					InventoryItemID int64  `json:"inventory_item_id"`
					Price           string `json:"price"`
				} `json:"variants"`
			} `json:"products"`
		}
		require.NoError(t, json.Unmarshal(r.body, &l))
		for _, p := range l.Products {
			ids = append(ids, p.ID)
			require.Len(t, p.Variants, 1)
			assert.Equal(t, p.ID, p.Variants[0].ProductID)
			assert.Regexp(t, `^\d+\.\d\d$`, p.Variants[0].Price)
		}
		next = ""
		if m := regexp.MustCompile(`<[^>]*/admin/api/2026-10/([^>]+)>; rel="next"`).FindStringSubmatch(r.header.Get("Link")); m != nil {
			next = m[1]
		}
	}
	require.Len(t, ids, 7)
	for i := 1; i < len(ids); i++ {
		assert.Less(t, ids[i-1], ids[i], "oldest id first")
	}

	v, ok := s.Store().VariantByProductID(ids[0])
	require.True(t, ok)
	r = restGet(t, b, "products/"+strconv.FormatInt(ids[0], 10)+".json")
	assert.Contains(t, string(r.body), `"sku":"`+v.SKU+`"`)
	r = restGet(t, b, "variants/"+strconv.FormatInt(v.VariantID, 10)+".json")
	assert.Contains(t, string(r.body), `"id":`+strconv.FormatInt(v.VariantID, 10)+`,`)
	r = restGet(t, b, "products/"+strconv.FormatInt(ids[0], 10)+"/variants.json")
	assert.Contains(t, string(r.body), `"inventory_item_id":`+strconv.FormatInt(v.InventoryItemID, 10))
	assert.Equal(t, 404, restGet(t, b, "variants/1.json").status)

	r = restGet(t, b, "inventory_items.json?ids="+strconv.FormatInt(v.InventoryItemID, 10)+",1")
	require.Equal(t, 200, r.status, string(r.body))
	assert.Contains(t, string(r.body), `"id":`+strconv.FormatInt(v.InventoryItemID, 10)+`,`)
	assert.Contains(t, string(r.body), `"tracked":true`)
	assert.Equal(t, 422, restGet(t, b, "inventory_items.json").status, "ids is required")

	ch, err := s.Store().GenerateOrders(1, nil)
	require.NoError(t, err)
	o, _ := s.Store().Order(ch.Orders[0])
	r = restGet(t, b, "orders/"+strconv.FormatInt(o.ID, 10)+"/fulfillment_orders.json")
	require.Equal(t, 200, r.status, string(r.body))
	var fos struct {
		FulfillmentOrders []struct {
			ID        int64  `json:"id"`
			OrderID   int64  `json:"order_id"`
			Status    string `json:"status"`
			LineItems []struct {
				LineItemID          int64 `json:"line_item_id"`
				FulfillableQuantity int   `json:"fulfillable_quantity"`
			} `json:"line_items"`
		} `json:"fulfillment_orders"`
	}
	require.NoError(t, json.Unmarshal(r.body, &fos))
	require.Len(t, fos.FulfillmentOrders, 1)
	assert.Equal(t, o.FulfillmentOrder.ID, fos.FulfillmentOrders[0].ID)
	assert.Equal(t, "open", fos.FulfillmentOrders[0].Status)
	assert.Len(t, fos.FulfillmentOrders[0].LineItems, len(o.Lines))
	assert.Equal(t, 404, restGet(t, b, "orders/1/fulfillment_orders.json").status)
	assert.Equal(t, http.StatusUnauthorized, do(t, http.MethodGet, b.url+"/admin/api/2026-10/shop.json", "").status)
}
