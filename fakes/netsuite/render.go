package netsuite

import (
	"bytes"
	"encoding/json"
	"net/http"
	"sort"

	"github.com/peakready/peakready/fakes/catalog"
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
		kb, _ := marshal(k)
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
	b, err := marshal(v)
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

// writeCreated answers a create or upsert-create: 204, no body, the record's URL in
// Location.
func writeCreated(w http.ResponseWriter, location string) {
	h := w.Header()
	h.Set("Location", location)
	h.Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusNoContent)
}

// writeNoContent answers an update or delete.
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
