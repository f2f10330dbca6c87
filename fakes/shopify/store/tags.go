package store

import "strings"

// normalizeTags splits comma-separated entries, trims them, and drops empty and duplicate
// tags (case-insensitively, keeping the first spelling), as Shopify does.
func normalizeTags(in []string, field string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	for _, t := range in {
		for _, part := range strings.Split(t, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			if len(part) > 255 {
				return nil, invalid("TOO_LONG", "a tag is longer than 255 characters", field)
			}
			k := strings.ToLower(part)
			if !seen[k] {
				seen[k] = true
				out = append(out, part)
			}
		}
	}
	if len(out) > 250 {
		return nil, invalid("TOO_LONG", "at most 250 tags", field)
	}
	return out, nil
}

func mergeTags(have, add, remove []string) ([]string, bool) {
	out := append([]string(nil), have...)
	changed := false
	for _, r := range remove {
		for i, t := range out {
			if strings.EqualFold(t, r) {
				out = append(out[:i], out[i+1:]...)
				changed = true
				break
			}
		}
	}
	for _, t := range add {
		found := false
		for _, h := range out {
			found = found || strings.EqualFold(h, t)
		}
		if !found {
			out = append(out, t)
			changed = true
		}
	}
	return out, changed
}
