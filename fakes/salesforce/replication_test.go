package salesforce

import (
	"encoding/json"
	"net/http"
	"net/url"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func window(start, end time.Time) string {
	return "?start=" + url.QueryEscape(start.Format(time.RFC3339)) + "&end=" + url.QueryEscape(end.Format(time.RFC3339))
}

func TestGetUpdatedAndDeleted(t *testing.T) {
	t.Parallel()
	b := setup(t)
	start := b.clock.Now()
	a := b.createContact(t, `{"LastName":"A"}`)
	b.clock.Advance(2 * time.Minute)
	c := b.createContact(t, `{"LastName":"C"}`)
	b.clock.Advance(2 * time.Minute)
	resp, body := b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/"+a, `{"FirstName":"Ada"}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	b.clock.Advance(time.Minute)
	resp, body = b.do(t, http.MethodDelete, "v60.0/sobjects/Contact/"+c, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	b.clock.Advance(time.Minute)
	end := b.clock.Now()

	// updated: live records by SystemModstamp, in that order; the path is not taken
	// for an external id (it used to be)
	resp, body = b.do(t, http.MethodGet, "v60.0/sobjects/Contact/updated/"+window(start, end), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.NotEmpty(t, resp.Header.Get("Sforce-Limit-Info"))
	assert.JSONEq(t, `{"ids":["`+a+`"],"latestDateCovered":"`+end.UTC().Format(sfTime)+`"}`, string(body))

	// a record is found by its latest SystemModstamp: an earlier window misses the
	// updated record, and never reports the deleted one
	resp, body = b.do(t, http.MethodGet, "v60.0/sobjects/Contact/updated"+window(start, start.Add(3*time.Minute)), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"ids":[],"latestDateCovered":"`+start.Add(3*time.Minute).UTC().Format(sfTime)+`"}`, string(body))

	resp, body = b.do(t, http.MethodGet, "v60.0/sobjects/Contact/deleted/"+window(start, end), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var del struct {
		DeletedRecords []struct {
			ID          string `json:"id"`
			DeletedDate string `json:"deletedDate"`
		} `json:"deletedRecords"`
		EarliestDateAvailable string `json:"earliestDateAvailable"`
		LatestDateCovered     string `json:"latestDateCovered"`
	}
	require.NoError(t, json.Unmarshal(body, &del))
	require.Len(t, del.DeletedRecords, 1)
	assert.Equal(t, c, del.DeletedRecords[0].ID)
	assert.Equal(t, start.Add(5*time.Minute).UTC().Format(sfTime), del.DeletedRecords[0].DeletedDate)
	assert.Equal(t, start.UTC().Format(sfTime), del.EarliestDateAvailable)
	assert.Equal(t, end.UTC().Format(sfTime), del.LatestDateCovered)

	// a window in the future is covered up to now
	resp, body = b.do(t, http.MethodGet, "v60.0/sobjects/Account/updated/"+window(start, end.Add(time.Hour)), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"ids":[],"latestDateCovered":"`+end.UTC().Format(sfTime)+`"}`, string(body))
}

func TestReplicationWindowRules(t *testing.T) {
	t.Parallel()
	b := setup(t)
	now := b.clock.Now()
	cases := []struct {
		name, path string
	}{
		{"reversed", "updated/" + window(now, now.Add(-time.Hour))},
		{"under a minute once seconds are dropped", "updated/?start=2025-11-28T05:10:05Z&end=2025-11-28T05:10:50Z"},
		{"updated older than 30 days", "updated/" + window(now.AddDate(0, 0, -31), now)},
		{"deleted older than 15 days", "deleted/" + window(now.AddDate(0, 0, -16), now)},
		{"no start", "updated/?end=2025-11-28T05:00:00Z"},
		{"not a date", "deleted/?start=yesterday&end=2025-11-28T05:00:00Z"},
	}
	for _, c := range cases {
		resp, body := b.do(t, http.MethodGet, "v60.0/sobjects/Contact/"+c.path, "")
		requireError(t, resp, body, http.StatusBadRequest, CodeInvalidReplicationDate)
	}
	resp, body := b.do(t, http.MethodGet, "v60.0/sobjects/Contact/updated/"+window(now.AddDate(0, 0, -29), now), "")
	assert.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	resp, body = b.do(t, http.MethodPost, "v60.0/sobjects/Contact/updated/"+window(now.Add(-time.Hour), now), "{}")
	requireError(t, resp, body, http.StatusMethodNotAllowed, CodeMethodNotAllowed)
}
