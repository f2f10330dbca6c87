package overwrite

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/shopify"
)

// Level is a SKU's inventory level in Shopify: where it is and what it has on hand.
type Level struct {
	InventoryItemID string
	LocationID      string
	OnHand          int
}

// BulkShopify is what the bulk read asks of Shopify. *shopify.Client is one.
type BulkShopify interface {
	RunBulkQuery(ctx context.Context, query string) (string, error)
	BulkOperation(ctx context.Context, id string) (shopify.BulkOperation, error)
	CurrentBulkOperation(ctx context.Context) (shopify.BulkOperation, bool, error)
	DownloadBulk(ctx context.Context, url string, maxBytes int64, read func(io.Reader) error) error
}

// levelsQuery exports every inventory item with its levels: the levels come on lines of
// their own, after their item, with __parentId.
const levelsQuery = `{ inventoryItems { edges { node { id sku inventoryLevels { edges { node { id quantities(names: ["on_hand"]) { name quantity } location { id } } } } } } } }`

// Defaults of BulkLevels.
const (
	DefaultPollEvery = shopify.DefaultBulkPollEvery
	DefaultBulkWait  = shopify.DefaultBulkWait
	// DefaultMaxBulkBytes bounds the result file: about 200 bytes a level, a million
	// levels.
	DefaultMaxBulkBytes = shopify.DefaultMaxBulkBytes
	maxBulkLine         = shopify.MaxBulkLine
)

// ErrBulkFailed is a bulk operation that ended without a result (FAILED, CANCELED,
// EXPIRED) or did not end within BulkWait.
var ErrBulkFailed = shopify.ErrBulkFailed

// BulkLevels reads every SKU's level with one bulk query operation (shopify.BulkRead:
// start it once another of the app's bulk queries ended, poll it every PollEvery until
// COMPLETED, and stream its JSONL result).
type BulkLevels struct {
	Shopify BulkShopify
	// Location is the location (gid) whose levels are read; empty takes each item's
	// first level, as the change-push flow does.
	Location  string
	PollEvery time.Duration // platform time; default DefaultPollEvery
	BulkWait  time.Duration // default DefaultBulkWait
	MaxBytes  int64         // default DefaultMaxBulkBytes
	Clock     clock.Clock
}

// Levels implements LevelReader: SKU → level. A SKU on several inventory items keeps the
// first.
func (b *BulkLevels) Levels(ctx context.Context) (map[string]Level, error) {
	run := shopify.BulkRead{Shopify: b.Shopify, PollEvery: b.PollEvery, Wait: b.BulkWait, MaxBytes: b.MaxBytes, Clock: clockOr(b.Clock)}
	out := map[string]Level{}
	if _, err := run.Run(ctx, levelsQuery, func(r io.Reader) error { return parseLevels(r, b.Location, out) }); err != nil {
		return nil, fmt.Errorf("overwrite: the bulk read of Shopify's levels: %w", err)
	}
	return out, nil
}

// bulkLine is one line of the result: an inventory item (id, sku) or one of its levels
// (id, quantities, location, __parentId).
type bulkLine struct {
	ID         string `json:"id"`
	SKU        string `json:"sku"`
	ParentID   string `json:"__parentId"`
	Quantities []struct {
		Name     string `json:"name"`
		Quantity int    `json:"quantity"`
	} `json:"quantities"`
	Location struct {
		ID string `json:"id"`
	} `json:"location"`
}

// parseLevels reads the JSONL result into out. Levels follow their item.
func parseLevels(r io.Reader, location string, out map[string]Level) error {
	skuOf := map[string]string{} // inventory item gid → SKU
	return shopify.ScanBulkLines(r, func(_ int, line []byte) error {
		var l bulkLine
		if err := json.Unmarshal(line, &l); err != nil {
			return err
		}
		if l.ParentID == "" {
			if l.SKU != "" {
				skuOf[l.ID] = l.SKU
			}
			return nil
		}
		sku, ok := skuOf[l.ParentID]
		if !ok {
			return nil // an item without a SKU, or a level before its item
		}
		if _, seen := out[sku]; seen || (location != "" && l.Location.ID != location) {
			return nil
		}
		lv := Level{InventoryItemID: l.ParentID, LocationID: l.Location.ID}
		for _, q := range l.Quantities {
			if q.Name == "on_hand" {
				lv.OnHand = q.Quantity
			}
		}
		out[sku] = lv
		return nil
	})
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
