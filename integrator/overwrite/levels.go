package overwrite

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
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
	DefaultPollEvery = 2 * time.Second
	DefaultBulkWait  = time.Hour
	// DefaultMaxBulkBytes bounds the result file: about 200 bytes a level, a million
	// levels.
	DefaultMaxBulkBytes = 256 << 20
	// maxBulkLine bounds one JSONL line.
	maxBulkLine = 1 << 20
)

// ErrBulkFailed is a bulk operation that ended without a result (FAILED, CANCELED,
// EXPIRED) or did not end within BulkWait.
var ErrBulkFailed = errors.New("overwrite: the bulk read of Shopify's levels did not complete")

// BulkLevels reads every SKU's level with one bulk query operation: start it (waiting
// for another of the app's bulk queries to end first: an app runs one at a time), poll
// it every PollEvery until COMPLETED, and stream its JSONL result.
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
	clk := clockOr(b.Clock)
	every, wait := orDefault(b.PollEvery, DefaultPollEvery), orDefault(b.BulkWait, DefaultBulkWait)
	deadline := clk.Now().Add(wait)
	var id string
	for {
		var err error
		id, err = b.Shopify.RunBulkQuery(ctx, levelsQuery)
		if err == nil {
			break
		}
		if !errors.Is(err, shopify.ErrBulkInProgress) {
			return nil, fmt.Errorf("overwrite: starting the bulk read: %w", err)
		}
		// Another bulk query of the app (a crashed run's, another tool's) runs: wait
		// for it to end, then start ours.
		if !clk.Now().Before(deadline) {
			return nil, fmt.Errorf("%w: another bulk query kept running for %s", ErrBulkFailed, wait)
		}
		if err := clk.Sleep(ctx, every); err != nil {
			return nil, err
		}
	}
	var op shopify.BulkOperation
	for {
		var err error
		if op, err = b.Shopify.BulkOperation(ctx, id); err != nil {
			return nil, fmt.Errorf("overwrite: polling bulk operation %s: %w", id, err)
		}
		if !op.Running() {
			break
		}
		if !clk.Now().Before(deadline) {
			return nil, fmt.Errorf("%w: %s still %s after %s", ErrBulkFailed, id, op.Status, wait)
		}
		if err := clk.Sleep(ctx, every); err != nil {
			return nil, err
		}
	}
	if op.Status != "COMPLETED" {
		return nil, fmt.Errorf("%w: %s ended %s %s", ErrBulkFailed, id, op.Status, op.ErrorCode)
	}
	out := map[string]Level{}
	if op.URL == "" {
		return out, nil // no rows: a shop without inventory items
	}
	maxBytes := b.MaxBytes
	if maxBytes <= 0 {
		maxBytes = DefaultMaxBulkBytes
	}
	err := b.Shopify.DownloadBulk(ctx, op.URL, maxBytes, func(r io.Reader) error { return parseLevels(r, b.Location, out) })
	if err != nil {
		return nil, fmt.Errorf("overwrite: reading bulk operation %s's result: %w", id, err)
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
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), maxBulkLine)
	skuOf := map[string]string{} // inventory item gid → SKU
	n := 0
	for sc.Scan() {
		n++
		var l bulkLine
		if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
			if rerr := sc.Err(); rerr != nil {
				return rerr // a read that failed (a file cut at its bound) ends in a partial line
			}
			return fmt.Errorf("line %d: %w", n, err)
		}
		if l.ParentID == "" {
			if l.SKU != "" {
				skuOf[l.ID] = l.SKU
			}
			continue
		}
		sku, ok := skuOf[l.ParentID]
		if !ok {
			continue // an item without a SKU, or a level before its item
		}
		if _, seen := out[sku]; seen || (location != "" && l.Location.ID != location) {
			continue
		}
		lv := Level{InventoryItemID: l.ParentID, LocationID: l.Location.ID}
		for _, q := range l.Quantities {
			if q.Name == "on_hand" {
				lv.OnHand = q.Quantity
			}
		}
		out[sku] = lv
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", n+1, err)
	}
	return nil
}

func orDefault(d, def time.Duration) time.Duration {
	if d <= 0 {
		return def
	}
	return d
}
