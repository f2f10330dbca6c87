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
	// RecheckCorrected: Shopify showed another quantity than the ERP's on hand − safety
	// stock; the ERP's is queued for the Syncer.
	RecheckCorrected RecheckOutcome = "corrected"
	// RecheckSame: Shopify already showed the ERP's on hand − safety stock.
	RecheckSame RecheckOutcome = "same"
	// RecheckUnknownSKU: the ERP has no such SKU; nothing is written.
	RecheckUnknownSKU RecheckOutcome = "unknown_sku"
)

// Recheck answers a signal from Shopify that a SKU's stock is low (a Flow workflow's
// HTTP request) by asking the ERP: when the quantity Shopify showed differs from the
// ERP's on hand − safety stock, the ERP's on hand goes to the Syncer through Latest and
// Pending, exactly as a pushed ERP change does, so it is written with the stock flow's
// batching and cost budget, and never over a newer ERP change. A signal repeated (Flow
// retrying) costs one ERP read and writes nothing new.
type Recheck struct {
	ERP     StockReader
	Safety  *SafetyStock
	Pending *Coalescer
	// Latest, when set, records the ERP's answer for every replica (see Latest).
	Latest Latest
	Clock  clock.Clock
}

// Apply rechecks sku, which Shopify showed at shown available. The change is stamped with
// the ERP's own change time when it gives one (so a pushed change of the same moment or
// later wins over it), else with the clock's now.
func (r *Recheck) Apply(ctx context.Context, sku string, shown int64) (RecheckOutcome, error) {
	onHand, at, err := r.ERP.OnHand(ctx, sku)
	if errors.Is(err, ErrNotInERP) {
		return RecheckUnknownSKU, err
	}
	if err != nil {
		return "", err
	}
	now := r.clock().Now()
	want := onHand
	if r.Safety != nil {
		want = r.Safety.Available(sku, onHand, now)
	}
	if int64(want) == shown {
		return RecheckSame, nil
	}
	if at.IsZero() {
		at = now
	}
	c := Change{SKU: sku, OnHand: onHand, At: at}
	if r.Latest != nil {
		if err := r.Latest.Offer(ctx, c); err != nil {
			return "", fmt.Errorf("inventory: recheck %s: %w", sku, err)
		}
	}
	r.Pending.Put(c)
	return RecheckCorrected, nil
}

func (r *Recheck) clock() clock.Clock {
	if r.Clock == nil {
		return clock.Real()
	}
	return r.Clock
}
