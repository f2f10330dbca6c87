package salesforce

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// Composite (/composite) runs up to 25 subrequests in order as one call against the
// daily allocation ("The entire series of requests counts as a single call toward
// your API limits", REST API Developer Guide, Composite); later subrequests refer to
// earlier results with @{referenceId.path}.
const (
	maxCompositeSubrequests = 25
	// maxCompositeQueries is the most subrequests that may be queries or sObject
	// Collections requests.
	maxCompositeQueries = 5
	// compositeNullRefsFrom is the first version where a reference to a null field
	// resolves to null instead of failing.
	compositeNullRefsFrom = 52
)

// Messages of subrequests that were not run, from the Composite documentation.
const (
	msgRolledBackComposite = "The transaction was rolled back since another operation in the same transaction failed."
	msgTooManySubrequests  = "The request can’t contain more than 25 operations."
	msgTooManyQueries      = "The request can’t contain more than 5 query or sObject Collections operations."
)

// compositeSubrequest is one entry of compositeRequest.
type compositeSubrequest struct {
	Method      string            `json:"method"`
	URL         string            `json:"url"`
	ReferenceID string            `json:"referenceId"`
	Body        json.RawMessage   `json:"body"`
	HTTPHeaders map[string]string `json:"httpHeaders"`
}

// compositeBody is the body of POST /composite.
type compositeBody struct {
	AllOrNone          bool                  `json:"allOrNone"`
	CollateSubrequests *bool                 `json:"collateSubrequests"`
	CompositeRequest   []compositeSubrequest `json:"compositeRequest"`
}

// CompositeResult is one subrequest's outcome in {"compositeResponse":[...]}.
type CompositeResult struct {
	Body           json.RawMessage   `json:"body"`
	HTTPHeaders    map[string]string `json:"httpHeaders"`
	HTTPStatusCode int               `json:"httpStatusCode"`
	ReferenceID    *string           `json:"referenceId"`
}

var referenceIDPattern = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9_]*$`)

// inheritedHeaders are the headers a subrequest takes from the composite request and
// may not set itself.
var inheritedHeaders = []string{"Accept", "Authorization", "Content-Type"}

func invalidInput(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, CodeInvalidInput, fmt.Sprintf(format, a...))
}

// parseCompositeBody reads and checks a composite request. Problems with the request as
// a whole answer 400 before any subrequest runs.
func parseCompositeBody(raw []byte) (*compositeBody, *apiError) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, jsonParserError("The HTTP entity body is required, but this request has no entity body.")
	}
	if !json.Valid(raw) {
		return nil, describeSyntaxError(raw)
	}
	var cb compositeBody
	if err := json.Unmarshal(raw, &cb); err != nil {
		return nil, unmarshalError(raw, err)
	}
	if len(cb.CompositeRequest) == 0 {
		return nil, invalidInput("compositeRequest is required: a list of subrequests")
	}
	seen := map[string]bool{}
	for _, sub := range cb.CompositeRequest {
		switch sub.Method {
		case http.MethodGet, http.MethodPost, http.MethodPut, http.MethodPatch, http.MethodDelete:
		default:
			return nil, invalidInput("Invalid method %q: use GET, POST, PUT, PATCH or DELETE (case-sensitive)", sub.Method)
		}
		if !strings.HasPrefix(sub.URL, dataPrefix) {
			return nil, invalidInput("The url of a subrequest must start with %svXX.X/: %s", dataPrefix, ellipsis(sub.URL))
		}
		if !referenceIDPattern.MatchString(sub.ReferenceID) {
			return nil, invalidInput("Provided referenceId ('%s') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_').", sub.ReferenceID)
		}
		if seen[sub.ReferenceID] {
			return nil, invalidInput("Duplicate referenceId provided in the request: %s", sub.ReferenceID)
		}
		seen[sub.ReferenceID] = true
		for name := range sub.HTTPHeaders {
			for _, h := range inheritedHeaders {
				if strings.EqualFold(name, h) {
					return nil, invalidInput("Subrequests inherit the %s header; it can't be set in httpHeaders", h)
				}
			}
		}
	}
	return &cb, nil
}

// subPath splits a subrequest path into its version segment and the resource after it.
func subPath(url string) (version, resource string) {
	p, _, _ := strings.Cut(strings.TrimPrefix(url, dataPrefix), "?")
	version, resource, _ = strings.Cut(p, "/")
	return version, resource
}

// isQueryOrCollection reports whether a subrequest counts against the five queries
// and sObject Collections requests a composite request may hold.
func isQueryOrCollection(url string) bool {
	_, res := subPath(url)
	return res == "query" || strings.HasPrefix(res, "query/") || res == "queryAll" || strings.HasPrefix(res, "queryAll/") ||
		strings.HasPrefix(res, "composite/sobjects")
}

// compositeAllowed reports whether Composite supports the resource: sObject resources,
// Query, QueryAll and sObject Collections.
func compositeAllowed(url string) bool {
	_, res := subPath(url)
	return strings.HasPrefix(res, "sobjects") || isQueryOrCollection(url)
}

// serveComposite routes /composite: GET lists the composite resources, POST runs a
// composite request; /composite/batch runs a batch.
func (s *Server) serveComposite(w http.ResponseWriter, r *http.Request, rq *request, method string) *apiError {
	switch {
	case len(rq.parts) == 1:
		switch method {
		case http.MethodGet:
			writeJSON(w, http.StatusOK, map[string]string{"batch": rq.prefix() + "/composite/batch", "sobjects": rq.prefix() + "/composite/sobjects"})
			return nil
		case http.MethodPost:
			if rq.sub {
				return notFound()
			}
			return s.composite(w, r, rq)
		}
		return methodNotAllowed(r.Method, "GET,HEAD,POST")
	case len(rq.parts) == 2 && rq.parts[1] == "batch":
		if method != http.MethodPost {
			return methodNotAllowed(r.Method, "POST")
		}
		if rq.version < batchFrom || rq.sub {
			return notFound()
		}
		return s.batch(w, r, rq)
	}
	return notFound()
}

// composite is POST /composite.
func (s *Server) composite(w http.ResponseWriter, r *http.Request, rq *request) *apiError {
	raw, e := readCollectionBody(w, r)
	if e != nil {
		return e
	}
	cb, e := parseCompositeBody(raw)
	if e != nil {
		return e
	}
	subs := cb.CompositeRequest
	queries := 0
	for _, sub := range subs {
		if isQueryOrCollection(sub.URL) {
			queries++
		}
	}
	switch {
	case len(subs) > maxCompositeSubrequests:
		writeCompositeLimit(w, msgTooManySubrequests)
		return nil
	case queries > maxCompositeQueries:
		writeCompositeLimit(w, msgTooManyQueries)
		return nil
	}

	out := make([]CompositeResult, len(subs))
	done := make(map[string]*subOutcome, len(subs))
	s.mu.Lock()
	tx, own := s.beginTx()
	sp := tx.mark()
	failedAt := -1
	for i, sub := range subs {
		ref := sub.ReferenceID
		out[i].ReferenceID = &ref
		url, body, rerr := resolveReferences(sub, done, rq.version >= compositeNullRefsFrom)
		var failure bool
		if rerr != "" {
			out[i].setError(http.StatusBadRequest, CodeProcessingHalted, rerr)
			failure = true
		} else if !compositeAllowed(url) {
			out[i].setError(http.StatusNotFound, CodeNotFound, msgResourceNotExist)
			failure = true
		} else {
			resp := s.runSub(r, sub.Method, url, body, sub.HTTPHeaders, true)
			out[i].fromSub(resp)
			failure = resp.status >= 400 || collectionPartlyFailed(url, resp)
			if resp.status < 400 {
				done[ref] = &subOutcome{body: resp.body.Bytes()}
			}
		}
		if failure && cb.AllOrNone {
			failedAt = i
			break
		}
	}
	if failedAt >= 0 {
		s.rollbackTo(tx, sp)
		for i := range out {
			if i != failedAt {
				ref := subs[i].ReferenceID
				out[i] = CompositeResult{ReferenceID: &ref}
				out[i].setError(http.StatusBadRequest, CodeProcessingHalted, msgRolledBackComposite)
			}
		}
	}
	s.endTx(tx, own)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, map[string][]CompositeResult{"compositeResponse": out})
	return nil
}

// writeCompositeLimit answers a composite request over its size limits the way a
// production org did: 200 with one result, referenceId null (as captured in
// guardian/support-service-lambdas#766).
func writeCompositeLimit(w http.ResponseWriter, msg string) {
	res := CompositeResult{}
	res.setError(http.StatusBadRequest, CodeLimitExceeded, msg)
	writeJSON(w, http.StatusOK, map[string][]CompositeResult{"compositeResponse": {res}})
}

func (c *CompositeResult) setError(status int, code, msg string) {
	c.HTTPStatusCode = status
	c.HTTPHeaders = map[string]string{}
	c.Body, _ = fakehttp.Marshal([]ErrorBody{{ErrorCode: code, Message: msg}})
}

// fromSub fills a result from a subrequest's answer: its body (null when empty), its
// Location header, its status.
func (c *CompositeResult) fromSub(resp *subResponse) {
	c.HTTPStatusCode = resp.status
	c.HTTPHeaders = map[string]string{}
	if loc := resp.header.Get("Location"); loc != "" {
		c.HTTPHeaders["Location"] = loc
	}
	c.Body = resp.jsonBody()
}

// collectionPartlyFailed reports whether a collection subrequest answered 200 with a
// record that failed: under the composite's allOrNone that fails the composite
// request too ("allOrNone Parameters in Composite and Collections Requests").
func collectionPartlyFailed(url string, resp *subResponse) bool {
	if _, res := subPath(url); !strings.HasPrefix(res, "composite/sobjects") || resp.status >= 400 {
		return false
	}
	var results []struct {
		Success *bool `json:"success"`
	}
	if json.Unmarshal(resp.body.Bytes(), &results) != nil {
		return false
	}
	for _, r := range results {
		if r.Success != nil && !*r.Success {
			return true
		}
	}
	return false
}

// subOutcome is what a later subrequest can refer to: an earlier subrequest's body.
type subOutcome struct {
	body    []byte
	decoded any
	parsed  bool
}

func (o *subOutcome) value() any {
	if !o.parsed {
		o.parsed = true
		dec := json.NewDecoder(bytes.NewReader(o.body))
		dec.UseNumber()
		if dec.Decode(&o.decoded) != nil {
			o.decoded = nil
		}
	}
	return o.decoded
}

var referencePattern = regexp.MustCompile(`@\{([^{}]*)\}`)

// resolveReferences replaces @{referenceId.path} in a subrequest's url and body with
// values from earlier results. A reference that cannot be resolved (an unknown or failed
// subrequest, a missing field, a null field before v52.0) makes the subrequest fail with
// the message Salesforce gives.
func resolveReferences(sub compositeSubrequest, done map[string]*subOutcome, nullOK bool) (string, []byte, string) {
	var fail string
	lookup := func(expr string) (any, bool) {
		v, ok := resolveExpr(expr, done, nullOK)
		if !ok && fail == "" {
			refID, _, _ := strings.Cut(expr, ".")
			refID, _, _ = strings.Cut(refID, "[")
			fail = fmt.Sprintf("Invalid reference specified. No value for %s found in %s. Provided referenceId ('%s') must start with a letter or a number, and it can contain only letters, numbers and underscores ('_').", expr, refID, expr)
		}
		return v, ok
	}
	url := referencePattern.ReplaceAllStringFunc(sub.URL, func(m string) string {
		v, _ := lookup(m[2 : len(m)-1])
		return referenceText(v)
	})
	var body []byte
	if len(bytes.TrimSpace(sub.Body)) > 0 && !bytes.Equal(bytes.TrimSpace(sub.Body), []byte("null")) {
		body = sub.Body
		if referencePattern.Match(sub.Body) {
			dec := json.NewDecoder(bytes.NewReader(sub.Body))
			dec.UseNumber()
			var v any
			if dec.Decode(&v) == nil {
				v = substitute(v, lookup)
				body, _ = fakehttp.Marshal(v)
			}
		}
	}
	return url, body, fail
}

// substitute replaces references inside a decoded JSON value: a string that is one
// reference takes the referenced value, any other string has its references written
// out as text.
func substitute(v any, lookup func(string) (any, bool)) any {
	switch x := v.(type) {
	case string:
		if m := referencePattern.FindStringSubmatchIndex(x); m != nil && m[0] == 0 && m[1] == len(x) {
			r, _ := lookup(x[2 : len(x)-1])
			return r
		}
		return referencePattern.ReplaceAllStringFunc(x, func(m string) string {
			r, _ := lookup(m[2 : len(m)-1])
			return referenceText(r)
		})
	case map[string]any:
		for k, e := range x {
			x[k] = substitute(e, lookup)
		}
	case []any:
		for i, e := range x {
			x[i] = substitute(e, lookup)
		}
	}
	return v
}

// referenceText is a referenced value written into a URL or a longer string.
func referenceText(v any) string {
	switch x := v.(type) {
	case nil:
		return ""
	case string:
		return x
	case json.Number:
		return x.String()
	case bool:
		return strconv.FormatBool(x)
	}
	b, _ := fakehttp.Marshal(v)
	return string(b)
}

// resolveExpr walks refId(.name|[n])* through an earlier result. Names are
// case-sensitive, as Salesforce documents.
func resolveExpr(expr string, done map[string]*subOutcome, nullOK bool) (any, bool) {
	i := strings.IndexAny(expr, ".[")
	if i < 0 {
		i = len(expr)
	}
	out, ok := done[expr[:i]]
	if !ok {
		return nil, false
	}
	cur := out.value()
	rest := expr[i:]
	for rest != "" {
		switch rest[0] {
		case '.':
			end := strings.IndexAny(rest[1:], ".[")
			if end < 0 {
				end = len(rest) - 1
			}
			name := rest[1 : end+1]
			rest = rest[end+1:]
			m, isMap := cur.(map[string]any)
			if !isMap || name == "" {
				return nil, false
			}
			if cur, ok = m[name]; !ok {
				return nil, false
			}
		case '[':
			end := strings.IndexByte(rest, ']')
			if end < 0 {
				return nil, false
			}
			n, err := strconv.Atoi(rest[1:end])
			rest = rest[end+1:]
			a, isArray := cur.([]any)
			if err != nil || !isArray || n < 0 || n >= len(a) {
				return nil, false
			}
			cur = a[n]
		default:
			return nil, false
		}
	}
	if cur == nil && !nullOK {
		return nil, false
	}
	return cur, true
}
