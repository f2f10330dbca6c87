package shopify

import (
	"strings"

	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// orderByGID resolves QueryRoot.order.
func (r *gqlRequest) orderByGID(rc *gql.ResolveContext) any {
	id, _ := rc.Args.String("id")
	if v, ok := r.node(id).(*store.Order); ok && strings.HasPrefix(id, "gid://shopify/Order/") {
		return v
	}
	return nil
}

// orderSortOf reads sortKey; the bool says whether the sort is by a time.
func orderSortOf(rc *gql.ResolveContext) (store.OrderSort, bool) {
	key, _ := rc.Args.String("sortKey")
	switch key {
	case "CREATED_AT", "PROCESSED_AT":
		return store.SortByCreatedAt, true
	case "UPDATED_AT":
		return store.SortByUpdatedAt, true
	}
	return store.SortByID, false
}

// orders resolves QueryRoot.orders and Customer.orders (customerID > 0).
func (r *gqlRequest) orders(rc *gql.ResolveContext, customerID int64) (any, error) {
	sortKey, timeKey := orderSortOf(rc)
	req, err := pageRequest(rc, timeKey)
	if err != nil {
		return nil, err
	}
	q, _ := rc.Args.String("query")
	pred, warn := compileSearch(q, orderSearchFields(r.s.store.TimeZone()), orderSearchText)
	r.warn(rc, q, warn)
	if customerID > 0 {
		inner := pred
		pred = func(o *store.OrderRow) bool { return o.CustomerID == customerID && (inner == nil || inner(o)) }
	}
	page := r.s.store.ListOrders(pred, sortKey, req)
	nodes := make([]any, len(page.Orders))
	for i := range page.Orders {
		nodes[i] = &page.Orders[i]
	}
	return connection(nodes, page.Positions, timeKey, page.HasPrevious, page.HasNext), nil
}

// registerOrders registers Order and its TaxLine.
func registerOrders(e *gql.Executor) {
	bag := func(get func(*store.Order) int64) gql.Resolver {
		return func(_ *gql.ResolveContext, p any) (any, error) { return moneyBag(get(p.(*store.Order))), nil }
	}
	register(e, "Order", typeResolvers{
		"id":               func(_ *gql.ResolveContext, p any) (any, error) { return store.GID("Order", p.(*store.Order).ID), nil },
		"legacyResourceId": func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(*store.Order).ID), nil },
		"name":             func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Order).Name, nil },
		"email":            func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Order).Email), nil },
		"phone":            func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Order).Phone), nil },
		"createdAt":        func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Order).CreatedAt), nil },
		"updatedAt":        func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Order).UpdatedAt), nil },
		"processedAt":      func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Order).ProcessedAt), nil },
		"cancelledAt":      func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Order).CancelledAt), nil },
		"cancelReason": func(_ *gql.ResolveContext, p any) (any, error) {
			return nonEmpty(strings.ToUpper(p.(*store.Order).CancelReason)), nil
		},
		"closed": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Order).Closed(), nil },
		"closedAt": func(_ *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			if !o.Closed() {
				return nil, nil
			}
			return gqlTime(o.UpdatedAt), nil
		},
		"confirmed": func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"test":      func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"tags": func(_ *gql.ResolveContext, p any) (any, error) {
			if t := p.(*store.Order).Tags; t != nil {
				return t, nil
			}
			return []string{}, nil
		},
		"note":         func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Order).Note), nil },
		"currencyCode": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Order).Currency, nil },
		"sourceName":   func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Order).SourceName, nil },
		"paymentGatewayNames": func(_ *gql.ResolveContext, p any) (any, error) {
			return []string{p.(*store.Order).Gateway}, nil
		},
		"discountCodes": func(_ *gql.ResolveContext, p any) (any, error) {
			if c := p.(*store.Order).DiscountCode; c != "" {
				return []string{c}, nil
			}
			return []string{}, nil
		},
		"displayFinancialStatus": func(_ *gql.ResolveContext, p any) (any, error) {
			return strings.ToUpper(p.(*store.Order).FinancialStatus), nil
		},
		"displayFulfillmentStatus": func(_ *gql.ResolveContext, p any) (any, error) {
			switch p.(*store.Order).FulfillmentStatus {
			case "fulfilled":
				return "FULFILLED", nil
			case "partial":
				return "PARTIALLY_FULFILLED", nil
			}
			return "UNFULFILLED", nil
		},
		"fullyPaid": func(_ *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			return o.PaidCents >= o.TotalCents && o.PaidCents > 0, nil
		},
		"unpaid": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Order).PaidCents <= 0, nil },
		"subtotalLineItemsQuantity": func(_ *gql.ResolveContext, p any) (any, error) {
			n := 0
			for _, l := range p.(*store.Order).Lines {
				n += l.CurrentQuantity
			}
			return n, nil
		},
		"subtotalPriceSet":        bag(func(o *store.Order) int64 { return o.SubtotalCents }),
		"currentSubtotalPriceSet": bag(func(o *store.Order) int64 { return o.SubtotalCents }),
		"totalPriceSet":           bag(func(o *store.Order) int64 { return o.TotalCents }),
		"currentTotalPriceSet":    bag(func(o *store.Order) int64 { return o.TotalCents }),
		"totalTaxSet":             bag(func(o *store.Order) int64 { return o.TaxCents }),
		"currentTotalTaxSet":      bag(func(o *store.Order) int64 { return o.TaxCents }),
		"totalShippingPriceSet":   bag(func(o *store.Order) int64 { return o.ShippingCents }),
		"totalDiscountsSet":       bag(func(o *store.Order) int64 { return o.DiscountCents }),
		"totalOutstandingSet":     bag(func(o *store.Order) int64 { return o.OutstandingCents }),
		"totalReceivedSet":        bag(func(o *store.Order) int64 { return o.PaidCents }),
		"taxLines": func(_ *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			if o.TaxRateBP == 0 {
				return []any{}, nil
			}
			return []any{taxLineValue{o}}, nil
		},
		"customer": func(_ *gql.ResolveContext, p any) (any, error) { c := p.(*store.Order).Customer; return &c, nil },
		"shippingAddress": func(_ *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			return addressValue{a: o.ShippingAddress, id: o.ID + 1}, nil
		},
		"billingAddress": func(_ *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			return addressValue{a: o.BillingAddress, id: o.ID + 2}, nil
		},
		"lineItems": func(rc *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			return sliceConnection(rc, len(o.Lines), func(i int) int64 { return o.Lines[i].ID },
				func(i int) any { return lineValue{o: o, l: &o.Lines[i]} })
		},
		"transactions": func(rc *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			out := make([]any, 0, len(o.Transactions))
			first, hasFirst := rc.Args.Int("first")
			for i := range o.Transactions {
				if hasFirst && int64(len(out)) >= first {
					break
				}
				out = append(out, &o.Transactions[i])
			}
			return out, nil
		},
		"fulfillmentOrders": func(rc *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			return sliceConnection(rc, 1, func(int) int64 { return o.FulfillmentOrder.ID }, func(int) any { return foValue{o} })
		},
		"fulfillments": func(rc *gql.ResolveContext, p any) (any, error) {
			o := p.(*store.Order)
			out := make([]any, 0, len(o.Fulfillments))
			first, hasFirst := rc.Args.Int("first")
			for i := range o.Fulfillments {
				if hasFirst && int64(len(out)) >= first {
					break
				}
				out = append(out, &fulfillmentValue{o: o, f: &o.Fulfillments[i]})
			}
			return out, nil
		},
		"risk": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Order).Risk, nil },
	})
	register(e, "TaxLine", typeResolvers{
		"title": func(_ *gql.ResolveContext, p any) (any, error) {
			a := p.(taxLineValue).o.ShippingAddress
			if a.CountryCode == "US" {
				return a.ProvinceCode + " State Tax", nil
			}
			return "VAT", nil
		},
		"rate": func(_ *gql.ResolveContext, p any) (any, error) {
			return float64(p.(taxLineValue).o.TaxRateBP) / 10000, nil
		},
		"ratePercentage": func(_ *gql.ResolveContext, p any) (any, error) {
			return float64(p.(taxLineValue).o.TaxRateBP) / 100, nil
		},
		"priceSet": func(_ *gql.ResolveContext, p any) (any, error) { return moneyBag(p.(taxLineValue).o.TaxCents), nil },
	})
}

// registerOrderRisk registers the fraud analysis of an order.
func registerOrderRisk(e *gql.Executor) {
	register(e, "OrderRiskSummary", typeResolvers{
		"assessments": func(_ *gql.ResolveContext, p any) (any, error) {
			return []any{riskAssessment{level: p.(store.Risk).Level}}, nil
		},
		"recommendation": func(_ *gql.ResolveContext, p any) (any, error) { return p.(store.Risk).Recommendation, nil },
	})
	register(e, "OrderRiskAssessment", typeResolvers{
		"riskLevel": func(_ *gql.ResolveContext, p any) (any, error) { return p.(riskAssessment).level, nil },
		"facts": func(_ *gql.ResolveContext, p any) (any, error) {
			switch p.(riskAssessment).level {
			case "HIGH":
				return []any{map[string]any{"description": "Characteristics of this order are similar to fraudulent orders observed in the past", "sentiment": "NEGATIVE"}}, nil
			case "MEDIUM":
				return []any{map[string]any{"description": "The billing and shipping addresses are far apart", "sentiment": "NEGATIVE"}}, nil
			}
			return []any{map[string]any{"description": "Characteristics of this order are similar to non-fraudulent orders observed in the past", "sentiment": "POSITIVE"}}, nil
		},
	})
}

// registerLineItems registers LineItem.
func registerLineItems(e *gql.Executor) {
	register(e, "LineItem", typeResolvers{
		"id":                  func(_ *gql.ResolveContext, p any) (any, error) { return store.GID("LineItem", p.(lineValue).l.ID), nil },
		"name":                func(_ *gql.ResolveContext, p any) (any, error) { return p.(lineValue).l.Title, nil },
		"title":               func(_ *gql.ResolveContext, p any) (any, error) { return p.(lineValue).l.Title, nil },
		"sku":                 func(_ *gql.ResolveContext, p any) (any, error) { return p.(lineValue).l.SKU, nil },
		"quantity":            func(_ *gql.ResolveContext, p any) (any, error) { return p.(lineValue).l.Quantity, nil },
		"currentQuantity":     func(_ *gql.ResolveContext, p any) (any, error) { return p.(lineValue).l.CurrentQuantity, nil },
		"unfulfilledQuantity": func(_ *gql.ResolveContext, p any) (any, error) { return p.(lineValue).l.FulfillableQuantity(), nil },
		"refundableQuantity":  func(_ *gql.ResolveContext, p any) (any, error) { return p.(lineValue).l.CurrentQuantity, nil },
		"variantTitle":        func(*gql.ResolveContext, any) (any, error) { return nil, nil },
		"vendor":              func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.ShopName(), nil },
		"requiresShipping":    func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"taxable":             func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"variant": func(rc *gql.ResolveContext, p any) (any, error) {
			if v, ok := reqOf(rc).s.store.VariantByID(p.(lineValue).l.VariantID); ok {
				return variantValue{&v}, nil
			}
			return nil, nil
		},
		"product": func(rc *gql.ResolveContext, p any) (any, error) {
			if v, ok := reqOf(rc).s.store.VariantByID(p.(lineValue).l.VariantID); ok {
				return productValue{&v}, nil
			}
			return nil, nil
		},
		"originalUnitPriceSet":   func(_ *gql.ResolveContext, p any) (any, error) { return moneyBag(p.(lineValue).l.PriceCents), nil },
		"discountedUnitPriceSet": func(_ *gql.ResolveContext, p any) (any, error) { return moneyBag(p.(lineValue).l.PriceCents), nil },
		"originalTotalSet": func(_ *gql.ResolveContext, p any) (any, error) {
			l := p.(lineValue).l
			return moneyBag(l.PriceCents * int64(l.Quantity)), nil
		},
		"discountedTotalSet": func(_ *gql.ResolveContext, p any) (any, error) {
			l := p.(lineValue).l
			return moneyBag(l.PriceCents * int64(l.CurrentQuantity)), nil
		},
	})
}
