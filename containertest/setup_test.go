package containertest_test

import (
	"context"
	"fmt"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/testcontainers/testcontainers-go"

	"github.com/peakready/peakready/containertest"
)

// Environment the tests read (the same names as the Redis tests).
const envRequireDocker = "PEAKREADY_REQUIRE_DOCKER"

var (
	dockerOnce sync.Once
	dockerErr  error
)

// needImage skips t unless a Docker daemon answers and PEAKREADY_IMAGE names the image
// to test (one built from this checkout: make image, then
// PEAKREADY_IMAGE=peakready/peakready:local). With PEAKREADY_REQUIRE_DOCKER=1 both are
// required, and t fails instead.
func needImage(t *testing.T) {
	t.Helper()
	dockerOnce.Do(func() {
		defer func() {
			if r := recover(); r != nil { // testcontainers-go panics on some broken setups
				dockerErr = fmt.Errorf("%v", r)
			}
		}()
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		cli, err := testcontainers.NewDockerClientWithOpts(ctx)
		if err != nil {
			dockerErr = err
			return
		}
		_ = cli.Close()
	})
	skip := t.Skipf
	if os.Getenv(envRequireDocker) == "1" {
		skip = t.Fatalf
	}
	if dockerErr != nil {
		skip("containertest: Docker is not available (%v); set %s=1 to fail instead of skipping", dockerErr, envRequireDocker)
	}
	if os.Getenv(containertest.EnvImage) == "" {
		skip("containertest: set %s to the image to test, e.g. peakready/peakready:local after make image (the published %s would test another version than this checkout)",
			containertest.EnvImage, containertest.DefaultImage())
	}
}

// terminate removes c when t ends.
func terminate(t *testing.T, c testcontainers.Container) {
	t.Helper()
	t.Cleanup(func() {
		if err := testcontainers.TerminateContainer(c); err != nil {
			t.Errorf("terminate: %v", err)
		}
	})
}
