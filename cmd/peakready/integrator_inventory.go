package main

import (
	"fmt"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator"
)

// inventorySettings are the integrator's ERP → Shopify stock settings (inline in the
// config file).
type inventorySettings struct {
	Inventory           string        `yaml:"inventory"`
	InventoryPushSecret string        `yaml:"inventory_push_secret"`
	SafetyStock         string        `yaml:"shopify_safety_stock"`
	ShopifyLocation     string        `yaml:"shopify_location"`
	InventoryFlushEvery time.Duration `yaml:"inventory_flush_every"`
	InventoryBatch      int           `yaml:"inventory_batch"`
	InventoryLevels     string        `yaml:"inventory_levels_refresh"`
	Fulfillments        string        `yaml:"fulfillments"`
	Poller              string        `yaml:"missed_webhook_poller"`
	PollerEvery         time.Duration `yaml:"poller_every"`
	PollerBulkAfter     time.Duration `yaml:"poller_bulk_after"`
}

func (s *inventorySettings) table() []setting {
	return []setting{
		{flag: "inventory", env: "PEAKREADY_INVENTORY", help: "on: write the ERP's stock changes (pushed to POST /netsuite/changes) to Shopify; off (default)", str: &s.Inventory},
		{flag: "inventory-push-secret", env: "PEAKREADY_INVENTORY_PUSH_SECRET", help: "HMAC-SHA256 key of the ERP's X-NetSuite-Signature on change pushes (required with --inventory on); prefer PEAKREADY_INVENTORY_PUSH_SECRET_FILE", secret: true, str: &s.InventoryPushSecret},
		{flag: "shopify-safety-stock", env: "PEAKREADY_SHOPIFY_SAFETY_STOCK", help: "held back from Shopify's available: units (5) or a share of each SKU's sales over a window (10% or 10%/30m; default window 1h); default none", str: &s.SafetyStock},
		{flag: "shopify-location", env: "PEAKREADY_SHOPIFY_LOCATION", help: "Shopify location gid the ERP's stock is written to (default each item's first location)", str: &s.ShopifyLocation},
		{flag: "inventory-flush-every", env: "PEAKREADY_INVENTORY_FLUSH_EVERY", help: "how often changed SKUs are written to Shopify (default 1s)", dur: &s.InventoryFlushEvery},
		{flag: "inventory-batch", env: "PEAKREADY_INVENTORY_BATCH", help: "SKUs per inventorySetQuantities call, 1 to 250 (default 250)", num: &s.InventoryBatch},
		{flag: "inventory-levels-refresh", env: "PEAKREADY_INVENTORY_LEVELS_REFRESH", help: "how often one replica reads every SKU's Shopify inventory item with one bulk query operation, for all replicas (default 12h); off: each SKU is looked up by itself when first written", str: &s.InventoryLevels},
		{flag: "missed-webhook-poller", env: "PEAKREADY_MISSED_WEBHOOK_POLLER", help: "on: every --poller-every, list Shopify orders updated since a watermark kept in Redis and enqueue those the integrator never applied or applied at an older state (needs --shopify-url); off (default)", str: &s.Poller},
		{flag: "poller-every", env: "PEAKREADY_POLLER_EVERY", help: "how often the missed-webhook poller runs a pass, on one replica at a time (default 1m)", dur: &s.PollerEvery},
		{flag: "poller-bulk-after", env: "PEAKREADY_POLLER_BULK_AFTER", help: "a window since the missed-webhook poller's watermark longer than this is read with one Shopify bulk operation instead of pages (default 6h)", dur: &s.PollerBulkAfter},
		{flag: "fulfillments", env: "PEAKREADY_FULFILLMENTS", help: "on: mirror the ERP's item fulfillments (fulfillment.created pushed to POST /netsuite/changes, signed with --inventory-push-secret) to Shopify fulfillments with tracking, exactly once; off (default)", str: &s.Fulfillments},
	}
}

// pollerConfig turns --missed-webhook-poller, --poller-every and --poller-bulk-after into
// the integrator's PollerConfig.
func (s *inventorySettings) pollerConfig() (integrator.PollerConfig, error) {
	switch strings.ToLower(strings.TrimSpace(s.Poller)) {
	case "", "off":
		return integrator.PollerConfig{}, nil
	case "on":
		return integrator.PollerConfig{Enabled: true, Every: s.PollerEvery, BulkAfter: s.PollerBulkAfter}, nil
	}
	return integrator.PollerConfig{}, fmt.Errorf("--missed-webhook-poller %q must be on or off", s.Poller)
}

// fulfillmentConfig turns --fulfillments into the integrator's FulfillmentConfig.
func (s *inventorySettings) fulfillmentConfig() (integrator.FulfillmentConfig, error) {
	switch strings.ToLower(strings.TrimSpace(s.Fulfillments)) {
	case "", "off":
		return integrator.FulfillmentConfig{}, nil
	case "on":
		return integrator.FulfillmentConfig{Enabled: true}, nil
	}
	return integrator.FulfillmentConfig{}, fmt.Errorf("--fulfillments %q must be on or off", s.Fulfillments)
}

// config turns the settings into the integrator's InventoryConfig.
func (s *inventorySettings) config() (integrator.InventoryConfig, error) {
	var on bool
	switch strings.ToLower(strings.TrimSpace(s.Inventory)) {
	case "", "off":
	case "on":
		on = true
	default:
		return integrator.InventoryConfig{}, fmt.Errorf("--inventory %q must be on or off", s.Inventory)
	}
	var refresh time.Duration
	switch v := strings.ToLower(strings.TrimSpace(s.InventoryLevels)); v {
	case "":
	case "off":
		refresh = -1
	default:
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return integrator.InventoryConfig{}, fmt.Errorf("--inventory-levels-refresh %q must be a positive duration (12h) or off", s.InventoryLevels)
		}
		refresh = d
	}
	return integrator.InventoryConfig{Enabled: on, PushSecret: s.InventoryPushSecret, SafetyStock: s.SafetyStock,
		Location: s.ShopifyLocation, FlushEvery: s.InventoryFlushEvery, BatchSize: s.InventoryBatch, LevelsRefresh: refresh}, nil
}
