package inventory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

// Setter writes on-hand quantities to Shopify. *shopify.Client is one.
type Setter interface {
	SetOnHand(ctx context.Context, qs []shopify.Quantity, reference, key string) error
}

// Locator tells the Shopify inventory item and location of a SKU's level.
type Locator interface {
	Level(ctx context.Context, sku string) (inventoryItemID, locationID string, err error)
}

// ErrUnknownSKU is what a Locator returns for a SKU Shopify does not sell: its changes
// are dropped, not retried.
var ErrUnknownSKU = errors.New("inventory: Shopify has no such SKU")

// MapLocator is a Locator from a fixed table, SKU → level.
type MapLocator map[string]shopify.Quantity

// Level returns the table's level of sku, or ErrUnknownSKU.
func (m MapLocator) Level(_ context.Context, sku string) (string, string, error) {
	q, ok := m[sku]
	if !ok {
		return "", "", fmt.Errorf("%w: %s", ErrUnknownSKU, sku)
	}
	return q.InventoryItemID, q.LocationID, nil
}

// Syncer writes the Coalescer's pending changes to Shopify, BatchSize SKUs a call, as
// Shopify's on-hand quantity (the ERP's on hand minus the safety stock). It sets on hand,
// not available: Shopify's available is then on hand minus its committed units, so an
// order Shopify took and the ERP has not shipped stays out of what Shopify sells, whether
// it has reached the ERP yet or not. Setting available instead would hand those units
// back to the next buyer every time the ERP pushed the SKU.
type Syncer struct {
	Pending   *Coalescer
	Safety    *SafetyStock
	Shopify   Setter
	Levels    Locator
	BatchSize int // default shopify.MaxSetBatch
	Clock     clock.Clock
	// Latest, when set, is the newest change of each SKU across replicas: a batch is
	// written with it, and SKUs that got a newer change during the write are put back.
	Latest Latest

	mu     sync.Mutex
	newest map[string]Change // the newest change taken of each SKU, for Refresh
	// refreshes counts Refresh calls: it is part of the idempotency key, so a refreshed
	// change is a new write and not the replay of the one Shopify remembers.
	refreshes atomic.Int64
}

// Refresh writes the SKUs' newest known ERP on hand again with the next flush (from
// Latest when set, else from the newest this Syncer took to write; a SKU with neither is left
// alone). A Shopify fulfillment takes its units off Shopify's on hand, and the ERP's
// shipment took them off the ERP's: when the ERP's change was written first, the units
// left twice, and writing the ERP's on hand again puts Shopify right.
func (s *Syncer) Refresh(ctx context.Context, skus []string) error {
	if len(skus) == 0 {
		return nil
	}
	s.refreshes.Add(1)
	if s.Latest != nil {
		newest, err := s.Latest.Newest(ctx, skus)
		if err != nil {
			return err
		}
		for _, c := range newest {
			s.Pending.Put(c)
		}
		return nil
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, sku := range skus {
		if c, ok := s.newest[sku]; ok {
			s.Pending.Put(c)
		}
	}
	return nil
}

// remember keeps the newest change taken of each SKU: a refresh must not write an older
// one after a newer one still on its way (a failed write is put back, so taken is enough).
func (s *Syncer) remember(batch []Change) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.newest == nil {
		s.newest = map[string]Change{}
	}
	for _, c := range batch {
		if w, ok := s.newest[c.SKU]; !ok || !c.At.Before(w.At) {
			s.newest[c.SKU] = c
		}
	}
}

// Flush takes one batch of pending changes and writes it. It returns the number of SKUs
// written. When the write fails, the batch goes back to the Coalescer (a newer change of
// a SKU pending meanwhile wins over it) and the error is returned as the client gave it:
// a throttled one tells the caller to wait, not to count an attempt. The write is
// absolute (a quantity, not a delta), so a retry Shopify applies twice changes nothing.
func (s *Syncer) Flush(ctx context.Context) (int, error) {
	n := s.BatchSize
	if n <= 0 {
		n = shopify.MaxSetBatch
	}
	batch := s.Pending.Take(n)
	if len(batch) == 0 {
		return 0, nil
	}
	if s.Latest != nil {
		newest, err := s.Latest.Newest(ctx, skusOf(batch))
		if err != nil {
			s.Pending.PutBack(batch)
			return 0, err
		}
		for i, c := range batch {
			if l, ok := newest[c.SKU]; ok && l.At.After(c.At) {
				batch[i] = l
			}
		}
	}
	s.remember(batch)
	now := s.clock().Now()
	qs := make([]shopify.Quantity, 0, len(batch))
	kept := batch[:0:0]
	h := sha256.New()
	level := s.Levels.Level
	if bl, ok := s.Levels.(BatchLocator); ok {
		levels, err := bl.Levels(ctx, skusOf(batch))
		if err != nil {
			s.Pending.PutBack(batch)
			return 0, err
		}
		level = func(_ context.Context, sku string) (string, string, error) {
			q, ok := levels[sku]
			if !ok {
				return "", "", ErrUnknownSKU
			}
			return q.InventoryItemID, q.LocationID, nil
		}
	}
	for _, c := range batch {
		item, loc, err := level(ctx, c.SKU)
		if errors.Is(err, ErrUnknownSKU) {
			continue
		}
		if err != nil {
			s.Pending.PutBack(batch)
			return 0, err
		}
		avail := c.OnHand
		if s.Safety != nil {
			avail = s.Safety.Available(c.SKU, c.OnHand, now)
		}
		qs = append(qs, shopify.Quantity{InventoryItemID: item, LocationID: loc, Quantity: avail})
		kept = append(kept, c)
		fmt.Fprintf(h, "%s\x00%d\x00%d\x00%s\x00", c.SKU, c.OnHand, c.At.UnixNano(), strconv.Itoa(avail))
	}
	if len(qs) == 0 {
		return 0, nil
	}
	fmt.Fprintf(h, "refresh %d", s.refreshes.Load())
	key := "inventory-" + hex.EncodeToString(h.Sum(nil))[:32]
	if err := s.Shopify.SetOnHand(ctx, qs, "", key); err != nil {
		var p interface{ Permanent() bool }
		if !errors.As(err, &p) || !p.Permanent() {
			s.Pending.PutBack(kept)
		} else if f, ok := s.Levels.(Forgetter); ok {
			// Shopify refused the batch: an inventory item it names may be gone, so the
			// next change of these SKUs looks them up again.
			if ferr := f.Forget(ctx, skusOf(kept)); ferr != nil {
				err = errors.Join(err, ferr)
			}
		}
		return 0, err
	}

	if s.Latest != nil {
		// Another replica may have taken a newer change of these SKUs while this write
		// was on its way, and written it before this one landed: look again.
		newest, err := s.Latest.Newest(ctx, skusOf(kept))
		if err != nil {
			s.Pending.PutBack(kept)
			return len(qs), err
		}
		for _, c := range kept {
			if l, ok := newest[c.SKU]; ok && l.At.After(c.At) {
				s.Pending.Put(l)
			}
		}
	}
	return len(qs), nil
}

func skusOf(cs []Change) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.SKU
	}
	return out
}

// Drain flushes until nothing is pending or a write fails.
func (s *Syncer) Drain(ctx context.Context) (int, error) {
	total := 0
	for s.Pending.Len() > 0 {
		n, err := s.Flush(ctx)
		total += n
		if err != nil {
			return total, err
		}
	}
	return total, nil
}

func (s *Syncer) clock() clock.Clock {
	if s.Clock == nil {
		return clock.Real()
	}
	return s.Clock
}

// LevelFinder finds a SKU's Shopify inventory level. *shopify.Client is one.
type LevelFinder interface {
	InventoryLevel(ctx context.Context, sku, locationID string) (itemID, location string, found bool, err error)
}

// ShopifyLocator asks Shopify for each SKU's level at Location (a gid; empty takes each
// item's first level) once, and remembers the answer (found or not) for the life of the
// process.
type ShopifyLocator struct {
	Shopify  LevelFinder
	Location string

	mu    sync.Mutex
	known map[string]shopify.Quantity // zero value: Shopify has no such SKU
}

// Level returns the SKU's level, or ErrUnknownSKU.
func (l *ShopifyLocator) Level(ctx context.Context, sku string) (string, string, error) {
	l.mu.Lock()
	q, ok := l.known[sku]
	l.mu.Unlock()
	if !ok {
		item, loc, found, err := l.Shopify.InventoryLevel(ctx, sku, l.Location)
		if err != nil {
			return "", "", err
		}
		if found {
			q = shopify.Quantity{InventoryItemID: item, LocationID: loc}
		}
		l.mu.Lock()
		if l.known == nil {
			l.known = map[string]shopify.Quantity{}
		}
		l.known[sku] = q
		l.mu.Unlock()
	}
	if q.InventoryItemID == "" {
		return "", "", fmt.Errorf("%w: %s", ErrUnknownSKU, sku)
	}
	return q.InventoryItemID, q.LocationID, nil
}
