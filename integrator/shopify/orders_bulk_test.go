package shopify

import (
	"context"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestUpdatedOrdersBulkQueryFiltersAtOrAfter(t *testing.T) {
	since := time.Date(2026, 11, 27, 9, 0, 30, 500, time.FixedZone("x", 3600))
	assert.Equal(t, `{ orders(query: "updated_at:>='2026-11-27T08:00:30Z'") { edges { node { id updatedAt } } } }`, UpdatedOrdersBulkQuery(since))
}

// A bulk result's lines are trusted only once they parse: an order gid and an updatedAt.
func TestParseOrderStampsRefusesWhatItCannotTrust(t *testing.T) {
	var got []OrderStamp
	err := ParseOrderStamps(strings.NewReader(`{"id":"gid://shopify/Order/7","updatedAt":"2026-11-27T09:00:00Z"}`+"\n"+
		`{"id":"gid://shopify/Order/8","updatedAt":"2026-11-27T09:01:00Z"}`+"\n"), func(o OrderStamp) error {
		got = append(got, o)
		return nil
	})
	require.NoError(t, err)
	at := time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)
	assert.Equal(t, []OrderStamp{{ID: 7, UpdatedAt: at}, {ID: 8, UpdatedAt: at.Add(time.Minute)}}, got)

	for file, want := range map[string]string{
		"{not json\n": "line 1",
		`{"id":"gid://shopify/Order/7","updatedAt":"2026-11-27T09:00:00Z"}` + "\n" + `{"id":"gid://shopify/Product/8","updatedAt":"2026-11-27T09:00:00Z"}`: `line 2: order id "gid://shopify/Product/8"`,
		`{"id":"gid://shopify/Order/-3","updatedAt":"2026-11-27T09:00:00Z"}`:                                                                               `order id "gid://shopify/Order/-3"`,
		`{"id":"gid://shopify/Order/9"}`:                                                "line 1: order 9 has no updatedAt",
		`{"id":"gid://shopify/Order/9","updatedAt":"yesterday"}`:                        "line 1: parsing time",
		`{"id":"gid://shopify/Order/9","x":"` + strings.Repeat("a", MaxBulkLine) + `"}`: "token too long",
	} {
		err := ParseOrderStamps(strings.NewReader(file), func(OrderStamp) error { return nil })
		require.Error(t, err, want)
		assert.Contains(t, err.Error(), want)
	}
	stop := errors.New("stop")
	err = ParseOrderStamps(strings.NewReader(`{"id":"gid://shopify/Order/7","updatedAt":"2026-11-27T09:00:00Z"}`), func(OrderStamp) error { return stop })
	assert.ErrorIs(t, err, stop)
}

func FuzzParseOrderStamps(f *testing.F) {
	f.Add(`{"id":"gid://shopify/Order/7","updatedAt":"2026-11-27T09:00:00Z"}` + "\n")
	f.Add("{}\n\n{")
	f.Fuzz(func(t *testing.T, file string) {
		_ = ParseOrderStamps(strings.NewReader(file), func(o OrderStamp) error {
			if o.ID <= 0 || o.UpdatedAt.IsZero() {
				t.Fatalf("accepted %+v", o)
			}
			return nil
		})
	})
}

// The result's URL is signed: a failed download's error, which ends in a log, does not
// quote its query.
func TestBulkDownloadErrorHidesTheSignature(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	base := srv.URL
	srv.Close() // nothing listens there any more
	c, err := New(base, "shpat_x", "", nil, nil)
	require.NoError(t, err)
	err = c.DownloadBulk(context.Background(), base+"/bulk/result.jsonl?X-Goog-Signature=s3cr3t", 1<<20, func(io.Reader) error { return nil })
	require.Error(t, err)
	assert.NotContains(t, err.Error(), "s3cr3t")
	assert.Contains(t, err.Error(), "/bulk/result.jsonl")
}
