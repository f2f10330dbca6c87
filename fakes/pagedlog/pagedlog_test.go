package pagedlog

import (
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// entry carries its own number, as an attempt or a run does.
type entry struct {
	n    int64
	kind string
}

func numbered(capacity int) *Log[entry] {
	return New(capacity, func(e *entry, n int64) { e.n = n })
}

func appendKinds(l *Log[entry], kinds ...string) {
	for _, k := range kinds {
		l.Append(entry{kind: k})
	}
}

func numbers(es []entry) []int64 {
	out := []int64{}
	for _, e := range es {
		out = append(out, e.n)
	}
	return out
}

func TestAppendNumbersFromOne(t *testing.T) {
	t.Parallel()
	l := numbered(10)
	assert.Equal(t, int64(1), l.Append(entry{}))
	assert.Equal(t, int64(2), l.Append(entry{}))
	p := l.Page(Query[entry]{})
	assert.Equal(t, []int64{1, 2}, numbers(p.Entries), "each stored entry carries its number")
	assert.Equal(t, int64(2), p.Total)
	assert.Equal(t, 2, p.Retained)
	assert.Equal(t, int64(0), p.Dropped())
	assert.Equal(t, int64(2), p.NextSince)
}

func TestFullLogDropsTheOldest(t *testing.T) {
	t.Parallel()
	l := numbered(3)
	appendKinds(l, "a", "b", "c", "d", "e")
	p := l.Page(Query[entry]{})
	assert.Equal(t, []int64{3, 4, 5}, numbers(p.Entries))
	assert.Equal(t, int64(5), p.Total)
	assert.Equal(t, 3, p.Retained)
	assert.Equal(t, int64(2), p.Dropped())

	p = l.Page(Query[entry]{Since: 1})
	assert.Equal(t, []int64{3, 4, 5}, numbers(p.Entries), "a since older than the log starts at the oldest retained")
	p = l.Page(Query[entry]{Since: 3})
	assert.Equal(t, []int64{4, 5}, numbers(p.Entries))
}

func TestPagingNeitherRepeatsNorSkips(t *testing.T) {
	t.Parallel()
	l := numbered(100)
	for i := range 45 {
		kind := "odd"
		if i%2 == 0 {
			kind = "even"
		}
		appendKinds(l, kind)
	}
	even := func(e entry) bool { return e.kind == "even" }
	var seen []int64
	since := int64(0)
	for range 100 {
		p := l.Page(Query[entry]{Since: since, Limit: 4, Match: even})
		seen = append(seen, numbers(p.Entries)...)
		if p.NextSince == since {
			break
		}
		since = p.NextSince
	}
	var want []int64
	for n := int64(1); n <= 45; n += 2 {
		want = append(want, n)
	}
	assert.Equal(t, want, seen)
}

func TestNextSinceMovesPastUnmatchedEntries(t *testing.T) {
	t.Parallel()
	l := numbered(10)
	appendKinds(l, "a", "b", "b", "b")
	p := l.Page(Query[entry]{Match: func(e entry) bool { return e.kind == "a" }})
	assert.Equal(t, []int64{1}, numbers(p.Entries))
	assert.Equal(t, int64(4), p.NextSince, "a poller does not look at the same unmatched entries again")

	p = l.Page(Query[entry]{Since: 4})
	assert.Empty(t, p.Entries)
	assert.NotNil(t, p.Entries, "an empty page is [] in JSON, not null")
	assert.Equal(t, int64(4), p.NextSince)
	p = l.Page(Query[entry]{Since: 99})
	assert.Equal(t, int64(99), p.NextSince, "a since beyond the log comes back unchanged")
}

func TestLimitStopsAtTheLastReturned(t *testing.T) {
	t.Parallel()
	l := numbered(10)
	appendKinds(l, "a", "b", "c", "d")
	p := l.Page(Query[entry]{Limit: 2})
	assert.Equal(t, []int64{1, 2}, numbers(p.Entries))
	assert.Equal(t, int64(2), p.NextSince)
}

func TestCapacityZeroKeepsAndNumbersNothing(t *testing.T) {
	t.Parallel()
	for _, c := range []int{0, -1} {
		l := numbered(c)
		assert.Equal(t, int64(0), l.Append(entry{}))
		p := l.Page(Query[entry]{Since: 7})
		assert.Empty(t, p.Entries)
		assert.Equal(t, int64(0), p.Total)
		assert.Equal(t, int64(7), p.NextSince)
	}
}

func TestResetRestartsNumbering(t *testing.T) {
	t.Parallel()
	l := numbered(2)
	appendKinds(l, "a", "b", "c")
	l.Reset()
	p := l.Page(Query[entry]{})
	assert.Empty(t, p.Entries)
	assert.Equal(t, int64(0), p.Total)
	assert.Equal(t, int64(1), l.Append(entry{}))
	assert.Equal(t, []int64{1}, numbers(l.Page(Query[entry]{}).Entries))
}

func TestNilNumberIsAllowed(t *testing.T) {
	t.Parallel()
	l := New[string](2, nil)
	l.Append("x")
	l.Append("y")
	l.Append("z")
	assert.Equal(t, []string{"y", "z"}, l.Page(Query[string]{}).Entries)
}

func TestConcurrentAppendsAreAllNumbered(t *testing.T) {
	t.Parallel()
	l := numbered(1000)
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 100 {
				l.Append(entry{})
				l.Page(Query[entry]{Limit: 1})
			}
		})
	}
	wg.Wait()
	p := l.Page(Query[entry]{})
	require.Len(t, p.Entries, 800)
	for i, e := range p.Entries {
		assert.Equal(t, int64(i+1), e.n)
	}
}

func TestPageSize(t *testing.T) {
	t.Parallel()
	for _, c := range []struct{ asked, want int }{{-1, 1000}, {0, 1000}, {1, 1}, {10_000, 10_000}, {10_001, 10_000}} {
		assert.Equal(t, c.want, PageSize(c.asked, 1000, 10_000), "asked %d", c.asked)
	}
}
