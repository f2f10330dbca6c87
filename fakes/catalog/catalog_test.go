package catalog

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestGenerateIsReproducibleAndUnique(t *testing.T) {
	t.Parallel()
	a := Generate(42, 300, 3)
	b := Generate(42, 300, 3)
	assert.Equal(t, a, b, "same seed, same catalog")
	assert.NotEqual(t, a.Items[0].SKU, Generate(43, 300, 3).Items[0].SKU)
	require.Len(t, a.Items, 300)
	require.Len(t, a.Locations, 3)
	seen := map[string]bool{}
	for _, it := range a.Items {
		assert.False(t, seen[it.SKU], "duplicate SKU %s", it.SKU)
		seen[it.SKU] = true
		assert.Len(t, it.Stock, 3)
		assert.Positive(t, it.PriceCents)
		got, ok := a.Lookup(it.SKU)
		assert.True(t, ok)
		assert.Equal(t, it, got)
	}
	assert.Len(t, Generate(1, 0, 0).Items, DefaultSize)
}

func TestMoney(t *testing.T) {
	t.Parallel()
	assert.Equal(t, "404.95", Money(40495))
	assert.Equal(t, "0.05", Money(5))
	assert.Equal(t, "-1.50", Money(-150))
	for in, want := range map[string]int64{"404.95": 40495, "12": 1200, "0.5": 50, "-3.10": -310, ".25": 25} {
		got, err := ParseMoney(in)
		require.NoError(t, err, in)
		assert.Equal(t, want, got, in)
	}
	for _, bad := range []string{"", "1.234", "abc", "1.", "1,00", "99999999999999999999"} {
		_, err := ParseMoney(bad)
		assert.Error(t, err, bad)
	}
}

func TestTax(t *testing.T) {
	t.Parallel()
	assert.Equal(t, int64(725), TaxRate("us", "ca"))
	assert.Equal(t, int64(0), TaxRate("US", "OR"))
	assert.Equal(t, int64(2000), TaxRate("GB", ""))
	assert.Equal(t, int64(0), TaxRate("ZZ", ""))
	assert.Equal(t, int64(725), Tax(10000, 725))
	assert.Equal(t, int64(1), Tax(10, 725), "0.725 cents rounds half up to 1")
}

func FuzzParseMoney(f *testing.F) {
	for _, s := range []string{"1.00", "-0.01", "12", ".5"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		c, err := ParseMoney(s)
		if err != nil {
			return
		}
		back, err := ParseMoney(Money(c))
		if err != nil || back != c {
			t.Fatalf("%q → %d → %q → %d", s, c, Money(c), back)
		}
	})
}
