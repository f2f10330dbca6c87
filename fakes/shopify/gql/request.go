// Package gql runs GraphQL requests against a schema written in SDL: it parses and
// validates them with gqlparser, computes Shopify's calculated query cost from the
// validated document, and executes them with resolvers, writing the response JSON
// directly (aliases, fragments, variables, __typename, null propagation, error paths).
//
// It knows nothing about Shopify's data: the fake supplies the schema and the resolvers.
// Every function is safe for concurrent use; an Executor is immutable once built.
package gql

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/vektah/gqlparser/v2"
	"github.com/vektah/gqlparser/v2/ast"
	"github.com/vektah/gqlparser/v2/gqlerror"
	"github.com/vektah/gqlparser/v2/parser"
	"github.com/vektah/gqlparser/v2/validator"
)

// MaxTokens bounds the size of a query document (the lexer's token count).
const MaxTokens = 15_000

// LoadSchema parses SDL into a schema (the GraphQL prelude is added).
func LoadSchema(name, sdl string) (*ast.Schema, error) {
	s, err := gqlparser.LoadSchema(&ast.Source{Name: name, Input: sdl})
	if err != nil {
		return nil, fmt.Errorf("gql: schema %s: %w", name, err)
	}
	return s, nil
}

// Operation is a parsed, validated operation ready to cost and execute.
type Operation struct {
	Schema *ast.Schema
	Doc    *ast.QueryDocument
	Op     *ast.OperationDefinition
	// Vars are the coerced variable values: int64, float64, string, bool, nil, []any,
	// map[string]any.
	Vars map[string]any
	// Scale is how connections' page sizes multiply costs (ScaleLog unless set).
	Scale ConnectionScale
	// MaxVisits bounds the field selections one execution may expand (0: MaxFieldVisits).
	// A bulk query, whose connections return every node, raises it.
	MaxVisits int
}

// IsMutation reports whether the operation is a mutation.
func (o *Operation) IsMutation() bool { return o.Op.Operation == ast.Mutation }

// Prepare parses query, validates it against schema, picks the operation (operationName
// may be empty when there is one) and coerces the variables (a JSON object, or empty).
// Errors are GraphQL errors ready to render.
func Prepare(schema *ast.Schema, query, operationName string, variables json.RawMessage) (op *Operation, errs Errors) {
	defer func() {
		// The parser and validator are third-party code fed untrusted input; a panic
		// there must become an error response, never a crashed request.
		if r := recover(); r != nil {
			op, errs = nil, Errors{{Message: fmt.Sprintf("query could not be processed: %v", r), Code: "GRAPHQL_PARSE_FAILED"}}
		}
	}()
	doc, err := parser.ParseQueryWithTokenLimit(&ast.Source{Input: query}, MaxTokens)
	if err != nil {
		if ge, ok := err.(*gqlerror.Error); ok {
			return nil, fromParser(gqlerror.List{ge})
		}
		return nil, Errors{{Message: err.Error(), Code: "GRAPHQL_PARSE_FAILED"}}
	}
	if list := validator.ValidateWithRules(schema, doc, nil); len(list) > 0 {
		return nil, fromParser(list)
	}
	return prepareDocument(schema, doc, operationName, variables)
}

// prepareDocument picks the operation of a validated document and coerces the variables.
func prepareDocument(schema *ast.Schema, doc *ast.QueryDocument, operationName string, variables json.RawMessage) (op *Operation, errs Errors) {
	defer func() {
		if r := recover(); r != nil {
			op, errs = nil, Errors{{Message: fmt.Sprintf("variables could not be processed: %v", r), Code: "INVALID_VARIABLE"}}
		}
	}()
	var def *ast.OperationDefinition
	switch {
	case operationName != "":
		def = doc.Operations.ForName(operationName)
		if def == nil {
			return nil, Errors{{Message: fmt.Sprintf("No operation named %q", operationName)}}
		}
	case len(doc.Operations) == 1:
		def = doc.Operations[0]
	case len(doc.Operations) == 0:
		return nil, Errors{{Message: "No operations in query document"}}
	default:
		return nil, Errors{{Message: "An operation name is required"}}
	}
	if def.Operation == ast.Subscription {
		return nil, Errors{{Message: "Subscriptions are not supported"}}
	}
	vars := map[string]any{}
	if len(bytes.TrimSpace(variables)) > 0 && string(bytes.TrimSpace(variables)) != "null" {
		dec := json.NewDecoder(bytes.NewReader(variables))
		dec.UseNumber()
		if err := dec.Decode(&vars); err != nil {
			return nil, Errors{{Message: "Variables are invalid JSON: " + err.Error()}}
		}
	}
	if _, err := validator.VariableValues(schema, def, vars); err != nil {
		ge := &Error{Message: err.Error(), Code: "INVALID_VARIABLE"}
		if e, ok := err.(*gqlerror.Error); ok {
			ge = fromParser(gqlerror.List{e})[0]
			ge.Code = "INVALID_VARIABLE"
			ge.Path = nil
			ge.Message = "Variable " + pathString(e.Path) + " " + e.Message
		}
		return nil, Errors{ge}
	}
	coerced := make(map[string]any, len(def.VariableDefinitions))
	for _, vd := range def.VariableDefinitions {
		v, ok := vars[vd.Variable]
		if !ok {
			if vd.DefaultValue == nil {
				continue
			}
			dv, err := literal(vd.DefaultValue, nil)
			if err != nil {
				return nil, Errors{{Message: err.Error(), Code: "INVALID_VARIABLE"}}
			}
			coerced[vd.Variable] = dv
			continue
		}
		cv, err := coerceJSON(schema, vd.Type, v)
		if err != nil {
			return nil, Errors{{Message: fmt.Sprintf("Variable $%s of type %s was provided invalid value: %v", vd.Variable, vd.Type.String(), err), Code: "INVALID_VARIABLE"}}
		}
		coerced[vd.Variable] = cv
	}
	return &Operation{Schema: schema, Doc: doc, Op: def, Vars: coerced}, nil
}

func pathString(p ast.Path) string {
	s := ""
	for i, e := range p {
		switch v := e.(type) {
		case ast.PathName:
			if i == 1 {
				s += "$" + string(v)
			} else if i > 1 {
				s += "." + string(v)
			}
		case ast.PathIndex:
			s += fmt.Sprintf("[%d]", int(v))
		}
	}
	return s
}
