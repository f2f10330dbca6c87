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
	fields   []string
	rows     []*record
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

// serveQuery is GET /query?q=SOQL.
func (s *Server) serveQuery(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	q := r.URL.Query().Get("q")
	if strings.TrimSpace(q) == "" {
		return newError(http.StatusBadRequest, CodeMalformedQuery, "A query string has to be specified")
	}
	parsed, perr := soql.Parse(q)
	if perr != nil {
		return soqlError(q, perr)
	}
	plan, cerr := soql.Compile(parsed, rq.st.schema.soql)
	if cerr != nil {
		return soqlError(q, cerr)
	}
	object := plan.Object.Name
	s.rlock(rq)
	var candidates []*record
	if field, values, ok := plan.EqualityLookup(func(f string) bool {
		_, indexed := s.st.tables[object].index[f]
		return indexed || f == "Id"
	}); ok {
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
	} else {
		candidates = s.st.live(object)
	}
	s.runlock(rq)
	in := make([]soql.Record, len(candidates))
	for i, c := range candidates {
		in[i] = c
	}
	rows, total := plan.Run(in, s.clock.Now())
	if parsed.Count {
		writeRaw(w, http.StatusOK, []byte(`{"totalSize":`+strconv.Itoa(total)+`,"done":true,"records":[]}`))
		return nil
	}
	fields := make([]string, len(plan.Fields))
	for i, f := range plan.Fields {
		fields[i] = f.Name
	}
	recs := make([]*record, len(rows))
	for i, row := range rows {
		recs[i] = row.(*record)
	}
	cur := &cursor{object: object, fields: fields, rows: recs, batch: batchSize(r, rq.st.limits.QueryBatchSize)}
	if len(recs) > cur.batch {
		s.lock(rq)
		s.cursors.add(cur)
		s.unlock(rq)
	}
	writeRendered(w, http.StatusOK, func(b []byte) []byte { return renderBatch(b, rq, cur, 0) })
	return nil
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
		b = appendRecord(b, prefix, cur.rows[i], cur.fields)
	}
	return append(b, "]}"...)
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
