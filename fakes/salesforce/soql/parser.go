package soql

import (
	"strconv"
	"strings"
	"time"
)

// MaxOffset is the largest OFFSET Salesforce accepts.
const MaxOffset = 2000

// maxDepth bounds nested parentheses and NOTs, so a hostile statement cannot exhaust the
// stack.
const maxDepth = 100

// reserved are the keywords that cannot be used as a field or object name.
var reserved = map[string]bool{
	"SELECT": true, "FROM": true, "WHERE": true, "AND": true, "OR": true, "NOT": true,
	"IN": true, "LIKE": true, "ORDER": true, "BY": true, "ASC": true, "DESC": true,
	"NULLS": true, "FIRST": true, "LAST": true, "LIMIT": true, "OFFSET": true,
	"NULL": true, "TRUE": true, "FALSE": true, "INCLUDES": true, "EXCLUDES": true,
	"GROUP": true, "HAVING": true, "USING": true, "WITH": true, "FOR": true,
}

// Parse reads one SOQL statement. The error, if any, is a MALFORMED_QUERY *Error.
func Parse(src string) (*Query, *Error) {
	p := &parser{lx: lexer{src: src}}
	if err := p.advance(); err != nil {
		return nil, err
	}
	q, err := p.query()
	if err != nil {
		return nil, err
	}
	q.Source = src
	return q, nil
}

type parser struct {
	lx    lexer
	tok   token
	depth int
}

func (p *parser) advance() *Error {
	t, err := p.lx.next()
	if err != nil {
		return err
	}
	p.tok = t
	return nil
}

// isKeyword reports whether the current token is the keyword kw.
func (p *parser) isKeyword(kw string) bool {
	return p.tok.kind == tokIdent && strings.EqualFold(p.tok.text, kw)
}

func (p *parser) keyword(kw string) *Error {
	if !p.isKeyword(kw) {
		return unexpected(p.tok)
	}
	return p.advance()
}

func (p *parser) expect(k tokenKind) (token, *Error) {
	t := p.tok
	if t.kind != k {
		return t, unexpected(t)
	}
	return t, p.advance()
}

func (p *parser) ident() (Ident, *Error) {
	t := p.tok
	if t.kind != tokIdent || reserved[strings.ToUpper(t.text)] {
		return Ident{}, unexpected(t)
	}
	if strings.HasPrefix(t.text, ".") || strings.HasSuffix(t.text, ".") || strings.Contains(t.text, "..") {
		return Ident{}, unexpected(t)
	}
	return Ident{Name: t.text, Pos: t.pos}, p.advance()
}

func (p *parser) query() (*Query, *Error) {
	q := &Query{Limit: -1, Offset: -1}
	if err := p.keyword("SELECT"); err != nil {
		return nil, err
	}
	if err := p.selectList(q); err != nil {
		return nil, err
	}
	if err := p.keyword("FROM"); err != nil {
		return nil, err
	}
	obj, err := p.ident()
	if err != nil {
		return nil, err
	}
	q.Object = obj
	if p.isKeyword("WHERE") {
		if err := p.advance(); err != nil {
			return nil, err
		}
		if q.Where, err = p.condition(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("ORDER") {
		if err := p.orderBy(q); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("LIMIT") {
		if q.Limit, err = p.intClause(); err != nil {
			return nil, err
		}
	}
	if p.isKeyword("OFFSET") {
		pos := p.tok.pos
		if q.Offset, err = p.intClause(); err != nil {
			return nil, err
		}
		if q.Offset > MaxOffset {
			return nil, &Error{Code: CodeNumberOutsideValidRange, Pos: pos, Detail: "Maximum SOQL offset allowed is 2000"}
		}
	}
	if p.tok.kind != tokEOF {
		return nil, unexpected(p.tok)
	}
	return q, nil
}

// fieldSets are the arguments FIELDS() takes.
var fieldSets = map[string]bool{"ALL": true, "STANDARD": true, "CUSTOM": true}

func (p *parser) selectList(q *Query) *Error {
	if p.isKeyword("COUNT") {
		save, saveTok := p.lx, p.tok
		if err := p.advance(); err != nil {
			return err
		}
		if p.tok.kind == tokLParen {
			if err := p.advance(); err != nil {
				return err
			}
			if p.tok.kind == tokRParen {
				if err := p.advance(); err != nil {
					return err
				}
				q.Count = true
				return nil
			}
		}
		p.lx, p.tok = save, saveTok // a field named Count, or COUNT(field)
	}
	for {
		item, err := p.selectItem()
		if err != nil {
			return err
		}
		q.Select = append(q.Select, item)
		if item.Field != nil {
			q.Fields = append(q.Fields, *item.Field)
		}
		if p.tok.kind != tokComma {
			return nil
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
}

// selectItem := FIELDS ( ALL|STANDARD|CUSTOM ) | COUNT ( field ) [alias] | field
func (p *parser) selectItem() (SelectItem, *Error) {
	pos := p.tok.pos
	for _, fn := range []string{"FIELDS", "COUNT"} {
		if !p.isKeyword(fn) {
			continue
		}
		save, saveTok := p.lx, p.tok
		if err := p.advance(); err != nil {
			return SelectItem{}, err
		}
		if p.tok.kind != tokLParen {
			p.lx, p.tok = save, saveTok // a field with the function's name
			break
		}
		if err := p.advance(); err != nil {
			return SelectItem{}, err
		}
		arg, err := p.ident()
		if err != nil {
			return SelectItem{}, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return SelectItem{}, err
		}
		if fn == "FIELDS" {
			set := strings.ToUpper(arg.Name)
			if !fieldSets[set] {
				return SelectItem{}, malformed(arg.Pos, "unexpected token: '%s'", arg.Name)
			}
			return SelectItem{FieldSet: set, Pos: pos}, nil
		}
		agg := &Aggregate{Func: "COUNT", Field: arg}
		if p.tok.kind == tokIdent && !reserved[strings.ToUpper(p.tok.text)] {
			alias, err := p.ident()
			if err != nil {
				return SelectItem{}, err
			}
			if strings.Contains(alias.Name, ".") {
				return SelectItem{}, malformed(alias.Pos, "unexpected token: '%s'", alias.Name)
			}
			agg.Alias = alias.Name
		}
		return SelectItem{Aggregate: agg, Pos: pos}, nil
	}
	f, err := p.ident()
	if err != nil {
		return SelectItem{}, err
	}
	return SelectItem{Field: &f, Pos: pos}, nil
}

func (p *parser) intClause() (int, *Error) {
	if err := p.advance(); err != nil { // LIMIT or OFFSET
		return 0, err
	}
	t := p.tok
	if t.kind != tokNumber {
		return 0, unexpected(t)
	}
	n, err := strconv.Atoi(t.text)
	if err != nil || n < 0 || strings.HasPrefix(t.text, "+") {
		return 0, unexpected(t)
	}
	return n, p.advance()
}

func (p *parser) orderBy(q *Query) *Error {
	if err := p.advance(); err != nil { // ORDER
		return err
	}
	if err := p.keyword("BY"); err != nil {
		return err
	}
	for {
		f, err := p.ident()
		if err != nil {
			return err
		}
		item := OrderItem{Field: f}
		switch {
		case p.isKeyword("ASC"):
			if err := p.advance(); err != nil {
				return err
			}
		case p.isKeyword("DESC"):
			item.Desc = true
			if err := p.advance(); err != nil {
				return err
			}
		}
		item.NullsLast = item.Desc
		if p.isKeyword("NULLS") {
			if err := p.advance(); err != nil {
				return err
			}
			switch {
			case p.isKeyword("FIRST"):
				item.NullsLast = false
			case p.isKeyword("LAST"):
				item.NullsLast = true
			default:
				return unexpected(p.tok)
			}
			if err := p.advance(); err != nil {
				return err
			}
		}
		q.OrderBy = append(q.OrderBy, item)
		if p.tok.kind != tokComma {
			return nil
		}
		if err := p.advance(); err != nil {
			return err
		}
	}
}

// condition := term { AND term } | term { OR term }
func (p *parser) condition() (Expr, *Error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxDepth {
		return nil, malformed(p.tok.pos, "expression nested too deeply")
	}
	first, err := p.term()
	if err != nil {
		return nil, err
	}
	var op string
	switch {
	case p.isKeyword("AND"):
		op = "AND"
	case p.isKeyword("OR"):
		op = "OR"
	default:
		return first, nil
	}
	l := &Logical{Op: op, Terms: []Expr{first}}
	for {
		other := "OR"
		if op == "OR" {
			other = "AND"
		}
		if p.isKeyword(other) {
			return nil, unexpected(p.tok) // SOQL needs parentheses to mix AND and OR
		}
		if !p.isKeyword(op) {
			return l, nil
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		t, err := p.term()
		if err != nil {
			return nil, err
		}
		l.Terms = append(l.Terms, t)
	}
}

// term := NOT term | ( condition ) | comparison
func (p *parser) term() (Expr, *Error) {
	switch {
	case p.isKeyword("NOT"):
		p.depth++
		defer func() { p.depth-- }()
		if p.depth > maxDepth {
			return nil, malformed(p.tok.pos, "expression nested too deeply")
		}
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.term()
		if err != nil {
			return nil, err
		}
		return &Not{X: x}, nil
	case p.tok.kind == tokLParen:
		if err := p.advance(); err != nil {
			return nil, err
		}
		x, err := p.condition()
		if err != nil {
			return nil, err
		}
		if _, err := p.expect(tokRParen); err != nil {
			return nil, err
		}
		return x, nil
	}
	return p.comparison()
}

func (p *parser) comparison() (Expr, *Error) {
	f, err := p.ident()
	if err != nil {
		return nil, err
	}
	c := &Comparison{Field: f, OpPos: p.tok.pos}
	switch {
	case p.tok.kind == tokOp:
		c.Op = p.tok.text
	case p.isKeyword("LIKE"):
		c.Op = "LIKE"
	case p.isKeyword("IN"):
		c.Op = "IN"
	case p.isKeyword("INCLUDES"):
		c.Op = "INCLUDES"
	case p.isKeyword("EXCLUDES"):
		c.Op = "EXCLUDES"
	case p.isKeyword("NOT"):
		if err := p.advance(); err != nil {
			return nil, err
		}
		if !p.isKeyword("IN") {
			return nil, unexpected(p.tok)
		}
		c.Op = "NOTIN"
	default:
		return nil, unexpected(p.tok)
	}
	if err := p.advance(); err != nil {
		return nil, err
	}
	switch c.Op {
	case "IN", "NOTIN", "INCLUDES", "EXCLUDES":
		c.Values, err = p.valueList()
	default:
		var v Literal
		v, err = p.value()
		c.Values = []Literal{v}
	}
	if err != nil {
		return nil, err
	}
	return c, nil
}

func (p *parser) valueList() ([]Literal, *Error) {
	if _, err := p.expect(tokLParen); err != nil {
		return nil, err
	}
	var out []Literal
	for {
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		if p.tok.kind == tokRParen {
			return out, p.advance()
		}
		if _, err := p.expect(tokComma); err != nil {
			return nil, err
		}
	}
}

// dateRanges are the relative date literals without a parameter.
var dateRanges = map[string]DateRange{
	"TODAY":     {Name: "TODAY", From: 0, To: 1},
	"YESTERDAY": {Name: "YESTERDAY", From: -1, To: 0},
	"TOMORROW":  {Name: "TOMORROW", From: 1, To: 2},
}

// maxRangeDays bounds LAST_N_DAYS:n and NEXT_N_DAYS:n.
const maxRangeDays = 1_000_000

func (p *parser) value() (Literal, *Error) {
	t := p.tok
	l := Literal{Raw: t.text, Pos: t.pos}
	switch t.kind {
	case tokString:
		l.Kind = LitString
	case tokNumber:
		f, err := strconv.ParseFloat(t.text, 64)
		if err != nil {
			return l, unexpected(t)
		}
		l.Kind, l.Num = LitNumber, f
	case tokDate:
		d, err := time.Parse("2006-01-02", t.text)
		if err != nil {
			return l, malformed(t.pos, "value of date literal '%s' is not a valid date", t.text)
		}
		l.Kind, l.Time = LitDate, d
	case tokDateTime:
		d, err := time.Parse(time.RFC3339Nano, t.text)
		if err != nil {
			return l, malformed(t.pos, "value of datetime literal '%s' is not a valid datetime", t.text)
		}
		l.Kind, l.Time = LitDateTime, d.UTC()
	case tokIdent:
		up := strings.ToUpper(t.text)
		switch up {
		case "NULL":
			l.Kind = LitNull
		case "TRUE", "FALSE":
			l.Kind, l.Bool = LitBool, up == "TRUE"
		case "LAST_N_DAYS", "NEXT_N_DAYS":
			if err := p.advance(); err != nil {
				return l, err
			}
			if _, err := p.expect(tokColon); err != nil {
				return l, err
			}
			nt := p.tok
			n, err := strconv.Atoi(nt.text)
			if nt.kind != tokNumber || err != nil || n < 0 || n > maxRangeDays || strings.HasPrefix(nt.text, "+") {
				return l, unexpected(nt)
			}
			l.Kind = LitDateRange
			l.Raw = up + ":" + nt.text
			if up == "LAST_N_DAYS" {
				l.Range = DateRange{Name: l.Raw, From: -n, To: 1}
			} else {
				l.Range = DateRange{Name: l.Raw, From: 1, To: n + 1}
			}
		default:
			r, ok := dateRanges[up]
			if !ok {
				return l, unexpected(t)
			}
			l.Kind, l.Range = LitDateRange, r
		}
	default:
		return l, unexpected(t)
	}
	return l, p.advance()
}
