package sut

import (
	"context"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/integrator"
)

// replica is one integrator replica of the bundled system, in this process or as a
// process of its own.
type replica interface {
	// proxy forwards a request to the replica.
	proxy() http.Handler
	// crash kills the replica at once: nothing is handed back.
	crash()
	// stop shuts the replica down gracefully and waits until it has.
	stop()
	// done is closed once the replica has ended, after a crash or a stop.
	done() <-chan struct{}
}

func newProxy(u *url.URL) *httputil.ReverseProxy {
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorHandler = func(w http.ResponseWriter, _ *http.Request, _ error) { w.WriteHeader(http.StatusBadGateway) }
	return p
}

// inProcess is a replica in the runner's process: an integrator.App with its own Redis
// connections (so a crash can cut them) served on its own loopback listener.
type inProcess struct {
	rdb    *redis.Client
	rp     *httputil.ReverseProxy
	cancel context.CancelFunc
	ended  chan struct{}
}

func startInProcessReplica(b *bundled) (replica, error) {
	rdb, err := b.newRedisClient()
	if err != nil {
		return nil, err
	}
	app, err := integrator.New(b.integratorConfig(rdb))
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
	ctx, cancel := context.WithCancel(context.Background())
	r := &inProcess{rdb: rdb, rp: newProxy(&url.URL{Scheme: "http", Host: ln.Addr().String()}), cancel: cancel, ended: make(chan struct{})}
	go func() {
		defer close(r.ended)
		if err := app.Serve(ctx, ln); err != nil {
			b.log.Warn("integrator replica stopped", "err", err)
		}
	}()
	return r, nil
}

func (r *inProcess) proxy() http.Handler   { return r.rp }
func (r *inProcess) done() <-chan struct{} { return r.ended }

// crash closes the replica's Redis connections first, so it can acknowledge and hand back
// nothing, then shuts it down: a dead process waits for nothing.
func (r *inProcess) crash() {
	_ = r.rdb.Close()
	r.cancel()
}

func (r *inProcess) stop() {
	r.cancel()
	<-r.ended
	_ = r.rdb.Close()
}
