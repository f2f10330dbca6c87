package store

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Under deny, a checkout that asks for more than is available places nothing and is
// counted; under continue (the default) available goes below zero. The draws are the
// same either way: the orders both place are the same orders.
func TestDenyRefusesCheckoutsBeyondAvailable(t *testing.T) {
	t.Parallel()
	mix := DefaultMix()
	mix.SKUs = 2
	run := func(policy string) (*Store, Batch) {
		s, _ := setup(t, Config{Seed: 11, Locations: 1, Mix: &mix, InventoryPolicy: policy})
		for i := range 2 {
			v, _ := s.VariantAt(i)
			_, err := s.SetInventory(v.SKU, s.Locations()[0].ID, "available", 5)
			require.NoError(t, err)
		}
		b, err := s.GenerateOrders(40, nil)
		require.NoError(t, err)
		return s, b
	}
	deny, b := run(PolicyDeny)
	assert.Equal(t, PolicyDeny, deny.InventoryPolicy())
	assert.Positive(t, b.SoldOut)
	assert.Equal(t, int64(b.SoldOut), deny.SoldOut())
	assert.Equal(t, 40, len(b.Orders)+b.SoldOut, "every checkout is placed or sold out")
	sold := 0
	for _, id := range b.Orders {
		o, _ := deny.Order(id)
		for _, l := range o.Lines {
			sold += l.Quantity
		}
	}
	assert.LessOrEqual(t, sold, 10, "no more than the 10 units available")
	for i := range 2 {
		v, _ := deny.VariantAt(i)
		assert.GreaterOrEqual(t, v.Available(), 0, v.SKU)
		assert.Equal(t, 5, v.Levels[0].OnHand, "a checkout commits; it does not ship")
	}

	cont, b2 := run("")
	assert.Equal(t, PolicyContinue, cont.InventoryPolicy())
	assert.Zero(t, b2.SoldOut)
	assert.Len(t, b2.Orders, 40)
	v, _ := cont.VariantAt(0)
	assert.Negative(t, v.Available(), "continue sells past zero")
	first, _ := deny.Order(b.Orders[0])
	same, _ := cont.Order(b2.Orders[0])
	assert.Equal(t, first.Lines[0].SKU, same.Lines[0].SKU)

	deny.Reset()
	assert.Zero(t, deny.SoldOut())
	_, err := New(Config{InventoryPolicy: "sometimes"})
	assert.ErrorContains(t, err, "deny or continue")
}

// LevelWrites records every inventory write with the level's quantities after it, also a
// write that found the level as asked.
func TestLevelWritesRecordsInventoryWrites(t *testing.T) {
	t.Parallel()
	s, b := setup(t, Config{Seed: 2, Locations: 1})
	v, _ := s.VariantAt(0)
	loc := s.Locations()[0].ID
	_, err := s.SetInventory(v.SKU, loc, "on_hand", 9)
	require.NoError(t, err)
	b.clock.Advance(1500)
	_, err = s.SetInventory(v.SKU, loc, "on_hand", 9)
	require.NoError(t, err)
	ws, dropped := s.LevelWrites()
	require.Len(t, ws, 2)
	assert.Zero(t, dropped)
	assert.Equal(t, LevelWrite{SKU: v.SKU, LocationID: loc, At: epoch, OnHand: 9, Available: 9}, ws[0])
	assert.Equal(t, epoch.Add(1500), ws[1].At)
}

// Two lines of one variant are checked together: each fits what is available, their sum
// does not.
func TestDenyAddsTheLinesOfOneVariant(t *testing.T) {
	t.Parallel()
	s, _ := setup(t, Config{Seed: 11, Locations: 1, InventoryPolicy: PolicyDeny})
	v, _ := s.VariantAt(0)
	_, err := s.SetInventory(v.SKU, s.Locations()[0].ID, "available", 3)
	require.NoError(t, err)
	s.mu.RLock()
	defer s.mu.RUnlock()
	two := &placement{lines: []line{{item: 0, qty: 2}, {item: 0, qty: 2}}}
	assert.True(t, s.soldOutLine(two), "2 + 2 of a variant with 3 available")
	one := &placement{lines: []line{{item: 0, qty: 2}, {item: 0, qty: 1}}}
	assert.False(t, s.soldOutLine(one), "2 + 1 fits")
}
