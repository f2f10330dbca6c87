package netsuite

import (
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The account moves stock on its own at the configured rates, and a mass update changes
// many SKUs in one second; a poller finds them all by lastModifiedDate.
func TestStockMovesOnItsOwn(t *testing.T) {
	t.Parallel()
	srv, b := setup(t, func(o *Options) {
		o.Limits.ReceiptsEvery, o.Limits.AdjustmentsEvery, o.Limits.OtherSalesEvery = "1m", "2m", "3m"
		o.Limits.MassUpdateAt, o.Limits.MassUpdateSKUs = "30m", 15
	})
	armed := func() { require.NoError(t, b.clock.BlockUntil(t.Context(), 1), "the loop waits on its next move") }
	for range 12 {
		armed()
		b.clock.Advance(time.Minute)
	}
	require.Eventually(t, func() bool {
		m := srv.GovernanceStats().StockMoves
		return m.Receipts == 12 && m.Adjustments == 6 && m.OtherSales == 4
	}, 5*time.Second, 5*time.Millisecond, "%+v", srv.GovernanceStats().StockMoves)
	assert.Zero(t, srv.GovernanceStats().StockMoves.MassUpdates, "not due yet")

	before := b.clock.Now().Add(18 * time.Minute)
	for range 18 {
		armed()
		b.clock.Advance(time.Minute)
	}
	require.Eventually(t, func() bool { return srv.GovernanceStats().StockMoves.MassUpdates == 1 }, 5*time.Second, 5*time.Millisecond)
	m := srv.GovernanceStats().StockMoves
	assert.Equal(t, int64(15), m.MassUpdatedSKUs)

	q := url.QueryEscape(`lastModifiedDate ON_OR_AFTER "` + before.UTC().Format(time.RFC3339) + `"`)
	// Other moves may have touched a few more items in the same minutes.
	page := b.do(t, http.MethodGet, itemPath+"?q="+q, nil).json(t)
	assert.GreaterOrEqual(t, page["totalResults"], 15.0)

	// Once only, until the knob is set again.
	l := srv.Limits()
	l.ReceiptsEvery, l.AdjustmentsEvery, l.OtherSalesEvery = "off", "off", "off"
	require.NoError(t, srv.SetLimits(l))
	b.clock.Advance(time.Hour)
	time.Sleep(10 * time.Millisecond)
	assert.Equal(t, int64(1), srv.GovernanceStats().StockMoves.MassUpdates)
	l.MassUpdateAt, l.MassUpdateSKUs = "1m", 0
	require.NoError(t, srv.SetLimits(l))
	armed()
	b.clock.Advance(time.Minute)
	require.Eventually(t, func() bool { return srv.GovernanceStats().StockMoves.MassUpdates == 2 }, 5*time.Second, 5*time.Millisecond)
	assert.Equal(t, int64(35), srv.GovernanceStats().StockMoves.MassUpdatedSKUs, "0 changes every SKU")

	assert.Equal(t, 20, srv.MassUpdate(0), "the Go API runs one now")
}
