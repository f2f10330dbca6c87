package redisserver

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

func TestTTLTickSpacesOutAsTheWalkGrows(t *testing.T) {
	t.Parallel()
	// A few keys: four walks a second, as on a small run.
	assert.Equal(t, 250*time.Millisecond, ttlTickAfter(0))
	assert.Equal(t, 250*time.Millisecond, ttlTickAfter(12*time.Millisecond))
	// 100,000 keys (a walk of about 50 ms): the walks keep to 5% of the server's time.
	assert.Equal(t, time.Second, ttlTickAfter(50*time.Millisecond))
	// Never more than 2 s between walks: a key expires at most that late.
	assert.Equal(t, 2*time.Second, ttlTickAfter(120*time.Millisecond))
}
