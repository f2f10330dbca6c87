package soql

import (
	"cmp"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"
	"unicode"
)

// Type is how a field compares in a condition.
type Type int

// Field types.
const (
	TypeString        Type = iota // text, email, phone, picklist: case-insensitive
	TypeID                        // record ids: 15- or 18-character, compared case-sensitively
	TypeNumber                    // double, currency, int
	TypeBool                      // checkbox
	TypeDate                      // values are "YYYY-MM-DD" strings
	TypeDateTime                  // values are time.Time
	TypeMultiPicklist             // values are ";"-separated strings
)

func (t Type) String() string {
	switch t {
	case TypeID:
		return "id"
	case TypeNumber:
		return "double"
	case TypeBool:
		return "boolean"
	case TypeDate:
		return "date"
	case TypeDateTime:
		return "datetime"
	case TypeMultiPicklist:
		return "multipicklist"
	}
	return "string"
}

// Field is one queryable field.
type Field struct {
	// Name is the field's canonical spelling, used in results.
	Name string
	Type Type
}

// Object is a queryable sObject type.
type Object struct {
	// Name is the canonical spelling, e.g. "Contact".
	Name string
	// Fields are keyed by lower-case name: field names are case-insensitive in SOQL.
	Fields map[string]Field
	// Order lists the canonical field names in the order FIELDS() selects them;
	// alphabetical when empty.
	Order []string
	// Relationships are the lookups to parent objects, keyed by lower-case name.
	Relationships map[string]Relationship
}

// Relationship is a lookup from an object to its parent: Contact's Account, through
// the AccountId field.
type Relationship struct {
	// Name is the canonical relationship name, e.g. "Account".
	Name string
	// Target is the lower-case name of the parent object in the Schema.
	Target string
}

// ParentRecord is a Record that can follow a relationship. Parent returns the parent
// record, or a nil Record when the lookup is empty.
type ParentRecord interface {
	Record
	Parent(relationship string) Record
}

// Column is a selected field: Field at the end of Path, the relationships followed
// from the queried object (empty for the object's own fields).
type Column struct {
	Field
	Path []string
}

// Key is the column as the query names it, canonically: "Email" or "Account.Name".
func (c Column) Key() string {
	if len(c.Path) == 0 {
		return c.Name
	}
	return strings.Join(c.Path, ".") + "." + c.Name
}

// AggregateColumn is an aggregate of the select list: its result key (the alias, or
// expr0, expr1... in order) and the column it counts.
type AggregateColumn struct {
	Name   string
	Column Column
	get    func(Record) any
}

// AggregateValue is one aggregate's result.
type AggregateValue struct {
	Name  string
	Value int
}

// Schema maps lower-case object names to objects.
type Schema map[string]*Object

// Record is a row a plan filters. Value returns the value of a field by its canonical
// name: nil, string, float64, bool or time.Time (per the field's Type).
type Record interface {
	Value(field string) any
}

// Plan is a statement checked against a schema, ready to run. It is immutable and safe
// for concurrent use.
type Plan struct {
	Query  *Query
	Object *Object
	// Fields are the selected fields, in SELECT order (FIELDS() expanded),
	// canonically spelled.
	Fields []Column
	// Aggregates are the aggregates of an aggregate query, in SELECT order.
	Aggregates []AggregateColumn
	where      cond
	order      []orderKey
}

// IsAggregate reports whether the query selects aggregates (COUNT(field)): it answers
// one row of AggregateValues.
func (p *Plan) IsAggregate() bool { return len(p.Aggregates) > 0 }

type orderKey struct {
	field     Field
	get       func(Record) any
	desc      bool
	nullsLast bool
}

// cond is a compiled condition; now is the reference time of relative date literals.
type cond func(r Record, now time.Time) bool

// maxFieldsLimit is the largest LIMIT FIELDS(ALL) and FIELDS(CUSTOM) allow.
const maxFieldsLimit = 200

// Compile checks q against schema: the object exists, every field and relationship
// exists, every literal suits its field's type, and the select list obeys SOQL's rules
// (aggregates alone, FIELDS(ALL) and FIELDS(CUSTOM) with a LIMIT of at most 200).
func Compile(q *Query, schema Schema) (*Plan, *Error) {
	obj, ok := schema[strings.ToLower(q.Object.Name)]
	if !ok {
		return nil, &Error{Code: CodeInvalidType, Pos: q.Object.Pos, Detail: fmt.Sprintf(
			"sObject type '%s' is not supported. If you are attempting to use a custom object, be sure to append the '__c' after the entity name. Please reference your WSDL or the describe call for the appropriate names.", q.Object.Name)}
	}
	p := &Plan{Query: q, Object: obj}
	seen := map[string]bool{}
	add := func(c Column, pos int) *Error {
		k := c.Key() // canonical spelling: equal names are equal strings
		if seen[k] {
			return malformed(pos, "duplicate field selected: %s", c.Key())
		}
		seen[k] = true
		p.Fields = append(p.Fields, c)
		return nil
	}
	var firstField *SelectItem
	unnamed := 0 // aggregates without an alias are named expr0, expr1...
	for i := range q.Select {
		item := &q.Select[i]
		switch {
		case item.Field != nil:
			c, _, err := resolve(schema, obj, *item.Field)
			if err != nil {
				return nil, err
			}
			if err := add(c, item.Field.Pos); err != nil {
				return nil, err
			}
		case item.FieldSet != "":
			if item.FieldSet != "STANDARD" && (q.Limit < 0 || q.Limit > maxFieldsLimit) {
				return nil, malformed(item.Pos, "The SOQL FIELDS function must have a LIMIT of at most %d", maxFieldsLimit)
			}
			for _, f := range fieldSet(obj, item.FieldSet) {
				if err := add(Column{Field: f}, item.Pos); err != nil {
					return nil, err
				}
			}
		case item.Aggregate != nil:
			c, get, err := resolve(schema, obj, item.Aggregate.Field)
			if err != nil {
				return nil, err
			}
			name := item.Aggregate.Alias
			if name == "" {
				name = fmt.Sprintf("expr%d", unnamed)
				unnamed++
			}
			for _, a := range p.Aggregates {
				if strings.EqualFold(a.Name, name) {
					return nil, malformed(item.Pos, "duplicate alias: %s", name)
				}
			}
			p.Aggregates = append(p.Aggregates, AggregateColumn{Name: name, Column: c, get: get})
			continue
		}
		if firstField == nil {
			firstField = item
		}
	}
	if len(p.Aggregates) > 0 {
		if firstField != nil {
			name := "FIELDS(" + firstField.FieldSet + ")"
			if firstField.Field != nil {
				name = firstField.Field.Name
			}
			return nil, malformed(firstField.Pos, "Field must be grouped or aggregated: %s", name)
		}
		if len(q.OrderBy) > 0 {
			return nil, malformed(q.OrderBy[0].Field.Pos, "Ordered field must be grouped or aggregated: %s", q.OrderBy[0].Field.Name)
		}
		if q.Limit >= 0 {
			return nil, malformed(q.Select[0].Pos, "An aggregate query without GROUP BY can't use LIMIT")
		}
	}
	if q.Where != nil {
		c, err := compileExpr(schema, obj, q.Where)
		if err != nil {
			return nil, err
		}
		p.where = c
	}
	for _, o := range q.OrderBy {
		c, get, err := resolve(schema, obj, o.Field)
		if err != nil {
			return nil, err
		}
		if c.Type == TypeMultiPicklist {
			return nil, &Error{Code: CodeInvalidField, Pos: o.Field.Pos, Detail: fmt.Sprintf("field '%s' can not be sorted in a query call", c.Key())}
		}
		p.order = append(p.order, orderKey{field: c.Field, get: get, desc: o.Desc, nullsLast: o.NullsLast})
	}
	return p, nil
}

// fieldSet is FIELDS(ALL), FIELDS(STANDARD) (no __c) or FIELDS(CUSTOM) (__c) of obj,
// in the object's field order.
func fieldSet(obj *Object, set string) []Field {
	order := obj.Order
	if len(order) == 0 {
		for _, f := range obj.Fields {
			order = append(order, f.Name)
		}
		slices.Sort(order)
	}
	var out []Field
	for _, name := range order {
		custom := strings.HasSuffix(strings.ToLower(name), "__c")
		if set == "ALL" || (set == "CUSTOM") == custom {
			out = append(out, obj.Fields[strings.ToLower(name)])
		}
	}
	return out
}

// resolve finds a field reference, "Email" or "Account.Name", and returns its column
// and how to read it from a record.
func resolve(schema Schema, obj *Object, id Ident) (Column, func(Record) any, *Error) {
	if !strings.Contains(id.Name, ".") {
		f, err := lookup(obj, id)
		if err != nil {
			return Column{}, nil, err
		}
		name := f.Name
		return Column{Field: f}, func(r Record) any { return r.Value(name) }, nil
	}
	parts := strings.Split(id.Name, ".")
	var path []string
	cur := obj
	for _, rel := range parts[:len(parts)-1] {
		r, ok := cur.Relationships[strings.ToLower(rel)]
		var target *Object
		if ok {
			target, ok = schema[r.Target]
		}
		if !ok {
			return Column{}, nil, &Error{Code: CodeInvalidField, Pos: id.Pos, Detail: fmt.Sprintf(
				"Didn't understand relationship '%s' in field path. If you are attempting to use a custom relationship, be sure to append the '__r' after the custom relationship name. Please reference your WSDL or the describe call for the appropriate names.", rel)}
		}
		path = append(path, r.Name)
		cur = target
	}
	f, err := lookup(cur, Ident{Name: parts[len(parts)-1], Pos: id.Pos})
	if err != nil {
		return Column{}, nil, err
	}
	c := Column{Field: f, Path: path}
	return c, getter(c), nil
}

// getter reads a column from a record, following its relationships; a missing parent
// reads as null.
func getter(c Column) func(Record) any {
	name, path := c.Name, c.Path
	if len(path) == 0 {
		return func(r Record) any { return r.Value(name) }
	}
	return func(r Record) any {
		for _, rel := range path {
			pr, ok := r.(ParentRecord)
			if !ok {
				return nil
			}
			if r = pr.Parent(rel); r == nil {
				return nil
			}
		}
		return r.Value(name)
	}
}

func lookup(obj *Object, id Ident) (Field, *Error) {
	f, ok := obj.Fields[strings.ToLower(id.Name)]
	if !ok {
		return Field{}, &Error{Code: CodeInvalidField, Pos: id.Pos, Detail: fmt.Sprintf(
			"No such column '%s' on entity '%s'. If you are attempting to use a custom field, be sure to append the '__c' after the custom field name. Please reference your WSDL or the describe call for the appropriate names.", id.Name, obj.Name)}
	}
	return f, nil
}

func compileExpr(schema Schema, obj *Object, e Expr) (cond, *Error) {
	switch x := e.(type) {
	case *Logical:
		terms := make([]cond, len(x.Terms))
		for i, t := range x.Terms {
			c, err := compileExpr(schema, obj, t)
			if err != nil {
				return nil, err
			}
			terms[i] = c
		}
		if x.Op == "AND" {
			return func(r Record, now time.Time) bool {
				for _, t := range terms {
					if !t(r, now) {
						return false
					}
				}
				return true
			}, nil
		}
		return func(r Record, now time.Time) bool {
			for _, t := range terms {
				if t(r, now) {
					return true
				}
			}
			return false
		}, nil
	case *Not:
		c, err := compileExpr(schema, obj, x.X)
		if err != nil {
			return nil, err
		}
		return func(r Record, now time.Time) bool { return !c(r, now) }, nil
	case *Comparison:
		return compileComparison(schema, obj, x)
	}
	return nil, malformed(0, "unsupported condition")
}

func filterTypeError(f Field, v Literal) *Error {
	quoted := "should not be enclosed in quotes"
	if f.Type == TypeString || f.Type == TypeID || f.Type == TypeMultiPicklist {
		quoted = "should be enclosed in quotes"
	}
	return &Error{Code: CodeInvalidQueryFilterOperator, Pos: v.Pos, Detail: fmt.Sprintf(
		"value of filter criterion for field '%s' must be of type %s and %s", f.Name, f.Type, quoted)}
}

func operatorError(f Field, op string, pos int) *Error {
	return &Error{Code: CodeInvalidQueryFilterOperator, Pos: pos, Detail: fmt.Sprintf(
		"invalid operator on %s field: %s", f.Type, op)}
}

// checkLiteral reports whether v may be compared with a field of type t.
func checkLiteral(f Field, v Literal) *Error {
	if v.Kind == LitNull {
		return nil
	}
	ok := false
	switch f.Type {
	case TypeString, TypeID, TypeMultiPicklist:
		ok = v.Kind == LitString
	case TypeNumber:
		ok = v.Kind == LitNumber
	case TypeBool:
		ok = v.Kind == LitBool
	case TypeDate:
		ok = v.Kind == LitDate || v.Kind == LitDateRange
	case TypeDateTime:
		ok = v.Kind == LitDateTime || v.Kind == LitDateRange
	}
	if !ok {
		return filterTypeError(f, v)
	}
	return nil
}

func compileComparison(schema Schema, obj *Object, c *Comparison) (cond, *Error) {
	col, get, err := resolve(schema, obj, c.Field)
	if err != nil {
		return nil, err
	}
	f := col.Field
	switch {
	case c.Op == "LIKE" && f.Type != TypeString && f.Type != TypeID,
		(c.Op == "INCLUDES" || c.Op == "EXCLUDES") && f.Type != TypeMultiPicklist:
		return nil, operatorError(f, c.Op, c.OpPos)
	}
	for _, v := range c.Values {
		if err := checkLiteral(f, v); err != nil {
			return nil, err
		}
	}
	switch c.Op {
	case "LIKE":
		v := c.Values[0]
		if v.Kind == LitNull {
			return func(r Record, _ time.Time) bool { return get(r) == nil }, nil
		}
		m := compileLike(v.Raw)
		return func(r Record, _ time.Time) bool {
			s, ok := get(r).(string)
			return ok && m(s)
		}, nil
	case "INCLUDES", "EXCLUDES":
		sets := make([][]string, len(c.Values))
		for i, v := range c.Values {
			if v.Kind == LitNull {
				return nil, filterTypeError(f, v)
			}
			sets[i] = splitPicklist(v.String())
		}
		includes := func(r Record) bool {
			s, _ := get(r).(string)
			have := splitPicklist(s)
			for _, want := range sets {
				if containsAll(have, want) {
					return true
				}
			}
			return false
		}
		if c.Op == "INCLUDES" {
			return func(r Record, _ time.Time) bool { return includes(r) }, nil
		}
		return func(r Record, _ time.Time) bool { return !includes(r) }, nil
	case "IN", "NOTIN":
		tests := make([]cond, len(c.Values))
		for i, v := range c.Values {
			if v.Kind == LitDateRange {
				return nil, filterTypeError(f, v)
			}
			tests[i] = compare(f, get, "=", v)
		}
		in := func(r Record, now time.Time) bool {
			for _, t := range tests {
				if t(r, now) {
					return true
				}
			}
			return false
		}
		if c.Op == "IN" {
			return in, nil
		}
		return func(r Record, now time.Time) bool { return !in(r, now) }, nil
	}
	v := c.Values[0]
	if v.Kind == LitNull && c.Op != "=" && c.Op != "!=" {
		return nil, operatorError(f, c.Op+" null", c.OpPos)
	}
	if (f.Type == TypeBool || f.Type == TypeMultiPicklist) && c.Op != "=" && c.Op != "!=" {
		return nil, operatorError(f, c.Op, c.OpPos)
	}
	return compare(f, get, c.Op, v), nil
}

// compare builds FIELD OP VALUE for a literal already checked against the field type.
// As in SOQL, != is true for a null field and a non-null value, and ordering operators
// are false for null fields.
func compare(f Field, get func(Record) any, op string, v Literal) cond {
	if v.Kind == LitNull {
		if op == "=" {
			return func(r Record, _ time.Time) bool { return get(r) == nil }
		}
		return func(r Record, _ time.Time) bool { return get(r) != nil }
	}
	if v.Kind == LitDateRange {
		return compareRange(get, op, v.Range)
	}
	var cmpTo func(any) (int, bool)
	switch f.Type {
	case TypeString:
		want := strings.ToLower(v.String())
		cmpTo = func(x any) (int, bool) {
			s, ok := x.(string)
			return strings.Compare(strings.ToLower(s), want), ok
		}
	case TypeID:
		want := v.String()
		cmpTo = func(x any) (int, bool) {
			s, ok := x.(string)
			return compareIDs(s, want), ok
		}
	case TypeMultiPicklist:
		want := splitPicklist(v.String())
		slices.Sort(want)
		cmpTo = func(x any) (int, bool) {
			s, ok := x.(string)
			have := splitPicklist(s)
			slices.Sort(have)
			if slices.Equal(have, want) {
				return 0, ok
			}
			return 1, ok
		}
	case TypeNumber:
		want := v.Num
		cmpTo = func(x any) (int, bool) {
			n, ok := x.(float64)
			return cmp.Compare(n, want), ok
		}
	case TypeBool:
		want := v.Bool
		cmpTo = func(x any) (int, bool) {
			b, ok := x.(bool)
			if b == want {
				return 0, ok
			}
			return 1, ok
		}
	case TypeDate:
		want := v.Time.Format("2006-01-02")
		cmpTo = func(x any) (int, bool) {
			s, ok := x.(string)
			return strings.Compare(s, want), ok
		}
	case TypeDateTime:
		want := v.Time
		cmpTo = func(x any) (int, bool) {
			t, ok := x.(time.Time)
			return t.Compare(want), ok
		}
	}
	test := opTest(op)
	return func(r Record, _ time.Time) bool {
		x := get(r)
		if x == nil {
			return op == "!="
		}
		c, ok := cmpTo(x)
		return ok && test(c)
	}
}

func opTest(op string) func(int) bool {
	switch op {
	case "=":
		return func(c int) bool { return c == 0 }
	case "!=":
		return func(c int) bool { return c != 0 }
	case "<":
		return func(c int) bool { return c < 0 }
	case "<=":
		return func(c int) bool { return c <= 0 }
	case ">":
		return func(c int) bool { return c > 0 }
	default:
		return func(c int) bool { return c >= 0 }
	}
}

// compareRange compares a date or datetime field with a relative date literal: = means
// inside the range, < before its start, > at or after its end.
func compareRange(get func(Record) any, op string, dr DateRange) cond {
	return func(r Record, now time.Time) bool {
		x := get(r)
		if x == nil {
			return op == "!="
		}
		day := now.UTC().Truncate(24 * time.Hour)
		from, to := day.AddDate(0, 0, dr.From), day.AddDate(0, 0, dr.To)
		var t time.Time
		switch v := x.(type) {
		case time.Time:
			t = v
		case string:
			d, err := time.Parse("2006-01-02", v)
			if err != nil {
				return false
			}
			t = d
		default:
			return false
		}
		in := !t.Before(from) && t.Before(to)
		switch op {
		case "=":
			return in
		case "!=":
			return !in
		case "<":
			return t.Before(from)
		case "<=":
			return t.Before(to)
		case ">":
			return !t.Before(to)
		default:
			return !t.Before(from)
		}
	}
}

// compareIDs compares record ids, treating a 15-character id as equal to its 18-character
// form.
func compareIDs(a, b string) int {
	if len(a) == 18 && len(b) == 15 {
		a = a[:15]
	} else if len(a) == 15 && len(b) == 18 {
		b = b[:15]
	}
	return strings.Compare(a, b)
}

func splitPicklist(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ";") {
		if p = strings.ToLower(strings.TrimSpace(p)); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func containsAll(have, want []string) bool {
	for _, w := range want {
		if !slices.Contains(have, w) {
			return false
		}
	}
	return len(want) > 0
}

// compileLike turns a LIKE pattern (raw literal text) into a case-insensitive matcher:
// % matches any run of characters, _ exactly one, and \% and \_ the characters themselves.
func compileLike(raw string) func(string) bool {
	var pat []rune // with wildcards encoded as -1 (%) and -2 (_)
	rs := []rune(raw)
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\' && i+1 < len(rs):
			i++
			switch rs[i] {
			case 'n':
				pat = append(pat, '\n')
			case 'r':
				pat = append(pat, '\r')
			case 't':
				pat = append(pat, '\t')
			case 'b':
				pat = append(pat, '\b')
			case 'f':
				pat = append(pat, '\f')
			default:
				pat = append(pat, toLower(rs[i]))
			}
		case c == '%':
			pat = append(pat, -1)
		case c == '_':
			pat = append(pat, -2)
		default:
			pat = append(pat, toLower(c))
		}
	}
	return func(s string) bool {
		rs := []rune(s)
		for i, r := range rs {
			rs[i] = unicode.ToLower(r)
		}
		return likeMatch(pat, rs)
	}
}

func toLower(r rune) rune { return unicode.ToLower(r) }

// likeMatch is iterative wildcard matching with backtracking to the last %, linear in
// practice and never exponential.
func likeMatch(p, s []rune) bool {
	pi, si, star, mark := 0, 0, -1, 0
	for si < len(s) {
		switch {
		case pi < len(p) && (p[pi] == -2 || p[pi] == s[si]):
			pi++
			si++
		case pi < len(p) && p[pi] == -1:
			star, mark = pi, si
			pi++
		case star >= 0:
			pi = star + 1
			mark++
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == -1 {
		pi++
	}
	return pi == len(p)
}

// Run filters, sorts and pages records, in their given order for equal sort keys. now is
// the reference time of relative date literals. total is the number of rows the query
// returns (after OFFSET and LIMIT), which is what SELECT COUNT() reports.
func (p *Plan) Run(records []Record, now time.Time) (rows []Record, total int) {
	for _, r := range records {
		if p.where == nil || p.where(r, now) {
			rows = append(rows, r)
		}
	}
	if len(p.order) > 0 {
		slices.SortStableFunc(rows, func(a, b Record) int {
			for _, k := range p.order {
				if c := compareValues(k, k.get(a), k.get(b)); c != 0 {
					return c
				}
			}
			return 0
		})
	}
	if off := p.Query.Offset; off > 0 {
		rows = rows[min(off, len(rows)):]
	}
	if lim := p.Query.Limit; lim >= 0 && lim < len(rows) {
		rows = rows[:lim]
	}
	return rows, len(rows)
}

func compareValues(k orderKey, a, b any) int {
	switch {
	case a == nil && b == nil:
		return 0
	case a == nil:
		if k.nullsLast {
			return 1
		}
		return -1
	case b == nil:
		if k.nullsLast {
			return -1
		}
		return 1
	}
	c := 0
	switch x := a.(type) {
	case string:
		y, _ := b.(string)
		if k.field.Type == TypeID {
			c = compareIDs(x, y)
		} else {
			c = strings.Compare(strings.ToLower(x), strings.ToLower(y))
		}
	case float64:
		y, _ := b.(float64)
		c = cmp.Compare(x, y)
		if math.IsNaN(x) || math.IsNaN(y) {
			c = 0
		}
	case bool:
		y, _ := b.(bool)
		switch {
		case x == y:
		case !x:
			c = -1
		default:
			c = 1
		}
	case time.Time:
		y, _ := b.(time.Time)
		c = x.Compare(y)
	}
	if k.desc {
		return -c
	}
	return c
}

// EqualityLookup finds a condition that every result must meet and that names values
// of an indexed field exactly: the WHERE clause itself, or one term of a top-level AND,
// of the form FIELD = 'v' or FIELD IN ('v', ...). It returns the field's canonical name
// and the string values, so a caller can fetch candidates from an index instead of
// scanning; Run still applies the whole condition to them.
func (p *Plan) EqualityLookup(indexed func(field string) bool) (field string, values []string, ok bool) {
	terms := []Expr{p.Query.Where}
	if l, isAnd := p.Query.Where.(*Logical); isAnd && l.Op == "AND" {
		terms = l.Terms
	}
	for _, t := range terms {
		c, isCmp := t.(*Comparison)
		if !isCmp || (c.Op != "=" && c.Op != "IN") {
			continue
		}
		if strings.Contains(c.Field.Name, ".") {
			continue
		}
		f, known := p.Object.Fields[strings.ToLower(c.Field.Name)]
		if !known || (f.Type != TypeString && f.Type != TypeID) || !indexed(f.Name) {
			continue
		}
		vals := make([]string, 0, len(c.Values))
		for _, v := range c.Values {
			if v.Kind != LitString {
				vals = nil
				break
			}
			vals = append(vals, v.String())
		}
		if vals != nil {
			return f.Name, vals, true
		}
	}
	return "", nil, false
}

// Aggregate computes the aggregates of an aggregate query over the rows Run returned:
// COUNT(field) counts the rows where the field is not null.
func (p *Plan) Aggregate(rows []Record) []AggregateValue {
	out := make([]AggregateValue, len(p.Aggregates))
	for i, a := range p.Aggregates {
		n := 0
		for _, r := range rows {
			if a.get(r) != nil {
				n++
			}
		}
		out[i] = AggregateValue{Name: a.Name, Value: n}
	}
	return out
}
