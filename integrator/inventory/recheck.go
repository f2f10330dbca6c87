package inventory

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/peakready/peakready/clock"
)

// StockReader reads a SKU's on hand from the ERP, the source of truth, and the time the
// ERP last changed it (zero when unknown). A SKU the ERP does not have is an error
// wrapping ErrNotInERP.
type StockReader interface {
	OnHand(ctx context.Context, sku string) (onHand int, changedAt time.Time, err error)
}

// ErrNotInERP is wrapped by a StockReader's error for a SKU the ERP does not have.
var ErrNotInERP = errors.New("inventory: the ERP has no item with this SKU")

// RecheckOutcome is what a Recheck found.
type RecheckOutcome string

// Outcomes of Recheck.Apply.
const (
	// RecheckCorrected: Shopify showed another available quantity than the ERP's on
	// hand − safety stock.
	RecheckCorrected RecheckOutcome = "corrected"
	// RecheckSame: Shopify showed the ERP's on hand − safety stock as available.
	RecheckSame RecheckOutcome = "same"
	// RecheckUnknownSKU: the ERP has no such SKU; nothing is written.
	RecheckUnknownSKU RecheckOutcome = "unknown_sku"
)

// Recheck answers a signal from Shopify that a SKU's stock is low (a Flow workflow's
// HTTP request) by asking the ERP, and queues the ERP's on hand for the Syncer through
// Latest and Pending, exactly as a pushed ERP change, so it is written with the stock
// flow's batching and cost budget, and never over a newer ERP change. It is queued
// whatever Shopify showed: Flow sends Shopify's available, which is its on hand less
// the units its open orders committed, so an equal available does not prove an equal on
// hand (the quantity the flow writes), and the write is absolute. The outcome only says
// whether the available Flow saw matched the ERP's on hand − safety stock. A signal
// repeated (Flow retrying) costs one ERP read and writes the same quantity again.
type Recheck struct {
	ERP     StockReader
	Safety  *SafetyStock
	Pending *Coalescer
	// Latest, when set, records the ERP's answer for every replica (see Latest).
	Latest Latest
	Clock  clock.Clock
}

// Apply rechecks sku, which Shopify showed at shown available. The change is stamped
// with the moment the ERP was asked (the answer is at least that fresh; an item's
// lastModifiedDate does not move with the transactions that change its stock), or with
// the ERP's change time when that is later: a pushed change made after the read wins.
func (r *Recheck) Apply(ctx context.Context, sku string, shown int64) (RecheckOutcome, error) {
	asked := r.clock().Now()
	onHand, changed, err := r.ERP.OnHand(ctx, sku)
	if errors.Is(err, ErrNotInERP) {
		return RecheckUnknownSKU, err
	}
	if err != nil {
		return "", err
	}
	want := onHand
	if r.Safety != nil {
		want = r.Safety.Available(sku, onHand, asked)
	}
	out := RecheckCorrected
	if int64(want) == shown {
		out = RecheckSame
	}
	at := asked
	if changed.After(at) {
		at = changed
	}
	c := Change{SKU: sku, OnHand: onHand, At: at}
	if r.Latest != nil {
		if err := r.Latest.Offer(ctx, c); err != nil {
			return "", fmt.Errorf("inventory: recheck %s: %w", sku, err)
		}
	}
	r.Pending.Put(c)
	return out, nil
}

func (r *Recheck) clock() clock.Clock {
	if r.Clock == nil {
		return clock.Real()
	}
	return r.Clock
}
