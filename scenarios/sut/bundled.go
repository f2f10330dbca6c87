package sut

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/redisserver"
)

// Credentials the runner sets up between the fakes and the bundled integrator.
const (
	bundledNetSuiteToken = "peakready-scenario-netsuite-token"
	// The client credentials integration the bundled integrator logs in with.
	bundledNetSuiteClientID      = "peakready-scenario-client"
	bundledNetSuiteCertificateID = "peakready-scenario-certificate"
	bundledShopifyToken          = "shpat_peakready_scenario"
	// bundledSecret signs webhooks to the bundled integrator.
	bundledSecret = "peakready-scenario-webhook-secret"
)

// BundledConfig configures the bundled integrator under test.
type BundledConfig struct {
	// Replicas run behind one load balancer, on one Redis (default 1).
	Replicas int
	// Workers per replica and the integration's share of NetSuite's concurrency (0: the
	// integrator's defaults).
	Workers             int
	NetSuiteConcurrency int
	// RiskCheck holds high-risk orders for review (it reads each order's risk from the
	// fake Shopify).
	RiskCheck bool
	// Processes runs each replica as a `peakready integrator` process of Executable
	// (default: this program) instead of in this process; a crash is then a SIGKILL.
	Processes  bool
	Executable string
	// Redis is where the replicas share their queue and limits: embedded, docker or a
	// redis:// URL (see redisserver.Start).
	Redis string
	// RedisDurability is the replicas' --redis-durability: integrator.DurabilityRequired
	// makes them refuse a Redis that can lose acknowledged webhooks; empty or
	// DurabilityVolatileOK accepts a throw-away one (the embedded Redis always is).
	RedisDurability string
	// NetSuiteStaticToken authenticates to NetSuite with a static bearer token instead of
	// the OAuth 2.0 client credentials flow (a key pair made for the run, tokens that
	// expire after 60 minutes of platform time and are renewed).
	NetSuiteStaticToken bool
	// CRM configures the customers → CRM flow, used when the run has a CRM fake.
	CRM BundledCRM
	// PollerEvery runs the missed-webhook poller at this interval (platform time); 0: off.
	PollerEvery time.Duration
}

// Bundled returns a Starter for the bundled integrator.
func Bundled(cfg BundledConfig) Starter {
	if cfg.Replicas <= 0 {
		cfg.Replicas = 1
	}
	return bundledStarter{cfg: cfg, m2m: sync.OnceValue(newM2MCredentials)}
}

type bundledStarter struct {
	cfg BundledConfig
	m2m func() m2mCredentials
}

// m2mCredentials are a client credentials integration made for one run: an EC P-256
// key pair (ES256), quick to generate.
type m2mCredentials struct {
	publicPEM, privatePEM string
	err                   error
}

func newM2MCredentials() m2mCredentials {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return m2mCredentials{err: err}
	}
	pub, err := x509.MarshalPKIXPublicKey(&key.PublicKey)
	if err != nil {
		return m2mCredentials{err: err}
	}
	priv, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		return m2mCredentials{err: err}
	}
	return m2mCredentials{
		publicPEM:  string(pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pub})),
		privatePEM: string(pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: priv})),
	}
}

func (s bundledStarter) Credentials() Credentials {
	c := Credentials{ShopifyToken: bundledShopifyToken, NetSuiteToken: bundledNetSuiteToken}
	if s.cfg.NetSuiteStaticToken {
		return c
	}
	if m := s.m2m(); m.err == nil {
		c.NetSuiteToken = ""
		c.NetSuiteClientID, c.NetSuiteCertificateID = bundledNetSuiteClientID, bundledNetSuiteCertificateID
		c.NetSuitePublicKey, c.NetSuitePrivateKey = m.publicPEM, m.privatePEM
	}
	return c
}

// bundled is the bundled integrator under test: replicas on one Redis behind a load
// balancer, and an observer that reads their shared state in Redis (queue, dead
// letters, held orders) without taking any work: the runner's view, whether the
// replicas run in this process or not, and whichever of them are alive.
type bundled struct {
	cfg   BundledConfig
	up    Upstreams
	log   *slog.Logger
	redis *redisserver.Server
	// prefix keeps this run's keys apart from anything else on the same Redis.
	prefix string

	lb       *balancer
	lbServer *http.Server
	url      string

	mu       sync.Mutex
	replicas []replica
	// dying are crashed replicas still winding down.
	dying sync.WaitGroup

	// observer serves the admin API over the replicas' shared Redis without running any
	// workers; the runner reads the system through it, as it would a deployed integrator.
	observer    *integrator.App
	observerRdb *redis.Client
	observerSrv *http.Server
	admin       adminObserver
	// segPath is the segment mapping written for process replicas.
	segOnce sync.Once
	segPath string
}

var (
	_ SUT             = (*bundled)(nil)
	_ QueueObserver   = (*bundled)(nil)
	_ LimitObserver   = (*bundled)(nil)
	_ Crasher         = (*bundled)(nil)
	_ RedisRestarter  = (*bundled)(nil)
	_ RedisProber     = (*bundled)(nil)
	_ StockOverwriter = (*bundled)(nil)
)

func (s bundledStarter) Start(ctx context.Context, up Upstreams) (_ SUT, err error) {
	if up.Logger == nil {
		up.Logger = slog.New(slog.DiscardHandler)
	}
	b := &bundled{cfg: s.cfg, up: up, log: up.Logger, lb: &balancer{},
		prefix: "peakready-run-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	defer func() {
		if err != nil {
			_ = b.Close()
		}
	}()
	if b.cfg.Processes && b.cfg.Executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("bundled integrator as processes: cannot find the peakready executable: %w", err)
		}
		b.cfg.Executable = exe
	}
	b.redis, err = redisserver.Start(ctx, b.cfg.Redis)
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	b.observerRdb, err = b.newRedisClient()
	if err != nil {
		return nil, err
	}
	ocfg := b.integratorConfig(b.observerRdb)
	ocfg.AdminToken = randomToken()
	ocfg.Overwrite = b.overwriteConfig()
	if up.AuditReportURL != "" {
		// Only the observer audits (Auditor): the replicas keep their own Shopify reads.
		ocfg.ShopifyURL, ocfg.ShopifyToken = up.ShopifyURL, up.Credentials.ShopifyToken
		ocfg.Audit = integrator.AuditConfig{ReportURL: up.AuditReportURL, TimeZone: up.ShopTimeZone}
	}
	b.observer, err = integrator.New(ocfg)
	if err != nil {
		return nil, err
	}
	oln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.observerSrv = &http.Server{Handler: b.observer.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.observerSrv.Serve(oln) }()
	if b.admin, err = newAdminObserver("http://"+oln.Addr().String(), ocfg.AdminToken); err != nil {
		return nil, err
	}
	for i := 0; i < b.cfg.Replicas; i++ {
		r, err := b.startReplica()
		if err != nil {
			return nil, fmt.Errorf("integrator replica %d: %w", i, err)
		}
		b.replicas = append(b.replicas, r)
		b.lb.add(r)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	b.lbServer = &http.Server{Handler: b.lb, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.lbServer.Serve(ln) }()
	b.url = "http://" + ln.Addr().String()
	return b, nil
}

func (b *bundled) newRedisClient() (*redis.Client, error) {
	opt, err := redis.ParseURL(b.redis.URL())
	if err != nil {
		return nil, fmt.Errorf("redis: %w", err)
	}
	return redis.NewClient(opt), nil
}

// integratorConfig is one in-process replica's configuration (the observer's too).
func (b *bundled) integratorConfig(rdb redis.UniversalClient) integrator.Config {
	cfg := integrator.Config{
		Redis: rdb, Prefix: b.prefix, WebhookSecret: bundledSecret,
		NetSuiteURL: b.up.NetSuiteURL, NetSuiteToken: b.up.Credentials.NetSuiteToken, NetSuiteConcurrency: b.cfg.NetSuiteConcurrency,
		NetSuiteClientID: b.up.Credentials.NetSuiteClientID, NetSuiteCertificateID: b.up.Credentials.NetSuiteCertificateID,
		NetSuitePrivateKey: b.up.Credentials.NetSuitePrivateKey, NetSuiteCustomer: b.up.NetSuiteCustomer,
		Workers: b.cfg.Workers, Clock: b.up.Clock, Logger: b.log, RedisDurability: b.durability(),
		CRM: b.crmConfig(),
	}
	if b.readsShopify() {
		cfg.ShopifyURL, cfg.ShopifyToken = b.up.ShopifyURL, b.up.Credentials.ShopifyToken
	}
	if b.cfg.PollerEvery > 0 {
		cfg.Poller = integrator.PollerConfig{Enabled: true, Every: b.cfg.PollerEvery}
	}
	if e := b.up.ERP; e != nil {
		cfg.Inventory = integrator.InventoryConfig{Enabled: true, PushSecret: e.PushSecret, SafetyStock: strconv.Itoa(e.SafetyStock)}
		cfg.Fulfillments = integrator.FulfillmentConfig{Enabled: true}
	}
	if b.flowOn() {
		cfg.Flow = integrator.FlowConfig{Enabled: true, Secret: bundledFlowSecret}
	}
	return cfg
}

// readsShopify: the risk check, the ERP flows and the poller read Shopify (and with it
// the integrator holds high-risk orders).
func (b *bundled) readsShopify() bool {
	return b.cfg.RiskCheck || b.up.ERP != nil || b.cfg.PollerEvery > 0
}

// ERPPushURL is where the ERP pushes its changes, behind the load balancer.
func (b *bundled) ERPPushURL() string { return b.url + "/netsuite/changes" }

// durability is the replicas' durability policy on this run's Redis.
func (b *bundled) durability() string {
	if b.cfg.RedisDurability == "" || b.redis.Mode() == redisserver.ModeEmbedded {
		return integrator.DurabilityVolatileOK
	}
	return b.cfg.RedisDurability
}

func (b *bundled) startReplica() (replica, error) {
	if b.cfg.Processes {
		return startProcessReplica(b)
	}
	return startInProcessReplica(b)
}

func (b *bundled) Webhooks() Webhooks {
	w := Webhooks{URL: b.url + "/webhooks/shopify", Secret: bundledSecret}
	if b.up.CRM != nil {
		w.Topics = append(append([]string{}, OrderTopics...), CustomerTopics...)
	}
	return w
}

func (b *bundled) Traits() Traits {
	s := fmt.Sprintf("builtin: %d replica", b.cfg.Replicas)
	if b.cfg.Replicas != 1 {
		s += "s"
	}
	if b.cfg.Processes {
		s += " as processes"
	}
	// With Shopify access (the risk check, or the ERP flows) the integrator holds
	// high-risk orders for review.
	return Traits{Description: s + ", redis " + string(b.redis.Mode()), HoldsHighRisk: b.readsShopify()}
}

func (b *bundled) Replicas() int { return b.cfg.Replicas }

// ProbeRedis times one PING to the replicas' Redis.
func (b *bundled) ProbeRedis(ctx context.Context) (time.Duration, error) {
	start := time.Now()
	err := b.observerRdb.Ping(ctx).Err()
	return time.Since(start), err
}

// RedisMode names the replicas' Redis: embedded, docker, local or url.
func (b *bundled) RedisMode() string { return string(b.redis.Mode()) }

// RestartRedis kills the replicas' Redis and starts it again after down (redis: local).
func (b *bundled) RestartRedis(ctx context.Context, down time.Duration) error {
	return b.redis.Restart(ctx, down)
}

// Crash kills replica i: a process gets SIGKILL; an in-process replica loses its Redis
// connections at once (so it can neither acknowledge nor hand back what it holds) and
// stops. Its remains wind down in the background.
func (b *bundled) Crash(i int) error {
	b.mu.Lock()
	if i < 0 || i >= len(b.replicas) {
		b.mu.Unlock()
		return fmt.Errorf("no replica %d: the system runs %d", i, len(b.replicas))
	}
	r := b.replicas[i]
	b.mu.Unlock()
	if !b.lb.remove(r) {
		return nil // already dead
	}
	r.crash()
	b.dying.Add(1)
	go func() {
		defer b.dying.Done()
		<-r.done()
	}()
	return nil
}

// Restart starts replica i anew; it takes webhooks once it is ready.
func (b *bundled) Restart(i int) error {
	r, err := b.startReplica()
	if err != nil {
		return err
	}
	b.mu.Lock()
	if i < 0 || i >= len(b.replicas) {
		b.mu.Unlock()
		r.stop()
		return fmt.Errorf("no replica %d: the system runs %d", i, b.cfg.Replicas)
	}
	old := b.replicas[i]
	b.replicas[i] = r
	b.mu.Unlock()
	if b.lb.remove(old) {
		// Restarting a live replica: it stops as a deployment would roll it.
		old.stop()
	}
	b.lb.add(r)
	return nil
}

func (b *bundled) QueueStats(ctx context.Context) (QueueStats, error) { return b.admin.QueueStats(ctx) }

// LimitStats reads the replicas' shared limiters through the admin API.
func (b *bundled) LimitStats(ctx context.Context) (LimitStats, error) { return b.admin.LimitStats(ctx) }

// Accounted reads the held orders and the dead letters through the admin API.
func (b *bundled) Accounted(ctx context.Context) (Accounted, error) { return b.admin.accounted(ctx) }

// Close stops the load balancer, then every live replica (gracefully), waits for the
// crashed ones, and stops Redis.
func (b *bundled) Close() error {
	if b.lbServer != nil {
		_ = b.lbServer.Close()
	}
	b.mu.Lock()
	reps := b.replicas
	b.replicas = nil
	b.mu.Unlock()
	var wg sync.WaitGroup
	for _, r := range reps {
		if b.lb.remove(r) {
			wg.Go(r.stop)
		}
	}
	wg.Wait()
	b.dying.Wait()
	if b.observerSrv != nil {
		_ = b.observerSrv.Close()
	}
	if b.observer != nil {
		b.observer.Close()
	}
	var errs []error
	if b.segPath != "" {
		_ = os.Remove(b.segPath)
	}
	if b.observerRdb != nil {
		errs = append(errs, b.observerRdb.Close())
	}
	if b.redis != nil {
		errs = append(errs, b.redis.Close())
	}
	return errors.Join(errs...)
}

// randomToken is a throw-away admin token for the observer.
func randomToken() string {
	var b [24]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}

// OrderIDOfKey reads the Shopify order id of a queue key "order:ID".
func OrderIDOfKey(key string) (int64, bool) {
	rest, ok := strings.CutPrefix(key, "order:")
	if !ok || rest == "" {
		return 0, false
	}
	id, err := strconv.ParseInt(rest, 10, 64)
	return id, err == nil
}
