package flow

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// A Flow condition is a small boolean expression over the trigger's data:
//
//	current < 10
//	current < prior and prior >= 5
//	not (sku == "SKU-0001" or delta >= 0)
//	productVariant.inventoryQuantity <= threshold
//
// Grammar (keywords are lowercase; "&&", "||" and "!" are accepted for and, or, not):
//
//	expr       = and { "or" and }
//	and        = unary { "and" unary }
//	unary      = "not" unary | "(" expr ")" | "true" | "false" | comparison
//	comparison = operand ( "<" | "<=" | ">" | ">=" | "==" | "!=" ) operand
//	operand    = integer | string | variable
//
// Integers are decimal, optionally negative; strings are in double or single quotes with
// \" \' and \\ escapes. Number variables: current (= productVariant.inventoryQuantity),
// prior (= inventoryQuantityPrior), delta (current - prior), threshold (the workflow's
// Threshold, which must then be set). String variables: sku (= productVariant.sku),
// product.title. Both sides of a comparison must have the same type, and strings compare
// only with == and !=. An empty condition is true. Every mistake is an error at
// configuration time; evaluation never fails.

// conditionLimits keep a hostile expression cheap.
const (
	maxConditionLen   = 2000
	maxConditionDepth = 32
)

// ErrCondition is wrapped by every condition parse error.
var ErrCondition = errors.New("invalid flow condition")

type valueKind uint8

const (
	kindInt valueKind = iota + 1
	kindString
)

// variable is a variable of the inventory trigger, usable in conditions and templates.
type variable uint8

const (
	varCurrent variable = iota + 1
	varPrior
	varDelta
	varThreshold
	varSKU
	varProductTitle
	varProductID
	varProductLegacyID
	varVariantID
	varVariantLegacyID
	varInventoryItemID
	varInventoryItemLegacyID
	varShopDomain
)

// conditionVars names the variables a condition may use.
var conditionVars = map[string]variable{
	"current": varCurrent, "productVariant.inventoryQuantity": varCurrent,
	"prior": varPrior, "inventoryQuantityPrior": varPrior,
	"delta":     varDelta,
	"threshold": varThreshold,
	"sku":       varSKU, "productVariant.sku": varSKU,
	"product.title": varProductTitle,
}

func (v variable) kind() valueKind {
	switch v {
	case varSKU, varProductTitle, varProductID, varVariantID, varInventoryItemID, varShopDomain:
		return kindString
	}
	return kindInt
}

// triggerData is what one trigger provides.
type triggerData struct {
	inv       *InventoryChange
	threshold int64
	shop      string
}

func (f *triggerData) intVar(v variable) int64 {
	switch v {
	case varCurrent:
		return int64(f.inv.Current)
	case varPrior:
		return int64(f.inv.Prior)
	case varDelta:
		return int64(f.inv.Current) - int64(f.inv.Prior)
	case varThreshold:
		return f.threshold
	case varProductLegacyID:
		return f.inv.ProductID
	case varVariantLegacyID:
		return f.inv.VariantID
	case varInventoryItemLegacyID:
		return f.inv.InventoryItemID
	}
	return 0
}

func (f *triggerData) stringVar(v variable) string {
	switch v {
	case varSKU:
		return f.inv.SKU
	case varProductTitle:
		return f.inv.ProductTitle
	case varProductID:
		return "gid://shopify/Product/" + strconv.FormatInt(f.inv.ProductID, 10)
	case varVariantID:
		return "gid://shopify/ProductVariant/" + strconv.FormatInt(f.inv.VariantID, 10)
	case varInventoryItemID:
		return "gid://shopify/InventoryItem/" + strconv.FormatInt(f.inv.InventoryItemID, 10)
	case varShopDomain:
		return f.shop
	}
	return ""
}

// condition is a parsed expression tree.
type condition interface {
	eval(*triggerData) bool
}

type constCond bool

func (c constCond) eval(*triggerData) bool { return bool(c) }

type notCond struct{ x condition }

func (c notCond) eval(f *triggerData) bool { return !c.x.eval(f) }

type andCond struct{ l, r condition }

func (c andCond) eval(f *triggerData) bool { return c.l.eval(f) && c.r.eval(f) }

type orCond struct{ l, r condition }

func (c orCond) eval(f *triggerData) bool { return c.l.eval(f) || c.r.eval(f) }

// operand is a literal or a variable.
type operand struct {
	kind valueKind
	v    variable // 0 for a literal
	i    int64
	s    string
}

func (o operand) intValue(f *triggerData) int64 {
	if o.v != 0 {
		return f.intVar(o.v)
	}
	return o.i
}

func (o operand) stringValue(f *triggerData) string {
	if o.v != 0 {
		return f.stringVar(o.v)
	}
	return o.s
}

type cmpCond struct {
	op   string
	l, r operand
}

func (c cmpCond) eval(f *triggerData) bool {
	if c.l.kind == kindString {
		eq := c.l.stringValue(f) == c.r.stringValue(f)
		if c.op == "==" {
			return eq
		}
		return !eq
	}
	a, b := c.l.intValue(f), c.r.intValue(f)
	switch c.op {
	case "<":
		return a < b
	case "<=":
		return a <= b
	case ">":
		return a > b
	case ">=":
		return a >= b
	case "==":
		return a == b
	default:
		return a != b
	}
}

type tokKind uint8

const (
	tokEOF tokKind = iota
	tokIdent
	tokInt
	tokString
	tokOp
	tokLParen
	tokRParen
)

type token struct {
	kind tokKind
	text string
	i    int64
	pos  int
}

func lexCondition(src string) ([]token, error) {
	var out []token
	i := 0
	for i < len(src) {
		c := src[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r':
			i++
		case c == '(':
			out = append(out, token{kind: tokLParen, text: "(", pos: i})
			i++
		case c == ')':
			out = append(out, token{kind: tokRParen, text: ")", pos: i})
			i++
		case c == '"' || c == '\'':
			var b strings.Builder
			j := i + 1
			closed := false
			for j < len(src) {
				if src[j] == '\\' && j+1 < len(src) && (src[j+1] == c || src[j+1] == '\\') {
					b.WriteByte(src[j+1])
					j += 2
					continue
				}
				if src[j] == c {
					closed = true
					j++
					break
				}
				b.WriteByte(src[j])
				j++
			}
			if !closed {
				return nil, fmt.Errorf("%w: unterminated string at %d", ErrCondition, i)
			}
			out = append(out, token{kind: tokString, text: b.String(), pos: i})
			i = j
		case c >= '0' && c <= '9' || (c == '-' && i+1 < len(src) && src[i+1] >= '0' && src[i+1] <= '9'):
			j := i + 1
			for j < len(src) && src[j] >= '0' && src[j] <= '9' {
				j++
			}
			n, err := strconv.ParseInt(src[i:j], 10, 64)
			if err != nil {
				return nil, fmt.Errorf("%w: number %q at %d out of range", ErrCondition, src[i:j], i)
			}
			out = append(out, token{kind: tokInt, text: src[i:j], i: n, pos: i})
			i = j
		case isIdentStart(c):
			j := i + 1
			for j < len(src) && (isIdentStart(src[j]) || src[j] >= '0' && src[j] <= '9' || src[j] == '.') {
				j++
			}
			out = append(out, token{kind: tokIdent, text: src[i:j], pos: i})
			i = j
		default:
			op := ""
			for _, cand := range []string{"<=", ">=", "==", "!=", "&&", "||", "<", ">", "!"} {
				if strings.HasPrefix(src[i:], cand) {
					op = cand
					break
				}
			}
			if op == "" {
				return nil, fmt.Errorf("%w: unexpected %q at %d", ErrCondition, c, i)
			}
			out = append(out, token{kind: tokOp, text: op, pos: i})
			i += len(op)
		}
	}
	return append(out, token{kind: tokEOF, pos: len(src)}), nil
}

func isIdentStart(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '_' }

type condParser struct {
	toks         []token
	pos          int
	depth        int
	hasThreshold bool
}

// parseCondition parses a condition; hasThreshold says whether the workflow sets
// Threshold.
func parseCondition(src string, hasThreshold bool) (condition, error) {
	if len(src) > maxConditionLen {
		return nil, fmt.Errorf("%w: longer than %d characters", ErrCondition, maxConditionLen)
	}
	if strings.TrimSpace(src) == "" {
		return constCond(true), nil
	}
	toks, err := lexCondition(src)
	if err != nil {
		return nil, err
	}
	p := &condParser{toks: toks, hasThreshold: hasThreshold}
	c, err := p.or()
	if err != nil {
		return nil, err
	}
	if t := p.peek(); t.kind != tokEOF {
		return nil, fmt.Errorf("%w: unexpected %q at %d", ErrCondition, t.text, t.pos)
	}
	return c, nil
}

func (p *condParser) peek() token { return p.toks[p.pos] }
func (p *condParser) next() token {
	t := p.toks[p.pos]
	if t.kind != tokEOF {
		p.pos++
	}
	return t
}

func (p *condParser) isWord(t token, word, sym string) bool {
	return (t.kind == tokIdent && t.text == word) || (t.kind == tokOp && t.text == sym)
}

func (p *condParser) or() (condition, error) {
	l, err := p.and()
	if err != nil {
		return nil, err
	}
	for p.isWord(p.peek(), "or", "||") {
		p.next()
		r, err := p.and()
		if err != nil {
			return nil, err
		}
		l = orCond{l, r}
	}
	return l, nil
}

func (p *condParser) and() (condition, error) {
	l, err := p.unary()
	if err != nil {
		return nil, err
	}
	for p.isWord(p.peek(), "and", "&&") {
		p.next()
		r, err := p.unary()
		if err != nil {
			return nil, err
		}
		l = andCond{l, r}
	}
	return l, nil
}

func (p *condParser) unary() (condition, error) {
	p.depth++
	defer func() { p.depth-- }()
	if p.depth > maxConditionDepth {
		return nil, fmt.Errorf("%w: nested deeper than %d", ErrCondition, maxConditionDepth)
	}
	t := p.peek()
	switch {
	case p.isWord(t, "not", "!"):
		p.next()
		x, err := p.unary()
		if err != nil {
			return nil, err
		}
		return notCond{x}, nil
	case t.kind == tokLParen:
		p.next()
		x, err := p.or()
		if err != nil {
			return nil, err
		}
		if c := p.next(); c.kind != tokRParen {
			return nil, fmt.Errorf("%w: expected ) at %d", ErrCondition, c.pos)
		}
		return x, nil
	case t.kind == tokIdent && (t.text == "true" || t.text == "false"):
		p.next()
		return constCond(t.text == "true"), nil
	}
	return p.comparison()
}

func (p *condParser) comparison() (condition, error) {
	l, err := p.operand()
	if err != nil {
		return nil, err
	}
	opTok := p.next()
	switch opTok.text {
	case "<", "<=", ">", ">=", "==", "!=":
	default:
		if opTok.kind == tokEOF {
			return nil, fmt.Errorf("%w: expected a comparison operator at the end", ErrCondition)
		}
		return nil, fmt.Errorf("%w: expected a comparison operator at %d, got %q", ErrCondition, opTok.pos, opTok.text)
	}
	if opTok.kind != tokOp {
		return nil, fmt.Errorf("%w: expected a comparison operator at %d", ErrCondition, opTok.pos)
	}
	r, err := p.operand()
	if err != nil {
		return nil, err
	}
	if l.kind != r.kind {
		return nil, fmt.Errorf("%w: %q compares a number with a string at %d", ErrCondition, opTok.text, opTok.pos)
	}
	if l.kind == kindString && opTok.text != "==" && opTok.text != "!=" {
		return nil, fmt.Errorf("%w: strings compare only with == and != (at %d)", ErrCondition, opTok.pos)
	}
	return cmpCond{op: opTok.text, l: l, r: r}, nil
}

func (p *condParser) operand() (operand, error) {
	t := p.next()
	switch t.kind {
	case tokInt:
		return operand{kind: kindInt, i: t.i}, nil
	case tokString:
		return operand{kind: kindString, s: t.text}, nil
	case tokIdent:
		v, ok := conditionVars[t.text]
		if !ok {
			return operand{}, fmt.Errorf("%w: unknown variable %q at %d (known: current, prior, delta, threshold, sku, product.title)", ErrCondition, t.text, t.pos)
		}
		if v == varThreshold && !p.hasThreshold {
			return operand{}, fmt.Errorf("%w: threshold used at %d but the workflow sets no threshold", ErrCondition, t.pos)
		}
		return operand{kind: v.kind(), v: v}, nil
	case tokEOF:
		return operand{}, fmt.Errorf("%w: expected a value at the end", ErrCondition)
	}
	return operand{}, fmt.Errorf("%w: expected a value at %d, got %q", ErrCondition, t.pos, t.text)
}
