package sut

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"time"
)

// processStartTimeout bounds how long a replica process may take to answer /readyz.
const processStartTimeout = 30 * time.Second

// process is a replica run as `peakready integrator`, on the run's Redis and fakes, with
// the run's clock. The runner opens its listening socket and hands it down (--listen-fd),
// so it knows the replica's address before the replica starts; secrets go through the
// environment, never the command line.
type process struct {
	cmd   *exec.Cmd
	rp    *httputil.ReverseProxy
	ended chan struct{}
}

func startProcessReplica(b *bundled) (replica, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	sock, err := ln.(*net.TCPListener).File()
	_ = ln.Close() // the child holds its own descriptor of the socket
	if err != nil {
		return nil, err
	}
	defer sock.Close()
	u := &url.URL{Scheme: "http", Host: ln.Addr().String()}

	up := b.up
	args := []string{"integrator", "--listen-fd", "3", "--redis", b.redis.URL(), "--prefix", b.prefix,
		"--netsuite-url", up.NetSuiteURL, "--log-level", "error", "--redis-durability", b.durability()}
	if up.Clock != nil {
		args = append(args, "--speed", strconv.FormatFloat(up.Clock.Speed(), 'f', -1, 64),
			"--clock-start", up.Clock.Start().UTC().Format(time.RFC3339Nano))
	}
	if b.cfg.Workers > 0 {
		args = append(args, "--workers", strconv.Itoa(b.cfg.Workers))
	}
	if b.cfg.NetSuiteConcurrency > 0 {
		args = append(args, "--netsuite-concurrency", strconv.Itoa(b.cfg.NetSuiteConcurrency))
	}
	env := append(os.Environ(), "PEAKREADY_WEBHOOK_SECRET="+bundledSecret)
	if c := up.Credentials; c.NetSuiteClientID != "" {
		env = append(env, "PEAKREADY_NETSUITE_CLIENT_ID="+c.NetSuiteClientID, "PEAKREADY_NETSUITE_CERTIFICATE_ID="+c.NetSuiteCertificateID,
			"PEAKREADY_NETSUITE_PRIVATE_KEY="+c.NetSuitePrivateKey)
	} else {
		env = append(env, "PEAKREADY_NETSUITE_TOKEN="+c.NetSuiteToken)
	}
	if up.NetSuiteCustomer != "" {
		args = append(args, "--netsuite-customer", up.NetSuiteCustomer)
	}
	if b.readsShopify() {
		args = append(args, "--shopify-url", up.ShopifyURL)
		env = append(env, "PEAKREADY_SHOPIFY_TOKEN="+up.Credentials.ShopifyToken)
	}
	if b.cfg.PollerEvery > 0 {
		args = append(args, "--missed-webhook-poller", "on", "--poller-every", b.cfg.PollerEvery.String())
	}
	if e := up.ERP; e != nil {
		args = append(args, "--inventory", "on", "--fulfillments", "on", "--shopify-safety-stock", strconv.Itoa(e.SafetyStock))
		env = append(env, "PEAKREADY_INVENTORY_PUSH_SECRET="+e.PushSecret)
	}
	if b.flowOn() {
		args = append(args, "--flow", "on")
		env = append(env, "PEAKREADY_FLOW_SECRET="+bundledFlowSecret)
	}
	crmArgs, crmEnv := b.crmArgs()
	args, env = append(args, crmArgs...), append(env, crmEnv...)
	cmd := exec.Command(b.cfg.Executable, args...)
	cmd.Env = env
	cmd.ExtraFiles = []*os.File{sock} // descriptor 3
	cmd.Stderr = logWriter{b.log}
	dieWithParent(cmd)
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s integrator: %w", b.cfg.Executable, err)
	}
	p := &process{cmd: cmd, rp: newProxy(u), ended: make(chan struct{})}
	go func() {
		_ = cmd.Wait()
		close(p.ended)
	}()
	if err := waitReady(u, p.ended); err != nil {
		p.crash()
		<-p.ended
		return nil, fmt.Errorf("peakready integrator did not start: %w; see the log", err)
	}
	return p, nil
}

// waitReady polls the replica's /readyz until it answers 200, the process ends, or
// processStartTimeout passes.
func waitReady(u *url.URL, ended <-chan struct{}) error {
	ctx, cancel := context.WithTimeout(context.Background(), processStartTimeout)
	defer cancel()
	client := &http.Client{Timeout: 2 * time.Second}
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u.String()+"/readyz", nil)
		if resp, err := client.Do(req); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		select {
		case <-ended:
			return errors.New("the process exited")
		case <-ctx.Done():
			return fmt.Errorf("not ready after %s", processStartTimeout)
		case <-tick.C:
		}
	}
}

func (p *process) proxy() http.Handler   { return p.rp }
func (p *process) done() <-chan struct{} { return p.ended }

// crash sends SIGKILL: nothing is handed back, leases must expire.
func (p *process) crash() { _ = p.cmd.Process.Kill() }

// stop sends SIGINT and waits for the ordered shutdown, killing the process after 20 s.
func (p *process) stop() {
	_ = p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.ended:
	case <-time.After(20 * time.Second):
		p.crash()
		<-p.ended
	}
}

// logWriter passes a process's stderr lines to the run's logger.
type logWriter struct{ log *slog.Logger }

func (l logWriter) Write(b []byte) (int, error) {
	for _, line := range strings.Split(strings.TrimRight(string(b), "\n"), "\n") {
		if line != "" {
			l.log.Warn("integrator process: " + line)
		}
	}
	return len(b), nil
}
