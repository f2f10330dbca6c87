package soql

import (
	"fmt"
	"strings"
)

// Error codes, as Salesforce returns them.
const (
	CodeMalformedQuery             = "MALFORMED_QUERY"
	CodeInvalidField               = "INVALID_FIELD"
	CodeInvalidType                = "INVALID_TYPE"
	CodeInvalidQueryFilterOperator = "INVALID_QUERY_FILTER_OPERATOR"
	CodeNumberOutsideValidRange    = "NUMBER_OUTSIDE_VALID_RANGE"
)

// Error is a SOQL error at a byte offset of the statement.
type Error struct {
	Code   string
	Pos    int
	Detail string
}

func (e *Error) Error() string { return e.Code + ": " + e.Detail }

// Message is Salesforce's wording: the statement's line, a caret under the column, the
// row and column, then the detail.
//
//	\nSELECT Id FRM Contact\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'
func (e *Error) Message(query string) string {
	row, col, line := 1, 1, query
	pos := min(max(e.Pos, 0), len(query))
	if i := strings.LastIndexByte(query[:pos], '\n'); i >= 0 {
		row = strings.Count(query[:pos], "\n") + 1
		line = query[i+1:]
		col = pos - i
	} else {
		col = pos + 1
	}
	if j := strings.IndexByte(line, '\n'); j >= 0 {
		line = line[:j]
	}
	return fmt.Sprintf("\n%s\n%s^\nERROR at Row:%d:Column:%d\n%s", line, strings.Repeat(" ", col-1), row, col, e.Detail)
}

func malformed(pos int, format string, a ...any) *Error {
	return &Error{Code: CodeMalformedQuery, Pos: pos, Detail: fmt.Sprintf(format, a...)}
}

func unexpected(t token) *Error {
	return malformed(t.pos, "unexpected token: '%s'", t.text)
}
