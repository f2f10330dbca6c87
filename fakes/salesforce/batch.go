package salesforce

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// Composite Batch (/composite/batch) runs up to 25 independent subrequests in order;
// each commits on its own. Unlike Composite and sObject Collections, "Each subrequest
// counts against rate limits" (REST API Developer Guide, Composite Batch), so by
// default each subrequest is one call against the daily allocation (batch_counting).
const (
	maxBatchSubrequests = 25
	// batchFrom is the first version with Composite Batch, and the oldest version a
	// subrequest may use.
	batchFrom = 34
)

const msgBatchHalted = "Batch processing halted per request"

type batchSubrequest struct {
	Method    string          `json:"method"`
	URL       string          `json:"url"`
	RichInput json.RawMessage `json:"richInput"`
}

type batchBody struct {
	BatchRequests []batchSubrequest `json:"batchRequests"`
	HaltOnError   bool              `json:"haltOnError"`
}

// BatchResult is one subrequest's outcome in {"hasErrors","results":[...]}.
type BatchResult struct {
	StatusCode int             `json:"statusCode"`
	Result     json.RawMessage `json:"result"`
}

// parseBatchBody reads and checks a batch request: problems with any subrequest
// answer 400 before any runs. version is the batch request's own.
func parseBatchBody(raw []byte, version int) (*batchBody, *apiError) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, jsonParserError("The HTTP entity body is required, but this request has no entity body.")
	}
	if !json.Valid(raw) {
		return nil, describeSyntaxError(raw)
	}
	var bb batchBody
	if err := json.Unmarshal(raw, &bb); err != nil {
		return nil, unmarshalError(raw, err)
	}
	if len(bb.BatchRequests) == 0 {
		return nil, invalidInput("batchRequests is required: a list of subrequests")
	}
	if len(bb.BatchRequests) > maxBatchSubrequests {
		return nil, newError(http.StatusBadRequest, CodeLimitExceeded, msgTooManySubrequests)
	}
	for i, sub := range bb.BatchRequests {
		switch sub.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete, http.MethodHead:
		default:
			return nil, invalidInput("Invalid method %q in subrequest %d", sub.Method, i)
		}
		url := batchURL(sub.URL)
		seg, _ := subPath(url)
		v, ok := pathVersion(seg)
		if !ok {
			return nil, invalidInput("The url of a subrequest must start with the API version, like v%d.0/: %s", version, ellipsis(sub.URL))
		}
		if v < batchFrom || v > version {
			return nil, invalidInput("The API version of a subrequest must be between %d.0 and the batch request's %d.0: %s", batchFrom, version, ellipsis(sub.URL))
		}
		bb.BatchRequests[i].URL = url
	}
	return &bb, nil
}

// batchURL turns a subrequest url, "v60.0/sobjects/..." as documented or the full
// "/services/data/v60.0/...", into a path.
func batchURL(u string) string {
	if strings.HasPrefix(u, dataPrefix) {
		return u
	}
	return dataPrefix + strings.TrimPrefix(u, "/")
}

// batchAllowed reports whether Composite Batch supports the resource the fake serves:
// Limits, sObject resources, Query and QueryAll.
func batchAllowed(url string) bool {
	_, res := subPath(url)
	return res == "limits" || strings.HasPrefix(res, "limits/") || strings.HasPrefix(res, "sobjects") ||
		res == "query" || strings.HasPrefix(res, "query/") || res == "queryAll" || strings.HasPrefix(res, "queryAll/")
}

// batch is POST /composite/batch.
func (s *Server) batch(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	raw, e := readCollectionBody(w, r)
	if e != nil {
		return e
	}
	bb, e := parseBatchBody(raw, rq.version)
	if e != nil {
		return e
	}
	st := rq.st
	out := make([]BatchResult, len(bb.BatchRequests))
	hasErrors, halted := false, false
	for i, sub := range bb.BatchRequests {
		switch {
		case halted:
			out[i] = batchError(http.StatusPreconditionFailed, CodeBatchProcessingHalted, msgBatchHalted)
		case !s.countBatchSubrequest(st, i):
			out[i] = batchError(http.StatusForbidden, CodeRequestLimitExceeded, msgTotalRequests)
		case !batchAllowed(sub.URL):
			out[i] = batchError(http.StatusNotFound, CodeNotFound, msgResourceNotExist)
		default:
			var body []byte
			if t := bytes.TrimSpace(sub.RichInput); len(t) > 0 && !bytes.Equal(t, []byte("null")) {
				body = sub.RichInput
			}
			resp := s.runSub(r, sub.Method, sub.URL, body, nil, false)
			out[i] = BatchResult{StatusCode: resp.status, Result: resp.jsonBody()}
		}
		if out[i].StatusCode >= 400 {
			hasErrors = true
			halted = halted || bb.HaltOnError
		}
	}
	u := s.APIUsage()
	setUsageHeader(w, u)
	writeJSON(w, http.StatusOK, map[string]any{"hasErrors": hasErrors, "results": out})
	return nil
}

// countBatchSubrequest counts the i-th subrequest against the daily allocation as
// batch_counting says and reports whether the allocation admitted it. The batch request
// itself was counted on admission: with "subrequests" it stands for the first one.
func (s *Server) countBatchSubrequest(st *settings, i int) bool {
	if !st.batchPerSub || (!st.batchOwnCall && i == 0) {
		return true
	}
	ok, _ := s.alloc.Use()
	if !ok {
		s.dailyRefused.Add(1)
		s.fake.Throttled(ThrottleDaily)
	}
	return ok
}

func batchError(status int, code, msg string) BatchResult {
	b, _ := fakehttp.Marshal([]ErrorBody{{ErrorCode: code, Message: msg}})
	return BatchResult{StatusCode: status, Result: b}
}
