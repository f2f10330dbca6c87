package faults

import (
	"encoding/json"
	"net/http"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func TestErrorAnswersInPlatformShapeWithoutEffect(t *testing.T) {
	t.Parallel()
	f := newFixture(t, clock.NewManual(epoch), "error:status=500,code=UNEXPECTED_ERROR,message=boom,retry_after=2s")
	resp, err := f.get(t, nil, "/x")
	require.NoError(t, err)
	defer resp.Body.Close()
	assert.Equal(t, http.StatusInternalServerError, resp.StatusCode)
	assert.Equal(t, "2", resp.Header.Get("Retry-After"))
	var body map[string]any
	require.NoError(t, json.NewDecoder(resp.Body).Decode(&body))
	assert.Equal(t, "UNEXPECTED_ERROR", body["code"])
	assert.Equal(t, "boom", body["message"])
	assert.Equal(t, "error", body["kind"])
	assert.Zero(t, f.effects.Load())
	assert.Equal(t, map[string]int64{"error": 1}, f.in.Injected())
}

func TestErrorRejectsBadStatus(t *testing.T) {
	t.Parallel()
	for _, spec := range []string{"error:status=200", "error:status=abc", "error:status=600", "error:retry_after=-1s"} {
		r, err := ParseSpec(spec)
		require.NoError(t, err)
		_, err = Build(r)
		assert.Error(t, err, spec)
	}
}
