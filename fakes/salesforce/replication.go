package salesforce

import (
	"fmt"
	"net/http"
	"slices"
	"strings"
	"time"
)

// Replication windows and caps of sObject Get Updated and sObject Get Deleted, from
// Salesforce's REST API reference: updated records are kept for 30 days, deleted ones
// for 15, counted from the start of the day the call is made, and a call that would
// return more than 600,000 ids fails with EXCEEDED_ID_LIMIT.
const (
	updatedWindowDays = 30
	deletedWindowDays = 15
	maxReplicationIDs = 600_000
)

// replicationTimeLayouts are the forms start and end are read in: ISO 8601 with a zone,
// as Salesforce documents them, and Salesforce's own datetime format.
var replicationTimeLayouts = []string{time.RFC3339Nano, "2006-01-02T15:04:05.000-0700", "2006-01-02T15:04:05-0700", "2006-01-02T15:04Z07:00"}

func replicationError(format string, a ...any) *apiError {
	return newError(http.StatusBadRequest, CodeInvalidReplicationDate, fmt.Sprintf(format, a...))
}

// replicationWindow reads start and end, truncated to the minute as Salesforce does,
// and checks that start precedes end and is within windowDays of the start of today.
func (s *Server) replicationWindow(r *http.Request, windowDays int) (start, end time.Time, e *apiError) {
	q := r.URL.Query()
	parse := func(name string) (time.Time, *apiError) {
		v := q.Get(name)
		if v == "" {
			return time.Time{}, replicationError("%s is required: an ISO 8601 date and time such as 2025-11-28T06:00:00+00:00", name)
		}
		for _, layout := range replicationTimeLayouts {
			if t, err := time.Parse(layout, v); err == nil {
				return t.UTC().Truncate(time.Minute), nil
			}
		}
		return time.Time{}, replicationError("%s is not a valid date and time: %s", name, ellipsis(v))
	}
	if start, e = parse("start"); e != nil {
		return
	}
	if end, e = parse("end"); e != nil {
		return
	}
	if !start.Before(end) {
		return start, end, replicationError("startDate must chronologically precede endDate")
	}
	oldest := s.clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -windowDays)
	if start.Before(oldest) {
		return start, end, replicationError("startDate can not be more than %d days ago", windowDays)
	}
	return start, end, nil
}

// serveUpdated is GET /sobjects/{Type}/updated/?start=&end=: the ids of live records
// whose SystemModstamp is in [start, end), in that order.
func (s *Server) serveUpdated(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef) *apiError {
	start, end, e := s.replicationWindow(r, updatedWindowDays)
	if e != nil {
		return e
	}
	type hit struct {
		id string
		at time.Time
	}
	var hits []hit
	s.rlock(rq)
	for _, rec := range s.st.live(obj.Name) {
		at, _ := rec.values["SystemModstamp"].(time.Time)
		if !at.Before(start) && at.Before(end) {
			hits = append(hits, hit{rec.id, at})
		}
	}
	s.runlock(rq)
	if len(hits) > maxReplicationIDs {
		return newError(http.StatusBadRequest, CodeExceededIDLimit, "Too many ids: choose start and end dates that are closer together")
	}
	slices.SortStableFunc(hits, func(a, b hit) int { return a.at.Compare(b.at) })
	ids := make([]string, len(hits))
	for i, h := range hits {
		ids[i] = h.id
	}
	writeJSON(w, http.StatusOK, map[string]any{"ids": ids, "latestDateCovered": sfTimeString(s.latestCovered(end))})
	return nil
}

// serveDeleted is GET /sobjects/{Type}/deleted/?start=&end=: the records deleted in
// [start, end), with when.
func (s *Server) serveDeleted(w http.ResponseWriter, r *http.Request, rq *request, obj *objectDef) *apiError {
	start, end, e := s.replicationWindow(r, deletedWindowDays)
	if e != nil {
		return e
	}
	type deletedRecord struct {
		ID          string `json:"id"`
		DeletedDate string `json:"deletedDate"`
		at          time.Time
	}
	var out []deletedRecord
	s.rlock(rq)
	for _, rec := range s.st.tables[obj.Name].byID {
		if !rec.deleted {
			continue
		}
		at, _ := rec.values["SystemModstamp"].(time.Time)
		if !at.Before(start) && at.Before(end) {
			out = append(out, deletedRecord{ID: rec.id, DeletedDate: sfTimeString(at), at: at})
		}
	}
	born := s.st.born
	s.runlock(rq)
	if len(out) > maxReplicationIDs {
		return newError(http.StatusBadRequest, CodeExceededIDLimit, "Too many ids: choose start and end dates that are closer together")
	}
	slices.SortStableFunc(out, func(a, b deletedRecord) int {
		if c := a.at.Compare(b.at); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	if out == nil {
		out = []deletedRecord{}
	}
	earliest := s.clock.Now().UTC().Truncate(24*time.Hour).AddDate(0, 0, -deletedWindowDays)
	if born.After(earliest) {
		earliest = born
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"deletedRecords":        out,
		"earliestDateAvailable": sfTimeString(earliest.UTC().Truncate(time.Minute)),
		"latestDateCovered":     sfTimeString(s.latestCovered(end)),
	})
	return nil
}

// latestCovered is the last instant a replication call covers: its end, or now if the
// end is in the future, to the minute.
func (s *Server) latestCovered(end time.Time) time.Time {
	if now := s.clock.Now().UTC().Truncate(time.Minute); now.Before(end) {
		return now
	}
	return end
}

func sfTimeString(t time.Time) string { return t.UTC().Format(sfTime) }
