package webhooks

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestAttemptLogKeepsTheNewestAndPages(t *testing.T) {
	t.Parallel()
	var hooked []int64
	d, m := setup(t, func(c *Config) {
		c.AttemptLogSize = 3
		c.Workers = 1
		c.OnAttempt = func(a Attempt) { hooked = append(hooked, a.Seq) }
	})
	rc := newReceiver(t, m, nil)
	d.rt = syncTransport{rc}
	subscribe(t, d, "orders/create", "http://erp.test/hooks")
	subscribe(t, d, "orders/paid", "http://erp.test/hooks")
	for i := range 3 {
		d.Publish(Event{Topic: "orders/create", ResourceID: int64(i), Payload: payload(i)})
		require.NoError(t, d.Drain(context.Background()))
		d.Publish(Event{Topic: "orders/paid", ResourceID: int64(i), Payload: payload(i)})
		require.NoError(t, d.Drain(context.Background()))
	}
	assert.Equal(t, []int64{1, 2, 3, 4, 5, 6}, hooked, "OnAttempt sees the number the log gave")

	seqs := func(p AttemptPage) []int64 {
		out := []int64{}
		for _, a := range p.Attempts {
			out = append(out, a.Seq)
		}
		return out
	}
	p := d.Attempts(AttemptQuery{})
	assert.Equal(t, []int64{4, 5, 6}, seqs(p))
	assert.Equal(t, int64(6), p.Total)
	assert.Equal(t, 3, p.Retained)
	assert.Equal(t, int64(6), p.NextSince)

	p = d.Attempts(AttemptQuery{Since: 4, Limit: 1})
	assert.Equal(t, []int64{5}, seqs(p))
	assert.Equal(t, int64(5), p.NextSince)

	p = d.Attempts(AttemptQuery{Topic: "orders/create"})
	assert.Equal(t, []int64{5}, seqs(p))
	assert.Equal(t, int64(6), p.NextSince, "the page looked at the paid attempt after it")

	b, err := json.Marshal(d.Attempts(AttemptQuery{Since: 6}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"attempts":[],"total":6,"retained":3,"next_since":6}`, string(b))

	d.Reset()
	b, err = json.Marshal(d.Attempts(AttemptQuery{}))
	require.NoError(t, err)
	assert.JSONEq(t, `{"attempts":[],"total":0,"retained":0,"next_since":0}`, string(b))
}

func TestNoAttemptLog(t *testing.T) {
	t.Parallel()
	var hooked []int64
	d, m := setup(t, func(c *Config) {
		c.AttemptLogSize = -1
		c.OnAttempt = func(a Attempt) { hooked = append(hooked, a.Seq) }
	})
	d.rt = syncTransport{newReceiver(t, m, nil)}
	subscribe(t, d, "orders/create", "http://erp.test/hooks")
	d.Publish(Event{Topic: "orders/create", Payload: payload(1)})
	require.NoError(t, d.Drain(context.Background()))
	assert.Equal(t, []int64{0}, hooked)
	p := d.Attempts(AttemptQuery{})
	assert.Empty(t, p.Attempts)
	assert.Equal(t, int64(0), p.Total)
	assert.Equal(t, int64(1), d.Stats().Sent, "counters stay exact without a log")
}
