package netsuite

import (
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/fakehttp"
)

// inventoryLocationView is one line of an item's locations sublist.
type inventoryLocationView struct {
	Location            refView `json:"location"`
	QuantityOnHand      int64   `json:"quantityOnHand"`
	QuantityAvailable   int64   `json:"quantityAvailable"`
	QuantityCommitted   int64   `json:"quantityCommitted"`
	QuantityBackOrdered int64   `json:"quantityBackOrdered"`
}

// inventoryItemView is an inventory item in NetSuite's REST shape, with its locations
// sublist expanded.
type inventoryItemView struct {
	Links            []link  `json:"links"`
	ID               string  `json:"id"`
	ItemID           string  `json:"itemId"`
	ExternalID       string  `json:"externalId"`
	DisplayName      string  `json:"displayName"`
	ItemType         refView `json:"itemType"`
	BasePrice        amount  `json:"basePrice"`
	IsInactive       bool    `json:"isInactive"`
	CreatedDate      string  `json:"createdDate"`
	LastModifiedDate string  `json:"lastModifiedDate"`
	// Locations is a sublistView[inventoryLocationView], or only its link.
	Locations any `json:"locations"`
}

// snapshotItem copies it with its stock; call with the store locked.
func (st *store) snapshotItem(it *inventoryItem) (inventoryItem, refNames) {
	c := *it
	c.OnHand = append([]int64(nil), it.OnHand...)
	c.Committed = append([]int64(nil), it.Committed...)
	return c, refNames{locations: st.locations}
}

// renderInventoryItem renders an item snapshot; it needs no lock. Without expand the
// locations sublist is only its link.
func renderInventoryItem(base string, it *inventoryItem, names refNames, expand bool) inventoryItemView {
	self := base + recordPrefix + RecordInventoryItem + "/" + itoa(it.ID)
	return inventoryItemView{
		Links: selfLinks(self), ID: itoa(it.ID), ItemID: it.SKU, ExternalID: it.SKU, DisplayName: it.Title,
		ItemType: refView{ID: "InvtPart", RefName: "Inventory Item"}, BasePrice: amount(it.PriceCents),
		CreatedDate: formatTime(it.Created), LastModifiedDate: formatTime(it.Modified),
		Locations: sublistOrLink(expand, self+"/locations", func() []inventoryLocationView { return locationViews(it, names) }),
	}
}

// locationViews renders an item's locations sublist lines.
func locationViews(it *inventoryItem, names refNames) []inventoryLocationView {
	locs := make([]inventoryLocationView, len(it.OnHand))
	for i := range it.OnHand {
		q := it.stockAt(i)
		locs[i] = inventoryLocationView{
			Location: names.locationRef(i), QuantityOnHand: q.OnHand, QuantityAvailable: q.Available,
			QuantityCommitted: q.Committed, QuantityBackOrdered: q.BackOrdered,
		}
	}
	return locs
}

func (st *store) findItem(rid recordID) (*inventoryItem, bool) {
	if rid.isExternal() {
		it, ok := st.items.byEID[rid.eid]
		return it, ok
	}
	it, ok := st.items.byID[rid.id]
	return it, ok
}

// itemSnapshot is a copy of the inventory item rid names, taken under the store's lock.
func (s *Server) itemSnapshot(rid recordID) (inventoryItem, refNames, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	it, ok := s.st.findItem(rid)
	if !ok {
		return inventoryItem{}, refNames{}, false
	}
	snap, names := s.st.snapshotItem(it)
	return snap, names, true
}

// getInventoryItem is GET /inventoryItem/{id} and /inventoryItem/eid:SKU.
func (s *Server) getInventoryItem(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	snap, names, ok := s.itemSnapshot(rid)
	if !ok {
		return notFound()
	}
	writeJSON(w, http.StatusOK, renderInventoryItem(fakehttp.BaseURL(r), &snap, names, expandSubResources(r)))
	return nil
}

// inventoryItemSublist is GET /inventoryItem/{id}/locations.
func (s *Server) inventoryItemSublist(w http.ResponseWriter, r *http.Request, rid recordID, name string) *apiError {
	if name != "locations" {
		return unknownPath(r.URL.Path)
	}
	snap, names, ok := s.itemSnapshot(rid)
	if !ok {
		return notFound()
	}
	self := fakehttp.BaseURL(r) + recordPrefix + RecordInventoryItem + "/" + itoa(snap.ID) + "/locations"
	writeJSON(w, http.StatusOK, newSublist(self, locationViews(&snap, names)))
	return nil
}

// InventoryAdjustment is the body of POST /_fake/inventory: exactly one of Delta and Set.
// Location is a location internal id (1-based) or name; empty means the first location.
type InventoryAdjustment struct {
	SKU      string `json:"sku"`
	Location any    `json:"location,omitempty"`
	Delta    *int64 `json:"delta,omitempty"`
	Set      *int64 `json:"set,omitempty"`
}

// StockLevel is an item's quantities at one location.
type StockLevel struct {
	SKU         string `json:"sku"`
	ItemID      string `json:"item_id"`
	Location    string `json:"location"`
	LocationID  string `json:"location_id"`
	OnHand      int64  `json:"quantity_on_hand"`
	Available   int64  `json:"quantity_available"`
	Committed   int64  `json:"quantity_committed"`
	BackOrdered int64  `json:"quantity_back_ordered"`
}

// ErrUnknownSKU is returned for an adjustment of a SKU the catalog lacks.
var ErrUnknownSKU = errors.New("unknown SKU")

// AdjustInventory changes an item's on-hand quantity at a location, as a receipt,
// count or write-off in NetSuite would: the item's lastModifiedDate moves and an
// inventory.changed notification is pushed. On-hand never goes below zero.
func (s *Server) AdjustInventory(adj InventoryAdjustment) (StockLevel, error) {
	if (adj.Delta == nil) == (adj.Set == nil) {
		return StockLevel{}, errors.New("give exactly one of delta and set")
	}
	s.mu.Lock()
	it, ok := s.st.bySKU[adj.SKU]
	if !ok {
		s.mu.Unlock()
		return StockLevel{}, fmt.Errorf("%w %q", ErrUnknownSKU, adj.SKU)
	}
	loc, err := s.st.resolveLocation(adj.Location)
	if err != nil {
		s.mu.Unlock()
		return StockLevel{}, err
	}
	next := it.OnHand[loc]
	if adj.Delta != nil {
		next += *adj.Delta
	} else {
		next = *adj.Set
	}
	if next < 0 {
		s.mu.Unlock()
		return StockLevel{}, fmt.Errorf("on-hand quantity of %s at %s would become %d; it cannot go below 0", adj.SKU, s.st.locations[loc].Name, next)
	}
	now := s.clock.Now()
	events := s.setOnHand(it, loc, next, "adjustment", now)
	level := s.st.stockLevel(it, loc)
	s.mu.Unlock()
	s.publish(events)
	return level, nil
}

// setOnHand sets an item's on-hand quantity, records the adjustment and returns its
// notification; call with s.mu held.
func (s *Server) setOnHand(it *inventoryItem, loc int, qty int64, reason string, now time.Time) []Event {
	delta := qty - it.OnHand[loc]
	it.OnHand[loc] = qty
	s.stock.add(StockMove{SKU: it.SKU, Location: loc, At: now, Delta: delta, OnHand: qty, Reason: reason})
	it.Modified = now
	s.ledger.Append(ledgerAdjustment(it, s.st.locations[loc].Name, delta, reason))
	evs := s.stockEvents([]stockChange{{item: it, loc: loc}}, reason, now)
	s.fulfiller.stockArrived()
	return evs
}

func (st *store) stockLevel(it *inventoryItem, loc int) StockLevel {
	q := it.stockAt(loc)
	return StockLevel{
		SKU: it.SKU, ItemID: itoa(it.ID), Location: st.locations[loc].Name, LocationID: strconv.Itoa(loc + 1),
		OnHand: q.OnHand, Available: q.Available, Committed: q.Committed, BackOrdered: q.BackOrdered,
	}
}

// resolveLocation reads a location given as an internal id (number or numeric string) or
// a name; nil means the first location.
func (st *store) resolveLocation(v any) (int, error) {
	switch t := v.(type) {
	case nil:
		return 0, nil
	case float64:
		if loc, ok := st.locationIndex(int64(t)); ok && float64(int64(t)) == t {
			return loc, nil
		}
	case string:
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			if loc, ok := st.locationIndex(n); ok {
				return loc, nil
			}
			break
		}
		for i, l := range st.locations {
			if l.Name == t {
				return i, nil
			}
		}
	}
	names := make([]string, len(st.locations))
	for i, l := range st.locations {
		names[i] = strconv.Itoa(i+1) + "=" + l.Name
	}
	return 0, fmt.Errorf("unknown location %v (known: %v)", v, names)
}

// ReplaceCatalog replaces the item master and its on-hand stock. SKUs that stay keep
// their internal id; commitments of open orders are recomputed; every item counts as
// modified now.
func (s *Server) ReplaceCatalog(cat catalog.Catalog) error {
	if err := validateCatalog(cat); err != nil {
		return err
	}
	s.mu.Lock()
	prev := make(map[string]int64, len(s.st.bySKU))
	for sku, it := range s.st.bySKU {
		prev[sku] = it.ID
	}
	s.st.seed = cat.Seed
	s.st.loadCatalog(cat, s.clock.Now(), prev)
	s.mu.Unlock()
	s.fulfiller.stockArrived()
	return nil
}

// Catalog returns the current item master with on-hand stock per location.
func (s *Server) Catalog() catalog.Catalog {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.st.catalogSnapshot()
}

// validateCatalog checks a catalog can be served: at least one location, SKUs that are
// valid external ids and unique, stock per location, no negative numbers.
func validateCatalog(cat catalog.Catalog) error {
	if len(cat.Locations) == 0 {
		return errors.New("at least one location is required")
	}
	for i, l := range cat.Locations {
		if l.Name == "" {
			return fmt.Errorf("locations[%d]: name is empty", i)
		}
	}
	seen := make(map[string]bool, len(cat.Items))
	for i, it := range cat.Items {
		switch {
		case !validExternalID(it.SKU):
			return fmt.Errorf("items[%d]: SKU %q must be 1-255 letters, digits, _ or - (it is the item's external id)", i, it.SKU)
		case seen[it.SKU]:
			return fmt.Errorf("items[%d]: SKU %q appears twice", i, it.SKU)
		case it.PriceCents < 0:
			return fmt.Errorf("items[%d]: price_cents %d is negative", i, it.PriceCents)
		case len(it.Stock) > len(cat.Locations):
			return fmt.Errorf("items[%d]: %d stock values for %d locations", i, len(it.Stock), len(cat.Locations))
		}
		for j, q := range it.Stock {
			if q < 0 {
				return fmt.Errorf("items[%d].stock[%d]: %d is negative", i, j, q)
			}
		}
		seen[it.SKU] = true
	}
	return nil
}
