package shopify_test

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/shopify"
)

// costs records the requestedQueryCost of every GraphQL answer.
type costs struct {
	next http.RoundTripper
	seen []int
}

func (c *costs) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := c.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var g struct {
		Extensions struct {
			Cost struct {
				RequestedQueryCost int `json:"requestedQueryCost"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	if json.Unmarshal(b, &g) == nil {
		c.seen = append(c.seen, g.Extensions.Cost.RequestedQueryCost)
	}
	return resp, nil
}

// Sales pages through the orders created in a window, with their totals, cancellations
// and refunds, and asks the cost Shopify charges (so the cost bucket's estimate holds).
func TestSalesListsTheOrdersCreatedInAWindow(t *testing.T) {
	t.Parallel()
	fake, err := fakeshopify.New(fakeshopify.Options{Seed: 3, CatalogSize: 20, Locations: 1, AccessToken: "shpat_sales"})
	require.NoError(t, err)
	url := fakehttptest.Start(t, fake)
	from := time.Now().Add(-time.Second)
	var ids []int64
	for i := range 103 {
		ch, err := fake.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: fake.Store().Catalog().Items[i%20].SKU, Quantity: 1}}})
		require.NoError(t, err)
		ids = append(ids, ch.Orders[0])
	}
	_, err = fake.Store().CancelOrder(ids[1], "customer", true)
	require.NoError(t, err)
	to := time.Now().Add(time.Second)

	rec := &costs{next: http.DefaultTransport}
	c, err := shopify.New(url, "shpat_sales", "", nil, &http.Client{Transport: rec, Timeout: 10 * time.Second})
	require.NoError(t, err)
	var all []shopify.Sale
	after, pages := "", 0
	for {
		page, next, err := c.Sales(context.Background(), from, to, after)
		require.NoError(t, err)
		all, pages = append(all, page...), pages+1
		if next == "" {
			break
		}
		after = next
	}
	require.Equal(t, 2, pages)
	require.Len(t, all, len(ids))
	for _, cost := range rec.seen {
		require.Equal(t, 56, cost, "the client's estimate is the query's requested cost")
	}
	got := map[int64]shopify.Sale{}
	for _, s := range all {
		got[s.ID] = s
	}
	truth, ok := fake.Store().OrderTruth(ids[0])
	require.True(t, ok)
	want, err := shopify.Cents(truth.Latest.Total)
	require.NoError(t, err)
	require.Equal(t, want, got[ids[0]].TotalCents)
	require.Equal(t, "PAID", got[ids[0]].FinancialStatus)
	require.False(t, got[ids[0]].Cancelled)
	require.NotEmpty(t, got[ids[0]].Name)
	require.True(t, got[ids[1]].Cancelled)
	require.Equal(t, "REFUNDED", got[ids[1]].FinancialStatus)
	require.Positive(t, got[ids[1]].RefundedCents)

	none, next, err := c.Sales(context.Background(), to, to.Add(time.Hour), "")
	require.NoError(t, err)
	require.Empty(t, none)
	require.Empty(t, next)
}

func TestCents(t *testing.T) {
	t.Parallel()
	for in, want := range map[string]int64{"19.99": 1999, "19.9": 1990, "12": 1200, "-3.25": -325, "0.145": 15, " 7.10 ": 710} {
		got, err := shopify.Cents(in)
		require.NoError(t, err, in)
		require.Equal(t, want, got, in)
	}
	for _, in := range []string{"", "ten", "NaN", "1e20", "1.2.3", "-", ".5", "9999999999999999"} {
		_, err := shopify.Cents(in)
		require.Error(t, err, in)
	}
}
