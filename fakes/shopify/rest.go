package shopify

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// REST Admin API (legacy): the request bucket, the call-limit header, wrapped bodies,
// and page_info pagination through the Link header.

const (
	restThrottledBody = `{"errors":"Exceeded 2 calls per second for api client. Reduce request rates to resume uninterrupted service."}`
	restNotFound      = `{"errors":"Not Found"}`
	maxRESTBody       = 1 << 20
	defaultRESTLimit  = 50
	maxRESTLimit      = 250
)

// restError is a REST request refused for bad input: status and the body's errors value.
type restError struct {
	status int
	errors any
}

func (e *restError) Error() string { return http.StatusText(e.status) }

func badParam(name, msg string) *restError {
	return &restError{status: http.StatusBadRequest, errors: map[string]string{name: msg}}
}

// serveREST authenticates, takes one request from the leaky bucket (429 with Retry-After:
// 2.0 when full), sets X-Shopify-Shop-Api-Call-Limit, and serves the route through the
// fault rules.
func (s *Server) serveREST(w http.ResponseWriter, r *http.Request, version, path string) {
	route, id, ok := matchREST(r.Method, path)
	if !ok {
		writeRaw(w, http.StatusNotFound, restNotFound)
		return
	}
	app := s.appOf(r)
	if app == nil {
		writeRaw(w, http.StatusUnauthorized, unauthorizedBody)
		return
	}
	app.restCalls.Add(1)
	d := app.rest.Take()
	w.Header().Set("X-Shopify-Shop-Api-Call-Limit", strconv.Itoa(d.Used)+"/"+strconv.Itoa(d.Capacity))
	if !d.Allowed {
		app.restLimit.Add(1)
		s.http.Throttled("REST_CALL_LIMIT")
		w.Header().Set("Retry-After", "2.0")
		writeRaw(w, http.StatusTooManyRequests, restThrottledBody)
		return
	}
	s.http.Inject(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		status, body, err := route(s, w, r, version, id)
		if err != nil {
			var re *restError
			if !errors.As(err, &re) {
				re = &restError{status: http.StatusInternalServerError, errors: "Internal Server Error"}
			}
			b, _ := json.Marshal(map[string]any{"errors": re.errors})
			writeRaw(w, re.status, string(b))
			return
		}
		w.Header().Set("Content-Type", "application/json; charset=utf-8")
		w.WriteHeader(status)
		_, _ = w.Write(body)
	}))
}

type restRoute func(s *Server, w http.ResponseWriter, r *http.Request, version string, id int64) (int, []byte, error)

// matchREST finds the handler of METHOD path (path is after /admin/api/{version}/).
func matchREST(method, path string) (restRoute, int64, bool) {
	parts := strings.Split(path, "/")
	get := method == http.MethodGet || method == http.MethodHead
	idOf := func(seg string) (int64, bool) {
		n, err := strconv.ParseInt(strings.TrimSuffix(seg, ".json"), 10, 64)
		return n, err == nil && n > 0 && strings.HasSuffix(seg, ".json")
	}
	switch len(parts) {
	case 1:
		switch {
		case get && parts[0] == "orders.json":
			return restOrders, 0, true
		case get && parts[0] == "customers.json":
			return restCustomers, 0, true
		case get && parts[0] == "inventory_levels.json":
			return restInventoryLevels, 0, true
		case get && parts[0] == "locations.json":
			return restLocations, 0, true
		case get && parts[0] == "shop.json":
			return restShop, 0, true
		case get && parts[0] == "products.json":
			return restProducts, 0, true
		case get && parts[0] == "inventory_items.json":
			return restInventoryItems, 0, true
		}
	case 2:
		switch {
		case parts[0] == "inventory_levels" && parts[1] == "set.json" && method == http.MethodPost:
			return restSetInventory, 0, true
		case get && parts[0] == "orders" && parts[1] == "count.json":
			return restOrdersCount, 0, true
		case get && parts[0] == "customers" && parts[1] == "count.json":
			return restCustomersCount, 0, true
		case get && parts[0] == "orders":
			if id, ok := idOf(parts[1]); ok {
				return restOrder, id, true
			}
		case get && parts[0] == "customers":
			if id, ok := idOf(parts[1]); ok {
				return restCustomer, id, true
			}
		case get && parts[0] == "locations":
			if id, ok := idOf(parts[1]); ok {
				return restLocation, id, true
			}
		case get && parts[0] == "products":
			if id, ok := idOf(parts[1]); ok {
				return restProduct, id, true
			}
		case get && parts[0] == "variants":
			if id, ok := idOf(parts[1]); ok {
				return restVariant, id, true
			}
		}
	case 3:
		if get && parts[0] == "orders" {
			id, err := strconv.ParseInt(parts[1], 10, 64)
			if err != nil || id <= 0 {
				return nil, 0, false
			}
			switch parts[2] {
			case "transactions.json":
				return restTransactions, id, true
			case "risks.json":
				return restRisks, id, true
			case "fulfillment_orders.json":
				return restFulfillmentOrders, id, true
			}
		}
		if get && parts[0] == "products" && parts[2] == "variants.json" {
			if id, err := strconv.ParseInt(parts[1], 10, 64); err == nil && id > 0 {
				return restProductVariants, id, true
			}
		}
	}
	return nil, 0, false
}

func wrap(key string, v any) []byte { return marshalNoEscape(map[string]any{key: v}) }

// filterFields keeps only the top-level keys named in fields (comma-separated), in the
// resource's own order.
func filterFields(obj []byte, fields string) []byte {
	if fields == "" {
		return obj
	}
	want := map[string]bool{}
	for _, f := range strings.Split(fields, ",") {
		if f = strings.TrimSpace(f); f != "" {
			want[f] = true
		}
	}
	dec := json.NewDecoder(bytes.NewReader(obj))
	if t, err := dec.Token(); err != nil || t != json.Delim('{') {
		return obj
	}
	out := []byte{'{'}
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return obj
		}
		key, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return obj
		}
		if !want[key] {
			continue
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		kb, _ := json.Marshal(key)
		out = append(out, kb...)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}')
}

func encodeList(key string, items [][]byte) []byte {
	b := []byte(`{"` + key + `":[`)
	for i, it := range items {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, it...)
	}
	return append(b, ']', '}')
}

func marshalNoEscape(v any) []byte {
	b, _ := fakehttp.Marshal(v)
	return b
}

// listParams are the parameters every REST list shares.
type listParams struct {
	limit   int
	fields  string
	query   url.Values // filters (everything but limit, fields, page_info)
	page    *pageInfo  // set when following a Link
	sinceID int64
	order   string // "id", "created_at", "updated_at"
	desc    bool
}

// parseListParams reads limit, fields, page_info, since_id and order. With page_info only
// limit and fields may be given, as on Shopify; the filters come from the token.
func parseListParams(q url.Values, defaultOrder string, defaultDesc bool, orderable []string) (listParams, error) {
	p := listParams{limit: defaultRESTLimit, fields: q.Get("fields"), order: defaultOrder, desc: defaultDesc}
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxRESTLimit {
			return p, badParam("limit", "must be an integer between 1 and 250")
		}
		p.limit = n
	}
	if v := q.Get("page_info"); v != "" {
		for k := range q {
			if k != "page_info" && k != "limit" && k != "fields" {
				return p, badParam("page_info", "cannot be combined with "+k+"; only limit and fields may accompany page_info")
			}
		}
		pi, ok := decodePageInfo(v)
		if !ok {
			return p, badParam("page_info", "Invalid value.")
		}
		p.page = &pi
		q = url.Values{}
		for k, v := range pi.Query {
			q.Set(k, v)
		}
	}
	p.query = url.Values{}
	for k, v := range q {
		if k != "limit" && k != "fields" && k != "page_info" && len(v) > 0 {
			p.query.Set(k, v[0])
		}
	}
	if v := p.query.Get("since_id"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return p, badParam("since_id", "must be a non-negative integer")
		}
		p.sinceID = n
		p.order, p.desc = "id", false
	}
	if v := p.query.Get("order"); v != "" {
		field, dir, _ := strings.Cut(strings.TrimSpace(v), " ")
		ok := false
		for _, o := range orderable {
			ok = ok || o == field
		}
		dir = strings.ToLower(strings.TrimSpace(dir))
		if !ok || (dir != "" && dir != "asc" && dir != "desc") {
			return p, badParam("order", "must be one of "+strings.Join(orderable, ", ")+" followed by asc or desc")
		}
		p.order, p.desc = field, dir == "desc"
	}
	return p, nil
}

func parseIDs(v, name string) ([]int64, error) {
	if v == "" {
		return nil, nil
	}
	var out []int64
	for _, s := range strings.Split(v, ",") {
		n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
		if err != nil || n <= 0 {
			return nil, badParam(name, "must be a comma-separated list of ids")
		}
		out = append(out, n)
	}
	if len(out) > 250 {
		return nil, badParam(name, "at most 250 ids")
	}
	return out, nil
}

func parseTimeParam(q url.Values, name string) (int64, bool, error) {
	v := q.Get(name)
	if v == "" {
		return 0, false, nil
	}
	t, ok := store.ParseTime(v)
	if !ok {
		return 0, false, badParam(name, "must be an ISO 8601 timestamp like 2026-11-27T10:00:00-05:00")
	}
	return t.Unix(), true, nil
}

// timeRange reads NAME_min and NAME_max as an inclusive range.
type timeRange struct {
	min, max       int64
	hasMin, hasMax bool
}

func parseTimeRange(q url.Values, name string) (timeRange, error) {
	var tr timeRange
	var err error
	if tr.min, tr.hasMin, err = parseTimeParam(q, name+"_min"); err != nil {
		return tr, err
	}
	tr.max, tr.hasMax, err = parseTimeParam(q, name+"_max")
	return tr, err
}

func (tr timeRange) holds(t int64) bool {
	return (!tr.hasMin || t >= tr.min) && (!tr.hasMax || t <= tr.max)
}

// pageRequestOf turns list parameters into a store page request.
func (p listParams) pageRequest() store.PageRequest {
	req := store.PageRequest{First: p.limit, Reverse: p.desc}
	if p.page != nil {
		pos := store.Pos{Key: p.page.Key, ID: p.page.ID}
		if p.page.Direction == "next" {
			req.After = &pos
		} else {
			req.First, req.Last, req.Before = 0, p.limit, &pos
		}
	} else if p.sinceID > 0 {
		pos := store.Pos{Key: p.sinceID, ID: p.sinceID}
		req.After = &pos
	}
	return req
}

// linkHeader builds the Link header of a page: previous and next page_info cursors on the
// URL the request came to.
func linkHeader(r *http.Request, p listParams, positions []store.Pos, hasPrev, hasNext bool) string {
	if len(positions) == 0 {
		return ""
	}
	filters := map[string]string{}
	for k := range p.query {
		if k != "since_id" {
			filters[k] = p.query.Get(k)
		}
	}
	if p.sinceID > 0 && p.query.Get("order") == "" {
		filters["order"] = "id asc"
	}
	self := fakehttp.BaseURL(r) + r.URL.Path
	link := func(pi pageInfo, rel string) string {
		v := url.Values{}
		v.Set("limit", strconv.Itoa(p.limit))
		if p.fields != "" {
			v.Set("fields", p.fields)
		}
		v.Set("page_info", pi.encode())
		return "<" + self + "?" + v.Encode() + `>; rel="` + rel + `"`
	}
	var parts []string
	if hasPrev {
		first := positions[0]
		parts = append(parts, link(pageInfo{Query: filters, Direction: "prev", Key: first.Key, ID: first.ID}, "previous"))
	}
	if hasNext {
		last := positions[len(positions)-1]
		parts = append(parts, link(pageInfo{Query: filters, Direction: "next", Key: last.Key, ID: last.ID}, "next"))
	}
	return strings.Join(parts, ", ")
}

// orderFilter reads the REST order filters: ids, status (default open), financial_status,
// fulfillment_status, created_at/updated_at/processed_at _min/_max.
func (s *Server) orderFilter(q url.Values) (func(*store.OrderRow) bool, error) {
	ids, err := parseIDs(q.Get("ids"), "ids")
	if err != nil {
		return nil, err
	}
	status := q.Get("status")
	if status == "" {
		status = "open"
	}
	switch status {
	case "open", "closed", "cancelled", "any":
	default:
		return nil, badParam("status", "must be open, closed, cancelled or any")
	}
	fin := q.Get("financial_status")
	finSet := map[string][]string{
		"": nil, "any": nil, "authorized": {"authorized"}, "pending": {"pending"}, "paid": {"paid"},
		"partially_paid": {"partially_paid"}, "refunded": {"refunded"}, "voided": {"voided"},
		"partially_refunded": {"partially_refunded"}, "unpaid": {"pending", "authorized", "partially_paid"},
	}
	finWant, ok := finSet[fin]
	if !ok {
		return nil, badParam("financial_status", "is not a financial status")
	}
	ful := q.Get("fulfillment_status")
	fulSet := map[string][]string{"": nil, "any": nil, "shipped": {"fulfilled"}, "partial": {"partial"}, "unshipped": {""}, "unfulfilled": {"", "partial"}}
	fulWant, ok := fulSet[ful]
	if !ok {
		return nil, badParam("fulfillment_status", "is not a fulfillment status")
	}
	created, err := parseTimeRange(q, "created_at")
	if err != nil {
		return nil, err
	}
	updated, err := parseTimeRange(q, "updated_at")
	if err != nil {
		return nil, err
	}
	processed, err := parseTimeRange(q, "processed_at")
	if err != nil {
		return nil, err
	}
	in := func(want []string, v string) bool {
		if want == nil {
			return true
		}
		for _, w := range want {
			if w == v {
				return true
			}
		}
		return false
	}
	return func(o *store.OrderRow) bool {
		if len(ids) > 0 {
			found := false
			for _, id := range ids {
				found = found || id == o.ID
			}
			if !found {
				return false
			}
		}
		switch status {
		case "open":
			if o.Closed() {
				return false
			}
		case "closed":
			if !o.Closed() {
				return false
			}
		case "cancelled":
			if !o.Cancelled {
				return false
			}
		}
		return in(finWant, o.Financial) && in(fulWant, o.Fulfillment) && created.holds(o.CreatedAt) &&
			updated.holds(o.UpdatedAt) && processed.holds(o.CreatedAt)
	}, nil
}

func orderSortKey(order string) (store.OrderSort, bool) {
	switch order {
	case "created_at", "processed_at":
		return store.SortByCreatedAt, true
	case "updated_at":
		return store.SortByUpdatedAt, true
	}
	return store.SortByID, false
}

// GET orders.json: newest first by default; with since_id, oldest first from that id.
func restOrders(s *Server, w http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	p, err := parseListParams(r.URL.Query(), "created_at", true, []string{"id", "created_at", "updated_at", "processed_at"})
	if err != nil {
		return 0, nil, err
	}
	filter, err := s.orderFilter(p.query)
	if err != nil {
		return 0, nil, err
	}
	sortKey, _ := orderSortKey(p.order)
	req := p.pageRequest()
	if p.sinceID > 0 && p.page == nil {
		req.After = nil
		inner := filter
		filter = func(o *store.OrderRow) bool { return o.ID > p.sinceID && inner(o) }
	}
	page := s.store.ListOrders(filter, sortKey, req)
	items := make([][]byte, len(page.Orders))
	for i := range page.Orders {
		items[i] = filterFields(marshalNoEscape(s.store.OrderJSON(&page.Orders[i])), p.fields)
	}
	return listResponse(w, r, p, "orders", items, page.Positions, page.HasPrevious, page.HasNext)
}

func listResponse(w http.ResponseWriter, r *http.Request, p listParams, key string, items [][]byte, pos []store.Pos, hasPrev, hasNext bool) (int, []byte, error) {
	if link := linkHeader(r, p, pos, hasPrev, hasNext); link != "" {
		w.Header().Set("Link", link)
	}
	return http.StatusOK, encodeList(key, items), nil
}

func restOrder(s *Server, w http.ResponseWriter, r *http.Request, _ string, id int64) (int, []byte, error) {
	o, ok := s.store.Order(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	b := filterFields(marshalNoEscape(s.store.OrderJSON(&o)), r.URL.Query().Get("fields"))
	return http.StatusOK, append(append([]byte(`{"order":`), b...), '}'), nil
}

func restOrdersCount(s *Server, w http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	filter, err := s.orderFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, wrap("count", s.store.CountOrders(filter)), nil
}

func restTransactions(s *Server, w http.ResponseWriter, _ *http.Request, _ string, id int64) (int, []byte, error) {
	o, ok := s.store.Order(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	out := make([]store.TransactionJSON, len(o.Transactions))
	for i := range o.Transactions {
		out[i] = s.store.TransactionJSON(&o.Transactions[i])
	}
	return http.StatusOK, wrap("transactions", out), nil
}

func restRisks(s *Server, w http.ResponseWriter, _ *http.Request, _ string, id int64) (int, []byte, error) {
	o, ok := s.store.Order(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	score := map[string]string{"LOW": "0.0", "MEDIUM": "0.5", "HIGH": "1.0"}[o.Risk.Level]
	risk := map[string]any{
		"id": o.ID + 3, "order_id": o.ID, "checkout_id": nil, "source": "External", "score": score,
		"recommendation": strings.ToLower(o.Risk.Recommendation), "display": true, "cause_cancel": o.Risk.Level == "HIGH",
		"message": "Risk level " + strings.ToLower(o.Risk.Level), "merchant_message": "Risk level " + strings.ToLower(o.Risk.Level),
	}
	return http.StatusOK, wrap("risks", []any{risk}), nil
}

// GET customers.json: oldest first by id; since_id, ids, created_at/updated_at ranges.
func restCustomers(s *Server, w http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	p, err := parseListParams(r.URL.Query(), "id", false, []string{"id", "created_at", "updated_at"})
	if err != nil {
		return 0, nil, err
	}
	filter, err := customerFilter(p.query)
	if err != nil {
		return 0, nil, err
	}
	sortKey, _ := orderSortKey(p.order)
	req := p.pageRequest()
	if p.sinceID > 0 && p.page == nil {
		req.After = nil
		inner := filter
		filter = func(c *store.CustomerRow) bool { return c.ID > p.sinceID && inner(c) }
	}
	page := s.store.ListCustomers(filter, sortKey, req)
	items := make([][]byte, len(page.Customers))
	for i := range page.Customers {
		items[i] = filterFields(marshalNoEscape(s.store.CustomerJSON(&page.Customers[i])), p.fields)
	}
	return listResponse(w, r, p, "customers", items, page.Positions, page.HasPrevious, page.HasNext)
}

func customerFilter(q url.Values) (func(*store.CustomerRow) bool, error) {
	ids, err := parseIDs(q.Get("ids"), "ids")
	if err != nil {
		return nil, err
	}
	created, err := parseTimeRange(q, "created_at")
	if err != nil {
		return nil, err
	}
	updated, err := parseTimeRange(q, "updated_at")
	if err != nil {
		return nil, err
	}
	return func(c *store.CustomerRow) bool {
		if len(ids) > 0 {
			found := false
			for _, id := range ids {
				found = found || id == c.ID
			}
			if !found {
				return false
			}
		}
		return created.holds(c.CreatedAt) && updated.holds(c.UpdatedAt)
	}, nil
}

func restCustomer(s *Server, w http.ResponseWriter, r *http.Request, _ string, id int64) (int, []byte, error) {
	c, ok := s.store.Customer(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	b := filterFields(marshalNoEscape(s.store.CustomerJSON(&c)), r.URL.Query().Get("fields"))
	return http.StatusOK, append(append([]byte(`{"customer":`), b...), '}'), nil
}

func restCustomersCount(s *Server, w http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	filter, err := customerFilter(r.URL.Query())
	if err != nil {
		return 0, nil, err
	}
	return http.StatusOK, wrap("count", s.store.CountCustomers(filter)), nil
}

func restLocations(s *Server, w http.ResponseWriter, _ *http.Request, _ string, _ int64) (int, []byte, error) {
	locs := s.store.Locations()
	out := make([]store.LocationJSON, len(locs))
	for i := range locs {
		out[i] = s.store.LocationJSON(&locs[i])
	}
	return http.StatusOK, wrap("locations", out), nil
}

func restLocation(s *Server, w http.ResponseWriter, _ *http.Request, _ string, id int64) (int, []byte, error) {
	l, ok := s.store.Location(id)
	if !ok {
		return 0, nil, &restError{status: http.StatusNotFound, errors: "Not Found"}
	}
	return http.StatusOK, wrap("location", s.store.LocationJSON(&l)), nil
}

// GET inventory_levels.json: inventory_item_ids and/or location_ids (one is required),
// updated_at_min, limit, page_info. Levels are ordered by inventory item, then location.
func restInventoryLevels(s *Server, w http.ResponseWriter, r *http.Request, _ string, _ int64) (int, []byte, error) {
	p, err := parseListParams(r.URL.Query(), "id", false, []string{"id"})
	if err != nil {
		return 0, nil, err
	}
	items, err := parseIDs(p.query.Get("inventory_item_ids"), "inventory_item_ids")
	if err != nil {
		return 0, nil, err
	}
	locs, err := parseIDs(p.query.Get("location_ids"), "location_ids")
	if err != nil {
		return 0, nil, err
	}
	if len(items) == 0 && len(locs) == 0 {
		return 0, nil, &restError{status: http.StatusUnprocessableEntity, errors: "inventory_item_ids or location_ids must be present"}
	}
	minUpdated, hasMin, err := parseTimeParam(p.query, "updated_at_min")
	if err != nil {
		return 0, nil, err
	}
	var levels []store.InventoryLevel
	addItem := func(v store.Variant) {
		for _, l := range v.Levels {
			if len(locs) > 0 && !containsID(locs, l.LocationID) {
				continue
			}
			if hasMin && l.UpdatedAt.Unix() < minUpdated {
				continue
			}
			levels = append(levels, l)
		}
	}
	if len(items) > 0 {
		sort.Slice(items, func(i, j int) bool { return items[i] < items[j] })
		for _, id := range items {
			if v, ok := s.store.VariantByInventoryItem(id); ok {
				addItem(v)
			}
		}
	} else {
		for i := 0; i < s.store.VariantCount(); i++ {
			v, _ := s.store.VariantAt(i)
			addItem(v)
		}
	}
	// A level's position is (inventory item, location): unique and in listing order.
	nl := int64(len(s.store.Locations()))
	posOf := func(l store.InventoryLevel) store.Pos {
		li, _ := locationOrdinal(s, l.LocationID)
		k := l.InventoryItemID*nl + li
		return store.Pos{Key: k, ID: k}
	}
	req := p.pageRequest()
	page := store.Paginate(len(levels), func(i int) (store.Pos, bool) { return posOf(levels[i]), true }, req)
	out := make([][]byte, len(page.Items))
	for k, i := range page.Items {
		out[k] = filterFields(marshalNoEscape(s.store.InventoryLevelJSON(&levels[i])), p.fields)
	}
	return listResponse(w, r, p, "inventory_levels", out, page.Positions, page.HasPrevious, page.HasNext)
}

func locationOrdinal(s *Server, id int64) (int64, bool) {
	l, ok := s.store.Location(id)
	return int64(l.Index), ok
}

func containsID(ids []int64, id int64) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

// setInventoryBody is the body of POST inventory_levels/set.json.
type setInventoryBody struct {
	LocationID            *int64 `json:"location_id"`
	InventoryItemID       *int64 `json:"inventory_item_id"`
	Available             *int64 `json:"available"`
	DisconnectIfNecessary bool   `json:"disconnect_if_necessary"`
}

// parseSetInventory reads and checks a set.json body.
func parseSetInventory(body []byte) (setInventoryBody, error) {
	var b setInventoryBody
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.UseNumber()
	if err := dec.Decode(&b); err != nil {
		return b, &restError{status: http.StatusBadRequest, errors: "Bad Request: the body is not a JSON object of location_id, inventory_item_id and available"}
	}
	missing := map[string][]string{}
	if b.LocationID == nil {
		missing["location_id"] = []string{"is required"}
	}
	if b.InventoryItemID == nil {
		missing["inventory_item_id"] = []string{"is required"}
	}
	if b.Available == nil {
		missing["available"] = []string{"is required"}
	} else if *b.Available > store.MaxQuantity || *b.Available < -store.MaxQuantity {
		missing["available"] = []string{"must be between -1000000000 and 1000000000"}
	}
	if len(missing) > 0 {
		return b, &restError{status: http.StatusUnprocessableEntity, errors: missing}
	}
	return b, nil
}

// POST inventory_levels/set.json sets available at a location (not idempotent-keyed; a
// retried set is harmless because it is absolute).
func restSetInventory(s *Server, w http.ResponseWriter, r *http.Request, version string, _ int64) (int, []byte, error) {
	raw, err := io.ReadAll(io.LimitReader(r.Body, maxRESTBody+1))
	if err != nil || len(raw) > maxRESTBody {
		return 0, nil, &restError{status: http.StatusRequestEntityTooLarge, errors: "Request Entity Too Large"}
	}
	b, err := parseSetInventory(raw)
	if err != nil {
		return 0, nil, err
	}
	req := store.QuantityRequest{Name: "available", Set: true, Reason: "correction", Changes: []store.QuantityChange{
		{InventoryItemID: *b.InventoryItemID, LocationID: *b.LocationID, Quantity: int(*b.Available)},
	}}
	_, problems, _, err := s.store.ChangeQuantities(req)
	if err != nil {
		return 0, nil, err
	}
	info := map[string]any{"api": "rest", "api_version": version, "inventory_item_id": *b.InventoryItemID, "location_id": *b.LocationID, "available": *b.Available}
	if len(problems) > 0 {
		s.ledger.Append(ledger.Effect{Action: ledger.Rejected, Record: recordInventory, Reason: problems[0].Code, Detail: detail(info)})
		field := "inventory_item_id"
		if problems[0].Code == "INVALID_LOCATION" {
			field = "location_id"
		}
		return 0, nil, &restError{status: http.StatusUnprocessableEntity, errors: map[string][]string{field: {"not found"}}}
	}
	l, _ := s.store.InventoryLevel(*b.InventoryItemID, *b.LocationID)
	s.ledger.Append(ledger.Effect{Action: "set", Record: recordInventory, ID: store.InventoryLevelGID(l.LocationID, l.InventoryItemID), Detail: detail(info)})
	return http.StatusOK, wrap("inventory_level", s.store.InventoryLevelJSON(&l)), nil
}
