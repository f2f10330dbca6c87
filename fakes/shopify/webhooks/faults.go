package webhooks

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/latency"
)

// Defaults of Faults.
var (
	// DefaultDuplicateDelay is how long after the original a duplicate is sent.
	DefaultDuplicateDelay latency.Distribution = latency.Uniform{Min: time.Second, Max: time.Minute}
	// DefaultLateDelay is how late a late delivery is: median 5 min, p99 6 h, never above
	// a day (Shopify: "up to a day late").
	DefaultLateDelay latency.Distribution = latency.LogNormal{P50: 5 * time.Minute, P99: 6 * time.Hour, Cap: 24 * time.Hour}
)

// DefaultReorderWindow is the longest a reordered delivery is held back.
const DefaultReorderWindow = 30 * time.Second

// Faults are the delivery faults real stores see. Every share is a probability in [0, 1]
// drawn per delivery (one event to one subscription) from dice seeded by Config.Seed, so
// the same seed and the same sequence of Publish calls give the same faults. All are off
// by default. A delivery may be late, reordered and duplicated at once; a dropped one is
// nothing else.
type Faults struct {
	// DuplicateShare of deliveries are sent twice. The duplicate carries the same payload,
	// X-Shopify-Webhook-Id and X-Shopify-Event-Id, is sent DuplicateDelay after the
	// original's first attempt was due, and is retried on failure like any delivery.
	DuplicateShare float64
	// DuplicateDelay is drawn per duplicate (DefaultDuplicateDelay, uniform(1s,1m), if nil).
	DuplicateDelay latency.Distribution
	// ReorderShare of deliveries are held back by a delay drawn uniformly from
	// (0, ReorderWindow], so deliveries of later events overtake them.
	ReorderShare float64
	// ReorderWindow bounds the hold-back (DefaultReorderWindow, 30 s, if zero).
	ReorderWindow time.Duration
	// LateShare of deliveries are first attempted LateDelay after their event.
	LateShare float64
	// LateDelay is drawn per late delivery (DefaultLateDelay, lognormal(5m,6h) max=24h, if
	// nil). It is platform time, so a Scaled clock compresses it.
	LateDelay latency.Distribution
	// DropShare of deliveries are never sent: Shopify's "delivery isn't always guaranteed",
	// the reason integrations reconcile. Each drop is counted in Stats.Dropped and written
	// to the ledger (record webhook_delivery, action dropped), never silent.
	DropShare float64
	// BurstSize and BurstInterval, when both are set, release deliveries (first attempts,
	// duplicates and retries alike) in bursts of at most BurstSize at every multiple of
	// BurstInterval since the Deliverer started, the way Shopify debounces and batches:
	// a delivery due between two ticks waits for the next tick with room.
	BurstSize     int
	BurstInterval time.Duration
	// FreshRetries makes a retry carry the newest payload published for the same topic and
	// resource instead of the original. Shopify does NOT do this: its retries carry the
	// original, by then stale, payload (the default, false), so an integrator must guard
	// against stale overwrites by updated_at. The knob exists to show the difference.
	FreshRetries bool
}

func (f Faults) withDefaults() Faults {
	if f.DuplicateDelay == nil {
		f.DuplicateDelay = DefaultDuplicateDelay
	}
	if f.ReorderWindow == 0 {
		f.ReorderWindow = DefaultReorderWindow
	}
	if f.LateDelay == nil {
		f.LateDelay = DefaultLateDelay
	}
	return f
}

// Validate reports the first impossible setting, named as its CLI flag without the
// "webhook-" prefix (the JSON field uses '_' for '-').
func (f Faults) Validate() error {
	for _, s := range []struct {
		name string
		v    float64
	}{
		{"duplicate-share", f.DuplicateShare}, {"reorder-share", f.ReorderShare},
		{"late-share", f.LateShare}, {"drop-share", f.DropShare},
	} {
		if math.IsNaN(s.v) || s.v < 0 || s.v > 1 {
			return fmt.Errorf("%s %v must be between 0 and 1", s.name, s.v)
		}
	}
	if f.ReorderWindow < 0 {
		return fmt.Errorf("reorder-window %s must not be negative", f.ReorderWindow)
	}
	if f.BurstSize < 0 {
		return fmt.Errorf("burst-size %d must not be negative", f.BurstSize)
	}
	if f.BurstInterval < 0 {
		return fmt.Errorf("burst-interval %s must not be negative", f.BurstInterval)
	}
	if (f.BurstSize > 0) != (f.BurstInterval > 0) {
		return errors.New("burst-size and burst-interval must be set together")
	}
	return nil
}

// burstOn reports whether deliveries are released in bursts.
func (f Faults) burstOn() bool { return f.BurstSize > 0 && f.BurstInterval > 0 }

// faultsJSON is the wire form of Faults: distributions as latency specs, durations as Go
// duration strings ("30s").
type faultsJSON struct {
	DuplicateShare float64 `json:"duplicate_share"`
	DuplicateDelay string  `json:"duplicate_delay"`
	ReorderShare   float64 `json:"reorder_share"`
	ReorderWindow  string  `json:"reorder_window"`
	LateShare      float64 `json:"late_share"`
	LateDelay      string  `json:"late_delay"`
	DropShare      float64 `json:"drop_share"`
	BurstSize      int     `json:"burst_size"`
	BurstInterval  string  `json:"burst_interval"`
	FreshRetries   bool    `json:"fresh_retries"`
}

// MarshalJSON writes the faults with their defaults filled in.
func (f Faults) MarshalJSON() ([]byte, error) {
	f = f.withDefaults()
	return json.Marshal(faultsJSON{
		DuplicateShare: f.DuplicateShare, DuplicateDelay: f.DuplicateDelay.String(),
		ReorderShare: f.ReorderShare, ReorderWindow: f.ReorderWindow.String(),
		LateShare: f.LateShare, LateDelay: f.LateDelay.String(),
		DropShare: f.DropShare, BurstSize: f.BurstSize, BurstInterval: f.BurstInterval.String(),
		FreshRetries: f.FreshRetries,
	})
}

// UnmarshalJSON reads a JSON object onto f: absent fields keep their value, unknown
// fields and unparsable values are errors. Callers should Validate the result.
func (f *Faults) UnmarshalJSON(data []byte) error {
	cur := f.withDefaults()
	w := faultsJSON{
		DuplicateShare: cur.DuplicateShare, DuplicateDelay: cur.DuplicateDelay.String(),
		ReorderShare: cur.ReorderShare, ReorderWindow: cur.ReorderWindow.String(),
		LateShare: cur.LateShare, LateDelay: cur.LateDelay.String(),
		DropShare: cur.DropShare, BurstSize: cur.BurstSize, BurstInterval: cur.BurstInterval.String(),
		FreshRetries: cur.FreshRetries,
	}
	if err := fakehttp.DecodeStrict(data, &w, "JSON object"); err != nil {
		return fmt.Errorf("faults: %w", err)
	}
	out := Faults{
		DuplicateShare: w.DuplicateShare, ReorderShare: w.ReorderShare, LateShare: w.LateShare,
		DropShare: w.DropShare, BurstSize: w.BurstSize, FreshRetries: w.FreshRetries,
	}
	var err error
	if out.DuplicateDelay, err = latency.Parse(w.DuplicateDelay); err != nil {
		return fmt.Errorf("duplicate_delay: %w", err)
	}
	if out.LateDelay, err = latency.Parse(w.LateDelay); err != nil {
		return fmt.Errorf("late_delay: %w", err)
	}
	if out.ReorderWindow, err = parseDuration("reorder_window", w.ReorderWindow); err != nil {
		return err
	}
	if out.BurstInterval, err = parseDuration("burst_interval", w.BurstInterval); err != nil {
		return err
	}
	*f = out
	return nil
}

func parseDuration(name, s string) (time.Duration, error) {
	if s == "" {
		return 0, nil
	}
	d, err := time.ParseDuration(s)
	if err != nil {
		return 0, fmt.Errorf("%s: %w", name, err)
	}
	return d, nil
}
