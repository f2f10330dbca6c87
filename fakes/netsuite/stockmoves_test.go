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

// OwnMoves replays, without a server, the moves the server makes on its own: the same
// items, locations, changes and reasons at the same times (the planner relies on it).
func TestOwnMovesReplaysTheServersMoves(t *testing.T) {
	t.Parallel()
	sch := OwnMoveSchedule{ReceiptsEvery: time.Minute, AdjustmentsEvery: 2 * time.Minute, OtherSalesEvery: 3 * time.Minute,
		MassUpdate: true, MassUpdateAt: 6 * time.Minute, MassUpdateSKUs: 4}
	srv, b := setup(t, func(o *Options) {
		o.Limits.ReceiptsEvery, o.Limits.AdjustmentsEvery, o.Limits.OtherSalesEvery = "1m", "2m", "3m"
		o.Limits.MassUpdateAt, o.Limits.MassUpdateSKUs = "6m", 4
	})
	start := b.clock.Now()
	for range 10 {
		require.NoError(t, b.clock.BlockUntil(t.Context(), 1), "the loop waits on its next move")
		b.clock.Advance(time.Minute)
	}
	// The moves of the first 9 minutes (those of the 10th may still be on their way):
	// 9 receipts, 4 adjustments, 3 other sales, 4 items mass-updated at 2 locations, less
	// the decreases of a location already at zero.
	cat := srv.Catalog()
	want := OwnMoves(7, len(cat.Items), len(cat.Locations), sch, 9*time.Minute)
	require.Len(t, want, 24)
	var got []StockMove
	require.Eventually(t, func() bool {
		all, _ := srv.StockMoves()
		got = got[:0]
		for _, m := range all {
			if m.At.Sub(start) <= 9*time.Minute {
				got = append(got, m)
			}
		}
		return len(all) > len(got) // a move after the 9th minute: the 9th is complete
	}, 5*time.Second, 5*time.Millisecond)
	// The server records a move that changed something: a decrease of a location
	// already at zero leaves no trace.
	index := cat.Index()
	j := 0
	for i, w := range want {
		if j < len(got) {
			g := got[j]
			if g.Reason == w.Reason && index[g.SKU] == w.Item && g.Location == w.Location && g.At.Sub(start) == w.At {
				if g.OnHand > 0 { // not clamped at zero
					assert.Equal(t, w.Delta, g.Delta, "move %d", i)
				}
				j++
				continue
			}
		}
		assert.LessOrEqual(t, w.Delta, int64(0), "move %d (%+v) is not in the server's record: only a change of nothing (a zero, or a decrease clamped at zero) may be missing", i, w)
	}
	assert.Equal(t, len(got), j, "every move the server made was replayed")
}
