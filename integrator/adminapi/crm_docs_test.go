package adminapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/adminapi"
)

// The CRM section's examples decode strictly into the types they name.
func TestCRMDocsExamplesMatchTheTypes(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/integrator.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n## Customers to a CRM\n")
	require.True(t, ok)
	section, _, _ = strings.Cut(section, "\n## ")
	types := map[string]func() any{
		"InvalidEmailList": func() any { return &adminapi.InvalidEmailList{} },
		"LTVBatch":         func() any { return &adminapi.LTVBatch{} },
	}
	named := regexp.MustCompile("`adminapi\\.(\\w+)`")
	lines := strings.Split(section, "\n")
	seen := 0
	for i := 2; i < len(lines); i++ {
		if lines[i] != "```json" {
			continue
		}
		m := named.FindAllStringSubmatch(lines[i-2], -1)
		require.NotEmpty(t, m, "line before the example names its type")
		var block []string
		for i++; i < len(lines) && lines[i] != "```"; i++ {
			block = append(block, lines[i])
		}
		mk, ok := types[m[len(m)-1][1]]
		require.True(t, ok)
		dec := json.NewDecoder(bytes.NewReader([]byte(strings.Join(block, "\n"))))
		dec.DisallowUnknownFields()
		require.NoError(t, dec.Decode(mk()))
		seen++
	}
	require.Equal(t, len(types), seen)
}
