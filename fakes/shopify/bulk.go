package shopify

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// Bulk query operations (shopify.dev/docs/api/usage/bulk-operations/queries; the
// BulkOperation, BulkOperationRunQueryPayload and BulkOperationUserErrorCode reference
// pages): bulkOperationRunQuery checks the query, runs it against the store at once and
// keeps the JSONL result; the operation then reports CREATED, RUNNING with a growing
// objectCount, and COMPLETED with url and fileSize as platform time passes at
// BulkRowsPerSecond. FAILED (errorCode, partialDataUrl) comes from the 10-day limit or
// from FailBulkOperation; CANCELING then CANCELED from bulkOperationCancel. Reaching
// COMPLETED, FAILED or CANCELED publishes bulk_operations/finish.

// Bulk defaults.
const (
	// DefaultBulkRowsPerSecond is how fast an operation's objectCount grows [U: Shopify
	// publishes no throughput].
	DefaultBulkRowsPerSecond = 1000
	// DefaultBulkConcurrency is how many bulk queries one app may run at once: "Apps can
	// run one bulk query operation and one bulk mutation operation at a time per shop"
	// (BulkOperationRunQueryPayload, 2026-07 reference page; the 2025-12-15 changelog
	// "Faster bulk operations" raises it to 5 from 2026-01, a knob).
	DefaultBulkConcurrency = 1
	// DefaultBulkTimeout: "The bulk query operation has to complete within 10 days. After
	// that it will be stopped and marked as failed."
	DefaultBulkTimeout = 10 * 24 * time.Hour
	// bulkURLLifetime: url and partialDataUrl "expire after seven days".
	bulkURLLifetime = 7 * 24 * time.Hour
	// maxBulkVisits bounds one bulk execution's field expansions.
	maxBulkVisits = 200_000_000
)

// BulkOperation statuses.
const (
	BulkCreated   = "CREATED"
	BulkRunning   = "RUNNING"
	BulkCompleted = "COMPLETED"
	BulkFailed    = "FAILED"
	BulkCanceling = "CANCELING"
	BulkCanceled  = "CANCELED"
	BulkExpired   = "EXPIRED"
)

// bulkOp is one bulk query operation. Its result is computed when it is created; what
// clients see of it depends only on the platform time, so polling is deterministic.
type bulkOp struct {
	n         int64
	app       *appState
	query     string
	createdAt time.Time
	token     string // the unguessable part of the result URLs
	rate      float64

	jsonl []byte
	ends  []int   // ends[i]: end offset of line i (its '\n' included)
	roots []int32 // roots[i]: root lines among lines 0..i

	mu         sync.Mutex
	canceledAt time.Time
	failedAt   time.Time
	errorCode  string
	changed    chan struct{} // closed and replaced when the schedule changes
}

func (b *bulkOp) gid() string { return "gid://shopify/BulkOperation/" + strconv.FormatInt(b.n, 10) }

// runningFor is how long the operation takes to export every line at its rate.
func (b *bulkOp) runningFor() time.Duration {
	if len(b.ends) == 0 {
		return 0
	}
	return time.Duration(float64(len(b.ends)) / b.rate * float64(time.Second))
}

// rowsAt is how many lines were exported by t.
func (b *bulkOp) rowsAt(t time.Time) int {
	if !t.After(b.createdAt) {
		return 0
	}
	n := int(t.Sub(b.createdAt).Seconds() * b.rate)
	return min(n, len(b.ends))
}

// bulkView is an operation as seen at one instant.
type bulkView struct {
	op          *bulkOp
	status      string
	rows        int
	completedAt time.Time
	errorCode   string
	url         string // path, without scheme and host
	partialURL  string
	fileSize    int
}

func (b *bulkOp) view(now time.Time) bulkView {
	b.mu.Lock()
	canceledAt, failedAt, code := b.canceledAt, b.failedAt, b.errorCode
	b.mu.Unlock()
	v := bulkView{op: b}
	done := b.createdAt.Add(b.runningFor())
	switch {
	case !canceledAt.IsZero():
		v.rows = b.rowsAt(canceledAt)
		v.status = BulkCanceled
		if !now.After(canceledAt) {
			v.status = BulkCanceling
		}
	case !failedAt.IsZero() && !now.Before(failedAt):
		v.status, v.errorCode, v.rows = BulkFailed, code, b.rowsAt(failedAt)
		if v.rows > 0 && now.Before(failedAt.Add(bulkURLLifetime)) {
			v.partialURL = b.path(true)
		}
	case !now.After(b.createdAt):
		v.status = BulkCreated
	case now.Before(done):
		v.status, v.rows = BulkRunning, b.rowsAt(now)
	default:
		v.status, v.rows, v.completedAt = BulkCompleted, len(b.ends), done
		if !now.Before(done.Add(bulkURLLifetime)) {
			v.status = BulkExpired
		} else if len(b.ends) > 0 {
			v.url, v.fileSize = b.path(false), len(b.jsonl)
		}
	}
	return v
}

func (b *bulkOp) path(partial bool) string {
	p := "/_fake/bulk/" + strconv.FormatInt(b.n, 10) + "-" + b.token
	if partial {
		p += "-partial"
	}
	return p + ".jsonl"
}

// finishAt is when the operation reaches a final status, and which.
func (b *bulkOp) finishAt() (time.Time, string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	switch {
	case !b.canceledAt.IsZero():
		return b.canceledAt.Add(time.Nanosecond), BulkCanceled
	case !b.failedAt.IsZero():
		return b.failedAt, BulkFailed
	}
	return b.createdAt.Add(b.runningFor()), BulkCompleted
}

func (b *bulkOp) signal() {
	b.mu.Lock()
	close(b.changed)
	b.changed = make(chan struct{})
	b.mu.Unlock()
}

func (b *bulkOp) running(now time.Time) bool {
	switch b.view(now).status {
	case BulkCreated, BulkRunning, BulkCanceling:
		return true
	}
	return false
}

// bulkOps holds every app's bulk operations. Safe for concurrent use.
type bulkOps struct {
	mu    sync.Mutex
	next  int64
	ops   []*bulkOp
	byN   map[int64]*bulkOp
	stop  chan struct{} // closed by reset and close: finishers exit
	wg    sync.WaitGroup
	rate  float64
	limit int
	max   time.Duration
}

func newBulkOps(rate float64, limit int, timeout time.Duration) *bulkOps {
	return &bulkOps{next: 1, byN: map[int64]*bulkOp{}, stop: make(chan struct{}), rate: rate, limit: limit, max: timeout}
}

func (o *bulkOps) get(n int64) *bulkOp {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.byN[n]
}

// current is an app's most recent operation.
func (o *bulkOps) current(app *appState) *bulkOp {
	o.mu.Lock()
	defer o.mu.Unlock()
	for i := len(o.ops) - 1; i >= 0; i-- {
		if o.ops[i].app == app {
			return o.ops[i]
		}
	}
	return nil
}

func (o *bulkOps) reset() {
	o.mu.Lock()
	close(o.stop)
	o.stop = make(chan struct{})
	o.ops, o.byN, o.next = nil, map[int64]*bulkOp{}, 1
	o.mu.Unlock()
	o.wg.Wait()
}

// bulkFromGID parses gid://shopify/BulkOperation/N.
func bulkFromGID(gid string) (int64, bool) {
	s, ok := strings.CutPrefix(gid, "gid://shopify/BulkOperation/")
	if !ok {
		return 0, false
	}
	n, err := strconv.ParseInt(s, 10, 64)
	return n, err == nil && n > 0
}

// bulkRun is the payload of bulkOperationRunQuery.
type bulkRunPayload struct {
	view *bulkView
	errs []userError
}

type bulkCancelPayload struct {
	view *bulkView
	errs []userError
}

// runBulkQuery is bulkOperationRunQuery(query:).
func (r *gqlRequest) runBulkQuery(rc *gql.ResolveContext) any {
	s := r.s
	q, _ := rc.Args.String("query")
	fail := func(code, msg string, field []string) any {
		return &bulkRunPayload{errs: []userError{{field: field, message: msg, code: code}}}
	}
	now := s.opts.Clock.Now()
	o := s.bulk
	o.mu.Lock()
	var running []*bulkOp
	for _, b := range o.ops {
		if b.app == r.app && b.running(now) {
			running = append(running, b)
		}
	}
	o.mu.Unlock()
	if len(running) >= o.limit {
		return fail("OPERATION_IN_PROGRESS", fmt.Sprintf("A bulk query operation for this app and shop is already in progress: %s.", running[0].gid()), nil)
	}
	exec := s.executors[r.rules]
	op, errs := gql.Prepare(exec.Schema(), q, "", nil)
	if errs != nil {
		return fail("INVALID", "Invalid bulk query: "+errs[0].Message, []string{"query"})
	}
	op.Scale = s.scale
	if err := gql.CheckBulkQuery(op); err != nil {
		return fail("INVALID", err.Error(), []string{"query"})
	}
	if _, _, err := gql.RequestedCost(op, false); err != nil {
		return fail("INVALID", err.Error(), []string{"query"})
	}
	op.MaxVisits = maxBulkVisits
	req := &gqlRequest{s: s, app: r.app, version: r.version, rules: r.rules, bulk: true}
	res := exec.Execute(context.Background(), op, req)
	if len(res.Errors) > 0 {
		return fail("INVALID", "Invalid bulk query: "+res.Errors[0].Message, []string{"query"})
	}
	b := &bulkOp{app: r.app, query: q, createdAt: now, rate: o.rate, changed: make(chan struct{})}
	var tok [8]byte
	_, _ = rand.Read(tok[:])
	b.token = hex.EncodeToString(tok[:])
	var roots int32
	if err := gql.BulkLines(op, res.Data, func(line []byte, root bool) {
		b.jsonl = append(append(b.jsonl, line...), '\n')
		b.ends = append(b.ends, len(b.jsonl))
		if root {
			roots++
		}
		b.roots = append(b.roots, roots)
	}); err != nil {
		return fail("INVALID", "Invalid bulk query: "+err.Error(), []string{"query"})
	}
	if b.runningFor() > o.max {
		b.failedAt, b.errorCode = now.Add(o.max), "TIMEOUT"
	}
	o.mu.Lock()
	b.n = o.next
	o.next++
	o.ops = append(o.ops, b)
	o.byN[b.n] = b
	stop := o.stop
	o.wg.Add(1)
	o.mu.Unlock()
	go s.finishBulk(b, stop)
	v := b.view(now)
	return &bulkRunPayload{view: &v}
}

// finishBulk waits (platform time) until the operation ends and publishes
// bulk_operations/finish.
func (s *Server) finishBulk(b *bulkOp, stop chan struct{}) {
	defer s.bulk.wg.Done()
	for {
		at, status := b.finishAt()
		b.mu.Lock()
		changed := b.changed
		b.mu.Unlock()
		if d := at.Sub(s.opts.Clock.Now()); d > 0 {
			t := s.opts.Clock.NewTimer(d)
			select {
			case <-t.C():
			case <-changed:
				t.Stop()
				continue
			case <-stop:
				t.Stop()
				return
			}
		}
		if at2, status2 := b.finishAt(); at2 != at || status2 != status {
			continue
		}
		s.publishBulkFinish(b, status)
		return
	}
}

// publishBulkFinish sends bulk_operations/finish. The payload's fields are the
// reference's (shopify.md §6): admin_graphql_api_id, completed_at, created_at,
// error_code, status and type, lowercase.
func (s *Server) publishBulkFinish(b *bulkOp, status string) {
	v := b.view(s.opts.Clock.Now())
	var completed, code any
	if !v.completedAt.IsZero() {
		completed = s.store.RESTTime(v.completedAt)
	}
	if v.errorCode != "" {
		code = strings.ToLower(v.errorCode)
	}
	body, _ := json.Marshal(map[string]any{
		"admin_graphql_api_id": b.gid(), "completed_at": completed, "created_at": s.store.RESTTime(b.createdAt),
		"error_code": code, "status": strings.ToLower(status), "type": "query",
	})
	s.registry.Publish(webhooks.Event{Topic: "bulk_operations/finish", ResourceID: b.n, TriggeredAt: s.opts.Clock.Now(), Payload: body})
}

// cancelBulk is bulkOperationCancel(id:).
func (r *gqlRequest) cancelBulk(rc *gql.ResolveContext) any {
	id, _ := rc.Args.String("id")
	n, ok := bulkFromGID(id)
	b := r.s.bulk.get(n)
	if !ok || b == nil || b.app != r.app {
		return &bulkCancelPayload{errs: []userError{{field: []string{"id"}, message: "Bulk operation does not exist"}}}
	}
	now := r.s.opts.Clock.Now()
	v := b.view(now)
	if v.status != BulkCreated && v.status != BulkRunning {
		return &bulkCancelPayload{view: &v, errs: []userError{{message: "A bulk operation cannot be canceled when it is " + strings.ToLower(v.status)}}}
	}
	b.mu.Lock()
	b.canceledAt = now
	b.mu.Unlock()
	b.signal()
	v = b.view(now)
	return &bulkCancelPayload{view: &v}
}

// FailBulkOperation makes a created or running bulk operation fail now with errorCode
// (ACCESS_DENIED, INTERNAL_SERVER_ERROR or TIMEOUT); what it exported so far becomes its
// partialDataUrl. It reports whether the operation was running.
func (s *Server) FailBulkOperation(gid, errorCode string) (bool, error) {
	switch errorCode {
	case "ACCESS_DENIED", "INTERNAL_SERVER_ERROR", "TIMEOUT":
	default:
		return false, fmt.Errorf("error code %q: want ACCESS_DENIED, INTERNAL_SERVER_ERROR or TIMEOUT", errorCode)
	}
	n, _ := bulkFromGID(gid)
	b := s.bulk.get(n)
	if b == nil {
		return false, fmt.Errorf("no bulk operation %s", gid)
	}
	now := s.opts.Clock.Now()
	if st := b.view(now).status; st != BulkCreated && st != BulkRunning {
		return false, nil
	}
	b.mu.Lock()
	b.failedAt, b.errorCode = now, errorCode
	b.mu.Unlock()
	b.signal()
	return true, nil
}

// bulkBase is the scheme and host result URLs are written with: the host the request
// came to, as the REST Link header does.
func bulkBase(r *http.Request) string {
	if r == nil {
		return ""
	}
	return fakehttp.BaseURL(r)
}

// adminBulkFile serves a result: GET /_fake/bulk/{file}. The URL needs no token, as
// Shopify's signed storage URLs need none; an expired one is 403.
func (s *Server) adminBulkFile(w http.ResponseWriter, r *http.Request) {
	name := r.PathValue("file")
	base, ok := strings.CutSuffix(name, ".jsonl")
	partial := false
	if p, ok2 := strings.CutSuffix(base, "-partial"); ok2 {
		base, partial = p, true
	}
	num, token, ok3 := strings.Cut(base, "-")
	n, err := strconv.ParseInt(num, 10, 64)
	b := s.bulk.get(n)
	if !ok || !ok3 || err != nil || b == nil || token != b.token {
		fakehttp.AdminError(w, http.StatusNotFound, "no such bulk operation result")
		return
	}
	v := b.view(s.opts.Clock.Now())
	var rows int
	switch {
	case !partial && v.url != "":
		rows = len(b.ends)
	case partial && v.partialURL != "":
		rows = v.rows
	case v.status == BulkExpired || v.status == BulkFailed:
		w.Header().Set("Content-Type", "application/xml; charset=UTF-8")
		w.WriteHeader(http.StatusForbidden)
		_, _ = w.Write([]byte(`<?xml version='1.0' encoding='UTF-8'?><Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message></Error>`))
		return
	default:
		fakehttp.AdminError(w, http.StatusNotFound, "the result is not ready: the operation is "+strings.ToLower(v.status))
		return
	}
	end := 0
	if rows > 0 {
		end = b.ends[rows-1]
	}
	w.Header().Set("Content-Type", "application/jsonl")
	w.Header().Set("Content-Length", strconv.Itoa(end))
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b.jsonl[:end])
}

// adminBulkFail is POST /_fake/bulk/fail {"id": gid, "error_code": "TIMEOUT"}.
func (s *Server) adminBulkFail(w http.ResponseWriter, r *http.Request) {
	var body struct {
		ID        string `json:"id"`
		ErrorCode string `json:"error_code"`
	}
	if !readAdminBody(w, r, &body, false) {
		return
	}
	if body.ErrorCode == "" {
		body.ErrorCode = "INTERNAL_SERVER_ERROR"
	}
	ok, err := s.FailBulkOperation(body.ID, body.ErrorCode)
	if err != nil {
		fakehttp.AdminError(w, http.StatusBadRequest, err.Error())
		return
	}
	if !ok {
		fakehttp.AdminError(w, http.StatusConflict, "the operation is no longer running")
		return
	}
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"id": body.ID, "status": BulkFailed})
}

// adminBulkOps lists every bulk operation: GET /_fake/bulk.
func (s *Server) adminBulkOps(w http.ResponseWriter, r *http.Request) {
	now := s.opts.Clock.Now()
	s.bulk.mu.Lock()
	ops := append([]*bulkOp(nil), s.bulk.ops...)
	s.bulk.mu.Unlock()
	out := make([]map[string]any, 0, len(ops))
	for _, b := range ops {
		v := b.view(now)
		out = append(out, map[string]any{"id": b.gid(), "app": b.app.name, "status": v.status, "object_count": v.rows,
			"total_objects": len(b.ends), "file_size": len(b.jsonl), "created_at": b.createdAt, "query": b.query})
	}
	fakehttp.WriteJSON(w, http.StatusOK, map[string]any{"operations": out})
}
