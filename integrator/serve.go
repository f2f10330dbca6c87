package integrator

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
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
// Serve returns nil after a shutdown asked for by ctx, and otherwise the error that
// stopped the server or the workers (the other part is shut down in the same order).
// It closes ln. Call it once per App.
func (a *App) Serve(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{
		Handler:           a.Handler(),
		ReadHeaderTimeout: orDefault(a.cfg.ReadHeaderTimeout, DefaultReadHeaderTimeout),
		ReadTimeout:       orDefault(a.cfg.ReadTimeout, DefaultReadTimeout),
	}
	serveErr := make(chan error, 1)
	go func() { serveErr <- srv.Serve(ln) }()

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
	if err := srv.Shutdown(shutdownCtx); err != nil {
		_ = srv.Close()
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
