package redisservertest

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/peakready/peakready/integrator/redisserver"
)

// container is a Redis started for tests with testcontainers-go. Tests use
// testcontainers-go (its reaper, its Docker configuration, its wait strategies);
// the binary's "docker" spec uses the Engine API client instead, to keep test code out
// of it (see redisserver's docker.go).
type container struct {
	url       string
	terminate func() error
}

// startContainer runs PEAKREADY_REDIS_IMAGE (default redis:7-alpine) with the image's
// own command, which is all a test needs, and waits until Redis answers PING through the
// published port.
func startContainer(ctx context.Context) (*container, error) {
	image := os.Getenv(redisserver.EnvImage)
	if image == "" {
		image = redisserver.DefaultImage
	}
	ctr, err := testcontainers.Run(ctx, image,
		testcontainers.WithExposedPorts("6379/tcp"),
		// Log-based: both the official image and a FROM-scratch image print this line,
		// and a scratch image has no shell for the port-listening probe.
		testcontainers.WithWaitStrategy(wait.ForLog("Ready to accept connections").WithStartupTimeout(60*time.Second)),
		testcontainers.WithLabels(map[string]string{redisserver.Label: "redis"}),
	)
	terminate := func() error {
		if ctr == nil {
			return nil
		}
		tctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		return ctr.Terminate(tctx)
	}
	if err != nil {
		return nil, errors.Join(fmt.Errorf("start container %s (set %s to a local image on machines that cannot pull): %w", image, redisserver.EnvImage, err), terminate())
	}
	addr, err := ctr.PortEndpoint(ctx, "6379/tcp", "")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("container %s port: %w", image, err), terminate())
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	defer c.Close()
	// The published port can lag the log line by a moment.
	deadline := time.Now().Add(30 * time.Second)
	for {
		pctx, cancel := context.WithTimeout(ctx, 2*time.Second)
		err = c.Ping(pctx).Err()
		cancel()
		if err == nil {
			return &container{url: "redis://" + addr, terminate: terminate}, nil
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			return nil, errors.Join(fmt.Errorf("container %s at %s: %w: %w", image, addr, redisserver.ErrUnreachable, err), terminate())
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dockerAvailable asks the Docker daemon testcontainers-go would use, within 10
// seconds. testcontainers-go panics on some broken environments; that counts as
// unavailable.
func dockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", redisserver.ErrDockerUnavailable, r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", redisserver.ErrDockerUnavailable, err)
	}
	// NewDockerClientWithOpts has asked the daemon for its info by now.
	return cli.Close()
}
