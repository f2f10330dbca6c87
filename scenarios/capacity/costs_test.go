package capacity

import "testing"

func TestPerOrderSumsTheMix(t *testing.T) {
	mix := map[string]float64{"orders/create": 1, "orders/paid": 0.9, "orders/updated": 0.5}
	c, err := PerOrder(mix, true)
	if err != nil {
		t.Fatal(err)
	}
	if c.NetSuite != 2.4 || c.Shopify != 2.4 {
		t.Fatalf("got %+v, want 2.4 each", c)
	}
	c, err = PerOrder(mix, false)
	if err != nil || c.Shopify != 0 || c.NetSuite != 2.4 {
		t.Fatalf("without look-ups got %+v %v", c, err)
	}
	if _, err := PerOrder(map[string]float64{"customers/create": 1}, true); err == nil {
		t.Fatal("unknown topic: no error")
	}
	if _, err := PerOrder(map[string]float64{"orders/paid": -1}, true); err == nil {
		t.Fatal("negative count: no error")
	}
}
