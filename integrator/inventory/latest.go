package inventory

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Latest is the newest ERP change of each SKU seen by any replica. Pushes reach
// replicas at random, and each replica coalesces and writes what it received: without a
// shared record, a replica holding an older change could write it after another wrote a
// newer one. With one, a replica writes the newest known change of each SKU, and after
// writing looks again: a SKU that got a newer change meanwhile is written again. The
// last write of every SKU is therefore its newest change. Implementations are safe for
// concurrent use.
type Latest interface {
	// Offer records c unless a later change of its SKU is recorded (of the same instant,
	// the later offer wins).
	Offer(ctx context.Context, c Change) error
	// Newest returns the recorded change of each of skus that has one.
	Newest(ctx context.Context, skus []string) (map[string]Change, error)
}

// RedisLatest is Latest in one Redis hash (SKU → "unix nanos:on hand"), shared by every
// replica; it holds one small field per SKU the ERP ever pushed.
type RedisLatest struct {
	Redis redis.UniversalClient
	Key   string
}

var offerScript = redis.NewScript(`
local cur = redis.call('HGET', KEYS[1], ARGV[1])
if cur then
  local at = tonumber(string.match(cur, '^(%-?%d+):'))
  if at and at > tonumber(ARGV[2]) then return 0 end
end
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2] .. ':' .. ARGV[3])
return 1`)

// Offer implements Latest. Changes of the same instant: the later offer wins, as in the
// Coalescer.
func (l *RedisLatest) Offer(ctx context.Context, c Change) error {
	if err := offerScript.Run(ctx, l.Redis, []string{l.Key}, c.SKU, c.At.UnixNano(), c.OnHand).Err(); err != nil {
		return fmt.Errorf("inventory: recording the latest change of %s: %w", c.SKU, err)
	}
	return nil
}

// Newest implements Latest.
func (l *RedisLatest) Newest(ctx context.Context, skus []string) (map[string]Change, error) {
	out := make(map[string]Change, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	vals, err := l.Redis.HMGet(ctx, l.Key, skus...).Result()
	if err != nil {
		return nil, fmt.Errorf("inventory: reading the latest changes: %w", err)
	}
	for i, v := range vals {
		s, ok := v.(string)
		if !ok {
			continue
		}
		at, qty, ok := strings.Cut(s, ":")
		ns, err1 := strconv.ParseInt(at, 10, 64)
		n, err2 := strconv.Atoi(qty)
		if !ok || err1 != nil || err2 != nil {
			continue
		}
		out[skus[i]] = Change{SKU: skus[i], OnHand: n, At: time.Unix(0, ns).UTC()}
	}
	return out, nil
}
