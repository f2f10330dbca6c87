package inventory

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

// erpStock is a StockReader from a table; a SKU absent from it is not in the ERP.
type erpStock struct {
	onHand map[string]int
	at     time.Time
	err    error
	reads  int
}

func (e *erpStock) OnHand(_ context.Context, sku string) (int, time.Time, error) {
	e.reads++
	if e.err != nil {
		return 0, time.Time{}, e.err
	}
	n, ok := e.onHand[sku]
	if !ok {
		return 0, time.Time{}, fmt.Errorf("%w: %s", ErrNotInERP, sku)
	}
	return n, e.at, nil
}

func TestRecheckQueuesTheERPsStockAndSaysWhetherShopifyDiffered(t *testing.T) {
	t.Parallel()
	erp := &erpStock{onHand: map[string]int{"A": 12, "B": 3}, at: t0.Add(-time.Minute)}
	r := &Recheck{ERP: erp, Safety: &SafetyStock{Fixed: 2}, Pending: NewCoalescer(), Clock: clock.NewManual(t0)}
	ctx := context.Background()

	out, err := r.Apply(ctx, "A", 10) // 12 − 2 = 10: Shopify's available agrees
	require.NoError(t, err)
	assert.Equal(t, RecheckSame, out)
	assert.Equal(t, []Change{{SKU: "A", OnHand: 12, At: t0}}, r.Pending.Take(10),
		"queued anyway: an equal available does not prove an equal on hand; stamped when the ERP was asked, not with its older change time")

	out, err = r.Apply(ctx, "A", 4) // Shopify shows 4, the ERP says 10
	require.NoError(t, err)
	assert.Equal(t, RecheckCorrected, out)
	assert.Equal(t, []Change{{SKU: "A", OnHand: 12, At: t0}}, r.Pending.Take(10))

	erp.at = t0.Add(time.Minute)
	out, err = r.Apply(ctx, "B", 0) // 3 − 2 = 1
	require.NoError(t, err)
	assert.Equal(t, RecheckCorrected, out)
	assert.Equal(t, []Change{{SKU: "B", OnHand: 3, At: t0.Add(time.Minute)}}, r.Pending.Take(10), "an ERP change time later than the read wins")

	out, err = r.Apply(ctx, "NOPE", 1)
	require.ErrorIs(t, err, ErrNotInERP)
	assert.Equal(t, RecheckUnknownSKU, out)

	erp.err = errors.New("netsuite down")
	_, err = r.Apply(ctx, "A", 1)
	require.ErrorContains(t, err, "netsuite down")
	assert.Equal(t, 0, r.Pending.Len(), "nothing is queued without the ERP's answer")
}

// A recheck's change goes through Latest like a push: an older recheck never overwrites a
// newer pushed change.
func TestRecheckDoesNotRollBackANewerPush(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	latest := &RedisLatest{Redis: rdb, Key: "t:recheck:latest"}
	ctx := context.Background()
	require.NoError(t, latest.Offer(ctx, Change{SKU: "A", OnHand: 50, At: t0.Add(time.Second)})) // pushed after the read below
	erp := &erpStock{onHand: map[string]int{"A": 20}, at: t0.Add(-time.Second)}
	r := &Recheck{ERP: erp, Pending: NewCoalescer(), Latest: latest, Clock: clock.NewManual(t0)}
	out, err := r.Apply(ctx, "A", 5)
	require.NoError(t, err)
	assert.Equal(t, RecheckCorrected, out)
	got, err := latest.Newest(ctx, []string{"A"})
	require.NoError(t, err)
	assert.Equal(t, 50, got["A"].OnHand, "the newer push stays the latest; the Syncer writes it")
}
