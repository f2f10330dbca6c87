package queue

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type throttledErr struct {
	throttled bool
	after     time.Duration
}

func (e throttledErr) Error() string             { return "429" }
func (e throttledErr) Throttled() bool           { return e.throttled }
func (e throttledErr) RetryAfter() time.Duration { return e.after }

type retryAfterErr struct{ after time.Duration }

// upstreamErr classifies itself the way an upstream client does, without this package.
type upstreamErr struct {
	permanent bool
	err       error
}

func (e upstreamErr) Error() string   { return "400 invalid field" }
func (e upstreamErr) Permanent() bool { return e.permanent }
func (e upstreamErr) Unwrap() error   { return e.err }

func (e retryAfterErr) Error() string             { return "503 Retry-After" }
func (e retryAfterErr) RetryAfter() time.Duration { return e.after }

func TestClassify(t *testing.T) {
	t.Parallel()
	backoff := func(attempt int) time.Duration { return time.Duration(attempt) * time.Second }
	for _, tc := range []struct {
		name string
		err  error
		want verdict
	}{
		{"nil acks", nil, verdict{kind: opAck}},
		{"plain error retries after backoff(attempt)", errors.New("boom"), verdict{kind: opRetry, delay: 3 * time.Second}},
		{"permanent dead-letters", Permanent(errors.New("unknown SKU")), verdict{kind: opDead}},
		{"wrapped permanent", fmt.Errorf("flow: %w", Permanent(errors.New("x"))), verdict{kind: opDead}},
		{"permanent wins over snooze", Permanent(Snooze(time.Second)), verdict{kind: opDead}},
		{"snooze", Snooze(7 * time.Second), verdict{kind: opSnooze, delay: 7 * time.Second}},
		{"negative snooze is now", Snooze(-time.Second), verdict{kind: opSnooze}},
		{"wrapped snooze", fmt.Errorf("breaker open: %w", Snooze(time.Minute)), verdict{kind: opSnooze, delay: time.Minute}},
		{"throttled honours Retry-After", throttledErr{true, 42 * time.Second}, verdict{kind: opSnooze, delay: 42 * time.Second}},
		{"throttled without Retry-After", throttledErr{true, 0}, verdict{kind: opSnooze, delay: 500 * time.Millisecond}},
		{"wrapped throttled", fmt.Errorf("netsuite: %w", throttledErr{true, time.Second}), verdict{kind: opSnooze, delay: time.Second}},
		{"not throttled after all", throttledErr{false, 0}, verdict{kind: opRetry, delay: 3 * time.Second}},
		{"Retry-After above backoff is a floor", retryAfterErr{10 * time.Second}, verdict{kind: opRetry, delay: 10 * time.Second}},
		{"Retry-After below backoff is ignored", retryAfterErr{time.Second}, verdict{kind: opRetry, delay: 3 * time.Second}},
		{"context deadline retries", context.DeadlineExceeded, verdict{kind: opRetry, delay: 3 * time.Second}},
		{"Permanent() true dead-letters", upstreamErr{permanent: true}, verdict{kind: opDead}},
		{"wrapped Permanent() true", fmt.Errorf("orders: %w", upstreamErr{permanent: true}), verdict{kind: opDead}},
		{"joined Permanent() true", errors.Join(errors.New("x"), upstreamErr{permanent: true}), verdict{kind: opDead}},
		{"Permanent() true wins over throttled", fmt.Errorf("%w: %w", throttledErr{true, time.Second}, upstreamErr{permanent: true}), verdict{kind: opDead}},
		{"Permanent() false is transient", upstreamErr{}, verdict{kind: opRetry, delay: 3 * time.Second}},
		{"Permanent() false still throttles", upstreamErr{err: throttledErr{true, time.Second}}, verdict{kind: opSnooze, delay: time.Second}},
		{"Permanent() true below a Permanent() false", upstreamErr{err: upstreamErr{permanent: true}}, verdict{kind: opDead}},
		{"Permanent(err) below a Permanent() false", upstreamErr{err: Permanent(errors.New("x"))}, verdict{kind: opDead}},
	} {
		assert.Equal(t, tc.want, classify(tc.err, 3, backoff, 500*time.Millisecond), tc.name)
	}
	assert.Nil(t, Permanent(nil))
}

func TestExponentialBackoff(t *testing.T) {
	t.Parallel()
	b := ExponentialBackoff(time.Second, 10*time.Minute, rand.New(rand.NewPCG(1, 2)))
	for attempt := 1; attempt <= 100; attempt++ {
		limit := 10 * time.Minute
		if attempt <= 10 {
			limit = time.Second << (attempt - 1)
		}
		for range 50 {
			d := b(attempt)
			require.GreaterOrEqual(t, d, time.Duration(0))
			require.Less(t, d, limit, "attempt %d", attempt)
		}
	}
	// Full jitter: the spread covers the range, not a band around the cap.
	var lo, hi int
	for range 1000 {
		if d := b(4); d < 2*time.Second {
			lo++
		} else if d >= 6*time.Second {
			hi++
		}
	}
	assert.Greater(t, lo, 150)
	assert.Greater(t, hi, 150)
	// Seeded sources repeat.
	x := ExponentialBackoff(time.Second, time.Minute, rand.New(rand.NewPCG(7, 7)))
	y := ExponentialBackoff(time.Second, time.Minute, rand.New(rand.NewPCG(7, 7)))
	for i := 1; i < 20; i++ {
		require.Equal(t, x(i), y(i))
	}
	assert.Less(t, b(0), time.Second, "attempt < 1 is treated as 1")
}

func TestEncodeDecode(t *testing.T) {
	t.Parallel()
	for _, m := range []Message{
		{ID: "a", EnqueuedAt: time.UnixMilli(1)},
		{ID: "01J|x|y", Topic: "orders/create", Payload: []byte("|12|"), EnqueuedAt: time.UnixMilli(1795000000000),
			Headers: map[string]string{"X-Shopify-Topic": "orders/create", "": "", "k": strings.Repeat("v", 300)}},
		{ID: strings.Repeat("é", 200), Payload: make([]byte, 70000), EnqueuedAt: time.UnixMilli(0)},
	} {
		enc := encode(nil, &m)
		assert.LessOrEqual(t, len(enc), encodedSize(&m))
		var got Message
		require.NoError(t, decode(string(enc), &got))
		if len(m.Payload) == 0 {
			m.Payload = []byte{}
		}
		assert.Equal(t, m, got)
	}
	for _, bad := range []string{"", "12", "12|", "12|5|ab", "x|1|a", "1|-1|", "1|1|a\x05ab"} {
		var got Message
		assert.Error(t, decode(bad, &got), "%q", bad)
	}
}

func FuzzDecode(f *testing.F) {
	f.Add(string(encode(nil, &Message{ID: "id", Topic: "t", Headers: map[string]string{"a": "b"}, Payload: []byte("p")})))
	f.Add("1|1|a\x00\x00")
	f.Fuzz(func(t *testing.T, s string) {
		var m Message
		if decode(s, &m) == nil {
			m2 := Message{}
			require.NoError(t, decode(string(encode(nil, &m)), &m2))
			assert.Equal(t, m.ID, m2.ID)
		}
	})
}

func TestIDs(t *testing.T) {
	t.Parallel()
	src := newIDSource()
	seen := map[string]bool{}
	prev := ""
	for i := range 10000 {
		id := src.next(time.UnixMilli(int64(1795000000000 + i)))
		require.Len(t, id, 26)
		require.False(t, seen[id])
		require.Greater(t, id, prev, "ids sort by time")
		seen[id], prev = true, id
	}
}

func TestPartitionIsStable(t *testing.T) {
	t.Parallel()
	q, err := New(redis.NewClient(&redis.Options{}), Partitions(16))
	require.NoError(t, err)
	// FNV-1a-32, documented so other tools can compute it.
	assert.Equal(t, 0xbf9cf968%16, q.Partition("foobar"))
	assert.Equal(t, 0x811c9dc5%16, q.Partition(""))
	counts := make([]int, 16)
	for i := range 16000 {
		counts[q.Partition("order-"+strconv.Itoa(5000000000+i))]++
	}
	for p, n := range counts {
		assert.InDelta(t, 1000, n, 200, "partition %d", p)
	}
}

func TestNewValidates(t *testing.T) {
	t.Parallel()
	rdb := redis.NewClient(&redis.Options{})
	for _, opts := range [][]Option{
		{Prefix("")}, {Prefix("a{b")}, {Prefix("a}")}, {Partitions(0)}, {Lease(time.Millisecond)},
		{MaxAttempts(0)}, {WithClock(nil)},
	} {
		_, err := New(rdb, opts...)
		assert.Error(t, err)
	}
	_, err := New(nil)
	assert.Error(t, err)
}

// crc16 is Redis Cluster's key hash (CRC16-XMODEM).
func crc16(s string) uint16 {
	var crc uint16
	for i := 0; i < len(s); i++ {
		crc ^= uint16(s[i]) << 8
		for range 8 {
			if crc&0x8000 != 0 {
				crc = crc<<1 ^ 0x1021
			} else {
				crc <<= 1
			}
		}
	}
	return crc
}

// keySlot is CLUSTER KEYSLOT: the hash of the first non-empty {tag}, else of the key.
func keySlot(key string) int {
	if s := strings.IndexByte(key, '{'); s >= 0 {
		if e := strings.IndexByte(key[s+1:], '}'); e > 0 {
			key = key[s+1 : s+1+e]
		}
	}
	return int(crc16(key) % 16384)
}

func TestKeySlot(t *testing.T) {
	t.Parallel()
	assert.Equal(t, uint16(0x31C3), crc16("123456789"))
	assert.Equal(t, 12182, keySlot("foo"))
	assert.Equal(t, keySlot("{user1000}.following"), keySlot("{user1000}.followers"))
	assert.Equal(t, keySlot("foo{}{bar}"), int(crc16("foo{}{bar}")%16384))
	assert.Equal(t, keySlot("foo{{bar}}zap"), int(crc16("{bar")%16384))
}

// scriptRecorder records the keys every script call names, plus the key prefixes it
// passes in ARGV (group keys are built from them inside the script).
type scriptRecorder struct {
	mu    sync.Mutex
	calls [][]string
}

func (r *scriptRecorder) DialHook(next redis.DialHook) redis.DialHook { return next }
func (r *scriptRecorder) ProcessHook(next redis.ProcessHook) redis.ProcessHook {
	return func(ctx context.Context, cmd redis.Cmder) error {
		r.record(cmd)
		return next(ctx, cmd)
	}
}
func (r *scriptRecorder) ProcessPipelineHook(next redis.ProcessPipelineHook) redis.ProcessPipelineHook {
	return func(ctx context.Context, cmds []redis.Cmder) error {
		for _, c := range cmds {
			r.record(c)
		}
		return next(ctx, cmds)
	}
}

func (r *scriptRecorder) record(cmd redis.Cmder) {
	name := cmd.Name()
	if name != "evalsha" && name != "eval" {
		return
	}
	args := cmd.Args()
	n, _ := strconv.Atoi(fmt.Sprint(args[2]))
	var keys []string
	for _, a := range args[3 : 3+n] {
		keys = append(keys, a.(string))
	}
	for _, a := range args[3+n:] {
		if s, ok := a.(string); ok && strings.HasPrefix(s, "{") {
			keys = append(keys, s) // a key prefix
		}
	}
	r.mu.Lock()
	r.calls = append(r.calls, keys)
	r.mu.Unlock()
}

// TestScriptsTouchOnePartition drives every script and checks that each call's keys,
// declared and built, hash to one Cluster slot, and that every key the queue created
// carries its partition's hash tag.
func TestScriptsTouchOnePartition(t *testing.T) {
	t.Parallel()
	mr := miniredis.RunT(t)
	rdb := redis.NewClient(&redis.Options{Addr: mr.Addr()})
	rec := &scriptRecorder{}
	rdb.AddHook(rec)
	q, err := New(rdb, Prefix("slots"), Partitions(8), MaxAttempts(2))
	require.NoError(t, err)
	ctx := context.Background()
	for i := range 50 {
		_, err := q.Enqueue(ctx, Message{Key: fmt.Sprintf("order-%d", i%20)}, Dedup(strconv.Itoa(i), time.Hour))
		require.NoError(t, err)
	}
	seen := 0
	for {
		ds, err := q.dequeue(ctx, []int{0, 1, 2, 3, 4, 5, 6, 7}, []int{3, 3, 3, 3, 3, 3, 3, 3})
		require.NoError(t, err)
		if len(ds) == 0 {
			break
		}
		ops := make([]settleOp, 0, len(ds))
		for i, d := range ds {
			kinds := []opKind{opAck, opRetry, opSnooze, opDead, opExtend, opRelease}
			ops = append(ops, settleOp{kind: kinds[(seen+i)%len(kinds)], d: d, at: q.now()})
		}
		seen += len(ds)
		q.settle(ctx, ops)
		_, err = q.RecoverExpired(ctx)
		require.NoError(t, err)
		mr.FastForward(time.Minute)
	}
	_, err = q.DLQ().Replay(ctx, DLQFilter{})
	require.NoError(t, err)
	_, err = q.Stats(ctx)
	require.NoError(t, err)

	rec.mu.Lock()
	defer rec.mu.Unlock()
	require.NotEmpty(t, rec.calls)
	for _, keys := range rec.calls {
		slot := keySlot(keys[0])
		for _, k := range keys {
			require.Equal(t, slot, keySlot(k), "script call %v spans slots", keys)
		}
	}
	for _, k := range mr.Keys() {
		tag := k[:strings.IndexByte(k, '}')+1]
		pn, err := strconv.Atoi(strings.TrimPrefix(strings.TrimSuffix(tag, "}"), "{slots:p"))
		require.NoError(t, err, "key %s has no partition tag", k)
		require.Equal(t, q.parts[pn].tag, tag)
		if strings.HasPrefix(k, tag+":g:") {
			require.Equal(t, pn, q.Partition(strings.TrimPrefix(k, tag+":g:")), "group %s in the wrong partition", k)
		}
	}
	tags := map[int]bool{}
	for _, p := range q.parts {
		tags[keySlot(p.tag)] = true
	}
	assert.Greater(t, len(tags), 1, "partitions spread over slots")
	assert.True(t, slices.ContainsFunc(mr.Keys(), func(k string) bool { return strings.Contains(k, ":d:") }), "dedup marks exist")
}
