package gql

import (
	"context"
	"encoding/json"
	"testing"
)

// Any query and variables either fail with GraphQL errors or execute; the response data is
// JSON and the actual cost never exceeds the requested cost.
func FuzzPrepareAndExecute(f *testing.F) {
	for _, s := range [][2]string{
		{`{ book(id: "b1") { ...B author { books(first: 2) { edges { node { id } } } } } } fragment B on Book { title }`, `{}`},
		{`query($f: Filter, $n: Int = 3) { books(first: $n, filter: $f) { nodes { title rating } } echo(filter: $f) }`, `{"f":{"title":"x","exact":null},"n":1}`},
		{`{ thing(id: "a1") { __typename ... on Author { name } ... on Book { title } } broken { id } }`, ``},
		{`mutation { rename(id: "b1", title: "\u0000\"") { book { title } tags } }`, `null`},
		{`{ a: book(id: "b1") { title } a: book(id: "b2") { title } }`, `{}`},
		{`query($skip: Boolean!) { book(id: "b1") @skip(if: $skip) { id } }`, `{"skip": true}`},
	} {
		f.Add(s[0], s[1])
	}
	var e *Executor
	f.Fuzz(func(t *testing.T, query, vars string) {
		if e == nil {
			e = toy(t)
		}
		if !json.Valid([]byte(vars)) {
			vars = ""
		}
		op, errs := Prepare(e.Schema(), query, "", json.RawMessage(vars))
		if errs != nil {
			if !json.Valid(AppendErrors(nil, errs)) {
				t.Fatalf("errors are not JSON: %s", AppendErrors(nil, errs))
			}
			return
		}
		requested, _, err := RequestedCost(op, true)
		if err != nil {
			return
		}
		res := e.Execute(context.Background(), op, nil)
		if !json.Valid(res.Data) {
			t.Fatalf("data is not JSON: %s", res.Data)
		}
		if !json.Valid(AppendErrors(nil, res.Errors)) {
			t.Fatalf("errors are not JSON")
		}
		if requested < 0 || res.ActualCost < 0 || (res.ActualCost > requested && requested < costCap) {
			t.Fatalf("actual %d > requested %d for %q", res.ActualCost, requested, query)
		}
	})
}
