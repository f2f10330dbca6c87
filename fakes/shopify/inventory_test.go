package shopify

import (
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/shopify/store"
)

type invFixture struct {
	s        *Server
	b        *testBundle
	item     string // inventory item gid
	location string
	sku      string
	start    int // available at the start
}

func inventoryFixture(t *testing.T) invFixture {
	t.Helper()
	s, b := setup(t, Options{})
	v, _ := s.Store().VariantAt(0)
	loc := s.Store().Locations()[0]
	return invFixture{s: s, b: b, item: store.GID("InventoryItem", v.InventoryItemID), location: store.GID("Location", loc.ID),
		sku: v.SKU, start: v.Levels[0].Available}
}

func (f invFixture) available(t *testing.T) int {
	t.Helper()
	v, ok := f.s.Store().VariantBySKU(f.sku)
	require.True(t, ok)
	return v.Levels[0].Available
}

const setMutation = `mutation set($input: InventorySetQuantitiesInput!) {
  inventorySetQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}`

const adjustMutation = `mutation adjust($input: InventoryAdjustQuantitiesInput!) {
  inventoryAdjustQuantities(input: $input) {
    inventoryAdjustmentGroup { reason changes { name delta quantityAfterChange } }
    userErrors { field message code }
  }
}`

type invPayload struct {
	Group *struct {
		Reason  string `json:"reason"`
		Changes []struct {
			Name  string `json:"name"`
			Delta int    `json:"delta"`
			After int    `json:"quantityAfterChange"`
		} `json:"changes"`
	} `json:"inventoryAdjustmentGroup"`
	UserErrors []struct {
		Field   []string `json:"field"`
		Message string   `json:"message"`
		Code    string   `json:"code"`
	} `json:"userErrors"`
}

func payloadOf(t *testing.T, r response, field string) invPayload {
	t.Helper()
	var data map[string]invPayload
	dataOf(t, r, &data)
	return data[field]
}

func codes(p invPayload) []string {
	var out []string
	for _, e := range p.UserErrors {
		out = append(out, e.Code)
	}
	return out
}

func (f invFixture) quantity(q int, extra map[string]any) map[string]any {
	m := map[string]any{"inventoryItemId": f.item, "locationId": f.location, "quantity": q}
	for k, v := range extra {
		m[k] = v
	}
	return m
}

func setInput(quantities ...map[string]any) map[string]any {
	list := make([]any, len(quantities))
	for i, q := range quantities {
		list[i] = q
	}
	return map[string]any{"input": map[string]any{"name": "available", "reason": "correction", "quantities": list}}
}

// Up to 2025-10: compareQuantity is required unless ignoreCompareQuantity; a stale one
// writes nothing; changeFromQuantity and @idempotent do not exist.
func TestSetQuantitiesLegacyCompareQuantity(t *testing.T) {
	t.Parallel()
	f := inventoryFixture(t)
	r := gqlAt(t, f.b, "2025-01", setMutation, setInput(f.quantity(10, nil)))
	p := payloadOf(t, r, "inventorySetQuantities")
	assert.Nil(t, p.Group)
	assert.Equal(t, []string{"COMPARE_QUANTITY_REQUIRED"}, codes(p))
	assert.Equal(t, []string{"input", "quantities", "0", "compareQuantity"}, p.UserErrors[0].Field)

	r = gqlAt(t, f.b, "2025-01", setMutation, setInput(f.quantity(10, map[string]any{"compareQuantity": f.start + 1})))
	p = payloadOf(t, r, "inventorySetQuantities")
	assert.Equal(t, []string{"COMPARE_QUANTITY_STALE"}, codes(p))
	assert.Equal(t, f.start, f.available(t), "a stale compare writes nothing")

	r = gqlAt(t, f.b, "2025-01", setMutation, setInput(f.quantity(10, map[string]any{"compareQuantity": f.start})))
	p = payloadOf(t, r, "inventorySetQuantities")
	require.Empty(t, p.UserErrors)
	assert.Equal(t, "available", p.Group.Changes[0].Name)
	assert.Equal(t, 10-f.start, p.Group.Changes[0].Delta)
	assert.Equal(t, "on_hand", p.Group.Changes[1].Name, "setting available moves on_hand too")
	assert.Equal(t, 10, f.available(t))

	in := setInput(f.quantity(12, nil))
	in["input"].(map[string]any)["ignoreCompareQuantity"] = true
	p = payloadOf(t, gqlAt(t, f.b, "2025-01", setMutation, in), "inventorySetQuantities")
	require.Empty(t, p.UserErrors)
	assert.Equal(t, 12, f.available(t))

	r = gqlAt(t, f.b, "2025-01", setMutation, setInput(f.quantity(1, map[string]any{"changeFromQuantity": 12})))
	assert.Contains(t, string(r.body), "changeFromQuantity", "the field does not exist before 2026-01")
	assert.Contains(t, string(r.body), `"errors"`)
	r = gqlAt(t, f.b, "2025-10", `mutation { inventoryAdjustQuantities(input: {name: "available", reason: "correction", changes: []}) @idempotent(key: "k") { userErrors { code } } }`, nil)
	assert.Contains(t, string(r.body), "idempotent", "the directive does not exist before 2026-01")
	assert.Contains(t, string(r.body), "undefinedDirective")
}

// 2026-01: changeFromQuantity (explicit null skips the check) overrides compareQuantity;
// @idempotent is optional.
func TestSetQuantities202601ChangeFromQuantity(t *testing.T) {
	t.Parallel()
	f := inventoryFixture(t)
	p := payloadOf(t, gqlAt(t, f.b, "2026-01", setMutation, setInput(f.quantity(5, map[string]any{"changeFromQuantity": nil}))), "inventorySetQuantities")
	require.Empty(t, p.UserErrors, "explicit null: no check, and no compareQuantity needed")
	assert.Equal(t, 5, f.available(t))

	p = payloadOf(t, gqlAt(t, f.b, "2026-01", setMutation, setInput(f.quantity(6, map[string]any{"changeFromQuantity": 4, "compareQuantity": 5}))), "inventorySetQuantities")
	assert.Equal(t, []string{"CHANGE_FROM_QUANTITY_STALE"}, codes(p), "changeFromQuantity overrides compareQuantity")
	assert.Equal(t, []string{"input", "quantities", "0", "changeFromQuantity"}, p.UserErrors[0].Field)
	assert.Contains(t, p.UserErrors[0].Message, "5")

	p = payloadOf(t, gqlAt(t, f.b, "2026-01", setMutation, setInput(f.quantity(6, map[string]any{"compareQuantity": 5}))), "inventorySetQuantities")
	require.Empty(t, p.UserErrors, "without changeFromQuantity the old rules still apply")
	assert.Equal(t, 6, f.available(t))

	p = payloadOf(t, gqlAt(t, f.b, "2026-01", setMutation, setInput(f.quantity(7, nil))), "inventorySetQuantities")
	assert.Equal(t, []string{"COMPARE_QUANTITY_REQUIRED"}, codes(p))
}

// 2026-04 and later: changeFromQuantity on every quantity (null opts out), compareQuantity
// gone, @idempotent required.
func TestSetQuantities202604Mandatory(t *testing.T) {
	t.Parallel()
	f := inventoryFixture(t)
	withKey := strings.Replace(setMutation, "inventorySetQuantities(input: $input)", `inventorySetQuantities(input: $input) @idempotent(key: $key)`, 1)
	withKey = strings.Replace(withKey, "($input: InventorySetQuantitiesInput!)", "($input: InventorySetQuantitiesInput!, $key: String!)", 1)

	r := gqlAt(t, f.b, "2026-04", setMutation, setInput(f.quantity(3, map[string]any{"changeFromQuantity": f.start})))
	assert.Contains(t, string(r.body), `"IDEMPOTENCY_KEY_REQUIRED"`)
	assert.Contains(t, string(r.body), `"data":{"inventorySetQuantities":null}`)
	assert.Equal(t, f.start, f.available(t))

	vars := setInput(f.quantity(3, nil))
	vars["key"] = "k1"
	r = gqlAt(t, f.b, "2026-04", withKey, vars)
	assert.Contains(t, string(r.body), `"missingRequiredInputObjectAttribute"`)
	assert.Contains(t, string(r.body), `Argument 'changeFromQuantity' on InputObject 'InventoryQuantityInput' is required`)
	assert.Equal(t, f.start, f.available(t), "nothing written")

	vars = setInput(f.quantity(3, map[string]any{"compareQuantity": f.start}))
	vars["key"] = "k2"
	r = gqlAt(t, f.b, "2026-07", withKey, vars)
	assert.Contains(t, string(r.body), "compareQuantity", "compareQuantity was removed")
	assert.Contains(t, string(r.body), `"INVALID_VARIABLE"`)

	vars = setInput(f.quantity(3, map[string]any{"changeFromQuantity": nil}))
	vars["key"] = "k3"
	p := payloadOf(t, gqlAt(t, f.b, "unstable", withKey, vars), "inventorySetQuantities")
	require.Empty(t, p.UserErrors)
	assert.Equal(t, 3, f.available(t))

	// The key failed the first time: the set mutation refuses to reuse it.
	vars = setInput(f.quantity(9, map[string]any{"changeFromQuantity": 100}))
	vars["key"] = "k4"
	p = payloadOf(t, gqlAt(t, f.b, "2026-10", withKey, vars), "inventorySetQuantities")
	assert.Equal(t, []string{"CHANGE_FROM_QUANTITY_STALE"}, codes(p))
	p = payloadOf(t, gqlAt(t, f.b, "2026-10", withKey, vars), "inventorySetQuantities")
	assert.Equal(t, []string{"IDEMPOTENCY_PREVIOUS_ATTEMPT_FAILED"}, codes(p))
}

func adjustInput(f invFixture, delta int, extra map[string]any) map[string]any {
	c := map[string]any{"inventoryItemId": f.item, "locationId": f.location, "delta": delta}
	for k, v := range extra {
		c[k] = v
	}
	return map[string]any{"input": map[string]any{"name": "available", "reason": "received", "changes": []any{c}}}
}

// The point of @idempotent: a retried delta without a key double-counts; with one the
// retry replays the first result and changes nothing.
func TestAdjustRetriesDoubleCountWithoutAKey(t *testing.T) {
	t.Parallel()
	f := inventoryFixture(t)
	for i := 0; i < 2; i++ {
		p := payloadOf(t, gqlAt(t, f.b, "2025-07", adjustMutation, adjustInput(f, 5, nil)), "inventoryAdjustQuantities")
		require.Empty(t, p.UserErrors)
	}
	assert.Equal(t, f.start+10, f.available(t), "a retried delta without a key is applied twice")

	keyed := strings.Replace(adjustMutation, "inventoryAdjustQuantities(input: $input)", `inventoryAdjustQuantities(input: $input) @idempotent(key: "4f5b6ebf-143c-4da5-8d0f-fb8553bfd85d")`, 1)
	first := gqlAt(t, f.b, "2026-01", keyed, adjustInput(f, 5, nil))
	second := gqlAt(t, f.b, "2026-01", keyed, adjustInput(f, 5, nil))
	assert.Equal(t, f.start+15, f.available(t), "the keyed retry was not applied again")
	d1, d2 := payloadOf(t, first, "inventoryAdjustQuantities"), payloadOf(t, second, "inventoryAdjustQuantities")
	require.NotNil(t, d2.Group)
	assert.Equal(t, d1, d2, "the retry returns the original result")

	third := payloadOf(t, gqlAt(t, f.b, "2026-01", keyed, adjustInput(f, 6, nil)), "inventoryAdjustQuantities")
	assert.Equal(t, []string{"IDEMPOTENCY_KEY_PARAMETER_MISMATCH"}, codes(third))
	assert.Equal(t, f.start+15, f.available(t))

	led := f.s.Ledger().Effects(recordInventory)
	var actions []string
	for _, e := range led {
		actions = append(actions, e.Action)
	}
	assert.Equal(t, []string{"adjusted", "adjusted", "adjusted", "replayed", "rejected"}, actions)
	assert.Equal(t, "4f5b6ebf-143c-4da5-8d0f-fb8553bfd85d", led[2].ExternalID, "the ledger keeps the idempotency key")
	assert.Equal(t, "IDEMPOTENCY_KEY_PARAMETER_MISMATCH", led[4].Reason)
}

func TestAdjustCompareAndDocumentRules(t *testing.T) {
	t.Parallel()
	f := inventoryFixture(t)
	keyed := strings.Replace(adjustMutation, "inventoryAdjustQuantities(input: $input)", `inventoryAdjustQuantities(input: $input) @idempotent(key: $key)`, 1)
	keyed = strings.Replace(keyed, "($input: InventoryAdjustQuantitiesInput!)", "($input: InventoryAdjustQuantitiesInput!, $key: String!)", 1)
	n := 0
	adjust := func(version string, in map[string]any) invPayload {
		n++
		in["key"] = "key-" + strconv.Itoa(n)
		return payloadOf(t, gqlAt(t, f.b, version, keyed, in), "inventoryAdjustQuantities")
	}
	p := adjust("2026-04", adjustInput(f, 2, map[string]any{"changeFromQuantity": f.start + 7}))
	assert.Equal(t, []string{"CHANGE_FROM_QUANTITY_STALE"}, codes(p))
	p = adjust("2026-04", adjustInput(f, 2, map[string]any{"changeFromQuantity": f.start}))
	require.Empty(t, p.UserErrors)
	assert.Equal(t, f.start+2, f.available(t))

	p = adjust("2026-04", adjustInput(f, 2, map[string]any{"changeFromQuantity": nil, "ledgerDocumentUri": "gid://erp/Doc/1"}))
	assert.Equal(t, []string{"INVALID_AVAILABLE_DOCUMENT"}, codes(p))
	in := adjustInput(f, 2, map[string]any{"changeFromQuantity": nil})
	in["input"].(map[string]any)["name"] = "damaged"
	p = adjust("2026-04", in)
	assert.Equal(t, []string{"INVALID_QUANTITY_DOCUMENT"}, codes(p))
	in = adjustInput(f, 2, map[string]any{"changeFromQuantity": nil, "ledgerDocumentUri": "gid://erp/Damage/1"})
	in["input"].(map[string]any)["name"] = "damaged"
	p = adjust("2026-04", in)
	require.Empty(t, p.UserErrors)
	assert.Equal(t, []string{"damaged", "on_hand"}, []string{p.Group.Changes[0].Name, p.Group.Changes[1].Name})
	in["input"].(map[string]any)["name"] = "committed"
	p = adjust("2026-04", in)
	assert.Equal(t, []string{"INVALID_QUANTITY_NAME"}, codes(p))
	in = adjustInput(f, 2_000_000_000, map[string]any{"changeFromQuantity": nil})
	p = adjust("2026-04", in)
	assert.Contains(t, codes(p), "INVALID_QUANTITY_TOO_HIGH")
	in = adjustInput(f, 1, map[string]any{"changeFromQuantity": nil})
	in["input"].(map[string]any)["reason"] = "because"
	p = adjust("2026-04", in)
	assert.Equal(t, []string{"INVALID_REASON"}, codes(p))
	in = adjustInput(f, 1, map[string]any{"changeFromQuantity": nil, "inventoryItemId": "gid://shopify/InventoryItem/12"})
	p = adjust("2026-04", in)
	assert.Equal(t, []string{"INVALID_INVENTORY_ITEM"}, codes(p))
	in = adjustInput(f, 1, map[string]any{"changeFromQuantity": nil, "locationId": "gid://shopify/Product/1"})
	p = adjust("2026-04", in)
	assert.Equal(t, []string{"INVALID_LOCATION"}, codes(p))
}

func TestSetQuantitiesValidation(t *testing.T) {
	t.Parallel()
	f := inventoryFixture(t)
	in := setInput(f.quantity(1, map[string]any{"compareQuantity": f.start}), f.quantity(2, map[string]any{"compareQuantity": f.start}))
	p := payloadOf(t, gqlAt(t, f.b, "2025-04", setMutation, in), "inventorySetQuantities")
	assert.Equal(t, []string{"NO_DUPLICATE_INVENTORY_ITEM_ID_GROUP_ID_PAIR"}, codes(p))
	in = setInput(f.quantity(1, map[string]any{"compareQuantity": f.start}))
	in["input"].(map[string]any)["name"] = "committed"
	p = payloadOf(t, gqlAt(t, f.b, "2025-04", setMutation, in), "inventorySetQuantities")
	assert.Equal(t, []string{"INVALID_NAME"}, codes(p))
	assert.Equal(t, []string{"input", "name"}, p.UserErrors[0].Field)
	bad := setInput(map[string]any{"inventoryItemId": "gid://shopify/Order/1", "locationId": "nope", "quantity": 1, "compareQuantity": 0})
	p = payloadOf(t, gqlAt(t, f.b, "2025-04", setMutation, bad), "inventorySetQuantities")
	require.Equal(t, []string{"INVALID_INVENTORY_ITEM", "INVALID_LOCATION"}, codes(p))
	assert.Equal(t, []string{"input", "quantities", "0", "inventoryItemId"}, p.UserErrors[0].Field, "each error keeps its own field")
	assert.Equal(t, []string{"input", "quantities", "0", "locationId"}, p.UserErrors[1].Field)
	many := make([]map[string]any, 251)
	for i := range many {
		many[i] = f.quantity(1, map[string]any{"compareQuantity": 0})
	}
	r := gqlAt(t, f.b, "2025-04", setMutation, setInput(many...))
	assert.Contains(t, string(r.body), "MAX_INPUT_SIZE_EXCEEDED")
	assert.Equal(t, f.start, f.available(t))
}

// A successful change fires inventory_levels/update with Flow's data.
func TestInventoryMutationFiresLevelUpdate(t *testing.T) {
	t.Parallel()
	f := inventoryFixture(t)
	p := payloadOf(t, gqlAt(t, f.b, "2025-01", adjustMutation, adjustInput(f, -3, nil)), "inventoryAdjustQuantities")
	require.Empty(t, p.UserErrors)
	evs := f.b.hooks.all()
	require.Len(t, evs, 1)
	assert.Equal(t, store.TopicInventoryLevelsUpdate, evs[0].Topic)
	require.NotNil(t, evs[0].Inventory)
	assert.Equal(t, f.sku, evs[0].Inventory.SKU)
	assert.Equal(t, evs[0].Inventory.Prior-3, evs[0].Inventory.Current)
	var lvl map[string]any
	require.NoError(t, json.Unmarshal(evs[0].Payload, &lvl))
	assert.EqualValues(t, f.start-3, lvl["available"])
}
