package shopify

import (
	"encoding/json"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// gqlRequest is the request-scoped data every resolver sees.
type gqlRequest struct {
	s       *Server
	version string
	rules   versionRules
	search  []searchExtension
}

type searchExtension struct {
	Path     []string        `json:"path"`
	Query    string          `json:"query"`
	Warnings []SearchWarning `json:"warnings"`
}

func reqOf(rc *gql.ResolveContext) *gqlRequest { return rc.Data.(*gqlRequest) }

// Resolver values: what a parent object is for each GraphQL type.
type (
	shopValue    struct{}
	moneyBag     int64 // cents
	moneyV2      int64 // cents
	addressValue struct {
		a  store.Address
		id int64
	}
	riskAssessment struct{ level string }
	productValue   struct{ v *store.Variant }
	variantValue   struct{ v *store.Variant }
	itemValue      struct{ v *store.Variant }
	quantityValue  struct {
		l    *store.InventoryLevel
		name string
	}
	lineValue struct {
		o *store.Order
		l *store.LineItem
	}
	foValue     struct{ o *store.Order }
	foLineValue struct {
		o *store.Order
		l *store.FulfillmentOrderLine
	}
	fulfillmentValue struct {
		o *store.Order
		f *store.Fulfillment
	}
	fulfilledLineValue struct {
		f *fulfillmentValue
		i int
	}
	trackingValue     struct{ company, number, url string }
	subscriptionValue struct {
		sub webhooks.Subscription
	}
	httpEndpoint struct{ url string }
	taxLineValue struct{ o *store.Order }
	countValue   struct {
		n     int
		exact bool
	}
	planValue struct{ plan string }
)

// typeOf names the concrete type of a value returned for an interface or union.
func typeOf(v any) string {
	switch v.(type) {
	case *store.Order:
		return "Order"
	case *store.Customer:
		return "Customer"
	case lineValue:
		return "LineItem"
	case productValue:
		return "Product"
	case variantValue:
		return "ProductVariant"
	case itemValue:
		return "InventoryItem"
	case *store.InventoryLevel:
		return "InventoryLevel"
	case *store.Location:
		return "Location"
	case foValue:
		return "FulfillmentOrder"
	case foLineValue:
		return "FulfillmentOrderLineItem"
	case *fulfillmentValue:
		return "Fulfillment"
	case *store.Transaction:
		return "OrderTransaction"
	case addressValue:
		return "MailingAddress"
	case *subscriptionValue:
		return "WebhookSubscription"
	case httpEndpoint:
		return "WebhookHttpEndpoint"
	case *store.AdjustmentGroup:
		return "InventoryAdjustmentGroup"
	case shopValue:
		return "Shop"
	case userError:
		return "UserError"
	}
	return ""
}

func gqlTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UTC().Format(time.RFC3339)
}

func nonEmpty(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func legacyID(id int64) string { return strconv.FormatInt(id, 10) }

// field is shorthand for registering resolvers of one type.
type typeResolvers map[string]gql.Resolver

func register(e *gql.Executor, typeName string, fields typeResolvers) {
	for f, r := range fields {
		e.Handle(typeName, f, r)
	}
}

func buildExecutors() (map[versionRules]*gql.Executor, error) {
	schemas, err := loadSchemas()
	if err != nil {
		return nil, err
	}
	out := map[versionRules]*gql.Executor{}
	for rules, schema := range schemas {
		e := gql.NewExecutor(schema, typeOf)
		registerQueries(e)
		registerObjects(e)
		registerMutations(e)
		out[rules] = e
	}
	return out, nil
}

func registerQueries(e *gql.Executor) {
	register(e, "QueryRoot", typeResolvers{
		"shop": func(*gql.ResolveContext, any) (any, error) { return shopValue{}, nil },
		"node": func(rc *gql.ResolveContext, _ any) (any, error) {
			id, _ := rc.Args.String("id")
			return reqOf(rc).node(id), nil
		},
		"nodes": func(rc *gql.ResolveContext, _ any) (any, error) {
			ids, _ := rc.Args.Strings("ids")
			if len(ids) > 250 {
				return nil, gql.Errorf("MAX_INPUT_SIZE_EXCEEDED", "The input array size of %d is greater than the maximum allowed of 250.", len(ids))
			}
			out := make([]any, len(ids))
			for i, id := range ids {
				out[i] = reqOf(rc).node(id)
			}
			return out, nil
		},
		"order": func(rc *gql.ResolveContext, _ any) (any, error) {
			return reqOf(rc).orderByGID(rc), nil
		},
		"orders": func(rc *gql.ResolveContext, _ any) (any, error) {
			return reqOf(rc).orders(rc, 0)
		},
		"ordersCount": func(rc *gql.ResolveContext, _ any) (any, error) {
			r := reqOf(rc)
			q, _ := rc.Args.String("query")
			pred, warn := compileSearch(q, orderSearchFields(r.s.store.TimeZone()), orderSearchText)
			r.warn(rc, q, warn)
			n := r.s.store.CountOrders(pred)
			limit, ok := rc.Args.Int("limit")
			if ok && limit >= 0 && int64(n) > limit {
				return countValue{n: int(limit), exact: false}, nil
			}
			return countValue{n: n, exact: true}, nil
		},
		"customer": func(rc *gql.ResolveContext, _ any) (any, error) {
			id, _ := rc.Args.String("id")
			if c, ok := reqOf(rc).customer(id, "Customer"); ok {
				return c, nil
			}
			return nil, nil
		},
		"customers":       func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).customers(rc) },
		"product":         byGID("Product"),
		"productVariant":  byGID("ProductVariant"),
		"productVariants": func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).variants(rc) },
		"inventoryItem":   byGID("InventoryItem"),
		"inventoryLevel": func(rc *gql.ResolveContext, _ any) (any, error) {
			id, _ := rc.Args.String("id")
			loc, item, ok := store.ParseInventoryLevelGID(id)
			if !ok {
				return nil, nil
			}
			l, ok := reqOf(rc).s.store.InventoryLevel(item, loc)
			if !ok {
				return nil, nil
			}
			return &l, nil
		},
		"location": func(rc *gql.ResolveContext, _ any) (any, error) {
			id, ok := rc.Args.String("id")
			if !ok {
				l := reqOf(rc).s.store.Locations()[0]
				return &l, nil
			}
			if v := reqOf(rc).node(id); v != nil {
				if l, ok := v.(*store.Location); ok {
					return l, nil
				}
			}
			return nil, nil
		},
		"locations":            func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).locations(rc) },
		"fulfillmentOrder":     byGID("FulfillmentOrder"),
		"webhookSubscription":  byGID("WebhookSubscription"),
		"webhookSubscriptions": func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).subscriptions(rc) },
	})
}

// byGID resolves a root field that looks one resource up by id, null when absent or of
// another type.
func byGID(typ string) gql.Resolver {
	return func(rc *gql.ResolveContext, _ any) (any, error) {
		id, _ := rc.Args.String("id")
		v := reqOf(rc).node(id)
		if v == nil || typeOf(v) != typ {
			return nil, nil
		}
		return v, nil
	}
}

// node finds any resource by GraphQL id; nil when unknown.
func (r *gqlRequest) node(gid string) any {
	typ, id, _, ok := store.ParseGID(gid)
	if !ok || typ == "" {
		return nil
	}
	st := r.s.store
	switch typ {
	case "Order":
		if o, ok := st.Order(id); ok {
			return &o
		}
	case "Customer":
		if c, ok := st.Customer(id); ok {
			return &c
		}
	case "LineItem":
		if o, n, ok := st.OrderByLineItem(id); ok {
			return lineValue{o: &o, l: &o.Lines[n]}
		}
	case "Product":
		if v, ok := st.VariantByProductID(id); ok {
			return productValue{&v}
		}
	case "ProductVariant":
		if v, ok := st.VariantByID(id); ok {
			return variantValue{&v}
		}
	case "InventoryItem":
		if v, ok := st.VariantByInventoryItem(id); ok {
			return itemValue{&v}
		}
	case "InventoryLevel":
		if loc, item, ok := store.ParseInventoryLevelGID(gid); ok {
			if l, ok := st.InventoryLevel(item, loc); ok {
				return &l
			}
		}
	case "Location":
		if l, ok := st.Location(id); ok {
			return &l
		}
	case "FulfillmentOrder":
		if o, ok := st.OrderByFulfillmentOrder(id); ok {
			return foValue{&o}
		}
	case "WebhookSubscription":
		for _, s := range r.s.registry.Subscriptions() {
			if s.ID == gid {
				return &subscriptionValue{sub: s}
			}
		}
	case "Shop":
		if id == st.ShopID() {
			return shopValue{}
		}
	}
	return nil
}

func (r *gqlRequest) orderByGID(rc *gql.ResolveContext) any {
	id, _ := rc.Args.String("id")
	if v, ok := r.node(id).(*store.Order); ok && strings.HasPrefix(id, "gid://shopify/Order/") {
		return v
	}
	return nil
}

func (r *gqlRequest) customer(gid, typ string) (*store.Customer, bool) {
	t, id, _, ok := store.ParseGID(gid)
	if !ok || t != typ {
		return nil, false
	}
	c, ok := r.s.store.Customer(id)
	return &c, ok
}

func (r *gqlRequest) warn(rc *gql.ResolveContext, q string, w []SearchWarning) {
	if len(w) == 0 {
		return
	}
	name := rc.Field.Alias
	if name == "" {
		name = rc.Field.Name
	}
	r.search = append(r.search, searchExtension{Path: []string{name}, Query: q, Warnings: w})
}

// pageRequest reads first/last/after/before/reverse. Shopify requires exactly one of
// first and last, at most 250.
func pageRequest(rc *gql.ResolveContext, timeKey bool) (store.PageRequest, error) {
	var req store.PageRequest
	first, hasFirst := rc.Args.Int("first")
	last, hasLast := rc.Args.Int("last")
	switch {
	case !hasFirst && !hasLast:
		return req, gql.Errorf("", "you must provide one of first or last")
	case hasFirst && hasLast:
		return req, gql.Errorf("", "providing both first and last is not supported")
	}
	n := first
	if hasLast {
		n = last
	}
	if n < 0 || n > 250 {
		return req, gql.Errorf("", "The page size must be between 0 and 250, got %d", n)
	}
	if hasFirst {
		req.First = int(n)
	} else {
		req.Last = int(n)
	}
	for _, arg := range []string{"after", "before"} {
		c, ok := rc.Args.String(arg)
		if !ok {
			continue
		}
		p, ok := decodeCursor(c, timeKey)
		if !ok {
			return req, gql.Errorf("", "Invalid cursor for current pagination sort.")
		}
		if arg == "after" {
			req.After = &p
		} else {
			req.Before = &p
		}
	}
	req.Reverse, _ = rc.Args.Bool("reverse")
	return req, nil
}

func connection(items []any, positions []store.Pos, timeKey, hasPrev, hasNext bool) *gql.Connection {
	c := &gql.Connection{Nodes: items, Cursors: make([]string, len(positions))}
	for i, p := range positions {
		c.Cursors[i] = encodeCursor(p, timeKey)
	}
	c.PageInfo.HasNextPage, c.PageInfo.HasPreviousPage = hasNext, hasPrev
	if len(c.Cursors) > 0 {
		c.PageInfo.StartCursor, c.PageInfo.EndCursor = c.Cursors[0], c.Cursors[len(c.Cursors)-1]
	}
	return c
}

// sliceConnection pages a small in-memory list ordered by id.
func sliceConnection(rc *gql.ResolveContext, n int, id func(i int) int64, node func(i int) any) (any, error) {
	req, err := pageRequest(rc, false)
	if err != nil {
		return nil, err
	}
	page := store.Paginate(n, func(i int) (store.Pos, bool) { x := id(i); return store.Pos{Key: x, ID: x}, true }, req)
	nodes := make([]any, len(page.Items))
	for k, i := range page.Items {
		nodes[k] = node(i)
	}
	return connection(nodes, page.Positions, false, page.HasPrevious, page.HasNext), nil
}

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

func (r *gqlRequest) customers(rc *gql.ResolveContext) (any, error) {
	key, _ := rc.Args.String("sortKey")
	sortKey, timeKey := store.SortByID, false
	switch key {
	case "CREATED_AT":
		sortKey, timeKey = store.SortByCreatedAt, true
	case "UPDATED_AT":
		sortKey, timeKey = store.SortByUpdatedAt, true
	}
	req, err := pageRequest(rc, timeKey)
	if err != nil {
		return nil, err
	}
	q, _ := rc.Args.String("query")
	var pred func(*store.CustomerRow) bool
	if email, ok := singleTerm(q, "email"); ok {
		// The common lookup: served from the e-mail index instead of a scan.
		c, found := r.s.store.CustomerByEmail(email)
		pred = func(row *store.CustomerRow) bool { return found && row.ID == c.ID }
	} else {
		var warn []SearchWarning
		pred, warn = compileSearch(q, customerSearchFields(r.s.store.TimeZone()), customerSearchText)
		r.warn(rc, q, warn)
	}
	page := r.s.store.ListCustomers(pred, sortKey, req)
	nodes := make([]any, len(page.Customers))
	for i := range page.Customers {
		nodes[i] = &page.Customers[i]
	}
	return connection(nodes, page.Positions, timeKey, page.HasPrevious, page.HasNext), nil
}

func (r *gqlRequest) variants(rc *gql.ResolveContext) (any, error) {
	req, err := pageRequest(rc, false)
	if err != nil {
		return nil, err
	}
	q, _ := rc.Args.String("query")
	st := r.s.store
	if sku, ok := singleTerm(q, "sku"); ok {
		// The SKU lookup integrators make for every inventory update: served from the
		// SKU index.
		var items []*store.Variant
		if v, ok := st.VariantBySKU(sku); ok {
			items = append(items, &v)
		}
		return variantPage(items, req), nil
	}
	pred, warn := compileSearch(q, variantSearchFields(), variantSearchText)
	r.warn(rc, q, warn)
	var items []*store.Variant
	for i := 0; i < st.VariantCount(); i++ {
		v, _ := st.VariantAt(i)
		if pred == nil || pred(&v) {
			items = append(items, &v)
		}
	}
	return variantPage(items, req), nil
}

func variantPage(items []*store.Variant, req store.PageRequest) *gql.Connection {
	page := store.Paginate(len(items), func(i int) (store.Pos, bool) {
		return store.Pos{Key: items[i].VariantID, ID: items[i].VariantID}, true
	}, req)
	nodes := make([]any, len(page.Items))
	for k, i := range page.Items {
		nodes[k] = variantValue{items[i]}
	}
	return connection(nodes, page.Positions, false, page.HasPrevious, page.HasNext)
}

func (r *gqlRequest) locations(rc *gql.ResolveContext) (any, error) {
	q, _ := rc.Args.String("query")
	pred, warn := compileSearch(q, locationSearchFields(), nil)
	r.warn(rc, q, warn)
	var locs []*store.Location
	for _, l := range r.s.store.Locations() {
		if pred == nil || pred(&l) {
			locs = append(locs, &l)
		}
	}
	return sliceConnection(rc, len(locs), func(i int) int64 { return locs[i].ID }, func(i int) any { return locs[i] })
}

func (r *gqlRequest) subscriptions(rc *gql.ResolveContext) (any, error) {
	topics, _ := rc.Args.Strings("topics")
	url, hasURL := rc.Args.String("callbackUrl")
	var subs []webhooks.Subscription
	for _, s := range r.s.registry.Subscriptions() {
		if hasURL && s.URL != url {
			continue
		}
		if len(topics) > 0 {
			match := false
			for _, t := range topics {
				match = match || topicEnumToREST[t] == s.Topic
			}
			if !match {
				continue
			}
		}
		subs = append(subs, s)
	}
	return sliceConnection(rc, len(subs), func(i int) int64 { _, id, _, _ := store.ParseGID(subs[i].ID); return id },
		func(i int) any { return &subscriptionValue{sub: subs[i]} })
}

func money(rc *gql.ResolveContext, cents int64) any {
	return map[string]any{"amount": catalog.Money(cents), "currencyCode": reqOf(rc).s.store.Currency()}
}

func registerObjects(e *gql.Executor) {
	register(e, "Shop", typeResolvers{
		"id": func(rc *gql.ResolveContext, _ any) (any, error) {
			return store.GID("Shop", reqOf(rc).s.store.ShopID()), nil
		},
		"name": func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.ShopName(), nil },
		"email": func(rc *gql.ResolveContext, _ any) (any, error) {
			return "owner@" + reqOf(rc).s.store.ShopName() + ".example.com", nil
		},
		"myshopifyDomain":      func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.Shop(), nil },
		"url":                  func(rc *gql.ResolveContext, _ any) (any, error) { return "https://" + reqOf(rc).s.store.Shop(), nil },
		"currencyCode":         func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.Currency(), nil },
		"ianaTimezone":         func(*gql.ResolveContext, any) (any, error) { return "America/New_York", nil },
		"timezoneAbbreviation": func(*gql.ResolveContext, any) (any, error) { return "EST", nil },
		"plan": func(rc *gql.ResolveContext, _ any) (any, error) {
			return planValue{reqOf(rc).s.limits.config().Plan}, nil
		},
	})
	register(e, "ShopPlan", typeResolvers{
		"displayName": func(_ *gql.ResolveContext, p any) (any, error) {
			return map[string]string{"standard": "Basic", "advanced": "Advanced", "plus": "Shopify Plus", "enterprise": "Commerce Components"}[p.(planValue).plan], nil
		},
		"partnerDevelopment": func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"shopifyPlus": func(_ *gql.ResolveContext, p any) (any, error) {
			pl := p.(planValue).plan
			return pl == "plus" || pl == "enterprise", nil
		},
	})
	register(e, "Count", typeResolvers{
		"count": func(_ *gql.ResolveContext, p any) (any, error) { return p.(countValue).n, nil },
		"precision": func(_ *gql.ResolveContext, p any) (any, error) {
			if p.(countValue).exact {
				return "EXACT", nil
			}
			return "AT_LEAST", nil
		},
	})
	bag := func(get func(*store.Order) int64) gql.Resolver {
		return func(_ *gql.ResolveContext, p any) (any, error) { return moneyBag(get(p.(*store.Order))), nil }
	}
	register(e, "MoneyBag", typeResolvers{
		"shopMoney":        func(rc *gql.ResolveContext, p any) (any, error) { return money(rc, int64(p.(moneyBag))), nil },
		"presentmentMoney": func(rc *gql.ResolveContext, p any) (any, error) { return money(rc, int64(p.(moneyBag))), nil },
	})
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
	addr := func(get func(store.Address) string) gql.Resolver {
		return func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(get(p.(addressValue).a)), nil }
	}
	register(e, "MailingAddress", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("MailingAddress", p.(addressValue).id), nil
		},
		"firstName":     addr(func(a store.Address) string { return a.FirstName }),
		"lastName":      addr(func(a store.Address) string { return a.LastName }),
		"name":          addr(func(a store.Address) string { return a.Name() }),
		"company":       addr(func(a store.Address) string { return a.Company }),
		"address1":      addr(func(a store.Address) string { return a.Address1 }),
		"address2":      addr(func(a store.Address) string { return a.Address2 }),
		"city":          addr(func(a store.Address) string { return a.City }),
		"province":      addr(func(a store.Address) string { return a.Province }),
		"provinceCode":  addr(func(a store.Address) string { return a.ProvinceCode }),
		"zip":           addr(func(a store.Address) string { return a.Zip }),
		"country":       addr(func(a store.Address) string { return a.Country }),
		"countryCodeV2": addr(func(a store.Address) string { return a.CountryCode }),
		"phone":         addr(func(a store.Address) string { return a.Phone }),
		"latitude":      func(*gql.ResolveContext, any) (any, error) { return nil, nil },
		"longitude":     func(*gql.ResolveContext, any) (any, error) { return nil, nil },
		"formatted": func(rc *gql.ResolveContext, p any) (any, error) {
			a := p.(addressValue).a
			var out []string
			if b, _ := rc.Args.Bool("withName"); b && a.Name() != "" {
				out = append(out, a.Name())
			}
			if b, _ := rc.Args.Bool("withCompany"); b && a.Company != "" {
				out = append(out, a.Company)
			}
			for _, s := range []string{a.Address1, a.Address2, strings.TrimSpace(a.City + " " + a.ProvinceCode + " " + a.Zip), a.Country} {
				if s != "" {
					out = append(out, s)
				}
			}
			return out, nil
		},
	})
	register(e, "OrderTransaction", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("OrderTransaction", p.(*store.Transaction).ID), nil
		},
		"kind": func(_ *gql.ResolveContext, p any) (any, error) {
			return strings.ToUpper(p.(*store.Transaction).Kind), nil
		},
		"status": func(_ *gql.ResolveContext, p any) (any, error) {
			return strings.ToUpper(p.(*store.Transaction).Status), nil
		},
		"gateway": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Transaction).Gateway, nil },
		"formattedGateway": func(_ *gql.ResolveContext, p any) (any, error) {
			return formattedGateway(p.(*store.Transaction).Gateway), nil
		},
		"authorizationCode": func(_ *gql.ResolveContext, p any) (any, error) {
			return nonEmpty(p.(*store.Transaction).Authorization), nil
		},
		"amountSet": func(_ *gql.ResolveContext, p any) (any, error) {
			return moneyBag(p.(*store.Transaction).AmountCents), nil
		},
		"createdAt":   func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Transaction).CreatedAt), nil },
		"processedAt": func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Transaction).CreatedAt), nil },
		"test":        func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"receiptJson": func(_ *gql.ResolveContext, p any) (any, error) {
			t := p.(*store.Transaction)
			if t.Authorization == "" {
				return "{}", nil
			}
			b, _ := json.Marshal(map[string]string{"payment_id": t.Authorization})
			return string(b), nil
		},
	})
	register(e, "Customer", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("Customer", p.(*store.Customer).ID), nil
		},
		"legacyResourceId": func(_ *gql.ResolveContext, p any) (any, error) { return legacyID(p.(*store.Customer).ID), nil },
		"email":            func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).Email), nil },
		"firstName":        func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).FirstName), nil },
		"lastName":         func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).LastName), nil },
		"displayName": func(_ *gql.ResolveContext, p any) (any, error) {
			c := p.(*store.Customer)
			return strings.TrimSpace(c.FirstName + " " + c.LastName), nil
		},
		"phone": func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).Phone), nil },
		"state": func(_ *gql.ResolveContext, p any) (any, error) {
			return strings.ToUpper(p.(*store.Customer).State), nil
		},
		"note": func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(p.(*store.Customer).Note), nil },
		"tags": func(_ *gql.ResolveContext, p any) (any, error) {
			if t := p.(*store.Customer).Tags; t != nil {
				return t, nil
			}
			return []string{}, nil
		},
		"verifiedEmail": func(*gql.ResolveContext, any) (any, error) { return true, nil },
		"taxExempt":     func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"createdAt":     func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Customer).CreatedAt), nil },
		"updatedAt":     func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Customer).UpdatedAt), nil },
		"numberOfOrders": func(_ *gql.ResolveContext, p any) (any, error) {
			return strconv.Itoa(p.(*store.Customer).OrdersCount), nil
		},
		"amountSpent": func(rc *gql.ResolveContext, p any) (any, error) {
			return money(rc, p.(*store.Customer).AmountSpentCents), nil
		},
		"defaultAddress": func(_ *gql.ResolveContext, p any) (any, error) {
			c := p.(*store.Customer)
			return addressValue{a: c.Address, id: c.ID + 1}, nil
		},
		"addresses": func(_ *gql.ResolveContext, p any) (any, error) {
			c := p.(*store.Customer)
			return []any{addressValue{a: c.Address, id: c.ID + 1}}, nil
		},
		"orders": func(rc *gql.ResolveContext, p any) (any, error) { return reqOf(rc).orders(rc, p.(*store.Customer).ID) },
	})
	registerCatalog(e)
	registerFulfillment(e)
	registerWebhookObjects(e)
}

func formattedGateway(g string) string {
	switch g {
	case "shopify_payments":
		return "Shopify Payments"
	case "bank_deposit":
		return "Bank Deposit"
	case "paypal":
		return "PayPal Express Checkout"
	}
	return "Manual"
}
