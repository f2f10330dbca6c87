package shopify

import (
	"strconv"
	"time"

	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// gqlRequest is the request-scoped data every resolver sees.
type gqlRequest struct {
	s   *Server
	app *appState
	// bulk: a bulk query's execution, whose connections return every node.
	bulk bool
	// base is the scheme and host the request came to (bulk result URLs).
	base    string
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
	case *bulkView:
		return "BulkOperation"
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
		"inventoryItems":       func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).inventoryItems(rc) },
		"bulkOperation": func(rc *gql.ResolveContext, _ any) (any, error) {
			id, _ := rc.Args.String("id")
			return reqOf(rc).bulkView(id), nil
		},
		"currentBulkOperation": func(rc *gql.ResolveContext, _ any) (any, error) {
			r := reqOf(rc)
			if t, _ := rc.Args.String("type"); t == "MUTATION" {
				return nil, nil // bulk mutations are not modelled
			}
			b := r.s.bulk.current(r.app)
			if b == nil {
				return nil, nil
			}
			v := b.view(r.s.opts.Clock.Now())
			return &v, nil
		},
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
	case "BulkOperation":
		if v := r.bulkView(gid); v != nil {
			return v
		}
	}
	return nil
}

// bulkView finds one of the app's bulk operations by id; another app's is not found.
func (r *gqlRequest) bulkView(gid string) *bulkView {
	n, ok := bulkFromGID(gid)
	if !ok {
		return nil
	}
	b := r.s.bulk.get(n)
	if b == nil || b.app != r.app {
		return nil
	}
	v := b.view(r.s.opts.Clock.Now())
	return &v
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
	if r, ok := rc.Data.(*gqlRequest); ok && r.bulk {
		// A bulk query exports every node: first, last and cursors are not needed, and
		// ignored if given.
		req.First = 1 << 30
		req.Reverse, _ = rc.Args.Bool("reverse")
		return req, nil
	}
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

// registerCount registers Count, the answer of the ...Count root fields.
func registerCount(e *gql.Executor) {
	register(e, "Count", typeResolvers{
		"count": func(_ *gql.ResolveContext, p any) (any, error) { return p.(countValue).n, nil },
		"precision": func(_ *gql.ResolveContext, p any) (any, error) {
			if p.(countValue).exact {
				return "EXACT", nil
			}
			return "AT_LEAST", nil
		},
	})
}

// registerObjects registers the resolvers of every object type, one family at a time.
func registerObjects(e *gql.Executor) {
	registerShop(e)
	registerCount(e)
	registerMoney(e)
	registerOrders(e)
	registerOrderRisk(e)
	registerLineItems(e)
	registerAddresses(e)
	registerTransactions(e)
	registerCustomers(e)
	registerCatalog(e)
	registerInventoryAdjustments(e)
	registerFulfillment(e)
	registerWebhookObjects(e)
	registerBulk(e)
}
