package scenarios

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"sort"
	"strings"
)

//go:embed builtin/*.yaml
var builtinFS embed.FS

// BuiltinInfo is one built-in scenario's name and one-line description.
type BuiltinInfo struct {
	Name        string
	Description string
}

// Builtins lists the built-in scenarios, sorted by name.
func Builtins() []BuiltinInfo {
	entries, _ := fs.ReadDir(builtinFS, "builtin")
	var out []BuiltinInfo
	for _, e := range entries {
		name := strings.TrimSuffix(e.Name(), ".yaml")
		s, err := Builtin(name)
		if err != nil {
			// A broken built-in is a programming error caught by the tests.
			out = append(out, BuiltinInfo{Name: name, Description: "(invalid: " + err.Error() + ")"})
			continue
		}
		out = append(out, BuiltinInfo{Name: name, Description: s.Description})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// BuiltinSource returns a built-in's YAML, a starting point for your own scenario.
func BuiltinSource(name string) ([]byte, error) {
	b, err := builtinFS.ReadFile("builtin/" + name + ".yaml")
	if err != nil {
		var names []string
		entries, _ := fs.ReadDir(builtinFS, "builtin")
		for _, e := range entries {
			names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
		}
		return nil, fmt.Errorf("no built-in scenario %q (built-ins: %s)", name, strings.Join(names, ", "))
	}
	return b, nil
}

// Builtin parses a built-in scenario.
func Builtin(name string) (*Scenario, error) {
	b, err := BuiltinSource(name)
	if err != nil {
		return nil, err
	}
	return Parse("builtin:"+name, bytes.NewReader(b))
}
