package store

import "github.com/peakready/peakready/fakes/shopify/flow"

// stockMoves applies quantity changes and emits inventory_levels/update for every level
// whose available quantity changed, with the variant's total before and after for Flow.
type stockMoves struct {
	s       *Store
	touched []stockTouch
}

type stockTouch struct {
	li, item, loc int
	prior         int32 // available at the level before
	priorTotal    int   // variant's available over every location before
}

func (m *stockMoves) total(item int) int {
	nl := len(m.s.cat.Locations)
	n := 0
	for l := 0; l < nl; l++ {
		n += int(m.s.levels[item*nl+l].available)
	}
	return n
}

func (m *stockMoves) touch(item, loc int) *level {
	li := item*len(m.s.cat.Locations) + loc
	for _, t := range m.touched {
		if t.li == li {
			return &m.s.levels[li]
		}
	}
	pt := m.total(item)
	for _, t := range m.touched {
		if t.item == item {
			pt = t.priorTotal
			break
		}
	}
	m.touched = append(m.touched, stockTouch{li: li, item: item, loc: loc, prior: m.s.levels[li].available, priorTotal: pt})
	return &m.s.levels[li]
}

func (m *stockMoves) move(item, loc int, dAvailable, dCommitted, dOnHand int32, at int64) {
	l := m.touch(item, loc)
	l.available += dAvailable
	l.committed += dCommitted
	l.onHand += dOnHand
	l.updatedAt = nextUpdate(l.updatedAt-1, at)
}

func (m *stockMoves) emit(a *action, out *Change) {
	s := m.s
	for _, t := range m.touched {
		l := &s.levels[t.li]
		if out != nil {
			out.InventoryItems = appendOnce(out.InventoryItems, inventoryItemID(t.item))
		}
		if l.available == t.prior {
			continue
		}
		snap := s.levelSnap(t.item, t.loc)
		p := marshal(s.InventoryLevelJSON(&snap))
		it := &s.cat.Items[t.item]
		a.emit(TopicInventoryLevelsUpdate, snap.InventoryItemID, p, payloadHash64(p), &flow.InventoryChange{
			ProductID: productID(t.item), VariantID: variantID(t.item), InventoryItemID: snap.InventoryItemID,
			LocationID: snap.LocationID, SKU: it.SKU, ProductTitle: it.Title, Prior: t.priorTotal, Current: m.total(t.item),
		})
	}
}
