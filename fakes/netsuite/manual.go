package netsuite

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/peakready/peakready/fakes/ledger"
)

// Changes a person makes in the ERP by hand, outside any integration: what an audit of
// the ERP against Shopify must find. They bypass governance and validation and are
// recorded in the ledger with the detail {"source":"manual"}.

// ErrNoSalesOrder is returned for an internal id no sales order has.
var ErrNoSalesOrder = errors.New("netsuite: no such sales order")

// DeleteSalesOrder deletes the sales order with internal id id, releasing its stock
// commitment (its fulfillments, if any, stay), and returns what it was.
func (s *Server) DeleteSalesOrder(id int64) (SalesOrderRecord, error) {
	s.mu.Lock()
	o, ok := s.st.orders.byID[id]
	if !ok {
		s.mu.Unlock()
		return SalesOrderRecord{}, fmt.Errorf("%w: %d", ErrNoSalesOrder, id)
	}
	now := s.clock.Now()
	var changed []stockChange
	if commits(o.Status) {
		changed = s.st.commitLines(o, -1, now, nil)
	}
	rec := recordOf(o)
	s.st.orders.remove(o.ID, o.ExternalID)
	s.ledger.Append(ledger.Effect{Action: ledger.Deleted, Record: RecordSalesOrder, ID: itoa(o.ID), ExternalID: o.ExternalID, NaturalKey: o.NaturalKey, Detail: manualDetail})
	events := s.stockEvents(changed, "cancellation", now)
	s.mu.Unlock()
	s.publish(events)
	return rec, nil
}

// SetSalesOrderTotal overwrites the total of the sales order with internal id id (a
// manual correction: its lines stay as they are) and returns the changed record.
func (s *Server) SetSalesOrderTotal(id int64, cents int64) (SalesOrderRecord, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	o, ok := s.st.orders.byID[id]
	if !ok {
		return SalesOrderRecord{}, fmt.Errorf("%w: %d", ErrNoSalesOrder, id)
	}
	o.TotalCents = cents
	o.Modified = s.clock.Now()
	s.ledger.Append(ledger.Effect{Action: ledger.Updated, Record: RecordSalesOrder, ID: itoa(o.ID), ExternalID: o.ExternalID, NaturalKey: o.NaturalKey, Detail: manualDetail})
	return recordOf(o), nil
}

// ManualSalesOrder is a sales order keyed in by hand: no lines, a total.
type ManualSalesOrder struct {
	ExternalID string // may be empty
	TranDate   string // YYYY-MM-DD
	TotalCents int64
}

// AddSalesOrder books a sales order no integration sent (pending fulfillment, on the
// web-store customer) and returns it.
func (s *Server) AddSalesOrder(m ManualSalesOrder) (SalesOrderRecord, error) {
	if _, err := parseDay(m.TranDate); err != nil {
		return SalesOrderRecord{}, fmt.Errorf("netsuite: manual sales order: tranDate %q: %w", m.TranDate, err)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, dup := s.st.orders.byEID[m.ExternalID]; dup && m.ExternalID != "" {
		return SalesOrderRecord{}, fmt.Errorf("netsuite: manual sales order: external id %q is taken", m.ExternalID)
	}
	now := s.clock.Now()
	o := &salesOrder{ID: s.st.orders.nextID(), TranID: s.st.nextTranID(), ExternalID: m.ExternalID, NaturalKey: m.ExternalID,
		CustomerID: defaultCustomerID, TranDate: m.TranDate, Status: StatusPendingFulfillment, SubtotalCents: m.TotalCents,
		TotalCents: m.TotalCents, Custom: map[string]json.RawMessage{}, Created: now, Modified: now}
	s.st.orders.insert(o.ID, o.ExternalID, o)
	s.ledger.Append(ledger.Effect{Action: ledger.Created, Record: RecordSalesOrder, ID: itoa(o.ID), ExternalID: o.ExternalID, NaturalKey: o.NaturalKey, Detail: manualDetail})
	return recordOf(o), nil
}

// manualDetail marks the ledger effects of changes made by hand.
var manualDetail = json.RawMessage(`{"source":"manual"}`)
