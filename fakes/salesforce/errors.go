package salesforce

import (
	"fmt"
	"net/http"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
)

// Error codes the fake answers with, as Salesforce spells them.
const (
	CodeInvalidSessionID            = "INVALID_SESSION_ID"
	CodeRequestLimitExceeded        = "REQUEST_LIMIT_EXCEEDED"
	CodeNotFound                    = "NOT_FOUND"
	CodeMethodNotAllowed            = "METHOD_NOT_ALLOWED"
	CodeMalformedID                 = "MALFORMED_ID"
	CodeEntityIsDeleted             = "ENTITY_IS_DELETED"
	CodeJSONParserError             = "JSON_PARSER_ERROR"
	CodeInvalidField                = "INVALID_FIELD"
	CodeInvalidFieldForInsertUpdate = "INVALID_FIELD_FOR_INSERT_UPDATE"
	CodeInvalidTypeOnFieldInRecord  = "INVALID_TYPE_ON_FIELD_IN_RECORD"
	CodeRequiredFieldMissing        = "REQUIRED_FIELD_MISSING"
	CodeStringTooLong               = "STRING_TOO_LONG"
	CodeInvalidEmailAddress         = "INVALID_EMAIL_ADDRESS"
	CodeNumberOutsideValidRange     = "NUMBER_OUTSIDE_VALID_RANGE"
	CodeInvalidCrossReferenceKey    = "INVALID_CROSS_REFERENCE_KEY"
	CodeDuplicatesDetected          = "DUPLICATES_DETECTED"
	CodeDuplicateValue              = "DUPLICATE_VALUE"
	CodeUnableToLockRow             = "UNABLE_TO_LOCK_ROW"
	CodeMalformedQuery              = "MALFORMED_QUERY"
	CodeInvalidQueryLocator         = "INVALID_QUERY_LOCATOR"
	CodeUnknownException            = "UNKNOWN_EXCEPTION"
	CodeServerUnavailable           = "SERVER_UNAVAILABLE"
	CodeRequestRunningTooLong       = "REQUEST_RUNNING_TOO_LONG"
	CodeGone                        = "GONE"
	CodeInvalidType                 = "INVALID_TYPE"
	CodeExceededIDLimit             = "EXCEEDED_ID_LIMIT"
	CodeMissingArgument             = "MISSING_ARGUMENT"
	CodeAllOrNoneRolledBack         = "ALL_OR_NONE_OPERATION_ROLLED_BACK"
	CodeDuplicateExternalID         = "DUPLICATE_EXTERNAL_ID"
	CodeProcessingHalted            = "PROCESSING_HALTED"
	CodeBatchProcessingHalted       = "BATCH_PROCESSING_HALTED"
	CodeLimitExceeded               = "LIMIT_EXCEEDED"
	CodeInvalidInput                = "INVALID_INPUT"
	CodeInvalidReplicationDate      = "INVALID_REPLICATION_DATE"
	CodeInvalidJob                  = "INVALIDJOB"
	CodeInvalidJobState             = "INVALIDJOBSTATE"
	CodeBulkAPIError                = "BULK_API_ERROR"
)

// Throttle reasons counted in /_fake/stats.
const (
	ThrottleDaily      = CodeRequestLimitExceeded
	ThrottleConcurrent = CodeRequestLimitExceeded + "_CONCURRENT"
)

// Messages from the reference.
const (
	msgSessionInvalid   = "Session expired or invalid"
	msgTotalRequests    = "TotalRequests Limit exceeded."
	msgConcurrent       = "ConcurrentRequests (Concurrent API Requests) Limit exceeded."
	msgResourceNotExist = "The requested resource does not exist"
	msgDuplicateRule    = "You're creating a duplicate record. We recommend you use an existing record instead."
)

// ErrorBody is one element of Salesforce's error array. Fields is omitted when nil and
// rendered as [] when empty: Salesforce sends it for DML errors, not for session, limit
// or routing errors.
type ErrorBody struct {
	Message   string   `json:"message"`
	ErrorCode string   `json:"errorCode"`
	Fields    []string `json:"fields,omitzero"`
}

// apiError is a failed request: a status and the array body.
type apiError struct {
	status int
	errs   []ErrorBody
	// raw, when set, is written instead of errs (the DUPLICATES_DETECTED body).
	raw any
}

func (e *apiError) code() string {
	if len(e.errs) > 0 {
		return e.errs[0].ErrorCode
	}
	return CodeDuplicatesDetected
}

func newError(status int, code, message string) *apiError {
	return &apiError{status: status, errs: []ErrorBody{{Message: message, ErrorCode: code}}}
}

// dmlError is a save failure: its body carries a fields array.
func dmlError(code, message string, fields ...string) *apiError {
	if fields == nil {
		fields = []string{}
	}
	return &apiError{status: http.StatusBadRequest, errs: []ErrorBody{{Message: message, ErrorCode: code, Fields: fields}}}
}

func notFound() *apiError { return newError(http.StatusNotFound, CodeNotFound, msgResourceNotExist) }

func methodNotAllowed(method string, allowed string) *apiError {
	return newError(http.StatusMethodNotAllowed, CodeMethodNotAllowed,
		fmt.Sprintf("HTTP Method '%s' not allowed. Allowed are %s", method, allowed))
}

func jsonParserError(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, CodeJSONParserError, fmt.Sprintf(format, a...))
}

func invalidSession() *apiError {
	return newError(http.StatusUnauthorized, CodeInvalidSessionID, msgSessionInvalid)
}

const contentTypeJSON = "application/json;charset=UTF-8"

// writeJSON writes v with status, never escaping HTML characters (Salesforce does not).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := fakehttp.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`[{"message":"An unexpected error occurred.","errorCode":"UNKNOWN_EXCEPTION"}]`)
	}
	writeRaw(w, status, b)
}

func writeRaw(w http.ResponseWriter, status int, b []byte) {
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

func writeError(w http.ResponseWriter, e *apiError) {
	if e.status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Token")
	}
	if e.raw != nil {
		writeJSON(w, e.status, e.raw)
		return
	}
	writeJSON(w, e.status, e.errs)
}

// faultErrors renders injected faults in Salesforce's error array, keeping whatever
// headers (Sforce-Limit-Info) the request already has.
type faultErrors struct{}

var _ faults.ErrorWriter = faultErrors{}

// WriteError renders e. Defaults by kind and status when the fault gives no code:
// maintenance and 503 → SERVER_UNAVAILABLE, timeout → REQUEST_RUNNING_TOO_LONG,
// 401 → INVALID_SESSION_ID (with WWW-Authenticate: Token), 403 → REQUEST_LIMIT_EXCEEDED,
// 404 → NOT_FOUND, anything else → UNKNOWN_EXCEPTION. UNABLE_TO_LOCK_ROW without a
// message names the record id in the request path, if any.
func (faultErrors) WriteError(w http.ResponseWriter, r *http.Request, e faults.Error) {
	code, msg := e.Code, e.Message
	if code == "" {
		switch {
		case e.Kind == "maintenance" || e.Status == http.StatusServiceUnavailable:
			code = CodeServerUnavailable
		case e.Kind == "timeout":
			code = CodeRequestRunningTooLong
		case e.Status == http.StatusUnauthorized:
			code = CodeInvalidSessionID
		case e.Status == http.StatusForbidden:
			code = CodeRequestLimitExceeded
		case e.Status == http.StatusNotFound:
			code = CodeNotFound
		default:
			code = CodeUnknownException
		}
	}
	if msg == "" {
		msg = defaultFaultMessage(code, e.Kind, r)
	}
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", fmt.Sprint(int64((e.RetryAfter+999_999_999)/1_000_000_000)))
	}
	if e.Status == http.StatusUnauthorized {
		w.Header().Set("WWW-Authenticate", "Token")
	}
	writeJSON(w, e.Status, []ErrorBody{{Message: msg, ErrorCode: code, Fields: []string{}}})
}

func defaultFaultMessage(code, kind string, r *http.Request) string {
	switch code {
	case CodeUnableToLockRow:
		return lockRowMessage(recordIDInPath(r.URL.Path))
	case CodeServerUnavailable:
		if kind == "maintenance" {
			return "Salesforce is down for maintenance. Please try again later."
		}
		return "Server temporarily unavailable. Please try again later."
	case CodeRequestRunningTooLong:
		return "Your request was running for too long, and has been stopped."
	case CodeInvalidSessionID:
		return msgSessionInvalid
	case CodeRequestLimitExceeded:
		return msgTotalRequests
	case CodeNotFound:
		return msgResourceNotExist
	}
	return "An unexpected error occurred. Please include this ErrorId if you contact support: 1732907355-41297 (-1170349871)"
}

func lockRowMessage(id string) string {
	if id == "" {
		return "unable to obtain exclusive access to this record"
	}
	return "unable to obtain exclusive access to this record or 1 records: " + id
}

// recordIDInPath finds a record id in a REST path, for fault messages.
func recordIDInPath(path string) string {
	parts := strings.Split(path, "/")
	for i := len(parts) - 1; i >= 0; i-- {
		if id, ok := canonicalID(parts[i]); ok {
			return id
		}
	}
	return ""
}
