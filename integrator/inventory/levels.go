package inventory

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"

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

// DefaultLevelsTTL is how long SharedLocator's hash lives after it was created or last
// replaced.
const DefaultLevelsTTL = 24 * time.Hour

// notSold is the hash's value for a SKU Shopify does not sell at the location.
const notSold = "-"

// maxSKULength bounds a SKU kept in the hash (Shopify's own limit is 255 characters).
const maxSKULength = 255

// SharedLocator is a BatchLocator every replica shares through one Redis hash: SKU →
// "inventory item gid|location gid", or "-" for a SKU Shopify does not sell there. A SKU
// the hash lacks is looked up in Shopify (a productVariants query by SKU, 26 points
// requested) by the replica that first needs it, and kept for all of them; Replace fills
// the hash for the whole catalog at once from one bulk query operation (see the
// integrator's level warm-up). So the stock flow spends Shopify's points on writes, not on
// one look-up per SKU and replica, which after a batch job changing thousands of SKUs
// would take the points the orders flow needs.
//
// The hash expires TTL after it was created or last replaced, so a SKU moved to another
// inventory item is found again at the latest then. Safe for concurrent use.
type SharedLocator struct {
	Redis redis.UniversalClient
	// Key is the hash's key. On Redis Cluster it must carry a hash tag ("{prefix:levels}"):
	// Replace writes Key + ":next" and renames it over Key.
	Key     string
	Shopify LevelFinder
	// Location is the location (gid) whose level is written; empty takes each item's
	// first level.
	Location string
	TTL      time.Duration // default DefaultLevelsTTL
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
// each SKU the hash lacks, whose answer (found or not) goes into the hash. A failed
// look-up is returned as the client gave it, with nothing kept.
func (l *SharedLocator) Levels(ctx context.Context, skus []string) (map[string]shopify.Quantity, error) {
	out := make(map[string]shopify.Quantity, len(skus))
	if len(skus) == 0 {
		return out, nil
	}
	vals, err := l.Redis.HMGet(ctx, l.Key, skus...).Result()
	if err != nil {
		return nil, fmt.Errorf("inventory: reading Shopify levels: %w", err)
	}
	for i, sku := range skus {
		if s, ok := vals[i].(string); ok {
			if q, sold := parseLevel(s); sold {
				out[sku] = q
				continue
			} else if s == notSold {
				continue
			}
		}
		q, sold, err := l.lookUp(ctx, sku)
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
func (l *SharedLocator) lookUp(ctx context.Context, sku string) (shopify.Quantity, bool, error) {
	item, loc, found, err := l.Shopify.InventoryLevel(ctx, sku, l.Location)
	if err != nil {
		return shopify.Quantity{}, false, err
	}
	q := shopify.Quantity{InventoryItemID: item, LocationID: loc}
	v := notSold
	if found {
		v = formatLevel(q)
	}
	if len(sku) <= maxSKULength {
		if err := addLevel.Run(ctx, l.Redis, []string{l.Key}, sku, v, l.ttl().Milliseconds()).Err(); err != nil {
			return shopify.Quantity{}, false, fmt.Errorf("inventory: keeping the Shopify level of %s: %w", sku, err)
		}
	}
	return q, found, nil
}

// Replace makes levels the hash's whole content (SKU → level; a SKU absent from it is
// looked up again when needed), written beside it and renamed over it, so readers see
// the old hash or the new one, never a half. levels comes from one read of the whole
// catalog (overwrite.BulkLevels).
func (l *SharedLocator) Replace(ctx context.Context, levels map[string]shopify.Quantity) error {
	if len(levels) == 0 {
		if err := l.Redis.Del(ctx, l.Key).Err(); err != nil {
			return fmt.Errorf("inventory: clearing Shopify levels: %w", err)
		}
		return nil
	}
	next := l.Key + ":next"
	const chunk = 1000
	fields := make([]any, 0, 2*chunk)
	pipe := l.Redis.Pipeline()
	pipe.Del(ctx, next)
	for sku, q := range levels {
		if sku == "" || len(sku) > maxSKULength || q.InventoryItemID == "" || q.LocationID == "" {
			continue
		}
		fields = append(fields, sku, formatLevel(q))
		if len(fields) == 2*chunk {
			pipe.HSet(ctx, next, fields...)
			fields = make([]any, 0, 2*chunk)
		}
	}
	if len(fields) > 0 {
		pipe.HSet(ctx, next, fields...)
	}
	pipe.PExpire(ctx, next, l.ttl())
	pipe.Rename(ctx, next, l.Key)
	if _, err := pipe.Exec(ctx); err != nil {
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

func formatLevel(q shopify.Quantity) string { return q.InventoryItemID + "|" + q.LocationID }

func parseLevel(s string) (shopify.Quantity, bool) {
	item, loc, ok := strings.Cut(s, "|")
	if !ok || item == "" || loc == "" {
		return shopify.Quantity{}, false
	}
	return shopify.Quantity{InventoryItemID: item, LocationID: loc}, true
}
