package shopify

import (
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// registerFulfillment registers fulfillment orders, fulfillments and their lines and
// tracking.
func registerFulfillment(e *gql.Executor) {
	register(e, "FulfillmentOrder", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("FulfillmentOrder", p.(foValue).o.FulfillmentOrder.ID), nil
		},
		"status":        func(_ *gql.ResolveContext, p any) (any, error) { return p.(foValue).o.FulfillmentOrder.Status, nil },
		"requestStatus": func(*gql.ResolveContext, any) (any, error) { return "UNSUBMITTED", nil },
		"orderId":       func(_ *gql.ResolveContext, p any) (any, error) { return store.GID("Order", p.(foValue).o.ID), nil },
		"orderName":     func(_ *gql.ResolveContext, p any) (any, error) { return p.(foValue).o.Name, nil },
		"order":         func(_ *gql.ResolveContext, p any) (any, error) { return p.(foValue).o, nil },
		"createdAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(p.(foValue).o.FulfillmentOrder.CreatedAt), nil
		},
		"updatedAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(p.(foValue).o.FulfillmentOrder.UpdatedAt), nil
		},
		"assignedLocation": func(rc *gql.ResolveContext, p any) (any, error) {
			st := reqOf(rc).s.store
			loc, _ := st.Location(p.(foValue).o.LocationID)
			j := st.LocationJSON(&loc)
			return map[string]any{
				"name": loc.Name, "address1": j.Address1, "city": j.City, "province": j.Province, "zip": j.Zip,
				"countryCode": j.CountryCode, "location": &loc,
			}, nil
		},
		"supportedActions": func(_ *gql.ResolveContext, p any) (any, error) {
			switch p.(foValue).o.FulfillmentOrder.Status {
			case "OPEN", "IN_PROGRESS":
				return []any{map[string]any{"action": "CREATE_FULFILLMENT"}, map[string]any{"action": "HOLD"}, map[string]any{"action": "MOVE"}}, nil
			}
			return []any{}, nil
		},
		"lineItems": func(rc *gql.ResolveContext, p any) (any, error) {
			o := p.(foValue).o
			lines := o.FulfillmentOrder.Lines
			return sliceConnection(rc, len(lines), func(i int) int64 { return lines[i].ID },
				func(i int) any { return foLineValue{o: o, l: &lines[i]} })
		},
		"fulfillments": func(rc *gql.ResolveContext, p any) (any, error) {
			o := p.(foValue).o
			return sliceConnection(rc, len(o.Fulfillments), func(i int) int64 { return o.Fulfillments[i].ID },
				func(i int) any { return &fulfillmentValue{o: o, f: &o.Fulfillments[i]} })
		},
	})
	register(e, "FulfillmentOrderLineItem", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("FulfillmentOrderLineItem", p.(foLineValue).l.ID), nil
		},
		"totalQuantity":     func(_ *gql.ResolveContext, p any) (any, error) { return p.(foLineValue).l.TotalQuantity, nil },
		"remainingQuantity": func(_ *gql.ResolveContext, p any) (any, error) { return p.(foLineValue).l.RemainingQuantity, nil },
		"sku":               func(_ *gql.ResolveContext, p any) (any, error) { return p.(foLineValue).l.LineItem.SKU, nil },
		"productTitle":      func(_ *gql.ResolveContext, p any) (any, error) { return p.(foLineValue).l.LineItem.Title, nil },
		"variantTitle":      func(*gql.ResolveContext, any) (any, error) { return nil, nil },
		"inventoryItemId": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("InventoryItem", p.(foLineValue).l.LineItem.InventoryItemID), nil
		},
		"lineItem": func(_ *gql.ResolveContext, p any) (any, error) {
			v := p.(foLineValue)
			return lineValue{o: v.o, l: &v.l.LineItem}, nil
		},
		"variant": func(rc *gql.ResolveContext, p any) (any, error) {
			if v, ok := reqOf(rc).s.store.VariantByID(p.(foLineValue).l.LineItem.VariantID); ok {
				return variantValue{&v}, nil
			}
			return nil, nil
		},
	})
	register(e, "Fulfillment", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("Fulfillment", p.(*fulfillmentValue).f.ID), nil
		},
		"legacyResourceId": func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(*fulfillmentValue).f.ID), nil },
		"name":             func(_ *gql.ResolveContext, p any) (any, error) { return p.(*fulfillmentValue).f.Name, nil },
		"status":           func(*gql.ResolveContext, any) (any, error) { return "SUCCESS", nil },
		"displayStatus":    func(*gql.ResolveContext, any) (any, error) { return "FULFILLED", nil },
		"createdAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(p.(*fulfillmentValue).f.CreatedAt), nil
		},
		"updatedAt": func(_ *gql.ResolveContext, p any) (any, error) {
			return gqlTime(p.(*fulfillmentValue).f.CreatedAt), nil
		},
		"totalQuantity": func(_ *gql.ResolveContext, p any) (any, error) {
			n := 0
			for _, l := range p.(*fulfillmentValue).f.Lines {
				n += l.Quantity
			}
			return n, nil
		},
		"order": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*fulfillmentValue).o, nil },
		"location": func(rc *gql.ResolveContext, p any) (any, error) {
			if l, ok := reqOf(rc).s.store.Location(p.(*fulfillmentValue).f.LocationID); ok {
				return &l, nil
			}
			return nil, nil
		},
		"trackingInfo": func(rc *gql.ResolveContext, p any) (any, error) {
			f := p.(*fulfillmentValue).f
			out := []any{}
			first, hasFirst := rc.Args.Int("first")
			for i, n := range f.TrackingNumbers {
				if hasFirst && int64(len(out)) >= first {
					break
				}
				t := trackingValue{company: f.TrackingCompany, number: n}
				if i < len(f.TrackingURLs) {
					t.url = f.TrackingURLs[i]
				}
				out = append(out, t)
			}
			if len(f.TrackingNumbers) == 0 && (f.TrackingCompany != "" || len(f.TrackingURLs) > 0) {
				t := trackingValue{company: f.TrackingCompany}
				if len(f.TrackingURLs) > 0 {
					t.url = f.TrackingURLs[0]
				}
				out = append(out, t)
			}
			return out, nil
		},
		"fulfillmentLineItems": func(rc *gql.ResolveContext, p any) (any, error) {
			fv := p.(*fulfillmentValue)
			return sliceConnection(rc, len(fv.f.Lines), func(i int) int64 { return fv.f.ID*64 + int64(i) },
				func(i int) any { return fulfilledLineValue{f: fv, i: i} })
		},
	})
	register(e, "FulfillmentTrackingInfo", typeResolvers{
		"company": func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(trackingValue).company), nil },
		"number":  func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(trackingValue).number), nil },
		"url":     func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(trackingValue).url), nil },
	})
	register(e, "FulfillmentLineItem", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			v := p.(fulfilledLineValue)
			return store.GID("FulfillmentLineItem", v.f.f.ID*64+int64(v.i)), nil
		},
		"quantity": func(_ *gql.ResolveContext, p any) (any, error) {
			v := p.(fulfilledLineValue)
			return v.f.f.Lines[v.i].Quantity, nil
		},
		"lineItem": func(_ *gql.ResolveContext, p any) (any, error) {
			v := p.(fulfilledLineValue)
			return lineValue{o: v.f.o, l: &v.f.f.Lines[v.i].LineItem}, nil
		},
	})
}
