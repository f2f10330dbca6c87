package main

import (
	"fmt"
	"strings"

	"github.com/peakready/peakready/integrator"
)

// overwriteSettings are the nightly stock overwrite's settings (inline in the config
// file).
type overwriteSettings struct {
	StockOverwrite   string `yaml:"stock_overwrite"`
	StockOverwriteAt string `yaml:"stock_overwrite_at"`
	StockOverwriteTZ string `yaml:"stock_overwrite_tz"`
	PeakWindows      string `yaml:"peak_windows"`
	OverwriteBatch   int    `yaml:"stock_overwrite_batch"`
}

func (s *overwriteSettings) table() []setting {
	return []setting{
		{flag: "stock-overwrite", env: "PEAKREADY_STOCK_OVERWRITE", help: "on: every night at --stock-overwrite-at, the ERP's on hand − safety stock of every SKU overwrites Shopify's available where they differ (a bulk read of Shopify, writes of the differences only), on one replica, resumable; POST /admin/overwrite runs one now (needs --shopify-url); off (default)", str: &s.StockOverwrite},
		{flag: "stock-overwrite-at", env: "PEAKREADY_STOCK_OVERWRITE_AT", help: "local time of day of the nightly stock overwrite, HH:MM (default 02:30)", str: &s.StockOverwriteAt},
		{flag: "stock-overwrite-tz", env: "PEAKREADY_STOCK_OVERWRITE_TZ", help: "IANA time zone of --stock-overwrite-at and of --peak-window dates, e.g. America/New_York (default the machine's)", str: &s.StockOverwriteTZ},
		{flag: "peak-window", env: "PEAKREADY_PEAK_WINDOWS", help: "comma-separated FROM..TO windows in which the stock overwrite never runs (one under way stops and resumes after): daily times 18:00..23:00, dates 2026-11-27..2026-12-01 (whole days) or date-times 2026-11-27T06:00..2026-11-28T02:00", str: &s.PeakWindows},
		{flag: "stock-overwrite-batch", env: "PEAKREADY_STOCK_OVERWRITE_BATCH", help: "SKUs per inventorySetQuantities call of the overwrite, 1 to 250 (default 250)", num: &s.OverwriteBatch},
	}
}

// config turns the settings into the integrator's OverwriteConfig.
func (s *overwriteSettings) config() (integrator.OverwriteConfig, error) {
	var c integrator.OverwriteConfig
	switch strings.ToLower(strings.TrimSpace(s.StockOverwrite)) {
	case "", "off":
	case "on":
		c.Enabled = true
	default:
		return c, fmt.Errorf("--stock-overwrite %q must be on or off", s.StockOverwrite)
	}
	c.At, c.TimeZone, c.BatchSize = strings.TrimSpace(s.StockOverwriteAt), strings.TrimSpace(s.StockOverwriteTZ), s.OverwriteBatch
	for w := range strings.SplitSeq(s.PeakWindows, ",") {
		if w = strings.TrimSpace(w); w == "" {
			continue
		}
		from, to, ok := strings.Cut(w, "..")
		if !ok {
			return c, fmt.Errorf("--peak-window %q must be FROM..TO, e.g. 18:00..23:00 or 2026-11-27..2026-12-01", w)
		}
		c.Peak = append(c.Peak, integrator.PeakWindow{From: strings.TrimSpace(from), To: strings.TrimSpace(to)})
	}
	return c, nil
}
