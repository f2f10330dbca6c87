package shopify

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/limits"
	"github.com/peakready/peakready/fakes/shopify/gql"
)

// maxGraphQLBody bounds a GraphQL request body.
const maxGraphQLBody = 1 << 20

// The response bodies of shopify.md §1.3 and §1.5, kept byte for byte.
const (
	maxCostMessage = "Query cost is %d, which exceeds the single query max cost limit (1000).\n\n" +
		"See https://shopify.dev/concepts/about-apis/rate-limits for more information on how the\n" +
		"cost of a query is calculated.\n\n" +
		"To query larger amounts of data with fewer limits, bulk operations should be used instead.\n" +
		"See https://shopify.dev/tutorials/perform-bulk-operations-with-admin-api for usage details.\n"
	throttledErrors = `[{"message":"Throttled","extensions":{"code":"THROTTLED","documentation":"https://shopify.dev/api/usage/rate-limits"}}]`
	badRequestBody  = `{"errors":{"query":"Required parameter missing or invalid"}}`
)

type graphQLBody struct {
	Query         string          `json:"query"`
	Variables     json.RawMessage `json:"variables"`
	OperationName string          `json:"operationName"`
}

// parseGraphQLBody reads a request as Shopify accepts it: a JSON object with query,
// variables and operationName, or (Content-Type: application/graphql) the bare query.
func parseGraphQLBody(contentType string, body []byte) (graphQLBody, bool) {
	mt, _, _ := mime.ParseMediaType(contentType)
	if mt == "application/graphql" {
		return graphQLBody{Query: string(body)}, len(bytes.TrimSpace(body)) > 0
	}
	var b graphQLBody
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(&b); err != nil || b.Query == "" {
		return b, false
	}
	if dec.More() {
		return b, false
	}
	if v := bytes.TrimSpace(b.Variables); len(v) > 0 && v[0] != '{' && string(v) != "null" {
		return b, false
	}
	return b, true
}

// serveGraphQL is POST /admin/api/{version}/graphql.json: authenticate, parse and
// validate, refuse above 1000 requested points, charge the requested cost (THROTTLED if
// the bucket lacks it), run through the fault rules, execute, refund requested - actual.
func (s *Server) serveGraphQL(w http.ResponseWriter, r *http.Request, version string) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		writeRaw(w, http.StatusMethodNotAllowed, `{"errors":"Method Not Allowed"}`)
		return
	}
	app := s.appOf(r)
	if app == nil {
		writeRaw(w, http.StatusUnauthorized, unauthorizedBody)
		return
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxGraphQLBody))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			writeRaw(w, http.StatusRequestEntityTooLarge, `{"errors":"Request Entity Too Large"}`)
			return
		}
		writeRaw(w, http.StatusBadRequest, badRequestBody)
		return
	}
	body, ok := parseGraphQLBody(r.Header.Get("Content-Type"), raw)
	if !ok {
		writeRaw(w, http.StatusBadRequest, badRequestBody)
		return
	}
	rules := rulesFor(version)
	exec := s.executors[rules]
	// Shopify-GraphQL-Cost-Debug: 1 is the header Shopify's answers are seen with; the
	// older docs name X-GraphQL-Cost-Include-Fields: true for the same breakdown.
	debug := r.Header.Get("Shopify-GraphQL-Cost-Debug") == "1" || strings.EqualFold(r.Header.Get("X-GraphQL-Cost-Include-Fields"), "true")
	op, errs := s.docs.Prepare(exec.Schema(), body.Query, body.OperationName, body.Variables)
	if errs != nil {
		s.writeGraphQL(w, http.StatusOK, nil, errs, 0, 0, app.cost.Status(), nil, nil)
		return
	}
	op.Scale = s.scale
	requested, fields, err := gql.RequestedCost(op, debug)
	if err != nil {
		s.writeGraphQL(w, http.StatusOK, nil, gql.Errors{{Message: err.Error(), Code: "MAX_COMPLEXITY_EXCEEDED"}}, 0, 0, app.cost.Status(), nil, nil)
		return
	}
	if requested > MaxQueryCost {
		writeMaxCost(w, requested)
		return
	}
	app.graphql.Add(1)
	charged, status, _ := app.cost.Charge(int(requested))
	if !charged {
		app.throttled.Add(1)
		s.http.Throttled("THROTTLED")
		writeThrottled(w, s.limits.throttleStatus(), requested, status)
		return
	}
	app.points.Add(requested)
	s.http.Inject(w, r, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		req := &gqlRequest{s: s, app: app, version: version, rules: rules, base: bulkBase(r)}
		res := exec.Execute(r.Context(), op, req)
		actual := min(res.ActualCost, requested)
		status := app.cost.Refund(int(requested - actual))
		app.points.Add(actual - requested)
		s.writeGraphQL(w, http.StatusOK, res.Data, res.Errors, requested, actual, status, fields, req.search)
	}))
}

// writeGraphQL writes {"data":...,"errors":[...],"extensions":{"cost":{...}}}; data nil
// omits the data key (a request that never executed).
func (s *Server) writeGraphQL(w http.ResponseWriter, status int, data []byte, errs gql.Errors, requested, actual int64, ts limits.ThrottleStatus, fields []gql.FieldCost, search []searchExtension) {
	b := make([]byte, 0, len(data)+256)
	b = append(b, '{')
	if data != nil {
		b = append(b, `"data":`...)
		b = append(b, data...)
		b = append(b, ',')
	}
	if len(errs) > 0 {
		b = append(b, `"errors":`...)
		b = gql.AppendErrors(b, errs)
		b = append(b, ',')
	}
	b = append(b, `"extensions":{"cost":`...)
	b = appendCost(b, requested, &actual, ts)
	if fields != nil {
		b = b[:len(b)-1]
		b = append(b, `,"fields":`...)
		fj, _ := json.Marshal(fields)
		b = append(b, fj...)
		b = append(b, '}')
	}
	if len(search) > 0 {
		b = append(b, `,"search":`...)
		b = append(b, marshalNoEscape(search)...)
	}
	b = append(b, '}', '}')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// appendCost writes extensions.cost in Shopify's number format: maximumAvailable and
// restoreRate with one decimal, currentlyAvailable an integer, actualQueryCost null when
// the query never ran.
func appendCost(b []byte, requested int64, actual *int64, ts limits.ThrottleStatus) []byte {
	b = append(b, `{"requestedQueryCost":`...)
	b = strconv.AppendInt(b, requested, 10)
	b = append(b, `,"actualQueryCost":`...)
	if actual == nil {
		b = append(b, "null"...)
	} else {
		b = strconv.AppendInt(b, *actual, 10)
	}
	b = append(b, `,"throttleStatus":{"maximumAvailable":`...)
	b = gql.AppendFloat(b, ts.MaximumAvailable)
	b = append(b, `,"currentlyAvailable":`...)
	b = strconv.AppendInt(b, int64(ts.CurrentlyAvailable), 10)
	b = append(b, `,"restoreRate":`...)
	b = gql.AppendFloat(b, ts.RestoreRate)
	return append(b, '}', '}')
}

// writeThrottled writes the §1.5 body: no data, actualQueryCost null.
func writeThrottled(w http.ResponseWriter, status int, requested int64, ts limits.ThrottleStatus) {
	b := []byte(`{"errors":` + throttledErrors + `,"extensions":{"cost":`)
	b = appendCost(b, requested, nil, ts)
	b = append(b, '}', '}')
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// writeMaxCost writes the §1.3 body. Nothing is charged.
func writeMaxCost(w http.ResponseWriter, cost int64) {
	msg := []byte(`{"errors":[{"message":`)
	msg = gql.AppendString(msg, sprintfCost(cost))
	msg = append(msg, `,"extensions":{"code":"MAX_COST_EXCEEDED","cost":`...)
	msg = strconv.AppendInt(msg, cost, 10)
	msg = append(msg, `,"maxCost":1000}}]}`...)
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(msg)
}

func sprintfCost(cost int64) string {
	s := maxCostMessage
	i := bytes.Index([]byte(s), []byte("%d"))
	return s[:i] + strconv.FormatInt(cost, 10) + s[i+2:]
}

type idemKeyCtx struct{}

func withIdempotencyKey(ctx context.Context, key string) context.Context {
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithValue(ctx, idemKeyCtx{}, key)
}

func idempotencyKeyOf(ctx context.Context) string {
	if ctx == nil {
		return ""
	}
	k, _ := ctx.Value(idemKeyCtx{}).(string)
	return k
}
