package salesforce

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/salesforce/soql"
)

// Query cursor limits: a cursor not fetched for cursorIdle is forgotten, and at most
// maxCursors are kept (the oldest goes first).
const (
	cursorIdle = 15 * time.Minute
	maxCursors = 1000
)

// cursor is a query result too large for one batch, fetched batch by batch through its
// locator.
type cursor struct {
	id       string
	object   string
	layout   []outEntry
	rows     []*queryRow
	batch    int
	lastUsed time.Time
}

// cursorStore keeps the rows of queries that did not fit in one batch. Rows are record
// versions, so later writes do not change a cursor (as a query locator is a snapshot).
// Guarded by the Server's mutex.
type cursorStore struct {
	clock clock.Clock
	seq   uint64
	byID  map[string]*cursor
	order []string // creation order, for eviction
}

func newCursorStore(c clock.Clock) *cursorStore {
	return &cursorStore{clock: c, byID: map[string]*cursor{}}
}

func (c *cursorStore) add(cur *cursor) {
	c.expire()
	c.seq++
	cur.id = NewID(prefixCursor, c.seq)
	cur.lastUsed = c.clock.Now()
	c.byID[cur.id] = cur
	c.order = append(c.order, cur.id)
	for len(c.byID) > maxCursors {
		delete(c.byID, c.order[0])
		c.order = c.order[1:]
	}
}

func (c *cursorStore) get(id string) *cursor {
	c.expire()
	cur := c.byID[id]
	if cur != nil {
		cur.lastUsed = c.clock.Now()
	}
	return cur
}

func (c *cursorStore) expire() {
	now := c.clock.Now()
	for id, cur := range c.byID {
		if now.Sub(cur.lastUsed) >= cursorIdle {
			delete(c.byID, id)
		}
	}
	c.order = slices.DeleteFunc(c.order, func(id string) bool { return c.byID[id] == nil })
}

func (c *cursorStore) open() int {
	n := 0
	now := c.clock.Now()
	for _, cur := range c.byID {
		if now.Sub(cur.lastUsed) < cursorIdle {
			n++
		}
	}
	return n
}

// batchSize is the query batch size: the knob, lowered by Sforce-Query-Options:
// batchSize=N (200 to 2,000; other values are ignored).
func batchSize(r *http.Request, knob int) int {
	for _, part := range strings.Split(r.Header.Get("Sforce-Query-Options"), ",") {
		k, v, _ := strings.Cut(part, "=")
		if strings.EqualFold(strings.TrimSpace(k), "batchSize") {
			if n, err := strconv.Atoi(strings.TrimSpace(v)); err == nil && n >= 200 && n <= 2000 {
				return min(n, knob)
			}
		}
	}
	return knob
}

func soqlError(q string, e *soql.Error) *apiError {
	return newError(http.StatusBadRequest, e.Code, e.Message(q))
}

// fieldsFrom is the first version with SOQL's FIELDS() function.
const fieldsFrom = 51

// queryRow is a record a query reads, with the parents its relationship fields reach,
// looked up while the query holds the store's lock. It is the soql.ParentRecord the
// plan filters and sorts.
type queryRow struct {
	rec     *record
	st      *store // nil once the query has run
	parents map[string]*queryRow
}

var _ soql.ParentRecord = (*queryRow)(nil)

func (q *queryRow) Value(field string) any { return q.rec.Value(field) }

// Parent follows a lookup, caching the parent record version it found.
func (q *queryRow) Parent(rel string) soql.Record {
	if p, ok := q.parents[rel]; ok {
		if p == nil {
			return nil
		}
		return p
	}
	var out *queryRow
	if q.st != nil {
		if obj, ok := q.st.relationships[q.rec.object][rel]; ok {
			if id, _ := q.rec.values[obj.field].(string); id != "" {
				if p := q.st.get(obj.target, id); p != nil && !p.deleted {
					out = &queryRow{rec: p, st: q.st}
				}
			}
		}
	}
	if q.parents == nil {
		q.parents = map[string]*queryRow{}
	}
	q.parents[rel] = out
	if out == nil {
		return nil
	}
	return out
}

// serveQuery is GET /query?q=SOQL, or /queryAll?q=SOQL when all: QueryAll also returns
// deleted records, with IsDeleted true.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, rq *request, all bool) *apiError {
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		return newError(http.StatusBadRequest, CodeMalformedQuery, "A query string has to be specified")
	}
	parsed, perr := soql.Parse(q)
	if perr != nil {
		return soqlError(q, perr)
	}
	if rq.version < fieldsFrom {
		for _, item := range parsed.Select {
			if item.FieldSet != "" {
				return soqlError(q, &soql.Error{Code: CodeMalformedQuery, Pos: item.Pos, Detail: "The SOQL FIELDS function is available in API version 51.0 and later"})
			}
		}
	}
	plan, cerr := soql.Compile(parsed, rq.st.schema.soql)
	if cerr != nil {
		return soqlError(q, cerr)
	}
	object := plan.Object.Name
	layout := queryLayout(plan.Fields)
	s.rlock(rq)
	var candidates []*record
	field, values, indexed := plan.EqualityLookup(func(f string) bool {
		_, indexed := s.st.tables[object].index[f]
		return indexed || f == "Id"
	})
	switch {
	case all:
		candidates = s.st.all(object)
	case indexed:
		seen := map[string]bool{}
		for _, v := range values {
			for _, m := range s.st.lookup(object, field, v) {
				if !seen[m.id] {
					seen[m.id] = true
					candidates = append(candidates, m)
				}
			}
		}
		slices.SortFunc(candidates, func(a, b *record) int { return cmpSeq(a.seq, b.seq) })
	default:
		candidates = s.st.live(object)
	}
	in := make([]soql.Record, len(candidates))
	for i, c := range candidates {
		in[i] = &queryRow{rec: c, st: s.st}
	}
	found, total := plan.Run(in, s.clock.Now())
	rows := make([]*queryRow, len(found))
	for i, f := range found {
		rows[i] = f.(*queryRow)
		prefetchParents(rows[i], layout)
	}
	s.runlock(rq)
	for _, row := range rows {
		row.forget()
	}
	switch {
	case parsed.Count:
		writeRaw(w, http.StatusOK, []byte(`{"totalSize":`+strconv.Itoa(total)+`,"done":true,"records":[]}`))
		return nil
	case plan.IsAggregate():
		writeRendered(w, http.StatusOK, func(b []byte) []byte {
			b = append(b, `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"AggregateResult"}`...)
			for _, a := range plan.Aggregate(found) {
				b = append(b, ',')
				b = appendString(b, a.Name)
				b = append(b, ':')
				b = strconv.AppendInt(b, int64(a.Value), 10)
			}
			return append(b, "}]}"...)
		})
		return nil
	}
	// a QueryAll's nextRecordsUrl is under /query too ("Although the nextRecordsUrl has
	// query in the URL, it still provides the remaining results from the initial QueryAll
	// request", REST API Developer Guide, QueryAll); the locator also answers under
	// /queryAll (QueryAll More Results). A cursor is a snapshot, so either path gives the
	// rows the QueryAll matched, deleted ones included.
	cur := &cursor{object: object, layout: layout, rows: rows, batch: batchSize(r, rq.st.limits.QueryBatchSize)}
	if len(rows) > cur.batch {
		s.lock(rq)
		s.cursors.add(cur)
		s.unlock(rq)
	}
	writeRendered(w, http.StatusOK, func(b []byte) []byte { return renderBatch(b, rq, cur, 0) })
	return nil
}

// outEntry is one key of a query record: a field, or a parent record (rel) with its
// own entries.
type outEntry struct {
	field    string
	rel      string
	children []outEntry
}

// queryLayout arranges the selected columns as records render them: a relationship's
// fields are grouped under the relationship, where its first field was selected.
func queryLayout(cols []soql.Column) []outEntry {
	var out []outEntry
	for _, c := range cols {
		out = placeColumn(out, c.Path, c.Name)
	}
	return out
}

func placeColumn(entries []outEntry, path []string, field string) []outEntry {
	if len(path) == 0 {
		return append(entries, outEntry{field: field})
	}
	for i := range entries {
		if entries[i].rel == path[0] {
			entries[i].children = placeColumn(entries[i].children, path[1:], field)
			return entries
		}
	}
	return append(entries, outEntry{rel: path[0], children: placeColumn(nil, path[1:], field)})
}

// prefetchParents looks up every parent the layout renders, while the lock is held.
func prefetchParents(row *queryRow, layout []outEntry) {
	for _, e := range layout {
		if e.rel == "" {
			continue
		}
		if p, _ := row.Parent(e.rel).(*queryRow); p != nil {
			prefetchParents(p, e.children)
		}
	}
}

// forget drops the store reference once the query has run: a cursor keeps only the
// record versions it saw.
func (q *queryRow) forget() {
	q.st = nil
	for _, p := range q.parents {
		if p != nil {
			p.forget()
		}
	}
}

// serveQueryMore is GET /query/{locator}: the next batch of a query, the locator being
// CURSORID-OFFSET.
func (s *Server) serveQueryMore(w http.ResponseWriter, _ *http.Request, rq *request, locator string) *apiError {
	invalid := newError(http.StatusBadRequest, CodeInvalidQueryLocator, "invalid query locator")
	id, offText, ok := strings.Cut(locator, "-")
	if !ok {
		return invalid
	}
	off, err := strconv.Atoi(offText)
	if err != nil || off < 0 {
		return invalid
	}
	s.lock(rq)
	cur := s.cursors.get(id)
	s.unlock(rq)
	if cur == nil || off >= len(cur.rows) {
		return invalid
	}
	writeRendered(w, http.StatusOK, func(b []byte) []byte { return renderBatch(b, rq, cur, off) })
	return nil
}

// renderBatch renders up to cur.batch rows from off, with nextRecordsUrl when more
// remain.
func renderBatch(b []byte, rq *request, cur *cursor, off int) []byte {
	end := min(off+cur.batch, len(cur.rows))
	b = append(b, `{"totalSize":`...)
	b = strconv.AppendInt(b, int64(len(cur.rows)), 10)
	if end < len(cur.rows) {
		b = append(b, `,"done":false,"nextRecordsUrl":`...)
		b = appendString(b, rq.prefix()+"/query/"+cur.id+"-"+strconv.Itoa(end))
	} else {
		b = append(b, `,"done":true`...)
	}
	b = append(b, `,"records":[`...)
	prefix := rq.prefix()
	for i := off; i < end; i++ {
		if i > off {
			b = append(b, ',')
		}
		b = appendQueryRow(b, prefix, cur.rows[i], cur.layout)
	}
	return append(b, "]}"...)
}

// appendQueryRow renders a query record: attributes, then its entries; a parent that
// is not there renders as null.
func appendQueryRow(b []byte, prefix string, row *queryRow, layout []outEntry) []byte {
	b = appendAttributes(b, prefix, row.rec)
	for _, e := range layout {
		b = append(b, ',')
		if e.rel == "" {
			b = appendString(b, e.field)
			b = append(b, ':')
			b = appendValue(b, row.rec.Value(e.field))
			continue
		}
		b = appendString(b, e.rel)
		b = append(b, ':')
		if p := row.parents[e.rel]; p != nil {
			b = appendQueryRow(b, prefix, p, e.children)
		} else {
			b = append(b, "null"...)
		}
	}
	return append(b, '}')
}

func cmpSeq(a, b uint64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}
