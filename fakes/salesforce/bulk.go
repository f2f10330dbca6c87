package salesforce

import (
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
)

// Bulk API 2.0 ingest jobs (/jobs/ingest). A job is Open for one upload of CSV data;
// closing it (UploadComplete) queues it; after bulk_queue_delay of platform time it is
// InProgress and processes its records in batches of bulk_records_per_batch at
// bulk_processing_rate records a second, each batch written to the store when it
// completes, through the same validation, duplicate rules, lock-row dice and ledger as
// every other write; then it is JobComplete. A batch the daily Bulk API allocations
// (DailyBulkApiBatches, bulk_daily_records) cannot take fails the job, leaving the
// remaining records unprocessed, as Salesforce documents ("If the limit is exceeded while
// processing your job data, the remaining data isn't processed. The ingest job is marked
// as having failed."). Every HTTP request of the Bulk API is one call against the daily
// API allocation.
//
// Jobs advance lazily, whenever the fake is called or read, and a background loop wakes
// when the next batch is due, so the state is the same whenever it is observed.

// Job states, as Salesforce spells them.
const (
	JobOpen           = "Open"
	JobUploadComplete = "UploadComplete"
	JobInProgress     = "InProgress"
	JobComplete       = "JobComplete"
	JobFailed         = "Failed"
	JobAborted        = "Aborted"
)

const (
	// bulkFrom is the first version with Bulk API 2.0 ingest.
	bulkFrom = 41
	// prefixJob is the key prefix of job ids.
	prefixJob = "750"
	// jobRetention is how long a job in a terminal state is kept.
	jobRetention = 7 * 24 * time.Hour
	// jobsPerPage is the most jobs one GET /jobs/ingest answers.
	jobsPerPage = 1000
)

// ingestJob is one Bulk API 2.0 ingest job. Guarded by bulkJobs.mu.
type ingestJob struct {
	id, object, operation, extField string
	delimiter, lineEnding           string
	version                         int
	created, modstamp               time.Time
	state                           string
	data                            []byte
	uploaded                        bool
	closedAt, started, finished     time.Time
	errorMessage                    string

	// header and rows are the job data, parsed when processing starts; next is the
	// index of the first row not processed.
	header    []string
	rows      [][]string
	next      int
	successes []jobResult
	failures  []jobResult
}

// jobResult is the outcome of one row: the record id (if known), whether it was
// created, or the error in Salesforce's "CODE:message:fields --" form.
type jobResult struct {
	row     int
	id      string
	created bool
	err     string
}

// bulkJobs holds the ingest jobs. Lock order: mu before Server.mu.
type bulkJobs struct {
	mu     sync.Mutex
	seq    uint64
	byID   map[string]*ingestJob
	order  []string
	active atomic.Int64 // jobs in UploadComplete or InProgress

	loopOnce sync.Once
	wake     chan struct{}
	stop     chan struct{}
	stopOnce sync.Once
}

func newBulkJobs() *bulkJobs {
	return &bulkJobs{byID: map[string]*ingestJob{}, wake: make(chan struct{}, 1), stop: make(chan struct{})}
}

func terminal(state string) bool {
	return state == JobComplete || state == JobFailed || state == JobAborted
}

// advanceBulk processes the Bulk API jobs due by now.
func (s *Server) advanceBulk() {
	if s.bulk.active.Load() == 0 {
		return
	}
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	s.advanceJobsLocked()
}

// advanceJobsLocked moves every active job as far as now allows. bulk.mu must be held.
func (s *Server) advanceJobsLocked() {
	now := s.clock.Now()
	for _, id := range s.bulk.order {
		if j := s.bulk.byID[id]; j != nil && (j.state == JobUploadComplete || j.state == JobInProgress) {
			s.advanceJob(j, now)
		}
	}
}

// nextDue is when the next batch of an active job is due (zero if none). bulk.mu held.
func (s *Server) nextDueLocked() time.Time {
	st := s.settings.Load()
	var due time.Time
	for _, id := range s.bulk.order {
		j := s.bulk.byID[id]
		if j == nil {
			continue
		}
		var t time.Time
		switch j.state {
		case JobUploadComplete:
			t = j.closedAt.Add(st.bulkQueueDelay)
		case JobInProgress:
			t = j.batchDue(min(j.next+st.limits.BulkRecordsPerBatch, len(j.rows)), st)
		default:
			continue
		}
		if due.IsZero() || t.Before(due) {
			due = t
		}
	}
	return due
}

// batchDue is when the row at index end has been processed.
func (j *ingestJob) batchDue(end int, st *settings) time.Time {
	secs := float64(end) / float64(st.limits.BulkProcessingRate)
	return j.started.Add(time.Duration(math.Ceil(secs * float64(time.Second))))
}

// advanceJob starts and processes one job up to now.
func (s *Server) advanceJob(j *ingestJob, now time.Time) {
	st := s.settings.Load()
	if j.state == JobUploadComplete {
		start := j.closedAt.Add(st.bulkQueueDelay)
		if now.Before(start) {
			return
		}
		j.state, j.started, j.modstamp = JobInProgress, start, start
		if msg := s.prepareJob(j); msg != "" {
			s.finishJob(j, JobFailed, start, msg)
			return
		}
	}
	for j.state == JobInProgress {
		end := min(j.next+st.limits.BulkRecordsPerBatch, len(j.rows))
		due := j.batchDue(end, st)
		if now.Before(due) {
			return
		}
		if j.next == len(j.rows) {
			s.finishJob(j, JobComplete, due, "")
			return
		}
		n := int64(end - j.next)
		if !s.bulkBatches.Take(1, st.limits.BulkBatchAllocation) {
			s.finishJob(j, JobFailed, due, "ExceededQuota : The job or batch you tried to create exceeds the allowed number for the past 24-hour period.")
			return
		}
		if !s.bulkRecords.Take(n, st.limits.BulkDailyRecords) {
			s.finishJob(j, JobFailed, due, "ExceededQuota : Maximum number of records uploaded per rolling 24-hour period exceeded.")
			return
		}
		s.processRows(j, j.next, end)
		j.next, j.modstamp = end, due
		if j.next == len(j.rows) {
			s.finishJob(j, JobComplete, due, "")
		}
	}
}

func (s *Server) finishJob(j *ingestJob, state string, at time.Time, msg string) {
	j.state, j.finished, j.modstamp, j.errorMessage = state, at, at, msg
	s.bulk.active.Add(-1)
}

// prepareJob parses the job data and checks its header against the object; it returns
// the job's error message if the job fails.
func (s *Server) prepareJob(j *ingestJob) string {
	rows, err := parseBulkCSV(j.data, columnDelimiters[j.delimiter], j.lineEnding == "CRLF")
	j.data = nil
	if err != nil {
		return "ClientInputError : " + err.msg + fmt.Sprintf(" (line %d)", err.line)
	}
	if len(rows) == 0 {
		return ""
	}
	obj, ok := s.settings.Load().schema.object(j.object)
	if !ok {
		return "InvalidJob : Unable to find object: " + j.object
	}
	j.header, j.rows = rows[0], rows[1:]
	seen := map[string]bool{}
	hasID, hasExt := false, false
	for _, name := range j.header {
		f, ok := obj.field(name)
		if !ok {
			return "InvalidBatch : Field name not found : " + name
		}
		if seen[f.Name] {
			return "InvalidBatch : Duplicate field name : " + name
		}
		seen[f.Name] = true
		hasID = hasID || f.Name == "Id"
		hasExt = hasExt || strings.EqualFold(f.Name, j.extField)
	}
	switch {
	case (j.operation == "update" || j.operation == "delete" || j.operation == "hardDelete") && !hasID:
		return "InvalidBatch : The " + j.operation + " job data must have an Id column"
	case j.operation == "upsert" && !hasExt:
		return "InvalidBatch : The upsert job data must have the external id column " + j.extField
	}
	return ""
}

// bulkError is Salesforce's sf__Error: "CODE:message:field,field --".
func bulkError(code, msg string, fields ...string) string {
	return code + ":" + msg + ":" + strings.Join(fields, ",") + " --"
}

func bulkErrorOf(e *apiError) string {
	if e.raw != nil {
		return bulkError(e.code(), msgDuplicateRule)
	}
	return bulkError(e.errs[0].ErrorCode, e.errs[0].Message, e.errs[0].Fields...)
}

// rowBody turns a row into a record body: an empty value leaves the field alone, #N/A
// sets it to null, anything else is read as the field's type. The Id column is taken
// out. It returns the first error, as sf__Error.
func rowBody(obj *objectDef, header, row []string) (*recordBody, string) {
	body := &recordBody{}
	for i, name := range header {
		v := row[i]
		f, _ := obj.field(name)
		if v == "" {
			continue
		}
		if f.Name == "Id" {
			body.id = v
			continue
		}
		if f.ReadOnly {
			return nil, bulkError(CodeInvalidFieldForInsertUpdate, "Unable to create/update fields: "+f.Name+". Please check the security settings of this field and verify that it is read/write for your profile or permission set.", f.Name)
		}
		if v == "#N/A" {
			body.values = append(body.values, fieldValue{field: f})
			continue
		}
		fv, e := convert(f, appendString(nil, v), func() string { return fmt.Sprintf("col %d", i+1) })
		if e != nil {
			return nil, bulkError(CodeInvalidField, fmt.Sprintf("Failed to deserialize field at col %d. Due to, '%s' is not a valid value for the type xsd:%s", i+1, ellipsis(v), typeName(f.Kind)), f.Name)
		}
		body.values = append(body.values, fv)
	}
	return body, ""
}

// processRows applies rows [from, to) of a job to the store: one batch.
func (s *Server) processRows(j *ingestJob, from, to int) {
	st := s.settings.Load()
	obj, ok := st.schema.object(j.object)
	if !ok {
		return
	}
	rq := &request{st: st, version: j.version, locked: true}
	// rows of one batch sharing an external id all fail: Salesforce cannot tell which to
	// apply
	var ext *fieldDef
	col := -1
	dups := map[string]int{}
	if j.operation == "upsert" {
		ext, _ = obj.field(j.extField)
		for i, name := range j.header {
			if f, _ := obj.field(name); f == ext {
				col = i
			}
		}
		for _, row := range j.rows[from:to] {
			if k := strings.ToLower(row[col]); k != "" {
				dups[k]++
			}
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for i := from; i < to; i++ {
		row := j.rows[i]
		res := jobResult{row: i}
		fail := func(id, err string) {
			res.id, res.err = id, err
			j.failures = append(j.failures, res)
		}
		succeed := func(id string, created bool) {
			res.id, res.created = id, created
			j.successes = append(j.successes, res)
		}
		body, perr := rowBody(obj, j.header, row)
		if perr != "" {
			fail("", perr)
			continue
		}
		switch j.operation {
		case "insert":
			if body.id != "" {
				fail("", bulkError(CodeInvalidFieldForInsertUpdate, "cannot specify Id in an insert call", "Id"))
				continue
			}
			rec, e := s.saveLocked(false, rq, obj, nil, body, validate(body), nil)
			if e != nil {
				fail("", bulkErrorOf(e))
				continue
			}
			succeed(rec.id, true)
		case "update", "delete", "hardDelete":
			if body.id == "" {
				fail("", bulkError(CodeMissingArgument, "Id not specified in an "+j.operation+" call"))
				continue
			}
			old, bad := s.existingForWrite(obj, body.id)
			if bad != nil {
				fail(bad.ID, bulkError(bad.Errors[0].StatusCode, bad.Errors[0].Message))
				continue
			}
			if j.operation == "update" {
				if _, e := s.saveLocked(false, rq, obj, old, body, validate(body), nil); e != nil {
					fail(old.id, bulkErrorOf(e))
					continue
				}
				succeed(old.id, false)
				continue
			}
			if e := s.deleteLocked(rq, obj, old); e != nil {
				fail(old.id, bulkErrorOf(e))
				continue
			}
			if j.operation == "hardDelete" {
				s.st.purge(obj.Name, old.id)
			}
			succeed(old.id, false)
		case "upsert":
			key := row[col]
			switch {
			case key == "":
				fail("", bulkError(CodeMissingArgument, ext.Name+" not specified", ext.Name))
				continue
			case dups[strings.ToLower(key)] > 1:
				fail("", bulkError(CodeDuplicateValue, "Duplicate external id specified: "+ellipsis(key), ext.Name))
				continue
			}
			var old *record
			if ext.Name == "Id" {
				o, bad := s.existingForWrite(obj, key)
				if bad != nil {
					fail(bad.ID, bulkError(bad.Errors[0].StatusCode, bad.Errors[0].Message))
					continue
				}
				old, body.id = o, ""
			} else {
				switch matches := s.st.lookup(obj.Name, ext.Name, key); len(matches) {
				case 0:
				case 1:
					old = matches[0]
				default:
					fail("", bulkError(CodeDuplicateExternalID, "Duplicate external id specified: "+ellipsis(key), ext.Name))
					continue
				}
			}
			rec, e := s.saveLocked(false, rq, obj, old, body, validate(body), nil)
			if e != nil {
				id := ""
				if old != nil {
					id = old.id
				}
				fail(id, bulkErrorOf(e))
				continue
			}
			succeed(rec.id, old == nil)
		}
	}
}

// runBulkLoop wakes when the next batch of an active job is due and processes it, so
// jobs advance on platform time even when nobody calls the fake. It ends at Close.
func (s *Server) runBulkLoop() {
	for {
		s.bulk.mu.Lock()
		s.advanceJobsLocked()
		due := s.nextDueLocked()
		s.bulk.mu.Unlock()
		var timer clock.Timer
		var fire <-chan time.Time
		if !due.IsZero() {
			timer = s.clock.NewTimer(max(due.Sub(s.clock.Now()), time.Millisecond))
			fire = timer.C()
		}
		select {
		case <-fire:
		case <-s.bulk.wake:
		case <-s.bulk.stop:
			if timer != nil {
				timer.Stop()
			}
			return
		}
		if timer != nil {
			timer.Stop()
		}
	}
}

// kickBulk starts the background loop if needed and tells it the schedule changed.
func (s *Server) kickBulk() {
	s.bulk.loopOnce.Do(func() { go s.runBulkLoop() })
	select {
	case s.bulk.wake <- struct{}{}:
	default:
	}
}

func (s *Server) stopBulk() { s.bulk.stopOnce.Do(func() { close(s.bulk.stop) }) }

// pruneJobsLocked forgets jobs in a terminal state for longer than jobRetention.
func (s *Server) pruneJobsLocked(now time.Time) {
	s.bulk.order = slices.DeleteFunc(s.bulk.order, func(id string) bool {
		j := s.bulk.byID[id]
		if j != nil && terminal(j.state) && now.Sub(j.finished) >= jobRetention {
			delete(s.bulk.byID, id)
			return true
		}
		return j == nil
	})
}

// resetBulk forgets every job.
func (s *Server) resetBulk() {
	s.bulk.mu.Lock()
	s.bulk.byID, s.bulk.order, s.bulk.seq = map[string]*ingestJob{}, nil, 0
	s.bulk.active.Store(0)
	s.bulk.mu.Unlock()
}

// apiVersionNumber renders a version as Bulk API job info does: 66.0.
func apiVersionNumber(v int) json.Number { return json.Number(fmt.Sprintf("%d.0", v)) }

// BulkJobStats reports the ingest jobs by state and the Bulk API allocations used.
func (s *Server) BulkJobStats() BulkJobStats {
	s.advanceBulk()
	out := BulkJobStats{ByState: map[string]int{}, BatchesUsed: s.bulkBatches.Used(),
		BatchAllocation: s.settings.Load().limits.BulkBatchAllocation, RecordsUsed: s.bulkRecords.Used()}
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	for _, j := range s.bulk.byID {
		out.ByState[j.state]++
	}
	return out
}
