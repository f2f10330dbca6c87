package loadtest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	vegeta "github.com/tsenart/vegeta/v12/lib"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// countPacer sends n hits as fast as the attacker can, then stops: an exact hit count
// without depending on wall time.
type countPacer struct{ n uint64 }

func (p countPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) { return 0, hits >= p.n }
func (p countPacer) Rate(time.Duration) float64                              { return 0 }

// observingPacer observes one 300 ms (platform) answered attempt before each of its n hits.
type observingPacer struct {
	n uint64
	e *Engine
}

func (p observingPacer) Pace(_ time.Duration, hits uint64) (time.Duration, bool) {
	if hits >= p.n {
		return 0, true
	}
	p.e.ObserveAttempt(webhooks.Attempt{Attempt: 1, Status: 200, Latency: 300 * time.Millisecond})
	return 0, false
}
func (p observingPacer) Rate(time.Duration) float64 { return 0 }

func newStore(t *testing.T, mix *store.Mix) *store.Store {
	t.Helper()
	s, err := store.New(store.Config{Seed: 3, Clock: clock.NewManual(time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)),
		CatalogSize: 40, Customers: -1, Mix: mix})
	require.NoError(t, err)
	return s
}

func TestAttackPerformsEveryHitAsAStoreAction(t *testing.T) {
	t.Parallel()
	mix := store.DefaultMix()
	mix.PendingShare = 0.5
	s := newStore(t, &mix)
	e, err := New(Config{Store: s, Seed: 7, Mix: ActionMix{NewOrder: 50, Pay: 15, Edit: 15, Cancel: 10, CustomerUpdate: 10}})
	require.NoError(t, err)

	res, err := e.Attack(context.Background(), Phase{Name: "steady", Pacer: countPacer{n: 1000}})
	require.NoError(t, err)
	assert.EqualValues(t, 1000, res.Hits)
	assert.False(t, res.Interrupted)
	assert.Zero(t, res.Latency.Count, "no delivery attempt was observed during the phase")

	c := e.Counters()
	var sum int64
	for _, n := range c.Actions {
		sum += n
	}
	assert.EqualValues(t, 1000, sum, "every hit is exactly one store action")
	assert.EqualValues(t, res.Errors, c.ActionErrors)
	assert.Zero(t, c.ActionErrors, "the engine only draws orders an action can apply to")
	orders, _, events := s.Counts()
	assert.EqualValues(t, orders, c.Orders, "the engine knows every order it placed")
	assert.EqualValues(t, c.Actions["new_order"], c.Orders)
	assert.EqualValues(t, events, c.Events, "events counted match the store's record")
	for _, a := range []string{"pay", "edit", "cancel", "customer_update"} {
		assert.Positive(t, c.Actions[a], "%s happens", a)
	}
	idx := e.Index()
	assert.EqualValues(t, c.Orders, idx.Orders)
	assert.EqualValues(t, c.Orders-c.Actions["cancel"], idx.Open, "each cancellation closes exactly one open order")
	assert.Positive(t, idx.Bytes)
}

func TestAttackFallsBackToNewOrdersWhenNothingIsPayable(t *testing.T) {
	t.Parallel()
	mix := store.DefaultMix()
	mix.PendingShare = 0
	s := newStore(t, &mix)
	e, err := New(Config{Store: s, Seed: 1, Mix: ActionMix{NewOrder: 1, Pay: 9}})
	require.NoError(t, err)
	_, err = e.Attack(context.Background(), Phase{Name: "p", Pacer: countPacer{n: 200}})
	require.NoError(t, err)
	c := e.Counters()
	assert.Zero(t, c.Actions["pay"], "no order is ever pending")
	assert.EqualValues(t, 200, c.Actions["new_order"])
	assert.Positive(t, c.Fallbacks)
}

func TestAttackKeepsNewOrdersToTheSaleSKUs(t *testing.T) {
	t.Parallel()
	mix := store.DefaultMix()
	mix.SKUs = 2
	s := newStore(t, nil)
	e, err := New(Config{Store: s, Seed: 2, Orders: &mix, Mix: ActionMix{NewOrder: 1}})
	require.NoError(t, err)
	_, err = e.Attack(context.Background(), Phase{Name: "sale", Pacer: countPacer{n: 100}})
	require.NoError(t, err)
	cat := s.Catalog()
	for _, id := range s.OrderIDs() {
		o, _ := s.Order(id)
		for _, l := range o.Lines {
			assert.Contains(t, []string{cat.Items[0].SKU, cat.Items[1].SKU}, l.SKU)
		}
	}
}

func TestAttackStopsWhenTheContextEnds(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil)
	e, err := New(Config{Store: s, Seed: 1})
	require.NoError(t, err)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	p, err := Constant(50)
	require.NoError(t, err)
	res, err := e.Attack(ctx, Phase{Name: "cut", Pacer: p, Duration: time.Hour})
	require.NoError(t, err)
	assert.True(t, res.Interrupted)
	assert.Zero(t, res.Hits, "a phase whose context already ended sends nothing")
}

func TestNewRefusesBadConfig(t *testing.T) {
	t.Parallel()
	_, err := New(Config{})
	require.Error(t, err)
	_, err = New(Config{Store: newStore(t, nil), Mix: ActionMix{Pay: 1}})
	require.ErrorContains(t, err, "new_order")
	_, err = New(Config{Store: newStore(t, nil), Orders: &store.Mix{}})
	require.ErrorContains(t, err, "line_items")
	e, err := New(Config{Store: newStore(t, nil)})
	require.NoError(t, err)
	_, err = e.Attack(context.Background(), Phase{Name: "x"})
	require.Error(t, err)
}

func TestObserveAttemptCountsAndSavesVegetaResults(t *testing.T) {
	t.Parallel()
	var buf bytes.Buffer
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	e, err := New(Config{Store: newStore(t, nil), Speed: 10, Results: &buf, Now: func() time.Time { return now }})
	require.NoError(t, err)
	name := "peak"
	e.phase.Store(&name)

	url := "http://127.0.0.1:9/webhooks/shopify"
	e.ObserveAttempt(webhooks.Attempt{Topic: "orders/create", URL: url, Attempt: 1, Status: 200, Latency: 500 * time.Millisecond, Duplicate: true})
	e.ObserveAttempt(webhooks.Attempt{Topic: "orders/paid", URL: url, Attempt: 1, Status: 503, Latency: 100 * time.Millisecond, Late: true})
	e.ObserveAttempt(webhooks.Attempt{Topic: "orders/paid", URL: url, Attempt: 2, Error: "refused"})
	e.ObserveAttempt(webhooks.Attempt{Topic: "orders/paid", URL: url, Attempt: 3, Status: 200, Latency: 2 * time.Second, Reordered: true})

	c := e.Counters()
	assert.EqualValues(t, 4, c.Deliveries)
	assert.EqualValues(t, 2, c.Acked)
	assert.EqualValues(t, 2, c.Failed)
	assert.EqualValues(t, 2, c.Retries)
	assert.EqualValues(t, 1, c.Duplicates)
	assert.EqualValues(t, 1, c.Late)
	assert.Zero(t, c.Reordered, "only first attempts count as reordered")

	lat := e.Latency()
	assert.EqualValues(t, 3, lat.Count, "a refused connection has no latency")
	assert.Equal(t, 200*time.Millisecond, lat.Max, "platform latency 2s at speed 10 is 200ms of wall time")
	w := e.TakeWindow()
	assert.EqualValues(t, 3, w.Count)
	assert.Zero(t, e.TakeWindow().Count, "a window starts empty")

	require.NoError(t, e.ResultsError())
	dec := vegeta.NewDecoder(&buf)
	var got []vegeta.Result
	for {
		var r vegeta.Result
		if err := dec.Decode(&r); err != nil {
			require.True(t, errors.Is(err, io.EOF), "decode: %v", err)
			break
		}
		got = append(got, r)
	}
	require.Len(t, got, 4)
	assert.Equal(t, "peak", got[0].Attack)
	assert.EqualValues(t, 200, got[0].Code)
	assert.Equal(t, 50*time.Millisecond, got[0].Latency)
	assert.Equal(t, now.Add(-50*time.Millisecond), got[0].Timestamp)
	assert.Equal(t, url+"#orders/create", got[0].URL)
	assert.Empty(t, got[0].Error)
	assert.Equal(t, "503 Service Unavailable", got[1].Error)
	assert.Equal(t, "refused", got[2].Error)
	assert.EqualValues(t, 3, got[3].Seq)

	var m vegeta.Metrics
	for i := range got {
		m.Add(&got[i])
	}
	m.Close()
	assert.InDelta(t, 0.5, m.Success, 1e-9, "vegeta's own metrics read the saved attempts")
}

func TestAttackReportsThePhasesOwnAckLatency(t *testing.T) {
	t.Parallel()
	e, err := New(Config{Store: newStore(t, nil), Speed: 10})
	require.NoError(t, err)
	e.ObserveAttempt(webhooks.Attempt{Attempt: 1, Status: 200, Latency: 5 * time.Second})
	res, err := e.Attack(context.Background(), Phase{Name: "next", Pacer: observingPacer{n: 2, e: e}})
	require.NoError(t, err)
	assert.EqualValues(t, 2, res.Latency.Count, "the attempt before the phase is not the phase's")
	assert.Equal(t, 30*time.Millisecond, res.Latency.Max)
	assert.EqualValues(t, 3, e.Latency().Count)
}

func TestEditForChoosesAValidEdit(t *testing.T) {
	t.Parallel()
	s := newStore(t, nil)
	cat := s.Catalog()
	o := store.Order{Lines: []store.LineItem{
		{ID: 1, SKU: cat.Items[0].SKU, CurrentQuantity: 2},
		{ID: 2, SKU: cat.Items[1].SKU, CurrentQuantity: 1},
	}}
	assert.Equal(t, []store.LineQuantity{{LineItemID: 1, Quantity: 3}}, editFor(o, 0, 0, cat, 0).SetQuantity)
	assert.Equal(t, []store.LineQuantity{{LineItemID: 1, Quantity: 1}}, editFor(o, 0, 1, cat, 0).SetQuantity)
	assert.Equal(t, []int64{2}, editFor(o, 1, 2, cat, 0).Remove)
	add := editFor(o, 0, 3, cat, 0).Add
	require.Len(t, add, 1)
	assert.Equal(t, cat.Items[2].SKU, add[0].SKU, "an added line is one the order does not have")
	single := store.Order{Lines: []store.LineItem{{ID: 9, SKU: cat.Items[0].SKU, CurrentQuantity: 1}}}
	assert.Empty(t, editFor(single, 0, 2, cat, 0).Remove, "the last line is never removed")
}

// BenchmarkAttack measures store actions per second through vegeta's attacker and the
// in-process transport, with the default mix (reported as actions/s).
func BenchmarkAttack(b *testing.B) {
	s, err := store.New(store.Config{Seed: 1, CatalogSize: 200, Customers: 1000})
	require.NoError(b, err)
	e, err := New(Config{Store: s, Seed: 1})
	require.NoError(b, err)
	b.ResetTimer()
	began := time.Now()
	res, err := e.Attack(context.Background(), Phase{Name: "bench", Pacer: countPacer{n: uint64(b.N)}})
	require.NoError(b, err)
	b.ReportMetric(float64(res.Hits)/time.Since(began).Seconds(), "actions/s")
	idx := e.Index()
	if idx.Orders > 0 {
		b.ReportMetric(float64(idx.Bytes)/float64(idx.Orders), "index-B/order")
	}
}
