package hubspot

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func filter(prop, op string, value any) map[string]any {
	f := map[string]any{"propertyName": prop, "operator": op}
	switch v := value.(type) {
	case nil:
	case []any:
		f["values"] = v
	default:
		f["value"] = v
	}
	return f
}

func group(filters ...map[string]any) map[string]any { return map[string]any{"filters": filters} }

// search runs a search and returns the ids found, in order, and the decoded answer.
func (b *testBundle) search(t *testing.T, body map[string]any) ([]string, searchResponse) {
	t.Helper()
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", body)
	require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
	var resp searchResponse
	r.decode(t, &resp)
	var ids []string
	for _, o := range resp.Results {
		ids = append(ids, o.ID)
	}
	return ids, resp
}

// seedSearch creates five contacts with varied properties; it returns their ids.
func seedSearch(t *testing.T, b *testBundle) []string {
	t.Helper()
	b.setupIntegration(t)
	rows := []map[string]any{
		{"email": "ada@lovelace.org", "firstname": "Ada", "lastname": "Lovelace", "orders_count": 12, "lifetime_value": 1200.5, "shopify_segments": "vip;newsletter", "createdate": "2025-01-10T00:00:00Z"},
		{"email": "grace@navy.mil", "firstname": "Grace", "lastname": "Hopper", "orders_count": 3, "lifetime_value": 90, "shopify_segments": "newsletter", "createdate": "2025-03-01T00:00:00Z"},
		{"email": "alan@bletchley.uk", "firstname": "Alan", "lastname": "Turing", "orders_count": 0, "createdate": "2025-02-01T00:00:00Z"},
		{"email": "edsger@tue.nl", "firstname": "Edsger", "orders_count": 40, "lifetime_value": 5000, "shopify_segments": "vip;wholesale", "createdate": "2025-04-01T00:00:00Z"},
		{"email": "barbara@mit.edu", "firstname": "Barbara", "lastname": "Liskov", "createdate": "2025-05-01T00:00:00Z"},
	}
	var ids []string
	for _, r := range rows {
		ids = append(ids, b.create(t, r))
	}
	return ids
}

// manySearches lifts the search limit for tests that are not about it.
func manySearches(o *Options) { o.Limits.SearchPerSecond = 1000 }

func TestSearchOperators(t *testing.T) {
	t.Parallel()
	b := setup(t, manySearches)
	ids := seedSearch(t, b)
	ada, grace, alan, edsger, barbara := ids[0], ids[1], ids[2], ids[3], ids[4]
	for _, c := range []struct {
		name    string
		filters []map[string]any
		want    []string
	}{
		{"EQ email, any case", []map[string]any{filter("email", "EQ", "ADA@lovelace.org")}, []string{ada}},
		{"NEQ includes contacts without the value", []map[string]any{filter("lastname", "NEQ", "hopper")}, []string{ada, alan, edsger, barbara}},
		{"IN", []map[string]any{filter("firstname", "IN", []any{"ada", "Alan", "nobody"})}, []string{ada, alan}},
		{"NOT_IN", []map[string]any{filter("firstname", "NOT_IN", []any{"ada", "alan"})}, []string{grace, edsger, barbara}},
		{"HAS_PROPERTY", []map[string]any{filter("lifetime_value", "HAS_PROPERTY", nil)}, []string{ada, grace, edsger}},
		{"NOT_HAS_PROPERTY", []map[string]any{filter("lastname", "NOT_HAS_PROPERTY", nil)}, []string{edsger}},
		{"GT number", []map[string]any{filter("orders_count", "GT", 3)}, []string{ada, edsger}},
		{"GTE number as string", []map[string]any{filter("orders_count", "GTE", "3")}, []string{ada, grace, edsger}},
		{"LT number", []map[string]any{filter("orders_count", "LT", 3)}, []string{alan}},
		{"LTE", []map[string]any{filter("lifetime_value", "LTE", "1200.5")}, []string{ada, grace}},
		{"BETWEEN", []map[string]any{{"propertyName": "orders_count", "operator": "BETWEEN", "value": "3", "highValue": "12"}}, []string{ada, grace}},
		{"GT datetime in ms", []map[string]any{filter("createdate", "GT", fmt.Sprint(time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC).UnixMilli()))}, []string{edsger, barbara}},
		{"LT datetime ISO", []map[string]any{filter("createdate", "LT", "2025-02-15T00:00:00Z")}, []string{ada, alan}},
		{"CONTAINS_TOKEN a domain with a wildcard", []map[string]any{filter("email", "CONTAINS_TOKEN", "*@navy.mil")}, []string{grace}},
		{"CONTAINS_TOKEN a domain", []map[string]any{filter("email", "CONTAINS_TOKEN", "mit.edu")}, []string{barbara}},
		{"CONTAINS_TOKEN a word", []map[string]any{filter("email", "CONTAINS_TOKEN", "lovelace")}, []string{ada}},
		{"NOT_CONTAINS_TOKEN", []map[string]any{filter("email", "NOT_CONTAINS_TOKEN", "*.org")}, []string{grace, alan, edsger, barbara}},
		{"checkbox EQ is membership", []map[string]any{filter("shopify_segments", "EQ", "vip")}, []string{ada, edsger}},
		{"checkbox IN", []map[string]any{filter("shopify_segments", "IN", []any{"wholesale", "newsletter"})}, []string{ada, grace, edsger}},
		{"checkbox NEQ", []map[string]any{filter("shopify_segments", "NEQ", "vip")}, []string{grace, alan, barbara}},
		{"checkbox CONTAINS_TOKEN", []map[string]any{filter("shopify_segments", "CONTAINS_TOKEN", "whole*")}, []string{edsger}},
		{"AND within a group", []map[string]any{filter("shopify_segments", "EQ", "vip"), filter("orders_count", "LT", 20)}, []string{ada}},
	} {
		got, resp := b.search(t, map[string]any{"filterGroups": []any{group(c.filters...)}})
		assert.Equal(t, c.want, got, c.name)
		assert.Equal(t, len(c.want), resp.Total, c.name)
	}

	got, _ := b.search(t, map[string]any{"filterGroups": []any{
		group(filter("firstname", "EQ", "Grace")), group(filter("orders_count", "GTE", 40)),
	}})
	assert.Equal(t, []string{grace, edsger}, got, "groups are ORed")
	got, _ = b.search(t, map[string]any{"filters": []any{filter("firstname", "EQ", "alan")}})
	assert.Equal(t, []string{alan}, got, "top-level filters are one group")
	got, _ = b.search(t, map[string]any{"query": "lisk"})
	assert.Equal(t, []string{barbara}, got, "free-text query")
	got, _ = b.search(t, map[string]any{})
	assert.Equal(t, ids, got, "no filter: everything, in creation order")
}

func TestSearchResultShapeAndSorts(t *testing.T) {
	t.Parallel()
	b := setup(t, manySearches)
	ids := seedSearch(t, b)
	got, resp := b.search(t, map[string]any{
		"sorts": []any{map[string]any{"propertyName": "orders_count", "direction": "DESCENDING"}}, "properties": []string{"orders_count"},
	})
	assert.Equal(t, []string{ids[3], ids[0], ids[1], ids[2], ids[4]}, got, "numeric order, missing values last")
	p := resp.Results[0].Properties
	assert.Equal(t, "40", *p["orders_count"])
	assert.Contains(t, p, "hs_object_id")
	assert.NotContains(t, p, "email")
	assert.Nil(t, resp.Paging)

	got, _ = b.search(t, map[string]any{"sorts": []string{"-createdate"}})
	assert.Equal(t, []string{ids[4], ids[3], ids[1], ids[2], ids[0]}, got, "string sorts: -name descends")
	got, _ = b.search(t, map[string]any{"sorts": []any{map[string]any{"propertyName": "firstname", "direction": "ASCENDING"}}})
	assert.Equal(t, []string{ids[0], ids[2], ids[4], ids[3], ids[1]}, got)

	_, resp = b.search(t, map[string]any{"filterGroups": []any{group(filter("email", "EQ", "grace@navy.mil"))}})
	require.Len(t, resp.Results, 1)
	assert.Equal(t, []string{"createdate", "email", "firstname", "hs_object_id", "lastmodifieddate", "lastname"}, sortedKeys(resp.Results[0].Properties),
		"the default properties of a contact search")
}

func sortedKeys[V any](m map[string]V) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

func TestSearchPagingAndTheTotalCap(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.SearchTotalMax = 5; o.Limits.SearchPerSecond = 1000 })
	var ids []string
	for i := range 7 {
		ids = append(ids, b.create(t, map[string]any{"email": fmt.Sprintf("c%d@example.com", i)}))
	}
	var got []string
	after := ""
	var pages []string
	for range 10 {
		body := map[string]any{"limit": 2}
		if after != "" {
			body["after"] = after
		}
		r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", body)
		if r.status == http.StatusBadRequest {
			e := r.json(t)
			assert.Equal(t, CategoryValidation, e["category"])
			assert.Contains(t, e["message"], "limited to 5")
			break
		}
		require.Equal(t, http.StatusOK, r.status, "body: %s", r.body)
		var resp searchResponse
		r.decode(t, &resp)
		assert.Equal(t, 7, resp.Total, "total counts every match, past the cap too")
		for _, o := range resp.Results {
			got = append(got, o.ID)
		}
		if resp.Paging == nil {
			break
		}
		after = resp.Paging.Next.After
		pages = append(pages, after)
	}
	assert.Equal(t, ids[:5], got, "paging stops at the cap")
	assert.Equal(t, []string{"2", "4", "5"}, pages, "after is an offset; the next link past the cap is given, and refused")

	for _, c := range []struct {
		body map[string]any
		want string
	}{
		{map[string]any{"limit": 201}, "1 to 200"},
		{map[string]any{"after": "abc"}, "paging cursor"},
		{map[string]any{"after": 5}, "limited to 5"},
		{map[string]any{"limit": "ten"}, "not an integer"},
	} {
		r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", c.body)
		assert.Equal(t, http.StatusBadRequest, r.status, "%v", c.body)
		assert.Contains(t, r.json(t)["message"], c.want, "%v", c.body)
	}
	_, resp := b.search(t, map[string]any{"limit": "200", "after": 1})
	assert.Len(t, resp.Results, 4, "limit and after as string or number; results stop at the cap")
}

// The documented caps: 5 groups, 10 filters per group, 25 filters in all.
func TestSearchFilterCaps(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.SearchPerSecond = 1000 })
	f := filter("email", "HAS_PROPERTY", nil)
	groups := func(sizes ...int) []any {
		var out []any
		for _, n := range sizes {
			fs := make([]map[string]any, n)
			for i := range fs {
				fs[i] = f
			}
			out = append(out, group(fs...))
		}
		return out
	}
	for _, c := range []struct {
		sizes []int
		want  string // "" = accepted
	}{
		{[]int{1, 1, 1, 1, 1}, ""},
		{[]int{1, 1, 1, 1, 1, 1}, "Too many filter groups: 6"},
		{[]int{10}, ""},
		{[]int{11}, "at most 10 filters"},
		{[]int{10, 10, 5}, ""},
		{[]int{10, 10, 5, 1}, "Too many filters: 26"},
		{[]int{3, 3, 3, 3}, ""},
	} {
		r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{"filterGroups": groups(c.sizes...)})
		if c.want == "" {
			assert.Equal(t, http.StatusOK, r.status, "%v: %s", c.sizes, r.body)
			continue
		}
		assert.Equal(t, http.StatusBadRequest, r.status, "%v", c.sizes)
		e := r.json(t)
		assert.Equal(t, CategoryValidation, e["category"], "%v", c.sizes)
		assert.Contains(t, e["message"], c.want, "%v", c.sizes)
	}

	for _, c := range []struct {
		filter map[string]any
		want   string
	}{
		{filter("email", "LIKE", "x"), `operator "LIKE"`},
		{filter("nosuch", "EQ", "x"), `Property "nosuch" does not exist`},
		{filter("email", "EQ", nil), "requires a value"},
		{filter("email", "IN", nil), "requires values"},
		{map[string]any{"propertyName": "createdate", "operator": "BETWEEN", "value": "1"}, "requires a value and a highValue"},
		{filter("createdate", "GT", "yesterday"), "not a date"},
		{filter("hs_object_id", "GT", "many"), "not a number"},
	} {
		r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{"filterGroups": []any{group(c.filter)}})
		assert.Equal(t, http.StatusBadRequest, r.status, "%v", c.filter)
		assert.Contains(t, r.json(t)["message"], c.want, "%v", c.filter)
	}
	r := b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{"sorts": []any{map[string]any{"propertyName": "email", "direction": "SIDEWAYS"}}})
	assert.Equal(t, http.StatusBadRequest, r.status)
	r = b.do(t, http.MethodPost, "/crm/v3/objects/contacts/search", map[string]any{"query": strings.Repeat("x", 3001)})
	assert.Equal(t, http.StatusBadRequest, r.status)
}

// With search_index_lag, a write shows in search only once the lag has passed; reads by
// id and the duplicate check see it at once.
func TestSearchIndexLag(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.SearchIndexLag = "2s"; o.Limits.SearchPerSecond = 1000 })
	byEmail := map[string]any{"filterGroups": []any{group(filter("email", "EQ", "ada@example.com"))}}
	id := b.create(t, map[string]any{"email": "ada@example.com", "firstname": "Ada"})
	got, _ := b.search(t, byEmail)
	assert.Empty(t, got, "not indexed yet")
	assert.Equal(t, http.StatusOK, b.do(t, http.MethodGet, "/crm/v3/objects/contacts/"+id, nil).status)
	assert.Equal(t, http.StatusConflict, b.do(t, http.MethodPost, "/crm/v3/objects/contacts", map[string]any{"properties": map[string]any{"email": "ada@example.com"}}).status,
		"the duplicate check does not lag")

	b.clock.Advance(2*time.Second - time.Nanosecond)
	got, _ = b.search(t, byEmail)
	assert.Empty(t, got)
	b.clock.Advance(time.Nanosecond)
	got, _ = b.search(t, byEmail)
	assert.Equal(t, []string{id}, got, "indexed exactly 2s after the write")

	b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"firstname": "Augusta"}})
	b.clock.Advance(time.Second)
	b.do(t, http.MethodPatch, "/crm/v3/objects/contacts/"+id, map[string]any{"properties": map[string]any{"firstname": "Countess"}})
	byName := func(n string) []string {
		got, _ := b.search(t, map[string]any{"filterGroups": []any{group(filter("firstname", "EQ", n))}})
		return got
	}
	assert.Equal(t, []string{id}, byName("Ada"), "the index still has the first version")
	b.clock.Advance(time.Second)
	assert.Equal(t, []string{id}, byName("Augusta"))
	assert.Empty(t, byName("Countess"))
	b.clock.Advance(time.Second)
	assert.Equal(t, []string{id}, byName("Countess"))

	b.do(t, http.MethodDelete, "/crm/v3/objects/contacts/"+id, nil)
	assert.Equal(t, []string{id}, byName("Countess"), "an archived contact stays searchable for the lag")
	b.clock.Advance(2 * time.Second)
	assert.Empty(t, byName("Countess"))
}

// A search by email or by a unique value reads the index, and finds what a scan would,
// letter case included.
func TestSearchByIDPropertiesUsesTheIndex(t *testing.T) {
	t.Parallel()
	b := setup(t, manySearches)
	a := b.create(t, map[string]any{"email": "ada@example.com", "shopify_customer_id": "7001"})
	c := b.create(t, map[string]any{"email": "cy@example.com", "shopify_customer_id": "AbC-9"})
	for _, c := range []struct {
		groups []any
		want   []string
	}{
		{[]any{group(filter("email", "EQ", "ADA@example.com"))}, []string{a}},
		{[]any{group(filter("shopify_customer_id", "EQ", "7001"))}, []string{a}},
		{[]any{group(filter("shopify_customer_id", "EQ", "abc-9"))}, []string{c}},
		{[]any{group(filter("email", "EQ", "cy@example.com")), group(filter("shopify_customer_id", "EQ", "7001"))}, []string{a, c}},
		{[]any{group(filter("email", "EQ", "cy@example.com"), filter("shopify_customer_id", "EQ", "7001"))}, nil},
		{[]any{group(filter("email", "EQ", "nobody@example.com"))}, nil},
	} {
		got, _ := b.search(t, map[string]any{"filterGroups": c.groups})
		assert.Equal(t, c.want, got, "%v", c.groups)
	}
}
