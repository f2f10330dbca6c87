package fakehttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/peakready/peakready/fakes/faults"
)

// Profile is a fake's fault and limit profile: the JSON body of PUT /_fake/faults and the
// content of a --profile file (JSON or YAML). Limits are platform-specific and take the
// same names as the fake's command-line flags; absent parts are left unchanged.
//
//	limits:
//	  concurrency: 5
//	faults:
//	  - fault: latency
//	    params: {dist: "lognormal(700ms,2.5s)"}
//	  - fault: commit-then-drop
//	    probability: 0.02
//	    method: POST
//	    path: /services/rest/record/v1/salesOrder
type Profile struct {
	Limits json.RawMessage `json:"limits,omitempty"`
	Faults []faults.Rule   `json:"faults,omitempty"`
}

// yamlProfile mirrors Profile for YAML, whose limits are decoded generically and passed
// on as JSON.
type yamlProfile struct {
	Limits map[string]any `yaml:"limits"`
	Faults []faults.Rule  `yaml:"faults"`
}

// ParseProfile reads a profile in JSON, or in YAML when yamlSyntax is set. Unknown fields
// are errors.
func ParseProfile(data []byte, yamlSyntax bool) (Profile, error) {
	var p Profile
	if !yamlSyntax {
		if err := DecodeStrict(data, &p, "JSON object"); err != nil {
			return p, fmt.Errorf("profile: %w", err)
		}
		return p, nil
	}
	var y yamlProfile
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&y); err != nil && !errors.Is(err, io.EOF) {
		return p, fmt.Errorf("profile: %w", err)
	}
	p.Faults = y.Faults
	if y.Limits != nil {
		raw, err := json.Marshal(y.Limits)
		if err != nil {
			return p, fmt.Errorf("profile: limits: %w", err)
		}
		p.Limits = raw
	}
	return p, nil
}

// LoadProfile reads a profile file; .yaml and .yml files are YAML, anything else JSON.
func LoadProfile(path string) (Profile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return Profile{}, err
	}
	ext := strings.ToLower(filepath.Ext(path))
	p, err := ParseProfile(data, ext == ".yaml" || ext == ".yml")
	if err != nil {
		return p, fmt.Errorf("%s: %w", path, err)
	}
	return p, nil
}

// DecodeLimits decodes a limits object strictly into dst: unknown fields are errors that
// name the field.
func DecodeLimits(raw json.RawMessage, dst any) error {
	return DecodeStrict(raw, dst, "limits object")
}

// PatchLimits lays raw, a limits object naming some of the knobs of L, over current: the
// knobs raw names take its values and the others keep theirs. A knob given as null counts
// as not named, as it does in a patch of pointer fields.
//
// following maps a knob to the knobs whose defaults come from it (a tier to its burst): a
// patch that changes the leader's value without naming a follower sets the follower to
// its zero value, which the fake reads as "the leader's default". Strings compare
// case-insensitively, as tier and edition names do.
//
// L is a struct of JSON-named knobs; decoding errors name it as a Go type does ("Go struct
// field limitsPatch.burst"). current is not modified, pointer knobs included. Unknown
// knobs and values of the wrong type are errors, and on error nothing is returned.
func PatchLimits[L any](current L, raw json.RawMessage, following map[string][]string) (L, error) {
	var next, zero L
	if err := DecodeLimits(raw, &next); err != nil {
		return zero, err
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(raw, &members); err != nil {
		return zero, err
	}
	// Through JSON, so that decoding into a pointer knob never writes through to current's.
	base, err := knobsOf(current)
	if err != nil {
		return zero, err
	}
	patch := make(map[string]json.RawMessage, len(members))
	for k, v := range members {
		if !bytes.Equal(bytes.TrimSpace(v), []byte("null")) {
			// encoding/json matches names case-insensitively; knob names are lower case
			patch[strings.ToLower(k)] = v
		}
	}
	if len(following) > 0 {
		defaults, err := knobsOf(zero)
		if err != nil {
			return zero, err
		}
		for leader, followers := range following {
			if v, named := patch[leader]; !named || sameKnobValue(v, base[leader]) {
				continue
			}
			for _, f := range followers {
				if _, named := patch[f]; !named {
					patch[f] = defaults[f]
				}
			}
		}
	}
	for k, v := range patch {
		base[k] = v
	}
	merged, err := json.Marshal(base)
	if err != nil {
		return zero, err
	}
	next = zero
	if err := json.Unmarshal(merged, &next); err != nil {
		return zero, err
	}
	return next, nil
}

// knobsOf is l as its knobs, by JSON name.
func knobsOf(l any) (map[string]json.RawMessage, error) {
	raw, err := json.Marshal(l)
	if err != nil {
		return nil, err
	}
	var m map[string]json.RawMessage
	return m, json.Unmarshal(raw, &m)
}

// sameKnobValue reports whether two JSON values are the same knob value: equal numbers,
// strings equal but for case, or equal otherwise.
func sameKnobValue(a, b json.RawMessage) bool {
	var x, y any
	if json.Unmarshal(a, &x) != nil || json.Unmarshal(b, &y) != nil {
		return false
	}
	xs, xok := x.(string)
	ys, yok := y.(string)
	if xok && yok {
		return strings.EqualFold(xs, ys)
	}
	return reflect.DeepEqual(x, y)
}
