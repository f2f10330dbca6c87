package netsuite

import (
	"errors"
	"net/http"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/fakehttp"
)

// maxAdminBody bounds admin request bodies (a catalog can be large).
const maxAdminBody = 64 << 20

// routeAdmin adds the NetSuite admin routes under /_fake/. They never pass through
// authentication, limits or faults.
func (s *Server) routeAdmin() {
	s.fake.HandleAdmin("POST /_fake/inventory", http.HandlerFunc(s.serveAdjustInventory))
	s.fake.HandleAdmin("GET /_fake/catalog", http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		fakehttp.WriteJSON(w, http.StatusOK, s.Catalog())
	}))
	s.fake.HandleAdmin("PUT /_fake/catalog", http.HandlerFunc(s.serveReplaceCatalog))
	s.fake.HandleAdmin("POST /_fake/fulfill/{salesOrderId}", http.HandlerFunc(s.serveFulfill))
}

// decodeAdmin reads an admin request's JSON body into dst strictly; on error it answers
// and returns false.
func decodeAdmin(w http.ResponseWriter, r *http.Request, dst any) bool {
	body, ok := fakehttp.ReadAdminBody(w, r, maxAdminBody)
	if !ok {
		return false
	}
	if err := fakehttp.DecodeStrict(body, dst, "object"); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "invalid JSON body: "+err.Error())
		return false
	}
	return true
}

// serveAdjustInventory is POST /_fake/inventory {"sku","location","delta"|"set"}.
func (s *Server) serveAdjustInventory(w http.ResponseWriter, r *http.Request) {
	var adj InventoryAdjustment
	if !decodeAdmin(w, r, &adj) {
		return
	}
	level, err := s.AdjustInventory(adj)
	switch {
	case errors.Is(err, ErrUnknownSKU):
		fakehttp.AdminError(w, http.StatusNotFound, err.Error())
	case err != nil:
		fakehttp.AdminError(w, http.StatusBadRequest, err.Error())
	default:
		s.log.Info("inventory adjusted", "platform", "netsuite", "sku", level.SKU, "location", level.Location, "on_hand", level.OnHand)
		fakehttp.WriteJSON(w, http.StatusOK, level)
	}
}

// serveReplaceCatalog is PUT /_fake/catalog with a catalog.Catalog.
func (s *Server) serveReplaceCatalog(w http.ResponseWriter, r *http.Request) {
	var cat catalog.Catalog
	if !decodeAdmin(w, r, &cat) {
		return
	}
	if err := s.ReplaceCatalog(cat); err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, "catalog: "+err.Error())
		return
	}
	s.log.Info("catalog replaced", "platform", "netsuite", "items", len(cat.Items), "locations", len(cat.Locations))
	fakehttp.WriteJSON(w, http.StatusOK, map[string]int{"items": len(cat.Items), "locations": len(cat.Locations)})
}

// serveFulfill is POST /_fake/fulfill/{salesOrderId}: fulfil now, whatever fulfill_after
// says. The id is an internal id or eid:EXTERNAL_ID.
func (s *Server) serveFulfill(w http.ResponseWriter, r *http.Request) {
	rid, e := parseRecordID(r.PathValue("salesOrderId"))
	if e != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, e.detail.Detail)
		return
	}
	id := rid.id
	if rid.isExternal() {
		s.mu.Lock()
		o, ok := s.st.orders.byEID[rid.eid]
		if ok {
			id = o.ID
		}
		s.mu.Unlock()
		if !ok {
			fakehttp.AdminError(w, http.StatusNotFound, ErrNoSuchOrder.Error()+" "+rid.String())
			return
		}
	}
	created, err := s.Fulfill(id)
	switch {
	case errors.Is(err, ErrNoSuchOrder):
		fakehttp.AdminError(w, http.StatusNotFound, err.Error())
	case err != nil:
		fakehttp.AdminError(w, http.StatusConflict, err.Error())
	default:
		fakehttp.WriteJSON(w, http.StatusOK, created)
	}
}
