package overwrite

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

// bulkShop is Shopify's bulk API in memory: busy answers OPERATION_IN_PROGRESS that
// many times; the operation is RUNNING for polls polls, then ends with status.
type bulkShop struct {
	busy, polls int
	status      string
	file        string
	clk         *clock.Manual
	starts      int
}

func (b *bulkShop) RunBulkQuery(context.Context, string) (string, error) {
	b.starts++
	if b.busy > 0 {
		b.busy--
		return "", fmt.Errorf("%w: gid://shopify/BulkOperation/9", shopify.ErrBulkInProgress)
	}
	return "gid://shopify/BulkOperation/1", nil
}

func (b *bulkShop) BulkOperation(_ context.Context, id string) (shopify.BulkOperation, error) {
	if b.polls > 0 {
		b.polls--
		return shopify.BulkOperation{ID: id, Status: "RUNNING"}, nil
	}
	return shopify.BulkOperation{ID: id, Status: b.status, URL: "https://storage.example/result.jsonl"}, nil
}

func (b *bulkShop) CurrentBulkOperation(context.Context) (shopify.BulkOperation, bool, error) {
	return shopify.BulkOperation{}, false, nil
}

func (b *bulkShop) DownloadBulk(_ context.Context, _ string, _ int64, read func(io.Reader) error) error {
	return read(strings.NewReader(b.file))
}

const levelsFile = `{"id":"gid://shopify/InventoryItem/1","sku":"A"}
{"id":"gid://shopify/InventoryLevel/1?inventory_item_id=1","quantities":[{"name":"on_hand","quantity":7}],"location":{"id":"gid://shopify/Location/1"},"__parentId":"gid://shopify/InventoryItem/1"}
{"id":"gid://shopify/InventoryLevel/2?inventory_item_id=1","quantities":[{"name":"on_hand","quantity":3}],"location":{"id":"gid://shopify/Location/2"},"__parentId":"gid://shopify/InventoryItem/1"}
{"id":"gid://shopify/InventoryItem/2","sku":""}
{"id":"gid://shopify/InventoryLevel/3?inventory_item_id=2","quantities":[{"name":"on_hand","quantity":5}],"location":{"id":"gid://shopify/Location/1"},"__parentId":"gid://shopify/InventoryItem/2"}
`

// runLevels runs b.Levels while advancing the manual clock through its waits.
func runLevels(t *testing.T, b *BulkLevels, clk *clock.Manual) (levels map[string]Level, err error) {
	t.Helper()
	clk.Drive(time.Second, func() { levels, err = b.Levels(context.Background()) })
	return levels, err
}

func TestBulkLevelsWaitsForAnotherOperationPollsAndParses(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(t0)
	shop := &bulkShop{busy: 2, polls: 3, status: "COMPLETED", file: levelsFile}
	b := &BulkLevels{Shopify: shop, Clock: clk, PollEvery: 2 * time.Second}
	got, err := runLevels(t, b, clk)
	require.NoError(t, err)
	assert.Equal(t, 3, shop.starts, "started again once the other operation ended")
	assert.Equal(t, map[string]Level{"A": {InventoryItemID: "gid://shopify/InventoryItem/1", LocationID: "gid://shopify/Location/1", OnHand: 7}}, got,
		"each SKU's first level; an item without a SKU is left out")
	assert.Equal(t, t0.Add(10*time.Second), clk.Now(), "2 waits to start, 3 polls, 2 s each")

	b.Location = "gid://shopify/Location/2"
	shop.polls = 0
	got, err = runLevels(t, b, clk)
	require.NoError(t, err)
	assert.Equal(t, 3, got["A"].OnHand, "the configured location's level")
}

func TestBulkLevelsRefusesWhatItCannotTrust(t *testing.T) {
	t.Parallel()
	clk := clock.NewManual(t0)
	for _, c := range []struct {
		shop *bulkShop
		want string
	}{
		{&bulkShop{status: "FAILED"}, "ended FAILED"},
		{&bulkShop{status: "CANCELED"}, "ended CANCELED"},
		{&bulkShop{polls: 1 << 30}, "still RUNNING after 1m0s"},
		{&bulkShop{busy: 1 << 30}, "another bulk query kept running for 1m0s"},
		{&bulkShop{status: "COMPLETED", file: "{not json\n"}, "line 1"},
		{&bulkShop{status: "COMPLETED", file: `{"id":"x","sku":"` + strings.Repeat("A", maxBulkLine) + "\"}\n"}, "token too long"},
	} {
		_, err := runLevels(t, &BulkLevels{Shopify: c.shop, Clock: clk, BulkWait: time.Minute}, clk)
		require.Error(t, err, c.want)
		assert.Contains(t, err.Error(), c.want)
		if strings.HasPrefix(c.want, "ended") || strings.Contains(c.want, "after") || strings.Contains(c.want, "kept") {
			assert.ErrorIs(t, err, ErrBulkFailed)
		}
	}
}

// The download is bounded: a file longer than MaxBytes fails, never read as a whole one.
func TestBulkDownloadIsBounded(t *testing.T) {
	t.Parallel()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/chunked" {
			w.(http.Flusher).Flush() // no Content-Length
		}
		_, _ = io.WriteString(w, levelsFile)
	}))
	t.Cleanup(srv.Close)
	c, err := shopify.New(srv.URL, "shpat_x", "", nil, nil)
	require.NoError(t, err)
	for _, path := range []string{"/sized", "/chunked"} {
		err := c.DownloadBulk(context.Background(), srv.URL+path, 100, func(r io.Reader) error { return parseLevels(r, "", map[string]Level{}) })
		require.ErrorIs(t, err, shopify.ErrBulkTooLarge, path)
		out := map[string]Level{}
		require.NoError(t, c.DownloadBulk(context.Background(), srv.URL+path, int64(len(levelsFile)), func(r io.Reader) error { return parseLevels(r, "", out) }), path)
		assert.Len(t, out, 1)
	}
}

type throttledErr struct{}

func (throttledErr) Error() string             { return "THROTTLED" }
func (throttledErr) Throttled() bool           { return true }
func (throttledErr) RetryAfter() time.Duration { return 3 * time.Second }

func TestAThrottledBatchIsWaitedOutAndSentWithTheSameKey(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.o.BatchSize = 10
	b.shop.onCall = func(context.Context, int) error {
		if b.clk.Now().Before(t0.Add(3 * time.Second)) {
			return throttledErr{}
		}
		return nil
	}
	done := make(chan error, 1)
	go func() { _, err := b.o.Run(context.Background(), "n"); done <- err }()
	require.NoError(t, b.clk.BlockUntil(context.Background(), 1))
	b.clk.Advance(3 * time.Second)
	require.NoError(t, <-done)
	assert.Equal(t, []string{"A3", "A5", "A7"}, b.shop.written())
	require.Len(t, b.shop.tried, 2, "one THROTTLED answer, waited out 3 s, then sent again")
	assert.Equal(t, b.shop.tried[0], b.shop.tried[1], "with the same idempotency key")
}
