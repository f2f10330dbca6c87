package loadtest

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func drawN(m ActionMix, seed uint64, n int) []Action {
	d := newMixDraw(m)
	r := rand.New(rand.NewPCG(seed, 1))
	out := make([]Action, n)
	for i := range out {
		out[i] = d.draw(r)
	}
	return out
}

func TestMixDrawsReproduceFromASeed(t *testing.T) {
	t.Parallel()
	m := DefaultActionMix()
	a, b := drawN(m, 42, 1000), drawN(m, 42, 1000)
	if !slices.Equal(a, b) {
		t.Fatal("two draws from seed 42 differ")
	}
	if slices.Equal(a, drawN(m, 43, 1000)) {
		t.Fatal("seeds 42 and 43 draw the same actions")
	}
}

func TestMixDrawsMatchTheShares(t *testing.T) {
	t.Parallel()
	const n = 100_000
	for _, m := range []ActionMix{
		DefaultActionMix(),
		{},
		{NewOrder: 1, Pay: 1, Edit: 1, Cancel: 1, CustomerUpdate: 1},
		{NewOrder: 0.5, Edit: 0.25, CustomerUpdate: 0.25},
		{NewOrder: 1e6, Cancel: 1},
		{NewOrder: 3},
	} {
		var counts [numActions]int
		for _, a := range drawN(m, 7, n) {
			counts[a]++
		}
		for a := range numActions {
			share := m.Share(a)
			got := float64(counts[a]) / n
			// Five standard deviations of a binomial share; an action of weight zero is
			// never drawn.
			tol := 5 * math.Sqrt(share*(1-share)/n)
			if math.Abs(got-share) > tol || (share == 0 && counts[a] != 0) {
				t.Errorf("%+v: %s drawn %.4f of the time, want %.4f ± %.4f", m, a, got, share, tol)
			}
		}
	}
}

func TestMixShare(t *testing.T) {
	t.Parallel()
	m := ActionMix{NewOrder: 6, Pay: 2, Cancel: 2}
	for a, want := range map[Action]float64{NewOrder: 0.6, Pay: 0.2, Edit: 0, Cancel: 0.2, CustomerUpdate: 0, numActions: 0} {
		if got := m.Share(a); got != want {
			t.Errorf("Share(%s) = %v, want %v", a, got, want)
		}
	}
	// The zero mix is the default mix.
	if got := (ActionMix{}).Share(NewOrder); got != 0.8 {
		t.Errorf("zero mix: Share(new_order) = %v, want 0.8", got)
	}
}

func TestMixValidate(t *testing.T) {
	t.Parallel()
	for _, m := range []ActionMix{DefaultActionMix(), {}, {NewOrder: 1}, {NewOrder: 1e-9, Pay: 1e300}} {
		if err := m.Validate(); err != nil {
			t.Errorf("%+v: %v", m, err)
		}
	}
	for _, tt := range []struct {
		m    ActionMix
		want string
	}{
		{ActionMix{NewOrder: math.NaN()}, "mix weight new_order NaN must be a finite number >= 0"},
		{ActionMix{NewOrder: 1, Pay: -1}, "mix weight pay -1 must be a finite number >= 0"},
		{ActionMix{NewOrder: 1, CustomerUpdate: math.Inf(1)}, "mix weight customer_update +Inf must be a finite number >= 0"},
		{ActionMix{NewOrder: math.MaxFloat64, Edit: math.MaxFloat64}, "mix weights are too large"},
		{ActionMix{Pay: 1}, "mix weight new_order must be above 0: the other actions act on the orders it creates"},
	} {
		if err := tt.m.Validate(); err == nil || err.Error() != tt.want {
			t.Errorf("%+v: error %v, want %q", tt.m, err, tt.want)
		}
	}
}

func TestActionString(t *testing.T) {
	t.Parallel()
	got := []string{NewOrder.String(), Pay.String(), Edit.String(), Cancel.String(), CustomerUpdate.String(), Action(9).String()}
	want := []string{"new_order", "pay", "edit", "cancel", "customer_update", "action(9)"}
	if !slices.Equal(got, want) {
		t.Errorf("names %v, want %v", got, want)
	}
}
