package netsuite

import (
	"net/http"
	"strconv"
	"strings"
)

// recordID is a record named in a URL: an internal id ("647") or an external id
// ("eid:CID001").
type recordID struct {
	id  int64
	eid string
}

func (r recordID) isExternal() bool { return r.eid != "" }

func (r recordID) String() string {
	if r.eid != "" {
		return "eid:" + r.eid
	}
	return itoa(r.id)
}

// parseRecordID reads a URL path segment that names a record. An external id may contain
// letters, digits, _ and -; anything else (a | above all, which NetSuite reads as a
// multi-select delimiter) is refused with 400. It never panics on any input.
func parseRecordID(seg string) (recordID, *apiError) {
	if v, ok := strings.CutPrefix(seg, "eid:"); ok {
		if !validExternalID(v) {
			return recordID{}, invalidIdentifier(seg, "An external ID may contain only letters, digits, _ and -.")
		}
		return recordID{eid: v}, nil
	}
	if seg == "" || len(seg) > 18 || strings.Trim(seg, "0123456789") != "" {
		return recordID{}, invalidIdentifier(seg, "Provide an internal ID (a positive integer) or an external ID written eid:VALUE.")
	}
	n, err := strconv.ParseInt(seg, 10, 64)
	if err != nil || n <= 0 {
		return recordID{}, invalidIdentifier(seg, "Provide an internal ID (a positive integer) or an external ID written eid:VALUE.")
	}
	return recordID{id: n}, nil
}

func invalidIdentifier(seg, hint string) *apiError {
	return &apiError{status: http.StatusBadRequest, detail: ErrorDetail{
		Detail: "Invalid value for the resource or sub-resource identifier: '" + seg + "'. " + hint,
		Code:   CodeInvalidParameter, URLPath: seg,
	}}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
