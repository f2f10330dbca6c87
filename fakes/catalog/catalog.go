// Package catalog is the product catalog the fakes share: the same seed gives the fake
// Shopify and the fake NetSuite the same SKUs, titles, prices and starting stock, as a
// real store and its ERP share an item master.
package catalog

import (
	"fmt"
	"math"
	"strings"

	"github.com/brianvoe/gofakeit/v7"
)

// Item is one sellable SKU.
type Item struct {
	SKU        string `json:"sku"`
	Title      string `json:"title"`
	PriceCents int64  `json:"price_cents"`
	// Stock is the starting on-hand quantity per location, indexed like Catalog.Locations.
	Stock []int `json:"stock"`
}

// Price is the item's price as a decimal string, the way Shopify writes money.
func (i Item) Price() string { return Money(i.PriceCents) }

// Location is a stock location (a warehouse or store).
type Location struct {
	Name string `json:"name"`
}

// Catalog is a seeded item master.
type Catalog struct {
	Seed      uint64     `json:"seed"`
	Items     []Item     `json:"items"`
	Locations []Location `json:"locations"`
}

// DefaultSize is the number of SKUs when none is given.
const DefaultSize = 200

var locationNames = []string{"Main Warehouse", "East Coast DC", "West Coast DC", "Retail Store", "Returns Centre"}

// Generate makes a catalog of size items (DefaultSize if size <= 0) stocked in
// locations locations (1 to 5; 2 if out of range). The same arguments always give the
// same catalog.
func Generate(seed uint64, size, locations int) Catalog {
	if size <= 0 {
		size = DefaultSize
	}
	if locations < 1 || locations > len(locationNames) {
		locations = 2
	}
	f := gofakeit.New(seed)
	c := Catalog{Seed: seed}
	for i := 0; i < locations; i++ {
		c.Locations = append(c.Locations, Location{Name: locationNames[i]})
	}
	seen := map[string]bool{}
	for len(c.Items) < size {
		// SKUs look like real ones: a short family code and a running number.
		sku := fmt.Sprintf("%s%04d-%03d", strings.ToUpper(f.LetterN(2)), f.Number(1000, 9999), len(c.Items)+1)
		if seen[sku] {
			continue
		}
		seen[sku] = true
		it := Item{
			SKU:        sku,
			Title:      f.ProductName(),
			PriceCents: int64(math.Round(f.Price(4, 400) * 100)),
		}
		for range c.Locations {
			it.Stock = append(it.Stock, f.Number(0, 500))
		}
		c.Items = append(c.Items, it)
	}
	return c
}

// Lookup finds an item by SKU.
func (c Catalog) Lookup(sku string) (Item, bool) {
	for _, it := range c.Items {
		if it.SKU == sku {
			return it, true
		}
	}
	return Item{}, false
}

// Index maps SKU to position in Items, for fakes that look SKUs up per request.
func (c Catalog) Index() map[string]int {
	m := make(map[string]int, len(c.Items))
	for i, it := range c.Items {
		m[it.SKU] = i
	}
	return m
}

// Money formats cents as a decimal string with two places: 40495 → "404.95".
func Money(cents int64) string {
	sign := ""
	if cents < 0 {
		sign, cents = "-", -cents
	}
	return fmt.Sprintf("%s%d.%02d", sign, cents/100, cents%100)
}

// ParseMoney reads a decimal string with at most two places ("404.95", "12", "0.5") as cents.
func ParseMoney(s string) (int64, error) {
	s = strings.TrimSpace(s)
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	whole, frac, hasFrac := strings.Cut(s, ".")
	if whole == "" && !hasFrac || len(frac) > 2 || (hasFrac && frac == "") {
		return 0, fmt.Errorf("money %q: want digits with at most two decimals", s)
	}
	var cents int64
	for _, r := range whole + (frac + "00")[:2] {
		if r < '0' || r > '9' {
			return 0, fmt.Errorf("money %q: want digits with at most two decimals", s)
		}
		if cents > (math.MaxInt64-9)/10 {
			return 0, fmt.Errorf("money %q: too large", s)
		}
		cents = cents*10 + int64(r-'0')
	}
	if neg {
		cents = -cents
	}
	return cents, nil
}
