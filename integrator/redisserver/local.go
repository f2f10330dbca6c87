package redisserver

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"strconv"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// ModeLocal is a redis-server process started from PATH, with its files in a temporary
// folder: a real Redis on a machine without Docker, durable (AOF, appendfsync always),
// and one that Restart can kill and start again on its own files.
const ModeLocal Mode = "local"

// ErrNotRestartable is returned by Restart for a Redis this package did not start as a
// process.
var ErrNotRestartable = errors.New("redisserver: only a local redis-server can be restarted")

// localRedis is a redis-server process and what it needs to be started again.
type localRedis struct {
	bin, dir string
	port     int

	mu     sync.Mutex
	cmd    *exec.Cmd
	exited chan struct{} // closed when cmd has been waited for
}

func startLocal(ctx context.Context) (*Server, error) {
	bin, err := exec.LookPath("redis-server")
	if err != nil {
		return nil, errors.New("redisserver: local: redis-server is not on PATH (install it, or use --redis docker or a redis:// URL)")
	}
	dir, err := os.MkdirTemp("", "peakready-redis-")
	if err != nil {
		return nil, fmt.Errorf("redisserver: local: %w", err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		_ = os.RemoveAll(dir)
		return nil, fmt.Errorf("redisserver: local: %w", err)
	}
	port := ln.Addr().(*net.TCPAddr).Port
	_ = ln.Close()
	l := &localRedis{bin: bin, dir: dir, port: port}
	c := redis.NewClient(&redis.Options{Addr: l.addr()})
	if err := l.start(ctx, c); err != nil {
		_ = c.Close()
		_ = os.RemoveAll(dir)
		return nil, err
	}
	return &Server{
		mode:   ModeLocal,
		url:    "redis://" + l.addr(),
		client: c,
		local:  l,
		stop:   func() error { l.kill(); return os.RemoveAll(dir) },
	}, nil
}

func (l *localRedis) addr() string { return "127.0.0.1:" + strconv.Itoa(l.port) }

// start runs redis-server on the folder's files and waits for PING.
func (l *localRedis) start(ctx context.Context, c *redis.Client) error {
	cmd := exec.Command(l.bin, "--port", strconv.Itoa(l.port), "--bind", "127.0.0.1", "--dir", l.dir,
		"--save", "", "--appendonly", "yes", "--appendfsync", "always", "--maxmemory-policy", "noeviction")
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("redisserver: local: start redis-server: %w", err)
	}
	exited := make(chan struct{})
	go func() { _ = cmd.Wait(); close(exited) }()
	l.mu.Lock()
	l.cmd, l.exited = cmd, exited
	l.mu.Unlock()
	deadline := time.Now().Add(30 * time.Second)
	for {
		if err := ping(ctx, c, time.Second); err == nil {
			return nil
		}
		select {
		case <-exited:
			return fmt.Errorf("redisserver: local: redis-server on port %d exited at start (port taken?)", l.port)
		case <-ctx.Done():
			_ = cmd.Process.Kill()
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			_ = cmd.Process.Kill()
			return fmt.Errorf("redisserver: local: redis-server on port %d did not answer within 30 s", l.port)
		}
	}
}

func (l *localRedis) kill() {
	l.mu.Lock()
	cmd, exited := l.cmd, l.exited
	l.mu.Unlock()
	if cmd != nil {
		_ = cmd.Process.Kill()
		<-exited
	}
}

// Restart kills the Redis with SIGKILL, as a crash would, holds it down for down, and
// starts it again on its own files; with appendfsync always, nothing it acknowledged is
// lost. Clients reconnect on their own. Only ModeLocal servers can be restarted.
func (s *Server) Restart(ctx context.Context, down time.Duration) error {
	if s.local == nil {
		return ErrNotRestartable
	}
	s.local.kill()
	select {
	case <-time.After(down):
	case <-ctx.Done():
		return ctx.Err()
	}
	return s.local.start(ctx, s.client)
}
