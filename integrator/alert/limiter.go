package alert

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// Pending is what accumulated for a condition since its last message.
type Pending struct {
	Count  int64
	First  time.Time
	Latest Alert
}

// Limiter counts occurrences and decides when a condition may send again. A Limiter
// shared by replicas (RedisLimiter) makes them share one budget. Methods are safe for
// concurrent use.
type Limiter interface {
	// Record counts n occurrences of a's condition, keeping a as the latest.
	Record(ctx context.Context, a Alert, n int64) error
	// Claim takes what is pending for cond if no message for cond went out within
	// interval before now; ok is false otherwise, or when nothing is pending.
	Claim(ctx context.Context, cond string, interval time.Duration, now time.Time) (p Pending, ok bool, err error)
	// Conditions lists the conditions with occurrences pending.
	Conditions(ctx context.Context) ([]string, error)
}

// MemoryLimiter is a Limiter for one process.
type MemoryLimiter struct {
	mu      sync.Mutex
	pending map[string]*Pending
	sentAt  map[string]time.Time
}

var _ Limiter = (*MemoryLimiter)(nil)

// NewMemoryLimiter returns an empty MemoryLimiter.
func NewMemoryLimiter() *MemoryLimiter {
	return &MemoryLimiter{pending: map[string]*Pending{}, sentAt: map[string]time.Time{}}
}

func (l *MemoryLimiter) Record(_ context.Context, a Alert, n int64) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pending[a.Condition]
	if p == nil {
		p = &Pending{First: a.At}
		l.pending[a.Condition] = p
	}
	p.Count += n
	p.Latest = a
	return nil
}

func (l *MemoryLimiter) Claim(_ context.Context, cond string, interval time.Duration, now time.Time) (Pending, bool, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	p := l.pending[cond]
	if p == nil || p.Count == 0 {
		return Pending{}, false, nil
	}
	if last, ok := l.sentAt[cond]; ok && now.Sub(last) < interval {
		return Pending{}, false, nil
	}
	l.sentAt[cond] = now
	delete(l.pending, cond)
	return *p, true, nil
}

func (l *MemoryLimiter) Conditions(context.Context) ([]string, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.pending))
	for c := range l.pending {
		out = append(out, c)
	}
	sort.Strings(out)
	return out, nil
}

// RedisLimiter is a Limiter shared by every replica on one Redis. Its keys share one
// hash tag, so it works on Redis Cluster.
type RedisLimiter struct {
	rdb    redis.UniversalClient
	prefix string // "{<prefix>:alerts}"
}

var _ Limiter = (*RedisLimiter)(nil)

// NewRedisLimiter returns a limiter whose keys start with prefix.
func NewRedisLimiter(rdb redis.UniversalClient, prefix string) *RedisLimiter {
	return &RedisLimiter{rdb: rdb, prefix: "{" + prefix + ":alerts}"}
}

func (l *RedisLimiter) pendingKey(cond string) string { return l.prefix + ":pending:" + cond }
func (l *RedisLimiter) sentKey(cond string) string    { return l.prefix + ":sent:" + cond }
func (l *RedisLimiter) setKey() string                { return l.prefix + ":conditions" }

// recordScript adds n to the count, keeps the first time and the latest alert, and lists
// the condition.
var recordScript = redis.NewScript(`
redis.call('HINCRBY', KEYS[1], 'count', ARGV[1])
redis.call('HSETNX', KEYS[1], 'first', ARGV[2])
redis.call('HSET', KEYS[1], 'latest', ARGV[3])
redis.call('SADD', KEYS[2], ARGV[4])
return 1`)

// claimScript takes the pending hash unless the condition's last message went out less
// than an interval before now (both in the callers' clock, which scenario runs speed
// up), and records now as the last message's time.
var claimScript = redis.NewScript(`
if redis.call('HEXISTS', KEYS[1], 'count') == 0 then
  redis.call('SREM', KEYS[3], ARGV[2])
  return false
end
local last = redis.call('GET', KEYS[2])
if last and tonumber(ARGV[3]) - tonumber(last) < tonumber(ARGV[1]) then return false end
redis.call('SET', KEYS[2], ARGV[3], 'PX', ARGV[1])
local v = redis.call('HGETALL', KEYS[1])
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[3], ARGV[2])
return v`)

func (l *RedisLimiter) Record(ctx context.Context, a Alert, n int64) error {
	latest, err := json.Marshal(a)
	if err != nil {
		return err
	}
	return recordScript.Run(ctx, l.rdb, []string{l.pendingKey(a.Condition), l.setKey()},
		n, a.At.UnixMilli(), latest, a.Condition).Err()
}

func (l *RedisLimiter) Claim(ctx context.Context, cond string, interval time.Duration, now time.Time) (Pending, bool, error) {
	// The marker's expiry (wall time) only cleans up: the comparison uses now.
	res, err := claimScript.Run(ctx, l.rdb, []string{l.pendingKey(cond), l.sentKey(cond), l.setKey()},
		max(interval.Milliseconds(), 1), cond, now.UnixMilli()).StringSlice()
	if err == redis.Nil {
		return Pending{}, false, nil
	}
	if err != nil {
		return Pending{}, false, err
	}
	fields := map[string]string{}
	for i := 0; i+1 < len(res); i += 2 {
		fields[res[i]] = res[i+1]
	}
	var p Pending
	p.Count, _ = strconv.ParseInt(fields["count"], 10, 64)
	if ms, err := strconv.ParseInt(fields["first"], 10, 64); err == nil {
		p.First = time.UnixMilli(ms)
	}
	if err := json.Unmarshal([]byte(fields["latest"]), &p.Latest); err != nil {
		return Pending{}, false, fmt.Errorf("alert: pending %s: %w", cond, err)
	}
	return p, p.Count > 0, nil
}

func (l *RedisLimiter) Conditions(ctx context.Context) ([]string, error) {
	out, err := l.rdb.SMembers(ctx, l.setKey()).Result()
	sort.Strings(out)
	return out, err
}
