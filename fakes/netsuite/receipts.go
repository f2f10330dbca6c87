package netsuite

import (
	"context"
	"math/rand/v2"

	"github.com/peakready/peakready/fakes/faults"
)

// Receipt quantities: each receipt adds between receiptMin and receiptMax units.
const (
	receiptMin = 1
	receiptMax = 100
)

// receipts is the loop that receives stock on its own, as purchase-order receipts and
// transfers do in a real account: every receipts_every of platform time it adds 1-100
// units of a random SKU at a random location (both drawn from the seed). Off by default.
type receipts struct {
	s      *Server
	rand   *faults.Rand
	wakeup chan struct{}
}

func newReceipts(s *Server, seed uint64) *receipts {
	return &receipts{s: s, rand: faults.NewRand(seed ^ 0x726563), wakeup: make(chan struct{}, 1)}
}

// wake makes the loop re-read receipts_every.
func (rc *receipts) wake() {
	select {
	case rc.wakeup <- struct{}{}:
	default:
	}
}

func (rc *receipts) run(ctx context.Context) {
	for {
		every := rc.s.settings.Load().receiptsEvery
		if every <= 0 {
			select {
			case <-rc.wakeup:
				continue
			case <-ctx.Done():
				return
			}
		}
		t := rc.s.clock.NewTimer(every)
		select {
		case <-t.C():
			rc.receive()
		case <-rc.wakeup:
			t.Stop()
		case <-ctx.Done():
			t.Stop()
			return
		}
	}
}

// receive books one receipt.
func (rc *receipts) receive() {
	s := rc.s
	s.mu.Lock()
	n := len(s.st.items.ids)
	if n == 0 || len(s.st.locations) == 0 {
		s.mu.Unlock()
		return
	}
	var idx, loc int
	var qty int64
	rc.rand.With(func(r *rand.Rand) {
		idx, loc = r.IntN(n), r.IntN(len(s.st.locations))
		qty = int64(receiptMin + r.IntN(receiptMax-receiptMin+1))
	})
	it, ok := s.st.items.byID[s.st.items.ids[idx]]
	if !ok {
		s.mu.Unlock()
		return
	}
	events := s.setOnHand(it, loc, it.OnHand[loc]+qty, "receipt", s.clock.Now())
	s.mu.Unlock()
	s.publish(events)
}
