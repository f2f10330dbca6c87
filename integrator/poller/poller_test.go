package poller

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/shopify"
)

var t0 = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

// costs records the requested cost Shopify reported for each GraphQL answer.
type costs struct {
	mu   sync.Mutex
	seen []int
}

func (c *costs) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := http.DefaultTransport.RoundTrip(r)
	if err != nil || !strings.HasSuffix(r.URL.Path, "graphql.json") {
		return resp, err
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body = io.NopCloser(bytes.NewReader(b))
	var x struct {
		Extensions struct {
			Cost struct {
				Requested int `json:"requestedQueryCost"`
			} `json:"cost"`
		} `json:"extensions"`
	}
	_ = json.Unmarshal(b, &x)
	c.mu.Lock()
	c.seen = append(c.seen, x.Extensions.Cost.Requested)
	c.mu.Unlock()
	return resp, nil
}

type fixture struct {
	clk      *clock.Manual
	fake     *fakeshopify.Server
	client   *shopify.Client
	rdb      *redis.Client
	applied  map[int64]time.Time
	enqueued []int64
	costs    *costs
}

func setup(t *testing.T) *fixture {
	t.Helper()
	f := &fixture{clk: clock.NewManual(t0), applied: map[int64]time.Time{}, costs: &costs{}}
	var err error
	f.fake, err = fakeshopify.New(fakeshopify.Options{Seed: 5, AccessToken: "shpat_p", Clock: f.clk})
	require.NoError(t, err)
	f.client, err = shopify.New(fakehttptest.Start(t, f.fake), "shpat_p", "", nil, &http.Client{Transport: f.costs})
	require.NoError(t, err)
	f.rdb = redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = f.rdb.Close() })
	return f
}

func (f *fixture) poller() *Poller {
	return &Poller{Shopify: f.client, Clock: f.clk, Watermark: &RedisWatermark{Redis: f.rdb, Key: "t:poller"},
		Applied: func(_ context.Context, id int64) (time.Time, bool, error) {
			at, ok := f.applied[id]
			return at, ok, nil
		},
		Enqueue: func(_ context.Context, id int64, _ time.Time, payload []byte) error {
			var o struct {
				ID        int64  `json:"id"`
				LineItems []any  `json:"line_items"`
				UpdatedAt string `json:"updated_at"`
			}
			if err := json.Unmarshal(payload, &o); err != nil || o.ID != id || len(o.LineItems) == 0 || o.UpdatedAt == "" {
				panic("not an order payload: " + string(payload))
			}
			f.enqueued = append(f.enqueued, id)
			return nil
		}}
}

func (f *fixture) order(t *testing.T) store.Order {
	t.Helper()
	items := f.fake.Store().Catalog().Items
	ch, err := f.fake.Store().CreateOrder(store.OrderSpec{LineItems: []store.LineSpec{{SKU: items[0].SKU, Quantity: 1}}})
	require.NoError(t, err)
	o, _ := f.fake.Store().Order(ch.Orders[0])
	return o
}

func TestPollerEnqueuesMissingAndStaleOrdersAndKeepsItsWatermark(t *testing.T) {
	t.Parallel()
	f := setup(t)
	ctx := context.Background()
	synced, missed, stale := f.order(t), f.order(t), f.order(t)
	f.applied[synced.ID] = synced.UpdatedAt
	f.applied[stale.ID] = stale.UpdatedAt.Add(-time.Minute)
	f.clk.Advance(time.Minute)

	pass, err := f.poller().Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, 3, pass.Listed)
	assert.ElementsMatch(t, []int64{missed.ID, stale.ID}, f.enqueued, "the order never applied and the one applied at an older state")
	assert.Equal(t, stale.UpdatedAt.UTC(), pass.Watermark.UTC())
	for _, c := range f.costs.seen {
		assert.Equal(t, 11, c, "the client reserves what Shopify charges for the listing")
	}

	// A restarted poller starts from the saved watermark (less the overlap, which lists
	// the first three again): only what is newer than what was applied is enqueued.
	f.enqueued = nil
	f.applied[missed.ID], f.applied[stale.ID] = missed.UpdatedAt, stale.UpdatedAt
	f.clk.Advance(time.Hour)
	later := f.order(t)
	pass, err = f.poller().Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, 4, pass.Listed)
	assert.Equal(t, stale.UpdatedAt.Add(-DefaultOverlap).UTC(), pass.Since.UTC())
	assert.Equal(t, []int64{later.ID}, f.enqueued)

	wm := &RedisWatermark{Redis: f.rdb, Key: "t:poller"}
	require.NoError(t, wm.Save(ctx, t0))
	got, ok, err := wm.Load(ctx)
	require.NoError(t, err)
	require.True(t, ok)
	assert.Equal(t, later.UpdatedAt.UTC(), got.UTC(), "the watermark never goes back")

	// Orders updated before the watermark less the overlap are not listed any more.
	f.enqueued = nil
	f.applied[later.ID] = later.UpdatedAt
	f.clk.Advance(time.Hour)
	pass, err = f.poller().Poll(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, pass.Listed, "only the order within the overlap of the watermark")
	assert.Empty(t, f.enqueued)
}
