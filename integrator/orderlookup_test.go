package integrator

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/shopify"
)

func lookupAnswering(t *testing.T, body string) shopifyLookup {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_, _ = io.WriteString(w, body)
	}))
	t.Cleanup(srv.Close)
	c, err := shopify.New(srv.URL, "shpat_x", "", nil, nil)
	require.NoError(t, err)
	return shopifyLookup{client: c}
}

func TestShopifyLookupGivesTheFlowWhatShopifySaid(t *testing.T) {
	t.Parallel()
	l := lookupAnswering(t, `{"data":{"order":{"id":"gid://shopify/Order/5",
"risk":{"recommendation":"INVESTIGATE","assessments":[{"riskLevel":"LOW"},{"riskLevel":"HIGH"}]},
"transactions":[{"id":"gid://shopify/OrderTransaction/1","kind":"SALE","status":"SUCCESS","gateway":"shopify_payments","authorizationCode":"ch_1"},
{"id":"gid://shopify/OrderTransaction/2","kind":"REFUND","status":"PENDING","gateway":"manual","authorizationCode":""}]}}}`)
	d, err := l.OrderDetails(context.Background(), 5)
	require.NoError(t, err)
	assert.Equal(t, flows.OrderDetails{RiskLevel: "HIGH", Recommendation: "INVESTIGATE", Transactions: []flows.Transaction{
		{ID: "gid://shopify/OrderTransaction/1", Kind: "SALE", Status: "SUCCESS", Gateway: "shopify_payments", AuthorizationCode: "ch_1"},
		{ID: "gid://shopify/OrderTransaction/2", Kind: "REFUND", Status: "PENDING", Gateway: "manual"},
	}}, d)

	none, err := lookupAnswering(t, `{"data":{"order":{"id":"gid://shopify/Order/6","risk":null,"transactions":[]}}}`).OrderDetails(context.Background(), 6)
	require.NoError(t, err)
	assert.Equal(t, flows.OrderDetails{}, none, "no risk and no transactions stay empty")
}

// The queue dead-letters a permanent failure only if the adapter passes the client's
// error through with its classification.
func TestShopifyLookupKeepsTheClientsClassification(t *testing.T) {
	t.Parallel()
	_, err := lookupAnswering(t, `{"data":{"order":null}}`).OrderDetails(context.Background(), 5)
	require.Error(t, err)
	var p interface{ Permanent() bool }
	require.True(t, errors.As(err, &p))
	assert.True(t, p.Permanent())
	var e *shopify.Error
	require.True(t, errors.As(err, &e))
	assert.Equal(t, "NOT_FOUND", e.Code)
}
