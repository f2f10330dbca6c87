// Package overwrite is the nightly stock overwrite: at an off-peak time, the ERP's stock
// of every SKU overwrites Shopify's on hand, as the change-push flow writes it (Shopify's
// available is then its on hand less the units its open orders committed). One run reads
// every item's on hand from the ERP (SuiteQL, paged), reads Shopify's levels with one
// bulk query operation, computes the on hand Shopify should show = ERP on hand − safety
// stock (inventory.SafetyStock), and writes only the SKUs that differ with
// inventorySetQuantities (name on_hand), in batches, through the
// shared cost bucket. It repairs what the change pushes missed (a push the ERP never
// sent, one dropped after its retries, a write Shopify lost).
//
// A run has an id (the night it belongs to); its progress is kept in Redis, so a run
// that stopped resumes with the SKUs it had not done, and a run that completed does
// nothing when started again. One replica runs it at a time (RedisLock).
//
// The change-push flow is newer than the overwrite: a SKU whose ERP change is recorded
// (inventory.Latest, shared by every replica) at or after the run's start, less
// SkewMargin, with another on hand than the ERP answered the run, is left to that flow. The record is used rather than a replica's pending
// changes (the Coalescer) because pushes reach every replica and the overwrite runs on
// one: only the shared record sees them all, including those already written.
package overwrite

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/integrator/adminapi"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/shopify"
)

// StockReader reads the ERP's on hand of every SKU.
type StockReader interface {
	OnHand(ctx context.Context) (map[string]int, error)
}

// LevelReader reads Shopify's level of every SKU.
type LevelReader interface {
	Levels(ctx context.Context) (map[string]Level, error)
}

// Locker lets one replica run at a time. *RedisLock is one.
type Locker interface {
	Hold(ctx context.Context) (release func(), lost <-chan struct{}, err error)
}

// Defaults of Overwriter.
const (
	DefaultSkewMargin = 5 * time.Second
	// DefaultMaxThrottledWaits bounds how many THROTTLED answers one batch waits out
	// before the run stops (to resume later).
	DefaultMaxThrottledWaits = 100
)

// Overwriter runs the overwrite.
type Overwriter struct {
	ERP     StockReader
	Shopify LevelReader
	Setter  inventory.Setter
	Safety  *inventory.SafetyStock // nil: none
	// Latest is the change-push flow's record of each SKU's newest change; nil: no push
	// flow, every differing SKU is written.
	Latest   inventory.Latest
	Progress Progress
	Lock     Locker // nil: no lock (one process)
	// BatchSize is the SKUs a write (default and at most shopify.MaxSetBatch).
	BatchSize int
	// SkewMargin widens "newer than the run" for the clocks of the ERP (which stamps
	// changes) and the integrator (which stamps the run's start) not agreeing (default
	// DefaultSkewMargin).
	SkewMargin time.Duration
	Clock      clock.Clock
	Logger     *slog.Logger
	// OnBatch, when set, is told each batch written (tests, metrics).
	OnBatch func(written int)
}

// Summary is what a run did; the admin API answers it as is.
type Summary = adminapi.OverwriteRun

// ErrLockLost stops a run whose lock expired or could not be renewed.
var ErrLockLost = errors.New("overwrite: the lock was lost; the run stopped and will resume")

// Run runs (or resumes) the overwrite with runID. It returns ErrRunning when another
// replica runs it, and the summary of a completed run (AlreadyDone) without doing
// anything. When ctx ends or a write fails, the SKUs written so far stay recorded: the
// next Run with runID does the rest.
func (o *Overwriter) Run(ctx context.Context, runID string) (Summary, error) {
	clk := o.clock()
	sum := Summary{RunID: runID, Started: clk.Now()}
	if o.Lock != nil {
		release, lost, err := o.Lock.Hold(ctx)
		if err != nil {
			return sum, err
		}
		defer release()
		var cancel context.CancelCauseFunc
		ctx, cancel = context.WithCancelCause(ctx)
		defer cancel(nil)
		go func() {
			select {
			case <-lost:
				cancel(ErrLockLost)
			case <-ctx.Done():
			}
		}()
	}
	done, completed, err := o.Progress.Load(ctx, runID)
	if err != nil {
		return sum, err
	}
	if completed != nil {
		c := *completed
		c.AlreadyDone = true
		return c, nil
	}
	sum.Resumed = len(done)
	// Shopify's levels first: a SKU written by the push flow after the bulk read
	// started is recognised by its change time (≥ started) and left alone.
	levels, err := o.Shopify.Levels(ctx)
	if err != nil {
		return sum, o.stopped(ctx, err)
	}
	onHand, err := o.ERP.OnHand(ctx)
	if err != nil {
		return sum, o.stopped(ctx, err)
	}
	now := clk.Now()
	var diff []string
	want := map[string]int{}
	for sku, n := range onHand {
		lv, ok := levels[sku]
		if !ok {
			sum.NotInShopify++
			continue
		}
		sum.Compared++
		if done[sku] {
			continue
		}
		w := n
		if o.Safety != nil {
			w = o.Safety.Available(sku, n, now)
		}
		w = max(0, w)
		if w != lv.OnHand {
			diff = append(diff, sku)
			want[sku] = w
		}
	}
	slices.Sort(diff)
	sum.Differing = len(diff)
	size := o.BatchSize
	if size <= 0 || size > shopify.MaxSetBatch {
		size = shopify.MaxSetBatch
	}
	for start := 0; start < len(diff); start += size {
		batch := diff[start:min(start+size, len(diff))]
		written, newer, err := o.writeBatch(ctx, runID, sum.Started, batch, levels, want, onHand)
		sum.Written += written
		sum.NewerPush += newer
		if err != nil {
			return sum, o.stopped(ctx, err)
		}
	}
	sum.Finished = clk.Now()
	sum.Seconds = sum.Finished.Sub(sum.Started).Seconds()
	if err := o.Progress.Complete(ctx, runID, sum); err != nil {
		return sum, err
	}
	o.log().Info("stock overwrite: run complete", "run", runID, "compared", sum.Compared, "differing", sum.Differing,
		"written", sum.Written, "newer_push", sum.NewerPush, "resumed", sum.Resumed)
	return sum, nil
}

// stopped gives the reason a run stopped: the lock's loss over a bare cancellation.
func (o *Overwriter) stopped(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return fmt.Errorf("%w (%v)", c, err)
	}
	return err
}

// writeBatch writes one batch, minus the SKUs the push flow has newer changes of, and
// records it done. A throttled write waits what Shopify's answer implies and is sent
// again with the same idempotency key.
func (o *Overwriter) writeBatch(ctx context.Context, runID string, started time.Time, batch []string, levels map[string]Level, want, onHand map[string]int) (written, newer int, err error) {
	cutoff := started.Add(-orDefault(o.SkewMargin, DefaultSkewMargin))
	skip := map[string]bool{}
	if o.Latest != nil {
		latest, err := o.Latest.Newest(ctx, batch)
		if err != nil {
			return 0, 0, err
		}
		for sku, c := range latest {
			// A recent change of the on hand the ERP answered is the value the push flow
			// writes too: writing it is harmless. Another value is newer than the read.
			if !c.At.Before(cutoff) && c.OnHand != onHand[sku] {
				skip[sku] = true
			}
		}
	}
	qs := make([]shopify.Quantity, 0, len(batch))
	var sent []string
	h := sha256.New()
	for _, sku := range batch {
		if skip[sku] {
			newer++
			continue
		}
		lv := levels[sku]
		qs = append(qs, shopify.Quantity{InventoryItemID: lv.InventoryItemID, LocationID: lv.LocationID, Quantity: want[sku]})
		sent = append(sent, sku)
		h.Write([]byte(sku + "\x00" + strconv.Itoa(want[sku]) + "\x00"))
	}
	if len(qs) > 0 {
		// The same batch of the same run, resumed, is the same write to Shopify.
		key := "overwrite-" + runID + "-" + hex.EncodeToString(h.Sum(nil))[:24]
		if err := o.set(ctx, qs, key); err != nil {
			return 0, newer, fmt.Errorf("overwrite: writing %d SKUs: %w", len(qs), err)
		}
		written = len(qs)
		if o.OnBatch != nil {
			o.OnBatch(written)
		}
	}
	if o.Latest != nil && len(sent) > 0 {
		// A change pushed while this write was on its way may have been written by the
		// push flow before this write landed: write it again, so the newest change is
		// the last write. The batch is recorded done only after that, so a run stopped
		// in between writes the batch again when it resumes.
		latest, err := o.Latest.Newest(ctx, sent)
		if err != nil {
			return written, newer, err
		}
		var again []shopify.Quantity
		for _, sku := range sent {
			c, ok := latest[sku]
			if !ok || c.At.Before(cutoff) || c.OnHand == onHand[sku] {
				continue
			}
			avail := c.OnHand
			if o.Safety != nil {
				avail = o.Safety.Available(sku, c.OnHand, o.clock().Now())
			}
			lv := levels[sku]
			again = append(again, shopify.Quantity{InventoryItemID: lv.InventoryItemID, LocationID: lv.LocationID, Quantity: max(0, avail)})
		}
		if len(again) > 0 {
			key := "overwrite-" + runID + "-again-" + strconv.FormatInt(o.clock().Now().UnixNano(), 36)
			if err := o.set(ctx, again, key); err != nil {
				return written, newer, fmt.Errorf("overwrite: writing %d SKUs changed during the write again: %w", len(again), err)
			}
		}
	}
	if err := o.Progress.MarkDone(ctx, runID, batch); err != nil {
		return written, newer, err
	}
	return written, newer, nil
}

// set writes qs with key; a throttled write waits what Shopify's answer implies and is
// sent again with the same key, at most DefaultMaxThrottledWaits times.
func (o *Overwriter) set(ctx context.Context, qs []shopify.Quantity, key string) error {
	for waits := 0; ; waits++ {
		err := o.Setter.SetOnHand(ctx, qs, "", key)
		var th interface {
			Throttled() bool
			RetryAfter() time.Duration
		}
		if err == nil || !errors.As(err, &th) || !th.Throttled() || waits >= DefaultMaxThrottledWaits {
			return err
		}
		if serr := o.clock().Sleep(ctx, max(th.RetryAfter(), 100*time.Millisecond)); serr != nil {
			return serr
		}
	}
}

func (o *Overwriter) clock() clock.Clock { return clockOr(o.Clock) }

func (o *Overwriter) log() *slog.Logger { return logOr(o.Logger) }

// clockOr is c, or wall time when it is nil.
func clockOr(c clock.Clock) clock.Clock {
	if c == nil {
		return clock.Real()
	}
	return c
}

// logOr is l, or a logger that discards when it is nil.
func logOr(l *slog.Logger) *slog.Logger {
	if l == nil {
		return slog.New(slog.DiscardHandler)
	}
	return l
}
