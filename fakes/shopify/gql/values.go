package gql

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"

	"github.com/vektah/gqlparser/v2/ast"
)

// Values reach resolvers as int64 (Int), float64 (Float), string (String, ID, enums,
// custom scalars), bool, nil, []any (lists) and Object (input objects). An Object keeps
// which fields were given: a field set to null is present with a nil value, a field left
// out is absent, a difference Shopify's changeFromQuantity depends on.

// Object is an input object or an argument map.
type Object map[string]any

// Has reports whether name was given (possibly as null).
func (o Object) Has(name string) bool { _, ok := o[name]; return ok }

// String returns a string value; ok is false when absent, null or not a string.
func (o Object) String(name string) (string, bool) {
	s, ok := o[name].(string)
	return s, ok
}

// Int returns an integer value.
func (o Object) Int(name string) (int64, bool) {
	n, ok := o[name].(int64)
	return n, ok
}

// Bool returns a boolean value.
func (o Object) Bool(name string) (bool, bool) {
	b, ok := o[name].(bool)
	return b, ok
}

// Object returns a nested input object.
func (o Object) Object(name string) (Object, bool) {
	m, ok := o[name].(Object)
	return m, ok
}

// List returns a list value.
func (o Object) List(name string) ([]any, bool) {
	l, ok := o[name].([]any)
	return l, ok
}

// Strings returns a list of strings (a single string counts as a list of one).
func (o Object) Strings(name string) ([]string, bool) {
	switch v := o[name].(type) {
	case string:
		return []string{v}, true
	case []any:
		out := make([]string, 0, len(v))
		for _, e := range v {
			s, ok := e.(string)
			if !ok {
				return nil, false
			}
			out = append(out, s)
		}
		return out, true
	}
	return nil, false
}

// Canonical is a stable JSON encoding of a value (map keys sorted by encoding/json), used
// to compare the arguments of two requests.
func Canonical(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprintf("%v", v)
	}
	return string(b)
}

// coerceJSON converts a variable's decoded JSON to resolver values, by type.
func coerceJSON(schema *ast.Schema, t *ast.Type, v any) (any, error) {
	if v == nil {
		if t.NonNull {
			return nil, fmt.Errorf("Expected value to not be null")
		}
		return nil, nil
	}
	if t.Elem != nil {
		list, ok := v.([]any)
		if !ok {
			list = []any{v}
		}
		out := make([]any, len(list))
		for i, e := range list {
			c, err := coerceJSON(schema, t.Elem, e)
			if err != nil {
				return nil, fmt.Errorf("[%d]: %w", i, err)
			}
			out[i] = c
		}
		return out, nil
	}
	def := schema.Types[t.NamedType]
	if def == nil {
		return nil, fmt.Errorf("unknown type %s", t.NamedType)
	}
	switch def.Kind {
	case ast.InputObject:
		m, ok := v.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("Expected %s to be an object", def.Name)
		}
		out := make(Object, len(m))
		for _, f := range def.Fields {
			fv, present := m[f.Name]
			if !present {
				if f.DefaultValue != nil {
					dv, err := literal(f.DefaultValue, nil)
					if err != nil {
						return nil, err
					}
					out[f.Name] = dv
				} else if f.Type.NonNull {
					return nil, fmt.Errorf("%s: Expected value to not be null", f.Name)
				}
				continue
			}
			c, err := coerceJSON(schema, f.Type, fv)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f.Name, err)
			}
			out[f.Name] = c
		}
		for k := range m {
			if def.Fields.ForName(k) == nil {
				return nil, fmt.Errorf("Field is not defined on %s: %s", def.Name, k)
			}
		}
		return out, nil
	case ast.Enum:
		s, ok := v.(string)
		if !ok || def.EnumValues.ForName(s) == nil {
			return nil, fmt.Errorf("Expected %v to be one of: %s", v, enumNames(def))
		}
		return s, nil
	}
	switch t.NamedType {
	case "Int":
		return toInt(v)
	case "Float":
		switch x := v.(type) {
		case json.Number:
			f, err := x.Float64()
			if err != nil || math.IsInf(f, 0) {
				return nil, fmt.Errorf("Could not coerce value %s to Float", x)
			}
			return f, nil
		case float64:
			return x, nil
		}
		return nil, fmt.Errorf("Could not coerce value %v to Float", v)
	case "Boolean":
		b, ok := v.(bool)
		if !ok {
			return nil, fmt.Errorf("Could not coerce value %v to Boolean", v)
		}
		return b, nil
	case "String":
		s, ok := v.(string)
		if !ok {
			return nil, fmt.Errorf("Could not coerce value %v to String", v)
		}
		return s, nil
	}
	// ID and custom scalars arrive as strings; numbers are accepted in their JSON form.
	switch x := v.(type) {
	case string:
		return x, nil
	case json.Number:
		return x.String(), nil
	case bool:
		return strconv.FormatBool(x), nil
	}
	return nil, fmt.Errorf("Could not coerce value to %s", t.NamedType)
}

func enumNames(def *ast.Definition) string {
	s := ""
	for i, v := range def.EnumValues {
		if i > 0 {
			s += ", "
		}
		s += v.Name
	}
	return s
}

func toInt(v any) (int64, error) {
	var n int64
	switch x := v.(type) {
	case json.Number:
		i, err := strconv.ParseInt(string(x), 10, 64)
		if err != nil {
			f, ferr := x.Float64()
			if ferr != nil || f != math.Trunc(f) || math.Abs(f) > math.MaxInt32 {
				return 0, fmt.Errorf("Could not coerce value %s to Int", x)
			}
			i = int64(f)
		}
		n = i
	case float64:
		if x != math.Trunc(x) || math.Abs(x) > math.MaxInt32 {
			return 0, fmt.Errorf("Could not coerce value %v to Int", x)
		}
		n = int64(x)
	case int64:
		n = x
	case int:
		n = int64(x)
	case string:
		i, err := strconv.ParseInt(x, 10, 64)
		if err != nil {
			return 0, fmt.Errorf("Could not coerce value %q to Int", x)
		}
		n = i
	default:
		return 0, fmt.Errorf("Could not coerce value %v to Int", v)
	}
	if n > math.MaxInt32 || n < math.MinInt32 {
		return 0, fmt.Errorf("Could not coerce value %d to Int (32-bit signed)", n)
	}
	return n, nil
}

// literal converts an AST value, resolving variables from vars. Object fields whose value
// is a variable that was not supplied are left out (absent), per the GraphQL spec.
func literal(v *ast.Value, vars map[string]any) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch v.Kind {
	case ast.Variable:
		return vars[v.Raw], nil
	case ast.IntValue:
		n, err := strconv.ParseInt(v.Raw, 10, 64)
		if err != nil || n > math.MaxInt32 || n < math.MinInt32 {
			if v.ExpectedType != nil && v.ExpectedType.NamedType == "Float" {
				f, ferr := strconv.ParseFloat(v.Raw, 64)
				if ferr == nil {
					return f, nil
				}
			}
			if v.ExpectedType != nil && v.ExpectedType.NamedType != "Int" && v.ExpectedType.NamedType != "Float" {
				return v.Raw, nil // ID or a custom scalar written as a number
			}
			return nil, fmt.Errorf("Could not coerce value %s to Int (32-bit signed)", v.Raw)
		}
		if v.ExpectedType != nil {
			switch v.ExpectedType.NamedType {
			case "Float":
				return float64(n), nil
			case "Int":
			default:
				return v.Raw, nil
			}
		}
		return n, nil
	case ast.FloatValue:
		f, err := strconv.ParseFloat(v.Raw, 64)
		if err != nil {
			return nil, fmt.Errorf("Could not coerce value %s to Float", v.Raw)
		}
		if v.ExpectedType != nil && v.ExpectedType.NamedType != "Float" {
			return v.Raw, nil
		}
		return f, nil
	case ast.StringValue, ast.BlockValue, ast.EnumValue:
		return v.Raw, nil
	case ast.BooleanValue:
		return v.Raw == "true", nil
	case ast.NullValue:
		return nil, nil
	case ast.ListValue:
		out := make([]any, 0, len(v.Children))
		for _, c := range v.Children {
			e, err := literal(c.Value, vars)
			if err != nil {
				return nil, err
			}
			out = append(out, e)
		}
		return out, nil
	case ast.ObjectValue:
		out := make(Object, len(v.Children))
		for _, c := range v.Children {
			if c.Value != nil && c.Value.Kind == ast.Variable {
				if _, ok := vars[c.Value.Raw]; !ok {
					continue
				}
			}
			e, err := literal(c.Value, vars)
			if err != nil {
				return nil, err
			}
			out[c.Name] = e
		}
		if v.Definition != nil {
			for _, f := range v.Definition.Fields {
				if _, ok := out[f.Name]; !ok && f.DefaultValue != nil {
					dv, err := literal(f.DefaultValue, nil)
					if err != nil {
						return nil, err
					}
					out[f.Name] = dv
				}
			}
		}
		return out, nil
	}
	return nil, fmt.Errorf("unsupported value kind %d", v.Kind)
}

// FieldArgs returns a field's arguments: those written (literal or supplied variable) and
// defaults for the rest. An argument given as an unsupplied variable is absent.
func FieldArgs(f *ast.Field, vars map[string]any) (Object, error) {
	out := Object{}
	if f.Definition == nil {
		return out, nil
	}
	for _, def := range f.Definition.Arguments {
		a := f.Arguments.ForName(def.Name)
		if a != nil && !(a.Value.Kind == ast.Variable && !hasVar(vars, a.Value.Raw)) {
			v, err := literal(a.Value, vars)
			if err != nil {
				return nil, err
			}
			out[def.Name] = v
			continue
		}
		if def.DefaultValue != nil {
			v, err := literal(def.DefaultValue, nil)
			if err != nil {
				return nil, err
			}
			out[def.Name] = v
		}
	}
	return out, nil
}

func hasVar(vars map[string]any, name string) bool { _, ok := vars[name]; return ok }

// DirectiveArgs returns a directive's arguments.
func DirectiveArgs(d *ast.Directive, vars map[string]any) (Object, error) {
	out := Object{}
	for _, a := range d.Arguments {
		if a.Value.Kind == ast.Variable && !hasVar(vars, a.Value.Raw) {
			continue
		}
		v, err := literal(a.Value, vars)
		if err != nil {
			return nil, err
		}
		out[a.Name] = v
	}
	return out, nil
}
