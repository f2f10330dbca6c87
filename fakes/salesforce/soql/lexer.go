package soql

import (
	"strings"
	"unicode/utf8"
)

// tokenKind classifies a lexical token.
type tokenKind int

const (
	tokEOF tokenKind = iota
	tokIdent
	tokString
	tokNumber
	tokDate     // 2024-01-31
	tokDateTime // 2024-01-31T12:00:00Z
	tokComma
	tokLParen
	tokRParen
	tokColon
	tokOp // = != < <= > >= (<> is read as !=)
)

// token is one lexical unit. For tokString, text is the raw text between the quotes,
// escapes intact; for every other kind it is the source text.
type token struct {
	kind tokenKind
	text string
	pos  int // byte offset in the query
}

// lexer splits a SOQL statement into tokens. SOQL keywords are identifiers here; the
// parser recognises them case-insensitively, as Salesforce does.
type lexer struct {
	src string
	pos int
}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }
func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v'
}

// next returns the next token or a MALFORMED_QUERY error.
func (l *lexer) next() (token, *Error) {
	for l.pos < len(l.src) && isSpace(l.src[l.pos]) {
		l.pos++
	}
	start := l.pos
	if l.pos >= len(l.src) {
		return token{kind: tokEOF, text: "<EOF>", pos: start}, nil
	}
	one := func(k tokenKind) (token, *Error) {
		l.pos++
		return token{kind: k, text: l.src[start:l.pos], pos: start}, nil
	}
	op := func(text string, n int) (token, *Error) {
		l.pos += n
		return token{kind: tokOp, text: text, pos: start}, nil
	}
	rest := l.src[l.pos:]
	c := rest[0]
	switch {
	case c == ',':
		return one(tokComma)
	case c == '(':
		return one(tokLParen)
	case c == ')':
		return one(tokRParen)
	case c == ':':
		return one(tokColon)
	case c == '=':
		return op("=", 1)
	case strings.HasPrefix(rest, "!="):
		return op("!=", 2)
	case strings.HasPrefix(rest, "<>"):
		return op("!=", 2)
	case strings.HasPrefix(rest, "<="):
		return op("<=", 2)
	case strings.HasPrefix(rest, ">="):
		return op(">=", 2)
	case c == '<':
		return op("<", 1)
	case c == '>':
		return op(">", 1)
	case c == '\'':
		return l.string()
	case isLetter(c) || c == '_':
		for l.pos < len(l.src) && (isLetter(l.src[l.pos]) || isDigit(l.src[l.pos]) || l.src[l.pos] == '_' || l.src[l.pos] == '.') {
			l.pos++
		}
		return token{kind: tokIdent, text: l.src[start:l.pos], pos: start}, nil
	case isDigit(c) || c == '-' || c == '+' || c == '.':
		return l.number()
	}
	r, _ := utf8.DecodeRuneInString(rest)
	return token{}, malformed(start, "line 1:%d no viable alternative at character '%s'", start, string(r))
}

// string reads a single-quoted literal and checks its backslash escapes. The token keeps
// the raw text between the quotes: unescape turns it into the value, compileLike into a
// LIKE pattern where \% and \_ are literal characters rather than wildcards.
func (l *lexer) string() (token, *Error) {
	start := l.pos
	l.pos++ // opening quote
	for l.pos < len(l.src) {
		switch l.src[l.pos] {
		case '\'':
			l.pos++
			return token{kind: tokString, text: l.src[start+1 : l.pos-1], pos: start}, nil
		case '\\':
			if l.pos+1 >= len(l.src) {
				l.pos++
				return token{}, malformed(l.pos, "line 1:%d mismatched character '<EOF>' expecting '''", l.pos)
			}
			if !strings.ContainsRune(`nrtbf"'\%_`, rune(l.src[l.pos+1])) {
				r, _ := utf8.DecodeRuneInString(l.src[l.pos+1:])
				return token{}, malformed(l.pos, "Invalid string literal '%s'. Illegal character sequence '\\%s' in string literal.", l.src[start:l.pos+1]+string(r), string(r))
			}
			l.pos += 2
		default:
			l.pos++
		}
	}
	return token{}, malformed(l.pos, "line 1:%d mismatched character '<EOF>' expecting '''", l.pos)
}

// unescape turns the raw text of a checked string literal into its value.
func unescape(raw string) string {
	if !strings.Contains(raw, `\`) {
		return raw
	}
	var b strings.Builder
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if c != '\\' || i+1 >= len(raw) {
			b.WriteByte(c)
			continue
		}
		i++
		switch raw[i] {
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 't':
			b.WriteByte('\t')
		case 'b':
			b.WriteByte('\b')
		case 'f':
			b.WriteByte('\f')
		default:
			b.WriteByte(raw[i])
		}
	}
	return b.String()
}

// number reads an integer or decimal (optionally signed), a date (YYYY-MM-DD) or a
// datetime (YYYY-MM-DDThh:mm:ss[.fff](Z|±hh:mm)). Calendar validity is the parser's job.
func (l *lexer) number() (token, *Error) {
	start := l.pos
	if c := l.src[l.pos]; c == '-' || c == '+' {
		l.pos++
	}
	digits := l.digits()
	if digits == 4 && l.pos-start == 4 && l.peek() == '-' {
		return l.date(start)
	}
	if l.peek() == '.' {
		l.pos++
		if l.digits() == 0 && digits == 0 {
			return token{}, malformed(start, "unexpected token: '%s'", l.src[start:l.pos])
		}
	} else if digits == 0 {
		return token{}, malformed(start, "line 1:%d no viable alternative at character '%s'", start, l.src[start:start+1])
	}
	if l.pos < len(l.src) && (isLetter(l.src[l.pos]) || l.src[l.pos] == '_') {
		return token{}, malformed(start, "unexpected token: '%s'", l.src[start:l.pos+1])
	}
	return token{kind: tokNumber, text: l.src[start:l.pos], pos: start}, nil
}

func (l *lexer) date(start int) (token, *Error) {
	bad := func() (token, *Error) {
		return token{}, malformed(start, "unexpected token: '%s'", l.src[start:l.pos])
	}
	if !l.expectSeq("-dd-dd") { // YYYY already read
		return bad()
	}
	if l.peek() != 'T' {
		return token{kind: tokDate, text: l.src[start:l.pos], pos: start}, nil
	}
	l.pos++
	if !l.expectSeq("dd:dd:dd") {
		return bad()
	}
	if l.peek() == '.' {
		l.pos++
		if l.digits() == 0 {
			return bad()
		}
	}
	switch l.peek() {
	case 'Z':
		l.pos++
	case '+', '-':
		l.pos++
		if !l.expectSeq("dd:dd") {
			return bad()
		}
	default:
		return bad()
	}
	return token{kind: tokDateTime, text: l.src[start:l.pos], pos: start}, nil
}

// expectSeq consumes a pattern where 'd' is any digit and every other byte is itself.
func (l *lexer) expectSeq(pattern string) bool {
	for i := 0; i < len(pattern); i++ {
		if l.pos >= len(l.src) {
			return false
		}
		c := l.src[l.pos]
		if pattern[i] == 'd' && !isDigit(c) || pattern[i] != 'd' && c != pattern[i] {
			return false
		}
		l.pos++
	}
	return true
}

func (l *lexer) digits() int {
	n := 0
	for l.pos < len(l.src) && isDigit(l.src[l.pos]) {
		l.pos++
		n++
	}
	return n
}

func (l *lexer) peek() byte {
	if l.pos < len(l.src) {
		return l.src[l.pos]
	}
	return 0
}
