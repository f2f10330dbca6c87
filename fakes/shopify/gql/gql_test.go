package gql

import (
	"context"
	"encoding/json"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/vektah/gqlparser/v2/ast"
)

const toySDL = `
schema { query: Query mutation: Mutation }
interface Node { id: ID! }
type Book implements Node { id: ID! title: String! author: Author rating: Int }
type Author implements Node { id: ID! name: String! books(first: Int, last: Int): BookConnection! }
type BookConnection { edges: [BookEdge!]! nodes: [Book!]! pageInfo: PageInfo! }
type BookEdge { cursor: String! node: Book! }
type PageInfo { hasNextPage: Boolean! hasPreviousPage: Boolean! startCursor: String endCursor: String }
union Thing = Book | Author
input Filter { title: String, minRating: Int = 0, exact: Int }
type Query {
  book(id: ID!): Book
  books(first: Int, last: Int, filter: Filter): BookConnection!
  node(id: ID!): Node
  thing(id: ID!): Thing
  broken: Book!
  echo(filter: Filter): String
  tags: [Book!]!
}
type Payload { book: Book tags: [String!]! }
type Mutation { rename(id: ID!, title: String!): Payload }
`

type book struct {
	id, title string
	rating    any
	author    *author
}
type author struct {
	id, name string
	books    []*book
}

func toy(t testing.TB) *Executor {
	t.Helper()
	schema, err := LoadSchema("toy", toySDL)
	require.NoError(t, err)
	ada := &author{id: "a1", name: "Ada"}
	books := []*book{{id: "b1", title: "Notes", rating: 5, author: ada}, {id: "b2", title: "Engines", author: ada}}
	ada.books = books
	e := NewExecutor(schema, func(v any) string {
		switch v.(type) {
		case *book:
			return "Book"
		case *author:
			return "Author"
		}
		return ""
	})
	find := func(id string) any {
		for _, b := range books {
			if b.id == id {
				return b
			}
		}
		if id == ada.id {
			return ada
		}
		return nil
	}
	conn := func(list []*book, rc *ResolveContext) *Connection {
		n, ok := rc.Args.Int("first")
		if !ok {
			n, _ = rc.Args.Int("last")
		}
		c := &Connection{}
		for i, b := range list {
			if int64(i) >= n {
				c.PageInfo.HasNextPage = true
				break
			}
			c.Nodes = append(c.Nodes, b)
			c.Cursors = append(c.Cursors, "c"+b.id)
		}
		return c
	}
	e.Handle("Query", "book", func(rc *ResolveContext, _ any) (any, error) {
		id, _ := rc.Args.String("id")
		if b, ok := find(id).(*book); ok {
			return b, nil
		}
		return nil, nil
	})
	e.Handle("Query", "books", func(rc *ResolveContext, _ any) (any, error) { return conn(books, rc), nil })
	e.Handle("Query", "node", func(rc *ResolveContext, _ any) (any, error) { id, _ := rc.Args.String("id"); return find(id), nil })
	e.Handle("Query", "thing", func(rc *ResolveContext, _ any) (any, error) { id, _ := rc.Args.String("id"); return find(id), nil })
	e.Handle("Query", "broken", func(*ResolveContext, any) (any, error) { return nil, Errorf("BROKEN", "it broke") })
	e.Handle("Query", "tags", func(*ResolveContext, any) (any, error) { return []any{books[0], books[1]}, nil })
	e.Handle("Query", "echo", func(rc *ResolveContext, _ any) (any, error) {
		f, _ := rc.Args.Object("filter")
		b, _ := json.Marshal(map[string]any{"has_exact": f.Has("exact"), "filter": f})
		return string(b), nil
	})
	e.Handle("Book", "id", func(_ *ResolveContext, p any) (any, error) { return p.(*book).id, nil })
	e.Handle("Book", "title", func(_ *ResolveContext, p any) (any, error) { return p.(*book).title, nil })
	e.Handle("Book", "rating", func(_ *ResolveContext, p any) (any, error) { return p.(*book).rating, nil })
	e.Handle("Book", "author", func(_ *ResolveContext, p any) (any, error) { return p.(*book).author, nil })
	e.Handle("Author", "id", func(_ *ResolveContext, p any) (any, error) { return p.(*author).id, nil })
	e.Handle("Author", "name", func(_ *ResolveContext, p any) (any, error) { return p.(*author).name, nil })
	e.Handle("Author", "books", func(rc *ResolveContext, p any) (any, error) { return conn(p.(*author).books, rc), nil })
	e.Handle("Mutation", "rename", func(rc *ResolveContext, _ any) (any, error) {
		t, _ := rc.Args.String("title")
		return map[string]any{"book": &book{id: "b1", title: t}, "tags": []string{"x"}}, nil
	})
	return e
}

func run(t *testing.T, e *Executor, query, vars string) (Result, *Operation) {
	t.Helper()
	op, errs := Prepare(e.Schema(), query, "", json.RawMessage(vars))
	require.Nil(t, errs, "%v", errs)
	return e.Execute(context.Background(), op, nil), op
}

func TestExecuteAliasesFragmentsTypenameVariables(t *testing.T) {
	t.Parallel()
	e := toy(t)
	res, _ := run(t, e, `
		query Q($id: ID!, $withAuthor: Boolean = true) {
			first: book(id: $id) { ...B __typename }
			second: book(id: "b2") { title author @include(if: $withAuthor) { name } }
			node(id: "a1") { id ... on Author { name } ... on Book { title } }
			thing(id: "b2") { __typename ... on Book { title } }
			missing: book(id: "zz") { title }
		}
		fragment B on Book { id title rating }`, `{"id":"b1"}`)
	assert.Empty(t, res.Errors)
	assert.JSONEq(t, `{
		"first": {"id":"b1","title":"Notes","rating":5,"__typename":"Book"},
		"second": {"title":"Engines","author":{"name":"Ada"}},
		"node": {"id":"a1","name":"Ada"},
		"thing": {"__typename":"Book","title":"Engines"},
		"missing": null}`, string(res.Data))
	assert.True(t, strings.HasPrefix(string(res.Data), `{"first":{"id":"b1","title":"Notes","rating":5,`), "fields come out in query order")
}

func TestErrorsCarryPathAndPropagateToTheNullableParent(t *testing.T) {
	t.Parallel()
	e := toy(t)
	res, _ := run(t, e, "{\n  book(id: \"b1\") { title }\n  broken { title }\n}", "")
	assert.Equal(t, "null", string(res.Data), "a non-null root field that fails nulls the whole data")
	require.Len(t, res.Errors, 1)
	b := AppendErrors(nil, res.Errors)
	assert.JSONEq(t, `[{"message":"it broke","locations":[{"line":3,"column":3}],"path":["broken"],"extensions":{"code":"BROKEN"}}]`, string(b))

	res, _ = run(t, e, `{ books(first: 2) { nodes { title rating } } }`, "")
	assert.JSONEq(t, `{"books":{"nodes":[{"title":"Notes","rating":5},{"title":"Engines","rating":null}]}}`, string(res.Data))
}

func TestConnectionsAndActualCost(t *testing.T) {
	t.Parallel()
	e := toy(t)
	res, op := run(t, e, `{ books(first: 10) { edges { cursor node { title author { name } } } pageInfo { hasNextPage endCursor } } }`, "")
	assert.JSONEq(t, `{"books":{"edges":[
		{"cursor":"cb1","node":{"title":"Notes","author":{"name":"Ada"}}},
		{"cursor":"cb2","node":{"title":"Engines","author":{"name":"Ada"}}}],
		"pageInfo":{"hasNextPage":false,"endCursor":"cb2"}}}`, string(res.Data))
	requested, _, err := RequestedCost(op, false)
	require.NoError(t, err)
	// Logarithmic: books 2 + floor(2 ln 10) = 4 x (node 1 + author 1) = 10; returned 2
	// nodes: 2 + floor(2 ln 2) = 1 x 2 = 4.
	assert.Equal(t, int64(10), requested)
	assert.Equal(t, int64(4), res.ActualCost)

	// Linear: books 2 + 10 x 2 = 22; returned 2 nodes: 2 + 2 x 2 = 6.
	op.Scale = ScaleLinear
	requested, _, err = RequestedCost(op, false)
	require.NoError(t, err)
	assert.Equal(t, int64(22), requested)
	assert.Equal(t, int64(6), e.Execute(context.Background(), op, nil).ActualCost)

	// An empty page still costs 2 + 1 x 1 (Shopify answers 3 for an empty connection).
	res, _ = run(t, e, `{ books(first: 0) { nodes { id } } }`, "")
	assert.Equal(t, int64(3), res.ActualCost, string(res.Data))
}

func TestConnectionScaleMultiplier(t *testing.T) {
	t.Parallel()
	for n, want := range map[int64]int64{0: 0, 1: 1, 2: 1, 3: 2, 5: 3, 10: 4, 50: 7, 100: 9, 250: 11} {
		assert.Equal(t, want, ScaleLog.Multiplier(n), n)
		assert.Equal(t, n, ScaleLinear.Multiplier(n), n)
	}
	for _, s := range []string{"log", "linear", ""} {
		_, err := ParseConnectionScale(s)
		assert.NoError(t, err)
	}
	_, err := ParseConnectionScale("quadratic")
	assert.Error(t, err)
}

func TestRequestedCostRules(t *testing.T) {
	t.Parallel()
	e := toy(t)
	for _, c := range []struct {
		query string
		cost  int64
	}{
		{`{ book(id: "b1") { id title } }`, 1},                                                                    // object 1, scalars 0
		{`{ book(id: "b1") { author { name } } }`, 2},                                                             // nested objects add
		{`{ books(first: 5) { nodes { id } } }`, 7},                                                               // 2 + 5 x 1
		{`{ books(last: 3) { edges { node { id } } pageInfo { hasNextPage } } }`, 5},                              // edges and pageInfo are free
		{`{ books(first: 4) { nodes { author { books(first: 3) { nodes { id } } } } } }`, 2 + 4*(1+1+(2+3*1))},    // nesting multiplies
		{`{ thing(id: "x") { ... on Author { books(first: 10) { nodes { id } } } ... on Book { id } } }`, 1 + 12}, // union: the dearest member
		{`{ tags { author { name } } }`, 2},                                                                       // a plain list counts once
		{`mutation { rename(id: "b1", title: "X") { book { author { name } } tags } }`, 10},                       // a mutation costs 10
		{`{ books { nodes { id } } }`, 2},                                                                         // no page size: the connection alone
		{`{ __typename }`, 0},
	} {
		op, errs := Prepare(e.Schema(), c.query, "", nil)
		require.Nil(t, errs, c.query)
		op.Scale = ScaleLinear
		got, _, err := RequestedCost(op, false)
		require.NoError(t, err)
		assert.Equal(t, c.cost, got, c.query)
	}
}

func TestCostDebugBreakdown(t *testing.T) {
	t.Parallel()
	e := toy(t)
	op, errs := Prepare(e.Schema(), `{ books(first: 2) { nodes { author { name } } } }`, "", nil)
	require.Nil(t, errs)
	op.Scale = ScaleLinear
	total, fields, err := RequestedCost(op, true)
	require.NoError(t, err)
	assert.Equal(t, int64(6), total)
	b, _ := json.Marshal(fields)
	assert.JSONEq(t, `[
		{"path":["books","nodes","author","name"],"definedCost":0,"requestedTotalCost":0,"requestedChildrenCost":null},
		{"path":["books","nodes","author"],"definedCost":1,"requestedTotalCost":1,"requestedChildrenCost":0},
		{"path":["books","nodes"],"definedCost":1,"requestedTotalCost":2,"requestedChildrenCost":1},
		{"path":["books"],"definedCost":2,"requestedTotalCost":6,"requestedChildrenCost":4}]`, string(b))
}

func TestMutationsChargeTenAndPayloadObjectsAreIncluded(t *testing.T) {
	t.Parallel()
	e := toy(t)
	res, _ := run(t, e, `mutation { a: rename(id: "b1", title: "X") { book { title } } b: rename(id: "b1", title: "Y") { tags } }`, "")
	assert.JSONEq(t, `{"a":{"book":{"title":"X"}},"b":{"tags":["x"]}}`, string(res.Data))
	assert.Equal(t, int64(20), res.ActualCost)
}

func TestVariablesKeepNullApartFromAbsent(t *testing.T) {
	t.Parallel()
	e := toy(t)
	res, _ := run(t, e, `query($f: Filter) { echo(filter: $f) }`, `{"f":{"title":"x","exact":null}}`)
	assert.Contains(t, string(res.Data), `\"has_exact\":true`)
	assert.Contains(t, string(res.Data), `\"minRating\":0`, "input defaults apply")
	res, _ = run(t, e, `query($f: Filter) { echo(filter: $f) }`, `{"f":{"title":"x"}}`)
	assert.Contains(t, string(res.Data), `\"has_exact\":false`)
	res, _ = run(t, e, `query($n: Int) { echo(filter: {title: "y", exact: $n}) }`, `{}`)
	assert.Contains(t, string(res.Data), `\"has_exact\":false`, "an unsupplied variable leaves the field out")
	res, _ = run(t, e, `{ echo(filter: {exact: null}) }`, ``)
	assert.Contains(t, string(res.Data), `\"has_exact\":true`)
}

func TestPrepareRejectsBadInput(t *testing.T) {
	t.Parallel()
	e := toy(t)
	for query, want := range map[string]string{
		`{ nope }`:              "undefinedField",
		`{ book { id } }`:       "missingRequiredArguments",
		`{ book(id: "1") }`:     "selectionMismatch",
		`{ book(id: "1") { id `: "GRAPHQL_PARSE_FAILED",
		`query A { __typename } query B { __typename }`:         "An operation name is required",
		`subscription { x }`:                                    "",
		`query($n: Int!) { books(first: $n) { nodes { id } } }`: "INVALID_VARIABLE",
	} {
		_, errs := Prepare(e.Schema(), query, "", nil)
		require.NotEmpty(t, errs, query)
		b := string(AppendErrors(nil, errs))
		assert.Contains(t, b, want, query)
	}
	_, errs := Prepare(e.Schema(), `query($n: Int) { books(first: $n) { nodes { id } } }`, "", json.RawMessage(`{"n": 3000000000}`))
	require.NotEmpty(t, errs)
	assert.Contains(t, errs[0].Message, "Int")
	_, errs = Prepare(e.Schema(), `{ __typename }`, "", json.RawMessage(`[1]`))
	require.NotEmpty(t, errs)
}

// A few hundred bytes whose fragments expand to 2^30 selections must be refused by the
// work budget, not run.
func TestFragmentBombHitsTheBudget(t *testing.T) {
	t.Parallel()
	e := toy(t)
	var q strings.Builder
	q.WriteString("{ ...F0 }\n")
	for i := 0; i < 30; i++ {
		n := strconv.Itoa(i + 1)
		q.WriteString("fragment F" + strconv.Itoa(i) + " on Query { ...F" + n + " ...F" + n + " }\n")
	}
	q.WriteString("fragment F30 on Query { __typename }\n")
	op, errs := Prepare(e.Schema(), q.String(), "", nil)
	if errs != nil {
		return // refused by validation: just as good
	}
	_, _, err := RequestedCost(op, false)
	assert.ErrorIs(t, err, ErrTooComplex)
	res := e.Execute(context.Background(), op, nil)
	assert.Equal(t, "null", string(res.Data))
	require.Len(t, res.Errors, 1)
	assert.Equal(t, "MAX_COMPLEXITY_EXCEEDED", res.Errors[0].Code)
}

func TestAppendStringEscapes(t *testing.T) {
	t.Parallel()
	for _, s := range []string{"plain", `quote " and \ backslash`, "tab\tnew\nline\r\x00\x1f", "<html>&", "é ✓ 😀", "bad \xff utf8", "sep \u2028 \u2029"} {
		b := AppendString(nil, s)
		var back string
		require.NoError(t, json.Unmarshal(b, &back), string(b))
		if strings.ContainsRune(s, '\xff') || !utf8Valid(s) {
			assert.Contains(t, back, "\ufffd")
			continue
		}
		assert.Equal(t, s, back)
	}
	assert.Equal(t, `"<a>"`, string(AppendString(nil, "<a>")), "HTML is not escaped")
}

func utf8Valid(s string) bool { return strings.ToValidUTF8(s, "") == s }

func TestAppendFloatWritesShopifyStyle(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "2000.0", string(AppendFloat(nil, 2000)))
	assert.Equal(t, "50.0", string(AppendFloat(nil, 50)))
	assert.Equal(t, "2.5", string(AppendFloat(nil, 2.5)))
	assert.Equal(t, "0.0", string(AppendFloat(nil, 0)))
}

func TestExecutorRejectsUnknownFieldRegistration(t *testing.T) {
	t.Parallel()
	e := toy(t)
	assert.Panics(t, func() { e.Handle("Book", "nope", nil) })
	assert.NotNil(t, e.Schema().Types["Book"])
	var _ *ast.Schema = e.Schema()
}

func TestCacheReusesValidatedDocuments(t *testing.T) {
	t.Parallel()
	e := toy(t)
	c := NewCache(2)
	q := `query($id: ID!) { book(id: $id) { title } }`
	op1, errs := c.Prepare(e.Schema(), q, "", json.RawMessage(`{"id":"b1"}`))
	require.Nil(t, errs)
	op2, errs := c.Prepare(e.Schema(), q, "", json.RawMessage(`{"id":"b2"}`))
	require.Nil(t, errs)
	assert.Same(t, op1.Doc, op2.Doc, "parsed and validated once")
	assert.Equal(t, "b2", op2.Vars["id"], "variables are per request")
	res := e.Execute(context.Background(), op2, nil)
	assert.JSONEq(t, `{"book":{"title":"Engines"}}`, string(res.Data))
	_, errs = c.Prepare(e.Schema(), q, "", json.RawMessage(`{}`))
	require.NotNil(t, errs, "a cached document still checks its variables")
	_, errs = c.Prepare(e.Schema(), `{ nope }`, "", nil)
	require.NotNil(t, errs)
	_, errs = c.Prepare(e.Schema(), `{ nope }`, "", nil)
	require.NotNil(t, errs, "invalid documents are not cached")
	for _, q := range []string{`{ __typename }`, `{ tags { id } }`, `{ books(first: 1) { nodes { id } } }`} {
		_, errs = c.Prepare(e.Schema(), q, "", nil)
		require.Nil(t, errs)
	}
	assert.LessOrEqual(t, len(c.docs), 2, "bounded")
}

// Bulk queries come from clients: checking one and laying out any data never panics.
func FuzzBulkQuery(f *testing.F) {
	e := toy(f)
	f.Add(`{ books { nodes { id author { books { nodes { id } } } } } }`, `{"books":{"nodes":[{"id":"b1","author":{"books":{"nodes":[{"id":"b2"}]}}}]}}`)
	f.Add(`{ book(id: "b1") { id } }`, `{"book":null}`)
	f.Add(`{ books { edges { node { id } } } }`, `{"books":{"edges":[{"node":{"id":"x"}}]}}`)
	f.Fuzz(func(t *testing.T, query, data string) {
		op, errs := Prepare(e.Schema(), query, "", nil)
		if errs != nil {
			return
		}
		if err := CheckBulkQuery(op); err != nil {
			return
		}
		_ = BulkLines(op, []byte(data), func([]byte, bool) {})
	})
}
