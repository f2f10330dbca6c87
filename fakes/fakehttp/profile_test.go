package fakehttp

import (
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type knobs struct {
	Tier   string  `json:"tier"`
	Packs  int     `json:"packs"`
	Burst  int     `json:"burst"`
	Daily  int64   `json:"daily"`
	Share  float64 `json:"share"`
	Counts *bool   `json:"counts"`
}

type knobsPatch knobs

func TestPatchLimitsKeepsWhatIsNotNamed(t *testing.T) {
	t.Parallel()
	yes := true
	cur := knobsPatch{Tier: "pro", Burst: 190, Share: 0.5, Counts: &yes}
	next, err := PatchLimits(cur, json.RawMessage(`{"BURST": 7, "tier": null, "counts": false}`), nil)
	require.NoError(t, err)
	assert.Equal(t, "pro", next.Tier, "null keeps the value")
	assert.Equal(t, 7, next.Burst, "names match case-insensitively, as encoding/json matches them")
	assert.Equal(t, 0.5, next.Share)
	require.NotNil(t, next.Counts)
	assert.False(t, *next.Counts)
	assert.True(t, *cur.Counts, "a pointer knob of current is never written through")

	next, err = PatchLimits(cur, json.RawMessage(`{"counts": null}`), nil)
	require.NoError(t, err)
	assert.Equal(t, cur, next)
}

func TestPatchLimitsFollowers(t *testing.T) {
	t.Parallel()
	following := map[string][]string{"tier": {"burst", "daily"}, "packs": {"burst", "daily"}}
	cur := knobsPatch{Tier: "pro", Packs: 1, Burst: 7, Daily: 9}
	for _, c := range []struct {
		raw          string
		burst, daily int64
	}{
		{`{"tier": "free"}`, 0, 0},
		{`{"tier": "free", "burst": 3}`, 3, 0},
		{`{"tier": "PRO"}`, 7, 9},
		{`{"tier": null}`, 7, 9},
		{`{"packs": 1}`, 7, 9},
		{`{"packs": 2, "daily": 5}`, 0, 5},
		{`{"share": 1}`, 7, 9},
	} {
		next, err := PatchLimits(cur, json.RawMessage(c.raw), following)
		require.NoError(t, err, c.raw)
		assert.Equal(t, c.burst, int64(next.Burst), "burst after %s", c.raw)
		assert.Equal(t, c.daily, next.Daily, "daily after %s", c.raw)
	}
}

func TestPatchLimitsErrorsNameTheKnobAndTheType(t *testing.T) {
	t.Parallel()
	for raw, want := range map[string]string{
		`{"burst": "many"}`:  "json: cannot unmarshal string into Go struct field knobsPatch.burst of type int",
		`{"bogus": 1}`:       `json: unknown field "bogus"`,
		`{"burst": 1} {}`:    "trailing data after the limits object",
		`[1]`:                "json: cannot unmarshal array into Go value of type fakehttp.knobsPatch",
		`{"counts": "true"}`: "json: cannot unmarshal string into Go struct field knobsPatch.counts of type bool",
	} {
		_, err := PatchLimits(knobsPatch{Tier: "pro"}, json.RawMessage(raw), nil)
		assert.EqualError(t, err, want, raw)
	}
}
