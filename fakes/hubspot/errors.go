package hubspot

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/faults"
)

// Error categories, as HubSpot spells them in the "category" of an error body.
const (
	CategoryValidation         = "VALIDATION_ERROR"
	CategoryConflict           = "CONFLICT"
	CategoryObjectExists       = "OBJECT_ALREADY_EXISTS"
	CategoryObjectNotFound     = "OBJECT_NOT_FOUND"
	CategoryInvalidAuth        = "INVALID_AUTHENTICATION"
	CategoryRateLimits         = "RATE_LIMITS"
	CategoryInternalError      = "INTERNAL_ERROR"
	CategoryServiceUnavailable = "SERVICE_UNAVAILABLE"
	CategoryTimeout            = "TIMEOUT"
	CategoryMethodNotAllowed   = "METHOD_NOT_ALLOWED"
	CategoryTooLarge           = "REQUEST_TOO_LARGE"
)

// Rate-limit policies: the "policyName" of a 429 body, and the reasons /_fake/stats
// counts throttled requests under.
const (
	PolicyTenSecondly = "TEN_SECONDLY_ROLLING"
	PolicySecondly    = "SECONDLY"
	PolicyDaily       = "DAILY"
)

// Messages from the reference (shared/reference/erp-crm.md §3) or from client fixtures.
const (
	msgAuthNotFound   = "Authentication credentials not found. This API supports OAuth 2.0 authentication and you can find more details at https://developers.hubspot.com/docs/methods/auth/oauth-overview"
	msgTenSecondly    = "You have reached your ten_secondly_rolling limit."
	msgSecondly       = "You have reached your secondly limit."
	msgDaily          = "You have reached your daily limit."
	msgPropertyValues = "Property values were not valid: "
	msgNotFound       = "resource not found"
)

// ErrorBody is HubSpot's error body. Every field but status and message is optional on
// HubSpot's side; the fake always sends a correlationId and a category.
type ErrorBody struct {
	Status        string              `json:"status"`
	Message       string              `json:"message"`
	CorrelationID string              `json:"correlationId"`
	Context       map[string][]string `json:"context,omitempty"`
	Errors        []ErrorDetail       `json:"errors,omitempty"`
	Category      string              `json:"category"`
}

// ErrorDetail is one entry of an error body's "errors" array.
type ErrorDetail struct {
	Message string              `json:"message"`
	Code    string              `json:"code,omitempty"`
	Context map[string][]string `json:"context,omitempty"`
}

// RateLimitBody is the body of a 429, in the field order HubSpot sends it. GroupName
// (burst) and RequestID (daily) are optional there too.
type RateLimitBody struct {
	Status        string `json:"status"`
	Message       string `json:"message"`
	ErrorType     string `json:"errorType"`
	CorrelationID string `json:"correlationId"`
	PolicyName    string `json:"policyName"`
	GroupName     string `json:"groupName,omitempty"`
	RequestID     string `json:"requestId,omitempty"`
}

// BatchError is one element of a batch response's "errors" (HubSpot's StandardError):
// no correlationId, a context naming the inputs it is about.
type BatchError struct {
	Status   string              `json:"status"`
	Category string              `json:"category"`
	Message  string              `json:"message"`
	Context  map[string][]string `json:"context,omitempty"`
	Errors   []ErrorDetail       `json:"errors,omitempty"`
}

// propertyError is one element of the JSON array embedded in "Property values were not
// valid: [...]".
type propertyError struct {
	IsValid               bool   `json:"isValid"`
	Message               string `json:"message"`
	Error                 string `json:"error"`
	Name                  string `json:"name"`
	LocalizedErrorMessage string `json:"localizedErrorMessage"`
	PortalID              int64  `json:"portalId,omitempty"`
}

// apiError is a failed request before it is rendered: the correlation id is the
// request's and is filled in by writeError.
type apiError struct {
	status   int
	category string
	message  string
	context  map[string][]string
	errors   []ErrorDetail
	// ledgerReason is what the ledger records for a refused write (the category, or the
	// first property error's code).
	ledgerReason string
}

func (e *apiError) Error() string { return fmt.Sprintf("%d %s: %s", e.status, e.category, e.message) }

func (e *apiError) reason() string {
	if e.ledgerReason != "" {
		return e.ledgerReason
	}
	return e.category
}

// batchError turns a request error into an element of a batch's errors.
func (e *apiError) batchError(context map[string][]string) BatchError {
	ctx := map[string][]string{}
	for k, v := range e.context {
		ctx[k] = v
	}
	for k, v := range context {
		ctx[k] = v
	}
	if len(ctx) == 0 {
		ctx = nil
	}
	return BatchError{Status: "error", Category: e.category, Message: e.message, Context: ctx, Errors: e.errors}
}

func newError(status int, category, message string) *apiError {
	return &apiError{status: status, category: category, message: message}
}

func validationError(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, CategoryValidation, fmt.Sprintf(format, a...))
}

func notFound() *apiError {
	return newError(http.StatusNotFound, CategoryObjectNotFound, msgNotFound)
}

// objectNotFound is the answer to a lookup of a contact that does not exist (or is
// archived), with the id asked for in the context.
func objectNotFound(id string) *apiError {
	e := newError(http.StatusNotFound, CategoryObjectNotFound, msgNotFound)
	e.context = map[string][]string{"id": {id}}
	return e
}

// conflict is the 409 for a create that would duplicate a contact: "Contact already
// exists. Existing ID: N" (reference §3.2). category is CONFLICT, or OBJECT_ALREADY_EXISTS
// when the conflict_category knob says so.
func conflict(category, existingID string) *apiError {
	e := newError(http.StatusConflict, category, "Contact already exists. Existing ID: "+existingID)
	e.ledgerReason = CategoryConflict
	return e
}

// invalidProperties is the 400 HubSpot answers for property values it refuses: the
// message embeds the array of per-property results, and "errors" repeats them.
func invalidProperties(portalID int64, errs []propertyError) *apiError {
	for i := range errs {
		errs[i].IsValid = false
		if errs[i].LocalizedErrorMessage == "" {
			errs[i].LocalizedErrorMessage = errs[i].Message
		}
		errs[i].PortalID = portalID
	}
	embedded, _ := fakehttp.Marshal(errs)
	e := newError(http.StatusBadRequest, CategoryValidation, msgPropertyValues+string(embedded))
	for _, pe := range errs {
		e.errors = append(e.errors, ErrorDetail{Message: pe.Message, Code: pe.Error, Context: map[string][]string{"propertyName": {pe.Name}}})
	}
	e.ledgerReason = errs[0].Error
	return e
}

// invalidJSON is the 400 for a body that is not the JSON the route takes, worded as
// HubSpot's Jackson errors are: "Invalid input JSON on line 1, column 102: ...".
func invalidJSON(line, column int, detail string) *apiError {
	return validationError("Invalid input JSON on line %d, column %d: %s", line, column, detail)
}

func methodNotAllowed(method string, allowed ...string) *apiError {
	e := newError(http.StatusMethodNotAllowed, CategoryMethodNotAllowed,
		fmt.Sprintf("HTTP method %s is not supported by this resource; use %s", method, strings.Join(allowed, " or ")))
	e.context = map[string][]string{"allowed": allowed}
	return e
}

const contentTypeJSON = "application/json;charset=utf-8"

// headerCorrelationID is on every API answer; error bodies repeat it.
const headerCorrelationID = "X-HubSpot-Correlation-Id"

// writeJSON writes v with status, never escaping HTML characters (HubSpot does not).
func writeJSON(w http.ResponseWriter, status int, v any) {
	b, err := fakehttp.Marshal(v)
	if err != nil {
		status = http.StatusInternalServerError
		b, _ = fakehttp.Marshal(ErrorBody{Status: "error", Message: "internal error", CorrelationID: w.Header().Get(headerCorrelationID), Category: CategoryInternalError})
	}
	h := w.Header()
	h.Set("Content-Type", contentTypeJSON)
	h.Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeError renders e with the request's correlation id.
func writeError(w http.ResponseWriter, e *apiError) {
	writeJSON(w, e.status, ErrorBody{
		Status: "error", Message: e.message, CorrelationID: w.Header().Get(headerCorrelationID),
		Context: e.context, Errors: e.errors, Category: e.category,
	})
}

// faultErrors renders injected faults in HubSpot's error shape, keeping the headers the
// request already has (correlation id, rate-limit headers).
type faultErrors struct{}

var _ faults.ErrorWriter = faultErrors{}

// WriteError renders e. Without a code the category follows the status: 401
// INVALID_AUTHENTICATION, 404 OBJECT_NOT_FOUND, 409 CONFLICT, 429 a TEN_SECONDLY_ROLLING
// rate-limit body, 503 and maintenance SERVICE_UNAVAILABLE, timeout (504) TIMEOUT, other
// 4xx VALIDATION_ERROR, other 5xx INTERNAL_ERROR.
func (faultErrors) WriteError(w http.ResponseWriter, r *http.Request, e faults.Error) {
	if e.RetryAfter > 0 {
		w.Header().Set("Retry-After", strconv.FormatInt(int64((e.RetryAfter+999_999_999)/1_000_000_000), 10))
	}
	corr := w.Header().Get(headerCorrelationID)
	if e.Status == http.StatusTooManyRequests && (e.Code == "" || e.Code == PolicyTenSecondly || e.Code == PolicyDaily || e.Code == PolicySecondly) {
		policy, msg := PolicyTenSecondly, msgTenSecondly
		switch e.Code {
		case PolicyDaily:
			policy, msg = PolicyDaily, msgDaily
		case PolicySecondly:
			policy, msg = PolicySecondly, msgSecondly
		}
		if e.Message != "" {
			msg = e.Message
		}
		writeJSON(w, e.Status, RateLimitBody{Status: "error", Message: msg, ErrorType: "RATE_LIMIT", CorrelationID: corr, PolicyName: policy})
		return
	}
	category, msg := e.Code, e.Message
	if category == "" {
		switch {
		case e.Kind == "maintenance" || e.Status == http.StatusServiceUnavailable:
			category = CategoryServiceUnavailable
		case e.Kind == "timeout":
			category = CategoryTimeout
		case e.Status == http.StatusUnauthorized:
			category = CategoryInvalidAuth
		case e.Status == http.StatusNotFound:
			category = CategoryObjectNotFound
		case e.Status == http.StatusConflict:
			category = CategoryConflict
		case e.Status < 500:
			category = CategoryValidation
		default:
			category = CategoryInternalError
		}
	}
	if msg == "" {
		msg = defaultFaultMessage(category, e.Kind)
	}
	writeJSON(w, e.Status, ErrorBody{Status: "error", Message: msg, CorrelationID: corr, Category: category})
}

func defaultFaultMessage(category, kind string) string {
	switch category {
	case CategoryServiceUnavailable:
		if kind == "maintenance" {
			return "HubSpot is down for scheduled maintenance. Please try again later."
		}
		return "Service Unavailable"
	case CategoryTimeout:
		return "The request timed out."
	case CategoryInvalidAuth:
		return msgAuthNotFound
	case CategoryObjectNotFound:
		return msgNotFound
	case CategoryConflict:
		return "Conflict"
	case CategoryValidation:
		return "There was a problem with the request."
	}
	return "internal error"
}
