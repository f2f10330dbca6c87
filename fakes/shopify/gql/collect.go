package gql

import (
	"strings"

	"github.com/vektah/gqlparser/v2/ast"
)

// MaxFieldVisits bounds the work of costing or executing one request: a document whose
// fragments expand to more field selections than this is refused before it runs (a
// "fragment bomb" of free scalar fields would otherwise cost nothing and run forever).
const MaxFieldVisits = 200_000

// collectedField is one response key of a selection set with every field selected under
// it (fields with the same key merge, as the spec's CollectFields says).
type collectedField struct {
	key    string
	fields []*ast.Field
}

func (c *collectedField) first() *ast.Field { return c.fields[0] }

// subSelection merges the selection sets of every field under the key.
func (c *collectedField) subSelection() ast.SelectionSet {
	if len(c.fields) == 1 {
		return c.fields[0].SelectionSet
	}
	var out ast.SelectionSet
	for _, f := range c.fields {
		out = append(out, f.SelectionSet...)
	}
	return out
}

type budget struct {
	visits int
	limit  int // 0: MaxFieldVisits
	over   bool
}

func (b *budget) spend(n int) bool {
	b.visits += n
	limit := b.limit
	if limit == 0 {
		limit = MaxFieldVisits
	}
	if b.visits > limit {
		b.over = true
	}
	return !b.over
}

// collect gathers the fields of sel that apply to an object of concrete type typeName.
func collect(schema *ast.Schema, doc *ast.QueryDocument, sel ast.SelectionSet, typeName string, vars map[string]any, b *budget) []*collectedField {
	var out []*collectedField
	index := map[string]int{}
	var walk func(ast.SelectionSet, int)
	walk = func(s ast.SelectionSet, depth int) {
		if depth > 64 || !b.spend(len(s)) {
			b.over = true
			return
		}
		for _, x := range s {
			switch v := x.(type) {
			case *ast.Field:
				if !included(v.Directives, vars) {
					continue
				}
				key := v.Alias
				if key == "" {
					key = v.Name
				}
				if i, ok := index[key]; ok {
					out[i].fields = append(out[i].fields, v)
					continue
				}
				index[key] = len(out)
				out = append(out, &collectedField{key: key, fields: []*ast.Field{v}})
			case *ast.InlineFragment:
				if !included(v.Directives, vars) || !applies(schema, v.TypeCondition, typeName) {
					continue
				}
				walk(v.SelectionSet, depth+1)
			case *ast.FragmentSpread:
				if !included(v.Directives, vars) {
					continue
				}
				def := v.Definition
				if def == nil && doc != nil {
					def = doc.Fragments.ForName(v.Name)
				}
				if def == nil || !applies(schema, def.TypeCondition, typeName) {
					continue
				}
				walk(def.SelectionSet, depth+1)
			}
		}
	}
	walk(sel, 0)
	return out
}

// applies reports whether a fragment on cond applies to an object of type typeName.
func applies(schema *ast.Schema, cond, typeName string) bool {
	if cond == "" || cond == typeName {
		return true
	}
	def := schema.Types[cond]
	if def == nil {
		return false
	}
	switch def.Kind {
	case ast.Interface, ast.Union:
		for _, p := range schema.GetPossibleTypes(def) {
			if p.Name == typeName {
				return true
			}
		}
	}
	return false
}

// included evaluates @skip and @include.
func included(dirs ast.DirectiveList, vars map[string]any) bool {
	for _, d := range dirs {
		if d.Name != "skip" && d.Name != "include" {
			continue
		}
		a := d.Arguments.ForName("if")
		if a == nil {
			continue
		}
		v, _ := literal(a.Value, vars)
		b, _ := v.(bool)
		if d.Name == "skip" && b {
			return false
		}
		if d.Name == "include" && !b {
			return false
		}
	}
	return true
}

// fieldKind classifies a field for the cost model.
type fieldKind uint8

const (
	kindLeaf       fieldKind = iota // scalar, enum, __typename: free
	kindObject                      // an object, interface or union (or a plain list of them): 1
	kindConnection                  // a Relay connection: 2 + page size x node cost
	kindWrapper                     // edges, pageInfo: free, their contents count
	kindNode                        // node (of an edge) or nodes (of a connection): 1 per object
)

func isConnection(name string) bool { return strings.HasSuffix(name, "Connection") }
func isEdge(name string) bool       { return strings.HasSuffix(name, "Edge") }

func classify(schema *ast.Schema, parent string, f *ast.FieldDefinition) fieldKind {
	if f == nil || f.Name == "__typename" {
		return kindLeaf
	}
	named := f.Type.Name()
	def := schema.Types[named]
	if def == nil || def.Kind == ast.Scalar || def.Kind == ast.Enum {
		return kindLeaf
	}
	switch {
	case isConnection(parent) && f.Name == "nodes", isEdge(parent) && f.Name == "node":
		return kindNode
	case isConnection(parent), isEdge(parent):
		return kindWrapper
	case isConnection(named):
		return kindConnection
	}
	return kindObject
}

// pageSize reads first or last (first wins) of a connection field.
func pageSize(args Object) int64 {
	if n, ok := args.Int("first"); ok {
		return max(n, 0)
	}
	if n, ok := args.Int("last"); ok {
		return max(n, 0)
	}
	return 0
}
