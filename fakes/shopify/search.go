package shopify

import (
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/shopify/store"
)

// Shopify's search syntax, as used by the query: argument of list fields:
//
//	updated_at:>'2026-11-27T10:00:00Z' financial_status:paid
//	sku:ABC123 OR sku:DEF456
//	-tag:held (status:open OR status:closed)
//
// Terms are ANDed unless joined by OR; NOT or a leading "-" negates; parentheses group.
// A term is field:value, field:>value (also <, >=, <=) or a bare word (free text). Values
// may be quoted with ' or ". A field the resource does not know is ignored and reported
// as a warning (extensions.search), as Shopify does. The parser never fails: unbalanced
// parentheses and quotes are closed at the end of the query.

// MaxSearchLength bounds a search query.
const MaxSearchLength = 10_000

type searchOp uint8

const (
	opTerm searchOp = iota
	opAnd
	opOr
	opNot
)

type searchNode struct {
	op    searchOp
	kids  []*searchNode
	field string // empty for free text
	cmp   string // "", ">", "<", ">=", "<="
	value string
}

// SearchWarning is one entry of extensions.search[].warnings.
type SearchWarning struct {
	Field   string `json:"field"`
	Message string `json:"message"`
}

type searchToken struct {
	text  string
	paren byte // '(' or ')' for parentheses
}

func tokenizeSearch(q string) []searchToken {
	var out []searchToken
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(' || c == ')':
			out = append(out, searchToken{paren: c})
			i++
		default:
			start := i
			for i < len(q) {
				c = q[i]
				if c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '(' || c == ')' {
					break
				}
				if c == '\'' || c == '"' {
					i++
					for i < len(q) && q[i] != c {
						if q[i] == '\\' && i+1 < len(q) {
							i++
						}
						i++
					}
				}
				i++
			}
			i = min(i, len(q))
			out = append(out, searchToken{text: q[start:i]})
		}
	}
	return out
}

type searchParser struct {
	toks  []searchToken
	pos   int
	depth int
}

// parseSearch parses a query into a tree; an empty query gives nil.
func parseSearch(q string) *searchNode {
	if len(q) > MaxSearchLength {
		q = q[:MaxSearchLength]
	}
	p := &searchParser{toks: tokenizeSearch(q)}
	var parts []*searchNode
	for p.pos < len(p.toks) {
		if n := p.or(); n != nil {
			parts = append(parts, n)
		} else {
			p.pos++ // a stray ")"
		}
	}
	switch len(parts) {
	case 0:
		return nil
	case 1:
		return parts[0]
	}
	return &searchNode{op: opAnd, kids: parts}
}

func (p *searchParser) peekWord(w string) bool {
	return p.pos < len(p.toks) && p.toks[p.pos].paren == 0 && p.toks[p.pos].text == w
}

func (p *searchParser) or() *searchNode {
	left := p.and()
	if left == nil {
		return nil
	}
	kids := []*searchNode{left}
	for p.peekWord("OR") {
		p.pos++
		if r := p.and(); r != nil {
			kids = append(kids, r)
		}
	}
	if len(kids) == 1 {
		return left
	}
	return &searchNode{op: opOr, kids: kids}
}

func (p *searchParser) and() *searchNode {
	var kids []*searchNode
	for p.pos < len(p.toks) {
		if p.toks[p.pos].paren == ')' || p.peekWord("OR") {
			break
		}
		if p.peekWord("AND") {
			p.pos++
			continue
		}
		if n := p.unary(); n != nil {
			kids = append(kids, n)
		}
	}
	switch len(kids) {
	case 0:
		return nil
	case 1:
		return kids[0]
	}
	return &searchNode{op: opAnd, kids: kids}
}

func (p *searchParser) unary() *searchNode {
	if p.pos >= len(p.toks) {
		return nil
	}
	t := p.toks[p.pos]
	if t.paren == '(' {
		p.pos++
		p.depth++
		var n *searchNode
		if p.depth <= 32 {
			n = p.or()
		} else {
			for p.pos < len(p.toks) && p.toks[p.pos].paren != ')' {
				p.pos++
			}
		}
		p.depth--
		if p.pos < len(p.toks) && p.toks[p.pos].paren == ')' {
			p.pos++
		}
		return n
	}
	if t.paren == ')' {
		return nil
	}
	p.pos++
	if t.text == "NOT" {
		if n := p.unary(); n != nil {
			return &searchNode{op: opNot, kids: []*searchNode{n}}
		}
		return nil
	}
	if len(t.text) > 1 && t.text[0] == '-' {
		return &searchNode{op: opNot, kids: []*searchNode{parseTerm(t.text[1:])}}
	}
	return parseTerm(t.text)
}

func parseTerm(s string) *searchNode {
	n := &searchNode{op: opTerm}
	colon := strings.IndexByte(s, ':')
	quote := strings.IndexAny(s, `'"`)
	if colon > 0 && (quote < 0 || colon < quote) {
		n.field = strings.ToLower(s[:colon])
		s = s[colon+1:]
		for _, c := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(s, c) {
				n.cmp, s = c, s[len(c):]
				break
			}
		}
	}
	n.value = unquote(s)
	return n
}

func unquote(s string) string {
	if len(s) == 0 || (s[0] != '\'' && s[0] != '"') {
		return s
	}
	q := s[0]
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		c := s[i]
		if c == '\\' && i+1 < len(s) {
			i++
			b.WriteByte(s[i])
			continue
		}
		if c == q {
			break
		}
		b.WriteByte(c)
	}
	return b.String()
}

// fieldMatcher builds the predicate of one field term; ok false means the value is
// unusable (reported as a warning, the term ignored).
type fieldMatcher[T any] func(cmp, value string) (pred func(T) bool, ok bool)

// compileSearch turns a query into a predicate over T (nil = match everything).
func compileSearch[T any](q string, fields map[string]fieldMatcher[T], text func(string) func(T) bool) (func(T) bool, []SearchWarning) {
	root := parseSearch(q)
	if root == nil {
		return nil, nil
	}
	var warnings []SearchWarning
	var build func(n *searchNode) func(T) bool
	build = func(n *searchNode) func(T) bool {
		switch n.op {
		case opAnd, opOr:
			var preds []func(T) bool
			for _, k := range n.kids {
				if p := build(k); p != nil {
					preds = append(preds, p)
				}
			}
			if len(preds) == 0 {
				return nil
			}
			if n.op == opAnd {
				return func(v T) bool {
					for _, p := range preds {
						if !p(v) {
							return false
						}
					}
					return true
				}
			}
			return func(v T) bool {
				for _, p := range preds {
					if p(v) {
						return true
					}
				}
				return false
			}
		case opNot:
			p := build(n.kids[0])
			if p == nil {
				return nil
			}
			return func(v T) bool { return !p(v) }
		}
		if n.field == "" {
			if n.value == "" || text == nil {
				return nil
			}
			return text(n.value)
		}
		m, known := fields[n.field]
		if !known {
			warnings = append(warnings, SearchWarning{Field: n.field, Message: "Invalid search field for this query."})
			return nil
		}
		p, ok := m(n.cmp, n.value)
		if !ok {
			warnings = append(warnings, SearchWarning{Field: n.field, Message: "Invalid value " + strconv.Quote(n.value) + " for this field."})
			return nil
		}
		return p
	}
	return build(root), warnings
}

// singleTerm reports the value of a query that is exactly one field:value term, for the
// lookups an index serves (sku:X, email:X, id:X).
func singleTerm(q, field string) (string, bool) {
	n := parseSearch(q)
	if n == nil || n.op != opTerm || n.field != field || n.cmp != "" {
		return "", false
	}
	return n.value, true
}

func compareInt(cmp string, a, b int64) bool {
	switch cmp {
	case ">":
		return a > b
	case "<":
		return a < b
	case ">=":
		return a >= b
	case "<=":
		return a <= b
	}
	return a == b
}

func intField[T any](get func(T) int64) fieldMatcher[T] {
	return func(cmp, value string) (func(T) bool, bool) {
		if _, id, _, ok := store.ParseGID(value); ok {
			return func(v T) bool { return compareInt(cmp, get(v), id) }, true
		}
		return nil, false
	}
}

// timeField compares unix seconds; a date-only value means that day in the shop's zone,
// so updated_at:2026-11-27 matches the whole day.
func timeField[T any](loc *time.Location, get func(T) int64) fieldMatcher[T] {
	return func(cmp, value string) (func(T) bool, bool) {
		value = strings.TrimSpace(value)
		if len(value) == 10 {
			d, err := time.ParseInLocation("2006-01-02", value, loc)
			if err != nil {
				return nil, false
			}
			start, end := d.Unix(), d.AddDate(0, 0, 1).Unix()
			switch cmp {
			case "":
				return func(v T) bool { x := get(v); return x >= start && x < end }, true
			case ">":
				return func(v T) bool { return get(v) >= end }, true
			case ">=":
				return func(v T) bool { return get(v) >= start }, true
			case "<":
				return func(v T) bool { return get(v) < start }, true
			default:
				return func(v T) bool { return get(v) < end }, true
			}
		}
		t, ok := parseSearchTime(value, loc)
		if !ok {
			return nil, false
		}
		at := t.Unix()
		return func(v T) bool { return compareInt(cmp, get(v), at) }, true
	}
}

// parseSearchTime reads RFC 3339 (with a zone) or a local date-time in the shop's zone.
func parseSearchTime(v string, loc *time.Location) (time.Time, bool) {
	if t, err := time.Parse(time.RFC3339Nano, v); err == nil {
		return t, true
	}
	for _, layout := range []string{"2006-01-02T15:04:05", "2006-01-02 15:04:05"} {
		if t, err := time.ParseInLocation(layout, v, loc); err == nil {
			return t, true
		}
	}
	return time.Time{}, false
}

func oneOf[T any](get func(T) string, allowed map[string][]string) fieldMatcher[T] {
	return func(cmp, value string) (func(T) bool, bool) {
		want, ok := allowed[strings.ToLower(value)]
		if !ok || cmp != "" {
			return nil, false
		}
		if want == nil {
			return func(T) bool { return true }, true
		}
		return func(v T) bool {
			got := get(v)
			for _, w := range want {
				if got == w {
					return true
				}
			}
			return false
		}, true
	}
}

func orderSearchFields(loc *time.Location) map[string]fieldMatcher[*store.OrderRow] {
	type R = *store.OrderRow
	return map[string]fieldMatcher[R]{
		"id":           intField(func(r R) int64 { return r.ID }),
		"customer_id":  intField(func(r R) int64 { return r.CustomerID }),
		"created_at":   timeField(loc, func(r R) int64 { return r.CreatedAt }),
		"processed_at": timeField(loc, func(r R) int64 { return r.CreatedAt }),
		"updated_at":   timeField(loc, func(r R) int64 { return r.UpdatedAt }),
		"status": oneOf(func(r R) string {
			switch {
			case r.Cancelled:
				return "cancelled"
			case r.Closed():
				return "closed"
			}
			return "open"
		}, map[string][]string{"open": {"open"}, "closed": {"closed", "cancelled"}, "cancelled": {"cancelled"}, "not_closed": {"open"}, "any": nil}),
		"financial_status": oneOf(func(r R) string { return r.Financial }, map[string][]string{
			"pending": {"pending"}, "authorized": {"authorized"}, "partially_paid": {"partially_paid"}, "paid": {"paid"},
			"partially_refunded": {"partially_refunded"}, "refunded": {"refunded"}, "voided": {"voided"}, "expired": {},
			"unpaid": {"pending", "authorized", "partially_paid"}, "any": nil,
		}),
		"fulfillment_status": oneOf(func(r R) string { return r.Fulfillment }, map[string][]string{
			"shipped": {"fulfilled"}, "fulfilled": {"fulfilled"}, "partial": {"partial"}, "unshipped": {""},
			"unfulfilled": {""}, "any": nil,
		}),
		"risk_level": oneOf(func(r R) string { return strings.ToLower(r.Risk) }, map[string][]string{
			"high": {"high"}, "medium": {"medium"}, "low": {"low"},
		}),
		"name": func(cmp, value string) (func(R) bool, bool) {
			want := "#" + strings.TrimPrefix(value, "#")
			return func(r R) bool { return r.Name() == want }, cmp == ""
		},
		"email": func(cmp, value string) (func(R) bool, bool) {
			return func(r R) bool { return strings.EqualFold(r.Email(), value) }, cmp == ""
		},
		"tag": func(cmp, value string) (func(R) bool, bool) {
			return func(r R) bool { return hasTag(r.Tags(), value) }, cmp == ""
		},
		"tag_not": func(cmp, value string) (func(R) bool, bool) {
			return func(r R) bool { return !hasTag(r.Tags(), value) }, cmp == ""
		},
		"sku": func(cmp, value string) (func(R) bool, bool) {
			return func(r R) bool { return r.HasSKU(value) }, cmp == ""
		},
	}
}

func orderSearchText(value string) func(*store.OrderRow) bool {
	v := strings.ToLower(strings.TrimPrefix(value, "#"))
	return func(r *store.OrderRow) bool {
		return strings.Contains(strings.ToLower(r.Name()), v) || strings.Contains(strings.ToLower(r.Email()), v)
	}
}

func hasTag(tags []string, t string) bool {
	for _, x := range tags {
		if strings.EqualFold(x, t) {
			return true
		}
	}
	return false
}

func customerSearchFields(loc *time.Location) map[string]fieldMatcher[*store.CustomerRow] {
	type R = *store.CustomerRow
	str := func(get func(store.Customer) string) fieldMatcher[R] {
		return func(cmp, value string) (func(R) bool, bool) {
			return func(r R) bool { return strings.EqualFold(get(r.Snapshot()), value) }, cmp == ""
		}
	}
	return map[string]fieldMatcher[R]{
		"id":         intField(func(r R) int64 { return r.ID }),
		"created_at": timeField(loc, func(r R) int64 { return r.CreatedAt }),
		"updated_at": timeField(loc, func(r R) int64 { return r.UpdatedAt }),
		"email":      str(func(c store.Customer) string { return c.Email }),
		"first_name": str(func(c store.Customer) string { return c.FirstName }),
		"last_name":  str(func(c store.Customer) string { return c.LastName }),
		"phone":      str(func(c store.Customer) string { return c.Phone }),
		"state":      str(func(c store.Customer) string { return c.State }),
		"tag": func(cmp, value string) (func(R) bool, bool) {
			return func(r R) bool { return hasTag(r.Snapshot().Tags, value) }, cmp == ""
		},
	}
}

func customerSearchText(value string) func(*store.CustomerRow) bool {
	v := strings.ToLower(value)
	return func(r *store.CustomerRow) bool {
		c := r.Snapshot()
		return strings.Contains(strings.ToLower(c.Email), v) || strings.Contains(strings.ToLower(c.FirstName+" "+c.LastName), v)
	}
}

func variantSearchFields() map[string]fieldMatcher[*store.Variant] {
	type R = *store.Variant
	return map[string]fieldMatcher[R]{
		"id":                intField(func(v R) int64 { return v.VariantID }),
		"product_id":        intField(func(v R) int64 { return v.ProductID }),
		"inventory_item_id": intField(func(v R) int64 { return v.InventoryItemID }),
		"sku": func(cmp, value string) (func(R) bool, bool) {
			return func(v R) bool { return v.SKU == value }, cmp == ""
		},
		"title": func(cmp, value string) (func(R) bool, bool) {
			return func(v R) bool { return strings.EqualFold(v.Title, value) }, cmp == ""
		},
	}
}

func variantSearchText(value string) func(*store.Variant) bool {
	v := strings.ToLower(value)
	return func(x *store.Variant) bool {
		return strings.Contains(strings.ToLower(x.SKU), v) || strings.Contains(strings.ToLower(x.Title), v)
	}
}

func locationSearchFields() map[string]fieldMatcher[*store.Location] {
	type R = *store.Location
	return map[string]fieldMatcher[R]{
		"id": intField(func(l R) int64 { return l.ID }),
		"name": func(cmp, value string) (func(R) bool, bool) {
			return func(l R) bool { return strings.EqualFold(l.Name, value) }, cmp == ""
		},
		"active": func(cmp, value string) (func(R) bool, bool) {
			return func(R) bool { return value == "true" }, cmp == "" && (value == "true" || value == "false")
		},
	}
}
