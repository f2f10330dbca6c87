package netsuite

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// maxPageSize is NetSuite's default and largest collection page.
const maxPageSize = 1000

// collectionItem is one entry of a collection page.
type collectionItem struct {
	Links []link `json:"links"`
	ID    string `json:"id"`
}

// collectionPage is NetSuite's collection response.
type collectionPage struct {
	Links        []link           `json:"links"`
	Count        int              `json:"count"`
	HasMore      bool             `json:"hasMore"`
	Items        []collectionItem `json:"items"`
	Offset       int              `json:"offset"`
	TotalResults int              `json:"totalResults"`
}

// serveCollection is GET /{record}?limit=&offset=&q=: ids in ascending order, at most
// limit (default and maximum 1000) from offset, filtered by q.
func (s *Server) serveCollection(w http.ResponseWriter, r *http.Request, record string) *apiError {
	query := r.URL.Query()
	limit, e := intParam(query, "limit", maxPageSize, 1, maxPageSize)
	if e != nil {
		return e
	}
	offset, e := intParam(query, "offset", 0, 0, 1<<31-1)
	if e != nil {
		return e
	}
	var m matcher
	if q := query.Get("q"); q != "" {
		parsed, err := ParseQuery(q)
		if err != nil {
			return invalidParameter("q", detailSearchError+err.Error())
		}
		if m, err = compileQuery(record, parsed); err != nil {
			return invalidParameter("q", detailSearchError+err.Error())
		}
	}
	var ids []int64
	collect := func(id int64, rec recordFields) bool {
		if m.match(rec) {
			ids = append(ids, id)
		}
		return true
	}
	s.mu.Lock()
	switch record {
	case RecordSalesOrder:
		s.st.orders.each(func(o *salesOrder) bool { return collect(o.ID, o) })
	case RecordCustomer:
		s.st.customers.each(func(c *customer) bool { return collect(c.ID, c) })
	case RecordInventoryItem:
		s.st.items.each(func(it *inventoryItem) bool { return collect(it.ID, it) })
	case RecordItemFulfillment:
		s.st.fulfillments.each(func(f *itemFulfillment) bool { return collect(f.ID, f) })
	}
	s.mu.Unlock()

	total := len(ids)
	page := ids[min(offset, total):min(offset+limit, total)]
	base := fakehttp.BaseURL(r) + recordPrefix + record
	p := collectionPage{
		Count: len(page), HasMore: offset+len(page) < total, Items: make([]collectionItem, len(page)),
		Offset: offset, TotalResults: total,
	}
	for i, id := range page {
		sid := itoa(id)
		p.Items[i] = collectionItem{Links: selfLinks(base + "/" + sid), ID: sid}
	}
	p.Links = pageLinks(base, query, offset, limit, total)
	writeJSON(w, http.StatusOK, p)
	return nil
}

// pageLinks are the first, prev, next, last and self links of a page of a paged list at
// base: query's parameters with the page's limit and offset. prev is left out on the
// first page, next on the last.
func pageLinks(base string, query url.Values, offset, limit, total int) []link {
	pageURL := func(off int) string {
		v := url.Values{}
		for k, vs := range query {
			v[k] = vs
		}
		v.Set("limit", strconv.Itoa(limit))
		v.Set("offset", strconv.Itoa(off))
		return base + "?" + v.Encode()
	}
	last := 0
	if total > 0 {
		last = (total - 1) / limit * limit
	}
	links := []link{{Rel: "first", Href: pageURL(0)}}
	if offset > 0 {
		links = append(links, link{Rel: "prev", Href: pageURL(max(offset-limit, 0))})
	}
	if offset+limit < total {
		links = append(links, link{Rel: "next", Href: pageURL(offset + limit)})
	}
	return append(links, link{Rel: "last", Href: pageURL(last)}, link{Rel: "self", Href: pageURL(offset)})
}

// intParam reads an integer query parameter within [lo, hi].
func intParam(q url.Values, name string, def, lo, hi int) (int, *apiError) {
	v := q.Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, invalidParameter(name, "Invalid value '"+v+"' for query parameter '"+name+"': it must be an integer between "+strconv.Itoa(lo)+" and "+strconv.Itoa(hi)+".")
	}
	return n, nil
}
