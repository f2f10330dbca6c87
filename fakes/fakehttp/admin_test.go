package fakehttp

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
)

func TestReadAdminBodyRefusesWhatIsTooLarge(t *testing.T) {
	t.Parallel()
	read := func(body string) (*httptest.ResponseRecorder, string, bool) {
		w := httptest.NewRecorder()
		got, ok := ReadAdminBody(w, httptest.NewRequest(http.MethodPut, "/_fake/x", strings.NewReader(body)), 1<<20)
		return w, string(got), ok
	}
	_, got, ok := read(strings.Repeat("a", 1<<20))
	assert.True(t, ok, "exactly the limit is read")
	assert.Len(t, got, 1<<20)
	w, _, ok := read(strings.Repeat("a", 1<<20+1))
	assert.False(t, ok)
	assert.Equal(t, http.StatusRequestEntityTooLarge, w.Code)
	assert.JSONEq(t, `{"error":"body larger than 1 MiB"}`, w.Body.String())
}

func TestQueryIntDefaultsAndBounds(t *testing.T) {
	t.Parallel()
	query := func(q string, max int64) (*httptest.ResponseRecorder, int64, bool) {
		w := httptest.NewRecorder()
		n, ok := QueryInt(w, httptest.NewRequest(http.MethodGet, "/_fake/x?"+q, nil), "limit", 7, max)
		return w, n, ok
	}
	_, n, ok := query("", 0)
	assert.True(t, ok)
	assert.Equal(t, int64(7), n, "absent: the default")
	_, n, ok = query("limit=1000", 1000)
	assert.True(t, ok)
	assert.Equal(t, int64(1000), n)
	for _, c := range []struct {
		query string
		max   int64
		msg   string
	}{
		{"limit=-1", 0, `query parameter limit="-1" is not a non-negative integer`},
		{"limit=x", 1000, `query parameter limit="x" is not a non-negative integer up to 1000`},
		{"limit=1001", 1000, `query parameter limit="1001" is not a non-negative integer up to 1000`},
	} {
		w, _, ok := query(c.query, c.max)
		assert.False(t, ok, c.query)
		assert.Equal(t, http.StatusBadRequest, w.Code, c.query)
		var body struct{ Error string }
		assert.NoError(t, json.Unmarshal(w.Body.Bytes(), &body))
		assert.Equal(t, c.msg, body.Error, c.query)
	}
}
