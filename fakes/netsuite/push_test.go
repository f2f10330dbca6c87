package netsuite

import (
	"bytes"
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPushRetriesWithBackoff(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.fail.Store(2)
	srv, b := setup(t, func(o *Options) { o.Push = PushOptions{URL: rc.srv.URL, Secret: pushSecret, Workers: 1} })
	sku, _ := b.sku(0)
	r := adminPost(t, b, "/_fake/inventory", `{"sku":"`+sku+`","set":7}`)
	require.Equal(t, 200, r.status, "%s", r.body)

	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, 1), "first attempt failed, waiting 1s")
	assert.Equal(t, int64(1), rc.calls.Load())
	b.clock.Advance(999 * time.Millisecond)
	assert.Equal(t, int64(1), rc.calls.Load())
	b.clock.Advance(time.Millisecond)
	require.Eventually(t, func() bool { return rc.calls.Load() == 2 }, 5*time.Second, time.Millisecond)
	require.NoError(t, b.clock.BlockUntil(ctx, 1), "second attempt failed, waiting 2s")
	b.clock.Advance(2 * time.Second)

	d := rc.next(t, EventInventoryChanged)
	assert.Equal(t, "3", d.header.Get("X-NetSuite-Attempt"))
	assert.True(t, VerifySignature(pushSecret, d.body, d.header.Get(SignatureHeader)))
	assert.Equal(t, 7.0, d.data["quantityOnHand"])
	assert.Equal(t, "adjustment", d.data["reason"])
	require.Eventually(t, func() bool { return srv.GovernanceStats().Push.Delivered == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, int64(2), srv.GovernanceStats().Push.Retries)
}

func TestPushGivesUpAfterMaxAttempts(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.fail.Store(100)
	srv, b := setup(t, func(o *Options) { o.Push = PushOptions{URL: rc.srv.URL, Workers: 1, MaxAttempts: 2} })
	sku, _ := b.sku(0)
	require.Equal(t, 200, adminPost(t, b, "/_fake/inventory", `{"sku":"`+sku+`","delta":1}`).status)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	require.NoError(t, b.clock.BlockUntil(ctx, 1))
	b.clock.Advance(time.Second)
	require.Eventually(t, func() bool { return srv.GovernanceStats().Push.Failed == 1 }, 5*time.Second, time.Millisecond)
	assert.Equal(t, int64(2), rc.calls.Load())
}

func TestPushQueueIsBounded(t *testing.T) {
	t.Parallel()
	rc := newReceiver(t)
	rc.fail.Store(1 << 30)
	srv, b := setup(t, func(o *Options) { o.Push = PushOptions{URL: rc.srv.URL, Workers: 1, QueueSize: 2} })
	sku, _ := b.sku(0)
	for range 6 {
		require.Equal(t, 200, adminPost(t, b, "/_fake/inventory", `{"sku":"`+sku+`","delta":1}`).status)
	}
	st := srv.GovernanceStats().Push
	assert.GreaterOrEqual(t, st.Dropped, int64(3), "one in flight, two queued, the rest dropped")
	assert.LessOrEqual(t, st.Queued, 2)
}

// A batch job's pushes go in a lane of their own: while its posts are stuck at the
// receiver, a record saved by hand is still pushed at once.
func TestBatchJobPushesDoNotHoldTheRecordsSaves(t *testing.T) {
	t.Parallel()
	release := make(chan struct{})
	reasons := make(chan string, 100)
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		if bytes.Contains(body, []byte(`"reason":"massUpdate"`)) {
			<-release
			return
		}
		reasons <- string(body)
	}))
	t.Cleanup(rc.Close)
	t.Cleanup(func() { close(release) })
	srv, b := setup(t, func(o *Options) { o.Push = PushOptions{URL: rc.URL, Workers: 1, BatchWorkers: 1} })

	require.Equal(t, 20, srv.MassUpdate(0))
	require.Eventually(t, func() bool { return srv.GovernanceStats().Push.Queued >= 39 }, 5*time.Second, time.Millisecond,
		"40 item locations changed: one post stuck, the rest queued")
	sku, _ := b.sku(0)
	require.Equal(t, 200, adminPost(t, b, "/_fake/inventory", `{"sku":"`+sku+`","set":7}`).status)
	select {
	case got := <-reasons:
		assert.Contains(t, got, `"reason":"adjustment"`)
		assert.Contains(t, got, `"sku":"`+sku+`"`)
	case <-time.After(5 * time.Second):
		t.Fatal("the adjustment waited behind the batch job's pushes")
	}
	assert.Eventually(t, func() bool { return srv.GovernanceStats().Push.Delivered == 1 }, 5*time.Second, time.Millisecond)
}

// A lane is a bounded FIFO that keeps its order across its compactions, and loses its
// events when cleared without losing its bound or blocking on a stale token.
func TestPushLaneIsABoundedFIFO(t *testing.T) {
	t.Parallel()
	l := newPushLane(3000)
	take := func() Event {
		t.Helper()
		<-l.ready
		ev, ok := l.pop()
		require.True(t, ok)
		return ev
	}
	for i := range 2500 {
		require.True(t, l.push(Event{ID: itoa(int64(i))}))
	}
	// 1,300 out: the head passes 1,024 and half the array, and the rest moves down.
	for i := range 1300 {
		require.Equal(t, itoa(int64(i)), take().ID)
	}
	assert.Equal(t, 1200, l.len())
	assert.Less(t, len(l.events), 2500, "compacted")
	for i := 2500; i < 4300; i++ {
		require.True(t, l.push(Event{ID: itoa(int64(i))}))
	}
	assert.False(t, l.push(Event{ID: "over"}), "3,000 queued: full")
	for i := 1300; i < 4300; i++ {
		require.Equal(t, itoa(int64(i)), take().ID, "in order after compacting")
	}
	assert.Zero(t, l.len())
	assert.Nil(t, l.events, "an empty lane lets a large array go")

	// A worker holds a token when the lane is cleared: it finds nothing, and its token
	// stays in the count; the lane still fills to its bound without blocking.
	require.True(t, l.push(Event{ID: "cleared"}))
	<-l.ready
	l.clear()
	assert.Zero(t, l.len())
	assert.Empty(t, l.ready, "no token left for a cleared event")
	_, ok := l.pop()
	assert.False(t, ok, "the token taken before the clear finds nothing")
	small := newPushLane(2)
	require.True(t, small.push(Event{ID: "a"}))
	<-small.ready
	small.clear()
	require.True(t, small.push(Event{ID: "b"}))
	ev, ok := small.pop() // the token taken before the clear, used for b
	require.True(t, ok)
	assert.Equal(t, "b", ev.ID)
	done := make(chan bool)
	go func() {
		done <- small.push(Event{ID: "c"}) && small.push(Event{ID: "d"}) && !small.push(Event{ID: "e"})
	}()
	select {
	case ok := <-done:
		assert.True(t, ok, "c and d queued, e over the bound")
	case <-time.After(5 * time.Second):
		t.Fatal("a push blocked on the stale token")
	}
	assert.Equal(t, 2, small.len())
	for _, want := range []string{"c", "d"} {
		<-small.ready
		ev, ok := small.pop()
		require.True(t, ok)
		assert.Equal(t, want, ev.ID)
	}
}

func TestVerifySignature(t *testing.T) {
	t.Parallel()
	body := []byte(`{"id":"x"}`)
	// HMAC-SHA256 of body under "k", computed with Python's hmac module.
	const want = "sha256=696b5110678d1f332918da752fc2089d305cf4caf658eb24939d7e1f0b0a7934"
	assert.True(t, VerifySignature("k", body, want))
	assert.True(t, VerifySignature("k", body, "SHA256="+want[len("sha256="):]), "the prefix is case-insensitive")
	assert.False(t, VerifySignature("k2", body, want))
	assert.False(t, VerifySignature("k", []byte(`{"id":"y"}`), want))
	assert.False(t, VerifySignature("k", body, "md5=abc"))
	assert.False(t, VerifySignature("k", body, "sha256=zz"))
}
