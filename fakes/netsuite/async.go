package netsuite

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
)

// asyncPrefix is where asynchronous jobs are polled.
const asyncPrefix = "/services/rest/async/v1/job"

// IdempotencyKeyHeader de-duplicates asynchronous requests.
const IdempotencyKeyHeader = "X-NetSuite-Idempotency-Key"

// CodeIdempotencyError is the error code of a request whose idempotency key was used.
const CodeIdempotencyError = "IDEMPOTENCY_ERROR"

// maxJobs bounds the jobs kept; the oldest finished ones are forgotten first.
const maxJobs = 100_000

// Job progress values, as NetSuite's job and task resources show them.
const (
	progressPending   = "pending"
	progressSucceeded = "succeeded"
	progressFailed    = "failed"
)

// asyncJob is one request executed in the background, with its recorded answer.
type asyncJob struct {
	id       int64
	progress string
	started  time.Time
	ended    time.Time
	status   int
	header   http.Header
	body     []byte
}

// asyncJobs holds the jobs and the idempotency keys. Safe for concurrent use.
type asyncJobs struct {
	mu    sync.Mutex
	next  int64
	jobs  map[int64]*asyncJob
	order []int64
	keys  map[string]keyUse
	rand  *faults.Rand
}

type keyUse struct {
	job int64
	at  time.Time
}

func newAsyncJobs(seed uint64) *asyncJobs {
	return &asyncJobs{next: 1, jobs: map[int64]*asyncJob{}, keys: map[string]keyUse{}, rand: faults.NewRand(seed ^ 0x617379)}
}

func (a *asyncJobs) reset() {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.next, a.jobs, a.order, a.keys = 1, map[int64]*asyncJob{}, nil, map[string]keyUse{}
}

// prefersAsync reports whether r asked for asynchronous execution (Prefer:
// respond-async; Prefer may list several preferences).
func prefersAsync(r *http.Request) bool {
	for _, v := range r.Header.Values("Prefer") {
		for p := range strings.SplitSeq(v, ",") {
			if strings.EqualFold(strings.TrimSpace(p), "respond-async") {
				return true
			}
		}
	}
	return false
}

// submitAsync answers a request with Prefer: respond-async: 202 Accepted, Location of
// the job, and the request runs later (async_delay) on the account's asynchronous
// processors, outside the concurrency gate the submission itself passed. A repeated
// X-NetSuite-Idempotency-Key within idempotency_window is refused with Oracle's
// example answer (400 "Conflict", IDEMPOTENCY_ERROR, Location of the earlier job) and
// runs nothing: the documented safe retry of a create whose answer was lost
// (https://docs.oracle.com/en/cloud/saas/netsuite/ns-online-help/subsect_164494900632.html).
func (s *Server) submitAsync(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	st := s.settings.Load()
	now := s.clock.Now()
	a := s.async
	key := strings.TrimSpace(r.Header.Get(IdempotencyKeyHeader))
	a.mu.Lock()
	if key != "" {
		if use, ok := a.keys[key]; ok && now.Sub(use.at) < st.idemWindow {
			a.mu.Unlock()
			h := w.Header()
			h.Set("Preference-Applied", "respond-async")
			h.Set("Location", fakehttp.BaseURL(r)+asyncPrefix+"/"+itoa(use.job))
			writeError(w, &apiError{status: http.StatusBadRequest, title: "Conflict", typ: typeRFC2616 + "#sec10.4.10", detail: ErrorDetail{
				Detail: `A request with the same idempotency key is already submitted. See the "Location" header for a link to the previously submitted job`,
				Code:   CodeIdempotencyError, Header: IdempotencyKeyHeader,
			}})
			return nil
		}
	}
	job := &asyncJob{id: a.next, progress: progressPending}
	a.next++
	a.jobs[job.id] = job
	a.order = append(a.order, job.id)
	if key != "" {
		a.keys[key] = keyUse{job: job.id, at: now}
	}
	a.prune(now, st.idemWindow)
	var delay time.Duration
	if st.asyncDelay != nil {
		a.rand.With(func(rnd *rand.Rand) { delay = st.asyncDelay.Sample(rnd) })
	}
	a.mu.Unlock()

	req := r.Clone(context.WithoutCancel(r.Context()))
	req.Header.Del("Prefer")
	req.Header.Del(IdempotencyKeyHeader)
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.ContentLength = int64(len(body))
	// Not in s.wg: a handler must not Add to it while Close waits. The job ends with the
	// server's context.
	go func() {
		if s.clock.Sleep(s.ctx, delay) != nil {
			return
		}
		s.runJob(job, req.WithContext(s.ctx))
	}()

	h := w.Header()
	h.Set("Preference-Applied", "respond-async")
	h.Set("Location", fakehttp.BaseURL(r)+asyncPrefix+"/"+itoa(job.id))
	h.Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(http.StatusAccepted)
	return nil
}

// prune forgets keys older than the window and the oldest finished jobs beyond maxJobs;
// call with a.mu held.
func (a *asyncJobs) prune(now time.Time, window time.Duration) {
	for k, u := range a.keys {
		if now.Sub(u.at) >= window {
			delete(a.keys, k)
		}
	}
	for len(a.order) > maxJobs {
		id := a.order[0]
		if j := a.jobs[id]; j != nil && j.progress == progressPending {
			break
		}
		a.order = a.order[1:]
		delete(a.jobs, id)
	}
}

// runJob executes a job's request as a synchronous one would run and records the answer.
func (s *Server) runJob(job *asyncJob, req *http.Request) {
	started := s.clock.Now()
	rec := &recorder{header: http.Header{}, status: http.StatusOK}
	s.route(rec, req)
	a := s.async
	a.mu.Lock()
	defer a.mu.Unlock()
	job.started, job.ended = started, s.clock.Now()
	job.status, job.header, job.body = rec.status, rec.header, rec.buf.Bytes()
	job.progress = progressSucceeded
	if rec.status >= 400 {
		job.progress = progressFailed
	}
}

// recorder is a minimal http.ResponseWriter that keeps what a handler wrote.
type recorder struct {
	header http.Header
	status int
	wrote  bool
	buf    bytes.Buffer
}

func (r *recorder) Header() http.Header { return r.header }
func (r *recorder) WriteHeader(code int) {
	if !r.wrote {
		r.status, r.wrote = code, true
	}
}
func (r *recorder) Write(b []byte) (int, error) {
	r.WriteHeader(http.StatusOK)
	return r.buf.Write(b)
}

// jobView is GET .../job/{id}.
type jobView struct {
	Links     []link `json:"links"`
	Completed bool   `json:"completed"`
	ID        string `json:"id"`
	Progress  string `json:"progress"`
	StartTime string `json:"startTime,omitempty"`
	EndTime   string `json:"endTime,omitempty"`
	Task      struct {
		Links []link `json:"links"`
	} `json:"task"`
}

// taskView is GET .../job/{id}/task/{id}.
type taskView struct {
	Links     []link `json:"links"`
	Completed bool   `json:"completed"`
	EndTime   string `json:"endTime,omitempty"`
	ID        string `json:"id"`
	Progress  string `json:"progress"`
	StartTime string `json:"startTime,omitempty"`
}

// serveAsync is GET /services/rest/async/v1/job/{id}[/task[/{id}[/result]]]: a job's
// progress, its task (one per job), and the recorded answer of the finished request.
func (s *Server) serveAsync(w http.ResponseWriter, r *http.Request) *apiError {
	if r.Method != http.MethodGet {
		return methodNotAllowed(r.Method, "job")
	}
	rest := strings.Trim(strings.TrimPrefix(r.URL.Path, asyncPrefix), "/")
	parts := strings.Split(rest, "/")
	if rest == "" || len(parts) > 4 || (len(parts) >= 2 && parts[1] != "task") || (len(parts) == 4 && parts[3] != "result") {
		return unknownPath(r.URL.Path)
	}
	id, ok := parsePositive(parts[0])
	if !ok {
		return notFound()
	}
	a := s.async
	a.mu.Lock()
	j, found := a.jobs[id]
	var snap asyncJob
	if found {
		snap = *j
	}
	a.mu.Unlock()
	if !found || (len(parts) >= 3 && parts[2] != parts[0]) {
		return notFound()
	}
	jobURL := fakehttp.BaseURL(r) + asyncPrefix + "/" + parts[0]
	taskURL := jobURL + "/task/" + parts[0]
	done := snap.progress != progressPending
	times := func() (string, string) {
		if !done {
			return "", ""
		}
		return formatTime(snap.started), formatTime(snap.ended)
	}
	switch len(parts) {
	case 1:
		v := jobView{Links: selfLinks(jobURL), Completed: done, ID: parts[0], Progress: snap.progress}
		v.StartTime, v.EndTime = times()
		v.Task.Links = selfLinks(jobURL + "/task")
		writeJSON(w, http.StatusOK, v)
	case 2:
		writeJSON(w, http.StatusOK, collectionPage{Links: selfLinks(jobURL + "/task"), Count: 1, Items: []collectionItem{{Links: selfLinks(taskURL), ID: parts[0]}}, TotalResults: 1})
	case 3:
		v := taskView{Links: []link{{Rel: "related", Href: taskURL + "/result"}, {Rel: "self", Href: taskURL}}, Completed: done, ID: parts[0], Progress: snap.progress}
		v.StartTime, v.EndTime = times()
		writeJSON(w, http.StatusOK, v)
	case 4:
		if !done {
			return &apiError{status: http.StatusNotFound, detail: ErrorDetail{Detail: "The task has not completed; its result is not available yet.", Code: CodeNonexistentID}}
		}
		s.writeJobResult(w, &snap)
	}
	return nil
}

// writeJobResult answers a task's result: the record or page the request answered, the
// error envelope (with its status) of a failed request, or for a 204 the links to the
// record it wrote.
func (s *Server) writeJobResult(w http.ResponseWriter, j *asyncJob) {
	if j.status == http.StatusNoContent || len(j.body) == 0 {
		v := struct {
			Links []link `json:"links"`
		}{Links: []link{}}
		if loc := j.header.Get("Location"); loc != "" {
			v.Links = selfLinks(loc)
		}
		writeJSON(w, http.StatusOK, v)
		return
	}
	var probe json.RawMessage
	if json.Unmarshal(j.body, &probe) != nil {
		writeError(w, unexpectedError())
		return
	}
	writeRecordStatus(w, j.status, j.body)
}

func writeRecordStatus(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "application/json; charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

func parsePositive(s string) (int64, bool) {
	if s == "" || len(s) > 18 || strings.Trim(s, "0123456789") != "" {
		return 0, false
	}
	var n int64
	for _, c := range s {
		n = n*10 + int64(c-'0')
	}
	return n, n > 0
}
