package gql

import (
	"errors"
	"math"

	"github.com/vektah/gqlparser/v2/ast"
)

// Shopify's calculated query cost, computed from the validated document before anything
// runs (the "requested" cost):
//
//   - a scalar or enum field costs 0, and so does __typename;
//   - an object field costs 1 plus what it selects; a plain list of objects counts as one
//     object (Shopify documents no rule for lists; counting once keeps the actual cost
//     from ever exceeding the requested cost);
//   - an interface or union costs the most expensive of its possible types' selections;
//   - a connection costs 2 plus a multiplier of its page size (first or last) times the
//     cost of one node: 1 for the node object plus what the node selects; edges, cursor
//     and pageInfo are free; selecting both edges { node } and nodes counts both; nested
//     connections therefore multiply. The multiplier is the Operation's ConnectionScale:
//     Shopify's logarithmic one by default, the page size itself with ScaleLinear;
//   - a mutation field costs 10; the objects of its payload are included in those 10,
//     connections it selects are added.
//
// The actual cost counts the same way from what was returned: a connection costs 2 plus
// the multiplier of the number of nodes returned times the cost of a returned node (1
// when none was returned), and a null object its own 1.

// ConnectionScale says how a connection's page size multiplies the cost of one node.
type ConnectionScale uint8

const (
	// ScaleLog is floor(2 ln max(2, n)), and 0 for a page size of 0: 1 for 1 or 2 nodes,
	// 4 for 10, 7 for 50, 9 for 100, 11 for 250. Shopify "incorporate[s] logarithmic
	// scaling into connection fields" (Shopify staff, community.shopify.dev
	// t/how-to-calculate-graphql-cost-estimates/24364); this formula reproduces the
	// published measurements (product { variants(first: 250) { nodes { inventoryItem
	// { id } } } } requests 25, t/23101; an empty connection's actual cost is 3).
	ScaleLog ConnectionScale = iota
	// ScaleLinear is the page size itself: the documented rule of the engineering blog
	// and the reference ("two points plus the number of objects"), which Shopify no
	// longer applies to requested costs.
	ScaleLinear
)

// Multiplier is how many nodes' costs a page of n nodes is charged.
func (s ConnectionScale) Multiplier(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if s == ScaleLinear {
		return n
	}
	return int64(math.Floor(2 * math.Log(float64(max(2, n)))))
}

// ParseConnectionScale reads "log" or "linear".
func ParseConnectionScale(s string) (ConnectionScale, error) {
	switch s {
	case "", "log":
		return ScaleLog, nil
	case "linear":
		return ScaleLinear, nil
	}
	return 0, errors.New(`connection cost must be "log" or "linear"`)
}

func (s ConnectionScale) String() string {
	if s == ScaleLinear {
		return "linear"
	}
	return "log"
}

// costCap saturates arithmetic so nested first: 250 connections cannot overflow.
const costCap = 1 << 40

// FieldCost is one field's share of the requested cost, for Shopify-GraphQL-Cost-Debug.
// Every selected field has one, children before their parent, as in Shopify's answers;
// a scalar's is {definedCost: 0, requestedTotalCost: 0, requestedChildrenCost: null}.
type FieldCost struct {
	Path                  []string `json:"path"`
	DefinedCost           int64    `json:"definedCost"`
	RequestedTotalCost    int64    `json:"requestedTotalCost"`
	RequestedChildrenCost *int64   `json:"requestedChildrenCost"`
}

// ErrTooComplex is returned for a document whose selections expand beyond MaxFieldVisits.
var ErrTooComplex = errors.New("Query is too complex to evaluate")

// RequestedCost computes the operation's requested cost. With debug it also returns the
// per-field breakdown.
func RequestedCost(op *Operation, debug bool) (int64, []FieldCost, error) {
	c := &coster{op: op, debug: debug}
	root := op.Schema.Query
	if op.IsMutation() {
		root = op.Schema.Mutation
	}
	if root == nil {
		return 0, nil, errors.New("the schema has no root type for this operation")
	}
	total := c.selection(op.Op.SelectionSet, root, nil, false, op.IsMutation())
	if c.b.over {
		return 0, nil, ErrTooComplex
	}
	return total, c.fields, nil
}

type coster struct {
	op     *Operation
	debug  bool
	b      budget
	fields []FieldCost
}

func sat(n int64) int64 { return min(n, costCap) }

// selection costs a selection set on def (for abstract types: the most expensive
// possible type).
func (c *coster) selection(sel ast.SelectionSet, def *ast.Definition, path []string, payload, mutationRoot bool) int64 {
	if len(sel) == 0 || c.b.over {
		return 0
	}
	if def.Kind == ast.Interface || def.Kind == ast.Union {
		base := len(c.fields)
		best := int64(-1)
		var bestFields []FieldCost
		for _, p := range c.op.Schema.GetPossibleTypes(def) {
			if v := c.concrete(sel, p, path, payload, false); v > best {
				best, bestFields = v, append([]FieldCost(nil), c.fields[base:]...)
			}
			c.fields = c.fields[:base]
		}
		c.fields = append(c.fields, bestFields...)
		return max(best, 0)
	}
	return c.concrete(sel, def, path, payload, mutationRoot)
}

func (c *coster) concrete(sel ast.SelectionSet, def *ast.Definition, path []string, payload, mutationRoot bool) int64 {
	schema := c.op.Schema
	var total int64
	for _, cf := range collect(schema, c.op.Doc, sel, def.Name, c.op.Vars, &c.b) {
		f := cf.first()
		fd := def.Fields.ForName(f.Name)
		if fd == nil {
			continue // __typename, introspection
		}
		kind := classify(schema, def.Name, fd)
		p := append(append([]string(nil), path...), cf.key)
		if kind == kindLeaf {
			if c.debug && !mutationRoot {
				c.fields = append(c.fields, FieldCost{Path: p})
			}
			continue
		}
		child := schema.Types[fd.Type.Name()]
		var defined, children, own int64
		switch {
		case mutationRoot:
			defined = 10
			children = c.selection(cf.subSelection(), child, p, true, false)
			own = sat(defined + children)
		case kind == kindConnection:
			args, err := FieldArgs(f, c.op.Vars)
			if err != nil {
				continue
			}
			n := c.op.Scale.Multiplier(pageSize(args))
			defined = 2
			node := c.selection(cf.subSelection(), child, p, false, false)
			children = sat(n * node)
			own = sat(defined + children)
		case kind == kindWrapper:
			own = c.selection(cf.subSelection(), child, p, payload, false)
			children = own
		case kind == kindNode:
			defined = 1
			children = c.selection(cf.subSelection(), child, p, false, false)
			own = sat(defined + children)
		default: // object
			if !payload {
				defined = 1
			}
			children = c.selection(cf.subSelection(), child, p, payload, false)
			own = sat(defined + children)
		}
		if c.debug {
			cc := children
			c.fields = append(c.fields, FieldCost{Path: p, DefinedCost: defined, RequestedTotalCost: own, RequestedChildrenCost: &cc})
		}
		total = sat(total + own)
	}
	return total
}
