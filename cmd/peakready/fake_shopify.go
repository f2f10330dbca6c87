package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// envShopifyToken supplies --access-token when the flag is not given.
const envShopifyToken = "PEAKREADY_SHOPIFY_ACCESS_TOKEN"

func init() {
	registerFake("shopify", "Shopify store: Admin GraphQL (cost bucket), REST (request bucket), signed webhooks", runFakeShopify)
}

// shopifyFlags are the flags of peakready fake shopify.
type shopifyFlags struct {
	common         fakeFlags
	shop           string
	plan           string
	bucket         float64
	restoreRate    float64
	restBucket     int
	restLeakRate   float64
	throttleStatus int
	connectionCost string
	bulkRate       float64
	bulkConc       int
	bulkTimeout    time.Duration
	accessToken    string
	apps           []shopify.App
	apiVersion     string
	catalogSize    int
	locations      int
	invPolicy      string
	customers      int
	returningShare float64
	highRiskShare  float64
	latency        string
	webhookURLs    []string
	hooks          webhooks.Config
}

func (f *shopifyFlags) register(fs *flag.FlagSet) {
	f.common.register(fs, "127.0.0.1:8081")
	mix := store.DefaultMix()
	fs.StringVar(&f.shop, "shop", store.DefaultShop, "myshopify.com domain of the store")
	fs.StringVar(&f.plan, "plan", shopify.DefaultPlan, "plan: "+strings.Join(shopify.PlanNames(), ", ")+" (GraphQL bucket/restore 2000/100, 4000/200, 20000/1000, 40000/2000; REST 40/2, 80/4, 400/20, 800/40)")
	fs.Float64Var(&f.bucket, "bucket", 0, "GraphQL cost bucket size in points (0: the plan's)")
	fs.Float64Var(&f.restoreRate, "restore-rate", 0, "GraphQL points restored per second (0: the plan's)")
	fs.IntVar(&f.restBucket, "rest-bucket", 0, "REST request bucket size (0: the plan's)")
	fs.Float64Var(&f.restLeakRate, "rest-leak-rate", 0, "REST requests leaked per second (0: the plan's)")
	fs.IntVar(&f.throttleStatus, "throttle-status", 200, "HTTP status of THROTTLED GraphQL responses: 200 or 429")
	fs.StringVar(&f.connectionCost, "connection-cost", "log", "how a connection's first/last multiplies its nodes' cost: log (floor(2 ln n), what Shopify charges) or linear (n, the documented rule)")
	fs.Float64Var(&f.bulkRate, "bulk-rows-per-second", shopify.DefaultBulkRowsPerSecond, "rows a bulk query exports per second of platform time")
	fs.IntVar(&f.bulkConc, "bulk-concurrency", shopify.DefaultBulkConcurrency, "bulk queries one app may run at once")
	fs.DurationVar(&f.bulkTimeout, "bulk-timeout", shopify.DefaultBulkTimeout, "a bulk query that would run longer fails with TIMEOUT")
	fs.StringVar(&f.accessToken, "access-token", "", "X-Shopify-Access-Token the API accepts (default $"+envShopifyToken+"; empty accepts any non-empty token)")
	fs.Func("app", "an app installed on the store, NAME=TOKEN; repeatable. Each app has its own GraphQL and REST buckets and bulk operations (default: --access-token as the one app \"default\")", func(v string) error {
		a, err := shopify.ParseApp(v)
		if err != nil {
			return err
		}
		f.apps = append(f.apps, a)
		return nil
	})
	fs.StringVar(&f.apiVersion, "api-version", shopify.LatestVersion, "API version webhook payloads are written for: "+strings.Join(shopify.Versions, ", "))
	fs.IntVar(&f.catalogSize, "catalog-size", 200, "number of SKUs (same SKUs as the fake NetSuite for the same --seed)")
	fs.IntVar(&f.locations, "locations", store.DefaultLocations, "number of stock locations, 1 to 5")
	fs.StringVar(&f.invPolicy, "inventory-policy", store.PolicyContinue, "variants' policy when out of stock: deny (a generated checkout beyond available is refused, counted as sold out) or continue (sells past zero)")
	fs.IntVar(&f.customers, "customers", store.DefaultCustomers, "customers that exist before the run (0: none)")
	fs.Float64Var(&f.returningShare, "returning-share", mix.ReturningShare, "share of generated orders placed by an existing customer")
	fs.Float64Var(&f.highRiskShare, "high-risk-share", mix.HighRiskShare, "share of generated orders whose fraud analysis says HIGH")
	fs.StringVar(&f.latency, "latency", "", "latency of every API request (300ms | uniform(a,b) | normal(m,sd) | lognormal(p50,p99)); empty: none")
	fs.Func("webhook-url", "deliver every order, customer, inventory and fulfillment topic to URL; repeatable", func(v string) error {
		for _, t := range store.Topics {
			if _, err := webhooks.ParseSubscription(t + "=" + v); err != nil {
				return err
			}
		}
		f.webhookURLs = append(f.webhookURLs, v)
		return nil
	})
	f.hooks.RegisterFlags(fs)
	fs.Func("client-secret", "the app's client secret that signs webhooks (same as --webhook-secret)", func(v string) error {
		f.hooks.ClientSecret = v
		return nil
	})
	fs.Func("previous-client-secret", "the previous client secret during a rotation (same as --webhook-previous-secret)", func(v string) error {
		f.hooks.PreviousSecret = v
		return nil
	})
}

// validate checks what the libraries do not: the flag names in messages are the
// command line's.
func (f *shopifyFlags) validate(fs *flag.FlagSet) error {
	if err := f.common.validate(); err != nil {
		return err
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	if !set["access-token"] {
		f.accessToken = os.Getenv(envShopifyToken)
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"returning-share", f.returningShare}, {"high-risk-share", f.highRiskShare}} {
		if !(c.v >= 0 && c.v <= 1) {
			return fmt.Errorf("--%s %v must be between 0 and 1", c.name, c.v)
		}
	}
	for _, c := range []struct {
		name string
		v    float64
	}{{"bucket", f.bucket}, {"restore-rate", f.restoreRate}, {"rest-leak-rate", f.restLeakRate}} {
		if c.v < 0 || c.v != c.v {
			return fmt.Errorf("--%s %v must not be negative", c.name, c.v)
		}
	}
	if f.restBucket < 0 {
		return fmt.Errorf("--rest-bucket %d must not be negative", f.restBucket)
	}
	if f.throttleStatus != 200 && f.throttleStatus != 429 {
		return fmt.Errorf("--throttle-status %d must be 200 or 429", f.throttleStatus)
	}
	if f.catalogSize < 1 || f.catalogSize > 100_000 {
		return fmt.Errorf("--catalog-size %d must be between 1 and 100000", f.catalogSize)
	}
	if f.locations < 1 || f.locations > 5 {
		return fmt.Errorf("--locations %d must be between 1 and 5", f.locations)
	}
	if f.invPolicy != store.PolicyDeny && f.invPolicy != store.PolicyContinue {
		return fmt.Errorf("--inventory-policy %q must be deny or continue", f.invPolicy)
	}
	if f.customers < 0 || f.customers > 10_000_000 {
		return fmt.Errorf("--customers %d must be between 0 and 10000000", f.customers)
	}
	if f.latency != "" {
		if _, err := latency.Parse(f.latency); err != nil {
			return fmt.Errorf("--latency: %v", err)
		}
		f.common.faults = append(f.common.faults, faults.Rule{Fault: "latency", Path: "/admin/api/", Params: map[string]string{"dist": f.latency}})
	}
	return nil
}

// shopifyServing starts and stops the store and its webhook deliverer together.
type shopifyServing struct {
	srv   *shopify.Server
	hooks *webhooks.Deliverer
}

func (s shopifyServing) Start(addr string) (string, error) { return s.srv.Start(addr) }

func (s shopifyServing) Shutdown(ctx context.Context) error {
	err := s.srv.Shutdown(ctx)
	_ = s.hooks.Close()
	return err
}

func runFakeShopify(ctx context.Context, args []string, s streams) int {
	const cmd = "fake shopify"
	fs := newFlagSet(cmd, "Serve a fake Shopify store: Admin GraphQL API with the calculated-cost bucket, REST Admin API with\n"+
		"the request bucket, the admin API under /_fake/, and webhooks signed and delivered the way Shopify does.", s)
	var f shopifyFlags
	f.register(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	if err := f.validate(fs); err != nil {
		return fail(s, cmd, exitUsage, "%v", err)
	}
	clk := f.common.clock()
	logger := f.common.logger(s.err)
	led := ledger.New(clk, 0)
	hooks := f.hooks
	hooks.Clock, hooks.Logger, hooks.Seed, hooks.Ledger = clk, logger, f.common.seed, led
	hooks.ShopDomain, hooks.APIVersion = f.shop, f.apiVersion
	for _, u := range f.webhookURLs {
		for _, t := range store.Topics {
			sub, _ := webhooks.ParseSubscription(t + "=" + u)
			hooks.Subscriptions = append(hooks.Subscriptions, sub)
		}
	}
	deliverer, err := webhooks.New(hooks)
	if err != nil {
		return fail(s, cmd, exitUsage, "webhooks: %v", err)
	}
	mix := store.DefaultMix()
	mix.ReturningShare, mix.HighRiskShare = f.returningShare, f.highRiskShare
	if mix.HighRiskShare+mix.MediumRiskShare > 1 {
		mix.MediumRiskShare = 1 - mix.HighRiskShare
	}
	customers := f.customers
	if customers == 0 {
		customers = -1 // the store reads 0 as "the default pool"
	}
	srv, err := shopify.New(shopify.Options{
		Shop: f.shop, Clock: clk, Seed: f.common.seed, Plan: f.plan, Bucket: f.bucket, RestoreRate: f.restoreRate,
		RESTBucket: f.restBucket, RESTLeakRate: f.restLeakRate, ThrottleStatus: f.throttleStatus, ConnectionCost: f.connectionCost,
		BulkRowsPerSecond: f.bulkRate, BulkConcurrency: f.bulkConc, BulkTimeout: f.bulkTimeout,
		AccessToken: f.accessToken, Apps: f.apps, APIVersion: f.apiVersion, CatalogSize: f.catalogSize, Locations: f.locations, InventoryPolicy: f.invPolicy,
		Customers: customers, Mix: &mix, Webhooks: deliverer, Ledger: led, Logger: logger,
	})
	if err != nil {
		_ = deliverer.Close()
		return fail(s, cmd, exitUsage, "%v", strings.TrimPrefix(err.Error(), "shopify: "))
	}
	for _, r := range deliverer.AdminRoutes() {
		srv.HTTP().HandleAdmin(r.Pattern, r.Handler)
	}
	if err := f.common.applyProfile(srv.HTTP()); err != nil {
		_ = deliverer.Close()
		return fail(s, cmd, exitUsage, "%v", err)
	}
	logger.Info("fake shopify", "shop", f.shop, "plan", srv.Limits().Plan, "seed", f.common.seed,
		"webhook_subscriptions", len(deliverer.Subscriptions()))
	return serveFake(ctx, s, "shopify", shopifyServing{srv: srv, hooks: deliverer}, f.common.addr)
}
