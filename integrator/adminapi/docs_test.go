package adminapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/adminapi"
)

// The examples in docs/integrator.md's admin API section decode strictly into the types
// they name and say every field, so the docs cannot drift from the shapes.
func TestDocsExamplesMatchTheTypes(t *testing.T) {
	t.Parallel()
	types := map[string]any{
		"QueueStats": adminapi.QueueStats{}, "DeadLetterList": adminapi.DeadLetterList{}, "DeadLetter": adminapi.DeadLetter{},
		"DLQFilter": adminapi.DLQFilter{}, "ReplayResult": adminapi.ReplayResult{}, "DiscardResult": adminapi.DiscardResult{},
		"HeldList": adminapi.HeldList{}, "ReleaseResult": adminapi.ReleaseResult{}, "Limits": adminapi.Limits{}, "Error": adminapi.Error{},
	}
	// Fields an example may leave out because the route never sends them.
	absent := map[string][]string{"DeadLetterList": {"payload"}}

	doc, err := os.ReadFile("../../docs/integrator.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n## Admin API\n")
	require.True(t, ok, "docs/integrator.md has an Admin API section")
	section, _, _ = strings.Cut(section, "\n## ")

	named := regexp.MustCompile("`adminapi\\.(\\w+)`")
	lines := strings.Split(section, "\n")
	seen := map[string]bool{}
	for i := 0; i < len(lines); i++ {
		if lines[i] != "```json" {
			continue
		}
		require.GreaterOrEqual(t, i, 2)
		names := named.FindAllStringSubmatch(lines[i-2], -1)
		require.NotEmpty(t, names, "the line before the example at line %d of the section names its adminapi type", i)
		name := names[len(names)-1][1]
		var block []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			block = append(block, lines[i])
		}
		example := []byte(strings.Join(block, "\n"))
		zero, ok := types[name]
		require.True(t, ok, "the docs show an example of adminapi.%s, which this test does not know", name)
		seen[name] = true

		v := reflect.New(reflect.TypeOf(zero))
		dec := json.NewDecoder(bytes.NewReader(example))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(v.Interface()), "the %s example has a field the type does not", name)
		again, err := json.Marshal(v.Interface())
		require.NoError(t, err)
		assert.Equal(t, generic(t, example), generic(t, again), "the %s example says every field the type sends, and nothing else", name)

		keys := map[string]bool{}
		collectKeys(generic(t, example), keys)
		for _, k := range absent[name] {
			keys[k] = true
		}
		for _, k := range jsonNames(reflect.TypeOf(zero), map[reflect.Type]bool{}) {
			assert.True(t, keys[k], "the %s example shows %q (optional fields too)", name, k)
		}
	}
	for name := range types {
		assert.True(t, seen[name], "the docs show an example of adminapi.%s", name)
	}
}

func generic(t *testing.T, b []byte) any {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.UseNumber()
	var v any
	require.NoError(t, dec.Decode(&v))
	return v
}

func collectKeys(v any, into map[string]bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			into[k] = true
			collectKeys(x, into)
		}
	case []any:
		for _, x := range v {
			collectKeys(x, into)
		}
	}
}

// jsonNames lists the JSON field names of t and of the structs it holds; maps, raw JSON
// and times are values, not fields.
func jsonNames(t reflect.Type, visited map[reflect.Type]bool) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() || visited[t] {
		return nil
	}
	visited[t] = true
	var names []string
	for f := range t.Fields() {
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "-" || !f.IsExported() {
			continue
		}
		names = append(names, name)
		names = append(names, jsonNames(f.Type, visited)...)
	}
	return names
}
