package gql

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/vektah/gqlparser/v2/ast"
)

// Bulk query support: the static rules a bulk query must meet, and the JSONL layout of
// its result (shopify.dev bulk operations guide; BulkOperationRunQueryPayload: "The query
// must include at least one connection field and supports up to five connections with a
// maximum nesting depth of two levels"): every node of a connection is a line of its own,
// and the nodes of a nested connection carry "__parentId", the id of the node they belong
// to, and come after it. Objects that are not connection nodes stay inline.

// Limits of a bulk query.
const (
	MaxBulkConnections  = 5
	MaxBulkNestingDepth = 2
)

// BulkQueryError is a bulk query that breaks a rule; its message is the userError's.
type BulkQueryError struct{ Message string }

func (e *BulkQueryError) Error() string { return e.Message }

// CheckBulkQuery checks a validated query against the bulk rules: a query (not a
// mutation) without variables, no top-level node or nodes field, at least one and at most
// MaxBulkConnections connections, nested at most MaxBulkNestingDepth deep, none inside a
// list, and every node that has a nested connection selecting its id (the children's
// __parentId).
func CheckBulkQuery(op *Operation) error {
	if op.IsMutation() {
		return &BulkQueryError{"Bulk queries must be a query operation, not a mutation."}
	}
	if len(op.Op.VariableDefinitions) > 0 {
		return &BulkQueryError{"Bulk queries cannot use variables."}
	}
	c := &bulkChecker{op: op}
	for _, cf := range collect(op.Schema, op.Doc, op.Op.SelectionSet, op.Schema.Query.Name, op.Vars, &c.b) {
		if n := cf.first().Name; n == "node" || n == "nodes" {
			return &BulkQueryError{"The top-level `node` and `nodes` fields can't be used in bulk queries."}
		}
	}
	if err := c.walk(op.Op.SelectionSet, op.Schema.Query, 0, false); err != nil {
		return err
	}
	switch {
	case c.b.over:
		return ErrTooComplex
	case c.connections == 0:
		return &BulkQueryError{"Bulk queries must contain at least one connection."}
	case c.connections > MaxBulkConnections:
		return &BulkQueryError{fmt.Sprintf("Bulk queries cannot contain more than %d connections.", MaxBulkConnections)}
	}
	return nil
}

type bulkChecker struct {
	op          *Operation
	b           budget
	connections int
}

func (c *bulkChecker) walk(sel ast.SelectionSet, def *ast.Definition, depth int, inList bool) error {
	types := []*ast.Definition{def}
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		types = c.op.Schema.GetPossibleTypes(def)
	}
	for _, t := range types {
		for _, cf := range collect(c.op.Schema, c.op.Doc, sel, t.Name, c.op.Vars, &c.b) {
			fd := t.Fields.ForName(cf.first().Name)
			if fd == nil {
				continue
			}
			kind := classify(c.op.Schema, t.Name, fd)
			child := c.op.Schema.Types[fd.Type.Name()]
			switch kind {
			case kindLeaf:
				continue
			case kindConnection:
				if inList {
					return &BulkQueryError{"Queries that contain a connection field within a list field are not currently supported."}
				}
				c.connections++
				if depth+1 > MaxBulkNestingDepth {
					return &BulkQueryError{fmt.Sprintf("Bulk queries cannot contain connections with a nesting depth greater than %d.", MaxBulkNestingDepth)}
				}
				if err := c.connection(cf, child, depth+1); err != nil {
					return err
				}
			default:
				if err := c.walk(cf.subSelection(), child, depth, inList || fd.Type.Elem != nil); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// connection checks a connection's node selection.
func (c *bulkChecker) connection(cf *collectedField, conn *ast.Definition, depth int) error {
	nodeSel, nodeDef := connectionNodes(c.op, cf.subSelection(), conn, &c.b)
	if nodeDef == nil {
		return nil
	}
	before := c.connections
	if err := c.walk(nodeSel, nodeDef, depth, false); err != nil {
		return err
	}
	if c.connections > before && !selectsID(c.op, nodeSel, nodeDef, &c.b) {
		return &BulkQueryError{fmt.Sprintf("The parent 'node' field for a nested connection must select the 'id' field. Connection fields without 'id': %s.", cf.key)}
	}
	return nil
}

// connectionNodes merges the selections of a connection's nodes and edges { node }.
func connectionNodes(op *Operation, sel ast.SelectionSet, conn *ast.Definition, b *budget) (ast.SelectionSet, *ast.Definition) {
	var out ast.SelectionSet
	var nodeDef *ast.Definition
	for _, cf := range collect(op.Schema, op.Doc, sel, conn.Name, op.Vars, b) {
		fd := conn.Fields.ForName(cf.first().Name)
		if fd == nil {
			continue
		}
		switch fd.Name {
		case "nodes":
			out = append(out, cf.subSelection()...)
			nodeDef = op.Schema.Types[fd.Type.Name()]
		case "edges":
			edge := op.Schema.Types[fd.Type.Name()]
			for _, ef := range collect(op.Schema, op.Doc, cf.subSelection(), edge.Name, op.Vars, b) {
				if ef.first().Name == "node" {
					out = append(out, ef.subSelection()...)
					nodeDef = op.Schema.Types[edge.Fields.ForName("node").Type.Name()]
				}
			}
		}
	}
	return out, nodeDef
}

func selectsID(op *Operation, sel ast.SelectionSet, def *ast.Definition, b *budget) bool {
	for _, cf := range collect(op.Schema, op.Doc, sel, def.Name, op.Vars, b) {
		if cf.first().Name == "id" && cf.key == "id" {
			return true
		}
	}
	return false
}

// BulkLines turns the data of an executed bulk query into JSONL lines, in order: each
// connection node a line, followed by the lines of its nested connections' nodes, which
// carry "__parentId". root reports whether a line is a top-level node.
func BulkLines(op *Operation, data []byte, emit func(line []byte, root bool)) error {
	obj, err := splitObject(data)
	if err != nil {
		return err
	}
	w := &bulkWriter{op: op, emit: emit}
	w.b.visits = -(1 << 40) // the document was checked already; the data is bounded by the store
	for _, cf := range collect(op.Schema, op.Doc, op.Op.SelectionSet, op.Schema.Query.Name, op.Vars, &w.b) {
		raw := obj.get(cf.key)
		if raw == nil || bytes.Equal(raw, []byte("null")) {
			continue
		}
		fd := op.Schema.Query.Fields.ForName(cf.first().Name)
		if fd == nil {
			continue
		}
		def := op.Schema.Types[fd.Type.Name()]
		if classify(op.Schema, op.Schema.Query.Name, fd) == kindConnection {
			if err := w.connection(cf, def, raw, ""); err != nil {
				return err
			}
			continue
		}
		if fd.Type.Elem != nil {
			continue // a list of objects at the root has no connection to export
		}
		if err := w.row(cf.subSelection(), def, raw, "", true); err != nil {
			return err
		}
	}
	return nil
}

type bulkWriter struct {
	op   *Operation
	b    budget
	emit func([]byte, bool)
}

// connection emits the nodes of a connection value, with parent as their __parentId.
func (w *bulkWriter) connection(cf *collectedField, conn *ast.Definition, raw []byte, parent string) error {
	c, err := splitObject(raw)
	if err != nil {
		return err
	}
	nodeSel, nodeDef := connectionNodes(w.op, cf.subSelection(), conn, &w.b)
	if nodeDef == nil {
		return nil
	}
	var nodes []json.RawMessage
	for _, k := range collect(w.op.Schema, w.op.Doc, cf.subSelection(), conn.Name, w.op.Vars, &w.b) {
		switch k.first().Name {
		case "nodes":
			if err := json.Unmarshal(c.get(k.key), &nodes); err != nil {
				return err
			}
		case "edges":
			if nodes != nil {
				continue
			}
			var edges []json.RawMessage
			if err := json.Unmarshal(c.get(k.key), &edges); err != nil {
				return err
			}
			edgeDef := w.op.Schema.Types[conn.Fields.ForName("edges").Type.Name()]
			for _, e := range edges {
				eo, err := splitObject(e)
				if err != nil {
					return err
				}
				for _, ef := range collect(w.op.Schema, w.op.Doc, k.subSelection(), edgeDef.Name, w.op.Vars, &w.b) {
					if ef.first().Name == "node" {
						nodes = append(nodes, eo.get(ef.key))
					}
				}
			}
		}
	}
	for _, n := range nodes {
		if err := w.row(nodeSel, nodeDef, n, parent, parent == ""); err != nil {
			return err
		}
	}
	return nil
}

// row emits one line for an object and then the lines of its nested connections.
func (w *bulkWriter) row(sel ast.SelectionSet, def *ast.Definition, raw []byte, parent string, root bool) error {
	if bytes.Equal(raw, []byte("null")) {
		return nil
	}
	obj, err := splitObject(raw)
	if err != nil {
		return err
	}
	var id string
	if v := obj.get("id"); v != nil {
		_ = json.Unmarshal(v, &id)
	}
	type pending struct {
		cf   *collectedField
		conn *ast.Definition
		raw  []byte
	}
	var children []pending
	line, err := w.inline(sel, def, obj, func(cf *collectedField, conn *ast.Definition, v []byte) {
		children = append(children, pending{cf, conn, v})
	})
	if err != nil {
		return err
	}
	if parent != "" {
		line = append(line[:len(line)-1], `,"__parentId":`...)
		line = AppendString(line, parent)
		line = append(line, '}')
	}
	w.emit(line, root)
	for _, c := range children {
		if id == "" {
			return errors.New("gql: a bulk node with a nested connection has no id")
		}
		if err := w.connection(c.cf, c.conn, c.raw, id); err != nil {
			return err
		}
	}
	return nil
}

// inline rewrites an object without its connection fields (handed to conn), keeping the
// order of its keys; objects inside it are rewritten the same way.
func (w *bulkWriter) inline(sel ast.SelectionSet, def *ast.Definition, obj orderedObject, conn func(*collectedField, *ast.Definition, []byte)) ([]byte, error) {
	fields := map[string]*collectedField{}
	defs := map[string]*ast.FieldDefinition{}
	owner := map[string]*ast.Definition{}
	types := []*ast.Definition{def}
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		types = append(types, w.op.Schema.GetPossibleTypes(def)...)
	}
	for _, t := range types {
		for _, cf := range collect(w.op.Schema, w.op.Doc, sel, t.Name, w.op.Vars, &w.b) {
			if fields[cf.key] == nil {
				if fd := t.Fields.ForName(cf.first().Name); fd != nil {
					fields[cf.key], defs[cf.key], owner[cf.key] = cf, fd, t
				}
			}
		}
	}
	out := []byte{'{'}
	for _, kv := range obj {
		fd, cf := defs[kv.key], fields[kv.key]
		v := kv.val
		if fd != nil && !bytes.Equal(v, []byte("null")) {
			child := w.op.Schema.Types[fd.Type.Name()]
			switch kind := classify(w.op.Schema, owner[kv.key].Name, fd); {
			case kind == kindConnection:
				conn(cf, child, v)
				continue
			case kind != kindLeaf && fd.Type.Elem == nil:
				o, err := splitObject(v)
				if err != nil {
					return nil, err
				}
				if v, err = w.inline(cf.subSelection(), child, o, conn); err != nil {
					return nil, err
				}
			}
		}
		if len(out) > 1 {
			out = append(out, ',')
		}
		out = AppendString(out, kv.key)
		out = append(out, ':')
		out = append(out, v...)
	}
	return append(out, '}'), nil
}

type keyValue struct {
	key string
	val json.RawMessage
}

type orderedObject []keyValue

func (o orderedObject) get(k string) []byte {
	for _, kv := range o {
		if kv.key == k {
			return kv.val
		}
	}
	return nil
}

// splitObject reads a JSON object's members in order, values left raw.
func splitObject(raw []byte) (orderedObject, error) {
	dec := json.NewDecoder(bytes.NewReader(raw))
	t, err := dec.Token()
	if err != nil || t != json.Delim('{') {
		return nil, fmt.Errorf("gql: bulk data: want an object")
	}
	var out orderedObject
	for dec.More() {
		t, err := dec.Token()
		if err != nil {
			return nil, err
		}
		k, _ := t.(string)
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		out = append(out, keyValue{k, v})
	}
	return out, nil
}
