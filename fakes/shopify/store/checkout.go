package store

import (
	"fmt"
	"time"
)

// Inventory policies of the shop's variants, as Shopify's ProductVariant.inventoryPolicy
// (REST inventory_policy) names them.
const (
	// PolicyDeny: customers can't buy a variant after it's out of stock. A generated
	// order (a checkout) whose line asks for more than the variant's available quantity
	// at the order's location is refused and counted as sold out.
	PolicyDeny = "deny"
	// PolicyContinue: customers can buy a variant after it's out of stock; available
	// goes below zero.
	PolicyContinue = "continue"
)

// checkPolicy validates an inventory policy; empty is PolicyContinue.
func checkPolicy(p string) (string, error) {
	switch p {
	case "", PolicyContinue:
		return PolicyContinue, nil
	case PolicyDeny:
		return PolicyDeny, nil
	}
	return "", fmt.Errorf("store: inventory policy %q must be deny or continue", p)
}

// InventoryPolicy is the policy of every variant of the shop (Config.InventoryPolicy).
func (s *Store) InventoryPolicy() string { return s.cfg.InventoryPolicy }

// SoldOut counts the generated checkouts refused since the start (or the last reset)
// because a line asked for more than was available (PolicyDeny only).
func (s *Store) SoldOut() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.soldOut
}

// soldOutLine tells whether the placement cannot be checked out under the shop's
// policy: its lines of a variant together ask for more than the variant's available
// quantity at the order's location. Callers hold mu.
func (s *Store) soldOutLine(p *placement) bool {
	if s.cfg.InventoryPolicy != PolicyDeny {
		return false
	}
	nl := len(s.cat.Locations)
	asked := make(map[int]int, len(p.lines))
	for _, l := range p.lines {
		i := int(l.item)*nl + p.loc
		asked[i] += int(l.qty)
		if int(s.levels[i].available) < asked[i] {
			return true
		}
	}
	return false
}

// maxLevelWrites bounds the record of inventory writes a run keeps (24 bytes each).
const maxLevelWrites = 1 << 21

// levelWrite is one level's quantities after an inventory write.
type levelWrite struct {
	at        int64 // unix nanoseconds, platform time
	item      int32
	loc       int16
	_         int16
	onHand    int32
	available int32
}

// LevelWrite is one inventory level after a write through the inventory API or a
// merchant's set or adjustment (not a checkout, a cancellation or a fulfillment).
type LevelWrite struct {
	SKU        string
	LocationID int64
	At         time.Time
	OnHand     int
	Available  int
}

// LevelWrites returns the inventory writes in the order they happened, and how many
// were not kept once the record was full (the first maxLevelWrites are).
func (s *Store) LevelWrites() ([]LevelWrite, int64) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]LevelWrite, len(s.writes))
	for i, w := range s.writes {
		out[i] = LevelWrite{SKU: s.cat.Items[w.item].SKU, LocationID: locationID(int(w.loc)), At: time.Unix(0, w.at).UTC(),
			OnHand: int(w.onHand), Available: int(w.available)}
	}
	return out, s.writesDropped
}

// recordWrite keeps the quantities a level has after a write (also one that found them
// as asked: the level then reflects the write all the same). Callers hold mu.
func (s *Store) recordWrite(li, item, loc int, at time.Time) {
	if len(s.writes) >= maxLevelWrites {
		s.writesDropped++
		return
	}
	l := &s.levels[li]
	s.writes = append(s.writes, levelWrite{at: at.UnixNano(), item: int32(item), loc: int16(loc), onHand: l.onHand, available: l.available})
}
