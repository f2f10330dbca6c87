package capacity

import (
	"bytes"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios"
)

func TestParseSweep(t *testing.T) {
	for _, c := range []struct {
		in   string
		want []float64
	}{
		{"netsuite.suitecloud_plus=0..3", []float64{0, 1, 2, 3}},
		{"workers=8..32/8", []float64{8, 16, 24, 32}},
		{"traffic.phases.0.constant.rate=1..2", []float64{1, 2}},
		{"x=0..1000", []float64{0, 100, 200, 300, 400, 500, 600, 700, 800, 900, 1000}},
		{"x=0.5..1", []float64{0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.85, 0.9, 0.95, 1}},
		{"replicas=1,2,4", []float64{1, 2, 4}},
		{"x=3..3", []float64{3}},
	} {
		sw, err := ParseSweep(c.in)
		require.NoError(t, err, c.in)
		assert.InDeltaSlice(t, c.want, sw.Values, 1e-9, c.in)
	}
	for _, bad := range []string{"", "x", "=1..2", "x=a..2", "x=3..1", "x=0..100/0", "x=0..1000/1", "x=1,b"} {
		_, err := ParseSweep(bad)
		assert.ErrorIs(t, err, ErrSweep, bad)
	}
}

func TestRunSweepTabulatesEachValue(t *testing.T) {
	sc, err := scenarios.Parse("t.yaml", bytes.NewReader([]byte(overloaded)))
	require.NoError(t, err)
	sw, err := ParseSweep("netsuite.suitecloud_plus=0..1")
	require.NoError(t, err)
	zero := time.Duration(0)
	res, err := RunSweep(sc, sw, Options{Goal: &Goal{Drain: 5 * 60e9, Backlog: -1}, Overhead: &zero, PermitGap: &zero})
	require.NoError(t, err)
	assert.Equal(t, "fakes.netsuite.suitecloud_plus", res.Key)
	require.Len(t, res.Rows, 2)
	assert.False(t, res.Rows[0].Meets)
	assert.Equal(t, Duration(450e9), res.Rows[0].DrainTime)
	assert.True(t, res.Rows[1].Meets)
	assert.False(t, res.AllMeet())
	var out bytes.Buffer
	WriteSweep(&out, res)
	assert.Contains(t, out.String(), "sweep of fakes.netsuite.suitecloud_plus")
	assert.Contains(t, out.String(), "7m30s")

	_, err = RunSweep(sc, Sweep{Key: "replicas", Values: []float64{99}}, Options{})
	assert.Error(t, err)
}

// Under auto a sweep simulates only the values where the fluid model is blind, and each
// row names the engine its figures come from.
func TestASweepNamesEachRowsEngine(t *testing.T) {
	sc, err := scenarios.Builtin("flash-sale")
	require.NoError(t, err)
	sw, err := ParseSweep("netsuite.suitecloud_plus=0..2")
	require.NoError(t, err)
	engines := func(e Engine) []string {
		res, err := RunSweep(sc, sw, Options{Engine: e})
		require.NoError(t, err)
		var out []string
		for _, row := range res.Rows {
			out = append(out, row.Engine)
		}
		var text, page bytes.Buffer
		WriteSweep(&text, res)
		require.NoError(t, WriteSweepHTML(&page, res))
		for _, row := range res.Rows {
			assert.Regexp(t, `(?m)^  `+strconv.FormatFloat(row.Value, 'f', -1, 64)+` .* `+row.Engine+` `, text.String())
		}
		assert.Contains(t, page.String(), "<td>"+res.Rows[1].Engine+"</td></tr>")
		return out
	}
	// One licence puts NetSuite at 82 % of its limit; none overloads it, two leave it
	// well below.
	assert.Equal(t, []string{"fluid", "sim", "fluid"}, engines(EngineAuto))
	assert.Equal(t, []string{"fluid", "fluid", "fluid"}, engines(EngineFluid))
}
