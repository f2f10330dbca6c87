package fakehttp

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
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
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&p); err != nil {
			return p, fmt.Errorf("profile: %w", err)
		}
		if dec.More() {
			return p, errors.New("profile: trailing data after the JSON object")
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
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.DisallowUnknownFields()
	if err := dec.Decode(dst); err != nil {
		return err
	}
	if dec.More() {
		return errors.New("trailing data after the limits object")
	}
	return nil
}
