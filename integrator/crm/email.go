package crm

import (
	"strings"
	"unicode/utf8"
)

// Reasons an e-mail address is refused, as listed by the invalid-email list.
const (
	ReasonEmpty        = "empty"
	ReasonNoAt         = "no @"
	ReasonManyAt       = "more than one @"
	ReasonEmptyLocal   = "nothing before the @"
	ReasonBadDomain    = "the domain is not a host name with a dot (example.com)"
	ReasonBadCharacter = "a space, a control character or one of ,;:<>()[]\\\" "
	ReasonDots         = "a dot at the start or end of a part, or two dots in a row"
	ReasonTooLong      = "longer than 254 characters (local part 64)"
)

// NormalizeEmail trims and lower-cases an address: the form contacts are deduplicated by
// (HubSpot and Salesforce's duplicate rule compare addresses case-insensitively).
func NormalizeEmail(raw string) string { return strings.ToLower(strings.TrimSpace(raw)) }

// ValidateEmail checks an address's syntax after normalising it, the practical subset
// of RFC 5321 that CRMs accept: local@domain, one @, a local part of at most 64
// characters without spaces, quotes or the separators ,;:<>()[], no leading, trailing or
// doubled dots, a domain of letters, digits, hyphens and at least one dot, whose labels
// neither start nor end with a hyphen and whose last label has two letters or more. It
// returns the normalised address, and the reason when it is refused ("" when valid).
func ValidateEmail(raw string) (normalized, reason string) {
	e := NormalizeEmail(raw)
	switch {
	case e == "":
		return e, ReasonEmpty
	case len(e) > 254 || !utf8.ValidString(e):
		if len(e) > 254 {
			return e, ReasonTooLong
		}
		return e, ReasonBadCharacter
	}
	at := strings.Count(e, "@")
	if at == 0 {
		return e, ReasonNoAt
	}
	if at > 1 {
		return e, ReasonManyAt
	}
	local, domain, _ := strings.Cut(e, "@")
	if local == "" {
		return e, ReasonEmptyLocal
	}
	if len(local) > 64 {
		return e, ReasonTooLong
	}
	for _, r := range local {
		if r <= ' ' || r == 0x7f || strings.ContainsRune(",;:<>()[]\\\"", r) {
			return e, ReasonBadCharacter
		}
	}
	if badDots(local) {
		return e, ReasonDots
	}
	if !validDomain(domain) {
		for _, r := range domain {
			if r <= ' ' || strings.ContainsRune(",;:<>()[]\\\"", r) {
				return e, ReasonBadCharacter
			}
		}
		if badDots(domain) {
			return e, ReasonDots
		}
		return e, ReasonBadDomain
	}
	return e, ""
}

func badDots(s string) bool {
	return strings.HasPrefix(s, ".") || strings.HasSuffix(s, ".") || strings.Contains(s, "..")
}

func validDomain(d string) bool {
	if len(d) > 253 || !strings.Contains(d, ".") {
		return false
	}
	labels := strings.Split(d, ".")
	for _, l := range labels {
		if l == "" || len(l) > 63 || l[0] == '-' || l[len(l)-1] == '-' {
			return false
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= 'a' && c <= 'z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	tld := labels[len(labels)-1]
	if len(tld) < 2 {
		return false
	}
	for i := 0; i < len(tld); i++ {
		if tld[i] >= '0' && tld[i] <= '9' {
			return false
		}
	}
	return true
}
