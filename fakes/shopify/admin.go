package shopify

import (
	"bytes"
	"errors"
	"fmt"
	"net/http"
	"strconv"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// The store's admin routes under /_fake/: merchant actions (the load a scenario
// generates) and the ground truth a checker reads. They never count against limits and
// are not recorded in the ledger, which is for what API clients did.

const maxAdminBody = 8 << 20

// Bounds of the admin listings.
const (
	defaultTruthLimit = 100
	maxTruthLimit     = 10_000
	defaultEventLimit = 1_000
	maxEventLimit     = 100_000
	// listOrderIDs is the largest generated batch whose ids are listed in the answer.
	listOrderIDs = 1_000
)

func (s *Server) routeAdmin() {
	h := s.http.HandleAdmin
	h("POST /_fake/orders", http.HandlerFunc(s.adminCreateOrders))
	h("GET /_fake/orders", http.HandlerFunc(s.adminOrders))
	h("GET /_fake/orders/{id}", http.HandlerFunc(s.adminOrder))
	h("POST /_fake/orders/{id}/pay", http.HandlerFunc(s.adminPay))
	h("POST /_fake/orders/{id}/cancel", http.HandlerFunc(s.adminCancel))
	h("POST /_fake/orders/{id}/edit", http.HandlerFunc(s.adminEdit))
	h("POST /_fake/orders/{id}/tags", http.HandlerFunc(s.adminTags))
	h("POST /_fake/customers/{id}", http.HandlerFunc(s.adminUpdateCustomer))
	h("GET /_fake/inventory", http.HandlerFunc(s.adminStock))
	h("POST /_fake/inventory", http.HandlerFunc(s.adminInventory))
	h("GET /_fake/events", http.HandlerFunc(s.adminEvents))
	h("GET /_fake/subscriptions", http.HandlerFunc(s.adminSubscriptions))
	h("GET /_fake/bulk", http.HandlerFunc(s.adminBulkOps))
	h("POST /_fake/bulk/fail", http.HandlerFunc(s.adminBulkFail))
	h("GET /_fake/bulk/{file}", http.HandlerFunc(s.adminBulkFile))
}

func readAdminBody(w http.ResponseWriter, r *http.Request, dst any, optional bool) bool {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return false
	}
	if optional && len(bytes.TrimSpace(body)) == 0 {
		return true
	}
	if err := fakehttp.DecodeStrict(body, dst, "JSON object"); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "body: "+err.Error())
		return false
	}
	return true
}

// writeStoreError maps a store error: unknown resource 404, invalid input 422 (with the
// field), a cancelled order 409.
func writeStoreError(w http.ResponseWriter, err error) {
	var ie *store.InputError
	switch {
	case errors.As(err, &ie) && errors.Is(err, store.ErrNotFound):
		fakehttp.WriteJSON(w, http.StatusNotFound, map[string]any{"error": ie.Message, "field": ie.Field})
	case errors.As(err, &ie):
		fakehttp.WriteJSON(w, http.StatusUnprocessableEntity, map[string]any{"error": ie.Message, "field": ie.Field})
	case errors.Is(err, store.ErrOrderClosed):
		fakehttp.AdminError(w, http.StatusConflict, err.Error())
	default:
		fakehttp.AdminError(w, http.StatusInternalServerError, err.Error())
	}
}

// createOrdersBody is POST /_fake/orders: either count (with optional mix overrides) or
// one explicit order.
type createOrdersBody struct {
	Count              *int              `json:"count"`
	ReturningShare     *float64          `json:"returning_share"`
	HighRiskShare      *float64          `json:"high_risk_share"`
	MediumRiskShare    *float64          `json:"medium_risk_share"`
	PendingShare       *float64          `json:"pending_share"`
	DiscountShare      *float64          `json:"discount_share"`
	InternationalShare *float64          `json:"international_share"`
	LineItems          *store.LineCounts `json:"line_items"`
	Order              *store.OrderSpec  `json:"order"`
}

// mix merges the body's overrides onto base.
func (b createOrdersBody) mix(base store.Mix) store.Mix {
	set := func(dst *float64, v *float64) {
		if v != nil {
			*dst = *v
		}
	}
	set(&base.ReturningShare, b.ReturningShare)
	set(&base.HighRiskShare, b.HighRiskShare)
	set(&base.MediumRiskShare, b.MediumRiskShare)
	set(&base.PendingShare, b.PendingShare)
	set(&base.DiscountShare, b.DiscountShare)
	set(&base.InternationalShare, b.InternationalShare)
	if b.LineItems != nil {
		base.LineItems = *b.LineItems
	}
	return base
}

// parseCreateOrders reads and checks a POST /_fake/orders body.
func parseCreateOrders(body []byte) (createOrdersBody, error) {
	var b createOrdersBody
	if err := fakehttp.DecodeStrict(body, &b, "JSON object"); err != nil {
		return b, err
	}
	switch {
	case b.Count == nil && b.Order == nil:
		return b, errors.New(`give "count" (generated orders) or "order" (one explicit order)`)
	case b.Count != nil && b.Order != nil:
		return b, errors.New(`give either "count" or "order", not both`)
	case b.Count != nil && (*b.Count < 1 || *b.Count > 1_000_000):
		return b, fmt.Errorf("count %d must be between 1 and 1000000", *b.Count)
	}
	return b, nil
}

func (s *Server) adminCreateOrders(w http.ResponseWriter, r *http.Request) {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return
	}
	b, err := parseCreateOrders(body)
	if err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	if b.Order != nil {
		ch, err := s.store.CreateOrder(*b.Order)
		if err != nil {
			writeStoreError(w, err)
			return
		}
		fakehttp.WriteJSON(w, http.StatusCreated, ch)
		return
	}
	mix := b.mix(s.store.Mix())
	if err := mix.Validate(); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	batch, err := s.store.GenerateOrders(*b.Count, &mix)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	out := map[string]any{
		"count": len(batch.Orders), "new_customers": batch.NewCustomers,
		"first_event_seq": batch.FirstEventSeq, "last_event_seq": batch.LastEventSeq,
	}
	if len(batch.Orders) > 0 {
		out["first_id"], out["last_id"] = batch.Orders[0], batch.Orders[len(batch.Orders)-1]
	}
	if len(batch.Orders) <= listOrderIDs {
		out["orders"] = batch.Orders
	}
	s.log.Info("orders generated", "count", len(batch.Orders))
	fakehttp.WriteJSON(w, http.StatusCreated, out)
}

func pathID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		fakehttp.AdminError(w, http.StatusBadRequest, "id "+strconv.Quote(r.PathValue("id"))+" is not a numeric id")
		return 0, false
	}
	return id, true
}

// adminOrders is the ground truth: orders with id > since_id, oldest first, each with its
// latest state and every version.
func (s *Server) adminOrders(w http.ResponseWriter, r *http.Request) {
	since, ok := fakehttp.QueryInt(w, r, "since_id", 0, 0)
	if !ok {
		return
	}
	limit, ok := fakehttp.QueryInt(w, r, "limit", defaultTruthLimit, maxTruthLimit)
	if !ok {
		return
	}
	if limit == 0 {
		limit = defaultTruthLimit
	}
	orders := s.store.Orders(since, int(limit))
	out := map[string]any{"orders": orders, "total": s.store.OrderCount()}
	if len(orders) > 0 {
		out["next_since_id"] = orders[len(orders)-1].ID
	}
	fakehttp.WriteJSON(w, http.StatusOK, out)
}

// adminOrder is one order's truth plus its current REST payload.
func (s *Server) adminOrder(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	t, found := s.store.OrderTruth(id)
	if !found {
		fakehttp.AdminError(w, http.StatusNotFound, "order "+strconv.FormatInt(id, 10)+" not found")
		return
	}
	o, _ := s.store.Order(id)
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"truth": t, "payload": s.store.OrderJSON(&o)})
}

func (s *Server) adminPay(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	ch, err := s.store.PayOrder(id)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	fakehttp.WriteJSON(w, http.StatusOK, ch)
}

type cancelBody struct {
	Reason  string `json:"reason"`
	Restock *bool  `json:"restock"`
}

func (s *Server) adminCancel(w http.ResponseWriter, r *http.Request) {
	adminChange(w, r, true, func(id int64, b cancelBody) (store.Change, error) {
		return s.store.CancelOrder(id, b.Reason, b.Restock == nil || *b.Restock)
	})
}

func (s *Server) adminEdit(w http.ResponseWriter, r *http.Request) {
	adminChange(w, r, false, s.store.EditOrder)
}

type tagsBody struct {
	Tags   []string `json:"tags"`
	Add    []string `json:"add"`
	Remove []string `json:"remove"`
}

func (s *Server) adminTags(w http.ResponseWriter, r *http.Request) {
	adminChange(w, r, false, func(id int64, b tagsBody) (store.Change, error) {
		return s.store.TagOrder(id, append(b.Tags, b.Add...), b.Remove)
	})
}

func (s *Server) adminUpdateCustomer(w http.ResponseWriter, r *http.Request) {
	adminChange(w, r, false, s.store.UpdateCustomer)
}

// adminChange serves an admin POST that changes one record: the id from the path, a JSON
// body B (optional: an empty body is B's zero value), and the store's change as the
// answer, or its error.
func adminChange[B any](w http.ResponseWriter, r *http.Request, optional bool, change func(id int64, body B) (store.Change, error)) {
	id, ok := pathID(w, r)
	if !ok {
		return
	}
	var b B
	if !readAdminBody(w, r, &b, optional) {
		return
	}
	ch, err := change(id, b)
	if err != nil {
		writeStoreError(w, err)
		return
	}
	fakehttp.WriteJSON(w, http.StatusOK, ch)
}

// inventoryBody is POST /_fake/inventory: set or adjust one SKU's quantity at a location
// (default: the first location; name default available).
type inventoryBody struct {
	SKU        string `json:"sku"`
	LocationID int64  `json:"location_id"`
	Name       string `json:"name"`
	Set        *int   `json:"set"`
	Adjust     *int   `json:"adjust"`
}

func parseInventoryBody(body []byte) (inventoryBody, error) {
	var b inventoryBody
	if err := fakehttp.DecodeStrict(body, &b, "JSON object"); err != nil {
		return b, err
	}
	switch {
	case b.SKU == "":
		return b, errors.New(`"sku" is required`)
	case (b.Set == nil) == (b.Adjust == nil):
		return b, errors.New(`give exactly one of "set" and "adjust"`)
	}
	return b, nil
}

func (s *Server) adminInventory(w http.ResponseWriter, r *http.Request) {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return
	}
	b, err := parseInventoryBody(body)
	if err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "body: "+err.Error())
		return
	}
	loc := b.LocationID
	if loc == 0 {
		loc = s.store.Locations()[0].ID
	}
	var ch store.Change
	if b.Set != nil {
		ch, err = s.store.SetInventory(b.SKU, loc, b.Name, *b.Set)
	} else {
		ch, err = s.store.AdjustInventory(b.SKU, loc, b.Name, *b.Adjust)
	}
	if err != nil {
		writeStoreError(w, err)
		return
	}
	fakehttp.WriteJSON(w, http.StatusOK, ch)
}

func (s *Server) adminStock(w http.ResponseWriter, _ *http.Request) {
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"levels": s.store.Stock()})
}

// adminEvents lists the events the store produced with seq > since, oldest first.
func (s *Server) adminEvents(w http.ResponseWriter, r *http.Request) {
	since, limit, ok := fakehttp.QueryPage(w, r, defaultEventLimit, maxEventLimit)
	if !ok {
		return
	}
	if limit == 0 {
		limit = defaultEventLimit
	}
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"events": s.store.Events(since, int(limit)), "total": s.store.EventCount()})
}

func (s *Server) adminSubscriptions(w http.ResponseWriter, _ *http.Request) {
	subs := s.registry.Subscriptions()
	if subs == nil {
		subs = []webhooks.Subscription{}
	}
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"subscriptions": subs})
}
