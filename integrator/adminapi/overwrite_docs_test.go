package adminapi_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/adminapi"
)

// The overwrite section's example decodes strictly into adminapi.OverwriteRun and says
// every field it sends.
func TestOverwriteDocsExampleMatchesTheType(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/integrator.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n## Nightly stock overwrite\n")
	require.True(t, ok)
	section, _, _ = strings.Cut(section, "\n## ")
	before, rest, ok := strings.Cut(section, "\n```json\n")
	require.True(t, ok)
	assert.Contains(t, before, "an `adminapi.OverwriteRun`", "the text before the example names its type")
	example, _, _ := strings.Cut(rest, "\n```")
	dec := json.NewDecoder(bytes.NewReader([]byte(example)))
	dec.DisallowUnknownFields()
	var r adminapi.OverwriteRun
	require.NoError(t, dec.Decode(&r))
	var doc1, doc2 map[string]any
	require.NoError(t, json.Unmarshal([]byte(example), &doc1))
	again, _ := json.Marshal(r)
	require.NoError(t, json.Unmarshal(again, &doc2))
	delete(doc1, "already_done") // omitted when false
	delete(doc1, "resumed")      // omitted when 0
	assert.Equal(t, doc1, doc2)
}
