package webhooks

import (
	"context"
	"encoding/json"
	"math"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/ledger"
)

const shareEvents = 10_000

// shareRun publishes shareEvents events to one subscription with one worker and an
// in-process receiver on a manual clock: first the deliveries due now, in publish order;
// then the clock jumps two days so everything held back arrives. The receiver's record
// is what the shares are measured on.
func shareRun(t *testing.T, f Faults) (*Deliverer, []received) {
	t.Helper()
	d, m := setup(t, func(c *Config) {
		c.Workers = 1
		c.Faults = f
		c.AttemptLogSize = -1
	})
	rc := newReceiver(t, m, nil)
	d.rt = syncTransport{rc}
	subscribe(t, d, "orders/create", "http://receiver.test/hooks")
	for i := range shareEvents {
		d.Publish(Event{Topic: "orders/create", ResourceID: int64(i), Payload: payload(i)})
	}
	waitFor(t, "deliveries due now", idle(d))
	m.Advance(48 * time.Hour)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	require.NoError(t, d.Drain(ctx))
	got := rc.all()
	for _, r := range got {
		require.Equal(t, SecretCurrent, r.ValidBy)
	}
	return d, got
}

// within asserts an observed share is within 4 standard deviations (and at most 0.02) of
// the setting.
func within(t *testing.T, what string, observed, want float64) {
	t.Helper()
	tol := math.Min(0.02, 4*math.Sqrt(want*(1-want)/shareEvents)+0.002)
	t.Logf("%s: observed %.4f over %d deliveries, setting %.4f, tolerance %.4f", what, observed, shareEvents, want, tol)
	assert.InDelta(t, want, observed, tol, "%s: observed %.4f, setting %.4f", what, observed, want)
}

func TestDuplicateShare(t *testing.T) {
	t.Parallel()
	d, got := shareRun(t, Faults{DuplicateShare: 0.1, DuplicateDelay: latency.Uniform{Min: time.Second, Max: time.Minute}})
	perID := map[string][]received{}
	for _, r := range got {
		id := r.Header.Get(HeaderWebhookID)
		perID[id] = append(perID[id], r)
	}
	require.Len(t, perID, shareEvents, "every delivery arrives")
	dups := 0
	for _, rs := range perID {
		if len(rs) == 2 {
			dups++
			assert.Equal(t, rs[0].Body, rs[1].Body, "a duplicate carries the same payload")
			assert.Equal(t, rs[0].Header.Get(HeaderEventID), rs[1].Header.Get(HeaderEventID))
			delay := rs[1].At.Sub(rs[0].At)
			assert.True(t, delay > 0, "the duplicate comes later")
		}
		assert.LessOrEqual(t, len(rs), 2)
	}
	within(t, "duplicates", float64(dups)/shareEvents, 0.1)
	assert.Equal(t, int64(dups), d.Stats().DuplicatesSent)
	assert.Equal(t, int64(dups), d.Stats().Duplicates)
}

func TestReorderShare(t *testing.T) {
	t.Parallel()
	d, got := shareRun(t, Faults{ReorderShare: 0.2, ReorderWindow: 30 * time.Second})
	require.Len(t, got, shareEvents)
	overtaken, maxSeq := 0, -1
	for _, r := range got {
		if r.Seq < maxSeq {
			overtaken++
		}
		maxSeq = max(maxSeq, r.Seq)
		lag := r.At.Sub(epoch)
		assert.LessOrEqual(t, lag, 48*time.Hour)
	}
	within(t, "overtaken deliveries", float64(overtaken)/shareEvents, 0.2)
	within(t, "reordered (stats)", float64(d.Stats().Reordered)/shareEvents, 0.2)
}

func TestReorderWindowBoundsTheHoldBack(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) {
		c.Faults = Faults{ReorderShare: 1, ReorderWindow: 10 * time.Second}
		c.OnAttempt = at.hook
		c.Transport = handlerTransport{http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	})
	subscribe(t, d, "orders/create", "http://receiver.test/")
	for i := range 50 {
		d.Publish(Event{Topic: "orders/create", Payload: payload(i)})
	}
	waitFor(t, "all held back", func() bool { return d.Stats().Scheduled == 50 })
	m.Advance(10 * time.Second)
	for range 50 {
		a := at.next(t)
		assert.True(t, a.Reordered)
		assert.True(t, a.ScheduledAt.After(epoch) && !a.ScheduledAt.After(epoch.Add(10*time.Second)), "%s", a.ScheduledAt)
	}
}

func TestLateShare(t *testing.T) {
	t.Parallel()
	d, got := shareRun(t, Faults{LateShare: 0.05, LateDelay: latency.Uniform{Min: time.Hour, Max: 20 * time.Hour}})
	require.Len(t, got, shareEvents)
	late := 0
	for _, r := range got {
		trig, err := time.Parse(time.RFC3339Nano, r.Header.Get(HeaderTriggeredAt))
		require.NoError(t, err)
		if r.At.Sub(trig) > 0 {
			late++
		}
	}
	within(t, "late", float64(late)/shareEvents, 0.05)
	assert.Equal(t, int64(late), d.Stats().Late)
}

func TestLateDelayFollowsTheDistribution(t *testing.T) {
	t.Parallel()
	at := newAttempts()
	d, m := setup(t, func(c *Config) {
		c.Faults = Faults{LateShare: 1, LateDelay: latency.Fixed{D: 3 * time.Hour}}
		c.OnAttempt = at.hook
		c.Transport = handlerTransport{http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
	})
	subscribe(t, d, "orders/create", "http://receiver.test/")
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	waitFor(t, "scheduled", func() bool { return d.Stats().Scheduled == 1 })
	m.Advance(3*time.Hour - time.Nanosecond)
	at.none(t)
	m.Advance(time.Nanosecond)
	a := at.next(t)
	assert.Equal(t, epoch.Add(3*time.Hour), a.SentAt)
	assert.True(t, a.Late)
}

func TestDropShare(t *testing.T) {
	t.Parallel()
	d, got := shareRun(t, Faults{DropShare: 0.03})
	seen := map[string]bool{}
	for _, r := range got {
		seen[r.Header.Get(HeaderWebhookID)] = true
	}
	dropped := shareEvents - len(seen)
	within(t, "dropped", float64(dropped)/shareEvents, 0.03)
	assert.Equal(t, int64(dropped), d.Stats().Dropped)
	n := 0
	for _, e := range d.Ledger().Effects(RecordDelivery) {
		if e.Action == "dropped" {
			n++
			assert.False(t, seen[e.ID], "a dropped delivery is never sent")
			assert.Equal(t, "orders/create", e.NaturalKey)
			var detail map[string]string
			require.NoError(t, json.Unmarshal(e.Detail, &detail))
			assert.NotEmpty(t, detail["event_id"])
		}
	}
	assert.Equal(t, dropped, n, "every drop is in the ledger")
}

func TestFaultsAreReproducibleBySeed(t *testing.T) {
	t.Parallel()
	run := func(seed uint64) Stats {
		d, m := setup(t, func(c *Config) {
			c.Seed = seed
			c.Faults = Faults{DropShare: 0.1, DuplicateShare: 0.1, LateShare: 0.1, ReorderShare: 0.1}
			c.Transport = handlerTransport{http.HandlerFunc(func(http.ResponseWriter, *http.Request) {})}
		})
		subscribe(t, d, "orders/create", "http://receiver.test/")
		for i := range 1000 {
			d.Publish(Event{Topic: "orders/create", Payload: payload(i)})
		}
		waitFor(t, "idle", idle(d))
		m.Advance(48 * time.Hour)
		require.NoError(t, d.Drain(context.Background()))
		s := d.Stats()
		s.AckLatencyP50MS, s.AckLatencyP99MS, s.AckLatencyMaxMS = 0, 0, 0
		return s
	}
	a, b, c := run(7), run(7), run(8)
	assert.Equal(t, a, b)
	assert.NotEqual(t, a.Dropped+a.Duplicates*1000, c.Dropped+c.Duplicates*1000)
}

func TestBurstsReleaseAtMostNPerTick(t *testing.T) {
	t.Parallel()
	d, m := setup(t, func(c *Config) {
		c.Faults = Faults{BurstSize: 10, BurstInterval: time.Second}
	})
	rc := newReceiver(t, m, nil)
	d.rt = handlerTransport{rc}
	subscribe(t, d, "orders/create", "http://receiver.test/")
	for i := range 35 {
		d.Publish(Event{Topic: "orders/create", Payload: payload(i)})
	}
	for _, want := range []int{10, 20, 30, 35} {
		waitFor(t, "burst", func() bool { return rc.count() == want && idle(d)() })
		assert.Equal(t, want, rc.count())
		m.Advance(time.Second)
	}
	ticks := map[time.Time]int{}
	for _, r := range rc.all() {
		ticks[r.At]++
	}
	assert.Equal(t, map[time.Time]int{epoch: 10, epoch.Add(time.Second): 10, epoch.Add(2 * time.Second): 10, epoch.Add(3 * time.Second): 5}, ticks)
}

func TestRetriesCarryTheOriginalPayloadUnlessFreshRetries(t *testing.T) {
	t.Parallel()
	for _, fresh := range []bool{false, true} {
		at := newAttempts()
		d, m := setup(t, func(c *Config) {
			c.OnAttempt = at.hook
			c.Faults.FreshRetries = fresh
		})
		var mu sync.Mutex
		failedOnce := false
		rc := newReceiver(t, m, func(_ *http.Request, body []byte, _ int) int {
			mu.Lock()
			defer mu.Unlock()
			if strings.Contains(string(body), `"seq":1,`) && !failedOnce {
				failedOnce = true
				return 503
			}
			return 200
		})
		d.rt = handlerTransport{rc}
		subscribe(t, d, "orders/updated", "http://receiver.test/")
		d.Publish(Event{Topic: "orders/updated", ResourceID: 77, Payload: payload(1)})
		first := at.next(t)
		require.Equal(t, OutcomeRetryScheduled, first.Outcome)
		m.Advance(10 * time.Second)
		d.Publish(Event{Topic: "orders/updated", ResourceID: 77, Payload: payload(2)}) // newer state
		require.Equal(t, OutcomeSucceeded, at.next(t).Outcome)
		m.Set(first.NextAttemptAt)
		retry := at.next(t)
		require.Equal(t, first.WebhookID, retry.WebhookID)
		last := rc.all()[2]
		if fresh {
			assert.Contains(t, string(last.Body), `"seq":2,`, "fresh retries carry the newest payload")
		} else {
			assert.Contains(t, string(last.Body), `"seq":1,`, "Shopify's retries carry the original, stale payload")
		}
		require.NoError(t, d.Drain(context.Background()))
		assert.Zero(t, d.fresh.size.Load(), "no payload is kept once the retry is done")
	}
}

// TestBoundedUnderASlowReceiver: a receiver that never answers in time cannot make the
// deliverer hold more than MaxPending deliveries; Publish waits, then refuses loudly.
func TestBoundedUnderASlowReceiver(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	d, _ := setup(t, func(c *Config) {
		c.MaxPending = 50
		c.Workers = 4
		c.PublishWait = 5 * time.Millisecond
	})
	var mu sync.Mutex
	var maxPending int64
	d.rt = handlerTransport{http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		maxPending = max(maxPending, d.Stats().Pending)
		mu.Unlock()
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})}
	subscribe(t, d, "orders/create", "http://slow.test/")
	var wg sync.WaitGroup
	for g := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := range 100 {
				d.Publish(Event{Topic: "orders/create", Payload: payload(g*100 + i)})
				if p := d.Stats().Pending; p > 50 {
					t.Errorf("pending %d above MaxPending", p)
				}
			}
		}()
	}
	wg.Wait()
	st := d.Stats()
	assert.Equal(t, int64(50), st.Pending)
	assert.Equal(t, int64(350), st.Overflowed, "what has no room is refused and counted")
	refused := 0
	for _, e := range d.Ledger().Effects(RecordDelivery) {
		if e.Action == ledger.Rejected && e.Reason == "queue_full" {
			refused++
		}
	}
	assert.Equal(t, 350, refused, "every refusal is in the ledger")

	// A publisher waiting for room gets it when the receiver catches up.
	d.cfg.PublishWait = 10 * time.Second
	done := make(chan struct{})
	go func() {
		d.Publish(Event{Topic: "orders/create", Payload: payload(1000)})
		close(done)
	}()
	select {
	case <-done:
		t.Fatal("Publish returned while the queue was full")
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	<-done
	require.NoError(t, d.Drain(context.Background()))
	st = d.Stats()
	assert.Equal(t, int64(51), st.Succeeded)
	assert.Equal(t, int64(350), st.Overflowed)
	mu.Lock()
	assert.LessOrEqual(t, maxPending, int64(50))
	mu.Unlock()
}

func TestSetFaultsAtRunTime(t *testing.T) {
	t.Parallel()
	d, _ := setup(t, nil)
	require.Error(t, d.SetFaults(Faults{DropShare: 2}))
	assert.Zero(t, d.Faults().DropShare, "nothing changes on error")
	require.NoError(t, d.SetFaults(Faults{DropShare: 1}))
	subscribe(t, d, "orders/create", "http://127.0.0.1:1/")
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	assert.Equal(t, int64(1), d.Stats().Dropped)
	assert.Equal(t, DefaultLateDelay.String(), d.Faults().LateDelay.String(), "defaults are filled in")
}

func TestFaultsJSON(t *testing.T) {
	t.Parallel()
	var f Faults
	require.NoError(t, json.Unmarshal([]byte(`{"duplicate_share":0.1,"late_delay":"lognormal(1m,1h)","burst_size":5,"burst_interval":"2s"}`), &f))
	assert.Equal(t, 0.1, f.DuplicateShare)
	assert.Equal(t, "lognormal(1m0s,1h0m0s)", f.LateDelay.String())
	assert.Equal(t, 2*time.Second, f.BurstInterval)
	assert.Equal(t, DefaultReorderWindow, f.ReorderWindow)
	out, err := json.Marshal(f)
	require.NoError(t, err)
	var back Faults
	require.NoError(t, json.Unmarshal(out, &back))
	assert.Equal(t, f.LateDelay.String(), back.LateDelay.String())
	assert.Equal(t, f.BurstSize, back.BurstSize)

	for _, bad := range []string{`{"drop":0.1}`, `{"late_delay":"soon"}`, `{"reorder_window":"x"}`, `{"duplicate_share":"a"}`, `{} {}`, `[`} {
		var g Faults
		assert.Error(t, json.Unmarshal([]byte(bad), &g), bad)
	}
}
