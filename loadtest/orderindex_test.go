package loadtest

import (
	"math/rand/v2"
	"slices"
	"testing"
)

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 2)) }

func TestOrderIndexClaimsAnOrderOnce(t *testing.T) {
	t.Parallel()
	var x orderIndex
	r := newRand(1)
	slot := x.addOrder(1001, true, true)

	s, id, ok := x.claimPayable(r)
	if !ok || s != slot || id != 1001 {
		t.Fatalf("claimPayable = %d, %d, %t; want %d, 1001, true", s, id, ok, slot)
	}
	// Busy: neither a payment nor an edit or cancellation can draw it.
	if _, _, ok := x.claimPayable(r); ok {
		t.Fatal("claimed a busy order for payment")
	}
	if _, _, ok := x.claimOpen(r); ok {
		t.Fatal("claimed a busy order for an edit")
	}
	// The payment failed: the order is payable again, once.
	x.release(slot, false, false)
	x.release(slot, false, false)
	if !slices.Equal(x.payable, []uint32{uint32(slot)}) {
		t.Fatalf("payable list %v, want [%d]", x.payable, slot)
	}
	if _, _, ok := x.claimPayable(r); !ok {
		t.Fatal("a failed payment's order is not payable again")
	}
	// Paid: open, no longer payable.
	x.release(slot, true, false)
	if _, _, ok := x.claimPayable(r); ok {
		t.Fatal("claimed a paid order for payment")
	}
	if st := x.stats(); st.Payable != 0 || st.Open != 1 || st.Orders != 1 {
		t.Fatalf("stats %+v, want 1 order, 1 open, 0 payable", st)
	}
	s, id, ok = x.claimOpen(r)
	if !ok || s != slot || id != 1001 {
		t.Fatalf("claimOpen = %d, %d, %t; want the paid order", s, id, ok)
	}
	// Cancelled: never drawn again.
	x.release(slot, false, true)
	if _, _, ok := x.claimOpen(r); ok {
		t.Fatal("claimed a cancelled order")
	}
	if st := x.stats(); st.Open != 0 {
		t.Fatalf("stats %+v, want 0 open", st)
	}
}

func TestOrderIndexAddOrder(t *testing.T) {
	t.Parallel()
	var x orderIndex
	x.addOrder(1, true, true)   // open, pending: payable
	x.addOrder(2, true, false)  // open, paid
	x.addOrder(3, false, true)  // cancelled while pending: not payable
	x.addOrder(4, false, false) // cancelled
	x.addCustomer(77)
	if !slices.Equal(x.payable, []uint32{0}) {
		t.Errorf("payable list %v, want [0]", x.payable)
	}
	if st := x.stats(); st.Orders != 4 || st.Open != 2 || st.Payable != 1 || st.Customers != 1 {
		t.Errorf("stats %+v, want 4 orders, 2 open, 1 payable, 1 customer", st)
	}
	r := newRand(3)
	for range 100 {
		s, _, ok := x.claimOpen(r)
		if !ok {
			continue
		}
		if s != 0 && s != 1 {
			t.Fatalf("claimOpen drew cancelled slot %d", s)
		}
		x.release(s, false, false)
	}
	if id, ok := x.customer(r); !ok || id != 77 {
		t.Errorf("customer = %d, %t; want 77", id, ok)
	}
	var empty orderIndex
	if _, _, ok := empty.claimOpen(r); ok {
		t.Error("claimOpen on an empty index")
	}
	if _, _, ok := empty.claimPayable(r); ok {
		t.Error("claimPayable on an empty index")
	}
	if _, ok := empty.customer(r); ok {
		t.Error("customer on an empty index")
	}
	empty.release(0, true, true) // no such slot: ignored
	empty.release(-1, true, true)
}

// An edit of a pending order leaves it listed once; an order cancelled while listed is
// dropped from the list when a draw finds it.
func TestOrderIndexPayableList(t *testing.T) {
	t.Parallel()
	var x orderIndex
	r := newRand(4)
	for i := range 3 {
		x.addOrder(int64(i), true, true)
	}
	s, _, ok := x.claimOpen(r)
	if !ok {
		t.Fatal("claimOpen failed")
	}
	x.release(s, false, false) // an edit
	if got := slices.Sorted(slices.Values(x.payable)); !slices.Equal(got, []uint32{0, 1, 2}) {
		t.Fatalf("payable list %v after an edit, want [0 1 2]", got)
	}
	s, _, _ = x.claimOpen(r)
	x.release(s, false, true) // a cancellation
	if st := x.stats(); st.Payable != 2 {
		t.Fatalf("stats %+v, want 2 payable", st)
	}
	var paid []int
	for range 2 {
		p, _, ok := x.claimPayable(r)
		if !ok || p == s {
			t.Fatalf("claimPayable = %d, %t; the cancelled order is %d", p, ok, s)
		}
		paid = append(paid, p)
		x.release(p, true, false)
	}
	if _, _, ok := x.claimPayable(r); ok {
		t.Fatal("claimed a payment with every order paid or cancelled")
	}
	if len(x.payable) != 0 || x.listed.count() != 0 {
		t.Errorf("payable list %v (listed %d) after every order left it", x.payable, x.listed.count())
	}
}

// Random actions against a model: a busy order is never drawn, a payment only draws an
// open pending order, an edit or cancellation only an open one, and the payable list
// holds no order twice.
func TestOrderIndexAgainstAModel(t *testing.T) {
	t.Parallel()
	type order struct{ open, pending, busy bool }
	var x orderIndex
	var model []order
	r := newRand(5)
	type action struct {
		slot    int
		payment bool
	}
	var inFlight []action
	for step := range 20_000 {
		switch op := r.IntN(10); {
		case op < 3:
			o := order{open: r.IntN(10) > 0, pending: r.IntN(2) == 0}
			o.pending = o.pending && o.open
			if got := x.addOrder(int64(len(model))*10, o.open, o.pending); got != len(model) {
				t.Fatalf("step %d: addOrder gave slot %d, want %d", step, got, len(model))
			}
			model = append(model, o)
		case op < 5:
			s, id, ok := x.claimPayable(r)
			if !ok {
				continue
			}
			if m := model[s]; !m.open || !m.pending || m.busy || id != int64(s)*10 {
				t.Fatalf("step %d: claimPayable drew slot %d id %d in state %+v", step, s, id, m)
			}
			model[s].busy = true
			inFlight = append(inFlight, action{s, true})
		case op < 7:
			s, id, ok := x.claimOpen(r)
			if !ok {
				continue
			}
			if m := model[s]; !m.open || m.busy || id != int64(s)*10 {
				t.Fatalf("step %d: claimOpen drew slot %d id %d in state %+v", step, s, id, m)
			}
			model[s].busy = true
			inFlight = append(inFlight, action{s, false})
		default:
			if len(inFlight) == 0 {
				continue
			}
			// Actions complete in any order; a quarter fail.
			i := r.IntN(len(inFlight))
			a := inFlight[i]
			inFlight = slices.Delete(inFlight, i, i+1)
			ok := r.IntN(4) > 0
			paid, closed := a.payment && ok, !a.payment && ok && r.IntN(2) == 0
			x.release(a.slot, paid, closed)
			m := &model[a.slot]
			m.busy = false
			m.open = m.open && !closed
			m.pending = m.pending && !paid && !closed
		}
		if step%100 == 0 {
			seen := map[uint32]bool{}
			for _, s := range x.payable {
				if seen[s] || !x.listed.get(int(s)) {
					t.Fatalf("step %d: slot %d listed twice as payable, or not marked listed", step, s)
				}
				seen[s] = true
			}
			if x.listed.count() != len(x.payable) {
				t.Fatalf("step %d: %d marked listed, %d in the list", step, x.listed.count(), len(x.payable))
			}
		}
	}
	want := IndexStats{Orders: len(model)}
	for _, m := range model {
		if m.open {
			want.Open++
		}
		if m.open && m.pending {
			want.Payable++
		}
	}
	got := x.stats()
	got.Bytes = 0
	if got != want {
		t.Errorf("stats %+v, want %+v", got, want)
	}
}

func TestChunkedGrowsWithoutCopying(t *testing.T) {
	t.Parallel()
	var c chunked[int64]
	for i := range chunkSize + 10 {
		if got := c.add(int64(i) * 3); got != i {
			t.Fatalf("add gave %d, want %d", got, i)
		}
	}
	first := &c.chunks[0][0]
	c.add(-1)
	if &c.chunks[0][0] != first {
		t.Error("growth moved the first chunk")
	}
	for _, i := range []int{0, 1, chunkSize - 1, chunkSize, chunkSize + 9} {
		if got := c.at(i); got != int64(i)*3 {
			t.Errorf("at(%d) = %d, want %d", i, got, i*3)
		}
	}
	if c.len() != chunkSize+11 || c.bytes(8) != 2*chunkSize*8 {
		t.Errorf("len %d bytes %d, want %d and %d", c.len(), c.bytes(8), chunkSize+11, 2*chunkSize*8)
	}
}

func TestBitset(t *testing.T) {
	t.Parallel()
	var b bitset
	for _, i := range []int{0, 63, 64, 200} {
		b.set(i, true)
	}
	b.set(63, false)
	b.set(1000, false) // grows, stays clear
	for i, want := range map[int]bool{0: true, 1: false, 63: false, 64: true, 200: true, 1000: false, 5000: false} {
		if b.get(i) != want {
			t.Errorf("get(%d) = %t, want %t", i, b.get(i), want)
		}
	}
	if b.count() != 3 {
		t.Errorf("count = %d, want 3", b.count())
	}
}
