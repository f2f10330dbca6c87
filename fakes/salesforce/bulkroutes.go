package salesforce

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
)

// JobInfo is an ingest job as Bulk API 2.0 describes it. Counters and processing times
// appear in Get Job Info and the job list, not in the answers to create, close and abort
// (as in Salesforce's examples); contentUrl only while the job is Open.
type JobInfo struct {
	ID                      string      `json:"id"`
	Operation               string      `json:"operation"`
	Object                  string      `json:"object"`
	CreatedByID             string      `json:"createdById"`
	CreatedDate             string      `json:"createdDate"`
	SystemModstamp          string      `json:"systemModstamp"`
	State                   string      `json:"state"`
	ExternalIDFieldName     string      `json:"externalIdFieldName,omitempty"`
	ConcurrencyMode         string      `json:"concurrencyMode"`
	ContentType             string      `json:"contentType"`
	APIVersion              json.Number `json:"apiVersion"`
	JobType                 string      `json:"jobType,omitempty"`
	ContentURL              string      `json:"contentUrl,omitempty"`
	LineEnding              string      `json:"lineEnding"`
	ColumnDelimiter         string      `json:"columnDelimiter"`
	NumberRecordsProcessed  *int        `json:"numberRecordsProcessed,omitempty"`
	NumberRecordsFailed     *int        `json:"numberRecordsFailed,omitempty"`
	Retries                 *int        `json:"retries,omitempty"`
	TotalProcessingTime     *int64      `json:"totalProcessingTime,omitempty"`
	APIActiveProcessingTime *int64      `json:"apiActiveProcessingTime,omitempty"`
	ApexProcessingTime      *int64      `json:"apexProcessingTime,omitempty"`
	ErrorMessage            string      `json:"errorMessage,omitempty"`
}

func (s *Server) jobInfo(j *ingestJob, full bool) JobInfo {
	info := JobInfo{
		ID: j.id, Operation: j.operation, Object: j.object, CreatedByID: s.userID,
		CreatedDate: sfTimeString(j.created), SystemModstamp: sfTimeString(j.modstamp), State: j.state,
		ExternalIDFieldName: j.extField, ConcurrencyMode: "Parallel", ContentType: "CSV",
		APIVersion: apiVersionNumber(j.version), LineEnding: j.lineEnding, ColumnDelimiter: j.delimiter,
	}
	if j.state == JobOpen {
		info.ContentURL = fmt.Sprintf("services/data/v%d.0/jobs/ingest/%s/batches", j.version, j.id)
	}
	if full {
		processed, failed, zero := len(j.successes)+len(j.failures), len(j.failures), 0
		var total int64
		switch {
		case terminal(j.state) && !j.started.IsZero():
			total = j.finished.Sub(j.started).Milliseconds()
		case j.state == JobInProgress:
			total = j.modstamp.Sub(j.started).Milliseconds()
		}
		var apex int64
		info.JobType = "V2Ingest"
		info.NumberRecordsProcessed, info.NumberRecordsFailed, info.Retries = &processed, &failed, &zero
		info.TotalProcessingTime, info.APIActiveProcessingTime, info.ApexProcessingTime = &total, &total, &apex
		info.ErrorMessage = j.errorMessage
	}
	return info
}

func invalidJob(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, CodeInvalidJob, fmt.Sprintf(format, a...))
}

func invalidJobState(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, CodeInvalidJobState, fmt.Sprintf(format, a...))
}

// serveJobs routes /jobs/ingest[/{id}[/batches|/successfulResults|/failedResults|
// /unprocessedrecords]].
func (s *Server) serveJobs(w http.ResponseWriter, r *http.Request, rq *request, method string) *apiError {
	parts := rq.parts[1:]
	if rq.version < bulkFrom || len(parts) == 0 || parts[0] != "ingest" || rq.sub {
		return notFound()
	}
	// read the body before taking the jobs' lock: a slow upload must not hold up the
	// jobs (and every API call that advances them)
	if method == http.MethodPost || method == http.MethodPut || method == http.MethodPatch {
		limit := s.maxUploadRaw() + maxCollectionBody
		data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
		if err != nil {
			var mbe *http.MaxBytesError
			if errors.As(err, &mbe) {
				return newError(http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE",
					fmt.Sprintf("Job data may not exceed %d bytes once base64-encoded.", rq.st.limits.BulkMaxUpload))
			}
			return jsonParserError("The HTTP entity body could not be read.")
		}
		r.Body = io.NopCloser(bytes.NewReader(data))
	}
	s.bulk.mu.Lock()
	defer s.bulk.mu.Unlock()
	now := s.clock.Now()
	s.advanceJobsLocked()
	s.pruneJobsLocked(now)
	if len(parts) == 1 {
		switch method {
		case http.MethodPost:
			return s.createJob(w, r, rq)
		case http.MethodGet:
			return s.listJobs(w, r, rq)
		}
		return methodNotAllowed(r.Method, "GET,HEAD,POST")
	}
	j := s.bulk.byID[parts[1]]
	if j == nil {
		return notFound()
	}
	if len(parts) == 2 {
		switch method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, s.jobInfo(j, true))
			return nil
		case http.MethodPatch:
			return s.patchJob(w, r, j)
		case http.MethodDelete:
			return s.deleteJob(w, j)
		}
		return methodNotAllowed(r.Method, "GET,HEAD,PATCH,DELETE")
	}
	if len(parts) != 3 {
		return notFound()
	}
	switch res := parts[2]; {
	case res == "batches":
		if method != http.MethodPut {
			return methodNotAllowed(r.Method, "PUT")
		}
		return s.uploadJobData(w, r, rq, j)
	case res == "successfulResults" || res == "failedResults" || strings.EqualFold(res, "unprocessedrecords"):
		if method != http.MethodGet {
			return methodNotAllowed(r.Method, "GET,HEAD")
		}
		return s.jobResults(w, j, res)
	}
	return notFound()
}

// newJobBody is the body of a create-job request.
type newJobBody struct {
	Object              string `json:"object"`
	Operation           string `json:"operation"`
	ExternalIDFieldName string `json:"externalIdFieldName"`
	ContentType         string `json:"contentType"`
	LineEnding          string `json:"lineEnding"`
	ColumnDelimiter     string `json:"columnDelimiter"`
	AssignmentRuleID    string `json:"assignmentRuleId"`
}

// createJob is POST /jobs/ingest: a JSON job definition, or a multipart request with
// the definition (part "job") and the data (part "content"), which creates the job
// already UploadComplete.
func (s *Server) createJob(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	var def, content []byte
	hasContent := false
	mt, params, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if mt == "multipart/form-data" {
		mr := multipart.NewReader(http.MaxBytesReader(w, r.Body, s.maxUploadRaw()+maxCollectionBody), params["boundary"])
		for {
			part, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return invalidJob("ClientInputError : the multipart request could not be read")
			}
			b, err := io.ReadAll(part)
			if err != nil {
				return invalidJob("ClientInputError : the multipart request could not be read")
			}
			switch part.FormName() {
			case "job":
				def = b
			case "content":
				content, hasContent = b, true
			}
		}
	} else {
		var e *apiError
		if def, e = readBody(w, r); e != nil {
			return e
		}
	}
	j, e := s.newJob(rq, def)
	if e != nil {
		return e
	}
	if hasContent {
		j.data, j.uploaded = content, true
		s.closeJob(j)
	}
	writeJSON(w, http.StatusOK, s.jobInfo(j, false))
	return nil
}

// newJob checks a job definition and stores the job. bulk.mu must be held.
func (s *Server) newJob(rq *request, def []byte) (*ingestJob, *apiError) {
	if len(bytes.TrimSpace(def)) == 0 {
		return nil, jsonParserError("The HTTP entity body is required, but this request has no entity body.")
	}
	if !json.Valid(def) {
		return nil, describeSyntaxError(def)
	}
	var nb newJobBody
	if err := json.Unmarshal(def, &nb); err != nil {
		return nil, unmarshalError(def, err)
	}
	obj, ok := rq.st.schema.object(nb.Object)
	if !ok {
		return nil, invalidJob("InvalidJob : Unable to find object: %s", nb.Object)
	}
	switch nb.Operation {
	case "insert", "update", "upsert", "delete", "hardDelete":
	default:
		return nil, invalidJob("InvalidJob : Invalid operation: %s", nb.Operation)
	}
	j := &ingestJob{object: obj.Name, operation: nb.Operation, version: rq.version, state: JobOpen,
		delimiter: "COMMA", lineEnding: "LF"}
	if nb.Operation == "upsert" {
		if nb.ExternalIDFieldName == "" {
			return nil, invalidJob("InvalidJob : External ID field is required for upsert")
		}
		f, ok := obj.externalID(nb.ExternalIDFieldName)
		if !ok && strings.EqualFold(nb.ExternalIDFieldName, "Id") {
			f, ok = obj.field("Id")
		}
		if !ok {
			return nil, invalidJob("InvalidJob : Field name provided, %s does not match an External ID, Salesforce Id, or indexed field for %s", nb.ExternalIDFieldName, obj.Name)
		}
		j.extField = f.Name
	}
	if nb.ContentType != "" && nb.ContentType != "CSV" {
		return nil, invalidJob("InvalidJob : Invalid contentType: %s; only CSV is supported", nb.ContentType)
	}
	if nb.LineEnding != "" {
		if nb.LineEnding != "LF" && nb.LineEnding != "CRLF" {
			return nil, invalidJob("InvalidJob : Invalid lineEnding: %s; use LF or CRLF", nb.LineEnding)
		}
		j.lineEnding = nb.LineEnding
	}
	if nb.ColumnDelimiter != "" {
		if _, ok := columnDelimiters[nb.ColumnDelimiter]; !ok {
			return nil, invalidJob("InvalidJob : Invalid columnDelimiter: %s", nb.ColumnDelimiter)
		}
		j.delimiter = nb.ColumnDelimiter
	}
	s.bulk.seq++
	j.id = NewID(prefixJob, s.bulk.seq)
	j.created = s.clock.Now()
	j.modstamp = j.created
	s.bulk.byID[j.id] = j
	s.bulk.order = append(s.bulk.order, j.id)
	return j, nil
}

// maxUploadRaw is the most raw bytes an upload may have: bulk_max_upload counts the
// data base64-encoded, as Salesforce does ("CSV data that does not in total exceed
// 150 MB of base64 encoded content").
func (s *Server) maxUploadRaw() int64 {
	return s.settings.Load().limits.BulkMaxUpload / 4 * 3
}

// uploadJobData is PUT /jobs/ingest/{id}/batches: the job's one upload, 201.
func (s *Server) uploadJobData(w http.ResponseWriter, r *http.Request, rq *request, j *ingestJob) *apiError {
	switch {
	case j.state != JobOpen:
		return invalidJobState("Unable to upload data to a job in state %s", j.state)
	case j.uploaded:
		return newError(http.StatusBadRequest, CodeBulkAPIError, fmt.Sprintf(
			"Found multiple contents for job: <%s>, please 'Close' / 'Abort' / 'Delete' the current Job then create a new Job and make sure you only do 'PUT' once on a given Job.", j.id))
	}
	limit := s.maxUploadRaw()
	data, err := io.ReadAll(http.MaxBytesReader(w, r.Body, limit))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			return newError(http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE",
				fmt.Sprintf("Job data may not exceed %d bytes once base64-encoded.", rq.st.limits.BulkMaxUpload))
		}
		return jsonParserError("The HTTP entity body could not be read.")
	}
	j.data, j.uploaded, j.modstamp = data, true, s.clock.Now()
	w.WriteHeader(http.StatusCreated)
	return nil
}

// closeJob moves an Open job to UploadComplete and schedules it. bulk.mu must be held.
func (s *Server) closeJob(j *ingestJob) {
	j.state, j.closedAt, j.modstamp = JobUploadComplete, s.clock.Now(), s.clock.Now()
	s.bulk.active.Add(1)
	s.kickBulk()
	s.advanceJob(j, s.clock.Now())
}

// patchJob is PATCH /jobs/ingest/{id} with {"state":"UploadComplete"} or
// {"state":"Aborted"}.
func (s *Server) patchJob(w http.ResponseWriter, r *http.Request, j *ingestJob) *apiError {
	raw, e := readBody(w, r)
	if e != nil {
		return e
	}
	if !json.Valid(raw) {
		return describeSyntaxError(raw)
	}
	var in struct {
		State string `json:"state"`
	}
	if err := json.Unmarshal(raw, &in); err != nil {
		return unmarshalError(raw, err)
	}
	switch {
	case in.State == JobUploadComplete && j.state == JobOpen:
		s.closeJob(j)
	case in.State == JobAborted && !terminal(j.state):
		if j.state != JobOpen {
			s.bulk.active.Add(-1)
		}
		now := s.clock.Now()
		j.state, j.modstamp, j.finished = JobAborted, now, now
	default:
		return invalidJobState("Invalid job state change from %s to %s", j.state, in.State)
	}
	writeJSON(w, http.StatusOK, s.jobInfo(j, false))
	return nil
}

// deleteJob is DELETE /jobs/ingest/{id}: allowed once the job is UploadComplete,
// JobComplete, Aborted or Failed; 204.
func (s *Server) deleteJob(w http.ResponseWriter, j *ingestJob) *apiError {
	switch j.state {
	case JobUploadComplete:
		s.bulk.active.Add(-1)
	case JobComplete, JobAborted, JobFailed:
	default:
		return invalidJobState("A job in state %s can't be deleted", j.state)
	}
	delete(s.bulk.byID, j.id)
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// listJobs is GET /jobs/ingest[?jobType=&queryLocator=]: up to 1,000 jobs a page.
func (s *Server) listJobs(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	q := r.URL.Query()
	jobType := q.Get("jobType")
	from, _ := strconv.Atoi(q.Get("queryLocator"))
	var all []JobInfo
	if jobType == "" || jobType == "V2Ingest" {
		for _, id := range s.bulk.order {
			if j := s.bulk.byID[id]; j != nil {
				info := s.jobInfo(j, false)
				info.JobType = "V2Ingest"
				all = append(all, info)
			}
		}
	}
	from = min(max(from, 0), len(all))
	end := min(from+jobsPerPage, len(all))
	page := all[from:end]
	if page == nil {
		page = []JobInfo{}
	}
	out := map[string]any{"done": end == len(all), "records": page, "nextRecordsUrl": nil}
	if end < len(all) {
		out["nextRecordsUrl"] = fmt.Sprintf("%s/jobs/ingest?queryLocator=%d", rq.prefix(), end)
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// jobResults is GET successfulResults, failedResults or unprocessedrecords: CSV in the
// job's delimiter and line ending, the sf__ columns and every value quoted, the header
// names as uploaded.
func (s *Server) jobResults(w http.ResponseWriter, j *ingestJob, res string) *apiError {
	unprocessed := strings.EqualFold(res, "unprocessedrecords")
	if !terminal(j.state) {
		return invalidJobState("Results are available once the job is complete, failed or aborted; it is %s", j.state)
	}
	delim := columnDelimiters[j.delimiter]
	eol := "\n"
	if j.lineEnding == "CRLF" {
		eol = "\r\n"
	}
	header, rows := j.header, j.rows
	if header == nil && j.data != nil { // aborted before processing started
		if parsed, err := parseBulkCSV(j.data, delim, j.lineEnding == "CRLF"); err == nil && len(parsed) > 0 {
			header, rows = parsed[0], parsed[1:]
		}
	}
	var b []byte
	writeRow := func(lead []string, row []string) {
		for i, v := range lead {
			if i > 0 {
				b = append(b, delim)
			}
			b = appendCSVValue(b, v)
		}
		for i, v := range row {
			if len(lead) > 0 || i > 0 {
				b = append(b, delim)
			}
			b = appendCSVValue(b, v)
		}
		b = append(b, eol...)
	}
	writeHeader := func(lead ...string) {
		for i, v := range lead {
			if i > 0 {
				b = append(b, delim)
			}
			b = appendCSVValue(b, v)
		}
		for i, name := range header {
			if len(lead) > 0 || i > 0 {
				b = append(b, delim)
			}
			b = appendCSVName(b, name, delim)
		}
		b = append(b, eol...)
	}
	switch {
	case unprocessed:
		if header != nil {
			writeHeader()
			for _, row := range rows[j.next:] {
				writeRow(nil, row)
			}
		}
	case res == "successfulResults":
		writeHeader("sf__Id", "sf__Created")
		for _, rr := range j.successes {
			writeRow([]string{rr.id, strconv.FormatBool(rr.created)}, rows[rr.row])
		}
	default:
		writeHeader("sf__Id", "sf__Error")
		for _, rr := range j.failures {
			writeRow([]string{rr.id, rr.err}, rows[rr.row])
		}
	}
	w.Header().Set("Content-Type", "text/csv;charset=UTF-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(b)
	return nil
}
