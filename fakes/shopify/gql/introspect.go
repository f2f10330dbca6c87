package gql

import (
	"sort"
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// Introspection (__schema, __type) answered from the executor's schema, as clients that
// fetch the schema at run time expect (GraphQL spec §4.2). The schema's own types come
// first in name order, then the built-in ones. Introspection fields cost what the
// documented rules give any field: each object 1, a list once.

// introType is a __Type: a named type, or a LIST / NON_NULL wrapper of one.
type introType struct {
	def  *ast.Definition // named types
	wrap string          // "LIST" or "NON_NULL" for wrappers
	of   *introType
}

type introSchema struct{ s *ast.Schema }

func typeRef(s *ast.Schema, t *ast.Type) *introType {
	if t == nil {
		return nil
	}
	var inner *introType
	if t.Elem != nil {
		inner = &introType{wrap: "LIST", of: typeRef(s, &ast.Type{Elem: t.Elem.Elem, NamedType: t.Elem.NamedType, NonNull: t.Elem.NonNull})}
	} else {
		def := s.Types[t.NamedType]
		if def == nil {
			return nil
		}
		inner = &introType{def: def}
	}
	if t.NonNull {
		return &introType{wrap: "NON_NULL", of: inner}
	}
	return inner
}

func deprecation(dirs ast.DirectiveList) (bool, any) {
	d := dirs.ForName("deprecated")
	if d == nil {
		return false, nil
	}
	reason := "No longer supported"
	if a := d.Arguments.ForName("reason"); a != nil && a.Value != nil {
		reason = a.Value.Raw
	}
	return true, reason
}

func optString(s string) any {
	if s == "" {
		return nil
	}
	return s
}

func includeDeprecated(rc *ResolveContext) bool {
	b, _ := rc.Args.Bool("includeDeprecated")
	return b
}

// introspectionTypeOf names the introspection type of a value, or "".
func introspectionTypeOf(v any) string {
	switch v.(type) {
	case introSchema:
		return "__Schema"
	case *introType:
		return "__Type"
	case *ast.FieldDefinition:
		return "__Field"
	case introInput:
		return "__InputValue"
	case *ast.EnumValueDefinition:
		return "__EnumValue"
	case *ast.DirectiveDefinition:
		return "__Directive"
	}
	return ""
}

// introInput is an __InputValue: an argument or an input object's field.
type introInput struct {
	name, desc string
	typ        *ast.Type
	def        *ast.Value
	dirs       ast.DirectiveList
}

func inputsOf(args ast.ArgumentDefinitionList, all bool) []any {
	out := []any{}
	for _, a := range args {
		if dep, _ := deprecation(a.Directives); dep && !all {
			continue
		}
		out = append(out, introInput{name: a.Name, desc: a.Description, typ: a.Type, def: a.DefaultValue, dirs: a.Directives})
	}
	return out
}

// registerIntrospection registers the resolvers of the introspection types.
func (e *Executor) registerIntrospection() {
	s := e.schema
	h := func(typeName string, fields map[string]Resolver) {
		for f, r := range fields {
			e.Handle(typeName, f, r)
		}
	}
	root := s.Query.Name
	e.Handle(root, "__schema", func(*ResolveContext, any) (any, error) { return introSchema{s}, nil })
	e.Handle(root, "__type", func(rc *ResolveContext, _ any) (any, error) {
		name, _ := rc.Args.String("name")
		if def := s.Types[name]; def != nil {
			return &introType{def: def}, nil
		}
		return nil, nil
	})
	h("__Schema", map[string]Resolver{
		"description": func(*ResolveContext, any) (any, error) { return optString(s.Description), nil },
		"types": func(*ResolveContext, any) (any, error) {
			names := make([]string, 0, len(s.Types))
			for n := range s.Types {
				names = append(names, n)
			}
			sort.Slice(names, func(i, j int) bool {
				bi, bj := s.Types[names[i]].BuiltIn, s.Types[names[j]].BuiltIn
				if bi != bj {
					return !bi
				}
				return names[i] < names[j]
			})
			out := make([]any, len(names))
			for i, n := range names {
				out[i] = &introType{def: s.Types[n]}
			}
			return out, nil
		},
		"queryType": func(*ResolveContext, any) (any, error) { return &introType{def: s.Query}, nil },
		"mutationType": func(*ResolveContext, any) (any, error) {
			if s.Mutation == nil {
				return nil, nil
			}
			return &introType{def: s.Mutation}, nil
		},
		"subscriptionType": func(*ResolveContext, any) (any, error) {
			if s.Subscription == nil {
				return nil, nil
			}
			return &introType{def: s.Subscription}, nil
		},
		"directives": func(*ResolveContext, any) (any, error) {
			names := make([]string, 0, len(s.Directives))
			for n := range s.Directives {
				names = append(names, n)
			}
			sort.Strings(names)
			out := make([]any, len(names))
			for i, n := range names {
				out[i] = s.Directives[n]
			}
			return out, nil
		},
	})
	named := func(p any) *ast.Definition { return p.(*introType).def }
	h("__Type", map[string]Resolver{
		"kind": func(_ *ResolveContext, p any) (any, error) {
			t := p.(*introType)
			if t.wrap != "" {
				return t.wrap, nil
			}
			return string(t.def.Kind), nil
		},
		"name": func(_ *ResolveContext, p any) (any, error) {
			if d := named(p); d != nil {
				return d.Name, nil
			}
			return nil, nil
		},
		"description": func(_ *ResolveContext, p any) (any, error) {
			if d := named(p); d != nil {
				return optString(d.Description), nil
			}
			return nil, nil
		},
		"specifiedByURL": func(_ *ResolveContext, p any) (any, error) {
			if d := named(p); d != nil && d.Kind == ast.Scalar {
				if dir := d.Directives.ForName("specifiedBy"); dir != nil {
					if a := dir.Arguments.ForName("url"); a != nil && a.Value != nil {
						return a.Value.Raw, nil
					}
				}
			}
			return nil, nil
		},
		"fields": func(rc *ResolveContext, p any) (any, error) {
			d := named(p)
			if d == nil || (d.Kind != ast.Object && d.Kind != ast.Interface) {
				return nil, nil
			}
			all := includeDeprecated(rc)
			out := []any{}
			for _, f := range d.Fields {
				if strings.HasPrefix(f.Name, "__") {
					continue
				}
				if dep, _ := deprecation(f.Directives); dep && !all {
					continue
				}
				out = append(out, f)
			}
			return out, nil
		},
		"interfaces": func(_ *ResolveContext, p any) (any, error) {
			d := named(p)
			if d == nil || (d.Kind != ast.Object && d.Kind != ast.Interface) {
				return nil, nil
			}
			out := []any{}
			for _, n := range d.Interfaces {
				if def := s.Types[n]; def != nil {
					out = append(out, &introType{def: def})
				}
			}
			return out, nil
		},
		"possibleTypes": func(_ *ResolveContext, p any) (any, error) {
			d := named(p)
			if d == nil || (d.Kind != ast.Interface && d.Kind != ast.Union) {
				return nil, nil
			}
			out := []any{}
			for _, def := range s.GetPossibleTypes(d) {
				out = append(out, &introType{def: def})
			}
			return out, nil
		},
		"enumValues": func(rc *ResolveContext, p any) (any, error) {
			d := named(p)
			if d == nil || d.Kind != ast.Enum {
				return nil, nil
			}
			all := includeDeprecated(rc)
			out := []any{}
			for _, v := range d.EnumValues {
				if dep, _ := deprecation(v.Directives); dep && !all {
					continue
				}
				out = append(out, v)
			}
			return out, nil
		},
		"inputFields": func(rc *ResolveContext, p any) (any, error) {
			d := named(p)
			if d == nil || d.Kind != ast.InputObject {
				return nil, nil
			}
			all := includeDeprecated(rc)
			out := []any{}
			for _, f := range d.Fields {
				if dep, _ := deprecation(f.Directives); dep && !all {
					continue
				}
				out = append(out, introInput{name: f.Name, desc: f.Description, typ: f.Type, def: f.DefaultValue, dirs: f.Directives})
			}
			return out, nil
		},
		"ofType": func(_ *ResolveContext, p any) (any, error) {
			if t := p.(*introType).of; t != nil {
				return t, nil
			}
			return nil, nil
		},
		"isOneOf": func(_ *ResolveContext, p any) (any, error) {
			if d := named(p); d != nil && d.Kind == ast.InputObject {
				return d.Directives.ForName("oneOf") != nil, nil
			}
			return nil, nil
		},
	})
	h("__Field", map[string]Resolver{
		"name": func(_ *ResolveContext, p any) (any, error) { return p.(*ast.FieldDefinition).Name, nil },
		"description": func(_ *ResolveContext, p any) (any, error) {
			return optString(p.(*ast.FieldDefinition).Description), nil
		},
		"args": func(rc *ResolveContext, p any) (any, error) {
			return inputsOf(p.(*ast.FieldDefinition).Arguments, includeDeprecated(rc)), nil
		},
		"type": func(_ *ResolveContext, p any) (any, error) { return typeRef(s, p.(*ast.FieldDefinition).Type), nil },
		"isDeprecated": func(_ *ResolveContext, p any) (any, error) {
			dep, _ := deprecation(p.(*ast.FieldDefinition).Directives)
			return dep, nil
		},
		"deprecationReason": func(_ *ResolveContext, p any) (any, error) {
			_, r := deprecation(p.(*ast.FieldDefinition).Directives)
			return r, nil
		},
	})
	h("__InputValue", map[string]Resolver{
		"name":        func(_ *ResolveContext, p any) (any, error) { return p.(introInput).name, nil },
		"description": func(_ *ResolveContext, p any) (any, error) { return optString(p.(introInput).desc), nil },
		"type":        func(_ *ResolveContext, p any) (any, error) { return typeRef(s, p.(introInput).typ), nil },
		"defaultValue": func(_ *ResolveContext, p any) (any, error) {
			if v := p.(introInput).def; v != nil {
				return v.String(), nil
			}
			return nil, nil
		},
		"isDeprecated": func(_ *ResolveContext, p any) (any, error) {
			dep, _ := deprecation(p.(introInput).dirs)
			return dep, nil
		},
		"deprecationReason": func(_ *ResolveContext, p any) (any, error) {
			_, r := deprecation(p.(introInput).dirs)
			return r, nil
		},
	})
	h("__EnumValue", map[string]Resolver{
		"name": func(_ *ResolveContext, p any) (any, error) { return p.(*ast.EnumValueDefinition).Name, nil },
		"description": func(_ *ResolveContext, p any) (any, error) {
			return optString(p.(*ast.EnumValueDefinition).Description), nil
		},
		"isDeprecated": func(_ *ResolveContext, p any) (any, error) {
			dep, _ := deprecation(p.(*ast.EnumValueDefinition).Directives)
			return dep, nil
		},
		"deprecationReason": func(_ *ResolveContext, p any) (any, error) {
			_, r := deprecation(p.(*ast.EnumValueDefinition).Directives)
			return r, nil
		},
	})
	h("__Directive", map[string]Resolver{
		"name": func(_ *ResolveContext, p any) (any, error) { return p.(*ast.DirectiveDefinition).Name, nil },
		"description": func(_ *ResolveContext, p any) (any, error) {
			return optString(p.(*ast.DirectiveDefinition).Description), nil
		},
		"isRepeatable": func(_ *ResolveContext, p any) (any, error) { return p.(*ast.DirectiveDefinition).IsRepeatable, nil },
		"locations": func(_ *ResolveContext, p any) (any, error) {
			locs := p.(*ast.DirectiveDefinition).Locations
			out := make([]any, len(locs))
			for i, l := range locs {
				out[i] = string(l)
			}
			return out, nil
		},
		"args": func(rc *ResolveContext, p any) (any, error) {
			return inputsOf(p.(*ast.DirectiveDefinition).Arguments, includeDeprecated(rc)), nil
		},
	})
}
