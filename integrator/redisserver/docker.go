package redisserver

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"
)

// DockerAvailable reports whether a Docker daemon answers within 10 seconds: nil when
// one does, an error wrapping ErrDockerUnavailable with the reason when not.
// testcontainers panics on some broken environments; that counts as unavailable.
func DockerAvailable(ctx context.Context) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("%w: %v", ErrDockerUnavailable, r)
		}
	}()
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cli, err := testcontainers.NewDockerClientWithOpts(ctx)
	if err != nil {
		return fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
	}
	defer cli.Close()
	return nil
}

// startDocker runs image with port 6379 published on a free host port and waits until
// Redis answers PING through that port. The container is removed by Close.
func startDocker(ctx context.Context, image string) (*Server, error) {
	if err := DockerAvailable(ctx); err != nil {
		return nil, err
	}
	ctr, err := testcontainers.Run(ctx, image,
		testcontainers.WithExposedPorts("6379/tcp"),
		// Log-based: both the official image and a FROM-scratch image print this line,
		// and a scratch image has no shell for the port-listening probe.
		testcontainers.WithWaitStrategy(wait.ForLog("Ready to accept connections").WithStartupTimeout(60*time.Second)),
		testcontainers.WithLabels(map[string]string{"org.peakready.role": "redis"}),
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
		return nil, errors.Join(fmt.Errorf("redisserver: start container %s (set %s to a local image on machines that cannot pull): %w", image, EnvImage, err), terminate())
	}
	addr, err := ctr.PortEndpoint(ctx, "6379/tcp", "")
	if err != nil {
		return nil, errors.Join(fmt.Errorf("redisserver: container %s port: %w", image, err), terminate())
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	// The published port can lag the log line by a moment.
	deadline := time.Now().Add(30 * time.Second)
	for {
		err = ping(ctx, c, 2*time.Second)
		if err == nil {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			_ = c.Close()
			return nil, errors.Join(fmt.Errorf("redisserver: container %s at %s: %w: %w", image, addr, ErrUnreachable, err), terminate())
		}
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	return &Server{
		mode:   ModeDocker,
		url:    "redis://" + addr,
		client: c,
		stop:   terminate,
	}, nil
}
