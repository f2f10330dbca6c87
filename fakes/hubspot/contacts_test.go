package hubspot

import (
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/ledger"
)

func TestCreateAnswers201WithTheObject(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{
		"email": "  Ada@Example.COM ", "firstname": "Ada", "shopify_customer_id": "7001",
	}})
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
	assert.Equal(t, "application/json;charset=utf-8", r.header.Get("Content-Type"))
	assert.NotEmpty(t, r.header.Get(headerCorrelationID))
	obj := r.json(t)
	assert.Equal(t, "101", obj["id"])
	assert.Equal(t, false, obj["archived"])
	assert.Equal(t, "2026-11-27T14:00:00.000Z", obj["createdAt"])
	assert.Equal(t, "2026-11-27T14:00:00.000Z", obj["updatedAt"])
	p := props(t, obj)
	assert.Equal(t, "ada@example.com", p["email"], "HubSpot stores email trimmed and lower-cased")
	assert.Equal(t, "Ada", p["firstname"])
	assert.Equal(t, "7001", p["shopify_customer_id"])
	assert.Equal(t, "101", p["hs_object_id"])
	assert.Equal(t, "2026-11-27T14:00:00.000Z", p["createdate"])
	assert.Equal(t, "2026-11-27T14:00:00.000Z", p["lastmodifieddate"])
}

func TestGetByIDByEmailAndByUniqueProperty(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, map[string]any{"email": "ada@example.com", "firstname": "Ada", "shopify_customer_id": "7001"})

	for _, path := range []string{
		"/crm/v3/objects/contacts/" + id,
		"/crm/v3/objects/contacts/ADA%40Example.com?idProperty=email",
		"/crm/v3/objects/contacts/ada@example.com?idProperty=email",
		"/crm/v3/objects/contacts/7001?idProperty=shopify_customer_id",
		"/crm/v3/objects/contacts/" + id + "?idProperty=hs_object_id",
	} {
		r := b.do(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, r.status, "%s: %s", path, r.body)
		obj := r.json(t)
		assert.Equal(t, id, obj["id"], path)
		p := props(t, obj)
		assert.Equal(t, "ada@example.com", p["email"])
		assert.Contains(t, p, "lastname", "the default properties are all there, null when empty")
		assert.Nil(t, p["lastname"])
		assert.NotContains(t, p, "shopify_customer_id", "not a default property")
	}

	r := b.do(t, http.MethodGet, "/crm/v3/objects/contacts/"+id+"?properties=shopify_customer_id,firstname&properties=phone", nil)
	p := props(t, r.json(t))
	assert.Equal(t, map[string]any{
		"shopify_customer_id": "7001", "firstname": "Ada", "phone": nil,
		"createdate": "2026-11-27T14:00:00.000Z", "hs_object_id": id, "lastmodifieddate": "2026-11-27T14:00:00.000Z",
	}, p)

	for _, path := range []string{
		"/crm/v3/objects/contacts/999",
		"/crm/v3/objects/contacts/nobody@example.com?idProperty=email",
		"/crm/v3/objects/contacts/7002?idProperty=shopify_customer_id",
		"/crm/v3/objects/contacts/ada@example.com", // an email without idProperty is not an id
	} {
		r := b.do(t, http.MethodGet, path, nil)
		assert.Equal(t, http.StatusNotFound, r.status, path)
		e := r.json(t)
		assert.Equal(t, "error", e["status"])
		assert.Equal(t, CategoryObjectNotFound, e["category"])
		assert.NotEmpty(t, e["correlationId"])
	}

	r = b.do(t, http.MethodGet, "/crm/v3/objects/contacts/Ada?idProperty=firstname", nil)
	assert.Equal(t, http.StatusBadRequest, r.status, "firstname is not unique, so not an id property")
	assert.Equal(t, CategoryValidation, r.json(t)["category"])
}

func TestUpdateByIDAndByEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, map[string]any{"email": "ada@example.com", "firstname": "Ada"})
	b.clock.Advance(time.Minute)

	r := b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"lastname": "Lovelace"}})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	obj := r.json(t)
	assert.Equal(t, "2026-11-27T14:01:00.000Z", obj["updatedAt"])
	assert.Equal(t, "2026-11-27T14:00:00.000Z", obj["createdAt"])
	assert.Equal(t, "Lovelace", props(t, obj)["lastname"])
	assert.Equal(t, "Ada", props(t, obj)["firstname"], "a PATCH keeps what it does not name")

	r = b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/ADA@example.com?idProperty=email", map[string]any{"properties": map[string]any{"firstname": "", "phone": 5551234}})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	p := props(t, r.json(t))
	assert.NotContains(t, p, "firstname", "an empty string clears a property")
	assert.Equal(t, "5551234", p["phone"], "numbers are read as their text")

	r = b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/nobody@example.com?idProperty=email", map[string]any{"properties": map[string]any{"firstname": "X"}})
	assert.Equal(t, http.StatusNotFound, r.status)

	r = b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"hs_object_id": "5"}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	assert.Contains(t, r.json(t)["message"], "READ_ONLY_VALUE")
}

// Creating a contact whose email exists, in any case and with any spaces around it,
// answers HubSpot's 409, and the ledger counts both attempts under the email.
func TestDuplicateEmailIs409(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, map[string]any{"email": "ada@example.com", "shopify_customer_id": "7001"})
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"email": " ADA@example.com\t"}})
	require.Equal(t, http.StatusConflict, r.status, "body: %s", r.body)
	var e ErrorBody
	r.decode(t, &e)
	assert.Equal(t, "error", e.Status)
	assert.Equal(t, "Contact already exists. Existing ID: "+id, e.Message)
	assert.Equal(t, CategoryConflict, e.Category)
	assert.Regexp(t, regexp.MustCompile(`^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`), e.CorrelationID)
	assert.Equal(t, r.header.Get(headerCorrelationID), e.CorrelationID)
	m := regexp.MustCompile(`Existing ID: (\d+)`).FindStringSubmatch(e.Message)
	require.Len(t, m, 2, "clients parse the id out of the message")

	counts := b.srv.Ledger().Counts(RecordContact)
	assert.Equal(t, int64(2), counts.CreateAttemptsByNaturalKey["ada@example.com"])
	assert.Equal(t, int64(1), counts.RecordsByNaturalKey["ada@example.com"])
	assert.Equal(t, int64(1), counts.Rejected)
	effects := b.srv.Ledger().Effects(RecordContact)
	require.Len(t, effects, 2)
	assert.Equal(t, ledger.Rejected, effects[1].Action)
	assert.Equal(t, CategoryConflict, effects[1].Reason)
	assert.True(t, effects[1].CreateAttempt)
	assert.Equal(t, int64(1), b.srv.LimitStats().Conflicts)
}

func TestDuplicateUniquePropertyIs409AndCategoryKnob(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.ConflictCategory = "OBJECT_ALREADY_EXISTS" })
	id := b.create(t, map[string]any{"email": "ada@example.com", "shopify_customer_id": "7001"})
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"email": "other@example.com", "shopify_customer_id": "7001"}})
	require.Equal(t, http.StatusConflict, r.status)
	assert.Equal(t, "Contact already exists. Existing ID: "+id, r.json(t)["message"])
	assert.Equal(t, CategoryObjectExists, r.json(t)["category"])
	assert.Equal(t, int64(2), b.srv.Ledger().Counts(RecordContact).CreateAttemptsByExternalID["7001"])

	other := b.create(t, map[string]any{"email": "other@example.com"})
	r = b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+other, map[string]any{"properties": map[string]any{"email": "Ada@Example.com"}})
	assert.Equal(t, http.StatusConflict, r.status, "an update cannot take another contact's email")
	r = b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"email": "ADA@example.com"}})
	assert.Equal(t, http.StatusOK, r.status, "a contact keeps its own email in another case")
}

func TestValidationErrorsInHubSpotsShape(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.setupIntegration(t)
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{
		"email": "not-an-email", "nosuch": "x", "shopify_segments": "vip;gold", "orders_count": "many",
	}})
	require.Equal(t, http.StatusBadRequest, r.status)
	var e ErrorBody
	r.decode(t, &e)
	assert.Equal(t, CategoryValidation, e.Category)
	assert.Regexp(t, `^Property values were not valid: \[\{"isValid":false,`, e.Message)
	assert.Contains(t, e.Message, `"error":"INVALID_EMAIL","name":"email"`)
	assert.Contains(t, e.Message, `"message":"Property \"nosuch\" does not exist","error":"PROPERTY_DOESNT_EXIST","name":"nosuch"`)
	assert.Contains(t, e.Message, `gold was not one of the allowed options: [vip, wholesale, newsletter]`)
	assert.Contains(t, e.Message, `"error":"INVALID_NUMBER","name":"orders_count"`)
	codes := map[string]string{}
	for _, d := range e.Errors {
		codes[d.Context["propertyName"][0]] = d.Code
	}
	assert.Equal(t, map[string]string{"email": "INVALID_EMAIL", "nosuch": "PROPERTY_DOESNT_EXIST", "shopify_segments": "INVALID_OPTION", "orders_count": "INVALID_NUMBER"}, codes)
	assert.Equal(t, 0, b.srv.ContactCount())
	eff := b.srv.Ledger().Effects(RecordContact)
	require.Len(t, eff, 1)
	assert.Equal(t, ledger.Rejected, eff[0].Action)
	assert.True(t, eff[0].CreateAttempt)

	for _, c := range []struct{ body, want string }{
		{``, "Invalid input JSON on line 1, column 1: No content to map"},
		{`{"properties":`, "Invalid input JSON"},
		{"{\n  \"properties\": [1]\n}", "Invalid input JSON on line 2, column"},
		{`{"properties":{"email":{"a":1}}}`, "must be a string, a number, a boolean or null"},
		{`{"properties":{}} {}`, "Unexpected content after the JSON object"},
	} {
		r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts", c.body)
		assert.Equal(t, http.StatusBadRequest, r.status, c.body)
		assert.Contains(t, r.json(t)["message"], c.want, c.body)
	}
}

func TestArchiveAndArchivedReads(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.create(t, map[string]any{"email": "ada@example.com", "shopify_customer_id": "7001"})
	r := b.do(t, http.MethodDelete, "/crm/v3/objects/contacts/"+id, nil)
	assert.Equal(t, http.StatusNoContent, r.status)
	assert.Empty(t, r.body)
	assert.Equal(t, http.StatusNotFound, b.do(t, http.MethodGet, "/crm/v3/objects/contacts/"+id, nil).status)
	r = b.do(t, http.MethodGet, "/crm/v3/objects/contacts/"+id+"?archived=true", nil)
	require.Equal(t, http.StatusOK, r.status)
	assert.Equal(t, true, r.json(t)["archived"])
	assert.NotEmpty(t, r.json(t)["archivedAt"])
	assert.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, "/crm/v3/objects/contacts/"+id, nil).status, "archiving again is a no-op")
	assert.Equal(t, http.StatusNoContent, b.do(t, http.MethodDelete, "/crm/v3/objects/contacts/424242", nil).status)

	counts := b.srv.Ledger().Counts(RecordContact)
	assert.Equal(t, int64(1), counts.Deleted)
	assert.Empty(t, counts.RecordsByNaturalKey, "the archived contact left the per-key counts")
	// the email and the unique value are free again
	b.create(t, map[string]any{"email": "ada@example.com", "shopify_customer_id": "7001"})
}

func TestListPages(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var ids []string
	for i := range 5 {
		ids = append(ids, b.create(t, map[string]any{"email": string(rune('a'+i)) + "@example.com"}))
	}
	b.do(t, http.MethodDelete, "/crm/v3/objects/contacts/"+ids[1], nil)

	var got []string
	path := "/crm/v3/objects/contacts?limit=2&properties=email"
	for pages := 0; path != ""; pages++ {
		require.Less(t, pages, 5)
		r := b.do(t, http.MethodGet, path, nil)
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		var page struct {
			Results []objectJSON `json:"results"`
			Paging  *struct {
				Next struct{ After, Link string } `json:"next"`
			} `json:"paging"`
		}
		r.decode(t, &page)
		for _, o := range page.Results {
			got = append(got, o.ID)
			assert.NotNil(t, o.Properties["email"])
		}
		path = ""
		if page.Paging != nil {
			link, err := url.Parse(page.Paging.Next.Link)
			require.NoError(t, err)
			assert.Equal(t, page.Paging.Next.After, link.Query().Get("after"))
			path = "/crm/v3/objects/contacts?limit=2&properties=email&after=" + page.Paging.Next.After
		}
	}
	assert.Equal(t, []string{ids[0], ids[2], ids[3], ids[4]}, got)

	r := b.do(t, http.MethodGet, "/crm/v3/objects/contacts?archived=true", nil)
	var page listPage
	r.decode(t, &page)
	require.Len(t, page.Results, 1)
	assert.Equal(t, ids[1], page.Results[0].ID)

	assert.Equal(t, http.StatusBadRequest, b.do(t, http.MethodGet, "/crm/v3/objects/contacts?limit=101", nil).status)
	assert.Equal(t, http.StatusBadRequest, b.do(t, http.MethodGet, "/crm/v3/objects/contacts?after=x", nil).status)
}

func TestRoutingErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	for _, c := range []struct {
		method, path string
		status       int
	}{
		{http.MethodGet, "/crm/v3/objects/companies", http.StatusNotFound},
		{http.MethodGet, "/crm/v3/objects", http.StatusNotFound},
		{http.MethodGet, "/crm/v4/objects/contacts", http.StatusNotFound},
		{http.MethodGet, "/", http.StatusNotFound},
		{http.MethodPut, "/crm/v3/objects/contacts", http.StatusMethodNotAllowed},
		{http.MethodGet, "/crm/v3/objects/contacts/search", http.StatusMethodNotAllowed},
		{http.MethodGet, "/crm/v3/objects/contacts/batch/read", http.StatusMethodNotAllowed},
		{http.MethodPost, "/crm/v3/objects/contacts/batch/merge", http.StatusNotFound},
		{http.MethodPost, "/crm/v3/objects/contacts/101", http.StatusMethodNotAllowed},
		{http.MethodDelete, "/crm/v3/properties/contacts/email", http.StatusMethodNotAllowed},
	} {
		r := b.do(t, c.method, c.path, nil)
		assert.Equal(t, c.status, r.status, "%s %s: %s", c.method, c.path, r.body)
		e := r.json(t)
		assert.Equal(t, "error", e["status"], "%s %s", c.method, c.path)
		assert.NotEmpty(t, e["category"])
	}
	r := b.do(t, http.MethodGet, "/crm/v3/objects/0-1", nil)
	assert.Equal(t, http.StatusOK, r.status, "0-1 is the contacts object type id")
}

func TestAccessorsSeeWhatTheAPIDid(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.setupIntegration(t)
	id := b.create(t, map[string]any{"email": "Ada@Example.com", "shopify_customer_id": "7001", "lifetime_value": "120.50", "shopify_segments": "vip;newsletter"})
	gone := b.create(t, map[string]any{"email": "gone@example.com"})
	b.do(t, http.MethodDelete, "/crm/v3/objects/contacts/"+gone, nil)

	assert.Equal(t, 1, b.srv.ContactCount())
	cs := b.srv.Contacts()
	require.Len(t, cs, 1)
	c := cs[0]
	assert.Equal(t, id, c.ID)
	assert.Equal(t, "ada@example.com", c.Email)
	assert.Equal(t, "120.50", c.Properties["lifetime_value"])
	assert.Equal(t, "vip;newsletter", c.Properties["shopify_segments"])
	assert.Equal(t, t0, c.CreatedAt)
	assert.Len(t, b.srv.ContactsByEmail(" ADA@example.com"), 1)
	assert.Empty(t, b.srv.ContactsByEmail("gone@example.com"))
	assert.Len(t, b.srv.AllContacts(), 2)
	got, ok := b.srv.ContactByID(gone)
	require.True(t, ok)
	assert.True(t, got.Archived)
	n := 0
	b.srv.EachContact(func(Contact) bool { n++; return false })
	assert.Equal(t, 1, n)
	c.Properties["lifetime_value"] = "0"
	assert.Equal(t, "120.50", b.srv.Contacts()[0].Properties["lifetime_value"], "accessors return copies")

	eff := b.srv.Ledger().Effects(RecordContact)
	assert.JSONEq(t, `{"email":"ada@example.com","lifetime_value":"120.50","shopify_customer_id":"7001","shopify_segments":"vip;newsletter"}`, string(eff[0].Detail))
	assert.Equal(t, "7001", eff[0].ExternalID)
	assert.Equal(t, "ada@example.com", eff[0].NaturalKey)
}

func TestResetForgetsContactsKeepsProperties(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.setupIntegration(t)
	b.create(t, map[string]any{"email": "ada@example.com", "orders_count": 3})
	b.srv.Reset()
	assert.Equal(t, 0, b.srv.ContactCount())
	assert.Equal(t, int64(0), b.srv.DailyUsage().Used)
	id := b.create(t, map[string]any{"email": "ada@example.com", "orders_count": 3})
	assert.Equal(t, "101", id, "ids start again")
}

// Concurrent creates of one email: exactly one is created, the others get the 409.
func TestConcurrentCreatesOfOneEmail(t *testing.T) {
	t.Parallel()
	b := setup(t)
	const n = 16
	codes := make(chan int, n)
	for i := range n {
		go func() {
			body := fmt.Sprintf(`{"properties":{"email":"Race@Example.com","shopify_customer_id":"7001","firstname":"F%d"}}`, i)
			req, _ := http.NewRequest(http.MethodPost, b.url+"/crm/v3/objects/contacts", strings.NewReader(body))
			req.Header.Set("Authorization", "Bearer "+b.token)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				codes <- 0
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		}()
	}
	got := map[int]int{}
	for range n {
		got[<-codes]++
	}
	assert.Equal(t, map[int]int{http.StatusCreated: 1, http.StatusConflict: n - 1}, got)
	assert.Equal(t, 1, b.srv.ContactCount())
	counts := b.srv.Ledger().Counts(RecordContact)
	assert.Equal(t, int64(n), counts.CreateAttemptsByExternalID["7001"])
	assert.Equal(t, int64(1), counts.RecordsByExternalID["7001"])
}
