package inventory

import (
	"context"
	"errors"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
	"github.com/stretchr/testify/require"

	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/shopify"
	"github.com/peakready/peakready/integrator/throttle"
)

// BenchmarkShopifyThrottleEfficiency: 1 or 3 replicas, each with its own client and
// cost-bucket mirror on one shared Redis, write stock to a fake Shopify on the standard
// plan (2,000 points, 100 points/s) as fast as the mirror lets them, 4 writers a
// replica. After the first full bucket is spent, it reports the points Shopify was
// charged per second as a share of the restore rate ("efficiency"; target ≥ 0.95) and
// the share of calls Shopify answered THROTTLED ("throttled"; target < 0.001).
// go test -run '^$' -bench ShopifyThrottleEfficiency -benchtime 1x ./integrator/inventory/
func BenchmarkShopifyThrottleEfficiency(b *testing.B) {
	for _, replicas := range []int{1, 3} {
		b.Run("replicas="+strconv.Itoa(replicas), func(b *testing.B) {
			for range b.N {
				shopifyEfficiency(b, replicas)
			}
		})
	}
}

func shopifyEfficiency(b *testing.B, replicas int) {
	const restore, bucket, cost = 100.0, 2000.0, 10
	fake, err := fakeshopify.New(fakeshopify.Options{Seed: 3, AccessToken: "shpat_b", Plan: "standard"})
	require.NoError(b, err)
	url, err := fake.Start("127.0.0.1:0")
	require.NoError(b, err)
	b.Cleanup(func() { _ = fake.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: miniredis.RunT(b).Addr()})
	b.Cleanup(func() { _ = rdb.Close() })
	v, _ := fake.Store().VariantAt(0)
	q := []shopify.Quantity{{InventoryItemID: store.GID("InventoryItem", v.InventoryItemID), LocationID: store.GID("Location", v.Levels[0].LocationID)}}

	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var calls, throttled atomic.Int64
	var seq atomic.Int64
	var wg sync.WaitGroup
	for range replicas {
		cb, err := throttle.NewCostBucket(rdb, throttle.CostBucketConfig{Name: "shopify:bench", MaximumAvailable: bucket, RestoreRate: restore})
		require.NoError(b, err)
		c, err := shopify.New(url, "shpat_b", "", cb, nil)
		require.NoError(b, err)
		for range 4 {
			wg.Go(func() {
				for ctx.Err() == nil {
					n := seq.Add(1)
					qq := []shopify.Quantity{{InventoryItemID: q[0].InventoryItemID, LocationID: q[0].LocationID, Quantity: int(n % 1000)}}
					err := c.SetAvailable(ctx, qq, "", "bench-"+strconv.FormatInt(n, 10))
					var se *shopify.Error
					switch {
					case err == nil:
						calls.Add(1)
					case errors.As(err, &se) && se.Code == "THROTTLED":
						calls.Add(1)
						throttled.Add(1)
					}
				}
			})
		}
	}
	// The first full bucket goes at once; then the restore rate is the limit.
	time.Sleep(time.Duration(bucket/restore/4*float64(time.Second)) + time.Second)
	c0, t0 := calls.Load()-throttled.Load(), time.Now()
	time.Sleep(4 * time.Second)
	c1, t1 := calls.Load()-throttled.Load(), time.Now()
	cancel()
	wg.Wait()
	points := float64(c1-c0) * cost
	b.ReportMetric(points/t1.Sub(t0).Seconds()/restore, "efficiency")
	b.ReportMetric(float64(throttled.Load())/float64(max(calls.Load(), 1)), "throttled")
	b.ReportMetric(float64(calls.Load()), "calls")
}
