package inventory

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/integrator/shopify"
)

// shop is Shopify's level of one SKU, set by whichever write lands last; during can run
// inside a write, before it lands.
type shop struct {
	mu     sync.Mutex
	level  int
	during func()
}

func (s *shop) SetOnHand(_ context.Context, qs []shopify.Quantity, _, _ string) error {
	if f := s.during; f != nil {
		s.during = nil
		f()
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.level = qs[0].Quantity
	return nil
}

func TestReplicasWriteTheNewestChangeLast(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(t).Addr()})
	t.Cleanup(func() { _ = rdb.Close() })
	latest := &RedisLatest{Redis: rdb, Key: "t:inventory:latest"}
	s := &shop{}
	replica := func() (*PushHandler, *Syncer) {
		p := &PushHandler{Pending: NewCoalescer(), Latest: latest}
		return p, &Syncer{Pending: p.Pending, Shopify: s, Levels: levels(1), Latest: latest}
	}
	pa, a := replica()
	pb, b := replica()
	ctx := context.Background()
	push := func(h *PushHandler, onHand int, at time.Time) {
		body := change("SKU-0", at.Format(time.RFC3339Nano), onHand)
		require.Equal(t, 204, pushTo(h, body))
	}

	// A holds an older change than B; B writes first, A must not roll Shopify back.
	push(pa, 10, t0)
	push(pb, 20, t0.Add(time.Second))
	_, err := b.Drain(ctx)
	require.NoError(t, err)
	_, err = a.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 20, s.level, "A wrote the newest change it could know of")

	// While A's write is on its way, B takes a newer change and writes it first; A's
	// write lands last, then A looks again and writes the newest.
	push(pa, 30, t0.Add(2*time.Second))
	s.during = func() {
		push(pb, 40, t0.Add(3*time.Second))
		_, err := b.Drain(ctx)
		require.NoError(t, err)
	}
	_, err = a.Flush(ctx)
	require.NoError(t, err)
	assert.Equal(t, 30, s.level, "A's older write landed last")
	assert.Equal(t, 1, a.Pending.Len(), "A saw the newer change after writing")
	_, err = a.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 40, s.level)

	newest, err := latest.Newest(ctx, []string{"SKU-0", "NONE"})
	require.NoError(t, err)
	assert.Equal(t, map[string]Change{"SKU-0": {SKU: "SKU-0", OnHand: 40, At: t0.Add(3 * time.Second)}}, newest)
	push(pa, 5, t0) // a late push of an old change is not recorded over a newer one
	newest, err = latest.Newest(ctx, []string{"SKU-0"})
	require.NoError(t, err)
	assert.Equal(t, 40, newest["SKU-0"].OnHand)
	// and, though nothing of its SKU was pending any more, it does not roll Shopify back.
	s.level = 0
	n, err := a.Drain(ctx)
	require.NoError(t, err)
	assert.Equal(t, 1, n)
	assert.Equal(t, 40, s.level, "the late old change wrote the newest again")
}

func pushTo(h *PushHandler, body string) int { return push(h, "POST", body, "") }
