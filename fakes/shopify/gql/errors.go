package gql

import (
	"errors"
	"fmt"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
)

// Error is one entry of a GraphQL response's errors array, in Shopify's shape:
//
//	{"message": "...", "locations": [{"line": 1, "column": 9}], "path": ["order"],
//	 "extensions": {"code": "..."}}
type Error struct {
	Message   string
	Locations []Location
	// Path is the response path: field names (string) and list indexes (int).
	Path []any
	// Code, when set, is written as extensions.code.
	Code string
	// Extensions are written after code, in order.
	Extensions []Extension
}

// Location is a position in the query text, 1-based.
type Location struct{ Line, Column int }

// Extension is one extra key of an error's extensions object. Value is written with
// encoding/json.
type Extension struct {
	Key   string
	Value any
}

func (e *Error) Error() string { return e.Message }

// Errorf makes a resolver error with a code; the executor adds locations and path.
func Errorf(code, format string, a ...any) *Error {
	return &Error{Message: fmt.Sprintf(format, a...), Code: code}
}

// Errors is a list of GraphQL errors.
type Errors []*Error

func (l Errors) Error() string {
	if len(l) == 0 {
		return "no errors"
	}
	return l[0].Message
}

// fromParser converts gqlparser's errors (syntax and validation). Validation rules are
// reported with graphql-ruby's codes where Shopify clients are known to branch on them.
func fromParser(list gqlerror.List) Errors {
	out := make(Errors, 0, len(list))
	for _, e := range list {
		ge := &Error{Message: e.Message}
		for _, l := range e.Locations {
			ge.Locations = append(ge.Locations, Location{Line: l.Line, Column: l.Column})
		}
		for _, p := range e.Path {
			switch v := p.(type) {
			case ast.PathName:
				ge.Path = append(ge.Path, string(v))
			case ast.PathIndex:
				ge.Path = append(ge.Path, int(v))
			}
		}
		if code, ok := ruleCodes[e.Rule]; ok {
			ge.Code = code
		} else if e.Rule != "" {
			ge.Code = "GRAPHQL_VALIDATION_FAILED"
		} else {
			ge.Code = "GRAPHQL_PARSE_FAILED"
		}
		out = append(out, ge)
	}
	return out
}

// ruleCodes maps gqlparser rule names to the codes graphql-ruby (Shopify's engine) uses.
var ruleCodes = map[string]string{
	"FieldsOnCorrectType":       "undefinedField",
	"KnownArgumentNames":        "argumentNotAccepted",
	"ProvidedRequiredArguments": "missingRequiredArguments",
	"KnownTypeNames":            "undefinedType",
	"NoUndefinedVariables":      "undefinedVariable",
	"NoUnusedVariables":         "variableNotUsed",
	"ValuesOfCorrectType":       "argumentLiteralsIncompatible",
	"KnownDirectives":           "undefinedDirective",
	"ScalarLeafs":               "selectionMismatch",
	"NoUnusedFragments":         "useAndDefineFragment",
	"KnownFragmentNames":        "useAndDefineFragment",
	"NoFragmentCycles":          "infiniteLoop",
}

func asError(err error) *Error {
	var ge *Error
	if errors.As(err, &ge) {
		return ge
	}
	return &Error{Message: err.Error()}
}

// appendJSON writes the error.
func (e *Error) appendJSON(b []byte) []byte {
	b = append(b, `{"message":`...)
	b = AppendString(b, e.Message)
	if len(e.Locations) > 0 {
		b = append(b, `,"locations":[`...)
		for i, l := range e.Locations {
			if i > 0 {
				b = append(b, ',')
			}
			b = append(b, `{"line":`...)
			b = strconv.AppendInt(b, int64(l.Line), 10)
			b = append(b, `,"column":`...)
			b = strconv.AppendInt(b, int64(l.Column), 10)
			b = append(b, '}')
		}
		b = append(b, ']')
	}
	if len(e.Path) > 0 {
		b = append(b, `,"path":`...)
		b = appendPath(b, e.Path)
	}
	if e.Code != "" || len(e.Extensions) > 0 {
		b = append(b, `,"extensions":{`...)
		first := true
		if e.Code != "" {
			b = append(b, `"code":`...)
			b = AppendString(b, e.Code)
			first = false
		}
		for _, x := range e.Extensions {
			if !first {
				b = append(b, ',')
			}
			first = false
			b = AppendString(b, x.Key)
			b = append(b, ':')
			b = AppendValue(b, x.Value)
		}
		b = append(b, '}')
	}
	return append(b, '}')
}

func appendPath(b []byte, path []any) []byte {
	b = append(b, '[')
	for i, p := range path {
		if i > 0 {
			b = append(b, ',')
		}
		switch v := p.(type) {
		case int:
			b = strconv.AppendInt(b, int64(v), 10)
		case string:
			b = AppendString(b, v)
		}
	}
	return append(b, ']')
}

// AppendErrors writes a JSON array of errors.
func AppendErrors(b []byte, errs Errors) []byte {
	b = append(b, '[')
	for i, e := range errs {
		if i > 0 {
			b = append(b, ',')
		}
		b = e.appendJSON(b)
	}
	return append(b, ']')
}
