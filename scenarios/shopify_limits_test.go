package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/scenarios/brokensut"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

func TestShopifyLimitKeysAreValidated(t *testing.T) {
	head := "name: x\ntraffic:\n  phases:\n    - {name: p, constant: {rate: 1/s, duration: 1m}}\nsut:\n  builtin: {}\nfakes:\n  shopify:\n"
	for _, c := range []struct{ body, want string }{
		{"    bucket: -1\n", "test.yaml:9: shopify bucket -1 must be from 1 to 1e9 points (0: the plan's)"},
		{"    restore_rate: -5\n", "test.yaml:9: shopify restore_rate -5 must be a positive number of points per second (0: the plan's)"},
		{"    limit_windows:\n      - {from: 1m, to: 2m}\n", "test.yaml:10: shopify limit_windows[0]: set bucket, restore_rate, rest_bucket or rest_leak_rate (a number, or a percentage like 50%)"},
		{"    limit_windows:\n      - {from: 2m, to: 1m, restore_rate: 50%}\n", "test.yaml:10: shopify limit_windows[0]: to 1m0s must be after from 2m0s"},
		{"    limit_windows:\n      - {from: 1m, to: 3m, restore_rate: 50%}\n      - {from: 2m, to: 4m, bucket: 100}\n", "test.yaml:11: shopify limit_windows[1] overlaps limit_windows[0]: one window at a time"},
		{"    limit_windows:\n      - {from: 1m, restore_rate: 50%}\n      - {from: 2m, to: 4m, bucket: 100}\n", "overlaps limit_windows[0]"},
		{"    limit_windows:\n      - {from: 1m, to: 2m, restore_rate: half}\n", `test.yaml:10: "half" is not a number or a percentage like 50%`},
		{"    limit_windows:\n      - {from: 1m, to: 2m, restore_rate: 0%}\n", "shopify limit_windows[0]: restore_rate 0% gives 0 points/s; it must be above 0 and at most 1e+09"},
		{"    limit_windows:\n      - {from: 1m, to: 2m, bucket: 0}\n", "shopify limit_windows[0]: bucket 0 gives 0 points; it must be above 0 and at most 1e+09"},
		{"    limit_windows:\n      - {from: 1m, to: 2m, burst: 5}\n", "field burst not found"},
		{"    rest_bucket: -1\n", "test.yaml:9: shopify rest_bucket -1 must be from 1 to 1000000 requests (0: the plan's)"},
		{"    rest_leak_rate: -1\n", "test.yaml:9: shopify rest_leak_rate -1 must be a positive number of requests per second (0: the plan's)"},
		{"    limit_windows:\n      - {from: 1m, to: 2m, rest_bucket: 0.1%}\n", "shopify limit_windows[0]: rest_bucket 0.1% gives 0 requests; it must be above 0"},
	} {
		_, err := Parse("test.yaml", strings.NewReader(head+c.body))
		if assert.Error(t, err, c.body) {
			assert.Contains(t, err.Error(), c.want, c.body)
		}
	}
	sc := parseString(t, head+"    plan: advanced\n    rest_leak_rate: 2\n    limit_windows:\n      - {from: 10m, to: 20m, restore_rate: 50%, rest_bucket: 25%}\n      - {from: 30m, bucket: 1000, restore_rate: 20}\n")
	base := shopifyLimits{Bucket: 4000, Restore: 200, RESTBucket: 80, RESTLeak: 2}
	assert.Equal(t, base, sc.shopifyLimits(), "the plan's buckets, the REST leak rate overridden")
	assert.Equal(t, []shopifyLimitChange{
		{at: 10 * time.Minute, limits: shopifyLimits{Bucket: 4000, Restore: 100, RESTBucket: 20, RESTLeak: 2}},
		{at: 20 * time.Minute, limits: base},
		{at: 30 * time.Minute, limits: shopifyLimits{Bucket: 1000, Restore: 20, RESTBucket: 80, RESTLeak: 2}},
	}, sc.shopifyLimitSchedule())
	assert.Equal(t, "restore rate 100 points/s (50%), rest bucket 20 requests (25%)", sc.Fakes.Shopify.LimitWindows[0].describe(base))
}

func TestDryRunShowsShopifyLimits(t *testing.T) {
	sc := parseString(t, `
name: throttled
traffic:
  phases:
    - {name: p, steps: {rates: [1/s, 200/min], every: 10m}}
fakes:
  shopify:
    bucket: 2000
    restore_rate: 100
    limit_windows:
      - {from: 5m, to: 15m, restore_rate: 50%}
sut:
  builtin: {}
`)
	p, err := DryRun(sc)
	require.NoError(t, err)
	var buf bytes.Buffer
	p.Write(&buf)
	out := buf.String()
	assert.Contains(t, out, "fake shopify: plan plus, GraphQL cost bucket 2,000 points restoring 100 points/s, REST bucket 400 requests leaking 20/s; from 5m00s to 15m00s: restore rate 50 points/s (50%)")
	assert.Contains(t, out, "1. p step 1")
	assert.Contains(t, out, "2. p step 2")
	assert.Contains(t, out, "3.333/s", "rates are rounded")
}

// limitWatcher runs a broken integrator (enough to take webhooks) and reads the fake
// Shopify's limits from GET /_fake/stats every few milliseconds, as any client could.
type limitWatcher struct {
	brokensut.Starter
	mu   sync.Mutex
	seen []seenLimits
	stop chan struct{}
	done chan struct{}
}

type seenLimits struct {
	at                                    time.Duration // platform time since the first look
	bucket, restore, restBucket, restLeak float64
}

func (w *limitWatcher) Start(ctx context.Context, up sut.Upstreams) (sut.SUT, error) {
	s, err := w.Starter.Start(ctx, up)
	if err != nil {
		return nil, err
	}
	w.stop, w.done = make(chan struct{}), make(chan struct{})
	first := up.Clock.Now()
	go func() {
		defer close(w.done)
		for {
			select {
			case <-w.stop:
				return
			case <-time.After(10 * time.Millisecond):
			}
			resp, err := http.Get(up.ShopifyURL + "/_fake/stats")
			if err != nil {
				continue
			}
			var st struct {
				Limits struct {
					Config struct {
						Bucket     float64 `json:"bucket"`
						Restore    float64 `json:"restore-rate"`
						RESTBucket float64 `json:"rest-bucket"`
						RESTLeak   float64 `json:"rest-leak-rate"`
					} `json:"config"`
				} `json:"limits"`
			}
			_ = json.NewDecoder(resp.Body).Decode(&st)
			resp.Body.Close()
			w.mu.Lock()
			cfg := st.Limits.Config
			w.seen = append(w.seen, seenLimits{at: up.Clock.Now().Sub(first), bucket: cfg.Bucket, restore: cfg.Restore, restBucket: cfg.RESTBucket, restLeak: cfg.RESTLeak})
			w.mu.Unlock()
		}
	}()
	return s, nil
}

// The fake Shopify runs with the scenario's bucket and restore rate, and its limit
// window halves the restore rate from 20s to 40s of platform time, then restores it.
func TestRunAppliesShopifyLimits(t *testing.T) {
	sc := parseString(t, `
name: shopify-limits
speed: 10
traffic:
  phases:
    - {name: p, constant: {rate: 2/s, duration: 60s}}
  mix: {new_order: 1}
fakes:
  shopify:
    bucket: 500
    restore_rate: 10
    rest_bucket: 30
    rest_leak_rate: 3
    limit_windows:
      - {from: 20s, to: 40s, restore_rate: 50%, rest_leak_rate: 1}
sut:
  builtin: {}
assertions:
  lost: 1000
  allow: [held]
`)
	w := &limitWatcher{Starter: brokensut.Starter{Mode: brokensut.ArrivalOrder}}
	rep, err := Run(context.Background(), sc, Options{SUT: w, SampleEvery: 100 * time.Millisecond})
	close(w.stop)
	<-w.done
	require.NoError(t, err)
	w.mu.Lock()
	defer w.mu.Unlock()
	require.NotEmpty(t, w.seen)
	var runs []seenLimits // the distinct limits, in the order they were in force
	for _, s := range w.seen {
		assert.Equal(t, 500.0, s.bucket, "the scenario's bucket")
		assert.Equal(t, 30.0, s.restBucket, "the scenario's REST bucket")
		if len(runs) == 0 || runs[len(runs)-1].restore != s.restore || runs[len(runs)-1].restLeak != s.restLeak {
			runs = append(runs, s)
		}
	}
	require.Len(t, runs, 3, "limits seen: %v", runs)
	assert.Equal(t, []float64{10, 3}, []float64{runs[0].restore, runs[0].restLeak}, "the scenario's restore and leak rates")
	assert.Equal(t, []float64{5, 1}, []float64{runs[1].restore, runs[1].restLeak}, "changed in the window")
	assert.Equal(t, []float64{10, 3}, []float64{runs[2].restore, runs[2].restLeak}, "restored after it")
	// The watcher started before the run's clock: the window opens a little after 20s
	// of its time, and lasts 20s.
	assert.InDelta(t, 20, runs[1].at.Seconds(), 6, "window opens at 20s")
	assert.InDelta(t, 20, (runs[2].at - runs[1].at).Seconds(), 2, "window lasts 20s")
	assert.Contains(t, rep.Windows, report.Window{Kind: report.WindowLimits, Label: "Shopify restore rate 5 points/s (50%), rest leak rate 1 requests/s",
		From: report.Duration(20 * time.Second), To: report.Duration(40 * time.Second)})
	for _, p := range rep.Series {
		assert.Equal(t, 500.0, p.ShopifyBucketMax)
	}
}
