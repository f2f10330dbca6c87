package netsuite

import (
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseRecordID(t *testing.T) {
	t.Parallel()
	cases := []struct {
		seg   string
		id    int64
		eid   string
		error bool
	}{
		{"647", 647, "", false},
		{"eid:CID001", 0, "CID001", false},
		{"eid:5012345-A_b", 0, "5012345-A_b", false},
		{"eid:a|b", 0, "", true},
		{"eid:", 0, "", true},
		{"eid:a b", 0, "", true},
		{"eid:" + strings.Repeat("x", 256), 0, "", true},
		{"0", 0, "", true},
		{"-1", 0, "", true},
		{"12a", 0, "", true},
		{"99999999999999999999", 0, "", true},
		{"", 0, "", true},
	}
	for _, tc := range cases {
		got, err := parseRecordID(tc.seg)
		if tc.error {
			require.NotNil(t, err, tc.seg)
			assert.Equal(t, http.StatusBadRequest, err.status)
			continue
		}
		require.Nil(t, err, tc.seg)
		assert.Equal(t, tc.id, got.id, tc.seg)
		assert.Equal(t, tc.eid, got.eid, tc.seg)
		assert.Equal(t, tc.seg, got.String())
	}
}

func TestPipeInExternalIDIsRefusedOverHTTP(t *testing.T) {
	t.Parallel()
	_, b := setup(t)
	r := b.do(t, http.MethodGet, soPath+"/eid:a%7Cb", nil)
	require.Equal(t, http.StatusBadRequest, r.status)
	assert.Equal(t, CodeInvalidParameter, r.errorBody(t).Details[0].Code)

	r = b.do(t, http.MethodPost, soPath, map[string]any{"externalId": "a|b"})
	require.Equal(t, http.StatusBadRequest, r.status)
	e := r.errorBody(t)
	assert.Equal(t, CodeInvalidContent, e.Details[0].Code)
	assert.Equal(t, "externalId", e.Details[0].Path)
}

func FuzzParseRecordID(f *testing.F) {
	for _, s := range []string{"1", "eid:x", "eid:a|b", "eid:", "0", "9223372036854775807", "eid:ü"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, seg string) {
		id, err := parseRecordID(seg)
		if err != nil {
			if err.status != http.StatusBadRequest {
				t.Fatalf("status %d", err.status)
			}
			return
		}
		if id.eid != "" {
			if strings.ContainsAny(id.eid, "|/ ") || !validExternalID(id.eid) {
				t.Fatalf("accepted external id %q", id.eid)
			}
			return
		}
		if id.id <= 0 || id.String() != strings.TrimLeft(seg, "0") {
			t.Fatalf("internal id %d from %q", id.id, seg)
		}
	})
}
