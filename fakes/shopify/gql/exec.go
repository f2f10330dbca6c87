package gql

import (
	"context"
	"fmt"
	"reflect"

	"github.com/vektah/gqlparser/v2/ast"
)

// Resolver produces one field's value from its parent object. It returns a Go value the
// executor completes by the field's type: for scalars and enums string, bool, int, int64,
// float64, json.RawMessage or nil; for objects any value the object's resolvers
// understand; for lists any slice. An error becomes a GraphQL error at the field's path
// and the field's value null (propagating to the nearest nullable parent).
type Resolver func(rc *ResolveContext, parent any) (any, error)

// ResolveContext is what a resolver knows about the field it resolves.
type ResolveContext struct {
	Context context.Context
	// Args are the field's coerced arguments.
	Args  Object
	Field *ast.Field
	Op    *Operation
	// Data is the request-scoped value the caller passed to Execute.
	Data any
}

// Connection is the value of a Relay connection field; the executor resolves edges,
// nodes and pageInfo from it.
type Connection struct {
	Nodes    []any
	Cursors  []string
	PageInfo PageInfo
}

// PageInfo is a connection's pageInfo.
type PageInfo struct {
	HasNextPage     bool
	HasPreviousPage bool
	StartCursor     string
	EndCursor       string
}

type edge struct {
	cursor string
	node   any
}

// Executor runs operations with resolvers registered per type and field. Build it once,
// then use it from any number of goroutines.
type Executor struct {
	schema    *ast.Schema
	resolvers map[string]map[string]Resolver
	typeOf    func(v any) string
}

// NewExecutor makes an executor. typeOf names the concrete object type of a value
// returned for an interface or union field.
func NewExecutor(schema *ast.Schema, typeOf func(v any) string) *Executor {
	e := &Executor{schema: schema, resolvers: map[string]map[string]Resolver{}}
	e.typeOf = func(v any) string {
		if n := introspectionTypeOf(v); n != "" {
			return n
		}
		return typeOf(v)
	}
	if schema.Query != nil && schema.Query.Fields.ForName("__schema") != nil {
		e.registerIntrospection()
	}
	return e
}

// Handle registers the resolver of typeName.fieldName. It panics if the schema has no
// such field: registration happens at start-up and a typo is a programming error.
func (e *Executor) Handle(typeName, fieldName string, r Resolver) {
	def := e.schema.Types[typeName]
	if def == nil || def.Fields.ForName(fieldName) == nil {
		panic(fmt.Sprintf("gql: no field %s.%s in the schema", typeName, fieldName))
	}
	m := e.resolvers[typeName]
	if m == nil {
		m = map[string]Resolver{}
		e.resolvers[typeName] = m
	}
	m[fieldName] = r
}

// Schema is the executor's schema.
func (e *Executor) Schema() *ast.Schema { return e.schema }

// Result is an executed operation.
type Result struct {
	// Data is the JSON of the data object, or "null".
	Data   []byte
	Errors Errors
	// ActualCost is the cost of what was returned (see RequestedCost for the rules).
	ActualCost int64
}

// Execute runs op. data is handed to every resolver. Mutation fields run one after the
// other, in document order.
func (e *Executor) Execute(ctx context.Context, op *Operation, data any) Result {
	x := &execution{e: e, ctx: ctx, op: op, data: data, buf: make([]byte, 0, 1024), b: budget{limit: op.MaxVisits}}
	root := op.Schema.Query
	if op.IsMutation() {
		root = op.Schema.Mutation
	}
	if !x.object(op.Op.SelectionSet, root, root.Name, struct{}{}, nil, modeRoot) {
		x.buf = append(x.buf[:0], "null"...)
	}
	if x.b.over {
		return Result{Data: []byte("null"), Errors: Errors{{Message: ErrTooComplex.Error(), Code: "MAX_COMPLEXITY_EXCEEDED"}}}
	}
	return Result{Data: x.buf, Errors: x.errs, ActualCost: x.cost}
}

type costMode uint8

const (
	modeNormal  costMode = iota
	modeRoot             // the operation's root selection
	modePayload          // inside a mutation payload, outside any connection
)

type execution struct {
	e    *Executor
	ctx  context.Context
	op   *Operation
	data any
	buf  []byte
	errs Errors
	cost int64
	b    budget
}

func (x *execution) fail(f *ast.Field, path []any, err error) {
	ge := asError(err)
	out := *ge
	out.Path = append([]any(nil), path...)
	if f != nil && f.Position != nil && len(out.Locations) == 0 {
		out.Locations = []Location{{Line: f.Position.Line, Column: f.Position.Column}}
	}
	x.errs = append(x.errs, &out)
}

// object writes the selection of value (of concrete type typeName, defined by def) and
// reports false if a non-null field failed, in which case nothing was written.
func (x *execution) object(sel ast.SelectionSet, def *ast.Definition, typeName string, value any, path []any, mode costMode) bool {
	start := len(x.buf)
	x.buf = append(x.buf, '{')
	fields := collect(x.op.Schema, x.op.Doc, sel, typeName, x.op.Vars, &x.b)
	if x.b.over {
		x.buf = x.buf[:start]
		return false
	}
	for i, cf := range fields {
		if i > 0 {
			x.buf = append(x.buf, ',')
		}
		x.buf = AppendString(x.buf, cf.key)
		x.buf = append(x.buf, ':')
		f := cf.first()
		fpath := append(path[:len(path):len(path)], cf.key)
		if f.Name == "__typename" {
			x.buf = AppendString(x.buf, typeName)
			continue
		}
		fd := def.Fields.ForName(f.Name)
		if fd == nil {
			x.fail(f, fpath, fmt.Errorf("Field '%s' doesn't exist on type '%s'", f.Name, typeName))
			x.buf = append(x.buf, "null"...)
			continue
		}
		if mode == modeRoot && x.op.IsMutation() {
			x.cost += 10 // a mutation costs 10 whatever it returns
		}
		v, err := x.resolve(typeName, cf, fd, value)
		fieldStart := len(x.buf)
		ok := err == nil
		if err != nil {
			x.fail(f, fpath, err)
		} else {
			kind := classify(x.op.Schema, def.Name, fd)
			ok = x.complete(cf, fd.Type, v, fpath, x.childMode(kind, mode), kind, false)
		}
		if !ok {
			if fd.Type.NonNull {
				x.buf = x.buf[:start]
				return false
			}
			x.buf = append(x.buf[:fieldStart], "null"...)
		}
	}
	x.buf = append(x.buf, '}')
	return true
}

// childMode says how the objects under a field count.
func (x *execution) childMode(kind fieldKind, mode costMode) costMode {
	if mode == modeRoot {
		if x.op.IsMutation() {
			return modePayload
		}
		return modeNormal
	}
	if kind == kindConnection || kind == kindNode {
		return modeNormal
	}
	return mode
}

func (x *execution) resolve(typeName string, cf *collectedField, fd *ast.FieldDefinition, parent any) (v any, err error) {
	f := cf.first()
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, Errorf("INTERNAL_SERVER_ERROR", "Internal error resolving %s.%s", typeName, f.Name)
		}
	}()
	args, err := FieldArgs(f, x.op.Vars)
	if err != nil {
		return nil, err
	}
	rc := &ResolveContext{Context: x.ctx, Args: args, Field: f, Op: x.op, Data: x.data}
	if r := x.e.resolvers[typeName][f.Name]; r != nil {
		return r(rc, parent)
	}
	return defaultResolve(rc, parent)
}

func defaultResolve(rc *ResolveContext, parent any) (any, error) {
	name := rc.Field.Name
	switch p := parent.(type) {
	case *Connection:
		switch name {
		case "nodes":
			return p.Nodes, nil
		case "edges":
			out := make([]any, len(p.Nodes))
			for i, n := range p.Nodes {
				c := ""
				if i < len(p.Cursors) {
					c = p.Cursors[i]
				}
				out[i] = edge{cursor: c, node: n}
			}
			return out, nil
		case "pageInfo":
			pi := p.PageInfo
			if n := len(p.Cursors); n > 0 && pi.StartCursor == "" && pi.EndCursor == "" {
				pi.StartCursor, pi.EndCursor = p.Cursors[0], p.Cursors[n-1]
			}
			return &pi, nil
		}
	case edge:
		switch name {
		case "cursor":
			return p.cursor, nil
		case "node":
			return p.node, nil
		}
	case *PageInfo:
		switch name {
		case "hasNextPage":
			return p.HasNextPage, nil
		case "hasPreviousPage":
			return p.HasPreviousPage, nil
		case "startCursor":
			if p.StartCursor == "" {
				return nil, nil
			}
			return p.StartCursor, nil
		case "endCursor":
			if p.EndCursor == "" {
				return nil, nil
			}
			return p.EndCursor, nil
		}
	case Object:
		return p[name], nil
	case map[string]any:
		return p[name], nil
	}
	return nil, Errorf("INTERNAL_SERVER_ERROR", "no resolver for field %s", name)
}

// complete writes v by type t; false means a non-null value failed and nothing usable was
// written (the caller truncates). kind is the field's cost class; elem is set for the
// elements of a list.
func (x *execution) complete(cf *collectedField, t *ast.Type, v any, path []any, mode costMode, kind fieldKind, elem bool) bool {
	if isNil(v) {
		if t.NonNull {
			x.fail(cf.first(), path, fmt.Errorf("Cannot return null for non-nullable field"))
			return false
		}
		if kind == kindObject && t.Elem == nil && !elem && mode != modePayload {
			x.cost++ // a null object still costs its own 1 (product(id:) of an unknown id: actual 1)
		}
		x.buf = append(x.buf, "null"...)
		return true
	}
	if t.Elem != nil {
		rv := reflect.ValueOf(v)
		if rv.Kind() != reflect.Slice && rv.Kind() != reflect.Array {
			x.fail(cf.first(), path, fmt.Errorf("internal error: list field returned %T", v))
			return false
		}
		// A plain list of objects counts as one object: only its first element's
		// subtree is charged, so the actual cost never exceeds the requested one.
		plain := kind == kindObject
		start := len(x.buf)
		x.buf = append(x.buf, '[')
		for i := 0; i < rv.Len(); i++ {
			if i > 0 {
				x.buf = append(x.buf, ',')
			}
			before := x.cost
			elemStart := len(x.buf)
			ok := x.complete(cf, t.Elem, rv.Index(i).Interface(), append(path[:len(path):len(path)], i), mode, kind, true)
			if plain && i > 0 {
				x.cost = before
			}
			if !ok {
				if t.Elem.NonNull {
					x.buf = x.buf[:start]
					return false
				}
				x.buf = append(x.buf[:elemStart], "null"...)
			}
		}
		x.buf = append(x.buf, ']')
		return true
	}
	def := x.op.Schema.Types[t.NamedType]
	switch def.Kind {
	case ast.Scalar, ast.Enum:
		x.buf = AppendValue(x.buf, v)
		return true
	}
	typeName := def.Name
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		typeName = x.e.typeOf(v)
		concrete := x.op.Schema.Types[typeName]
		if concrete == nil || !applies(x.op.Schema, def.Name, typeName) {
			x.fail(cf.first(), path, fmt.Errorf("internal error: %T is not a %s", v, def.Name))
			return false
		}
		def = concrete
	}
	switch kind {
	case kindConnection:
		return x.connection(cf, def, typeName, v, path, mode)
	case kindNode:
		x.cost++
	case kindObject:
		if mode != modePayload {
			x.cost++
		}
	}
	return x.object(cf.subSelection(), def, typeName, v, path, mode)
}

// connection writes a connection and charges it 2 plus the scale's multiplier of the
// nodes returned times the cost of a returned node (1 when none was returned).
func (x *execution) connection(cf *collectedField, def *ast.Definition, typeName string, v any, path []any, mode costMode) bool {
	before := x.cost
	ok := x.object(cf.subSelection(), def, typeName, v, path, mode)
	nodes := x.cost - before
	k := int64(0)
	if c, isConn := v.(*Connection); isConn {
		k = int64(len(c.Nodes))
	}
	if x.op.Scale == ScaleLinear {
		x.cost = before + 2 + nodes
		return ok
	}
	per := int64(1)
	if k > 0 {
		per = max(1, (nodes+k-1)/k)
	}
	x.cost = before + 2 + x.op.Scale.Multiplier(max(2, k))*per
	return ok
}

func isNil(v any) bool {
	if v == nil {
		return true
	}
	rv := reflect.ValueOf(v)
	switch rv.Kind() {
	case reflect.Pointer, reflect.Map, reflect.Slice, reflect.Interface:
		return rv.IsNil()
	}
	return false
}
