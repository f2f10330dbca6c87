package hubspot

import (
	"fmt"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func upsertInput(idProperty, id string, props map[string]any) map[string]any {
	return map[string]any{"idProperty": idProperty, "id": id, "properties": props}
}

func TestBatchUpsertByEmailCreatesThenUpdates(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.setupIntegration(t)
	existing := b.create(t, map[string]any{"email": "old@example.com", "firstname": "Old"})
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{
		upsertInput("email", "NEW@example.com", map[string]any{"firstname": "New", "orders_count": "1"}),
		upsertInput("email", "Old@Example.com", map[string]any{"firstname": "Older", "email": "ignored@example.com"}),
	}})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var resp batchResponse
	r.decode(t, &resp)
	assert.Equal(t, "COMPLETE", resp.Status)
	assert.Equal(t, "2026-11-27T14:00:00.000Z", resp.StartedAt)
	assert.Equal(t, "2026-11-27T14:00:00.000Z", resp.CompletedAt)
	assert.Zero(t, resp.NumErrors)
	require.Len(t, resp.Results, 2)
	assert.True(t, *resp.Results[0].New)
	assert.Equal(t, "new@example.com", *resp.Results[0].Properties["email"])
	assert.False(t, *resp.Results[1].New)
	assert.Equal(t, existing, resp.Results[1].ID)
	assert.Equal(t, "Older", *resp.Results[1].Properties["firstname"])
	assert.Equal(t, "old@example.com", *resp.Results[1].Properties["email"], "the id property keeps the value the input is upserted by")
	assert.Contains(t, string(r.body), `"new":true`)

	counts := b.srv.Ledger().Counts(RecordContact)
	assert.Equal(t, int64(2), counts.Created)
	assert.Equal(t, int64(1), counts.Updated)
	assert.Equal(t, int64(1), counts.CreateAttemptsByNaturalKey["new@example.com"], "an upsert that inserts is a create attempt")
	assert.Equal(t, int64(1), counts.CreateAttemptsByNaturalKey["old@example.com"], "one from the POST; the updating upsert is not an attempt")
}

func TestBatchUpsertByUniquePropertyAndPartialFailure(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.setupIntegration(t)
	taken := b.create(t, map[string]any{"email": "taken@example.com"})
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{
		upsertInput("shopify_customer_id", "7001", map[string]any{"email": "a@example.com", "shopify_segments": "vip"}),
		upsertInput("shopify_customer_id", "7002", map[string]any{"email": "taken@example.com"}),
		upsertInput("shopify_customer_id", "7003", map[string]any{"shopify_segments": "platinum"}),
	}})
	require.Equal(t, http.StatusMultiStatus, r.status, "body: %s", r.body)
	var resp batchResponse
	r.decode(t, &resp)
	assert.Equal(t, "COMPLETE", resp.Status)
	require.Len(t, resp.Results, 1)
	assert.Equal(t, "7001", *resp.Results[0].Properties["shopify_customer_id"])
	assert.Equal(t, 2, resp.NumErrors)
	require.Len(t, resp.Errors, 2)
	assert.Equal(t, BatchError{Status: "error", Category: CategoryConflict, Message: "Contact already exists. Existing ID: " + taken,
		Context: map[string][]string{"ids": {"7002"}}}, resp.Errors[0])
	assert.Equal(t, CategoryValidation, resp.Errors[1].Category)
	assert.Contains(t, resp.Errors[1].Message, "platinum was not one of the allowed options")
	assert.Equal(t, []string{"7003"}, resp.Errors[1].Context["ids"])
	assert.Equal(t, "INVALID_OPTION", resp.Errors[1].Errors[0].Code)
}

func TestBatchLimitsAndDuplicateIDs(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var inputs []any
	for i := range 101 {
		inputs = append(inputs, upsertInput("email", fmt.Sprintf("c%d@example.com", i), map[string]any{}))
	}
	for _, op := range []string{"read", "create", "update", "upsert", "archive"} {
		r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/"+op, map[string]any{"inputs": inputs})
		assert.Equal(t, http.StatusBadRequest, r.status, op)
		e := r.json(t)
		assert.Equal(t, CategoryValidation, e["category"], op)
		assert.Contains(t, e["message"], "at most 100", op)
		assert.NotEmpty(t, e["correlationId"], op)
	}
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": inputs[:100]})
	assert.Equal(t, http.StatusOK, r.status, "exactly 100 inputs are fine")
	assert.Equal(t, 100, b.srv.ContactCount())

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{
		upsertInput("email", "dup@example.com", nil), upsertInput("email", "DUP@example.com", nil),
	}})
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, "Duplicate IDs found in batch input: [DUP@example.com]. IDs must be unique", r.json(t)["message"])
	assert.Empty(t, b.srv.ContactsByEmail("dup@example.com"), "nothing of the batch happened")

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{map[string]any{"id": "x@example.com"}}})
	assert.Equal(t, http.StatusBadRequest, r.status, "an upsert input needs an idProperty")
	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/upsert", map[string]any{"inputs": []any{upsertInput("firstname", "Ada", nil)}})
	assert.Equal(t, http.StatusBadRequest, r.status, "only unique properties identify contacts")
}

func TestBatchReadByIDAndIDProperty(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.create(t, map[string]any{"email": "a@example.com", "shopify_customer_id": "1"})
	c := b.create(t, map[string]any{"email": "c@example.com", "shopify_customer_id": "3"})

	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/read", map[string]any{
		"inputs": []any{map[string]any{"id": a}, map[string]any{"id": c}}, "properties": []string{"shopify_customer_id"},
	})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var resp batchResponse
	r.decode(t, &resp)
	require.Len(t, resp.Results, 2)
	assert.Equal(t, "3", *resp.Results[1].Properties["shopify_customer_id"])
	assert.NotContains(t, resp.Results[1].Properties, "email")

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/read", map[string]any{
		"idProperty": "email", "inputs": []any{map[string]any{"id": "A@example.com"}, map[string]any{"id": "b@example.com"}},
	})
	require.Equal(t, http.StatusMultiStatus, r.status, "body: %s", r.body)
	resp = batchResponse{}
	r.decode(t, &resp)
	require.Len(t, resp.Results, 1)
	assert.Equal(t, a, resp.Results[0].ID)
	assert.Equal(t, 1, resp.NumErrors)
	assert.Equal(t, BatchError{Status: "error", Category: CategoryObjectNotFound, Message: msgCouldNotGet,
		Context: map[string][]string{"ids": {"b@example.com"}}}, resp.Errors[0])

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/read", map[string]any{"idProperty": "shopify_customer_id", "inputs": []any{map[string]any{"id": 3}}})
	require.Equal(t, http.StatusOK, r.status, "a numeric id is read as its text: %s", r.body)
}

// Without objectWriteTraceIds a batch create is all or nothing; with one on every input
// the valid ones are created and the others reported, 207.
func TestBatchCreateAllOrNothingAndMultiStatus(t *testing.T) {
	t.Parallel()
	b := setup(t)
	existing := b.create(t, map[string]any{"email": "taken@example.com"})
	in := func(email, trace string) map[string]any {
		m := map[string]any{"properties": map[string]any{"email": email}}
		if trace != "" {
			m["objectWriteTraceId"] = trace
		}
		return m
	}

	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": []any{in("a@example.com", ""), in("TAKEN@example.com", "")}})
	require.Equal(t, http.StatusConflict, r.status, "body: %s", r.body)
	assert.Equal(t, "Contact already exists. Existing ID: "+existing, r.json(t)["message"])
	assert.Equal(t, 1, b.srv.ContactCount(), "nothing of the batch was created")
	counts := b.srv.Ledger().Counts(RecordContact)
	assert.Equal(t, int64(1), counts.CreateAttemptsByNaturalKey["a@example.com"], "every input of a refused batch is a refused attempt")

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": []any{in("x@example.com", ""), in("X@example.com", "")}})
	assert.Equal(t, http.StatusBadRequest, r.status, "two inputs with one email")
	assert.Equal(t, 1, b.srv.ContactCount())

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": []any{in("a@example.com", "t1"), in("taken@example.com", "t2"), in("bad", "t3")}})
	require.Equal(t, http.StatusMultiStatus, r.status, "body: %s", r.body)
	var resp batchResponse
	r.decode(t, &resp)
	require.Len(t, resp.Results, 1)
	assert.Equal(t, "t1", resp.Results[0].ObjectWriteTraceID)
	require.Len(t, resp.Errors, 2)
	assert.Equal(t, CategoryConflict, resp.Errors[0].Category)
	assert.Equal(t, []string{"t2"}, resp.Errors[0].Context["objectWriteTraceId"])
	assert.Equal(t, CategoryValidation, resp.Errors[1].Category)
	assert.Equal(t, []string{"t3"}, resp.Errors[1].Context["objectWriteTraceId"])

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/create", map[string]any{"inputs": []any{in("n1@example.com", ""), in("n2@example.com", "")}})
	require.Equal(t, http.StatusCreated, r.status)
	assert.Equal(t, 4, b.srv.ContactCount())
}

func TestBatchUpdateAndArchive(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.create(t, map[string]any{"email": "a@example.com"})
	c := b.create(t, map[string]any{"email": "c@example.com"})
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": a, "properties": map[string]any{"firstname": "A"}},
		map[string]any{"id": "999", "properties": map[string]any{"firstname": "X"}, "objectWriteTraceId": "t9"},
		map[string]any{"id": "c@example.com", "idProperty": "email", "properties": map[string]any{"firstname": "C"}},
	}})
	require.Equal(t, http.StatusMultiStatus, r.status, "body: %s", r.body)
	var resp batchResponse
	r.decode(t, &resp)
	require.Len(t, resp.Results, 2)
	assert.Equal(t, c, resp.Results[1].ID)
	require.Len(t, resp.Errors, 1)
	assert.Equal(t, BatchError{Status: "error", Category: CategoryObjectNotFound, Message: msgCouldNotGet,
		Context: map[string][]string{"ids": {"999"}, "objectWriteTraceId": {"t9"}}}, resp.Errors[0])

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": []any{
		map[string]any{"id": a, "properties": map[string]any{}}, map[string]any{"id": a, "properties": map[string]any{}},
	}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.json(t)["message"], "Duplicate IDs found in batch input: ["+a+"]")

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/update", map[string]any{"inputs": []any{map[string]any{"id": a, "properties": map[string]any{"firstname": "AA"}}}})
	assert.Equal(t, http.StatusOK, r.status)

	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/batch/archive", map[string]any{"inputs": []any{map[string]any{"id": a}, map[string]any{"id": "999"}}})
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Equal(t, 1, b.srv.ContactCount())
}
