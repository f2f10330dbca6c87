package netsuite

import (
	"net/http"
	"strconv"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
)

// Error codes the fake answers with, in NetSuite's o:errorCode vocabulary.
const (
	CodeConcurrencyLimitExceeded = "CONCURRENCY_LIMIT_EXCEEDED"
	CodeInvalidLogin             = "INVALID_LOGIN"
	CodeNonexistentID            = "NONEXISTENT_ID"
	CodeInvalidContent           = "INVALID_CONTENT"
	CodeInvalidParameter         = "INVALID_PARAMETER"
	CodeDuplicateRecord          = "DUP_RCRD"
	CodeUnexpectedError          = "UNEXPECTED_ERROR"
	CodeServiceUnavailable       = "SERVICE_UNAVAILABLE"
	CodeRequestTimeout           = "REQUEST_TIMEOUT"
	CodeMethodNotAllowed         = "METHOD_NOT_ALLOWED"
	CodeUserError                = "USER_ERROR"
)

// Detail texts taken from NetSuite's own responses (see docs/fake-netsuite.md for sources).
const (
	detailConcurrency  = "Concurrent request limit exceeded. Request blocked."
	detailInvalidLogin = "Invalid login attempt. For more details, see the Login Audit Trail in the NetSuite UI at Setup > Users/Roles > User Management > View Login Audit Trail."
	detailNonexistent  = "The record instance does not exist. Provide a valid record instance ID."
	detailMaintenance  = "The account you are trying to access is currently unavailable while we undergo our regularly scheduled maintenance."
	detailUnexpected   = "An unexpected error has occurred. Technical Support has been alerted to this problem."
	detailTimeout      = "The request could not be completed within the 15 minute limit for REST web services requests."
	detailInvalidBody  = "Invalid content in the request body."
	// detailSearchError prefixes every q parameter error, as NetSuite's search errors do.
	detailSearchError = "Invalid search query. Detailed unprocessed description follows. Search error occurred: "
)

// typeRFC2616 is the problem type NetSuite's documented examples carry; typeNotFound is the
// newer form its 404 fixtures show. Clients must not key on either.
const (
	typeRFC2616  = "https://www.w3.org/Protocols/rfc2616/rfc2616-sec10.html"
	typeNotFound = "https://www.rfc-editor.org/rfc/rfc9110.html#section-15.5.5"
)

// ErrorDetail is one entry of o:errorDetails.
type ErrorDetail struct {
	Detail     string `json:"detail"`
	Code       string `json:"o:errorCode"`
	Path       string `json:"o:errorPath,omitempty"`
	URLPath    string `json:"o:urlPath,omitempty"`
	Header     string `json:"o:errorHeader,omitempty"`
	QueryParam string `json:"o:errorQueryParam,omitempty"`
}

// ErrorBody is NetSuite's REST error envelope.
type ErrorBody struct {
	Type    string        `json:"type"`
	Title   string        `json:"title"`
	Status  int           `json:"status"`
	Details []ErrorDetail `json:"o:errorDetails"`
}

// apiError is a failure the API answers in NetSuite's envelope. Handlers return it; the
// dispatcher renders it.
type apiError struct {
	status int
	title  string // empty: the status text
	typ    string // empty: derived from status
	detail ErrorDetail
	header http.Header
}

func (e *apiError) Error() string { return e.detail.Code + ": " + e.detail.Detail }

// detailOrEmpty is the detail text, or "" for a nil error.
func (e *apiError) detailOrEmpty() string {
	if e == nil {
		return ""
	}
	return e.detail.Detail
}

func (e *apiError) body() ErrorBody {
	title := e.title
	if title == "" {
		title = http.StatusText(e.status)
	}
	typ := e.typ
	if typ == "" {
		typ = problemType(e.status)
	}
	return ErrorBody{Type: typ, Title: title, Status: e.status, Details: []ErrorDetail{e.detail}}
}

// problemType is the type URL for a status: the rfc2616 section anchor NetSuite's
// documented examples use, or the rfc9110 form for 404 as its fixtures show.
func problemType(status int) string {
	switch status {
	case http.StatusNotFound:
		return typeNotFound
	case http.StatusBadRequest:
		return typeRFC2616 + "#sec10.4.1"
	case http.StatusUnauthorized:
		return typeRFC2616
	case http.StatusForbidden:
		return typeRFC2616 + "#sec10.4.4"
	case http.StatusMethodNotAllowed:
		return typeRFC2616 + "#sec10.4.6"
	case http.StatusRequestEntityTooLarge:
		return typeRFC2616 + "#sec10.4.14"
	case http.StatusInternalServerError:
		return typeRFC2616 + "#sec10.5.1"
	case http.StatusServiceUnavailable:
		return typeRFC2616 + "#sec10.5.4"
	case http.StatusGatewayTimeout:
		return typeRFC2616 + "#sec10.5.5"
	}
	return typeRFC2616
}

// writeError renders e.
func writeError(w http.ResponseWriter, e *apiError) {
	for k, vs := range e.header {
		w.Header()[k] = vs
	}
	writeJSON(w, e.status, e.body())
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := fakehttp.Marshal(v)
	if err != nil {
		// Every value the fake renders is marshalable; reaching this is a bug, but the
		// client still gets NetSuite's envelope rather than a Go error string.
		status, b = http.StatusInternalServerError, mustMarshal(unexpectedError().body())
	}
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func mustMarshal(v any) []byte {
	b, _ := fakehttp.Marshal(v)
	return b
}

// concurrencyBody is the 429 body exactly as NetSuite sends it, including its
// "title":"Bad Request" next to status 429.
var concurrencyBody = mustMarshal(ErrorBody{
	Type: typeRFC2616, Title: "Bad Request", Status: http.StatusTooManyRequests,
	Details: []ErrorDetail{{Detail: detailConcurrency, Code: CodeConcurrencyLimitExceeded}},
})

func writeConcurrencyLimit(w http.ResponseWriter) {
	h := w.Header()
	h.Set("Content-Type", "application/json; charset=UTF-8")
	h.Set("Content-Length", strconv.Itoa(len(concurrencyBody)))
	w.WriteHeader(http.StatusTooManyRequests)
	_, _ = w.Write(concurrencyBody)
}

func invalidLogin(account string, bearer bool) *apiError {
	e := &apiError{status: http.StatusUnauthorized, detail: ErrorDetail{Detail: detailInvalidLogin, Code: CodeInvalidLogin}}
	if bearer {
		e.header = http.Header{"Www-Authenticate": {`Bearer realm="` + account + `", error="invalid_token", error_description="Invalid login attempt."`}}
	}
	return e
}

func notFound() *apiError {
	return &apiError{status: http.StatusNotFound, detail: ErrorDetail{Detail: detailNonexistent, Code: CodeNonexistentID}}
}

func unknownRecordType(name string) *apiError {
	return &apiError{status: http.StatusNotFound, detail: ErrorDetail{Detail: "Record type '" + name + "' does not exist.", Code: CodeNonexistentID}}
}

func unknownPath(path string) *apiError {
	return &apiError{status: http.StatusNotFound, detail: ErrorDetail{Detail: "The requested resource " + path + " does not exist.", Code: CodeNonexistentID, URLPath: path}}
}

func methodNotAllowed(method, record string) *apiError {
	return &apiError{status: http.StatusMethodNotAllowed, detail: ErrorDetail{
		Detail: "HTTP method " + method + " is not supported for record type '" + record + "' at this URL.", Code: CodeMethodNotAllowed,
	}}
}

// invalidContent is a 400 about the request body; path is the JSON path of the field.
func invalidContent(path, detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, detail: ErrorDetail{Detail: detail, Code: CodeInvalidContent, Path: path}}
}

// invalidFieldValue is NetSuite's answer to a reference it cannot resolve (an unknown item
// or customer).
func invalidFieldValue(path, value, field string) *apiError {
	return invalidContent(path, "Error while accessing resource: You have entered an Invalid Field Value "+value+" for the following field: "+field)
}

func invalidParameter(param, detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, detail: ErrorDetail{Detail: detail, Code: CodeInvalidParameter, QueryParam: param}}
}

func userError(detail string) *apiError {
	return &apiError{status: http.StatusBadRequest, detail: ErrorDetail{Detail: detail, Code: CodeUserError}}
}

func unexpectedError() *apiError {
	return &apiError{status: http.StatusInternalServerError, detail: ErrorDetail{Detail: detailUnexpected, Code: CodeUnexpectedError}}
}

func bodyTooLarge(limit int64) *apiError {
	return &apiError{status: http.StatusRequestEntityTooLarge, detail: ErrorDetail{
		Detail: "The request body exceeds the maximum size of " + strconv.FormatInt(limit, 10) + " bytes.", Code: CodeInvalidContent,
	}}
}

// faultErrors renders the fault kit's errors (error, maintenance, timeout faults) in
// NetSuite's envelope.
type faultErrors struct{}

var _ faults.ErrorWriter = faultErrors{}

func (faultErrors) WriteError(w http.ResponseWriter, _ *http.Request, fe faults.Error) {
	if fe.RetryAfter > 0 {
		secs := int64((fe.RetryAfter + 999_999_999) / 1_000_000_000)
		w.Header().Set("Retry-After", strconv.FormatInt(secs, 10))
	}
	if fe.Status == http.StatusTooManyRequests && fe.Code == "" && fe.Message == "" {
		writeConcurrencyLimit(w)
		return
	}
	code, detail := defaultFault(fe)
	if fe.Code != "" {
		code = fe.Code
	}
	if fe.Message != "" {
		detail = fe.Message
	}
	status := fe.Status
	if status < 400 || status > 599 {
		status = http.StatusInternalServerError
	}
	writeError(w, &apiError{status: status, detail: ErrorDetail{Detail: detail, Code: code}})
}

// defaultFault is the code and detail NetSuite would send for a fault of that kind.
func defaultFault(fe faults.Error) (code, detail string) {
	switch {
	case fe.Kind == "maintenance":
		return CodeServiceUnavailable, detailMaintenance
	case fe.Kind == "timeout":
		return CodeRequestTimeout, detailTimeout
	case fe.Status == http.StatusUnauthorized:
		return CodeInvalidLogin, detailInvalidLogin
	case fe.Status == http.StatusNotFound:
		return CodeNonexistentID, detailNonexistent
	case fe.Status == http.StatusServiceUnavailable:
		return CodeServiceUnavailable, detailMaintenance
	case fe.Status < 500:
		return CodeUserError, detailInvalidBody
	}
	return CodeUnexpectedError, detailUnexpected
}
