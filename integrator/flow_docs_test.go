package integrator_test

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/shopify/flow"
	"github.com/peakready/peakready/integrator/ingress"
	"github.com/peakready/peakready/integrator/queue"
)

// takeQueue keeps what it is given.
type takeQueue struct{ msgs []queue.Message }

func (q *takeQueue) Enqueue(_ context.Context, m queue.Message, _ ...queue.EnqueueOption) (queue.EnqueueResult, error) {
	q.msgs = append(q.msgs, m)
	return queue.EnqueueResult{ID: m.ID}, nil
}

// fenced returns the first fenced block of kind in section.
func fenced(t *testing.T, section, kind string) string {
	t.Helper()
	_, rest, ok := strings.Cut(section, "\n```"+kind+"\n")
	require.True(t, ok, "the section has a ```%s block", kind)
	block, _, ok := strings.Cut(rest, "\n```\n")
	require.True(t, ok)
	return block
}

// The copy-paste workflow of docs/integrator.md is a valid Flow workflow whose request,
// rendered by the fake Flow engine, the Flow handler takes with the documented secret;
// the Liquid body shown for the Shopify admin is the same template.
func TestDocumentedFlowWorkflowIsAccepted(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../docs/integrator.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n## Shopify Flow: low stock\n")
	require.True(t, ok, "docs/integrator.md has the Flow section")
	section, _, _ = strings.Cut(section, "\n## ")

	ws, err := flow.ParseWorkflows([]byte(fenced(t, section, "json")))
	require.NoError(t, err)
	require.Len(t, ws, 1)
	assert.Equal(t, fenced(t, section, "liquid"), ws[0].Action.Body, "the admin's body and the fake's are one template")

	eng, err := flow.New(flow.Config{Workflows: ws}, "peakready-demo.myshopify.com", nil, nil)
	require.NoError(t, err)
	var call *flow.Call
	eng.Trigger(flow.Event{EventID: "e1", Inventory: &flow.InventoryChange{ProductID: 632910392, VariantID: 808950810,
		InventoryItemID: 39072856, SKU: "AB1234-001", Prior: 12, Current: 3}}, func(c *flow.Call) bool { call = c; return true })
	require.NotNil(t, call, "3 is below the documented threshold")
	req, _, ok := call.Request()
	require.True(t, ok)
	assert.Equal(t, "/shopify/flow/inventory-low", req.URL.Path)

	q := &takeQueue{}
	h, err := ingress.NewFlowInventoryLow(ingress.FlowConfig{Secret: []byte("REPLACE-WITH-YOUR-FLOW-SECRET")}, q)
	require.NoError(t, err)
	w := httptest.NewRecorder()
	h.ServeHTTP(w, req)
	require.Equal(t, http.StatusOK, w.Code, w.Body.String())
	require.Len(t, q.msgs, 1)
	var in ingress.InventoryLow
	require.NoError(t, json.Unmarshal(q.msgs[0].Payload, &in))
	assert.Equal(t, "AB1234-001", in.SKU)
	assert.Equal(t, int64(3), *in.Quantity)
	assert.Equal(t, ingress.FlowID("808950810"), in.VariantID)
	assert.Equal(t, ingress.FlowID("39072856"), in.InventoryItemID)
}
