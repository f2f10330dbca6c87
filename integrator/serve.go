package integrator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"time"
)

// Defaults of Serve's HTTP server.
const (
	// DefaultShutdownTimeout bounds how long Serve waits for webhook requests in flight
	// when it stops taking new ones.
	DefaultShutdownTimeout = 10 * time.Second
	// DefaultReadHeaderTimeout and DefaultReadTimeout bound how long one client may take
	// to send a request's headers and its whole body.
	DefaultReadHeaderTimeout = 10 * time.Second
	DefaultReadTimeout       = 30 * time.Second
)

// Serve runs the replica on ln until ctx ends or a part of it fails: the HTTP API
// (Handler) on ln and the workers (Run). Shutdown is ordered so that nothing answered is
// lost and nothing held is abandoned: first the server stops taking requests and waits,
// up to ShutdownTimeout, for those in flight (a webhook is answered 200 only once it is
// queued); then the workers finish the messages they hold, bounded by the queue's own
// shutdown timeout; then the limiters' background loops stop (Close).
//
// Before serving, Serve checks the Redis's durability as Config.RedisDurability says,
// and returns ErrVolatileRedis (closing ln) rather than acknowledge a webhook a restart
// could lose.
//
// Serve returns nil after a shutdown asked for by ctx, and otherwise the error that
// stopped the server or the workers (the other part is shut down in the same order).
// It closes ln (and the admin listener). Call it once per App.
func (a *App) Serve(ctx context.Context, ln net.Listener, opts ...ServeOption) error {
	var so serveOptions
	for _, o := range opts {
		o(&so)
	}
	if err := a.checkDurability(ctx); err != nil {
		_ = ln.Close()
		if so.admin != nil {
			_ = so.admin.Close()
		}
		a.Close()
		return err
	}
	handler := a.Handler()
	if so.admin != nil {
		handler = a.PublicHandler()
	}
	newServer := func(h http.Handler) *http.Server {
		return &http.Server{Handler: h,
			ReadHeaderTimeout: orDefault(a.cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
			ReadTimeout:       orDefault(a.cfg.ReadTimeout, DefaultReadTimeout)}
	}
	srv := newServer(handler)
	serveErr := make(chan error, 2)
	go func() { serveErr <- srv.Serve(ln) }()
	var adminSrv *http.Server
	if so.admin != nil {
		adminSrv = newServer(a.AdminHandler())
		go func() { serveErr <- adminSrv.Serve(so.admin) }()
	}

	runCtx, stopRun := context.WithCancel(context.WithoutCancel(ctx))
	defer stopRun()
	runErr := make(chan error, 1)
	go func() { runErr <- a.Run(runCtx) }()

	var failure error
	workersDone := false
	select {
	case <-ctx.Done():
		a.log.Info("shutting down")
	case err := <-serveErr:
		failure = fmt.Errorf("integrator: http server: %w", err)
	case err := <-runErr:
		workersDone = true
		if err == nil {
			err = errors.New("stopped")
		}
		failure = fmt.Errorf("integrator: workers: %w", err)
	}
	if failure != nil {
		a.log.Error("replica failing, shutting down", "err", failure)
	}

	// Stop taking webhooks first, then let the workers finish what they hold.
	shutdownCtx, cancel := context.WithTimeout(context.Background(), orDefault(a.cfg.ShutdownTimeout, DefaultShutdownTimeout))
	defer cancel()
	for _, s := range []*http.Server{srv, adminSrv} {
		if s != nil {
			if err := s.Shutdown(shutdownCtx); err != nil {
				_ = s.Close()
			}
		}
	}
	stopRun()
	if !workersDone {
		if err := <-runErr; err != nil && failure == nil {
			failure = fmt.Errorf("integrator: workers: %w", err)
		}
	}
	a.Close()
	return failure
}

func orDefault(d, def time.Duration) time.Duration {
	if d > 0 {
		return d
	}
	return def
}

// ServeOption configures Serve.
type ServeOption func(*serveOptions)

type serveOptions struct{ admin net.Listener }

// WithAdminListener serves the admin API on its own listener (e.g. an address only
// operators reach) instead of beside the webhooks.
func WithAdminListener(ln net.Listener) ServeOption {
	return func(o *serveOptions) { o.admin = ln }
}

// ErrVolatileRedis is returned by Serve when Config.RedisDurability is
// DurabilityRequired and the Redis can lose or evict acknowledged webhooks.
var ErrVolatileRedis = errors.New("integrator: the Redis can lose acknowledged webhooks")

// CheckRedisDurability applies Config.RedisDurability now: a program can refuse a
// volatile Redis before it announces that it listens. Serve calls it too; the check runs
// once.
func (a *App) CheckRedisDurability(ctx context.Context) error { return a.checkDurability(ctx) }

// checkDurability applies Config.RedisDurability, once.
func (a *App) checkDurability(ctx context.Context) error {
	if a.cfg.RedisDurability == "" || a.durabilityChecked.Load() {
		return nil
	}
	cctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	d, err := CheckRedisDurability(cctx, a.cfg.Redis)
	if err != nil {
		if a.cfg.RedisDurability == DurabilityRequired {
			return fmt.Errorf("integrator: could not read the Redis's persistence settings (%w); give a Redis that answers INFO, or start with --redis-durability=volatile-ok", err)
		}
		a.log.Warn("could not read the Redis's persistence settings", "err", err)
		return nil
	}
	for _, w := range d.Warnings {
		a.log.Warn("redis durability: " + w)
	}
	if !d.Volatile() {
		a.log.Info("redis durability checked", "aof", d.AOF, "appendfsync", d.AppendFsync, "maxmemory_policy", d.EvictionPolicy, "replicas", d.Replicas)
		a.durabilityChecked.Store(true)
		return nil
	}
	if a.cfg.RedisDurability == DurabilityRequired {
		return fmt.Errorf("%w: %s; or start with --redis-durability=volatile-ok to accept the risk", ErrVolatileRedis, strings.Join(d.Problems, "; "))
	}
	a.durabilityChecked.Store(true)
	for _, p := range d.Problems {
		a.log.Warn("redis is volatile (accepted with volatile-ok): " + p)
	}
	return nil
}
