package scenarios

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/redisserver"
)

// Credentials the runner sets up between the fakes and the bundled integrator.
const (
	netsuiteToken = "peakready-scenario-netsuite-token"
	shopifyToken  = "shpat_peakready_scenario"
	// builtinSecret signs webhooks to the bundled integrator.
	builtinSecret = "peakready-scenario-webhook-secret"
)

// orderTopics are the webhook topics the system under test is subscribed to by default.
var orderTopics = []string{"orders/create", "orders/paid", "orders/updated", "orders/cancelled"}

// env is everything a run started: Redis, the fakes, the system under test.
type env struct {
	sc      *Scenario
	clock   *clock.Scaled
	log     *slog.Logger
	redis   *redisserver.Server
	ns      *netsuite.Server
	nsURL   string
	shop    *shopify.Server
	shopURL string
	deliv   *webhooks.Deliverer
	// orderMix shapes the store's generated orders.
	orderMix *store.Mix
	// onAttempt forwards delivery attempts to the load engine once it exists.
	onAttempt atomic.Pointer[func(webhooks.Attempt)]

	sut        *builtinSUT // nil for an external SUT
	executable string      // peakready, for replicas run as processes
	sutURL     string
	secret     string
	closers    []func()
}

// start brings everything up; on error it stops what it started.
func start(ctx context.Context, sc *Scenario, opts Options) (e *env, err error) {
	redisOverride, log := opts.Redis, opts.Logger
	// One origin for platform time, so that integrator processes started with it tell the
	// same time as the fakes.
	e = &env{sc: sc, clock: clock.NewScaledFrom(sc.Speed, time.Now()), log: log, executable: opts.Executable}
	defer func() {
		if err != nil {
			e.close()
			e = nil
		}
	}()

	// The store and the ERP share their item master: same seed, same size.
	catalogSize := sc.Traffic.Orders.CatalogSize
	if err := e.startNetSuite(catalogSize); err != nil {
		return nil, err
	}
	if err := e.startShopify(catalogSize); err != nil {
		return nil, err
	}
	switch {
	case sc.SUT.External != nil:
		x := sc.SUT.External
		e.secret = os.Getenv(x.SecretEnv)
		if e.secret == "" {
			return nil, fmt.Errorf("sut external: environment variable %s (secret_env) is empty: it must hold the webhook secret your integrator verifies", x.SecretEnv)
		}
		e.sutURL = x.WebhookURL
	default:
		spec := sc.Redis
		if redisOverride != "" {
			spec = redisOverride
		}
		e.redis, err = redisserver.Start(ctx, spec)
		if err != nil {
			return nil, fmt.Errorf("redis: %w", err)
		}
		e.closers = append(e.closers, func() { _ = e.redis.Close() })
		e.secret = builtinSecret
		e.sut, err = startBuiltin(e, sc.SUT.Builtin)
		if err != nil {
			return nil, err
		}
		e.closers = append(e.closers, e.sut.stop)
		e.sutURL = e.sut.url + "/webhooks/shopify"
	}
	if err := e.startDeliverer(); err != nil {
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

func (e *env) startNetSuite(catalogSize int) error {
	n := e.sc.Fakes.NetSuite
	lim := netsuite.Limits{Tier: n.Tier, SuiteCloudPlus: n.SuiteCloudPlus, Concurrency: n.Concurrency, Held: n.Held,
		Latency: string(n.Latency), FulfillAfter: "off"}
	if lim.Latency == "" {
		lim.Latency = "lognormal(700ms,2.5s)"
	}
	token := netsuiteToken
	if e.sc.SUT.External != nil {
		token = "" // the team's integrator brings its own credentials
	}
	ns, err := netsuite.New(netsuite.Options{Clock: e.clock, Seed: e.sc.Seed, CatalogSize: catalogSize, Limits: lim, Token: token, Logger: e.log})
	if err != nil {
		return fmt.Errorf("fake netsuite: %w", err)
	}
	if len(n.Faults) > 0 {
		if err := ns.Fake().ApplyProfile(fakehttp.Profile{Faults: n.Faults}); err != nil {
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

func (e *env) startShopify(catalogSize int) error {
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
	token := shopifyToken
	if e.sc.SUT.External != nil {
		token = ""
	}
	shop, err := shopify.New(shopify.Options{Clock: e.clock, Seed: e.sc.Seed, Plan: e.sc.Fakes.Shopify.Plan, AccessToken: token,
		CatalogSize: catalogSize, Customers: customers, Mix: &mix, Webhooks: lazyRegistry{e}, Logger: e.log})
	if err != nil {
		return fmt.Errorf("fake shopify: %w", err)
	}
	if len(e.sc.Fakes.Shopify.Faults) > 0 {
		if err := shop.HTTP().ApplyProfile(fakehttp.Profile{Faults: e.sc.Fakes.Shopify.Faults}); err != nil {
			return fmt.Errorf("fake shopify faults: %w", err)
		}
	}
	url, err := shop.Start(listenAddr(e.sc.Fakes.Shopify.Addr))
	if err != nil {
		return fmt.Errorf("fake shopify: %w", err)
	}
	e.shop, e.shopURL = shop, url
	e.closers = append(e.closers, func() { _ = shop.Close() })
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
	if d := l.e.deliv; d != nil {
		d.Publish(ev)
	}
}
func (l lazyRegistry) Subscribe(s webhooks.Subscription) (webhooks.Subscription, error) {
	if d := l.e.deliv; d != nil {
		return d.Subscribe(s)
	}
	return s, errors.New("webhooks are not running yet")
}
func (l lazyRegistry) Unsubscribe(id string) error {
	if d := l.e.deliv; d != nil {
		return d.Unsubscribe(id)
	}
	return nil
}
func (l lazyRegistry) Subscriptions() []webhooks.Subscription {
	if d := l.e.deliv; d != nil {
		return d.Subscriptions()
	}
	return nil
}

func (e *env) startDeliverer() error {
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
	topics := orderTopics
	if x := e.sc.SUT.External; x != nil && len(x.Topics) > 0 {
		topics = x.Topics
	}
	var subs []webhooks.Subscription
	for _, t := range topics {
		subs = append(subs, webhooks.Subscription{Topic: t, URL: e.sutURL, Name: "peakready-sut"})
	}
	deliv, err := webhooks.New(webhooks.Config{
		Clock: e.clock, Logger: e.log, Seed: e.sc.Seed, ClientSecret: e.secret, Workers: d.Workers,
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
	e.closers = append(e.closers, func() { _ = deliv.Close() })
	return nil
}

// builtinSUT is the bundled integrator: replicas on one Redis behind a load balancer.
type builtinSUT struct {
	e        *env
	cfg      *BuiltinSUT
	prefix   string
	replicas []*sutReplica
	lb       *http.Server
	url      string
	mu       sync.Mutex
	next     atomic.Uint64
	// dying are crashed replicas whose goroutines are still winding down.
	dying sync.WaitGroup
	// observer reads the replicas' shared state in Redis (queue, dead letters, held
	// orders) without taking any work: the runner's view, whether replicas are in this
	// process or not.
	observer    *integrator.App
	observerRdb *redis.Client
}

type sutReplica struct {
	proc   *exec.Cmd // a replica run as a process; app, rdb and srv are then nil
	app    *integrator.App
	rdb    *redis.Client
	srv    *http.Server
	url    *url.URL
	proxy  *httputil.ReverseProxy
	cancel context.CancelFunc
	done   chan struct{}
	alive  atomic.Bool
}

func startBuiltin(e *env, cfg *BuiltinSUT) (*builtinSUT, error) {
	b := &builtinSUT{e: e, cfg: cfg, prefix: "peakready-run-" + strconv.FormatInt(time.Now().UnixNano(), 36)}
	if cfg.Processes && e.executable == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("sut builtin processes: cannot find the peakready executable: %w", err)
		}
		e.executable = exe
	}
	opt, err := redis.ParseURL(e.redis.URL())
	if err != nil {
		return nil, err
	}
	b.observerRdb = redis.NewClient(opt)
	b.observer, err = integrator.New(integrator.Config{Redis: b.observerRdb, Prefix: b.prefix, WebhookSecret: e.secret,
		NetSuiteURL: e.nsURL, NetSuiteToken: netsuiteToken, Clock: e.clock, Logger: e.log})
	if err != nil {
		_ = b.observerRdb.Close()
		return nil, err
	}
	for i := 0; i < cfg.Replicas; i++ {
		r, err := b.startReplica()
		if err != nil {
			b.stop()
			return nil, fmt.Errorf("integrator replica %d: %w", i, err)
		}
		b.replicas = append(b.replicas, r)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.stop()
		return nil, err
	}
	b.lb = &http.Server{Handler: http.HandlerFunc(b.balance), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = b.lb.Serve(ln) }()
	b.url = "http://" + ln.Addr().String()
	return b, nil
}

// startReplica starts one integrator replica, as a process or in this one.
func (b *builtinSUT) startReplica() (*sutReplica, error) {
	if b.cfg.Processes {
		return b.startProcess()
	}
	return b.startInProcess()
}

// startProcess runs `peakready integrator` on the run's Redis and fakes, with the run's
// clock; secrets go through the environment, never the command line.
func (b *builtinSUT) startProcess() (*sutReplica, error) {
	e := b.e
	args := []string{"integrator", "--addr", "127.0.0.1:0", "--redis", e.redis.URL(), "--prefix", b.prefix,
		"--netsuite-url", e.nsURL, "--log-level", "error",
		"--speed", strconv.FormatFloat(e.sc.Speed, 'f', -1, 64), "--clock-start", e.clock.Start().UTC().Format(time.RFC3339Nano)}
	if b.cfg.Workers > 0 {
		args = append(args, "--workers", strconv.Itoa(b.cfg.Workers))
	}
	if b.cfg.NetSuiteConcurrency > 0 {
		args = append(args, "--netsuite-concurrency", strconv.Itoa(b.cfg.NetSuiteConcurrency))
	}
	if b.cfg.RiskCheck == nil || *b.cfg.RiskCheck {
		args = append(args, "--shopify-url", e.shopURL)
	}
	cmd := exec.Command(e.executable, args...)
	cmd.Env = append(os.Environ(), "PEAKREADY_WEBHOOK_SECRET="+e.secret, "PEAKREADY_NETSUITE_TOKEN="+netsuiteToken,
		"PEAKREADY_SHOPIFY_TOKEN="+shopifyToken)
	cmd.Stderr = logWriter{e.log}
	dieWithParent(cmd)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s integrator: %w", e.executable, err)
	}
	r := &sutReplica{proc: cmd, done: make(chan struct{})}
	first := make(chan string, 1)
	go func() {
		br := bufio.NewReader(stdout)
		line, _ := br.ReadString('\n')
		first <- strings.TrimSpace(line)
		_, _ = io.Copy(io.Discard, br)
	}()
	go func() {
		_ = cmd.Wait()
		close(r.done)
	}()
	var line string
	select {
	case line = <-first:
	case <-time.After(30 * time.Second):
	}
	raw, ok := strings.CutPrefix(line, "listening on ")
	u, err := url.Parse(raw)
	if !ok || err != nil || u.Host == "" {
		_ = cmd.Process.Kill()
		<-r.done
		return nil, fmt.Errorf("peakready integrator did not start (first line %q); see the log", line)
	}
	r.url = u
	r.proxy = httputil.NewSingleHostReverseProxy(u)
	r.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	r.alive.Store(true)
	return r, nil
}

// logWriter passes a process's stderr lines to the run's logger.
type logWriter struct{ log *slog.Logger }

func (l logWriter) Write(p []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(p), "\n"), "\n") {
		if line != "" {
			l.log.Warn("integrator process: " + line)
		}
	}
	return len(p), nil
}

// startInProcess starts one integrator in this process, with its own Redis connections
// (so a crash can cut them) and its own HTTP server.
func (b *builtinSUT) startInProcess() (*sutReplica, error) {
	e := b.e
	opt, err := redis.ParseURL(e.redis.URL())
	if err != nil {
		return nil, err
	}
	rdb := redis.NewClient(opt)
	riskCheck := b.cfg.RiskCheck == nil || *b.cfg.RiskCheck
	shopURL := ""
	if riskCheck {
		shopURL = e.shopURL
	}
	app, err := integrator.New(integrator.Config{
		Redis: rdb, Prefix: b.prefix, WebhookSecret: e.secret,
		NetSuiteURL: e.nsURL, NetSuiteToken: netsuiteToken, NetSuiteConcurrency: b.cfg.NetSuiteConcurrency,
		ShopifyURL: shopURL, ShopifyToken: shopifyToken,
		Workers: b.cfg.Workers, Clock: e.clock, Logger: e.log,
	})
	if err != nil {
		_ = rdb.Close()
		return nil, err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		app.Close()
		_ = rdb.Close()
		return nil, err
	}
	u, _ := url.Parse("http://" + ln.Addr().String())
	r := &sutReplica{app: app, rdb: rdb, url: u, proxy: httputil.NewSingleHostReverseProxy(u), done: make(chan struct{})}
	r.proxy.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	r.srv = &http.Server{Handler: app.Handler(), ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = r.srv.Serve(ln) }()
	ctx, cancel := context.WithCancel(context.Background())
	r.cancel = cancel
	go func() {
		defer close(r.done)
		_ = app.Run(ctx)
	}()
	r.alive.Store(true)
	return r, nil
}

// balance spreads webhooks round-robin over the live replicas, as a load balancer with
// health checks would; with none alive it answers 502 and Shopify retries.
func (b *builtinSUT) balance(w http.ResponseWriter, r *http.Request) {
	b.mu.Lock()
	reps := b.replicas
	b.mu.Unlock()
	n := uint64(len(reps))
	start := b.next.Add(1)
	for i := uint64(0); i < n; i++ {
		rep := reps[(start+i)%n]
		if rep.alive.Load() {
			rep.proxy.ServeHTTP(w, r)
			return
		}
	}
	w.WriteHeader(http.StatusBadGateway)
}

// crash kills replica i the way a process dies: its Redis connections drop (so it can
// neither acknowledge nor hand back what it holds: its leases must expire), its HTTP
// server closes, its workers stop.
func (b *builtinSUT) crash(i int) {
	b.mu.Lock()
	r := b.replicas[i]
	b.mu.Unlock()
	if !r.alive.CompareAndSwap(true, false) {
		return
	}
	if r.proc != nil {
		_ = r.proc.Process.Kill() // SIGKILL: nothing is handed back, leases must expire
		b.dying.Add(1)
		go func() {
			defer b.dying.Done()
			<-r.done
		}()
		return
	}
	_ = r.rdb.Close()
	_ = r.srv.Close()
	r.cancel()
	// A dead process waits for nothing: its workers wind down in the background, unable
	// to acknowledge what they hold.
	b.dying.Add(1)
	go func() {
		defer b.dying.Done()
		<-r.done
		r.app.Close()
	}()
}

// restart brings replica i back as a new process would.
func (b *builtinSUT) restart(i int) error {
	r, err := b.startReplica()
	if err != nil {
		return err
	}
	// Copy on write: the balancer reads the slice it loaded without holding the lock.
	b.mu.Lock()
	reps := append([]*sutReplica(nil), b.replicas...)
	reps[i] = r
	b.replicas = reps
	b.mu.Unlock()
	return nil
}

func (b *builtinSUT) stop() {
	if b.lb != nil {
		_ = b.lb.Close()
	}
	b.mu.Lock()
	reps := b.replicas
	b.mu.Unlock()
	for _, r := range reps {
		if !r.alive.CompareAndSwap(true, false) {
			continue
		}
		if r.proc != nil {
			_ = r.proc.Process.Signal(os.Interrupt)
			select {
			case <-r.done:
			case <-time.After(20 * time.Second):
				_ = r.proc.Process.Kill()
				<-r.done
			}
			continue
		}
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		_ = r.srv.Shutdown(ctx)
		cancel()
		r.cancel()
		<-r.done
		r.app.Close()
		_ = r.rdb.Close()
	}
	b.dying.Wait()
	if b.observer != nil {
		b.observer.Close()
		_ = b.observerRdb.Close()
	}
}

// accounted reads what the bundled integrator held and dead-lettered.
func (b *builtinSUT) accounted(ctx context.Context) (Accounted, error) {
	acc := Accounted{Held: map[int64]bool{}, DeadLettered: map[int64]string{}}
	held, err := b.observer.Held(ctx)
	if err != nil {
		return acc, err
	}
	for _, h := range held {
		acc.Held[h.OrderID] = true
	}
	dead, err := b.observer.Queue().DLQ().List(ctx, queue.DLQFilter{}, 1_000_000)
	if err != nil {
		return acc, err
	}
	for _, d := range dead {
		if id, ok := orderIDOfKey(d.Message.Key); ok {
			acc.DeadLettered[id] = d.Reason + ": " + d.Error
		}
	}
	return acc, nil
}

func orderIDOfKey(key string) (int64, bool) {
	const p = "order:"
	if len(key) <= len(p) || key[:len(p)] != p {
		return 0, false
	}
	id, err := strconv.ParseInt(key[len(p):], 10, 64)
	return id, err == nil
}
