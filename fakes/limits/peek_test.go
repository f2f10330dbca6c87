package limits

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/peakready/peakready/clock"
)

func TestLeakyBucketLevelDoesNotTake(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(time.Date(2026, 11, 27, 0, 0, 0, 0, time.UTC))
	b := NewLeakyBucket(c, 2, 1)
	assert.Equal(t, BucketDecision{Allowed: true, Used: 0, Capacity: 2}, b.Level())
	b.Take()
	b.Take()
	assert.Equal(t, BucketDecision{Used: 2, Capacity: 2, RetryAfter: time.Second}, b.Level())
	assert.Equal(t, 2, b.Level().Used, "Level never adds a request")
	c.Advance(500 * time.Millisecond)
	assert.Equal(t, BucketDecision{Used: 2, Capacity: 2, RetryAfter: 500 * time.Millisecond}, b.Level(), "1.5 used rounds up")
}
