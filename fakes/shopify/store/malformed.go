package store

import (
	"math/rand/v2"
	"strconv"
)

// malformedEmail draws an e-mail address with a typo of the kinds checkouts let through
// before validation: a missing top-level domain, a doubled @, a space, a missing @, a
// doubled dot. Each carries a random number, so two customers never share one.
func malformedEmail(r *rand.Rand) string {
	n := strconv.FormatUint(uint64(r.Uint32()), 36)
	switch r.IntN(5) {
	case 0:
		return "shopper" + n + "@gmail"
	case 1:
		return "shopper" + n + "@@example.com"
	case 2:
		return "shopper " + n + "@example.com"
	case 3:
		return "shopper" + n + ".example.com"
	default:
		return "shopper.." + n + "@example.com"
	}
}
