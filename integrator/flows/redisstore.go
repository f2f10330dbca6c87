package flows

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisVersions keeps applied versions in Redis, one string per resource, expiring after
// TTL (default 30 days: far beyond Shopify's latest deliveries).
type RedisVersions struct {
	rdb    redis.UniversalClient
	prefix string
	ttl    time.Duration
}

// NewRedisVersions stores under prefix+"ver:"+key.
func NewRedisVersions(rdb redis.UniversalClient, prefix string, ttl time.Duration) *RedisVersions {
	if ttl <= 0 {
		ttl = 30 * 24 * time.Hour
	}
	return &RedisVersions{rdb: rdb, prefix: prefix, ttl: ttl}
}

func (r *RedisVersions) Applied(ctx context.Context, key string) (Version, bool, error) {
	s, err := r.rdb.Get(ctx, r.prefix+"ver:"+key).Result()
	if errors.Is(err, redis.Nil) {
		return Version{}, false, nil
	}
	if err != nil {
		return Version{}, false, err
	}
	ns, dig, ok := strings.Cut(s, "|")
	n, perr := strconv.ParseInt(ns, 10, 64)
	if !ok || perr != nil {
		return Version{}, false, fmt.Errorf("versions: corrupt entry for %s", key)
	}
	return Version{UpdatedAt: time.Unix(0, n), Digest: dig}, true, nil
}

func (r *RedisVersions) Record(ctx context.Context, key string, v Version) error {
	return r.rdb.Set(ctx, r.prefix+"ver:"+key, strconv.FormatInt(v.UpdatedAt.UnixNano(), 10)+"|"+v.Digest, r.ttl).Err()
}

// RedisHolds keeps held orders in a Redis hash (order id → JSON) and release marks.
type RedisHolds struct {
	rdb    redis.UniversalClient
	prefix string
}

// NewRedisHolds stores under prefix+"held" and prefix+"released:"+id.
func NewRedisHolds(rdb redis.UniversalClient, prefix string) *RedisHolds {
	return &RedisHolds{rdb: rdb, prefix: prefix}
}

func (r *RedisHolds) heldKey() string { return r.prefix + "held" }
func (r *RedisHolds) releasedKey(id int64) string {
	return r.prefix + "released:" + strconv.FormatInt(id, 10)
}

// Hold stores h, keeping the first HeldAt of an order already held.
func (r *RedisHolds) Hold(ctx context.Context, h HeldOrder) error {
	field := strconv.FormatInt(h.OrderID, 10)
	if prev, err := r.rdb.HGet(ctx, r.heldKey(), field).Bytes(); err == nil {
		var old HeldOrder
		if json.Unmarshal(prev, &old) == nil && !old.HeldAt.IsZero() {
			h.HeldAt = old.HeldAt
		}
	} else if !errors.Is(err, redis.Nil) {
		return err
	}
	b, err := json.Marshal(h)
	if err != nil {
		return err
	}
	return r.rdb.HSet(ctx, r.heldKey(), field, b).Err()
}

func (r *RedisHolds) Released(ctx context.Context, orderID int64) (bool, error) {
	n, err := r.rdb.Exists(ctx, r.releasedKey(orderID)).Result()
	return n > 0, err
}

func (r *RedisHolds) Synced(ctx context.Context, orderID int64) error {
	return r.rdb.HDel(ctx, r.heldKey(), strconv.FormatInt(orderID, 10)).Err()
}

// List returns the held orders, oldest hold first.
func (r *RedisHolds) List(ctx context.Context) ([]HeldOrder, error) {
	m, err := r.rdb.HGetAll(ctx, r.heldKey()).Result()
	if err != nil {
		return nil, err
	}
	out := make([]HeldOrder, 0, len(m))
	for _, v := range m {
		var h HeldOrder
		if err := json.Unmarshal([]byte(v), &h); err != nil {
			return nil, fmt.Errorf("holds: corrupt entry: %w", err)
		}
		out = append(out, h)
	}
	sortHeld(out)
	return out, nil
}

// Get returns one held order.
func (r *RedisHolds) Get(ctx context.Context, orderID int64) (HeldOrder, bool, error) {
	b, err := r.rdb.HGet(ctx, r.heldKey(), strconv.FormatInt(orderID, 10)).Bytes()
	if errors.Is(err, redis.Nil) {
		return HeldOrder{}, false, nil
	}
	if err != nil {
		return HeldOrder{}, false, err
	}
	var h HeldOrder
	if err := json.Unmarshal(b, &h); err != nil {
		return HeldOrder{}, false, err
	}
	return h, true, nil
}

// MarkReleased records that an order may sync despite its risk; the mark lasts ttl
// (default 30 days), beyond which later events of the order would be held again.
func (r *RedisHolds) MarkReleased(ctx context.Context, orderID int64, ttl time.Duration) error {
	if ttl <= 0 {
		ttl = 30 * 24 * time.Hour
	}
	return r.rdb.Set(ctx, r.releasedKey(orderID), "1", ttl).Err()
}

func sortHeld(h []HeldOrder) {
	sort.Slice(h, func(i, j int) bool {
		if !h[i].HeldAt.Equal(h[j].HeldAt) {
			return h[i].HeldAt.Before(h[j].HeldAt)
		}
		return h[i].OrderID < h[j].OrderID
	})
}
