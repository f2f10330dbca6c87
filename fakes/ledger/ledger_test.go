package ledger

import (
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

var epoch = time.Date(2026, 11, 27, 9, 0, 0, 0, time.UTC)

func TestCountsProveDuplicatesByNaturalKey(t *testing.T) {
	t.Parallel()
	l := New(clock.NewManual(epoch), 0)
	// An idempotent create, then a retry refused for its duplicate externalId.
	l.Append(Effect{Action: Created, Record: "salesOrder", ID: "1", ExternalID: "1001", NaturalKey: "1001", CreateAttempt: true})
	l.Append(Effect{Action: Rejected, Record: "salesOrder", ExternalID: "1001", NaturalKey: "1001", CreateAttempt: true, Reason: "DUP_RCRD"})
	// A non-idempotent integrator: two POSTs without externalId for order 1002.
	l.Append(Effect{Action: Created, Record: "salesOrder", ID: "2", NaturalKey: "1002", CreateAttempt: true})
	l.Append(Effect{Action: Created, Record: "salesOrder", ID: "3", NaturalKey: "1002", CreateAttempt: true})
	l.Append(Effect{Action: Updated, Record: "salesOrder", ID: "1", ExternalID: "1001", NaturalKey: "1001"})

	c := l.Counts("salesOrder")
	assert.Equal(t, int64(3), c.Created)
	assert.Equal(t, int64(1), c.Updated)
	assert.Equal(t, int64(1), c.Rejected)
	assert.Equal(t, map[string]int64{"1001": 1}, c.RecordsByExternalID)
	assert.Equal(t, map[string]int64{"1001": 1, "1002": 2}, c.RecordsByNaturalKey)
	assert.Equal(t, map[string]int64{"1001": 2}, c.CreateAttemptsByExternalID)
	assert.Equal(t, map[string]int64{"1001": 2, "1002": 2}, c.CreateAttemptsByNaturalKey)

	dups := l.Snapshot(Query{DuplicatesOnly: true, NoEffects: true}).Records["salesOrder"]
	assert.Equal(t, map[string]int64{"1002": 2}, dups.RecordsByNaturalKey)

	l.Append(Effect{Action: Deleted, Record: "salesOrder", ID: "3", NaturalKey: "1002"})
	assert.Equal(t, map[string]int64{"1001": 1, "1002": 1}, l.Counts("salesOrder").RecordsByNaturalKey)
}

func TestSnapshotPagingAndRetention(t *testing.T) {
	t.Parallel()
	l := New(clock.NewManual(epoch), 3)
	for i := 0; i < 5; i++ {
		l.Append(Effect{Action: Created, Record: "customer", ExternalID: string(rune('a' + i))})
	}
	s := l.Snapshot(Query{})
	assert.Equal(t, int64(5), s.TotalEffects)
	assert.Equal(t, int64(2), s.Dropped)
	require.Len(t, s.Effects, 3)
	assert.Equal(t, []int64{3, 4, 5}, []int64{s.Effects[0].Seq, s.Effects[1].Seq, s.Effects[2].Seq})
	assert.Len(t, s.Records["customer"].RecordsByExternalID, 5, "counts outlive retention")

	page := l.Snapshot(Query{Since: 3, Limit: 1})
	require.Len(t, page.Effects, 1)
	assert.Equal(t, int64(4), page.Effects[0].Seq)
	assert.Equal(t, epoch, page.Effects[0].At)

	l.Reset()
	assert.Zero(t, l.Snapshot(Query{}).TotalEffects)
}

func TestAppendIsSafeConcurrently(t *testing.T) {
	t.Parallel()
	l := New(clock.NewManual(epoch), 0)
	var wg sync.WaitGroup
	for g := 0; g < 50; g++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < 200; i++ {
				l.Append(Effect{Action: Created, Record: "salesOrder", NaturalKey: "k", CreateAttempt: true})
			}
		}()
	}
	wg.Wait()
	c := l.Counts("salesOrder")
	assert.Equal(t, int64(10000), c.RecordsByNaturalKey["k"])
	assert.Equal(t, int64(10000), l.Snapshot(Query{NoEffects: true}).TotalEffects)
}
