package poller

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

// memShop is the poller's Shopify in memory: orders listed two a page (paged) or all
// at once (bulk, filtered by the query's updated_at:>=), each bulk operation RUNNING for
// running polls, then ending with status.
type memShop struct {
	orders  []shopify.OrderStamp // oldest update first
	running int
	status  string
	pages   int
	queries []string
	bound   int64 // the download's byte bound
}

func (m *memShop) UpdatedOrders(_ context.Context, since time.Time, after string) ([]shopify.OrderStamp, string, error) {
	m.pages++
	since = since.Truncate(time.Second) // the query carries seconds
	var in []shopify.OrderStamp
	for _, o := range m.orders {
		if o.UpdatedAt.After(since) {
			in = append(in, o)
		}
	}
	from, _ := strconv.Atoi(after)
	to := min(from+2, len(in))
	next := ""
	if to < len(in) {
		next = strconv.Itoa(to)
	}
	return in[from:to], next, nil
}

func (m *memShop) OrderJSON(_ context.Context, id int64) ([]byte, error) {
	return []byte(`{"id":` + strconv.FormatInt(id, 10) + `}`), nil
}

func (m *memShop) RunBulkQuery(_ context.Context, q string) (string, error) {
	m.queries = append(m.queries, q)
	return "gid://shopify/BulkOperation/" + strconv.Itoa(len(m.queries)), nil
}

func (m *memShop) BulkOperation(_ context.Context, id string) (shopify.BulkOperation, error) {
	if m.running > 0 {
		m.running--
		return shopify.BulkOperation{ID: id, Status: "RUNNING"}, nil
	}
	return shopify.BulkOperation{ID: id, Status: m.status, ErrorCode: "INTERNAL_SERVER_ERROR", URL: "https://storage.example/" + id}, nil
}

func (m *memShop) DownloadBulk(_ context.Context, _ string, maxBytes int64, read func(io.Reader) error) error {
	m.bound = maxBytes
	q := m.queries[len(m.queries)-1]
	at := strings.Index(q, "updated_at:>='")
	if at < 0 {
		return fmt.Errorf("query %q has no updated_at:>= filter", q)
	}
	s := q[at+len("updated_at:>='"):]
	since, err := time.Parse(time.RFC3339, s[:strings.IndexByte(s, '\'')])
	if err != nil {
		return err
	}
	var b strings.Builder
	for _, o := range m.orders {
		if !o.UpdatedAt.Before(since) {
			fmt.Fprintf(&b, "{\"id\":\"gid://shopify/Order/%d\",\"updatedAt\":%q}\n", o.ID, o.UpdatedAt.Format(time.RFC3339))
		}
	}
	return read(strings.NewReader(b.String()))
}

// memWatermark is a Watermark in memory.
type memWatermark struct {
	at  time.Time
	set bool
}

func (w *memWatermark) Load(context.Context) (time.Time, bool, error) { return w.at, w.set, nil }
func (w *memWatermark) Save(_ context.Context, t time.Time) error {
	w.at, w.set = t, true
	return nil
}

type bulkFixture struct {
	clk      *clock.Manual
	shop     *memShop
	wm       *memWatermark
	applied  map[int64]time.Time
	enqueued []int64
}

// newBulkFixture has n orders, one updated every minute from start, none applied.
func newBulkFixture(start time.Time, n int) *bulkFixture {
	f := &bulkFixture{clk: clock.NewManual(t0), shop: &memShop{status: "COMPLETED"}, wm: &memWatermark{}, applied: map[int64]time.Time{}}
	for i := range n {
		f.shop.orders = append(f.shop.orders, shopify.OrderStamp{ID: int64(1000 + i), UpdatedAt: start.Add(time.Duration(i) * time.Minute)})
	}
	return f
}

func (f *bulkFixture) poller() *Poller {
	return &Poller{Shopify: f.shop, Clock: f.clk, Watermark: f.wm, MaxPages: 3,
		Applied: func(_ context.Context, id int64) (time.Time, bool, error) {
			at, ok := f.applied[id]
			return at, ok, nil
		},
		Enqueue: func(_ context.Context, id int64, _ time.Time, _ []byte) error {
			f.enqueued = append(f.enqueued, id)
			return nil
		}}
}

// poll runs a pass while advancing the manual clock through the bulk read's waits.
func (f *bulkFixture) poll(t *testing.T, p *Poller) (pass Pass, err error) {
	t.Helper()
	f.clk.Drive(time.Second, func() { pass, err = p.Poll(context.Background()) })
	return pass, err
}

// A window longer than BulkAfter is read with one bulk operation, polled until it
// completes; every order in it is compared and the watermark moves to the newest.
func TestPollerReadsALargeWindowWithOneBulkOperation(t *testing.T) {
	t.Parallel()
	wm := t0.Add(-12 * time.Hour)
	f := newBulkFixture(wm.Add(-time.Minute), 600) // one before the watermark, within the overlap
	f.wm.at, f.wm.set = wm, true
	f.applied[1000] = f.shop.orders[0].UpdatedAt
	f.shop.running = 3

	pass, err := f.poll(t, f.poller())
	require.NoError(t, err)
	assert.Equal(t, 0, f.shop.pages, "no page listed")
	require.Len(t, f.shop.queries, 1, "one bulk operation")
	assert.Equal(t, `{ orders(query: "updated_at:>='2026-11-26T20:58:00Z'") { edges { node { id updatedAt } } } }`, f.shop.queries[0],
		"the window from the watermark less the overlap")
	assert.Equal(t, "gid://shopify/BulkOperation/1", pass.Bulk)
	assert.Equal(t, 600, pass.Listed)
	assert.Equal(t, 599, pass.Enqueued)
	assert.Len(t, f.enqueued, 599)
	newest := f.shop.orders[599].UpdatedAt
	assert.Equal(t, newest, pass.Watermark)
	assert.Equal(t, newest, f.wm.at)
	assert.Equal(t, t0.Add(3*2*time.Second), f.clk.Now(), "polled every 2 s until it completed")
	assert.Equal(t, int64(64<<20), f.shop.bound, "the result is read bounded")

	// The next pass, a minute later, is small again: paged.
	f.clk.Advance(time.Minute)
	pass, err = f.poll(t, f.poller())
	require.NoError(t, err)
	assert.Len(t, f.shop.queries, 1)
	assert.Empty(t, pass.Bulk)
	assert.Equal(t, 1, f.shop.pages)
}

// A bulk operation that fails leaves the watermark where it was: the next pass lists
// the same window again.
func TestPollerKeepsItsWatermarkWhenTheBulkOperationFails(t *testing.T) {
	t.Parallel()
	wm := t0.Add(-12 * time.Hour)
	f := newBulkFixture(wm, 50)
	f.wm.at, f.wm.set = wm, true
	f.shop.status = "FAILED"

	pass, err := f.poll(t, f.poller())
	require.ErrorIs(t, err, shopify.ErrBulkFailed)
	assert.Contains(t, err.Error(), "ended FAILED INTERNAL_SERVER_ERROR")
	assert.Equal(t, wm, f.wm.at)
	assert.Equal(t, wm, pass.Watermark)
	assert.Empty(t, f.enqueued)

	f.shop.status = "COMPLETED"
	pass, err = f.poll(t, f.poller())
	require.NoError(t, err)
	assert.Len(t, f.shop.queries, 2)
	assert.Equal(t, 50, pass.Enqueued)
	assert.Equal(t, f.shop.orders[49].UpdatedAt, f.wm.at)
}

// A window shorter than BulkAfter is paged; one with more than MaxPages pages has the
// pages' progress saved and the rest read with one bulk operation.
func TestPollerPagesASmallWindowAndBulkReadsWhatItsPagesLeave(t *testing.T) {
	t.Parallel()
	wm := t0.Add(-time.Hour)
	f := newBulkFixture(wm.Add(time.Minute), 5)
	f.wm.at, f.wm.set = wm, true
	pass, err := f.poll(t, f.poller())
	require.NoError(t, err)
	assert.Empty(t, f.shop.queries, "no bulk operation")
	assert.Empty(t, pass.Bulk)
	assert.Equal(t, 3, f.shop.pages)
	assert.Equal(t, 5, pass.Enqueued)
	assert.Equal(t, f.shop.orders[4].UpdatedAt, f.wm.at)

	f = newBulkFixture(wm.Add(time.Minute), 20)
	f.wm.at, f.wm.set = wm, true
	var saves []time.Time
	p := f.poller()
	p.Watermark = savesOf(f.wm, &saves)
	pass, err = f.poll(t, p)
	require.NoError(t, err)
	assert.Equal(t, 3, f.shop.pages, "MaxPages")
	require.Len(t, f.shop.queries, 1)
	sixth := f.shop.orders[5].UpdatedAt
	assert.Contains(t, f.shop.queries[0], "updated_at:>='"+sixth.Add(-DefaultOverlap).Format(time.RFC3339)+"'", "the rest, from the pages' newest less the overlap")
	assert.Equal(t, []time.Time{sixth, f.shop.orders[19].UpdatedAt}, saves)
	assert.Len(t, f.enqueued, 20+3, "the three orders within the overlap are compared again, still unapplied")
	assert.Equal(t, 6+17, pass.Listed)
}

// A bulk pass never moves the watermark past an order it could not compare.
func TestPollerBulkPassFailingPartWayKeepsItsWatermark(t *testing.T) {
	t.Parallel()
	wm := t0.Add(-12 * time.Hour)
	f := newBulkFixture(wm, 10)
	f.wm.at, f.wm.set = wm, true
	p := f.poller()
	enqueue := p.Enqueue
	p.Enqueue = func(ctx context.Context, id int64, at time.Time, b []byte) error {
		if id == 1005 {
			return errors.New("redis down")
		}
		return enqueue(ctx, id, at, b)
	}
	_, err := f.poll(t, p)
	require.ErrorContains(t, err, "enqueueing order 1005: redis down")
	assert.Equal(t, wm, f.wm.at)
}

type savingWatermark struct {
	Watermark
	saves *[]time.Time
}

func (s savingWatermark) Save(ctx context.Context, t time.Time) error {
	*s.saves = append(*s.saves, t)
	return s.Watermark.Save(ctx, t)
}

func savesOf(w Watermark, saves *[]time.Time) Watermark { return savingWatermark{w, saves} }
