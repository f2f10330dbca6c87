package salesforce

import "strings"

// Key prefixes: the first three characters of every record id of a type.
const (
	PrefixAccount = "001"
	PrefixContact = "003"
	PrefixOrg     = "00D"
	PrefixUser    = "005"
	prefixCursor  = "01g"
)

const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

// podCode stands where Salesforce puts the instance and reserved characters of an id.
const podCode = "5g0"

// NewID returns the 18-character id of the n-th record with a key prefix: the prefix,
// the pod code, n in base 62 over nine characters, and the three-character case-safe
// suffix Salesforce appends to 15-character ids.
func NewID(prefix string, n uint64) string {
	var b [15]byte
	copy(b[:], prefix)
	copy(b[3:], podCode)
	for i := 14; i >= 6; i-- {
		b[i] = base62[n%62]
		n /= 62
	}
	return string(b[:]) + idSuffix(string(b[:]))
}

// idSuffix computes the checksum Salesforce adds to a 15-character id: for each block of
// five characters, the bits of which ones are upper-case letters, as one character of
// A-Z0-5.
func idSuffix(id15 string) string {
	const table = "ABCDEFGHIJKLMNOPQRSTUVWXYZ012345"
	var out [3]byte
	for block := 0; block < 3; block++ {
		v := 0
		for i := 0; i < 5; i++ {
			if c := id15[block*5+i]; c >= 'A' && c <= 'Z' {
				v |= 1 << i
			}
		}
		out[block] = table[v]
	}
	return string(out[:])
}

// looksLikeID reports whether s has the shape of a record id: 15 or 18 letters and
// digits.
func looksLikeID(s string) bool {
	if len(s) != 15 && len(s) != 18 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if !strings.ContainsRune(base62, rune(s[i])) {
			return false
		}
	}
	return true
}

// canonicalID returns the 18-character form of a 15- or 18-character id, and false if
// s is not an id or its suffix does not match (Salesforce compares the suffix
// case-insensitively).
func canonicalID(s string) (string, bool) {
	if !looksLikeID(s) {
		return "", false
	}
	want := idSuffix(s[:15])
	if len(s) == 18 && !strings.EqualFold(s[15:], want) {
		return "", false
	}
	return s[:15] + want, true
}
