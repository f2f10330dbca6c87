package hubspot

import (
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPropertiesAPI(t *testing.T) {
	t.Parallel()
	b := setup(t)
	r := b.do(t, http.MethodGet, "/crm/v3/properties/contacts", nil)
	require.Equal(t, http.StatusOK, r.status)
	var list struct{ Results []Property }
	r.decode(t, &list)
	names := map[string]Property{}
	for _, p := range list.Results {
		names[p.Name] = p
	}
	assert.Contains(t, names, "email")
	ext := names["shopify_customer_id"]
	assert.True(t, ext.HasUniqueValue, "the external-id property is there, unique, at start")
	assert.False(t, ext.HubspotDefined)

	r = b.do(t, http.MethodPost, "/crm/v3/properties/contacts", map[string]any{
		"name": "shopify_segments", "label": "Shopify segments", "type": "enumeration", "fieldType": "checkbox", "groupName": "contactinformation",
		"options": []map[string]any{{"label": "VIP", "value": "vip"}, {"label": "Wholesale", "value": "wholesale"}},
	})
	require.Equal(t, http.StatusCreated, r.status, "body: %s", r.body)
	obj := r.json(t)
	assert.Equal(t, "shopify_segments", obj["name"])
	assert.Equal(t, "checkbox", obj["fieldType"])
	assert.Len(t, obj["options"], 2)
	assert.Equal(t, "2026-11-27T14:00:00Z", obj["createdAt"])

	r = b.do(t, http.MethodGet, "/crm/v3/properties/contacts/shopify_segments", nil)
	assert.Equal(t, http.StatusOK, r.status)
	r = b.do(t, http.MethodGet, "/crm/v3/properties/contacts/nosuch", nil)
	assert.Equal(t, http.StatusNotFound, r.status)
	assert.Equal(t, CategoryObjectNotFound, r.json(t)["category"])

	r = b.do(t, http.MethodPost, "/crm/v3/properties/contacts", map[string]any{"name": "shopify_segments", "label": "x", "type": "string", "fieldType": "text", "groupName": "g"})
	assert.Equal(t, http.StatusConflict, r.status, "a second property of one name")
	assert.Equal(t, CategoryObjectExists, r.json(t)["category"])

	for _, c := range []struct {
		def  map[string]any
		want string
	}{
		{map[string]any{"name": "x"}, "Missing required fields: label, type, fieldType, groupName"},
		{map[string]any{"name": "Bad Name", "label": "x", "type": "string", "fieldType": "text", "groupName": "g"}, "is invalid"},
		{map[string]any{"name": "n", "label": "x", "type": "string", "fieldType": "checkbox", "groupName": "g"}, `fieldType "checkbox" is not valid for type string`},
		{map[string]any{"name": "n", "label": "x", "type": "enumeration", "fieldType": "select", "groupName": "g"}, "at least one option"},
		{map[string]any{"name": "n", "label": "x", "type": "enumeration", "fieldType": "checkbox", "groupName": "g", "options": []map[string]any{{"label": "A;B", "value": "a;b"}}}, "cannot contain ';'"},
		{map[string]any{"name": "n", "label": "x", "type": "bool", "fieldType": "booleancheckbox", "groupName": "g", "hasUniqueValue": true}, "unique values"},
		{map[string]any{"name": "n", "label": "x", "type": "blob", "fieldType": "text", "groupName": "g"}, "Invalid property type"},
	} {
		r := b.do(t, http.MethodPost, "/crm/v3/properties/contacts", c.def)
		assert.Equal(t, http.StatusBadRequest, r.status, "%v", c.def)
		assert.Contains(t, r.json(t)["message"], c.want, "%v", c.def)
	}

	// a new Shopify tag: the integration adds the option, then uses it
	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"email": "a@example.com", "shopify_segments": "vip;b2b"}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = b.do(t, http.MethodPatch, "/crm/v3/properties/contacts/shopify_segments", map[string]any{
		"options": []map[string]any{{"label": "VIP", "value": "vip"}, {"label": "Wholesale", "value": "wholesale"}, {"label": "B2B", "value": "b2b"}},
	})
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	assert.Len(t, r.json(t)["options"], 3, "options given replace the list")
	b.create(t, map[string]any{"email": "a@example.com", "shopify_segments": "vip;b2b"})

	r = b.do(t, http.MethodPatch, "/crm/v3/properties/contacts/email", map[string]any{"label": "E-mail"})
	assert.Equal(t, http.StatusBadRequest, r.status, "HubSpot's own properties are read-only")
	r = b.do(t, http.MethodPatch, "/crm/v3/properties/contacts/shopify_customer_id", map[string]any{"hasUniqueValue": false})
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = b.do(t, http.MethodPatch, "/crm/v3/properties/contacts/nosuch", map[string]any{"label": "x"})
	assert.Equal(t, http.StatusNotFound, r.status)
}

// Multiple checkbox values are semicolon-separated: parts are trimmed, empty parts and
// repeats dropped; a value starting with ";" adds to the checked values.
func TestMultipleCheckboxValues(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.setupIntegration(t)
	id := b.create(t, map[string]any{"email": "a@example.com", "shopify_segments": " vip ;; newsletter;vip"})
	get := func() any {
		r := b.do(t, http.MethodGet, "/crm/v3/objects/contacts/"+id+"?properties=shopify_segments", nil)
		return props(t, r.json(t))["shopify_segments"]
	}
	assert.Equal(t, "vip;newsletter", get())
	b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"shopify_segments": "wholesale"}})
	assert.Equal(t, "wholesale", get(), "a value replaces the checked values")
	b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"shopify_segments": ";vip;wholesale"}})
	assert.Equal(t, "wholesale;vip", get(), "a leading ; adds")
	b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"shopify_segments": nil}})
	assert.Nil(t, get(), "null clears")
}

func TestNormalizeValue(t *testing.T) {
	t.Parallel()
	for _, c := range []struct {
		prop      Property
		in, old   string
		want, err string
	}{
		{Property{Name: "n", Type: TypeNumber}, " 12.5 ", "", "12.5", ""},
		{Property{Name: "n", Type: TypeNumber}, "1e400", "", "", "INVALID_NUMBER"},
		{Property{Name: "b", Type: TypeBool}, "TRUE", "", "true", ""},
		{Property{Name: "b", Type: TypeBool}, "yes", "", "", "INVALID_BOOLEAN"},
		{Property{Name: "d", Type: TypeDate}, "2025-11-28", "", "2025-11-28", ""},
		{Property{Name: "d", Type: TypeDate}, "1764288000000", "", "2025-11-28", ""},
		{Property{Name: "d", Type: TypeDate}, "2025-11-28T10:00:00Z", "", "", "INVALID_DATE"},
		{Property{Name: "t", Type: TypeDatetime}, "2025-11-28T10:00:00+01:00", "", "2025-11-28T09:00:00.000Z", ""},
		{Property{Name: "t", Type: TypeDatetime}, "tomorrow", "", "", "INVALID_DATE"},
		{Property{Name: "s", Type: TypeEnumeration, FieldType: FieldSelect, Options: options("a", "b")}, "b", "", "b", ""},
		{Property{Name: "s", Type: TypeEnumeration, FieldType: FieldSelect, Options: options("a", "b")}, "a;b", "", "", "INVALID_OPTION"},
		{Property{Name: "m", Type: TypeEnumeration, FieldType: FieldCheckbox, Options: options("a", "b", "c")}, ";c", "a;b", "a;b;c", ""},
		{Property{Name: "email", Type: TypeString}, "A@B.CO", "", "a@b.co", ""},
		{Property{Name: "email", Type: TypeString}, "a@b", "", "", "INVALID_EMAIL"},
		{Property{Name: "email", Type: TypeString}, "a b@c.com", "", "", "INVALID_EMAIL"},
		{Property{Name: "s", Type: TypeString}, "", "x", "", ""},
	} {
		got, perr := normalizeValue(&c.prop, c.in, c.old)
		if c.err != "" {
			require.NotNil(t, perr, "%s %q", c.prop.Name, c.in)
			assert.Equal(t, c.err, perr.Error, "%s %q", c.prop.Name, c.in)
			continue
		}
		require.Nil(t, perr, "%s %q: %+v", c.prop.Name, c.in, perr)
		assert.Equal(t, c.want, got, "%s %q", c.prop.Name, c.in)
	}
}
