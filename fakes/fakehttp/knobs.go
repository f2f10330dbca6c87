package fakehttp

import "encoding/json"

// KnobPlatform is the Platform of a fake whose limits are a struct of JSON-named knobs, L:
// GET /_fake/faults shows Current, and PUT /_fake/faults and a --profile file patch it
// (PatchLimits) and hand the result to Set. L is usually the fake's Limits under a name
// of its own (type limitsPatch Limits), the name decoding errors give.
type KnobPlatform[L any] struct {
	// Current returns the knobs in force, every default filled in.
	Current func() L
	// Set replaces the knobs; on error nothing changes.
	Set func(L) error
	// Following are the knobs whose defaults come from another (PatchLimits).
	Following map[string][]string
	// Stats is Platform.LimitStats.
	Stats func() (detail any, maxConcurrency int)
	// ResetState is Platform.Reset.
	ResetState func()
}

var _ Platform = KnobPlatform[struct{}]{}

// Limits returns Current().
func (p KnobPlatform[L]) Limits() any { return p.Current() }

// ApplyLimits patches Current() with raw and sets the result.
func (p KnobPlatform[L]) ApplyLimits(raw json.RawMessage) error {
	next, err := PatchLimits(p.Current(), raw, p.Following)
	if err != nil {
		return err
	}
	return p.Set(next)
}

// LimitStats returns Stats().
func (p KnobPlatform[L]) LimitStats() (any, int) { return p.Stats() }

// Reset calls ResetState.
func (p KnobPlatform[L]) Reset() { p.ResetState() }
