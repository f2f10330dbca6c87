package audit_test

import (
	"bytes"
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/audit"
)

// The report example in docs/integrator.md decodes strictly into Report and is
// consistent with its own summary.
func TestDocsReportExample(t *testing.T) {
	t.Parallel()
	doc, err := os.ReadFile("../../docs/integrator.md")
	require.NoError(t, err)
	_, section, ok := strings.Cut(string(doc), "\n## Weekly sales audit\n")
	require.True(t, ok)
	section, _, _ = strings.Cut(section, "\n## ")
	_, block, ok := strings.Cut(section, "```json\n")
	require.True(t, ok)
	block, _, _ = strings.Cut(block, "```")
	dec := json.NewDecoder(bytes.NewReader([]byte(block)))
	dec.DisallowUnknownFields()
	var rep audit.Report
	require.NoError(t, dec.Decode(&rep))
	require.Len(t, rep.Differences, 1)
	require.Equal(t, audit.TotalDiffers, rep.Differences[0].Kind)
	require.False(t, rep.Clean())
	require.Contains(t, section, rep.Summary())
	require.Contains(t, section, rep.Differences[0].Subject())
}
