package netsuite

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/fakehttp"
)

// link is one entry of a links array.
type link struct {
	Rel  string `json:"rel"`
	Href string `json:"href"`
}

func selfLinks(href string) []link { return []link{{Rel: "self", Href: href}} }

// amount is money in cents rendered as a JSON number with two decimals, as NetSuite
// writes currency fields.
type amount int64

func (a amount) MarshalJSON() ([]byte, error) { return []byte(catalog.Money(int64(a))), nil }

// refView is a reference to another record as NetSuite renders it.
type refView struct {
	Links   []link `json:"links,omitempty"`
	ID      string `json:"id"`
	RefName string `json:"refName,omitempty"`
}

// sublistView is an expanded sublist: NetSuite's collection shape inside a record.
type sublistView[T any] struct {
	Links        []link `json:"links"`
	Count        int    `json:"count"`
	HasMore      bool   `json:"hasMore"`
	Items        []T    `json:"items"`
	Offset       int    `json:"offset"`
	TotalResults int    `json:"totalResults"`
}

func newSublist[T any](href string, items []T) sublistView[T] {
	if items == nil {
		items = []T{}
	}
	return sublistView[T]{Links: selfLinks(href), Count: len(items), Items: items, TotalResults: len(items)}
}

// sublistLink is a sublist as a record shows it without expandSubResources=true: only
// the link to the sublist's own resource.
type sublistLink struct {
	Links []link `json:"links"`
}

// sublistOrLink renders items as an expanded sublist, or as its link when the request
// did not ask for expandSubResources=true (NetSuite's default).
func sublistOrLink[T any](expand bool, href string, items func() []T) any {
	if !expand {
		return sublistLink{Links: selfLinks(href)}
	}
	return newSublist(href, items())
}

// expandSubResources reports whether a GET asked for sublists and subrecords to be
// expanded. NetSuite expands them only on expandSubResources=true.
func expandSubResources(r *http.Request) bool {
	return strings.EqualFold(r.URL.Query().Get("expandSubResources"), "true")
}

// withCustom appends custom fields (custbody_*, custentity_*, custcol_*) to a marshalled
// object, in key order.
func withCustom(obj []byte, custom map[string]json.RawMessage) []byte {
	if len(custom) == 0 || len(obj) < 2 || obj[len(obj)-1] != '}' {
		return obj
	}
	keys := make([]string, 0, len(custom))
	for k := range custom {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b bytes.Buffer
	b.Grow(len(obj) + 64*len(keys))
	b.Write(obj[:len(obj)-1])
	for _, k := range keys {
		if b.Len() > 1 {
			b.WriteByte(',')
		}
		kb, _ := fakehttp.Marshal(k)
		b.Write(kb)
		b.WriteByte(':')
		if err := json.Compact(&b, custom[k]); err != nil {
			b.WriteString("null")
		}
	}
	b.WriteByte('}')
	return b.Bytes()
}

// marshalRecord encodes a record view with its custom fields.
func marshalRecord(v any, custom map[string]json.RawMessage) ([]byte, *apiError) {
	b, err := fakehttp.Marshal(v)
	if err != nil {
		return nil, unexpectedError()
	}
	return withCustom(b, custom), nil
}

// writeRecord answers 200 with a record body.
func writeRecord(w http.ResponseWriter, body []byte) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(body)
}

// writeCreated answers a create or an update (POST, PUT, PATCH): 204, no body, the
// record's URL in Location, as NetSuite answers both.
func writeCreated(w http.ResponseWriter, location string) {
	h := w.Header()
	h.Set("Location", location)
	h.Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusNoContent)
}

// writeNoContent answers a delete.
func writeNoContent(w http.ResponseWriter) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusNoContent)
}

// countryNames are the names NetSuite gives the countries of the shared tax table.
var countryNames = map[string]string{
	"US": "United States", "CA": "Canada", "GB": "United Kingdom", "DE": "Germany", "FR": "France",
	"NL": "Netherlands", "IE": "Ireland", "ES": "Spain", "IT": "Italy", "AU": "Australia",
	"NZ": "New Zealand", "JP": "Japan",
}

func countryRef(code string) *refView {
	if code == "" {
		return nil
	}
	name := countryNames[code]
	if name == "" {
		name = code
	}
	return &refView{ID: code, RefName: name}
}
