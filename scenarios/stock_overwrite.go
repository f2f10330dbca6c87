package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/loadtest"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// PeakSpan is a peak window of fakes.netsuite.stock.peak_windows, in platform time after
// the start of the run: the system under test must refuse the stock overwrite within it.
type PeakSpan struct {
	From Duration `yaml:"from"`
	To   Duration `yaml:"to"`
}

// validateOverwrite checks overwrite_at, peak_windows and drop_push_share.
func (s *ERPStock) validateOverwrite() error {
	if s.DropPushShare < 0 || s.DropPushShare > 1 {
		return errors.New("fakes.netsuite.stock: drop_push_share must be from 0 to 1")
	}
	if s.OverwriteAt < 0 {
		return errors.New("fakes.netsuite.stock: overwrite_at must not be negative")
	}
	if len(s.PeakWindows) > 0 && s.OverwriteAt == 0 {
		return errors.New("fakes.netsuite.stock: peak_windows need overwrite_at (they are when the overwrite must not run)")
	}
	for i, w := range s.PeakWindows {
		if w.From < 0 || w.To <= w.From {
			return fmt.Errorf("fakes.netsuite.stock: peak_windows[%d]: from must not be negative and to must be after from", i)
		}
	}
	return nil
}

// peakAt returns the peak window that platform offset d is in.
func (s *ERPStock) peakAt(d time.Duration) (PeakSpan, bool) {
	for _, w := range s.PeakWindows {
		if d >= w.From.D() && d < w.To.D() {
			return w, true
		}
	}
	return PeakSpan{}, false
}

// pushDropper loses a seeded share of the ERP's inventory.changed pushes, as pushes are
// lost in real life (a user event that failed, a delivery given up): the ERP counts them
// delivered, the system never sees them, and only the nightly overwrite can repair them.
type pushDropper struct {
	share   float64
	mu      sync.Mutex
	rnd     *rand.Rand
	dropped int
}

func newPushDropper(share float64, seed uint64) *pushDropper {
	if share <= 0 {
		return nil
	}
	return &pushDropper{share: share, rnd: rand.New(rand.NewPCG(seed, 0x5eed))}
}

// drop reads the push's body and decides; the body is given back for delivery.
func (d *pushDropper) drop(r *http.Request) bool {
	if d == nil || r.Body == nil {
		return false
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	_ = r.Body.Close()
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return false
	}
	var ev struct {
		Type string `json:"type"`
	}
	if json.Unmarshal(body, &ev) != nil || ev.Type != "inventory.changed" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if d.rnd.Float64() >= d.share {
		return false
	}
	d.dropped++
	return true
}

func (d *pushDropper) count() int {
	if d == nil {
		return 0
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.dropped
}

// droppedAnswer is what the ERP sees of a dropped push: delivered.
func droppedAnswer(r *http.Request) *http.Response {
	return &http.Response{StatusCode: http.StatusNoContent, Status: "204 No Content", Body: http.NoBody, Header: http.Header{},
		Request: r, Proto: "HTTP/1.1", ProtoMajor: 1, ProtoMinor: 1}
}

// overwriteState is the run's nightly overwrite: whether it ran, and what it found.
type overwriteState struct {
	fired atomic.Bool
	// ranInPeak: the system ran it within a peak window instead of refusing.
	ranInPeak, refusedInPeak atomic.Bool
}

// scheduleOverwrite asks the system for the overwrite at overwrite_at (platform time
// after the clock's start). A run that ends earlier asks for it when the ERP stops
// moving stock (overwriteAfterRun).
func (r *runner) scheduleOverwrite(at func(time.Duration, func())) {
	st := r.sc.Fakes.NetSuite.Stock
	if st == nil || st.OverwriteAt <= 0 {
		return
	}
	already := r.e.clock.Now().Sub(r.e.clock.Start())
	at(max(0, st.OverwriteAt.D()-already), func() { r.nightlyOverwrite(context.Background()) })
}

// overwriteQuiet is the platform time the ERP is quiet before an overwrite asked for
// after the run.
const overwriteQuiet = time.Minute

// overwriteAfterRun asks for the overwrite after the ERP stopped moving stock, when the
// run ended before overwrite_at, once the ERP's pushes still queued were delivered and a
// quiet minute (platform time) passed.
func (r *runner) overwriteAfterRun(ctx context.Context, settle time.Duration) {
	st := r.sc.Fakes.NetSuite.Stock
	if st == nil || st.OverwriteAt <= 0 || r.ow.fired.Load() {
		return
	}
	deadline := time.Now().Add(settle)
	for r.e.ns.GovernanceStats().Push.Queued > 0 && time.Now().Before(deadline) && ctx.Err() == nil {
		time.Sleep(50 * time.Millisecond)
	}
	// The night is quiet: the system has carried what reached it before the overwrite.
	if sleepCtx(ctx, loadtest.WallDuration(overwriteQuiet, r.sc.Speed)) != nil {
		return
	}
	r.nightlyOverwrite(ctx)
}

// nightlyOverwrite asks the system for the overwrite; within a peak window the system
// must refuse, and is asked again when the window ends.
func (r *runner) nightlyOverwrite(ctx context.Context) {
	if !r.ow.fired.CompareAndSwap(false, true) {
		return
	}
	ow, ok := r.e.sut.(sut.StockOverwriter)
	if !ok {
		r.note("the scenario asks for the nightly stock overwrite, but this system under test cannot be asked for one (sut.StockOverwriter)")
		return
	}
	st := r.sc.Fakes.NetSuite.Stock
	for range 1 + len(st.PeakWindows) {
		now := r.e.clock.Now().Sub(r.e.clock.Start())
		w, inPeak := st.peakAt(now)
		in := stockInput(r.e.ns, r.e.shop.Store(), st.SafetyStock)
		differing := len(CheckInventoryConverged(in))
		since := r.e.shop.Ledger().Snapshot(ledger.Query{NoEffects: true}).TotalEffects
		err := ow.Overwrite(ctx)
		switch {
		case inPeak && errors.Is(err, sut.ErrOverwritePeakWindow):
			r.ow.refusedInPeak.Store(true)
			r.note(fmt.Sprintf("the stock overwrite asked for at %s was refused: in the peak window %s..%s; asked again at its end", fmtD(now), w.From, w.To))
			if sleepCtx(ctx, loadtest.WallDuration(w.To.D()-now, r.sc.Speed)) != nil {
				return
			}
			continue
		case err != nil:
			r.note(fmt.Sprintf("the stock overwrite asked for at %s failed: %v", fmtD(now), err))
			return
		case inPeak:
			r.ow.ranInPeak.Store(true)
		}
		r.note(fmt.Sprintf("the stock overwrite ran at %s: %d SKUs differed from the ERP before it; Shopify's ledger shows %d levels written during it",
			fmtD(now), differing, levelsWritten(r.e.shop.Ledger(), since)))
		return
	}
}

// levelsWritten counts the inventory levels Shopify's ledger shows set or adjusted after
// effect since.
func levelsWritten(l *ledger.Ledger, since int64) int {
	n := 0
	for _, e := range l.Snapshot(ledger.Query{Since: since, Record: "inventory"}).Effects {
		if e.Action != "set" && e.Action != "adjusted" {
			continue
		}
		var d struct {
			Changes []struct {
				Item     any `json:"inventory_item_id"`
				Location any `json:"location_id"`
			} `json:"changes"`
			More int `json:"more_changes"`
		}
		if json.Unmarshal(e.Detail, &d) != nil || len(d.Changes) == 0 {
			continue
		}
		// A level written changes several quantities (available, on hand), one change
		// each; the ledger lists the first ten changes and counts the rest.
		levels := map[string]bool{}
		for _, c := range d.Changes {
			levels[fmt.Sprint(c.Item, "@", c.Location)] = true
		}
		n += (len(d.Changes) + d.More) * len(levels) / len(d.Changes)
	}
	return n
}

// overwriteAssertions reports stock_overwrite_outside_peak when the overwrite was asked
// for within a peak window.
func (r *runner) overwriteAssertions() {
	st := r.sc.Fakes.NetSuite.Stock
	if st == nil || st.OverwriteAt <= 0 || (!r.ow.ranInPeak.Load() && !r.ow.refusedInPeak.Load()) {
		return
	}
	a := report.Assertion{Name: "stock_overwrite_outside_peak", Passed: !r.ow.ranInPeak.Load(), Measured: "refused", Budget: "refused in a peak window"}
	if !a.Passed {
		a.Measured, a.Detail = "ran", "the system ran the stock overwrite within a declared peak window"
	}
	r.rep.Assertions = append(r.rep.Assertions, a)
}

func fmtD(d time.Duration) string { return d.Round(time.Second).String() }

func sleepCtx(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// overwritePlan is what --dry-run says of the overwrite and the lost pushes.
func (s *ERPStock) overwritePlan() []string {
	var out []string
	if s.OverwriteAt > 0 {
		l := "nightly stock overwrite asked for at " + s.OverwriteAt.D().String() + " (platform time)"
		for _, w := range s.PeakWindows {
			l += fmt.Sprintf(", refused in the peak window %s..%s", w.From.D(), w.To.D())
		}
		out = append(out, l)
	}
	if s.DropPushShare > 0 {
		out = append(out, fmt.Sprintf("the ERP's stock pushes: %g of them lost on the way", s.DropPushShare))
	}
	return out
}
