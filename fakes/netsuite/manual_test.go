package netsuite

import (
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/ledger"
)

// Changes made by hand show in the records, in SuiteQL and in the ledger, marked manual.
func TestManualChanges(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	first := b.createOrder(t, b.orderBody("5001", 3))
	second := b.createOrder(t, b.orderBody("5002", 1))
	id := func(s string) int64 {
		n, err := strconv.ParseInt(s, 10, 64)
		require.NoError(t, err)
		return n
	}

	gone, err := srv.DeleteSalesOrder(id(first))
	require.NoError(t, err)
	require.Equal(t, "5001", gone.NaturalKey)
	changed, err := srv.SetSalesOrderTotal(id(second), 4321)
	require.NoError(t, err)
	require.Equal(t, int64(4321), changed.TotalCents)
	added, err := srv.AddSalesOrder(ManualSalesOrder{ExternalID: "x-1", TranDate: "2026-11-27", TotalCents: 1234})
	require.NoError(t, err)
	require.Equal(t, StatusPendingFulfillment, added.Status)

	_, err = srv.DeleteSalesOrder(id(first))
	require.ErrorIs(t, err, ErrNoSalesOrder)
	_, err = srv.SetSalesOrderTotal(1, 1)
	require.ErrorIs(t, err, ErrNoSalesOrder)
	_, err = srv.AddSalesOrder(ManualSalesOrder{ExternalID: "x-1", TranDate: "2026-11-27"})
	require.ErrorContains(t, err, `external id "x-1" is taken`)
	_, err = srv.AddSalesOrder(ManualSalesOrder{TranDate: "27/11/2026"})
	require.ErrorContains(t, err, `tranDate "27/11/2026"`)

	res := b.suiteql(t, "SELECT id, externalid, foreigntotal, TO_CHAR(trandate, 'YYYY-MM-DD') AS d FROM transaction WHERE type = 'SalesOrd' ORDER BY id", "").suiteql(t)
	require.Equal(t, 2, res.Count)
	require.Equal(t, second, res.Items[0]["id"])
	require.Equal(t, "43.21", res.Items[0]["foreigntotal"])
	require.Equal(t, "x-1", res.Items[1]["externalid"])
	require.Equal(t, "2026-11-27", res.Items[1]["d"])

	manual := 0
	for _, e := range srv.Ledger().Effects(RecordSalesOrder) {
		if strings.Contains(string(e.Detail), `"source":"manual"`) {
			manual++
			require.Contains(t, []string{ledger.Deleted, ledger.Updated, ledger.Created}, e.Action)
		}
	}
	require.Equal(t, 3, manual)
}
