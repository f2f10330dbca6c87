package salesforce

import (
	"fmt"
	"net/http"
	"strconv"
	"strings"
)

// Versions are the API versions served, from Min to Max (major numbers: v60.0 is 60).
type Versions struct{ Min, Max int }

// DefaultAPIVersions is v31.0 (Summer '14) to v66.0 (Spring '26): the versions
// Salesforce supports since it retired v21.0 to v30.0 in Summer '25.
const DefaultAPIVersions = "v31.0-v66.0"

// DefaultRetiredAPIVersions are the versions Salesforce has retired (v7.0 to v20.0 in
// Summer '22, v21.0 to v30.0 in Summer '25): a request for one answers 410 GONE.
const DefaultRetiredAPIVersions = "v7.0-v30.0"

// minRESTVersion is the first version of the REST API (Winter '11).
const minRESTVersion = 20

// upsertCreatedFrom is the first version whose upsert answers an update with 200 and a
// body (with "created": false) instead of 204, and adds "created" to inserts.
const upsertCreatedFrom = 46

// ParseVersions reads "v31.0-v66.0", "31.0-66.0" or a single "v60.0": versions the REST
// API can serve, v20.0 or later.
func ParseVersions(v string) (Versions, error) {
	vs, err := parseVersionRange(v)
	if err == nil && vs.Min < minRESTVersion {
		return Versions{}, fmt.Errorf("api versions %q: the oldest REST version is v20.0", v)
	}
	return vs, err
}

// parseVersionRange reads a range of versions, or one version.
func parseVersionRange(v string) (Versions, error) {
	lo, hi, isRange := strings.Cut(strings.TrimSpace(v), "-")
	first, ok := parseVersion(strings.TrimSpace(lo))
	if !ok {
		return Versions{}, fmt.Errorf("api versions %q: %q is not a version like v60.0", v, lo)
	}
	last := first
	if isRange {
		if last, ok = parseVersion(strings.TrimSpace(hi)); !ok {
			return Versions{}, fmt.Errorf("api versions %q: %q is not a version like v66.0", v, hi)
		}
	}
	if last < first {
		return Versions{}, fmt.Errorf("api versions %q: v%d.0 is before v%d.0", v, last, first)
	}
	return Versions{Min: first, Max: last}, nil
}

// parseVersion reads "v60.0" or "60.0" into 60. Salesforce versions always end in .0.
func parseVersion(s string) (int, bool) {
	s = strings.TrimPrefix(strings.TrimPrefix(s, "v"), "V")
	major, ok := strings.CutSuffix(s, ".0")
	if !ok || major == "" || len(major) > 3 {
		return 0, false
	}
	n, err := strconv.Atoi(major)
	if err != nil || n <= 0 || major[0] == '0' || major[0] == '+' {
		return 0, false
	}
	return n, true
}

func (v Versions) String() string { return fmt.Sprintf("v%d.0-v%d.0", v.Min, v.Max) }

// contains reports whether version n is in the range.
func (v Versions) contains(n int) bool { return n >= v.Min && n <= v.Max }

// serves reports whether a path segment like "v60.0" names a served version.
func (v Versions) serves(segment string) (int, bool) {
	n, ok := pathVersion(segment)
	return n, ok && v.contains(n)
}

// pathVersion reads the version segment of a data API path, "v60.0".
func pathVersion(segment string) (int, bool) {
	if !strings.HasPrefix(segment, "v") {
		return 0, false
	}
	return parseVersion(segment)
}

// gone is the 410 answer for a retired version. Salesforce documents the status for a
// retired version (REST API End-of-Life Policy); the errorCode GONE is what clients
// received from it (restforce/restforce#941); the message is the fake's.
func gone(version, oldestServed int) *apiError {
	return newError(http.StatusGone, CodeGone, fmt.Sprintf("API version %d.0 has been retired and is no longer available. Use version %d.0 or later.", version, oldestServed))
}

// releaseLabel names the release of a version: v20.0 is Winter '11, then three releases
// a year (Spring, Summer, Winter of the next year).
func releaseLabel(version int) string {
	i := version - 20
	year := 11 + i/3
	season := [...]string{"Winter", "Spring", "Summer"}[i%3]
	return fmt.Sprintf("%s '%02d", season, year%100)
}

type versionEntry struct {
	Label   string `json:"label"`
	URL     string `json:"url"`
	Version string `json:"version"`
}

// serveVersions is GET /services/data/: every served version, oldest first. It needs no
// session and, as on Salesforce, carries no Sforce-Limit-Info.
func (s *Server) serveVersions(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		writeError(w, methodNotAllowed(r.Method, "GET,HEAD"))
		return
	}
	v := s.settings.Load().versions
	out := make([]versionEntry, 0, v.Max-v.Min+1)
	for n := v.Min; n <= v.Max; n++ {
		out = append(out, versionEntry{Label: releaseLabel(n), URL: fmt.Sprintf("/services/data/v%d.0", n), Version: fmt.Sprintf("%d.0", n)})
	}
	writeJSON(w, http.StatusOK, out)
}
