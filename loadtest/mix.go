package loadtest

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// Action is one kind of store activity; each vegeta hit performs one.
type Action uint8

// The actions, in the order of ActionMix's fields.
const (
	NewOrder       Action = iota // GenerateOrders(1, OrderMix): checkout, payment, stock, risk
	Pay                          // PayOrder on a pending order
	Edit                         // EditOrder on an open order: a quantity, an added or a removed line
	Cancel                       // CancelOrder on an open order, restocking
	CustomerUpdate               // UpdateCustomer: tags, note, phone or address
	CustomerEdit                 // UpdateCustomer: a new name, phone or e-mail address
	numActions
)

var actionNames = [numActions]string{"new_order", "pay", "edit", "cancel", "customer_update", "customer_edit"}

// String is the action's name as in a scenario's mix and in result URLs.
func (a Action) String() string {
	if a < numActions {
		return actionNames[a]
	}
	return fmt.Sprintf("action(%d)", uint8(a))
}

// ActionMix weighs the actions (relative weights, any scale; a weight of zero never
// draws that action). The zero mix means DefaultActionMix.
type ActionMix struct {
	NewOrder       float64 `json:"new_order"`
	Pay            float64 `json:"pay"`
	Edit           float64 `json:"edit"`
	Cancel         float64 `json:"cancel"`
	CustomerUpdate float64 `json:"customer_update"`
	CustomerEdit   float64 `json:"customer_edit"`
}

// DefaultActionMix is a BFCM hour: mostly new orders, some payments of bank-deposit
// orders, edits, cancellations and customer updates (80/5/7/3/5).
func DefaultActionMix() ActionMix {
	return ActionMix{NewOrder: 80, Pay: 5, Edit: 7, Cancel: 3, CustomerUpdate: 5}
}

// weights are the mix's weights, DefaultActionMix's for the zero mix.
func (m ActionMix) weights() [numActions]float64 {
	if m.IsZero() {
		m = DefaultActionMix()
	}
	return [numActions]float64{m.NewOrder, m.Pay, m.Edit, m.Cancel, m.CustomerUpdate, m.CustomerEdit}
}

// IsZero reports whether every weight is zero.
func (m ActionMix) IsZero() bool { return m == ActionMix{} }

// Validate checks every weight is a finite number >= 0 and that new_order is above zero
// (the other actions act on orders and customers that new orders create). The zero mix
// is valid: it is DefaultActionMix.
func (m ActionMix) Validate() error {
	w := m.weights()
	var sum float64
	for a, v := range w {
		if math.IsNaN(v) || math.IsInf(v, 0) || v < 0 {
			return fmt.Errorf("mix weight %s %v must be a finite number >= 0", Action(a), v)
		}
		sum += v
	}
	if math.IsInf(sum, 0) {
		return fmt.Errorf("mix weights are too large")
	}
	if w[NewOrder] <= 0 {
		return fmt.Errorf("mix weight new_order must be above 0: the other actions act on the orders it creates")
	}
	return nil
}

// Share returns each action's share of the draws (the weights normalised to sum to 1;
// the zero mix's are DefaultActionMix's).
func (m ActionMix) Share(a Action) float64 {
	w := m.weights()
	var sum float64
	for _, v := range w {
		sum += v
	}
	if a >= numActions || sum == 0 {
		return 0
	}
	return w[a] / sum
}

// mixDraw draws actions by cumulative weights. Not safe for concurrent use: the engine
// holds its index lock around draws.
type mixDraw struct {
	cum [numActions]float64
}

func newMixDraw(m ActionMix) mixDraw {
	var d mixDraw
	var sum float64
	for a, v := range m.weights() {
		sum += v
		d.cum[a] = sum
	}
	for a := range d.cum {
		d.cum[a] /= sum
	}
	return d
}

func (d *mixDraw) draw(r *rand.Rand) Action {
	x := r.Float64()
	for a, c := range d.cum {
		if x < c {
			return Action(a)
		}
	}
	return NewOrder
}
