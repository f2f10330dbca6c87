package netsuite

import (
	"fmt"
	"strings"
	"time"
)

// Query is a parsed q parameter of a collection request: conditions joined with AND, the
// subset of NetSuite's record-collection filtering an integration needs for polling.
//
//	lastModifiedDate AFTER "2026-11-27T10:00:00Z"
//	lastModifiedDate ON_OR_AFTER "2026-11-27T10:00:00Z" AND externalId IS "5012345"
//	itemId IS "AB1234-001"
//
// Field names, operators and AND are case-insensitive; a value is a double-quoted string
// (with \" and \\ escapes) or a bare word.
type Query struct {
	Conditions []Condition
}

// Condition is one FIELD OPERATOR VALUE term.
type Condition struct {
	Field string
	Op    string // upper case
	Value string
}

// QueryError is a q parameter NetSuite would refuse; Pos is the byte offset of the
// offending token.
type QueryError struct {
	Pos int
	Msg string
}

func (e *QueryError) Error() string { return fmt.Sprintf("%s (at character %d)", e.Msg, e.Pos+1) }

// maxQueryConditions bounds a q parameter.
const maxQueryConditions = 32

type tokenKind int

const (
	tokEOF tokenKind = iota
	tokWord
	tokString
)

type token struct {
	kind tokenKind
	text string
	pos  int
}

// tokenize splits q into bare words and quoted strings. It never panics on any input.
func tokenize(q string) ([]token, error) {
	var toks []token
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\r' || c == '\n':
			i++
		case c == '"':
			start := i
			var b strings.Builder
			i++
			closed := false
			for i < len(q) {
				ch := q[i]
				if ch == '\\' && i+1 < len(q) && (q[i+1] == '"' || q[i+1] == '\\') {
					b.WriteByte(q[i+1])
					i += 2
					continue
				}
				if ch == '"' {
					closed = true
					i++
					break
				}
				b.WriteByte(ch)
				i++
			}
			if !closed {
				return nil, &QueryError{Pos: start, Msg: "unterminated string"}
			}
			toks = append(toks, token{kind: tokString, text: b.String(), pos: start})
		default:
			start := i
			for i < len(q) && q[i] != ' ' && q[i] != '\t' && q[i] != '\r' && q[i] != '\n' && q[i] != '"' {
				i++
			}
			toks = append(toks, token{kind: tokWord, text: q[start:i], pos: start})
		}
	}
	return append(toks, token{kind: tokEOF, pos: len(q)}), nil
}

// ParseQuery parses a q parameter. It checks syntax only; which fields and operators a
// record type supports is checked when the query is compiled for it.
func ParseQuery(q string) (Query, error) {
	toks, err := tokenize(q)
	if err != nil {
		return Query{}, err
	}
	var out Query
	i := 0
	next := func() token { t := toks[i]; i++; return t }
	for {
		f := next()
		if f.kind != tokWord || !isIdentifier(f.text) {
			if f.kind == tokEOF {
				return Query{}, &QueryError{Pos: f.pos, Msg: "expected a field name"}
			}
			return Query{}, &QueryError{Pos: f.pos, Msg: fmt.Sprintf("expected a field name, found %q", f.text)}
		}
		op := next()
		if op.kind != tokWord || !isIdentifier(op.text) {
			return Query{}, &QueryError{Pos: op.pos, Msg: fmt.Sprintf("expected an operator after %s", f.text)}
		}
		v := next()
		if v.kind == tokEOF {
			return Query{}, &QueryError{Pos: v.pos, Msg: fmt.Sprintf("expected a value after %s %s", f.text, op.text)}
		}
		if len(out.Conditions) == maxQueryConditions {
			return Query{}, &QueryError{Pos: f.pos, Msg: fmt.Sprintf("at most %d conditions are supported", maxQueryConditions)}
		}
		out.Conditions = append(out.Conditions, Condition{Field: f.text, Op: strings.ToUpper(op.text), Value: v.text})
		j := next()
		switch {
		case j.kind == tokEOF:
			return out, nil
		case j.kind == tokWord && strings.EqualFold(j.text, "AND"):
			continue
		case j.kind == tokWord && strings.EqualFold(j.text, "OR"):
			return Query{}, &QueryError{Pos: j.pos, Msg: "OR is not supported; join conditions with AND"}
		default:
			return Query{}, &QueryError{Pos: j.pos, Msg: fmt.Sprintf("expected AND or the end of the query, found %q", j.text)}
		}
	}
}

func isIdentifier(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || i > 0 && c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}

// fieldKind is the type of a filterable field.
type fieldKind int

const (
	kindString fieldKind = iota
	kindDate
)

var (
	stringOps = map[string]bool{"IS": true, "IS_NOT": true, "START_WITH": true, "CONTAIN": true}
	dateOps   = map[string]bool{"AFTER": true, "ON_OR_AFTER": true, "BEFORE": true, "ON_OR_BEFORE": true, "ON": true}
)

// filterFields are the fields each record type can be filtered on (lower-case name →
// canonical name and kind). salesOrder also accepts any custbody_* field as a string.
var filterFields = map[string]map[string]struct {
	name string
	kind fieldKind
}{
	RecordSalesOrder: {
		"lastmodifieddate": {"lastModifiedDate", kindDate}, "createddate": {"createdDate", kindDate},
		"externalid": {"externalId", kindString}, "tranid": {"tranId", kindString}, "otherrefnum": {"otherRefNum", kindString},
	},
	RecordCustomer: {
		"lastmodifieddate": {"lastModifiedDate", kindDate}, "datecreated": {"dateCreated", kindDate},
		"externalid": {"externalId", kindString}, "email": {"email", kindString}, "entityid": {"entityId", kindString},
	},
	RecordInventoryItem: {
		"lastmodifieddate": {"lastModifiedDate", kindDate}, "createddate": {"createdDate", kindDate},
		"externalid": {"externalId", kindString}, "itemid": {"itemId", kindString},
	},
	RecordItemFulfillment: {
		"lastmodifieddate": {"lastModifiedDate", kindDate}, "createddate": {"createdDate", kindDate},
		"tranid": {"tranId", kindString}, "createdfrom": {"createdFrom", kindString},
	},
}

// recordFields is what a query reads of a record.
type recordFields interface {
	timeField(name string) time.Time
	stringField(name string) string
}

// compiledCondition is a condition checked against a record type.
type compiledCondition struct {
	field    string
	kind     fieldKind
	op       string
	value    string
	from, to time.Time // date value: [from, to) is the day for a date, from == to for an instant
}

// matcher tests records against a compiled query.
type matcher []compiledCondition

// compileQuery checks q against the fields and operators of record.
func compileQuery(record string, q Query) (matcher, error) {
	fields := filterFields[record]
	m := make(matcher, 0, len(q.Conditions))
	for _, c := range q.Conditions {
		f, ok := fields[strings.ToLower(c.Field)]
		if !ok && record == RecordSalesOrder && strings.HasPrefix(strings.ToLower(c.Field), "custbody") {
			f.name, f.kind, ok = c.Field, kindString, true
		}
		if !ok {
			return nil, fmt.Errorf("Field '%s' for record '%s' was not found. Reason: UNRECOGNIZED_FIELD - Field is not recognized", c.Field, record)
		}
		cc := compiledCondition{field: f.name, kind: f.kind, op: c.Op, value: c.Value}
		switch f.kind {
		case kindString:
			if !stringOps[c.Op] {
				return nil, fmt.Errorf("Operator '%s' is not valid for field '%s' (use IS, IS_NOT, START_WITH or CONTAIN)", c.Op, f.name)
			}
		case kindDate:
			if !dateOps[c.Op] {
				return nil, fmt.Errorf("Operator '%s' is not valid for field '%s' (use AFTER, ON_OR_AFTER, BEFORE, ON_OR_BEFORE or ON)", c.Op, f.name)
			}
			from, to, err := parseQueryTime(c.Value)
			if err != nil {
				return nil, fmt.Errorf("Value '%s' for field '%s' is not a date or date-time (use 2026-11-27T10:00:00Z, 2026-11-27 or 11/27/2026)", c.Value, f.name)
			}
			cc.from, cc.to = from, to
		}
		m = append(m, cc)
	}
	return m, nil
}

// parseQueryTime reads an instant (RFC 3339, or without a zone meaning UTC) or a day
// (2026-11-27 or 11/27/2026, in UTC). An instant gives from == to; a day [from, to).
func parseQueryTime(v string) (from, to time.Time, err error) {
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05", "2006-01-02T15:04"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), t.UTC(), nil
		}
	}
	for _, layout := range []string{time.DateOnly, "1/2/2006"} {
		if t, err := time.Parse(layout, v); err == nil {
			return t, t.AddDate(0, 0, 1), nil
		}
	}
	return time.Time{}, time.Time{}, fmt.Errorf("not a date")
}

// match reports whether r satisfies every condition. Record times are compared at the
// second, the precision NetSuite renders them with.
func (m matcher) match(r recordFields) bool {
	for _, c := range m {
		if !c.match(r) {
			return false
		}
	}
	return true
}

func (c compiledCondition) match(r recordFields) bool {
	if c.kind == kindString {
		v := r.stringField(c.field)
		switch c.op {
		case "IS":
			return strings.EqualFold(v, c.value)
		case "IS_NOT":
			return !strings.EqualFold(v, c.value)
		case "START_WITH":
			return len(v) >= len(c.value) && strings.EqualFold(v[:len(c.value)], c.value)
		case "CONTAIN":
			return strings.Contains(strings.ToLower(v), strings.ToLower(c.value))
		}
		return false
	}
	t := r.timeField(c.field).UTC().Truncate(time.Second)
	day := !c.from.Equal(c.to)
	switch c.op {
	case "AFTER":
		if day {
			return !t.Before(c.to)
		}
		return t.After(c.from)
	case "ON_OR_AFTER":
		return !t.Before(c.from)
	case "BEFORE":
		return t.Before(c.from)
	case "ON_OR_BEFORE":
		if day {
			return t.Before(c.to)
		}
		return !t.After(c.from)
	case "ON":
		if day {
			return !t.Before(c.from) && t.Before(c.to)
		}
		return t.Equal(c.from.Truncate(time.Second))
	}
	return false
}

func (o *salesOrder) timeField(name string) time.Time {
	if name == "createdDate" {
		return o.Created
	}
	return o.Modified
}

func (o *salesOrder) stringField(name string) string {
	switch name {
	case "externalId":
		return o.ExternalID
	case "tranId":
		return o.TranID
	case "otherRefNum":
		return o.OtherRefNum
	}
	return fieldKey(o.Custom[name])
}

func (c *customer) timeField(name string) time.Time {
	if name == "dateCreated" {
		return c.Created
	}
	return c.Modified
}

func (c *customer) stringField(name string) string {
	switch name {
	case "externalId":
		return c.ExternalID
	case "email":
		return c.Email
	case "entityId":
		return c.EntityID
	}
	return ""
}

func (it *inventoryItem) timeField(name string) time.Time {
	if name == "createdDate" {
		return it.Created
	}
	return it.Modified
}

func (it *inventoryItem) stringField(name string) string {
	if name == "externalId" || name == "itemId" {
		return it.SKU
	}
	return ""
}

func (f *itemFulfillment) timeField(name string) time.Time {
	if name == "createdDate" {
		return f.Created
	}
	return f.Modified
}

func (f *itemFulfillment) stringField(name string) string {
	switch name {
	case "tranId":
		return f.TranID
	case "createdFrom":
		return itoa(f.OrderID)
	}
	return ""
}
