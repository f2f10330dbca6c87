package store

import (
	"fmt"
	"strconv"
	"time"
)

// QuantityNames are the inventory states a quantity query may name.
var QuantityNames = []string{"available", "on_hand", "committed", "incoming", "reserved", "damaged", "safety_stock", "quality_control"}

// MaxQuantity bounds a quantity or a delta, as Shopify does (|q| <= 1,000,000,000).
const MaxQuantity = 1_000_000_000

// QuantityChange is one line of an inventory set or adjustment.
type QuantityChange struct {
	InventoryItemID int64
	LocationID      int64
	// Quantity is the new absolute quantity (set) ; Delta the change (adjust).
	Quantity int
	Delta    int
	// Compare, when set, makes the change a compare-and-swap: the stored quantity of the
	// named state must equal it, or nothing in the request is written.
	Compare *int
	// LedgerDocumentURI is recorded with the change.
	LedgerDocumentURI string
}

// QuantityRequest sets or adjusts one named quantity at several levels, all or nothing.
type QuantityRequest struct {
	// Name is available, on_hand, or for adjustments incoming, reserved, damaged,
	// safety_stock or quality_control.
	Name string
	// Set makes the changes absolute (Quantity); otherwise they are deltas.
	Set                  bool
	Reason               string
	ReferenceDocumentURI string
	Changes              []QuantityChange
}

// AdjustmentGroup is the record of one applied inventory request.
type AdjustmentGroup struct {
	ID                   int64
	CreatedAt            time.Time
	Reason               string
	ReferenceDocumentURI string
	Changes              []QuantityDelta
}

// QuantityDelta is one quantity that changed, including side effects: setting available
// moves on_hand by the same delta and the reverse; the unavailable states move on_hand.
type QuantityDelta struct {
	Name              string
	Delta             int
	QuantityAfter     int
	InventoryItemID   int64
	LocationID        int64
	LedgerDocumentURI string
}

// QuantityProblem is why a request was not applied: an unknown item or location, or a
// compare-and-swap that found another quantity (Code "STALE", Current holds it).
type QuantityProblem struct {
	Index   int
	Code    string // INVALID_INVENTORY_ITEM, INVALID_LOCATION, STALE
	Current int
}

// ChangeQuantities applies a request atomically. When any change has a problem nothing is
// written and the problems are returned. Levels whose available quantity moved fire
// inventory_levels/update, all with one event id.
func (s *Store) ChangeQuantities(req QuantityRequest) (AdjustmentGroup, []QuantityProblem, Change, error) {
	out := Change{Events: []EventRecord{}}
	code, other := -1, false
	switch req.Name {
	case "available", "on_hand":
	default:
		for i, n := range otherStates {
			if n == req.Name {
				code, other = i, true
			}
		}
		if !other || req.Set {
			return AdjustmentGroup{}, nil, out, invalid("INVALID_NAME", "quantity name "+strconv.Quote(req.Name)+" cannot be changed this way", "name")
		}
	}
	s.mu.Lock()
	defer s.unlock()
	nl := len(s.cat.Locations)
	type target struct{ item, loc, li int }
	targets := make([]target, len(req.Changes))
	var problems []QuantityProblem
	for i, c := range req.Changes {
		item, ok := catalogIndex(c.InventoryItemID, itemBase)
		if !ok || item >= len(s.cat.Items) {
			problems = append(problems, QuantityProblem{Index: i, Code: "INVALID_INVENTORY_ITEM"})
			continue
		}
		loc, ok := locationIndex(c.LocationID)
		if !ok || loc >= nl {
			problems = append(problems, QuantityProblem{Index: i, Code: "INVALID_LOCATION"})
			continue
		}
		targets[i] = target{item, loc, item*nl + loc}
		if c.Compare != nil {
			if cur := s.quantity(targets[i].li, req.Name, code); cur != *c.Compare {
				problems = append(problems, QuantityProblem{Index: i, Code: "STALE", Current: cur})
			}
		}
	}
	if len(problems) > 0 {
		return AdjustmentGroup{}, problems, out, nil
	}
	a := s.begin(&out)
	sec := a.at.Unix()
	s.adjustSeq++
	g := AdjustmentGroup{
		ID: adjustmentBase + s.adjustSeq, CreatedAt: a.at.Truncate(time.Second), Reason: req.Reason,
		ReferenceDocumentURI: req.ReferenceDocumentURI,
	}
	moves := stockMoves{s: s}
	for i, c := range req.Changes {
		t := targets[i]
		d := c.Delta
		if req.Set {
			d = c.Quantity - s.quantity(t.li, req.Name, code)
		}
		if d == 0 && req.Set {
			continue
		}
		l := moves.touch(t.item, t.loc)
		delta := int32(d)
		switch req.Name {
		case "available":
			moves.move(t.item, t.loc, delta, 0, delta, sec)
			g.Changes = append(g.Changes, s.delta("available", d, int(l.available), t.item, t.loc, c), s.delta("on_hand", d, int(l.onHand), t.item, t.loc, c))
		case "on_hand":
			moves.move(t.item, t.loc, delta, 0, delta, sec)
			g.Changes = append(g.Changes, s.delta("on_hand", d, int(l.onHand), t.item, t.loc, c), s.delta("available", d, int(l.available), t.item, t.loc, c))
		default:
			k := uint64(t.li)<<8 | uint64(code)
			s.other[k] += delta
			after := int(s.other[k])
			if s.other[k] == 0 {
				delete(s.other, k)
			}
			g.Changes = append(g.Changes, s.delta(req.Name, d, after, t.item, t.loc, c))
			if req.Name != "incoming" {
				moves.move(t.item, t.loc, 0, 0, delta, sec)
				g.Changes = append(g.Changes, s.delta("on_hand", d, int(l.onHand), t.item, t.loc, c))
			} else {
				l.updatedAt = max(l.updatedAt, sec)
			}
		}
	}
	for _, t := range targets {
		s.recordWrite(t.li, t.item, t.loc, a.at)
	}
	moves.emit(a, &out)
	return g, nil, out, nil
}

func (s *Store) delta(name string, d, after, item, loc int, c QuantityChange) QuantityDelta {
	return QuantityDelta{
		Name: name, Delta: d, QuantityAfter: after, InventoryItemID: inventoryItemID(item),
		LocationID: locationID(loc), LedgerDocumentURI: c.LedgerDocumentURI,
	}
}

// quantity reads a named quantity. Callers hold mu.
func (s *Store) quantity(li int, name string, code int) int {
	l := &s.levels[li]
	switch name {
	case "available":
		return int(l.available)
	case "on_hand":
		return int(l.onHand)
	case "committed":
		return int(l.committed)
	}
	return int(s.other[uint64(li)<<8|uint64(code)])
}

// SetInventory sets a SKU's available (or on_hand) quantity at a location as a merchant
// action (an ERP overwrite, a stock count).
func (s *Store) SetInventory(sku string, locationID int64, name string, quantity int) (Change, error) {
	return s.merchantInventory(sku, locationID, name, true, quantity)
}

// AdjustInventory changes a SKU's available (or on_hand) quantity at a location by delta.
func (s *Store) AdjustInventory(sku string, locationID int64, name string, delta int) (Change, error) {
	return s.merchantInventory(sku, locationID, name, false, delta)
}

func (s *Store) merchantInventory(sku string, locationID int64, name string, set bool, n int) (Change, error) {
	item, ok := s.skuIndex[sku]
	if !ok {
		return Change{Events: []EventRecord{}}, notFound("NOT_FOUND", "unknown SKU "+strconv.Quote(sku), "sku")
	}
	if name == "" {
		name = "available"
	}
	if name != "available" && name != "on_hand" {
		return Change{Events: []EventRecord{}}, invalid("INVALID_NAME", "name "+strconv.Quote(name)+" must be available or on_hand", "name")
	}
	if n > MaxQuantity || n < -MaxQuantity {
		return Change{Events: []EventRecord{}}, invalid("INVALID_QUANTITY", fmt.Sprintf("quantity %d is out of range", n), "quantity")
	}
	c := QuantityChange{InventoryItemID: inventoryItemID(item), LocationID: locationID, Quantity: n, Delta: n}
	_, problems, ch, err := s.ChangeQuantities(QuantityRequest{Name: name, Set: set, Reason: "correction", Changes: []QuantityChange{c}})
	if err != nil {
		return ch, err
	}
	if len(problems) > 0 {
		return ch, notFound("NOT_FOUND", "location "+itoa(locationID)+" not found", "location_id")
	}
	return ch, nil
}
