package netsuite

import (
	"fmt"
	"strconv"
	"strings"
)

// The SuiteQL subset the fake runs, enough for an integration's polling and look-ups:
//
//	SELECT [DISTINCT] col [[AS] alias], ... | * | t.*
//	FROM table [alias] {[INNER | LEFT [OUTER]] JOIN table [alias] ON cond}
//	[WHERE cond] [ORDER BY expr [ASC|DESC], ...]
//
// A condition combines comparisons (=, !=, <>, <, <=, >, >=, LIKE, [NOT] BETWEEN ... AND
// ..., [NOT] IN (...), IS [NOT] NULL) with AND, OR, NOT and parentheses. Values are
// columns (col or alias.col), 'strings' ('' escapes a quote), numbers, NULL, and the
// functions TO_DATE(s, fmt), TO_TIMESTAMP(s, fmt) and TO_CHAR(value[, fmt]). Keywords and
// identifiers are case-insensitive. Anything else (GROUP BY, aggregates, subqueries,
// BUILTIN functions, FETCH) is refused with a search error naming it.

// SQLError is a SuiteQL query the fake cannot run; Pos is the byte offset.
type SQLError struct {
	Pos int
	Msg string
}

func (e *SQLError) Error() string { return e.Msg }

// maxSQL bounds a query's length and maxSQLDepth its nesting.
const (
	maxSQL      = 100_000
	maxSQLDepth = 64
)

type sqlTokKind int

const (
	sqlEOF sqlTokKind = iota
	sqlIdent
	sqlNumber
	sqlString
	sqlSymbol
)

type sqlTok struct {
	kind sqlTokKind
	text string // identifiers lower-cased; strings unquoted
	pos  int
}

func lexSQL(q string) ([]sqlTok, error) {
	var toks []sqlTok
	for i := 0; i < len(q); {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '-' && i+1 < len(q) && q[i+1] == '-':
			for i < len(q) && q[i] != '\n' {
				i++
			}
		case c == '/' && i+1 < len(q) && q[i+1] == '*':
			end := strings.Index(q[i+2:], "*/")
			if end < 0 {
				return nil, &SQLError{i, "unterminated comment"}
			}
			i += end + 4
		case c == '\'':
			start := i
			var b strings.Builder
			i++
			for {
				if i >= len(q) {
					return nil, &SQLError{start, "unterminated string literal"}
				}
				if q[i] == '\'' {
					if i+1 < len(q) && q[i+1] == '\'' {
						b.WriteByte('\'')
						i += 2
						continue
					}
					i++
					break
				}
				b.WriteByte(q[i])
				i++
			}
			toks = append(toks, sqlTok{sqlString, b.String(), start})
		case c >= '0' && c <= '9':
			start := i
			for i < len(q) && (q[i] >= '0' && q[i] <= '9' || q[i] == '.') {
				i++
			}
			toks = append(toks, sqlTok{sqlNumber, q[start:i], start})
		case c == '_' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
			start := i
			for i < len(q) && (q[i] == '_' || q[i] == '$' || q[i] >= 'a' && q[i] <= 'z' || q[i] >= 'A' && q[i] <= 'Z' || q[i] >= '0' && q[i] <= '9') {
				i++
			}
			toks = append(toks, sqlTok{sqlIdent, strings.ToLower(q[start:i]), start})
		case c == '"':
			return nil, &SQLError{i, `double-quoted identifiers are not supported; quote strings with '`}
		default:
			start := i
			two := ""
			if i+1 < len(q) {
				two = q[i : i+2]
			}
			switch two {
			case "<=", ">=", "<>", "!=":
				toks = append(toks, sqlTok{sqlSymbol, two, start})
				i += 2
				continue
			}
			if strings.IndexByte(",()*=<>.;", c) < 0 {
				return nil, &SQLError{i, fmt.Sprintf("unexpected character %q", c)}
			}
			toks = append(toks, sqlTok{sqlSymbol, string(c), start})
			i++
		}
	}
	return append(toks, sqlTok{kind: sqlEOF, pos: len(q)}), nil
}

// sqlExpr is a node of a parsed expression.
type sqlExpr interface{ pos() int }

type (
	colRef struct {
		at          int
		table, name string
	}
	litExpr struct {
		at int
		v  sqlValue
	}
	callExpr struct {
		at   int
		fn   string
		args []sqlExpr
	}
	binExpr struct {
		at   int
		op   string // and, or, =, !=, <, <=, >, >=, like
		l, r sqlExpr
	}
	notExpr struct {
		at int
		e  sqlExpr
	}
	betweenExpr struct {
		at        int
		e, lo, hi sqlExpr
		not       bool
	}
	inExpr struct {
		at   int
		e    sqlExpr
		list []sqlExpr
		not  bool
	}
	isNullExpr struct {
		at  int
		e   sqlExpr
		not bool
	}
)

func (e *colRef) pos() int      { return e.at }
func (e *litExpr) pos() int     { return e.at }
func (e *callExpr) pos() int    { return e.at }
func (e *binExpr) pos() int     { return e.at }
func (e *notExpr) pos() int     { return e.at }
func (e *betweenExpr) pos() int { return e.at }
func (e *inExpr) pos() int      { return e.at }
func (e *isNullExpr) pos() int  { return e.at }

type selectCol struct {
	star      bool
	starTable string // t.* ; empty for *
	e         sqlExpr
	alias     string
}

type tableRef struct {
	name, alias string
	at          int
}

type joinClause struct {
	left bool
	t    tableRef
	on   sqlExpr
}

type orderItem struct {
	e    sqlExpr
	desc bool
}

// sqlQuery is a parsed SELECT.
type sqlQuery struct {
	distinct bool
	cols     []selectCol
	from     tableRef
	joins    []joinClause
	where    sqlExpr
	orderBy  []orderItem
}

type sqlParser struct {
	toks  []sqlTok
	i     int
	depth int
}

// unsupported are keywords of SuiteQL (or SQL) the fake does not run.
var unsupported = map[string]string{
	"group": "GROUP BY", "having": "HAVING", "union": "UNION", "intersect": "INTERSECT", "minus": "MINUS",
	"fetch": "FETCH", "limit": "LIMIT (SuiteQL has none; use the limit and offset parameters)", "connect": "CONNECT BY",
	"with": "WITH", "case": "CASE", "over": "analytic functions", "right": "RIGHT JOIN", "full": "FULL JOIN", "cross": "CROSS JOIN",
	"exists": "EXISTS", "rownum": "ROWNUM", "insert": "INSERT", "update": "UPDATE", "delete": "DELETE",
}

var reserved = map[string]bool{
	"select": true, "from": true, "where": true, "and": true, "or": true, "not": true, "join": true, "inner": true,
	"left": true, "outer": true, "on": true, "order": true, "by": true, "asc": true, "desc": true, "as": true,
	"between": true, "in": true, "is": true, "null": true, "like": true, "distinct": true,
}

// ParseSuiteQL parses a query of the subset above. It never panics on any input.
func ParseSuiteQL(q string) (*sqlQuery, error) {
	if len(q) > maxSQL {
		return nil, &SQLError{0, fmt.Sprintf("the query is longer than %d characters", maxSQL)}
	}
	toks, err := lexSQL(q)
	if err != nil {
		return nil, err
	}
	p := &sqlParser{toks: toks}
	out, err := p.query()
	if err != nil {
		return nil, err
	}
	if p.peekSym(";") {
		p.i++
	}
	if t := p.peek(); t.kind != sqlEOF {
		return nil, p.unexpected(t)
	}
	return out, nil
}

func (p *sqlParser) peek() sqlTok { return p.toks[p.i] }
func (p *sqlParser) next() sqlTok {
	t := p.toks[p.i]
	if t.kind != sqlEOF {
		p.i++
	}
	return t
}
func (p *sqlParser) peekKW(kw string) bool {
	t := p.peek()
	return t.kind == sqlIdent && t.text == kw
}
func (p *sqlParser) peekSym(s string) bool {
	t := p.peek()
	return t.kind == sqlSymbol && t.text == s
}
func (p *sqlParser) acceptKW(kw string) bool {
	if p.peekKW(kw) {
		p.i++
		return true
	}
	return false
}
func (p *sqlParser) expectKW(kw string) error {
	if !p.acceptKW(kw) {
		return p.unexpected(p.peek(), strings.ToUpper(kw))
	}
	return nil
}
func (p *sqlParser) expectSym(s string) error {
	if !p.peekSym(s) {
		return p.unexpected(p.peek(), "'"+s+"'")
	}
	p.i++
	return nil
}

func (p *sqlParser) unexpected(t sqlTok, want ...string) error {
	if t.kind == sqlIdent {
		if name, ok := unsupported[t.text]; ok {
			return &SQLError{t.pos, name + " is not supported by peakready's fake SuiteQL"}
		}
	}
	found := "the end of the query"
	if t.kind != sqlEOF {
		found = "'" + t.text + "'"
	}
	if len(want) > 0 {
		return &SQLError{t.pos, fmt.Sprintf("expected %s, found %s at character %d", strings.Join(want, " or "), found, t.pos+1)}
	}
	return &SQLError{t.pos, fmt.Sprintf("unexpected %s at character %d", found, t.pos+1)}
}

func (p *sqlParser) query() (*sqlQuery, error) {
	q := &sqlQuery{}
	if err := p.expectKW("select"); err != nil {
		return nil, err
	}
	q.distinct = p.acceptKW("distinct")
	for {
		c, err := p.selectCol()
		if err != nil {
			return nil, err
		}
		q.cols = append(q.cols, c)
		if !p.peekSym(",") {
			break
		}
		p.i++
	}
	if err := p.expectKW("from"); err != nil {
		return nil, err
	}
	t, err := p.table()
	if err != nil {
		return nil, err
	}
	q.from = t
	for {
		left := false
		switch {
		case p.acceptKW("inner"):
		case p.acceptKW("left"):
			left = true
			p.acceptKW("outer")
		case p.peekKW("join"):
		default:
			goto joined
		}
		if err := p.expectKW("join"); err != nil {
			return nil, err
		}
		jt, err := p.table()
		if err != nil {
			return nil, err
		}
		if err := p.expectKW("on"); err != nil {
			return nil, err
		}
		on, err := p.cond()
		if err != nil {
			return nil, err
		}
		q.joins = append(q.joins, joinClause{left: left, t: jt, on: on})
	}
joined:
	if p.acceptKW("where") {
		if q.where, err = p.cond(); err != nil {
			return nil, err
		}
	}
	if p.acceptKW("order") {
		if err := p.expectKW("by"); err != nil {
			return nil, err
		}
		for {
			e, err := p.value()
			if err != nil {
				return nil, err
			}
			item := orderItem{e: e}
			if p.acceptKW("desc") {
				item.desc = true
			} else {
				p.acceptKW("asc")
			}
			q.orderBy = append(q.orderBy, item)
			if !p.peekSym(",") {
				break
			}
			p.i++
		}
	}
	return q, nil
}

func (p *sqlParser) selectCol() (selectCol, error) {
	if p.peekSym("*") {
		p.i++
		return selectCol{star: true}, nil
	}
	t := p.peek()
	if t.kind == sqlIdent && !reserved[t.text] && p.toks[p.i+1].kind == sqlSymbol && p.toks[p.i+1].text == "." &&
		p.toks[p.i+2].kind == sqlSymbol && p.toks[p.i+2].text == "*" {
		p.i += 3
		return selectCol{star: true, starTable: t.text}, nil
	}
	e, err := p.value()
	if err != nil {
		return selectCol{}, err
	}
	c := selectCol{e: e}
	if p.acceptKW("as") {
		a := p.next()
		if a.kind != sqlIdent {
			return c, p.unexpected(a, "an alias")
		}
		c.alias = a.text
	} else if a := p.peek(); a.kind == sqlIdent && !reserved[a.text] {
		if _, bad := unsupported[a.text]; bad {
			return c, p.unexpected(a)
		}
		p.i++
		c.alias = a.text
	}
	return c, nil
}

func (p *sqlParser) table() (tableRef, error) {
	t := p.next()
	if t.kind == sqlSymbol && t.text == "(" {
		return tableRef{}, &SQLError{t.pos, "subqueries are not supported by peakready's fake SuiteQL"}
	}
	if t.kind != sqlIdent || reserved[t.text] {
		return tableRef{}, p.unexpected(t, "a table name")
	}
	r := tableRef{name: t.text, alias: t.text, at: t.pos}
	p.acceptKW("as")
	if a := p.peek(); a.kind == sqlIdent && !reserved[a.text] {
		if _, bad := unsupported[a.text]; bad {
			return r, p.unexpected(a)
		}
		p.i++
		r.alias = a.text
	}
	return r, nil
}

// cond parses OR of ANDs of NOTs of predicates.
func (p *sqlParser) cond() (sqlExpr, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxSQLDepth {
		return nil, &SQLError{p.peek().pos, "the condition is nested too deeply"}
	}
	l, err := p.andCond()
	if err != nil {
		return nil, err
	}
	for p.peekKW("or") {
		at := p.next().pos
		r, err := p.andCond()
		if err != nil {
			return nil, err
		}
		l = &binExpr{at, "or", l, r}
	}
	return l, nil
}

func (p *sqlParser) andCond() (sqlExpr, error) {
	l, err := p.notCond()
	if err != nil {
		return nil, err
	}
	for p.peekKW("and") {
		at := p.next().pos
		r, err := p.notCond()
		if err != nil {
			return nil, err
		}
		l = &binExpr{at, "and", l, r}
	}
	return l, nil
}

func (p *sqlParser) notCond() (sqlExpr, error) {
	if p.peekKW("not") {
		at := p.next().pos
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxSQLDepth {
			return nil, &SQLError{at, "the condition is nested too deeply"}
		}
		e, err := p.notCond()
		if err != nil {
			return nil, err
		}
		return &notExpr{at, e}, nil
	}
	return p.predicate()
}

// predicate parses a parenthesised condition or value OP value.
func (p *sqlParser) predicate() (sqlExpr, error) {
	if p.peekSym("(") {
		// A parenthesised condition; a parenthesised value is not needed by the subset.
		save := p.i
		p.i++
		if p.peekKW("select") {
			return nil, &SQLError{p.peek().pos, "subqueries are not supported by peakready's fake SuiteQL"}
		}
		c, err := p.cond()
		if err == nil && p.peekSym(")") {
			p.i++
			return c, nil
		}
		p.i = save
		if err != nil {
			return nil, err
		}
	}
	l, err := p.value()
	if err != nil {
		return nil, err
	}
	t := p.peek()
	not := false
	if t.kind == sqlIdent && t.text == "not" {
		p.i++
		not = true
		t = p.peek()
		if !(t.kind == sqlIdent && (t.text == "between" || t.text == "in" || t.text == "like")) {
			return nil, p.unexpected(t, "BETWEEN", "IN", "LIKE")
		}
	}
	switch {
	case t.kind == sqlSymbol && comparisons[t.text] && !not:
		p.i++
		r, err := p.value()
		if err != nil {
			return nil, err
		}
		op := t.text
		if op == "<>" {
			op = "!="
		}
		return &binExpr{t.pos, op, l, r}, nil
	case t.kind == sqlIdent && t.text == "like":
		p.i++
		r, err := p.value()
		if err != nil {
			return nil, err
		}
		var e sqlExpr = &binExpr{t.pos, "like", l, r}
		if not {
			e = &notExpr{t.pos, e}
		}
		return e, nil
	case t.kind == sqlIdent && t.text == "between":
		p.i++
		lo, err := p.value()
		if err != nil {
			return nil, err
		}
		if err := p.expectKW("and"); err != nil {
			return nil, err
		}
		hi, err := p.value()
		if err != nil {
			return nil, err
		}
		return &betweenExpr{t.pos, l, lo, hi, not}, nil
	case t.kind == sqlIdent && t.text == "in":
		p.i++
		if err := p.expectSym("("); err != nil {
			return nil, err
		}
		if p.peekKW("select") {
			return nil, &SQLError{p.peek().pos, "subqueries are not supported by peakready's fake SuiteQL"}
		}
		var list []sqlExpr
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			list = append(list, v)
			if !p.peekSym(",") {
				break
			}
			p.i++
			if len(list) >= 1000 {
				return nil, &SQLError{t.pos, "IN takes at most 1000 values"}
			}
		}
		if err := p.expectSym(")"); err != nil {
			return nil, err
		}
		return &inExpr{t.pos, l, list, not}, nil
	case t.kind == sqlIdent && t.text == "is":
		p.i++
		n := p.acceptKW("not")
		if err := p.expectKW("null"); err != nil {
			return nil, err
		}
		return &isNullExpr{t.pos, l, n}, nil
	}
	return nil, p.unexpected(t, "a comparison")
}

// value parses a column, a literal or a function call.
func (p *sqlParser) value() (sqlExpr, error) {
	t := p.next()
	switch t.kind {
	case sqlString:
		return &litExpr{t.pos, strValue(t.text)}, nil
	case sqlNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return nil, &SQLError{t.pos, fmt.Sprintf("invalid number %q", t.text)}
		}
		return &litExpr{t.pos, numValue(f)}, nil
	case sqlIdent:
		if t.text == "null" {
			return &litExpr{t.pos, sqlValue{}}, nil
		}
		if name, ok := unsupported[t.text]; ok {
			return nil, &SQLError{t.pos, name + " is not supported by peakready's fake SuiteQL"}
		}
		if reserved[t.text] {
			return nil, p.unexpected(t, "a value")
		}
		if p.peekSym("(") {
			return p.call(t)
		}
		if p.peekSym(".") {
			p.i++
			c := p.next()
			if c.kind != sqlIdent {
				return nil, p.unexpected(c, "a column name")
			}
			if p.peekSym("(") {
				return nil, &SQLError{t.pos, strings.ToUpper(t.text+"."+c.text) + " is not supported by peakready's fake SuiteQL"}
			}
			return &colRef{t.pos, t.text, c.text}, nil
		}
		return &colRef{t.pos, "", t.text}, nil
	}
	return nil, p.unexpected(t, "a value")
}

var comparisons = map[string]bool{"=": true, "!=": true, "<>": true, "<": true, "<=": true, ">": true, ">=": true}

// functions the subset runs, with their argument counts.
var sqlFuncs = map[string][2]int{"to_date": {1, 2}, "to_timestamp": {1, 2}, "to_char": {1, 2}, "upper": {1, 1}, "lower": {1, 1}}

func (p *sqlParser) call(name sqlTok) (sqlExpr, error) {
	n, ok := sqlFuncs[name.text]
	if !ok {
		switch name.text {
		case "count", "sum", "min", "max", "avg":
			return nil, &SQLError{name.pos, "aggregate functions are not supported by peakready's fake SuiteQL"}
		}
		return nil, &SQLError{name.pos, "function " + strings.ToUpper(name.text) + " is not supported by peakready's fake SuiteQL"}
	}
	p.i++ // (
	var args []sqlExpr
	if !p.peekSym(")") {
		for {
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			args = append(args, v)
			if !p.peekSym(",") {
				break
			}
			p.i++
			if len(args) > n[1] {
				break
			}
		}
	}
	if err := p.expectSym(")"); err != nil {
		return nil, err
	}
	if len(args) < n[0] || len(args) > n[1] {
		return nil, &SQLError{name.pos, fmt.Sprintf("%s takes %d to %d arguments", strings.ToUpper(name.text), n[0], n[1])}
	}
	return &callExpr{name.pos, name.text, args}, nil
}
