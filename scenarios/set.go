package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// topKeys are a scenario file's top-level keys.
var topKeys = []string{"name", "description", "models", "proves", "speed", "seed", "traffic", "delivery", "fakes", "sut", "redis", "drain", "assertions"}

// fakeNames are the keys under fakes.
var fakeNames = []string{"shopify", "netsuite", "salesforce", "hubspot"}

// KeyPath spells a dotted scenario key in full: a fake's key may leave out "fakes."
// (netsuite.suitecloud_plus) and a key of the bundled integrator "sut.builtin."
// (workers, replicas, netsuite_concurrency).
func KeyPath(key string) []string {
	path := strings.Split(strings.TrimSpace(key), ".")
	switch {
	case slices.Contains(topKeys, path[0]):
		return path
	case slices.Contains(fakeNames, path[0]):
		return append([]string{"fakes"}, path...)
	default:
		return append([]string{"sut", "builtin"}, path...)
	}
}

// ErrKey is wrapped by Set's errors about the key itself.
var ErrKey = errors.New("scenario key")

// Set returns a copy of the scenario with the value at key replaced (see KeyPath),
// read and checked again as a file would be. Mappings missing along the path are
// added; list items are addressed by index (traffic.phases.0.constant.rate).
func (s *Scenario) Set(key, value string) (*Scenario, error) {
	if s.root == nil {
		return nil, fmt.Errorf("%w %q: the scenario was not read from YAML", ErrKey, key)
	}
	path := KeyPath(key)
	doc := cloneNode(s.root)
	n := doc
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	for i, k := range path {
		last := i == len(path)-1
		switch n.Kind {
		case yaml.MappingNode:
			var next *yaml.Node
			for j := 0; j+1 < len(n.Content); j += 2 {
				if n.Content[j].Value == k {
					next = n.Content[j+1]
					break
				}
			}
			if next == nil {
				next = &yaml.Node{Kind: yaml.MappingNode, Tag: "!!map"}
				if last {
					next = &yaml.Node{Kind: yaml.ScalarNode}
				}
				n.Content = append(n.Content, &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: k}, next)
			}
			n = next
		case yaml.SequenceNode:
			idx, err := strconv.Atoi(k)
			if err != nil || idx < 0 || idx >= len(n.Content) {
				return nil, fmt.Errorf("%w %q: %q is not an index of a list of %d", ErrKey, key, k, len(n.Content))
			}
			n = n.Content[idx]
		default:
			return nil, fmt.Errorf("%w %q: %s is a value, not a section", ErrKey, key, strings.Join(path[:i], "."))
		}
	}
	if n.Kind != yaml.ScalarNode {
		return nil, fmt.Errorf("%w %q: it is a section, not a value", ErrKey, key)
	}
	n.Tag, n.Value, n.Style = "", value, 0
	var buf bytes.Buffer
	if err := yaml.NewEncoder(&buf).Encode(doc); err != nil {
		return nil, err
	}
	return parse(s.File, s.Dir, &buf)
}

func cloneNode(n *yaml.Node) *yaml.Node {
	if n == nil {
		return nil
	}
	c := *n
	c.Content = make([]*yaml.Node, len(n.Content))
	for i, ch := range n.Content {
		c.Content[i] = cloneNode(ch)
	}
	c.Alias = cloneNode(n.Alias)
	return &c
}
