package hubspot

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
)

// fuzzSchema is the schema of an integration's portal: HubSpot's properties, the
// external id, numbers and a multiple checkbox.
func fuzzSchema(t testing.TB) *schema {
	sc := newSchema(t0)
	sc.ensureExternalID(DefaultExternalIDProperty, t0)
	for _, in := range []propertyInput{
		{Name: ptr("orders_count"), Label: ptr("Orders"), Type: ptr(TypeNumber), FieldType: ptr(FieldNumber), GroupName: ptr("g")},
		{Name: ptr("shopify_segments"), Label: ptr("Segments"), Type: ptr(TypeEnumeration), FieldType: ptr(FieldCheckbox), GroupName: ptr("g"),
			Options: &[]optionInput{{Label: "VIP", Value: "vip"}, {Label: "B2B", Value: "b2b"}}},
		{Name: ptr("first_order"), Label: ptr("First order"), Type: ptr(TypeDate), FieldType: ptr(FieldDate), GroupName: ptr("g")},
	} {
		if _, e := sc.createProperty(in, t0); e != nil {
			t.Fatal(e)
		}
	}
	return sc
}

func ptr[T any](v T) *T { return &v }

// checkError fails unless e is a HubSpot error the fake may send.
func checkError(t *testing.T, e *apiError) {
	t.Helper()
	if e.status < 400 || e.status > 499 || e.category == "" || e.message == "" {
		t.Fatalf("bad error %+v", e)
	}
	if _, err := fakehttp.Marshal(ErrorBody{Status: "error", Message: e.message, Category: e.category, Context: e.context, Errors: e.errors}); err != nil {
		t.Fatal(err)
	}
}

// FuzzParseSearch: any body either compiles into a query that runs over contacts
// without panicking and returns at most a page, or is refused with a 400 that says why.
func FuzzParseSearch(f *testing.F) {
	for _, s := range []string{
		`{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"a@b.com"}]}],"sorts":[{"propertyName":"createdate","direction":"DESCENDING"}],"properties":["email"],"limit":2,"after":"1"}`,
		`{"filterGroups":[{"filters":[{"propertyName":"orders_count","operator":"BETWEEN","value":1,"highValue":"9"}]},{"filters":[{"propertyName":"shopify_segments","operator":"IN","values":["vip",3]}]}]}`,
		`{"filters":[{"propertyName":"email","operator":"CONTAINS_TOKEN","value":"*@example.*"}],"query":"ada","sorts":["-orders_count"]}`,
		`{"filterGroups":[{"filters":[{"propertyName":"first_order","operator":"GTE","value":"2025-01-01"}]}],"limit":"200","after":9999}`,
		`{"filterGroups":[{"filters":[{"propertyName":"x","operator":"HAS_PROPERTY"}]}]}`,
		`{"limit":-1}`, `{"after":{"a":1}}`, `{"sorts":[1]}`, `[]`, `{`, ``, `null`,
	} {
		f.Add([]byte(s))
	}
	sc := fuzzSchema(f)
	st, err := Limits{SearchTotalMax: 50}.resolve()
	if err != nil {
		f.Fatal(err)
	}
	store := newStore()
	uniques := sc.uniques()
	for i, p := range []map[string]string{
		{"email": "ada@example.com", "orders_count": "3", "shopify_segments": "vip;b2b", "first_order": "2025-01-02", "shopify_customer_id": "1"},
		{"email": "grace@example.org", "firstname": "Grace", "orders_count": "-1.5e3"},
		{"lastname": "Nobody"},
	} {
		store.insert(p, uniques, t0.Add(time.Duration(i)*time.Second))
	}
	f.Fuzz(func(t *testing.T, body []byte) {
		q, e := parseSearch(body, st, sc)
		if e != nil {
			checkError(t, e)
			if e.status != http.StatusBadRequest || e.category != CategoryValidation {
				t.Fatalf("a refused search is a 400 VALIDATION_ERROR, got %+v", e)
			}
			return
		}
		resp := q.run(store, t0.Add(time.Hour), st.limits.SearchTotalMax, false)
		if scan := q.run(store, t0.Add(time.Hour), st.limits.SearchTotalMax, true); !reflect.DeepEqual(scan, resp) {
			t.Fatalf("the index answered %+v, a scan %+v", resp, scan)
		}
		if len(resp.Results) > q.limit || resp.Total > 3 {
			t.Fatalf("limit %d, got %d results of %d", q.limit, len(resp.Results), resp.Total)
		}
		if _, err := fakehttp.Marshal(resp); err != nil {
			t.Fatal(err)
		}
	})
}

// FuzzWriteBody: any create or update body either decodes and yields property values
// the schema accepts, or is refused in HubSpot's shape.
func FuzzWriteBody(f *testing.F) {
	for _, s := range []string{
		`{"properties":{"email":" Ada@Example.com ","orders_count":3,"shopify_segments":";vip;;b2b","first_order":"1735776000000","firstname":null}}`,
		`{"properties":{"email":"x","nosuch":"1","orders_count":"many","shopify_segments":"gold","first_order":"2025-01-02T10:00:00Z"}}`,
		`{"properties":{"hs_object_id":"5","lastmodifieddate":"x","hs_marketable_status":"TRUE"}}`,
		`{"properties":{"email":{"a":1}}}`, `{"properties":[1]}`, `{"id":7,"idProperty":"email"}`, `{`, ``,
	} {
		f.Add([]byte(s))
	}
	sc := fuzzSchema(f)
	s := &Server{sc: sc, portalID: DefaultPortalID}
	f.Fuzz(func(t *testing.T, body []byte) {
		var in objectInput
		if e := decodeBody(body, &in); e != nil {
			checkError(t, e)
			return
		}
		props, errs := s.applyValues(map[string]string{"shopify_segments": "vip"}, in.Properties)
		if len(errs) > 0 {
			e := invalidProperties(DefaultPortalID, errs)
			checkError(t, e)
			if !strings.HasPrefix(e.message, msgPropertyValues+"[") {
				t.Fatalf("message %q", e.message)
			}
			return
		}
		for name, v := range props {
			p := sc.get(name)
			if p == nil || v == "" {
				t.Fatalf("stored %q=%q", name, v)
			}
			if again, perr := normalizeValue(p, v, ""); perr != nil || again != v {
				t.Fatalf("%s: stored %q does not normalize to itself (%q, %+v)", name, v, again, perr)
			}
		}
	})
}

// FuzzAPI sends arbitrary methods, paths, queries, headers and bodies through the whole
// handler: every answer is HubSpot-shaped JSON (or an empty 204), never a 5xx or a
// panic.
func FuzzAPI(f *testing.F) {
	seeds := []struct{ method, path, body, auth string }{
		{"POST", "/crm/v3/objects/contacts", `{"properties":{"email":"a@b.co","shopify_customer_id":"1"}}`, "Bearer pat-na1-x"},
		{"GET", "/crm/v3/objects/contacts/a%40b.co?idProperty=email&properties=email,firstname", ``, "Bearer pat-na1-x"},
		{"PATCH", "/crm/v3/objects/contacts/101?idProperty=hs_object_id", `{"properties":{"firstname":"A"}}`, "Bearer oauth"},
		{"POST", "/crm/v3/objects/contacts/batch/upsert", `{"inputs":[{"idProperty":"shopify_customer_id","id":"1","properties":{}}]}`, "Bearer pat-na1-x"},
		{"POST", "/crm/v3/objects/contacts/batch/read?archived=true", `{"idProperty":"email","inputs":[{"id":"a@b.co"}]}`, "Bearer pat-na1-x"},
		{"POST", "/crm/v3/objects/contacts/search", `{"filterGroups":[{"filters":[{"propertyName":"email","operator":"EQ","value":"a@b.co"}]}]}`, "Bearer pat-na1-x"},
		{"POST", "/crm/v3/properties/contacts", `{"name":"p","label":"P","type":"enumeration","fieldType":"checkbox","groupName":"g","options":[{"label":"A","value":"a"}]}`, "Bearer pat-na1-x"},
		{"DELETE", "/crm/v3/objects/contacts/101", ``, "Bearer pat-na1-x"},
		{"GET", "/crm/v3/objects/contacts?limit=0&after=-1", ``, "bearer x"},
		{"GET", "/crm/v3/objects/%zz", ``, "Bearer pat-na1-x"},
		{"GET", "/crm/v3/objects/contacts", ``, ""},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body, s.auth)
	}
	srv, err := New(Options{Clock: clock.NewManual(t0), Limits: Limits{Latency: "off", Burst: 100_000, SearchPerSecond: 100_000}})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	f.Fuzz(func(t *testing.T, method, target, body, auth string) {
		if !validMethod(method) || !strings.HasPrefix(target, "/") || strings.HasPrefix(target, "/_fake") {
			return
		}
		u, err := url.ParseRequestURI(target)
		if err != nil {
			return
		}
		req := httptest.NewRequest(method, "http://fake.test/", strings.NewReader(body))
		req.URL = u
		req.RequestURI = target
		req.Header.Set("Authorization", auth)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code >= 500 {
			t.Fatalf("%s %s: %d %s", method, target, w.Code, w.Body)
		}
		if w.Code == http.StatusNoContent {
			return
		}
		var v map[string]any
		if err := json.Unmarshal(w.Body.Bytes(), &v); err != nil {
			t.Fatalf("%s %s: %d answered non-JSON %q", method, target, w.Code, w.Body)
		}
		if w.Code >= 400 && (v["status"] != "error" || v["message"] == nil) {
			t.Fatalf("%s %s: %d answered %s", method, target, w.Code, w.Body)
		}
	})
}

func validMethod(m string) bool {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		return true
	}
	return false
}

// FuzzGlob: a CONTAINS_TOKEN pattern matches without panicking, and a pattern without
// wildcards matches exactly itself.
func FuzzGlob(f *testing.F) {
	f.Add("*@example.com", "ada@example.com")
	f.Add("a*b*c", "abc")
	f.Add("**", "")
	f.Fuzz(func(t *testing.T, pattern, s string) {
		got := glob(pattern, s)
		if !strings.Contains(pattern, "*") && got != (pattern == s) {
			t.Fatalf("glob(%q, %q) = %v", pattern, s, got)
		}
		if pattern == "*" && !got {
			t.Fatalf("* must match %q", s)
		}
	})
}
