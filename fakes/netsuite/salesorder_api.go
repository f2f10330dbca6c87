package netsuite

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/ledger"
)

// createSalesOrder is POST /salesOrder. A body with an externalId that already exists is
// refused (duplicate_external_id); a body without one always creates a new record, which
// is how real duplicates are born. Every attempt is a ledger effect with CreateAttempt.
func (s *Server) createSalesOrder(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		s.rejectCreate(RecordSalesOrder, nil, e)
		return e
	}
	st := s.settings.Load()
	in, e := decodeSalesOrder(body, st.acceptTax)
	if e == nil {
		in.ReplaceItem, e = replaceItemParam(r)
	}
	if e != nil {
		s.rejectCreate(RecordSalesOrder, body, e)
		return e
	}
	n, e := s.prepareOrder(nil, in, s.clock.Now())
	if e != nil {
		s.rejectCreate(RecordSalesOrder, body, e)
		return e
	}
	s.mu.Lock()
	if in.ExternalID != nil {
		if _, dup := s.st.orders.byEID[*in.ExternalID]; dup {
			s.mu.Unlock()
			e := duplicateExternalID(st, "externalId")
			s.rejectCreate(RecordSalesOrder, body, e)
			return e
		}
	}
	id, events, e := s.insertSalesOrder(n, in)
	s.mu.Unlock()
	return s.answerCreate(w, r, body, id, events, e)
}

// insertSalesOrder resolves and stores o, prepared from in; call with s.mu held.
func (s *Server) insertSalesOrder(o *salesOrder, in *orderInput) (int64, []Event, *apiError) {
	if e := resolveOrder(s.st, o, in); e != nil {
		return 0, nil, e
	}
	now := o.Created
	o.ID = s.st.orders.nextID()
	o.TranID = s.st.nextTranID()
	s.st.orders.insert(o.ID, o.ExternalID, o)
	var changed []stockChange
	if commits(o.Status) {
		changed = s.st.commitLines(o, 1, now, nil)
	}
	if o.Status == StatusPendingFulfillment {
		s.fulfiller.schedule(o.ID)
	}
	s.ledger.Append(ledger.Effect{
		Action: ledger.Created, Record: RecordSalesOrder, ID: itoa(o.ID), ExternalID: o.ExternalID,
		NaturalKey: o.NaturalKey, CreateAttempt: true, Detail: o.detail(),
	})
	return o.ID, s.stockEvents(changed, "salesOrder", now), nil
}

// answerCreate answers a sales order create: 204 with the new record's Location, and its
// stock events published; or, when insertSalesOrder refused it (e), the refusal recorded
// in the ledger and returned.
func (s *Server) answerCreate(w http.ResponseWriter, r *http.Request, body []byte, id int64, events []Event, e *apiError) *apiError {
	if e != nil {
		s.rejectCreate(RecordSalesOrder, body, e)
		return e
	}
	s.publish(events)
	writeCreated(w, recordURL(r, RecordSalesOrder, id))
	return nil
}

// upsertSalesOrder is PUT /salesOrder/eid:X: create if absent, update if present; both
// answer 204 with the record's internal URL in Location, which is how a client learns the
// internal id.
func (s *Server) upsertSalesOrder(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		s.rejectCreate(RecordSalesOrder, nil, e)
		return e
	}
	in, e := decodeSalesOrder(body, s.settings.Load().acceptTax)
	if e == nil {
		in.ReplaceItem, e = replaceItemParam(r)
	}
	if e == nil && in.ExternalID != nil && *in.ExternalID != rid.eid {
		e = invalidContent("externalId", "The externalId in the body ("+*in.ExternalID+") differs from the one in the URL ("+rid.eid+").")
	}
	if e != nil {
		s.rejectCreate(RecordSalesOrder, body, e)
		return e
	}
	eid := rid.eid
	in.ExternalID = &eid
	// The create is prepared before taking the lock; if the record turns out to exist, the
	// preparation (and any error it found) is dropped and the update path runs instead.
	n, prepErr := s.prepareOrder(nil, in, s.clock.Now())
	s.mu.Lock()
	o, exists := s.st.orders.byEID[eid]
	if !exists {
		if prepErr != nil {
			s.mu.Unlock()
			s.rejectCreate(RecordSalesOrder, body, prepErr)
			return prepErr
		}
		id, events, e := s.insertSalesOrder(n, in)
		s.mu.Unlock()
		return s.answerCreate(w, r, body, id, events, e)
	}
	events, e := s.updateSalesOrder(o, in)
	id := o.ID
	s.mu.Unlock()
	if e != nil {
		return e
	}
	s.publish(events)
	writeCreated(w, recordURL(r, RecordSalesOrder, id))
	return nil
}

// replaceItemParam reads ?replace=, NetSuite's comma-separated list of sublists whose
// lines the request replaces instead of merging into. A sales order has one sublist the
// fake models, item; any other name is refused rather than silently merged.
func replaceItemParam(r *http.Request) (bool, *apiError) {
	v, ok := r.URL.Query()["replace"]
	if !ok {
		return false, nil
	}
	item := false
	for _, raw := range v {
		for name := range strings.SplitSeq(raw, ",") {
			switch name = strings.TrimSpace(name); name {
			case "":
			case "item":
				item = true
			default:
				return false, invalidParameter("replace", "Invalid value '"+name+"' for query parameter 'replace': record 'salesOrder' has no sublist '"+name+"'. Sublists: item.")
			}
		}
	}
	return item, nil
}

// patchSalesOrder is PATCH /salesOrder/{id}: the fields sent change, the rest stay; sent
// item lines merge into the sublist, or replace it with ?replace=item (see mergeLines).
func (s *Server) patchSalesOrder(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	in, e := decodeSalesOrder(body, s.settings.Load().acceptTax)
	if e == nil {
		in.ReplaceItem, e = replaceItemParam(r)
	}
	if e != nil {
		s.rejectUpdate(RecordSalesOrder, rid, e)
		return e
	}
	s.mu.Lock()
	o, ok := s.st.findOrder(rid)
	if !ok {
		s.mu.Unlock()
		return notFound()
	}
	events, e := s.updateSalesOrder(o, in)
	id := o.ID
	s.mu.Unlock()
	if e != nil {
		return e
	}
	s.publish(events)
	writeCreated(w, recordURL(r, RecordSalesOrder, id))
	return nil
}

// updateSalesOrder applies in to o; call with s.mu held. Stock commitments follow the
// status and lines; an order that becomes Pending Fulfillment is scheduled for
// fulfilment.
func (s *Server) updateSalesOrder(o *salesOrder, in *orderInput) ([]Event, *apiError) {
	now := s.clock.Now()
	if in.ExternalID != nil && *in.ExternalID != o.ExternalID {
		if _, dup := s.st.orders.byEID[*in.ExternalID]; dup {
			e := duplicateExternalID(s.settings.Load(), "externalId")
			s.rejectUpdate(RecordSalesOrder, recordID{id: o.ID}, e)
			return nil, e
		}
	}
	n, e := s.prepareOrder(o, in, now)
	if e == nil {
		e = resolveOrder(s.st, n, in)
	}
	if e != nil {
		s.rejectUpdate(RecordSalesOrder, recordID{id: o.ID}, e)
		return nil, e
	}
	var changed []stockChange
	if commits(o.Status) {
		changed = s.st.commitLines(o, -1, now, changed)
	}
	if commits(n.Status) {
		changed = s.st.commitLines(n, 1, now, changed)
	}
	if n.ExternalID != o.ExternalID {
		if o.ExternalID != "" {
			delete(s.st.orders.byEID, o.ExternalID)
		}
		s.st.orders.byEID[n.ExternalID] = o
	}
	becameOpen := n.Status == StatusPendingFulfillment && o.Status != StatusPendingFulfillment
	*o = *n
	if becameOpen {
		s.fulfiller.schedule(o.ID)
	}
	s.ledger.Append(ledger.Effect{
		Action: ledger.Updated, Record: RecordSalesOrder, ID: itoa(o.ID), ExternalID: o.ExternalID,
		NaturalKey: o.NaturalKey, Detail: o.detail(),
	})
	reason := "salesOrder"
	if o.Status == StatusCancelled || o.Status == StatusClosed {
		reason = "cancellation"
	}
	return s.stockEvents(changed, reason, now), nil
}

// orderSnapshot is a copy of the sales order rid names, taken under the store's lock.
func (s *Server) orderSnapshot(rid recordID) (salesOrder, refNames, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.findOrder(rid)
	if !ok {
		return salesOrder{}, refNames{}, false
	}
	snap, names := s.st.snapshotOrder(o)
	return snap, names, true
}

// getSalesOrder is GET /salesOrder/{id} and /salesOrder/eid:X.
func (s *Server) getSalesOrder(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	snap, names, ok := s.orderSnapshot(rid)
	if !ok {
		return notFound()
	}
	b, e := salesOrderBody(fakehttp.BaseURL(r), &snap, names, expandSubResources(r))
	if e != nil {
		return e
	}
	writeRecord(w, b)
	return nil
}

// salesOrderSublist is GET /salesOrder/{id}/item.
func (s *Server) salesOrderSublist(w http.ResponseWriter, r *http.Request, rid recordID, name string) *apiError {
	if name != "item" {
		return unknownPath(r.URL.Path)
	}
	snap, _, ok := s.orderSnapshot(rid)
	if !ok {
		return notFound()
	}
	base := fakehttp.BaseURL(r)
	writeJSON(w, http.StatusOK, newSublist(base+recordPrefix+RecordSalesOrder+"/"+itoa(snap.ID)+"/item", orderLineViews(base, &snap)))
	return nil
}

// deleteSalesOrder is DELETE /salesOrder/{id}: the commitment is released; an order with
// fulfillments cannot be deleted.
func (s *Server) deleteSalesOrder(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	s.mu.Lock()
	o, ok := s.st.findOrder(rid)
	if !ok {
		s.mu.Unlock()
		return notFound()
	}
	if len(o.Fulfillments) > 0 {
		s.mu.Unlock()
		return userError("This record cannot be deleted because it has dependent records.")
	}
	now := s.clock.Now()
	var changed []stockChange
	if commits(o.Status) {
		changed = s.st.commitLines(o, -1, now, nil)
	}
	s.st.orders.remove(o.ID, o.ExternalID)
	s.ledger.Append(ledger.Effect{Action: ledger.Deleted, Record: RecordSalesOrder, ID: itoa(o.ID), ExternalID: o.ExternalID, NaturalKey: o.NaturalKey})
	events := s.stockEvents(changed, "cancellation", now)
	s.mu.Unlock()
	s.publish(events)
	writeNoContent(w)
	return nil
}

func (st *store) findOrder(rid recordID) (*salesOrder, bool) {
	if rid.isExternal() {
		o, ok := st.orders.byEID[rid.eid]
		return o, ok
	}
	o, ok := st.orders.byID[rid.id]
	return o, ok
}

// duplicateExternalID is the answer to a create whose externalId exists.
func duplicateExternalID(st *settings, path string) *apiError {
	return &apiError{status: st.dupStatus, detail: ErrorDetail{Detail: "This record already exists.", Code: st.dupCode, Path: path}}
}

// ledgerKeys reads the external id and natural key of a body that could not be used, so
// a refused create attempt still counts against its Shopify order. It is lenient: what
// it cannot read it leaves empty.
func (s *Server) ledgerKeys(body []byte) (eid, natural string) {
	if len(body) == 0 {
		return "", ""
	}
	var m map[string]json.RawMessage
	if json.Unmarshal(body, &m) != nil {
		return "", ""
	}
	eid = fieldKey(m["externalId"])
	natural = eid
	if natural == "" {
		natural = fieldKey(m[s.opts.NaturalKeyField])
	}
	return eid, natural
}

// rejectCreate records a refused create attempt.
func (s *Server) rejectCreate(record string, body []byte, e *apiError) {
	eid, natural := s.ledgerKeys(body)
	if record == RecordCustomer {
		eid, natural = customerLedgerKeys(body)
	}
	s.ledger.Append(ledger.Effect{
		Action: ledger.Rejected, Record: record, ExternalID: eid, NaturalKey: natural,
		CreateAttempt: true, Reason: e.detail.Code,
	})
}

// rejectUpdate records a refused update.
func (s *Server) rejectUpdate(record string, rid recordID, e *apiError) {
	eff := ledger.Effect{Action: ledger.Rejected, Record: record, Reason: e.detail.Code}
	if rid.isExternal() {
		eff.ExternalID = rid.eid
	} else {
		eff.ID = itoa(rid.id)
	}
	s.ledger.Append(eff)
}
