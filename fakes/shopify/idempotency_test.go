package shopify

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"

	"github.com/peakready/peakready/clock"
)

func TestIdempotencyOutcomesAndRetention(t *testing.T) {
	t.Parallel()
	c := clock.NewManual(epoch)
	d := newIdempotency(c, time.Hour)
	out, e := d.begin("m", "k", `{"a":1}`)
	assert.Equal(t, idemFirst, out)
	out, _ = d.begin("m", "k", `{"a":1}`)
	assert.Equal(t, idemConcurrent, out, "the first request is still running")
	out, _ = d.begin("m", "k", `{"a":2}`)
	assert.Equal(t, idemMismatch, out)
	out, _ = d.begin("other", "k", `{"a":2}`)
	assert.Equal(t, idemFirst, out, "keys are per mutation")
	d.finish(e, "payload", false)
	out, got := d.begin("m", "k", `{"a":1}`)
	assert.Equal(t, idemReplay, out)
	assert.Equal(t, "payload", got.payload)
	c.Advance(time.Hour - time.Nanosecond)
	out, _ = d.begin("m", "k", `{"a":1}`)
	assert.Equal(t, idemReplay, out, "kept for the whole retention window")
	c.Advance(time.Nanosecond)
	out, _ = d.begin("m", "k", `{"a":1}`)
	assert.Equal(t, idemFirst, out, "forgotten after it")

	out, e = d.begin("m", "x", "{}")
	assert.Equal(t, idemFirst, out)
	d.abandon("m", "x", e)
	out, _ = d.begin("m", "x", "{}")
	assert.Equal(t, idemFirst, out, "a key whose request never produced a payload may be reused")
}
