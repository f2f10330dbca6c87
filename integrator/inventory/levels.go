package inventory

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

// BatchLocator is a Locator that also finds the levels of many SKUs in one go. Flush
// uses it, when the Syncer's Locator is one, to find a whole batch's levels at once.
type BatchLocator interface {
	Locator
	// Levels returns the level of each of skus Shopify sells at the location; a SKU
	// missing from the map is one it does not (ErrUnknownSKU for Level).
	Levels(ctx context.Context, skus []string) (map[string]shopify.Quantity, error)
}

// Forgetter is a Locator that can be told its answers for skus may be stale: Flush tells
// it when Shopify refused a write of them, so their next change looks them up again.
type Forgetter interface {
	Forget(ctx context.Context, skus []string) error
}

// Defaults of SharedLocator.
const (
	// DefaultLevelsTTL is how long the hash lives after it was created or last replaced.
	DefaultLevelsTTL = 24 * time.Hour
	// DefaultNotSoldFor is how long an answer "Shopify does not sell this SKU" is kept:
	// an ERP often has a SKU before the shop publishes it.
	DefaultNotSoldFor = 10 * time.Minute
)

// notSold is the hash's value for a SKU Shopify does not sell at the location, followed by
// "|" and when that was found (unix milliseconds).
const notSold = "-"

// maxSKUField is the longest SKU kept as a field by itself; a longer one is kept under its
// hash.
const maxSKUField = 255

// SharedLocator is a BatchLocator every replica shares through one Redis hash: SKU →
// "inventory item gid|location gid", or "-|when" for a SKU Shopify did not sell there
// when last asked. A SKU the hash lacks is looked up in Shopify (a productVariants query
// by SKU, 26 points requested) by the replica that needs it, and kept for all of them;
// Replace fills the hash for the whole catalog at once from one bulk query operation (see
// the integrator's level warm-up). So the stock flow spends Shopify's points on writes,
// not on one look-up per SKU and replica, which after a batch job changing thousands of
// SKUs would take the points the orders flow needs.
//
// The hash expires TTL after it was created or last replaced; Replace (every refresh of
// the warm-up) drops what the catalog no longer has, and Forget drops the SKUs of a write
// Shopify refused. Safe for concurrent use.
type SharedLocator struct {
	Redis redis.UniversalClient
	// Key is the hash's key. On Redis Cluster it must carry a hash tag ("{prefix:levels}"):
	// Replace writes Key + ":next" and renames it over Key. One key per location.
	Key     string
	Shopify LevelFinder
	// Location is the location (gid) whose level is written; empty takes each item's
	// first level.
	Location   string
	TTL        time.Duration // default DefaultLevelsTTL
	NotSoldFor time.Duration // default DefaultNotSoldFor
	Clock      clock.Clock   // tells NotSoldFor's time (default the wall clock)
}

// addLevel adds one field, and gives the hash its lifetime when it has none (a hash
// created by this field).
var addLevel = redis.NewScript(`
redis.call('HSET', KEYS[1], ARGV[1], ARGV[2])
if redis.call('PTTL', KEYS[1]) < 0 then redis.call('PEXPIRE', KEYS[1], ARGV[3]) end
return 1`)

// Level implements Locator.
func (l *SharedLocator) Level(ctx context.Context, sku string) (string, string, error) {
	got, err := l.Levels(ctx, []string{sku})
	if err != nil {
		return "", "", err
	}
	q, ok := got[sku]
	if !ok {
		return "", "", fmt.Errorf("%w: %s", ErrUnknownSKU, sku)
	}
	return q.InventoryItemID, q.LocationID, nil
}

// Levels implements BatchLocator: one HMGET for all of skus, then a Shopify look-up for
// each SKU the hash lacks (or last found unsold more than NotSoldFor ago), whose answer
// goes into the hash. A SKU Shopify's search cannot take (quotes, backslashes) is found
// only by Replace's bulk read, and is otherwise not sold. A failed look-up is returned as the client gave it, with nothing kept.
func (l *SharedLocator) Levels(ctx context.Context, skus []string) (map[string]shopify.Quantity, error) {
	out := make(map[string]shopify.Quantity, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	fields := make([]string, len(skus))
	for i, sku := range skus {
		fields[i] = field(sku)
	}
	vals, err := l.Redis.HMGet(ctx, l.Key, fields...).Result()
	if err != nil {
		return nil, fmt.Errorf("inventory: reading Shopify levels: %w", err)
	}
	now := l.clock().Now()
	for i, sku := range skus {
		if s, ok := vals[i].(string); ok {
			if q, sold := parseLevel(s); sold {
				out[sku] = q
				continue
			}
			if at, ok := notSoldAt(s); ok && now.Sub(at) < l.notSoldFor() {
				continue
			}
		}
		if !shopify.SearchableSKU(sku) {
			continue // only the bulk read can find it
		}
		q, sold, err := l.lookUp(ctx, sku, now)
		if err != nil {
			return nil, err
		}
		if sold {
			out[sku] = q
		}
	}
	return out, nil
}

// lookUp asks Shopify for one SKU's level and keeps the answer.
func (l *SharedLocator) lookUp(ctx context.Context, sku string, now time.Time) (shopify.Quantity, bool, error) {
	item, loc, found, err := l.Shopify.InventoryLevel(ctx, sku, l.Location)
	if err != nil {
		return shopify.Quantity{}, false, err
	}
	q := shopify.Quantity{InventoryItemID: item, LocationID: loc}
	v := notSold + "|" + strconv.FormatInt(now.UnixMilli(), 10)
	if found {
		v = formatLevel(q)
	}
	if err := addLevel.Run(ctx, l.Redis, []string{l.Key}, field(sku), v, l.ttl().Milliseconds()).Err(); err != nil {
		return shopify.Quantity{}, false, fmt.Errorf("inventory: keeping the Shopify level of %s: %w", sku, err)
	}
	return q, found, nil
}

// Forget implements Forgetter: the SKUs are looked up again when next needed.
func (l *SharedLocator) Forget(ctx context.Context, skus []string) error {
	if len(skus) == 0 {
		return nil
	}
	fields := make([]string, len(skus))
	for i, sku := range skus {
		fields[i] = field(sku)
	}
	if err := l.Redis.HDel(ctx, l.Key, fields...).Err(); err != nil {
		return fmt.Errorf("inventory: forgetting Shopify levels: %w", err)
	}
	return nil
}

// Replace makes levels the hash's whole content (SKU → level; a SKU absent from it is
// looked up again when needed). It is written beside the hash and renamed over it in one
// transaction, so readers see the old hash or the new one, never a half. levels comes
// from one read of the whole catalog (overwrite.BulkLevels).
func (l *SharedLocator) Replace(ctx context.Context, levels map[string]shopify.Quantity) error {
	next := l.Key + ":next"
	const chunk = 1000
	fields := make([]any, 0, 2*chunk)
	kept := 0
	_, err := l.Redis.TxPipelined(ctx, func(pipe redis.Pipeliner) error {
		pipe.Del(ctx, next)
		for sku, q := range levels {
			if sku == "" || q.InventoryItemID == "" || q.LocationID == "" {
				continue
			}
			kept++
			fields = append(fields, field(sku), formatLevel(q))
			if len(fields) == 2*chunk {
				pipe.HSet(ctx, next, fields...)
				fields = make([]any, 0, 2*chunk)
			}
		}
		if len(fields) > 0 {
			pipe.HSet(ctx, next, fields...)
		}
		if kept == 0 {
			pipe.Del(ctx, l.Key)
			return nil
		}
		pipe.PExpire(ctx, next, l.ttl())
		pipe.Rename(ctx, next, l.Key)
		return nil
	})
	if err != nil {
		return fmt.Errorf("inventory: replacing Shopify levels: %w", err)
	}
	return nil
}

func (l *SharedLocator) ttl() time.Duration {
	if l.TTL <= 0 {
		return DefaultLevelsTTL
	}
	return l.TTL
}

func (l *SharedLocator) notSoldFor() time.Duration {
	if l.NotSoldFor <= 0 {
		return DefaultNotSoldFor
	}
	return l.NotSoldFor
}

func (l *SharedLocator) clock() clock.Clock {
	if l.Clock == nil {
		return clock.Real()
	}
	return l.Clock
}

// field is the hash field of sku: the SKU itself, or the hash of a very long one.
func field(sku string) string {
	if len(sku) <= maxSKUField {
		return sku
	}
	h := sha256.Sum256([]byte(sku))
	return "#" + hex.EncodeToString(h[:])
}

func formatLevel(q shopify.Quantity) string { return q.InventoryItemID + "|" + q.LocationID }

func parseLevel(s string) (shopify.Quantity, bool) {
	item, loc, ok := strings.Cut(s, "|")
	if !ok || item == "" || item == notSold || loc == "" {
		return shopify.Quantity{}, false
	}
	return shopify.Quantity{InventoryItemID: item, LocationID: loc}, true
}

// notSoldAt is when a "not sold" value was found.
func notSoldAt(s string) (time.Time, bool) {
	rest, ok := strings.CutPrefix(s, notSold+"|")
	if !ok {
		return time.Time{}, false
	}
	ms, err := strconv.ParseInt(rest, 10, 64)
	if err != nil {
		return time.Time{}, false
	}
	return time.UnixMilli(ms), true
}
