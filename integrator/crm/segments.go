package crm

import (
	"fmt"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"
)

// UnmappedTags says what happens to a customer tag the segment mapping does not name.
type UnmappedTags string

// Policies for unmapped tags.
const (
	// IgnoreUnmapped drops them: only mapped tags become segments (the default).
	IgnoreUnmapped UnmappedTags = "ignore"
	// PassUnmapped passes them through as segments of their own, lower-cased, with the
	// characters a CRM picklist cannot hold (;) replaced.
	PassUnmapped UnmappedTags = "pass"
)

// SegmentMap maps Shopify customer tags to CRM segment values. Tags compare
// case-insensitively and trimmed, as Shopify treats them.
type SegmentMap struct {
	// Segments maps a tag (lower-cased) to its segment value.
	Segments map[string]string
	Unmapped UnmappedTags
}

// ParseSegmentMap reads a mapping file: a YAML map of Shopify tag → CRM segment value.
//
//	vip: VIP
//	wholesale: Wholesale
//	bfcm-2026: BFCM 2026
//
// A segment value may not be empty or contain ';' (CRMs separate multi-select values
// with it); a tag given twice (in any case) is an error.
func ParseSegmentMap(b []byte, unmapped UnmappedTags) (SegmentMap, error) {
	switch unmapped {
	case "":
		unmapped = IgnoreUnmapped
	case IgnoreUnmapped, PassUnmapped:
	default:
		return SegmentMap{}, fmt.Errorf("unmapped tags %q must be %s or %s", unmapped, IgnoreUnmapped, PassUnmapped)
	}
	var raw map[string]string
	if err := yaml.Unmarshal(b, &raw); err != nil {
		return SegmentMap{}, fmt.Errorf("segment mapping: %w", err)
	}
	m := SegmentMap{Segments: map[string]string{}, Unmapped: unmapped}
	for tag, seg := range raw {
		k := strings.ToLower(strings.TrimSpace(tag))
		seg = strings.TrimSpace(seg)
		if k == "" || seg == "" || strings.Contains(seg, ";") {
			return SegmentMap{}, fmt.Errorf("segment mapping: %q → %q: tags and segments must not be empty, segments must not contain ';'", tag, seg)
		}
		if _, dup := m.Segments[k]; dup {
			return SegmentMap{}, fmt.Errorf("segment mapping: tag %q is given twice", tag)
		}
		m.Segments[k] = seg
	}
	return m, nil
}

// LoadSegmentMap reads a mapping file from disk; an empty path is an empty mapping.
func LoadSegmentMap(path string, unmapped UnmappedTags) (SegmentMap, error) {
	if path == "" {
		return ParseSegmentMap(nil, unmapped)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return SegmentMap{}, fmt.Errorf("segment mapping: %w", err)
	}
	return ParseSegmentMap(b, unmapped)
}

// Apply maps Shopify's tags (the comma-separated "tags" of a customer payload) to
// sorted, distinct segment values.
func (m SegmentMap) Apply(tags string) []string {
	var out []string
	for _, t := range strings.Split(tags, ",") {
		k := strings.ToLower(strings.TrimSpace(t))
		if k == "" {
			continue
		}
		if seg, ok := m.Segments[k]; ok {
			out = append(out, seg)
		} else if m.Unmapped == PassUnmapped {
			out = append(out, strings.ReplaceAll(k, ";", "_"))
		}
	}
	return normSegments(out)
}

// Values lists the mapped segment values, sorted (a CRM picklist's options).
func (m SegmentMap) Values() []string {
	out := make([]string, 0, len(m.Segments))
	for _, v := range m.Segments {
		out = append(out, v)
	}
	return normSegments(out)
}
