// Package soql parses and runs the subset of Salesforce's SOQL that integrations use to
// look records up:
//
//	SELECT Id, Email, FirstName, Account.Name FROM Contact
//	WHERE Email = 'a@b.com' AND (Order_Count__c > 0 OR Segments__c INCLUDES ('vip'))
//	ORDER BY LastModifiedDate DESC NULLS LAST LIMIT 10 OFFSET 20
//
// Supported: a field list, which may name parent fields through relationships
// (Account.Name on Contact) and FIELDS(ALL), FIELDS(STANDARD) or FIELDS(CUSTOM); or
// COUNT(); or COUNT(field) aggregates with optional aliases; one object in FROM; WHERE
// with =, !=, <>, <, <=, >, >=, LIKE, IN, NOT IN, INCLUDES, EXCLUDES, NOT, AND, OR and
// parentheses (AND and OR may not be mixed without parentheses, as in SOQL); string,
// number, date, datetime, TRUE, FALSE and NULL literals, and the date literals TODAY,
// YESTERDAY, TOMORROW, LAST_N_DAYS:n and NEXT_N_DAYS:n; ORDER BY with ASC/DESC and
// NULLS FIRST/LAST; LIMIT; OFFSET (at most 2,000). Not supported: subqueries, aggregate
// functions other than COUNT, GROUP BY, FOR UPDATE and the other clauses.
//
// Parse checks syntax and returns MALFORMED_QUERY errors; Compile checks the statement
// against a Schema and returns INVALID_TYPE, INVALID_FIELD, MALFORMED_QUERY and
// INVALID_QUERY_FILTER_OPERATOR errors, worded as Salesforce words them. Every Error
// carries the byte offset it refers to, so its message can point at the column.
package soql

import "time"

// Query is a parsed SOQL statement.
type Query struct {
	// Count is set for SELECT COUNT(); Select and Fields are then empty.
	Count bool
	// Select is the select list in order.
	Select []SelectItem
	// Fields are the field references of the select list (a name, or a path through
	// relationships like Account.Name), in order.
	Fields []Ident
	Object Ident
	// Where is nil when the statement has no WHERE clause.
	Where   Expr
	OrderBy []OrderItem
	// Limit and Offset are -1 when absent.
	Limit  int
	Offset int
	Source string
}

// Ident is a name as written, with its position.
type Ident struct {
	Name string
	Pos  int
}

// SelectItem is one entry of the select list: exactly one of Field, FieldSet and
// Aggregate is set.
type SelectItem struct {
	Field *Ident
	// FieldSet is ALL, STANDARD or CUSTOM, for FIELDS(...).
	FieldSet string
	// Aggregate is COUNT(field), with its alias if any.
	Aggregate *Aggregate
	Pos       int
}

// Aggregate is an aggregate function of the select list; only COUNT is supported.
type Aggregate struct {
	Func  string
	Field Ident
	Alias string
}

// OrderItem is one ORDER BY term. NullsLast defaults to false for ASC and true for DESC.
type OrderItem struct {
	Field     Ident
	Desc      bool
	NullsLast bool
}

// Expr is a WHERE condition: *Logical, *Not or *Comparison.
type Expr interface{ isExpr() }

// Logical joins two or more conditions with one operator, "AND" or "OR".
type Logical struct {
	Op    string
	Terms []Expr
}

// Not negates a condition.
type Not struct{ X Expr }

// Comparison is FIELD OP VALUE, or FIELD [NOT] IN / INCLUDES / EXCLUDES (VALUES).
// Op is one of = != < <= > >= LIKE IN NOTIN INCLUDES EXCLUDES.
type Comparison struct {
	Field  Ident
	Op     string
	OpPos  int
	Values []Literal // one value unless Op takes a list
}

func (*Logical) isExpr()    {}
func (*Not) isExpr()        {}
func (*Comparison) isExpr() {}

// LiteralKind is the kind of a literal value.
type LiteralKind int

// Literal kinds.
const (
	LitString LiteralKind = iota
	LitNumber
	LitNull
	LitBool
	LitDate
	LitDateTime
	LitDateRange // TODAY, LAST_N_DAYS:n...: a span of whole days relative to now
)

// Literal is a value in a condition.
type Literal struct {
	Kind LiteralKind
	// Raw is the source text; for strings, the text between the quotes, escapes intact.
	Raw  string
	Pos  int
	Num  float64
	Bool bool
	// Time is the instant of a datetime, or midnight UTC of a date.
	Time time.Time
	// Range is set for LitDateRange.
	Range DateRange
}

// String returns the value of a string literal with its escapes resolved.
func (l Literal) String() string { return unescape(l.Raw) }

// DateRange is a relative date literal: the days [now+From, now+To) counted in whole
// UTC days, e.g. TODAY is {0, 1} and LAST_N_DAYS:7 is {-7, 1} (today and the seven days
// before it, as in SOQL).
type DateRange struct {
	Name     string
	From, To int
}
