package hubspot

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Search operators (the client's FilterOperatorEnum).
const (
	OpEQ               = "EQ"
	OpNEQ              = "NEQ"
	OpLT               = "LT"
	OpLTE              = "LTE"
	OpGT               = "GT"
	OpGTE              = "GTE"
	OpBetween          = "BETWEEN"
	OpIn               = "IN"
	OpNotIn            = "NOT_IN"
	OpHasProperty      = "HAS_PROPERTY"
	OpNotHasProperty   = "NOT_HAS_PROPERTY"
	OpContainsToken    = "CONTAINS_TOKEN"
	OpNotContainsToken = "NOT_CONTAINS_TOKEN"
)

var operators = []string{OpEQ, OpNEQ, OpLT, OpLTE, OpGT, OpGTE, OpBetween, OpIn, OpNotIn, OpHasProperty, OpNotHasProperty, OpContainsToken, OpNotContainsToken}

// maxQueryLength is the longest free-text query.
const maxQueryLength = 3000

// defaultSearchLimit is the page size of a search that gives none.
const defaultSearchLimit = 10

// searchRequest is the body of POST /crm/v3/objects/contacts/search.
type searchRequest struct {
	FilterGroups []filterGroupJSON `json:"filterGroups"`
	// Filters is the older form: one group's filters at the top level.
	Filters    []filterJSON `json:"filters"`
	Sorts      []sortSpec   `json:"sorts"`
	Query      string       `json:"query"`
	Properties []string     `json:"properties"`
	Limit      flexInt      `json:"limit"`
	After      scalar       `json:"after"`
}

type filterGroupJSON struct {
	Filters []filterJSON `json:"filters"`
}

type filterJSON struct {
	PropertyName string   `json:"propertyName"`
	Operator     string   `json:"operator"`
	Value        *scalar  `json:"value"`
	HighValue    *scalar  `json:"highValue"`
	Values       []scalar `json:"values"`
}

// sortSpec is {"propertyName","direction"}, or a string: "name" ascending, "-name"
// descending.
type sortSpec struct {
	PropertyName string `json:"propertyName"`
	Direction    string `json:"direction"`
}

func (s *sortSpec) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	if len(b) > 0 && b[0] == '"' {
		var name string
		if err := json.Unmarshal(b, &name); err != nil {
			return err
		}
		s.Direction = "ASCENDING"
		if strings.HasPrefix(name, "-") {
			name, s.Direction = name[1:], "DESCENDING"
		}
		s.PropertyName = name
		return nil
	}
	type plain sortSpec
	var p plain
	if err := json.Unmarshal(b, &p); err != nil {
		return err
	}
	*s = sortSpec(p)
	return nil
}

// searchQuery is a search request, validated and compiled against the schema.
type searchQuery struct {
	groups     [][]compiledFilter
	sorts      []compiledSort
	query      string // lower-cased
	properties []string
	limit      int
	offset     int
}

type compiledFilter struct {
	prop   *Property
	op     string
	value  string // lower-cased text, or the raw value for numbers and times
	raw    string // the value as sent, trimmed
	high   string
	values []string
	num    []float64   // number properties: value, high / values, parsed
	times  []time.Time // date and datetime properties
}

type compiledSort struct {
	prop *Property
	desc bool
}

// parseSearch reads and validates a search body: the filter caps (groups, filters in
// all, filters per group), operators and their operands, properties that exist,
// limit, after. Every refusal is a 400 VALIDATION_ERROR saying what is wrong.
func parseSearch(body []byte, st *settings, sc *schema) (*searchQuery, *apiError) {
	var req searchRequest
	if e := decodeBody(body, &req); e != nil {
		return nil, e
	}
	l := st.limits
	groups := req.FilterGroups
	if len(req.Filters) > 0 {
		if len(groups) > 0 {
			return nil, validationError("Use filterGroups or filters, not both")
		}
		groups = []filterGroupJSON{{Filters: req.Filters}}
	}
	if len(groups) > l.SearchFilterGroupsMax {
		return nil, capError("filterGroups", len(groups), l.SearchFilterGroupsMax,
			"Too many filter groups: %d. A search takes at most %d filter groups", len(groups), l.SearchFilterGroupsMax)
	}
	total := 0
	q := &searchQuery{limit: defaultSearchLimit}
	for gi, g := range groups {
		if len(g.Filters) > l.SearchFiltersPerGroupMax {
			return nil, capError("filters", len(g.Filters), l.SearchFiltersPerGroupMax,
				"Too many filters in filter group %d: %d. A filter group takes at most %d filters", gi, len(g.Filters), l.SearchFiltersPerGroupMax)
		}
		total += len(g.Filters)
		if total > l.SearchFiltersMax {
			n := total
			for _, rest := range groups[gi+1:] {
				n += len(rest.Filters)
			}
			return nil, capError("filters", n, l.SearchFiltersMax,
				"Too many filters: %d. A search takes at most %d filters across all filter groups", n, l.SearchFiltersMax)
		}
		var cg []compiledFilter
		for fi, f := range g.Filters {
			cf, e := compileFilter(f, sc)
			if e != nil {
				e.message = fmt.Sprintf("filterGroups[%d].filters[%d]: %s", gi, fi, e.message)
				return nil, e
			}
			cg = append(cg, cf)
		}
		if len(cg) > 0 {
			q.groups = append(q.groups, cg)
		}
	}
	for _, srt := range req.Sorts {
		p := sc.get(srt.PropertyName)
		if p == nil {
			return nil, validationError("Cannot sort by %q: no such property", srt.PropertyName)
		}
		switch strings.ToUpper(srt.Direction) {
		case "", "ASCENDING", "ASC":
			q.sorts = append(q.sorts, compiledSort{prop: p})
		case "DESCENDING", "DESC":
			q.sorts = append(q.sorts, compiledSort{prop: p, desc: true})
		default:
			return nil, validationError("Sort direction %q: want ASCENDING or DESCENDING", srt.Direction)
		}
	}
	if len(req.Query) > maxQueryLength {
		return nil, validationError("query is %d characters; at most %d are allowed", len(req.Query), maxQueryLength)
	}
	q.query = strings.ToLower(strings.TrimSpace(req.Query))
	q.properties = req.Properties
	if req.Limit.set {
		if req.Limit.n < 0 || req.Limit.n > int64(l.SearchPageMax) {
			return nil, validationError("limit %d: a search page holds 1 to %d results", req.Limit.n, l.SearchPageMax)
		}
		if req.Limit.n > 0 {
			q.limit = int(req.Limit.n)
		}
	}
	if a := strings.TrimSpace(req.After.s); a != "" {
		n, err := strconv.ParseInt(a, 10, 64)
		if err != nil || n < 0 {
			return nil, validationError("after=%q is not a paging cursor from this API", req.After.s)
		}
		if n >= int64(l.SearchTotalMax) {
			e := validationError("Search results are limited to %d; paging to after=%d is past the limit. Narrow the search with filters instead", l.SearchTotalMax, n)
			e.context = map[string][]string{"after": {a}, "max": {strconv.Itoa(l.SearchTotalMax)}}
			return nil, e
		}
		q.offset = int(n)
	}
	return q, nil
}

func capError(what string, n, max int, format string, a ...any) *apiError {
	e := validationError(format, a...)
	e.context = map[string][]string{what: {strconv.Itoa(n)}, "max": {strconv.Itoa(max)}}
	return e
}

func compileFilter(f filterJSON, sc *schema) (compiledFilter, *apiError) {
	op := strings.ToUpper(strings.TrimSpace(f.Operator))
	if !slices.Contains(operators, op) {
		return compiledFilter{}, validationError("operator %q is not one of %s", f.Operator, strings.Join(operators, ", "))
	}
	p := sc.get(f.PropertyName)
	if p == nil {
		return compiledFilter{}, validationError("Property %q does not exist", f.PropertyName)
	}
	cf := compiledFilter{prop: p, op: op}
	var raw []string
	switch op {
	case OpHasProperty, OpNotHasProperty:
		return cf, nil
	case OpIn, OpNotIn:
		if len(f.Values) == 0 {
			return cf, validationError("operator %s requires values", op)
		}
		for _, v := range f.Values {
			raw = append(raw, v.s)
		}
	case OpBetween:
		if f.Value == nil || f.HighValue == nil {
			return cf, validationError("operator BETWEEN requires a value and a highValue")
		}
		raw = []string{f.Value.s, f.HighValue.s}
	default:
		if f.Value == nil {
			return cf, validationError("operator %s requires a value", op)
		}
		raw = []string{f.Value.s}
	}
	switch {
	case p.Type == TypeNumber && op != OpContainsToken && op != OpNotContainsToken:
		for _, v := range raw {
			n, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return cf, validationError("%q is not a number, and %s is a number property", v, p.Name)
			}
			cf.num = append(cf.num, n)
		}
	case (p.Type == TypeDate || p.Type == TypeDatetime) && op != OpContainsToken && op != OpNotContainsToken:
		for _, v := range raw {
			t, ok := parseTime(v)
			if !ok {
				return cf, validationError("%q is not a date (epoch milliseconds or ISO 8601), and %s is a %s property", v, p.Name, p.Type)
			}
			cf.times = append(cf.times, t)
		}
	}
	cf.raw = strings.TrimSpace(raw[0])
	for i := range raw {
		raw[i] = strings.ToLower(strings.TrimSpace(raw[i]))
	}
	switch op {
	case OpIn, OpNotIn:
		cf.values = raw
	case OpBetween:
		cf.value, cf.high = raw[0], raw[1]
	default:
		cf.value = raw[0]
	}
	return cf, nil
}

// matches reports whether a contact satisfies the query: any group (OR) whose filters
// all hold (AND), and the free-text query.
func (q *searchQuery) matches(c *contact) bool {
	if q.query != "" && !matchesQuery(c, q.query) {
		return false
	}
	if len(q.groups) == 0 {
		return true
	}
	for _, g := range q.groups {
		all := true
		for i := range g {
			if !g[i].holds(c) {
				all = false
				break
			}
		}
		if all {
			return true
		}
	}
	return false
}

// queryProperties are what the free-text query looks in.
var queryProperties = []string{"firstname", "lastname", propEmail, "phone", "mobilephone", "company", "website"}

// matchesQuery: some token of a searched property starts with the query, or the whole
// value contains it.
func matchesQuery(c *contact, query string) bool {
	for _, name := range queryProperties {
		v := strings.ToLower(c.props[name])
		if v == "" {
			continue
		}
		if strings.Contains(v, query) {
			return true
		}
	}
	return false
}

func (f *compiledFilter) holds(c *contact) bool {
	raw, has := c.props[f.prop.Name]
	has = has && raw != ""
	switch f.op {
	case OpHasProperty:
		return has
	case OpNotHasProperty:
		return !has
	case OpNEQ, OpNotIn, OpNotContainsToken:
		if !has {
			return true
		}
	default:
		if !has {
			return false
		}
	}
	if f.prop.multiple() {
		return f.holdsMulti(strings.ToLower(raw))
	}
	switch {
	case f.num != nil:
		n, err := strconv.ParseFloat(raw, 64)
		if err != nil {
			return false
		}
		return compareOp(f.op, func(i int) int { return cmpFloat(n, f.num[i]) }, len(f.num))
	case f.times != nil:
		t, ok := parseTime(raw)
		if !ok {
			return false
		}
		return compareOp(f.op, func(i int) int { return t.Compare(f.times[i]) }, len(f.times))
	}
	v := strings.ToLower(raw)
	switch f.op {
	case OpContainsToken:
		return containsToken(v, f.value)
	case OpNotContainsToken:
		return !containsToken(v, f.value)
	}
	operands := []string{f.value}
	switch f.op {
	case OpIn, OpNotIn:
		operands = f.values
	case OpBetween:
		operands = []string{f.value, f.high}
	}
	return compareOp(f.op, func(i int) int { return strings.Compare(v, operands[i]) }, len(operands))
}

// compareOp applies a comparison operator given cmp(i), the comparison of the value
// with operand i.
func compareOp(op string, cmp func(i int) int, n int) bool {
	switch op {
	case OpEQ:
		return cmp(0) == 0
	case OpNEQ:
		return cmp(0) != 0
	case OpLT:
		return cmp(0) < 0
	case OpLTE:
		return cmp(0) <= 0
	case OpGT:
		return cmp(0) > 0
	case OpGTE:
		return cmp(0) >= 0
	case OpBetween:
		return cmp(0) >= 0 && cmp(1) <= 0
	case OpIn, OpNotIn:
		in := false
		for i := 0; i < n; i++ {
			in = in || cmp(i) == 0
		}
		return in == (op == OpIn)
	}
	return false
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// holdsMulti is a filter on a multiple checkbox property: EQ and CONTAINS_TOKEN hold
// when the value is among those checked, IN when any is, NEQ and NOT_IN when none is.
func (f *compiledFilter) holdsMulti(raw string) bool {
	set := splitMulti(raw)
	has := func(v string) bool { return slices.Contains(set, v) }
	switch f.op {
	case OpEQ:
		return has(f.value)
	case OpNEQ:
		return !has(f.value)
	case OpContainsToken:
		return slices.ContainsFunc(set, func(s string) bool { return containsToken(s, f.value) })
	case OpNotContainsToken:
		return !slices.ContainsFunc(set, func(s string) bool { return containsToken(s, f.value) })
	case OpIn, OpNotIn:
		hit := slices.ContainsFunc(f.values, has)
		return hit == (f.op == OpIn)
	}
	// ordering operators compare the whole value
	return compareOp(f.op, func(i int) int { return strings.Compare(raw, []string{f.value, f.high}[i]) }, 2)
}

// containsToken matches a CONTAINS_TOKEN value: with * wildcards, against the whole
// value or any of its tokens; without, a token (or the whole value) equal to it.
func containsToken(v, token string) bool {
	if token == "" {
		return false
	}
	candidates := append([]string{v}, tokens(v)...)
	for _, c := range candidates {
		if strings.Contains(token, "*") {
			if glob(token, c) {
				return true
			}
		} else if c == token {
			return true
		}
	}
	return false
}

// tokens splits a value on spaces and on @ ; , and then again on . - _ so that
// "a.b@x.com" has the tokens a.b, x.com, a, b, x and com.
func tokens(v string) []string {
	coarse := strings.FieldsFunc(v, func(r rune) bool {
		return r == ' ' || r == '\t' || r == '\n' || r == '@' || r == ';' || r == ','
	})
	out := slices.Clone(coarse)
	for _, c := range coarse {
		fine := strings.FieldsFunc(c, func(r rune) bool { return r == '.' || r == '-' || r == '_' })
		if len(fine) > 1 {
			out = append(out, fine...)
		}
	}
	return out
}

// glob matches a pattern whose only wildcard is * (any run of characters).
func glob(pattern, s string) bool {
	parts := strings.Split(pattern, "*")
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	for i := 1; i < len(parts); i++ {
		if i == len(parts)-1 {
			return strings.HasSuffix(s, parts[i])
		}
		j := strings.Index(s, parts[i])
		if j < 0 {
			return false
		}
		s = s[j+len(parts[i]):]
	}
	return s == ""
}

// compare orders two contacts by the query's sorts, then by id. Missing values sort last
// in either direction.
func (q *searchQuery) compare(a, b *contact) int {
	for _, srt := range q.sorts {
		av, bv := a.props[srt.prop.Name], b.props[srt.prop.Name]
		switch {
		case av == "" && bv == "":
			continue
		case av == "":
			return 1
		case bv == "":
			return -1
		}
		c := compareValues(srt.prop, av, bv)
		if srt.desc {
			c = -c
		}
		if c != 0 {
			return c
		}
	}
	return cmpFloat(float64(a.id), float64(b.id))
}

func compareValues(p *Property, a, b string) int {
	switch p.Type {
	case TypeNumber:
		af, aerr := strconv.ParseFloat(a, 64)
		bf, berr := strconv.ParseFloat(b, 64)
		if aerr == nil && berr == nil {
			return cmpFloat(af, bf)
		}
	case TypeDate, TypeDatetime:
		at, aok := parseTime(a)
		bt, bok := parseTime(b)
		if aok && bok {
			return at.Compare(bt)
		}
	}
	return strings.Compare(strings.ToLower(a), strings.ToLower(b))
}

// searchResponse is a search's answer.
type searchResponse struct {
	Total   int          `json:"total"`
	Results []objectJSON `json:"results"`
	Paging  *paging      `json:"paging,omitempty"`
}

// indexed returns the ids of the only contacts that can match, when every filter group
// has an EQ on email or on a unique property the index answers exactly (a value without
// letter case, for unique properties, whose index is case-sensitive); ok is false when
// the whole portal must be scanned.
func (q *searchQuery) indexed(st *store) (ids []int64, ok bool) {
	if len(q.groups) == 0 {
		return nil, false
	}
	for _, g := range q.groups {
		found := false
		for _, f := range g {
			if f.op != OpEQ {
				continue
			}
			var c *contact
			switch {
			case f.prop.Name == propEmail:
				c = st.lookup(propEmail, f.value)
			case f.prop.HasUniqueValue && strings.ToLower(f.raw) == strings.ToUpper(f.raw):
				c = st.lookup(f.prop.Name, f.raw)
			default:
				continue
			}
			found = true
			if c != nil && !slices.Contains(ids, c.id) {
				ids = append(ids, c.id)
			}
			break
		}
		if !found {
			return nil, false
		}
	}
	slices.Sort(ids)
	return ids, true
}

// run evaluates q over the contacts the search index shows at cutoff. Without index lag
// a search by email or unique value reads the index instead of scanning. The caller
// holds s.mu for reading.
func (q *searchQuery) run(st *store, cutoff time.Time, totalMax int, lagged bool) searchResponse {
	var matches []*contact
	if ids, ok := q.indexed(st); ok && !lagged {
		for _, id := range ids {
			if c := st.getLive(id); c != nil && q.matches(c) {
				matches = append(matches, c)
			}
		}
	} else {
		st.eachVisible(cutoff, func(c *contact) bool {
			if q.matches(c) {
				matches = append(matches, c)
			}
			return true
		})
	}
	if len(q.sorts) > 0 {
		slices.SortStableFunc(matches, q.compare)
	}
	resp := searchResponse{Total: len(matches), Results: []objectJSON{}}
	start := min(q.offset, len(matches))
	end := min(start+q.limit, len(matches), totalMax)
	for _, c := range matches[start:max(start, end)] {
		resp.Results = append(resp.Results, render(c, q.properties, false))
	}
	if end < len(matches) && end >= start {
		resp.Paging = &paging{Next: nextPage{After: strconv.Itoa(end)}}
	}
	return resp
}

// serveSearch is POST /crm/v3/objects/contacts/search. It sees the contacts as they
// were search_index_lag ago.
func (s *Server) serveSearch(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	st := s.settings.Load()
	s.mu.RLock()
	q, e := parseSearch(body, st, s.sc)
	if e != nil {
		s.mu.RUnlock()
		return e
	}
	resp := q.run(s.st, s.now().Add(-st.indexLag), st.limits.SearchTotalMax, st.indexLag > 0)
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, resp)
	return nil
}
