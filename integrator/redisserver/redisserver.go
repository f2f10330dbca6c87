// Package redisserver obtains the Redis that peakready's queue, limiters and scenarios run
// on: an in-process server for laptops and CI smoke runs, a throw-away container, or an
// existing server given by URL.
//
// The spec string accepted by Start is what the CLI's --redis flag takes:
//
//	""  or "embedded"        in-process miniredis on 127.0.0.1:<free port>
//	"docker"                 a durable Redis container, started through the Docker Engine API
//	"local"                  a redis-server from PATH, durable (AOF, appendfsync always),
//	                         files in a temporary folder; it can be restarted (Restart)
//	"redis://…", "rediss://…" an existing server, used as given
//
// Embedded mode is for laptops and CI smoke runs only: miniredis keeps everything in the
// Go process's memory, persists nothing (a crash or Close loses every queued message) and
// runs Lua scripts one at a time in an interpreter that is far slower than Redis's. Use
// a real Redis (docker or URL) for load tests and production.
package redisserver

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/alicebob/miniredis/v2"
	"github.com/redis/go-redis/v9"
)

// Environment variables read by this package.
const (
	// EnvImage names the Redis image used for "docker" specs (and so by
	// redisservertest.URL) when no Image option is given. Air-gapped machines point it at
	// a locally built image.
	EnvImage = "PEAKREADY_REDIS_IMAGE"
	// EnvURL, when set, makes redisservertest.URL use that Redis instead of starting a
	// container.
	EnvURL = "PEAKREADY_REDIS_URL"
	// EnvRequireDocker set to "1" makes redisservertest.URL fail, instead of skip, when
	// Docker is not available.
	EnvRequireDocker = "PEAKREADY_REQUIRE_DOCKER"
)

// DefaultImage is the image started for "docker" when neither the Image option nor
// PEAKREADY_REDIS_IMAGE says otherwise: the official Redis 7 image.
const DefaultImage = "redis:7-alpine"

// Mode says how a Server's Redis was obtained.
type Mode string

// The modes Start can return.
const (
	ModeEmbedded Mode = "embedded"
	ModeDocker   Mode = "docker"
	ModeExternal Mode = "external"
)

// ErrUnreachable is returned (wrapped) by Start when the Redis named by a URL does not
// answer PING.
var ErrUnreachable = errors.New("redisserver: redis unreachable")

// ErrDockerUnavailable is returned (wrapped) by Start for "docker" when no Docker daemon
// can be reached.
var ErrDockerUnavailable = errors.New("redisserver: docker unavailable")

// Option changes how Start obtains a Redis.
type Option func(*options)

type options struct {
	image       string
	args        []string
	pingTimeout time.Duration
}

// Image sets the container image for the "docker" spec. It wins over
// PEAKREADY_REDIS_IMAGE; without either, DefaultImage is used.
func Image(name string) Option { return func(o *options) { o.image = name } }

// PingTimeout bounds how long Start waits for a URL-given Redis to answer PING.
// The default is 5 seconds.
func PingTimeout(d time.Duration) Option { return func(o *options) { o.pingTimeout = d } }

// Server is a Redis obtained by Start. Its methods are safe for concurrent use.
type Server struct {
	mode   Mode
	url    string
	client *redis.Client
	stop   func() error
	local  *localRedis // ModeLocal only

	closeOnce sync.Once
	closeErr  error
}

// Start obtains the Redis described by spec (see the package comment). ctx bounds the
// start-up only: a container or embedded server keeps running until Close.
func Start(ctx context.Context, spec string, opts ...Option) (*Server, error) {
	o := options{pingTimeout: 5 * time.Second, args: DefaultArgs}
	for _, opt := range opts {
		opt(&o)
	}
	switch {
	case spec == "" || spec == "embedded":
		return startEmbedded()
	case spec == "docker":
		return startDocker(ctx, o.imageName(), o.args)
	case spec == "local":
		return startLocal(ctx)
	case strings.HasPrefix(spec, "redis://") || strings.HasPrefix(spec, "rediss://"):
		return useURL(ctx, spec, o.pingTimeout)
	default:
		return nil, fmt.Errorf("redisserver: unknown redis spec %q (want \"embedded\", \"docker\", \"local\" or a redis:// URL)", spec)
	}
}

func (o options) imageName() string {
	if o.image != "" {
		return o.image
	}
	if img := os.Getenv(EnvImage); img != "" {
		return img
	}
	return DefaultImage
}

// URL is the redis:// URL of the server, usable by any Redis client.
func (s *Server) URL() string { return s.url }

// Mode says how the server was obtained.
func (s *Server) Mode() Mode { return s.mode }

// Client is a client connected to the server, owned by the Server: Close closes it.
func (s *Server) Client() *redis.Client { return s.client }

// Close closes Client and stops what Start started: the embedded server or the
// container. A URL-given server is left running. Close is idempotent.
func (s *Server) Close() error {
	s.closeOnce.Do(func() {
		err := s.client.Close()
		if s.stop != nil {
			err = errors.Join(err, s.stop())
		}
		s.closeErr = err
	})
	return s.closeErr
}

func startEmbedded() (*Server, error) {
	m := miniredis.NewMiniRedis()
	if err := m.StartAddr("127.0.0.1:0"); err != nil {
		return nil, fmt.Errorf("redisserver: start embedded redis: %w", err)
	}
	// TTLs follow the wall clock, as on a real Redis; by default miniredis only expires
	// keys when told to, so dedup marks would live forever. Its own wall-clock mode
	// (ClockTTL) walks every key on every command, which makes a busy queue quadratic;
	// advancing the clock now and then costs one walk per tick instead. A walk sorts
	// every key under the server's lock (about 50 ms for 100,000 keys on the 2-core test
	// machine), so the ticks space out as the keys grow: see ttlTickAfter.
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		t := time.NewTimer(embeddedTTLTick)
		defer t.Stop()
		last := time.Now()
		for {
			select {
			case <-done:
				return
			case <-t.C:
				now := time.Now()
				m.FastForward(now.Sub(last))
				last = now
				t.Reset(ttlTickAfter(time.Since(now)))
			}
		}
	}()
	url := "redis://" + m.Addr()
	return &Server{
		mode:   ModeEmbedded,
		url:    url,
		client: redis.NewClient(&redis.Options{Addr: m.Addr()}),
		stop:   func() error { close(done); <-stopped; m.Close(); return nil },
	}, nil
}

// embeddedTTLTick is how often the embedded server expires keys while they are few, and
// embeddedTTLShare the most of its time the expiry walks may take when they are many.
// embeddedTTLMaxTick bounds how late a key expires however many there are.
const (
	embeddedTTLTick    = 250 * time.Millisecond
	embeddedTTLShare   = 0.05
	embeddedTTLMaxTick = 2 * time.Second
)

// ttlTickAfter is the wait before the embedded server's next expiry walk, after one that
// took walk: embeddedTTLTick, or longer when that would give the walks (which hold the
// server's lock, so every command waits for them) more than embeddedTTLShare of the
// time. A long scenario leaves hundreds of thousands of dedup marks, and walking them
// four times a second would stall the queue it measures; keys then expire up to
// embeddedTTLMaxTick late, later than on a real Redis.
func ttlTickAfter(walk time.Duration) time.Duration {
	return min(embeddedTTLMaxTick, max(embeddedTTLTick, time.Duration(float64(walk)/embeddedTTLShare)))
}

func useURL(ctx context.Context, url string, timeout time.Duration) (*Server, error) {
	opt, err := redis.ParseURL(url)
	if err != nil {
		return nil, fmt.Errorf("redisserver: parse %s: %w", RedactURL(url), err)
	}
	c := redis.NewClient(opt)
	if err := ping(ctx, c, timeout); err != nil {
		_ = c.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrUnreachable, RedactURL(url), err)
	}
	return &Server{mode: ModeExternal, url: url, client: c}, nil
}

func ping(ctx context.Context, c *redis.Client, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	return c.Ping(ctx).Err()
}

// RedactURL returns url with its password, if any, replaced by "xxxxx", so that it can
// go into a log line or an error message. A string that is not a URL is returned as is.
func RedactURL(url string) string {
	scheme, rest, ok := strings.Cut(url, "://")
	if !ok {
		return url
	}
	at := strings.LastIndex(rest, "@")
	if at < 0 {
		return url
	}
	user, _, hasPass := strings.Cut(rest[:at], ":")
	if !hasPass {
		return url
	}
	return scheme + "://" + user + ":xxxxx@" + rest[at+1:]
}
