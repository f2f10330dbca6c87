package netsuite

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lineSummary reads the item sublist of a sales order as "line:SKU*qty@rate" entries.
func (b *bundle) lineSummary(t *testing.T, id string) []string {
	t.Helper()
	r := b.do(t, http.MethodGet, soPath+"/"+id+"?expandSubResources=true", nil)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var out []string
	for _, l := range r.json(t)["item"].(map[string]any)["items"].([]any) {
		m := l.(map[string]any)
		out = append(out, itoa(int64(m["line"].(float64)))+":"+m["item"].(map[string]any)["refName"].(string)+
			"*"+itoa(int64(m["quantity"].(float64)))+"@"+itoa(int64(m["rate"].(float64))))
	}
	return out
}

func itemLine(sku string, qty, rate int) map[string]any {
	return map[string]any{"item": map[string]any{"externalId": sku}, "quantity": qty, "rate": rate}
}

// An update appends the lines it sends to a sublist (NetSuite's "Updating a Sublist");
// a line naming an existing "line" updates it; ?replace=item replaces the sublist.
func TestUpdateMergesOrReplacesTheItemSublist(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	a, _ := b.sku(0)
	c, _ := b.sku(1)
	body := b.orderBody("5001", 1)
	body["item"] = map[string]any{"items": []any{itemLine(a, 1, 10), itemLine(c, 2, 20)}}
	r := b.do(t, http.MethodPut, soPath+"/eid:5001", body)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	id := "10001"
	require.Equal(t, []string{"1:" + a + "*1@10", "2:" + c + "*2@20"}, b.lineSummary(t, id))

	// The same lines again, as an integrator that re-sends an edited order does: NetSuite
	// appends them, and the order holds every line twice.
	r = b.do(t, http.MethodPut, soPath+"/eid:5001", body)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, b.url+soPath+"/"+id, r.header.Get("Location"))
	assert.Equal(t, []string{"1:" + a + "*1@10", "2:" + c + "*2@20", "3:" + a + "*1@10", "4:" + c + "*2@20"}, b.lineSummary(t, id))
	so := b.do(t, http.MethodGet, soPath+"/"+id, nil).json(t)
	assert.Equal(t, 100.0, so["subtotal"], "the duplicated lines are billed")

	// A keyed line updates in place; fields it omits keep their values.
	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"item": map[string]any{"items": []any{map[string]any{"line": 2, "quantity": 5}}}})
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, []string{"1:" + a + "*1@10", "2:" + c + "*5@20", "3:" + a + "*1@10", "4:" + c + "*2@20"}, b.lineSummary(t, id))

	// replace=item: keyed lines are kept (and updated), the others removed, new ones added
	// with numbers never used before.
	r = b.do(t, http.MethodPatch, soPath+"/"+id+"?replace=item", map[string]any{"item": map[string]any{"items": []any{
		map[string]any{"line": 1, "rate": 12}, itemLine(c, 3, 20),
	}}})
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, []string{"1:" + a + "*1@12", "5:" + c + "*3@20"}, b.lineSummary(t, id))

	// The commitment follows the lines.
	_, cID := b.sku(1)
	assert.Equal(t, 3.0, num(b.stockOf(t, cID, 0)["quantityCommitted"]))

	// A PUT with replace=item makes the order exactly what was sent.
	r = b.do(t, http.MethodPut, soPath+"/eid:5001?replace=item", body)
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, []string{"6:" + a + "*1@10", "7:" + c + "*2@20"}, b.lineSummary(t, id))
}

func TestItemSublistKnobsAndErrors(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	a, _ := b.sku(0)
	id := b.createOrder(t, b.orderBody("5001", 1))

	r := b.do(t, http.MethodPatch, soPath+"/"+id+"?replace=items", map[string]any{"memo": "x"})
	require.Equal(t, http.StatusBadRequest, r.status)
	e := r.errorBody(t).Details[0]
	assert.Equal(t, CodeInvalidParameter, e.Code)
	assert.Equal(t, "replace", e.QueryParam)

	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"item": map[string]any{"items": []any{map[string]any{"line": 9, "quantity": 2}}}})
	require.Equal(t, http.StatusBadRequest, r.status, "an unknown line is a new line, which needs an item")
	assert.Equal(t, "item.items[0].item", r.errorBody(t).Details[0].Path)

	// item_line_key none: a sent "line" is ignored; every sent line is added.
	l := srv.Limits()
	l.ItemLineKey = "none"
	require.NoError(t, srv.SetLimits(l))
	line := itemLine(a, 4, 10)
	line["line"] = 1
	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"item": map[string]any{"items": []any{line}}})
	require.Equal(t, http.StatusNoContent, r.status, "body: %s", r.body)
	assert.Equal(t, []string{"1:" + a + "*1@10", "2:" + a + "*4@10"}, b.lineSummary(t, id))
}

func TestSalesOrderWithoutEntity(t *testing.T) {
	t.Parallel()
	srv, b := setup(t)
	body := b.orderBody("5001", 1)
	delete(body, "entity")
	r := b.do(t, http.MethodPut, soPath+"/eid:5001", body)
	require.Equal(t, http.StatusBadRequest, r.status)
	d := r.errorBody(t).Details[0]
	assert.Equal(t, CodeUserError, d.Code)
	assert.Equal(t, "entity", d.Path)
	assert.Equal(t, "Please enter value(s) for: Customer.", d.Detail)
	assert.Equal(t, int64(1), srv.Ledger().Counts(RecordSalesOrder).CreateAttemptsByNaturalKey["5001"], "a refused create is an attempt")

	l := srv.Limits()
	l.MissingEntity = "default-customer"
	require.NoError(t, srv.SetLimits(l))
	id := b.createOrder(t, body)
	so := b.do(t, http.MethodGet, soPath+"/"+id, nil).json(t)
	assert.Equal(t, DefaultCustomerID, so["entity"].(map[string]any)["id"])

	// An update never needs the entity again.
	r = b.do(t, http.MethodPatch, soPath+"/"+id, map[string]any{"memo": "x"})
	require.Equal(t, http.StatusNoContent, r.status)
}
