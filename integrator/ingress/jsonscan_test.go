package ingress

import (
	"bytes"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestTopLevelScalars(t *testing.T) {
	t.Parallel()
	body := []byte(` { "line_items": [{"id": 1, "sku": "x"}], "customer": {"id": 2}, "note": "a \"quoted\" } brace",
	  "id" : 820982911946154508, "email":"a@b.co", "cancelled_at": null }`)
	out := make([]string, 4)
	topLevelScalars(body, []string{"id", "email", "customer", "cancelled_at"}, out)
	assert.Equal(t, []string{"820982911946154508", "a@b.co", "", ""}, out, "nested ids are not top-level; objects and null are not scalars")
}

// FuzzTopLevelScalars compares the scanner with encoding/json on valid JSON objects.
func FuzzTopLevelScalars(f *testing.F) {
	for _, s := range []string{`{"id":1}`, `{"a":{"id":2},"id":3}`, `{"id":"x\"y"}`, `{"x":[{"id":1}],"id":-2.5e3}`, `{}`, `[1]`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		b := []byte(s)
		if !json.Valid(b) {
			return
		}
		var m map[string]json.RawMessage
		if err := json.Unmarshal(b, &m); err != nil {
			return // not an object
		}
		out := make([]string, 1)
		topLevelScalars(b, []string{"id"}, out)
		raw, ok := m["id"]
		if ok && !bytes.Contains(b, []byte(`"id"`)) {
			return // the key was written with escapes, which the scanner does not match (documented)
		}
		want := ""
		if ok {
			var v any
			_ = json.Unmarshal(raw, &v)
			switch x := v.(type) {
			case string:
				// the scanner returns the raw (escaped) text between the quotes
				var unq string
				_ = json.Unmarshal([]byte(`"`+out[0]+`"`), &unq)
				if unq != x {
					t.Fatalf("%s: got %q want %q", s, out[0], x)
				}
				return
			case float64:
				want = string(trimSpace(raw))
			case bool:
				want = fmt.Sprint(x)
			}
		}
		// Duplicate keys: encoding/json keeps the last, the scanner the first.
		if ok && bytes.Count(b, []byte(`"id"`)) > 1 {
			return
		}
		if out[0] != want {
			t.Fatalf("%s: got %q want %q", s, out[0], want)
		}
	})
}

func trimSpace(b []byte) []byte {
	for len(b) > 0 && (b[0] == ' ' || b[0] == '\n' || b[0] == '\t' || b[0] == '\r') {
		b = b[1:]
	}
	for len(b) > 0 && (b[len(b)-1] == ' ' || b[len(b)-1] == '\n' || b[len(b)-1] == '\t' || b[len(b)-1] == '\r') {
		b = b[:len(b)-1]
	}
	return b
}
