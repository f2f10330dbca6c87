package scenarios

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"strconv"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
	"github.com/peakready/peakready/scenarios/sut"
)

// env is everything a run started: the fakes, the webhook deliverer and the system under
// test.
type env struct {
	sc      *Scenario
	clock   *clock.Scaled
	log     *slog.Logger
	ns      *netsuite.Server
	nsURL   string
	shop    *shopify.Server
	shopURL string
	deliv   *webhooks.Deliverer
	// published is deliv for the store's events, which may come from the store's own
	// goroutines (a bulk operation ending) before deliv is set.
	published atomic.Pointer[webhooks.Deliverer]
	// orderMix shapes the store's generated orders.
	orderMix *store.Mix
	// onAttempt forwards delivery attempts to the load engine once it exists.
	onAttempt atomic.Pointer[func(webhooks.Attempt)]

	sut     sut.SUT
	closers []func()
	// crm is the CRM fake of the run, if its system under test syncs customers.
	crm *crmFakes
	// erpPush is where the fake ERP's pushes go: the system's ERPPushURL once it runs.
	erpPush atomic.Pointer[string]
	// dropPushes loses fakes.netsuite.stock.drop_push_share of the ERP's stock pushes.
	dropPushes *pushDropper
	// auditInbox receives the system's audit reports when the scenario audits.
	auditInbox *auditInbox
}

// start brings everything up; on error it stops what it started.
func start(ctx context.Context, sc *Scenario, opts Options) (e *env, err error) {
	// One origin for platform time, so that integrator processes started with it tell the
	// same time as the fakes.
	e = &env{sc: sc, clock: clock.NewScaledFrom(sc.Speed, time.Now()), log: opts.Logger}
	defer func() {
		if err != nil {
			e.close()
			e = nil
		}
	}()
	starter := opts.SUT
	if starter == nil {
		if starter, err = sc.starter(opts); err != nil {
			return nil, err
		}
	}
	creds := starter.Credentials()

	// The store and the ERP share their item master: same seed, same size.
	catalogSize := sc.Traffic.Orders.CatalogSize
	if err := e.startNetSuite(catalogSize, creds); err != nil {
		return nil, err
	}
	if err := e.startShopify(catalogSize, creds.ShopifyToken); err != nil {
		return nil, err
	}
	up := sut.Upstreams{ShopifyURL: e.shopURL, NetSuiteURL: e.nsURL, Credentials: creds,
		NetSuiteCustomer: netsuite.DefaultCustomerID, Clock: e.clock, Logger: e.log}
	if err := e.startCRM(&up); err != nil {
		return nil, err
	}
	if err := e.startAuditInbox(&up); err != nil {
		return nil, err
	}
	if st := sc.Fakes.NetSuite.Stock; st != nil {
		up.ERP = st.upstream(e.clock.Start())
	}
	up.ShopifyFlow = sc.Fakes.Shopify.Flow != nil
	e.sut, err = starter.Start(ctx, up)
	if err != nil {
		return nil, fmt.Errorf("system under test: %w", err)
	}
	if recv, ok := e.sut.(sut.ERPPushReceiver); ok && up.ERP != nil {
		u := recv.ERPPushURL()
		e.erpPush.Store(&u)
	}
	e.closers = append(e.closers, func() {
		if err := e.sut.Close(); err != nil {
			e.log.Warn("stopping the system under test", "err", err)
		}
	})
	if err := e.startDeliverer(e.sut.Webhooks()); err != nil {
		return nil, err
	}
	if err := e.installFlow(); err != nil {
		return nil, err
	}
	return e, nil
}

func (e *env) close() {
	for i := len(e.closers) - 1; i >= 0; i-- {
		e.closers[i]()
	}
	e.closers = nil
}

func listenAddr(pinned string) string {
	if pinned != "" {
		return pinned
	}
	return "127.0.0.1:0"
}

func (e *env) startNetSuite(catalogSize int, creds sut.Credentials) error {
	n := e.sc.Fakes.NetSuite
	lim := netsuite.Limits{Tier: n.Tier, SuiteCloudPlus: n.SuiteCloudPlus, Concurrency: n.Concurrency, Held: n.Held,
		Latency: string(n.Latency), FulfillAfter: "off"}
	if lim.Latency == "" {
		lim.Latency = "lognormal(700ms,2.5s)"
	}
	opts := netsuite.Options{Clock: e.clock, Seed: e.sc.Seed, CatalogSize: catalogSize, Limits: lim, Token: creds.NetSuiteToken, Logger: e.log}
	if st := n.Stock; st != nil {
		st.apply(&opts.Limits)
		e.dropPushes = newPushDropper(st.DropPushShare, uint64(e.sc.Seed))
		opts.Locations = 1
		opts.Catalog = st.catalog(e.sc.Seed, catalogSize)
		// Each of a real account's user events sends its own request: a batch job's
		// thousands of changes are not dropped by a bounded queue, so the fake's is large.
		opts.Push = netsuite.PushOptions{URL: "http://system-under-test.invalid/netsuite/changes", Secret: stockPushSecret,
			QueueSize: stockPushQueue, Client: &http.Client{Transport: erpPushTransport{e: e, drop: e.dropPushes}, Timeout: netsuite.DefaultPushTimeout}}
	}
	if creds.NetSuiteClientID != "" {
		key, err := netsuite.ParsePublicKey([]byte(creds.NetSuitePublicKey))
		if err != nil {
			return fmt.Errorf("fake netsuite: client credentials: %w", err)
		}
		opts.OAuth2Clients = []netsuite.OAuth2Client{{ClientID: creds.NetSuiteClientID, CertificateID: creds.NetSuiteCertificateID, PublicKey: key}}
	}
	ns, err := netsuite.New(opts)
	if err != nil {
		return fmt.Errorf("fake netsuite: %w", err)
	}
	if f := e.sc.netsuiteFaults(); len(f) > 0 {
		if err := ns.Fake().ApplyProfile(fakehttp.Profile{Faults: f}); err != nil {
			return fmt.Errorf("fake netsuite faults: %w", err)
		}
	}
	url, err := ns.Start(listenAddr(n.Addr))
	if err != nil {
		return fmt.Errorf("fake netsuite: %w", err)
	}
	e.ns, e.nsURL = ns, url
	e.closers = append(e.closers, func() { _ = ns.Close() })
	return nil
}

func (e *env) startShopify(catalogSize int, token string) error {
	o := e.sc.Traffic.Orders
	mix := store.DefaultMix()
	if o.ReturningShare != nil {
		mix.ReturningShare = *o.ReturningShare
	}
	if o.HighRiskShare != nil {
		mix.HighRiskShare = *o.HighRiskShare
	}
	if o.PaidShare != nil {
		mix.PendingShare = 1 - *o.PaidShare
	}
	if o.InvalidEmailShare != nil {
		mix.InvalidEmailShare = *o.InvalidEmailShare
	}
	if o.MinLines > 0 {
		lc, err := store.ParseLineCounts(lineCounts(o.MinLines, o.MaxLines))
		if err != nil {
			return fmt.Errorf("orders: %w", err)
		}
		mix.LineItems = lc
	}
	mix.SKUs = o.SKUs
	e.orderMix = &mix
	customers := o.Customers
	if customers == 0 {
		customers = 5000
	}
	locations := 0
	if e.sc.Fakes.NetSuite.Stock != nil {
		locations = 1 // as the ERP's: see ERPStock
	}
	shop, err := shopify.New(shopify.Options{Clock: e.clock, Seed: e.sc.Seed, Plan: e.sc.Fakes.Shopify.Plan,
		Bucket: e.sc.Fakes.Shopify.Bucket, RestoreRate: e.sc.Fakes.Shopify.RestoreRate,
		RESTBucket: e.sc.Fakes.Shopify.RESTBucket, RESTLeakRate: e.sc.Fakes.Shopify.RESTLeakRate, AccessToken: token,
		CatalogSize: catalogSize, Locations: locations, Customers: customers, Mix: &mix, Webhooks: lazyRegistry{e}, Logger: e.log,
		InventoryPolicy: e.sc.InventoryPolicy()})
	if err != nil {
		return fmt.Errorf("fake shopify: %w", err)
	}
	if f := e.sc.shopifyFaults(); len(f) > 0 {
		if err := shop.HTTP().ApplyProfile(fakehttp.Profile{Faults: f}); err != nil {
			return fmt.Errorf("fake shopify faults: %w", err)
		}
	}
	url, err := shop.Start(listenAddr(e.sc.Fakes.Shopify.Addr))
	if err != nil {
		return fmt.Errorf("fake shopify: %w", err)
	}
	e.shop, e.shopURL = shop, url
	e.closers = append(e.closers, func() { _ = shop.Close() })
	if st := e.sc.Fakes.NetSuite.Stock; st != nil {
		if err := st.startFromTheERP(e.ns, shop.Store()); err != nil {
			return fmt.Errorf("fake shopify: stock: %w", err)
		}
	}
	return nil
}

// restartFaultWindows applies the fakes' fault rules again: a rule's windows count from
// the moment its profile took effect, and the run's clock starts after the fakes and the
// system under test are up. Called as the run starts, so the windows count from there, as
// the report's windows do.
func (e *env) restartFaultWindows() error {
	if f := e.sc.netsuiteFaults(); len(f) > 0 {
		if err := e.ns.Fake().ApplyProfile(fakehttp.Profile{Faults: f}); err != nil {
			return fmt.Errorf("fake netsuite faults: %w", err)
		}
	}
	if f := e.sc.shopifyFaults(); len(f) > 0 {
		if err := e.shop.HTTP().ApplyProfile(fakehttp.Profile{Faults: f}); err != nil {
			return fmt.Errorf("fake shopify faults: %w", err)
		}
	}
	return nil
}

// lineCounts spreads line counts evenly from lo to hi ("1:1,2:1,3:1").
func lineCounts(lo, hi int) string {
	s := ""
	for n := lo; n <= hi; n++ {
		if s != "" {
			s += ","
		}
		s += strconv.Itoa(n) + ":1"
	}
	return s
}

// lazyRegistry lets the store be built before the deliverer: the deliverer needs the
// SUT's URL, which for the bundled integrator needs the store's URL.
type lazyRegistry struct{ e *env }

func (l lazyRegistry) Publish(ev webhooks.Event) {
	if d := l.e.published.Load(); d != nil {
		d.Publish(ev)
	}
}
func (l lazyRegistry) Subscribe(s webhooks.Subscription) (webhooks.Subscription, error) {
	if d := l.e.published.Load(); d != nil {
		return d.Subscribe(s)
	}
	return s, errors.New("webhooks are not running yet")
}
func (l lazyRegistry) Unsubscribe(id string) error {
	if d := l.e.published.Load(); d != nil {
		return d.Unsubscribe(id)
	}
	return nil
}
func (l lazyRegistry) Subscriptions() []webhooks.Subscription {
	if d := l.e.published.Load(); d != nil {
		return d.Subscriptions()
	}
	return nil
}

func (e *env) startDeliverer(hooks sut.Webhooks) error {
	d := e.sc.Delivery
	f := webhooks.Faults{DuplicateShare: d.DuplicateShare, ReorderShare: d.ReorderShare, ReorderWindow: d.ReorderWindow.D(),
		LateShare: d.LateShare, DropShare: d.DropShare}
	if d.LateDelay != "" {
		dist, err := latency.Parse(string(d.LateDelay))
		if err != nil {
			return err
		}
		f.LateDelay = dist
	}
	var subs []webhooks.Subscription
	for _, t := range hooks.SubscribedTopics() {
		subs = append(subs, webhooks.Subscription{Topic: t, URL: hooks.URL, Name: "peakready-sut"})
	}
	deliv, err := webhooks.New(webhooks.Config{
		Clock: e.clock, Logger: e.log, Seed: e.sc.Seed, ClientSecret: hooks.Secret, Workers: d.Workers,
		// The system under test answers in real time, so Shopify's 5 s timeout holds in
		// wall time whatever the speed: compressing it would fail a healthy integrator.
		ResponseTimeout: time.Duration(float64(webhooks.DefaultResponseTimeout) * e.sc.Speed),
		Faults:          f, Subscriptions: subs, Ledger: e.shop.Ledger(),
		OnAttempt: func(a webhooks.Attempt) {
			if fn := e.onAttempt.Load(); fn != nil {
				(*fn)(a)
			}
		},
	})
	if err != nil {
		return fmt.Errorf("webhook delivery: %w", err)
	}
	e.deliv = deliv
	e.published.Store(deliv)
	e.closers = append(e.closers, func() { _ = deliv.Close() })
	return nil
}
