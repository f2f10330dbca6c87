package shopify

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/shopify/store"
)

// REST resources integrations commonly read besides orders and customers: the shop,
// products and variants, an order's fulfillment orders and inventory items. Field names
// follow the REST Admin reference of each resource; values come from the store. Fields a
// store here has no notion of (images, metafields, harmonized codes) are empty or null.

func restMoney(cents int64) string {
	return strconv.FormatInt(cents/100, 10) + "." + strconv.FormatInt(100+cents%100, 10)[1:]
}

// GET shop.json
func restShop(s *Server, _ http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	st := s.store
	plan := s.limits.config().Plan
	planName := map[string]string{"standard": "basic", "advanced": "advanced", "plus": "shopify_plus", "enterprise": "commerce_components"}[plan]
	display := map[string]string{"standard": "Basic", "advanced": "Advanced", "plus": "Shopify Plus", "enterprise": "Commerce Components"}[plan]
	locs := st.Locations()
	loc := st.LocationJSON(&locs[0])
	first, _ := st.VariantAt(0)
	created := st.RESTTime(first.CreatedAt) // the shop is as old as its catalog
	shop := map[string]any{
		"id": st.ShopID(), "name": st.ShopName(), "email": "owner@" + st.Shop(), "domain": st.Shop(),
		"province": loc.Province, "country": loc.CountryCode, "address1": loc.Address1, "zip": loc.Zip, "city": loc.City,
		"source": nil, "phone": "", "latitude": nil, "longitude": nil, "primary_locale": "en", "address2": "",
		"created_at": created, "updated_at": created, "country_code": loc.CountryCode, "country_name": "United States",
		"currency": st.Currency(), "customer_email": "support@" + st.Shop(), "timezone": "(GMT-05:00) Eastern Time (US & Canada)",
		"iana_timezone": "America/New_York", "shop_owner": st.ShopName() + " Owner", "money_format": "${{amount}}",
		"money_with_currency_format": "${{amount}} " + st.Currency(), "weight_unit": "kg", "province_code": loc.ProvinceCode,
		"taxes_included": false, "tax_shipping": false, "county_taxes": true, "plan_display_name": display, "plan_name": planName,
		"has_discounts": true, "has_gift_cards": false, "myshopify_domain": st.Shop(), "google_apps_domain": nil,
		"google_apps_login_enabled": nil, "money_in_emails_format": "${{amount}}", "money_with_currency_in_emails_format": "${{amount}} " + st.Currency(),
		"eligible_for_payments": true, "requires_extra_payments_agreement": false, "password_enabled": false, "has_storefront": true,
		"finances": true, "primary_location_id": locs[0].ID, "checkout_api_supported": true, "multi_location_enabled": len(locs) > 1,
		"setup_required": false, "pre_launch_enabled": false, "enabled_presentment_currencies": []string{st.Currency()},
		"transactional_sms_disabled": false, "marketing_sms_consent_enabled_at_checkout": false,
	}
	return http.StatusOK, filterWrapped("shop", marshalNoEscape(shop), r.URL.Query().Get("fields")), nil
}

func filterWrapped(key string, obj []byte, fields string) []byte {
	return append(append([]byte(`{"`+key+`":`), filterFields(obj, fields)...), '}')
}

func (s *Server) variantJSON(v *store.Variant) map[string]any {
	st := s.store
	created := st.RESTTime(v.CreatedAt)
	return map[string]any{
		"id": v.VariantID, "product_id": v.ProductID, "title": "Default Title", "price": restMoney(v.PriceCents), "position": 1,
		"inventory_policy": st.InventoryPolicy(), "compare_at_price": nil, "option1": "Default Title", "option2": nil, "option3": nil,
		"created_at": created, "updated_at": created, "taxable": true, "barcode": nil, "fulfillment_service": "manual",
		"grams": 0, "inventory_management": "shopify", "requires_shipping": true, "sku": v.SKU, "weight": 0.0, "weight_unit": "kg",
		"inventory_item_id": v.InventoryItemID, "inventory_quantity": v.Available(), "old_inventory_quantity": v.Available(),
		"admin_graphql_api_id": store.GID("ProductVariant", v.VariantID), "image_id": nil,
	}
}

func (s *Server) productJSON(v *store.Variant) map[string]any {
	created := s.store.RESTTime(v.CreatedAt)
	handle := strings.ToLower(strings.NewReplacer(" ", "-", "/", "-").Replace(v.Title))
	return map[string]any{
		"id": v.ProductID, "title": v.Title, "body_html": "", "vendor": s.store.ShopName(), "product_type": "",
		"created_at": created, "handle": handle, "updated_at": created, "published_at": created, "template_suffix": nil,
		"published_scope": "global", "tags": "", "status": "active", "admin_graphql_api_id": store.GID("Product", v.ProductID),
		"variants": []any{s.variantJSON(v)},
		"options":  []any{map[string]any{"id": v.ProductID + 1, "product_id": v.ProductID, "name": "Title", "position": 1, "values": []string{"Default Title"}}},
		"images":   []any{}, "image": nil,
	}
}

// GET products.json: by id, oldest first; limit, since_id, ids, fields, page_info.
func restProducts(s *Server, w http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	p, err := parseListParams(r.URL.Query(), "id", false, []string{"id"})
	if err != nil {
		return 0, nil, err
	}
	ids, err := parseIDs(p.query.Get("ids"), "ids")
	if err != nil {
		return 0, nil, err
	}
	var vs []store.Variant
	for i := 0; i < s.store.VariantCount(); i++ {
		v, _ := s.store.VariantAt(i)
		if (len(ids) == 0 || containsID(ids, v.ProductID)) && v.ProductID > p.sinceID {
			vs = append(vs, v)
		}
	}
	req := p.pageRequest()
	if p.sinceID > 0 && p.page == nil {
		req.After = nil
	}
	page := store.Paginate(len(vs), func(i int) (store.Pos, bool) { return store.Pos{Key: vs[i].ProductID, ID: vs[i].ProductID}, true }, req)
	out := make([][]byte, len(page.Items))
	for k, i := range page.Items {
		out[k] = filterFields(marshalNoEscape(s.productJSON(&vs[i])), p.fields)
	}
	return listResponse(w, r, p, "products", out, page.Positions, page.HasPrevious, page.HasNext)
}

func restProduct(s *Server, _ http.ResponseWriter, r *http.Request, _ string, id int64) (int, []byte, error) {
	v, ok := s.store.VariantByProductID(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	return http.StatusOK, filterWrapped("product", marshalNoEscape(s.productJSON(&v)), r.URL.Query().Get("fields")), nil
}

func restVariant(s *Server, _ http.ResponseWriter, r *http.Request, _ string, id int64) (int, []byte, error) {
	v, ok := s.store.VariantByID(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	return http.StatusOK, filterWrapped("variant", marshalNoEscape(s.variantJSON(&v)), r.URL.Query().Get("fields")), nil
}

// GET products/{id}/variants.json
func restProductVariants(s *Server, _ http.ResponseWriter, _ *http.Request, _ string, id int64) (int, []byte, error) {
	v, ok := s.store.VariantByProductID(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	return http.StatusOK, wrap("variants", []any{s.variantJSON(&v)}), nil
}

// GET orders/{id}/fulfillment_orders.json: the order's one fulfillment order.
func restFulfillmentOrders(s *Server, _ http.ResponseWriter, _ *http.Request, _ string, id int64) (int, []byte, error) {
	o, ok := s.store.Order(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	st := s.store
	fo := o.FulfillmentOrder
	loc, _ := st.Location(o.LocationID)
	lj := st.LocationJSON(&loc)
	lines := make([]any, 0, len(fo.Lines))
	for _, l := range fo.Lines {
		lines = append(lines, map[string]any{
			"id": l.ID, "shop_id": st.ShopID(), "fulfillment_order_id": fo.ID, "quantity": l.TotalQuantity,
			"line_item_id": l.LineItem.ID, "inventory_item_id": l.LineItem.InventoryItemID,
			"fulfillable_quantity": l.RemainingQuantity, "variant_id": l.LineItem.VariantID,
		})
	}
	actions := []string{}
	if fo.Status == "OPEN" || fo.Status == "IN_PROGRESS" {
		actions = []string{"create_fulfillment", "hold", "move"}
	}
	a := o.ShippingAddress
	out := map[string]any{
		"id": fo.ID, "shop_id": st.ShopID(), "order_id": o.ID, "assigned_location_id": o.LocationID,
		"request_status": "unsubmitted", "status": strings.ToLower(fo.Status), "supported_actions": actions,
		"destination": map[string]any{"id": fo.ID + 1, "address1": a.Address1, "address2": nil, "city": a.City, "company": nil,
			"country": a.CountryCode, "email": o.Email, "first_name": a.FirstName, "last_name": a.LastName, "phone": nil,
			"province": a.ProvinceCode, "zip": a.Zip},
		"line_items": lines, "fulfill_at": st.RESTTime(fo.CreatedAt), "fulfill_by": nil, "international_duties": nil,
		"fulfillment_holds": []any{}, "delivery_method": map[string]any{"id": fo.ID + 2, "method_type": "shipping"},
		"created_at": st.RESTTime(fo.CreatedAt), "updated_at": st.RESTTime(fo.UpdatedAt),
		"assigned_location": map[string]any{"address1": lj.Address1, "address2": nil, "city": lj.City, "country_code": lj.CountryCode,
			"location_id": loc.ID, "name": loc.Name, "phone": nil, "province": lj.Province, "zip": lj.Zip},
		"merchant_requests": []any{},
	}
	return http.StatusOK, wrap("fulfillment_orders", []any{out}), nil
}

// GET inventory_items.json?ids=: ids is required (at most 100), limit as any list.
func restInventoryItems(s *Server, _ http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	q := r.URL.Query()
	ids, err := parseIDs(q.Get("ids"), "ids")
	if err != nil {
		return 0, nil, err
	}
	if len(ids) == 0 {
		return 0, nil, &restError{status: http.StatusUnprocessableEntity, errors: map[string][]string{"ids": {"must be present"}}}
	}
	if len(ids) > 100 {
		return 0, nil, badParam("ids", "at most 100 ids")
	}
	limit := defaultRESTLimit
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRESTLimit {
			return 0, nil, badParam("limit", "must be an integer between 1 and 250")
		}
		limit = n
	}
	out := [][]byte{}
	for _, id := range ids {
		v, ok := s.store.VariantByInventoryItem(id)
		if !ok || len(out) >= limit {
			continue
		}
		created := s.store.RESTTime(v.CreatedAt)
		item := map[string]any{
			"id": v.InventoryItemID, "sku": v.SKU, "created_at": created, "updated_at": created, "requires_shipping": true,
			"cost": nil, "country_code_of_origin": nil, "province_code_of_origin": nil, "harmonized_system_code": nil,
			"tracked": true, "country_harmonized_system_codes": []any{}, "admin_graphql_api_id": store.GID("InventoryItem", v.InventoryItemID),
		}
		out = append(out, filterFields(marshalNoEscape(item), q.Get("fields")))
	}
	return http.StatusOK, encodeList("inventory_items", out), nil
}
