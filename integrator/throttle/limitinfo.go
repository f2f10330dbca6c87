package throttle

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// ErrMalformedLimitInfo is wrapped by ParseLimitInfo's errors.
var ErrMalformedLimitInfo = errors.New("throttle: malformed Sforce-Limit-Info")

// APIUsage is one "used/limit" pair of Salesforce's Sforce-Limit-Info header.
type APIUsage struct {
	Used  int64 `json:"used"`
	Limit int64 `json:"limit"`
}

// AppUsage is a per-app-api-usage entry: a connected app's own usage and limit.
type AppUsage struct {
	APIUsage
	App string `json:"app"`
}

// LimitInfo is a parsed Sforce-Limit-Info header value, e.g.
//
//	api-usage=10018/100000; api-bursts=1/750; per-app-api-usage=17/250(appName=sample-connected-app)
type LimitInfo struct {
	// APIUsage is the org's rolling 24 h usage and allocation (api-usage); always set
	// when ParseLimitInfo succeeds. Used may exceed Limit (Salesforce lets usage run
	// over before it blocks).
	APIUsage APIUsage `json:"api_usage"`
	// APIBursts is api-bursts (times the daily limit may be exceeded / entitlement),
	// when present.
	APIBursts *APIUsage `json:"api_bursts,omitempty"`
	// PerApp lists per-app-api-usage entries, when present.
	PerApp []AppUsage `json:"per_app,omitempty"`
}

// maxLimitInfoLen bounds the header value ParseLimitInfo accepts.
const maxLimitInfoLen = 4096

// ParseLimitInfo parses a Sforce-Limit-Info header value. Entries are separated by ';'
// (',' is accepted too), surrounding spaces are ignored, names are case-insensitive,
// and entries with unknown names are skipped if they have the "name=value" shape. It
// fails (wrapping ErrMalformedLimitInfo) when api-usage is missing or any known entry
// is not "used/limit" with non-negative integers, or the value is over 4096 bytes.
func ParseLimitInfo(value string) (LimitInfo, error) {
	var li LimitInfo
	if len(value) > maxLimitInfoLen {
		return li, fmt.Errorf("%w: %d bytes", ErrMalformedLimitInfo, len(value))
	}
	found := false
	for entry := range strings.FieldsFuncSeq(value, func(r rune) bool { return r == ';' || r == ',' }) {
		entry = strings.TrimSpace(entry)
		if entry == "" {
			continue
		}
		name, val, ok := strings.Cut(entry, "=")
		if !ok {
			return LimitInfo{}, fmt.Errorf("%w: entry %q has no '='", ErrMalformedLimitInfo, entry)
		}
		name = strings.ToLower(strings.TrimSpace(name))
		val = strings.TrimSpace(val)
		switch name {
		case "api-usage":
			if found {
				return LimitInfo{}, fmt.Errorf("%w: api-usage given twice", ErrMalformedLimitInfo)
			}
			u, err := parseUsage(val)
			if err != nil {
				return LimitInfo{}, fmt.Errorf("%w: api-usage: %v", ErrMalformedLimitInfo, err)
			}
			li.APIUsage, found = u, true
		case "api-bursts":
			u, err := parseUsage(val)
			if err != nil {
				return LimitInfo{}, fmt.Errorf("%w: api-bursts: %v", ErrMalformedLimitInfo, err)
			}
			li.APIBursts = &u
		case "per-app-api-usage":
			pair, rest, _ := strings.Cut(val, "(")
			u, err := parseUsage(strings.TrimSpace(pair))
			if err != nil {
				return LimitInfo{}, fmt.Errorf("%w: per-app-api-usage: %v", ErrMalformedLimitInfo, err)
			}
			a := AppUsage{APIUsage: u}
			if rest != "" {
				inner, ok := strings.CutSuffix(strings.TrimSpace(rest), ")")
				if !ok {
					return LimitInfo{}, fmt.Errorf("%w: per-app-api-usage: unclosed '('", ErrMalformedLimitInfo)
				}
				k, v, _ := strings.Cut(inner, "=")
				if strings.TrimSpace(k) == "appName" {
					a.App = strings.TrimSpace(v)
				}
			}
			li.PerApp = append(li.PerApp, a)
		default:
			if name == "" {
				return LimitInfo{}, fmt.Errorf("%w: entry %q has no name", ErrMalformedLimitInfo, entry)
			}
		}
	}
	if !found {
		return LimitInfo{}, fmt.Errorf("%w: no api-usage in %q", ErrMalformedLimitInfo, truncate(value, 80))
	}
	return li, nil
}

// String renders li as Salesforce writes the header.
func (li LimitInfo) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "api-usage=%d/%d", li.APIUsage.Used, li.APIUsage.Limit)
	if li.APIBursts != nil {
		fmt.Fprintf(&b, "; api-bursts=%d/%d", li.APIBursts.Used, li.APIBursts.Limit)
	}
	for _, a := range li.PerApp {
		fmt.Fprintf(&b, "; per-app-api-usage=%d/%d", a.Used, a.Limit)
		if a.App != "" {
			fmt.Fprintf(&b, "(appName=%s)", a.App)
		}
	}
	return b.String()
}

func parseUsage(s string) (APIUsage, error) {
	used, limit, ok := strings.Cut(s, "/")
	if !ok {
		return APIUsage{}, fmt.Errorf("%q is not used/limit", truncate(s, 40))
	}
	u, err1 := parseCount(strings.TrimSpace(used))
	l, err2 := parseCount(strings.TrimSpace(limit))
	if err := errors.Join(err1, err2); err != nil {
		return APIUsage{}, fmt.Errorf("%q: %w", truncate(s, 40), err)
	}
	return APIUsage{Used: u, Limit: l}, nil
}

// parseCount accepts decimal digits only (no sign, no spaces inside), at most 18 of them.
func parseCount(s string) (int64, error) {
	if s == "" || len(s) > 18 {
		return 0, fmt.Errorf("%q is not a count", truncate(s, 20))
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, fmt.Errorf("%q is not a count", truncate(s, 20))
		}
	}
	return strconv.ParseInt(s, 10, 64)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
