package redisserver

// The "docker" spec talks to the Docker Engine API through its Go client
// (github.com/moby/moby/client, the client testcontainers-go itself uses), not through
// testcontainers-go and not through the docker CLI:
//
//   - testcontainers-go's root package imports testing and testify for its test helpers,
//     which would link test code into the peakready binary (cmd/peakready/deps_test.go
//     forbids that); tests keep using it, in redisservertest.
//   - the docker CLI is often absent where a daemon is reachable: in the peakready image
//     itself (FROM scratch) with the daemon's socket mounted, or in CI jobs that reach a
//     docker:dind service through DOCKER_HOST; and its output is text to parse.
//
// The client reads DOCKER_HOST, DOCKER_TLS_VERIFY, DOCKER_CERT_PATH and
// DOCKER_API_VERSION like the CLI, and negotiates the API version with the daemon
// (Engine API 1.40, Docker 19.03, and later).

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"net/url"
	"strings"
	"time"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/cpuguy83/dockercfg"
	"github.com/distribution/reference"
	"github.com/moby/moby/api/pkg/authconfig"
	"github.com/moby/moby/api/pkg/stdcopy"
	"github.com/moby/moby/api/types/container"
	"github.com/moby/moby/api/types/network"
	"github.com/moby/moby/api/types/registry"
	"github.com/moby/moby/client"
	"github.com/redis/go-redis/v9"
)

// Label is set on every container the "docker" spec starts (value "redis"), so a
// leftover one can be found: docker ps --filter label=org.peakready.role.
const Label = "org.peakready.role"

// DefaultArgs are the arguments the "docker" spec gives the image's entrypoint (they
// replace the image's CMD): a durable Redis, the one the integrator requires. Each
// write is in the append-only file within a second; memory never evicts a key. The
// official image's entrypoint runs redis-server with arguments that start with "--";
// bind and protected-mode make an image whose entrypoint is redis-server itself (such
// as the one .ci/redis-image.sh builds) reachable through the published port.
var DefaultArgs = []string{
	"--bind", "0.0.0.0", "--protected-mode", "no",
	"--appendonly", "yes", "--appendfsync", "everysec",
	"--maxmemory-policy", "noeviction",
}

// Args replaces DefaultArgs as the container's command for the "docker" spec.
func Args(args ...string) Option {
	return func(o *options) { o.args = append([]string(nil), args...) }
}

// Timeouts of the "docker" spec.
const (
	dockerPingTimeout  = 10 * time.Second // the daemon answers
	dockerReadyTimeout = 60 * time.Second // the container's Redis answers PING
	dockerRemoveWait   = 30 * time.Second // Close waits this long for the removal
)

// DockerAvailable reports whether a Docker daemon answers within 10 seconds: nil when
// one does, an error wrapping ErrDockerUnavailable with the reason when not.
func DockerAvailable(ctx context.Context) error {
	cli, err := dockerClient(ctx)
	if err != nil {
		return err
	}
	return cli.Close()
}

// dockerClient connects to the daemon named by the environment and negotiates the API
// version; any failure wraps ErrDockerUnavailable.
func dockerClient(ctx context.Context) (*client.Client, error) {
	cli, err := client.New(client.FromEnv)
	if err != nil {
		return nil, fmt.Errorf("%w: %w", ErrDockerUnavailable, err)
	}
	pctx, cancel := context.WithTimeout(ctx, dockerPingTimeout)
	defer cancel()
	if _, err := cli.Ping(pctx, client.PingOptions{NegotiateAPIVersion: true}); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("%w: %s: %w", ErrDockerUnavailable, cli.DaemonHost(), err)
	}
	return cli, nil
}

// startDocker runs image with args, port 6379 published on a free host port, and waits
// until Redis answers PING through that port. The image is pulled when the daemon does
// not have it. Close removes the container and its anonymous volumes.
func startDocker(ctx context.Context, image string, args []string) (*Server, error) {
	cli, err := dockerClient(ctx)
	if err != nil {
		return nil, err
	}
	if err := ensureImage(ctx, cli, image); err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("redisserver: image %s (set %s to a local image on machines that cannot pull): %w", image, EnvImage, err)
	}
	bindIP, host := publishAddress(cli.DaemonHost())
	port := network.MustParsePort("6379/tcp")
	created, err := cli.ContainerCreate(ctx, client.ContainerCreateOptions{
		Config: &container.Config{
			Image:        image,
			Cmd:          args,
			ExposedPorts: network.PortSet{port: {}},
			Labels:       map[string]string{Label: "redis"},
		},
		HostConfig: &container.HostConfig{
			// An empty HostPort lets the daemon pick a free one.
			PortBindings: network.PortMap{port: {{HostIP: bindIP}}},
		},
	})
	if err != nil {
		_ = cli.Close()
		return nil, fmt.Errorf("redisserver: create container of %s: %w", image, err)
	}
	id := created.ID
	remove := func() error {
		// The removal runs even when ctx is cancelled (an interrupted start).
		rctx, cancel := context.WithTimeout(context.Background(), dockerRemoveWait)
		defer cancel()
		_, err := cli.ContainerRemove(rctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
		if err != nil && !cerrdefs.IsNotFound(err) {
			err = fmt.Errorf("redisserver: remove container %.12s: %w", id, err)
		} else {
			err = nil
		}
		return errors.Join(err, cli.Close())
	}
	fail := func(err error) (*Server, error) { return nil, errors.Join(err, remove()) }

	if _, err := cli.ContainerStart(ctx, id, client.ContainerStartOptions{}); err != nil {
		return fail(fmt.Errorf("redisserver: start container of %s: %w", image, err))
	}
	hostPort, err := publishedPort(ctx, cli, id, port)
	if err != nil {
		return fail(fmt.Errorf("redisserver: container of %s: %w", image, err))
	}
	addr := net.JoinHostPort(host, hostPort)
	if err := waitReady(ctx, cli, id, addr); err != nil {
		return fail(fmt.Errorf("redisserver: container of %s at %s: %w", image, addr, err))
	}
	c := redis.NewClient(&redis.Options{Addr: addr})
	return &Server{mode: ModeDocker, url: "redis://" + addr, client: c, stop: remove}, nil
}

// ensureImage pulls image unless the daemon has it. A registry that refuses an
// anonymous pull is asked again with the credentials the docker CLI would use
// (~/.docker/config.json and its credential helpers).
func ensureImage(ctx context.Context, cli *client.Client, image string) error {
	_, err := cli.ImageInspect(ctx, image)
	if err == nil {
		return nil
	}
	if !cerrdefs.IsNotFound(err) {
		return err
	}
	pull, err := cli.ImagePull(ctx, image, client.ImagePullOptions{PrivilegeFunc: func(context.Context) (string, error) {
		return registryAuth(image)
	}})
	if err != nil {
		return fmt.Errorf("not present and pull failed: %w", err)
	}
	defer pull.Close()
	if err := pull.Wait(ctx); err != nil {
		return fmt.Errorf("not present and pull failed: %w", err)
	}
	return nil
}

// registryAuth encodes the docker CLI's credentials for image's registry.
func registryAuth(image string) (string, error) {
	ref, err := reference.ParseNormalizedNamed(image)
	if err != nil {
		return "", err
	}
	host := dockercfg.ResolveRegistryHost(reference.Domain(ref))
	user, secret, err := dockercfg.GetRegistryCredentials(host)
	if err != nil {
		return "", fmt.Errorf("credentials for %s: %w", host, err)
	}
	auth := registry.AuthConfig{Username: user, Password: secret, ServerAddress: host}
	if user == "" {
		auth = registry.AuthConfig{IdentityToken: secret, ServerAddress: host}
	}
	return authconfig.Encode(auth)
}

// publishAddress says where to publish the port and where to reach it. A local daemon
// (unix socket, named pipe) publishes on loopback only. A daemon reached over TCP (a
// docker:dind service in CI, a remote engine) publishes on all its interfaces and is
// reached at its own host name.
func publishAddress(daemonHost string) (bindIP netip.Addr, host string) {
	loopback := netip.MustParseAddr("127.0.0.1")
	u, err := url.Parse(daemonHost)
	if err != nil || (u.Scheme != "tcp" && u.Scheme != "http" && u.Scheme != "https") || u.Hostname() == "" {
		return loopback, "127.0.0.1"
	}
	if ip, err := netip.ParseAddr(u.Hostname()); err == nil && ip.IsLoopback() {
		return loopback, u.Hostname()
	}
	return netip.Addr{}, u.Hostname()
}

// publishedPort is the host port the daemon chose for port. A container that has
// already stopped (bad arguments, an image that is not Redis) has none: the error says
// so, with the end of its log.
func publishedPort(ctx context.Context, cli *client.Client, id string, port network.Port) (string, error) {
	ins, err := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
	if err != nil {
		return "", fmt.Errorf("inspect: %w", err)
	}
	if st := ins.Container.State; st != nil && !st.Running {
		return "", stopped(cli, id, st)
	}
	if ns := ins.Container.NetworkSettings; ns != nil {
		for _, b := range ns.Ports[port] {
			if b.HostPort != "" {
				return b.HostPort, nil
			}
		}
	}
	return "", fmt.Errorf("port %s is not published", port)
}

// stopped is the error for a container that stopped before Redis answered.
func stopped(cli *client.Client, id string, st *container.State) error {
	return fmt.Errorf("%w: the container stopped (%s, exit code %d); its log ends:\n%s", ErrUnreachable, st.Status, st.ExitCode, logTail(cli, id))
}

// waitReady waits until Redis at addr answers PING, for at most dockerReadyTimeout. A
// container that stops meanwhile ends the wait with its exit code and the end of its
// log.
func waitReady(ctx context.Context, cli *client.Client, id, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, dockerReadyTimeout)
	defer cancel()
	for {
		err := rawPing(ctx, addr)
		if err == nil {
			return nil
		}
		ins, ierr := cli.ContainerInspect(ctx, id, client.ContainerInspectOptions{})
		if ierr == nil && ins.Container.State != nil && !ins.Container.State.Running {
			return stopped(cli, id, ins.Container.State)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%w: no answer to PING within %s: %w; its log ends:\n%s", ErrUnreachable, dockerReadyTimeout, err, logTail(cli, id))
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// rawPing sends one PING on a new connection and expects +PONG. It is used while the
// container starts instead of go-redis, whose pool logs every refused dial.
func rawPing(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return err
	}
	defer conn.Close()
	if dl, ok := ctx.Deadline(); ok {
		_ = conn.SetDeadline(dl)
	}
	if _, err := conn.Write([]byte("*1\r\n$4\r\nPING\r\n")); err != nil {
		return err
	}
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return err
	}
	if line = strings.TrimSpace(line); line != "+PONG" {
		return fmt.Errorf("PING answered %q", line)
	}
	return nil
}

// logTail is the last lines of the container's output, for an error message.
func logTail(cli *client.Client, id string) string {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := cli.ContainerLogs(ctx, id, client.ContainerLogsOptions{ShowStdout: true, ShowStderr: true, Tail: "20"})
	if err != nil {
		return "(no log: " + err.Error() + ")"
	}
	defer rc.Close()
	var out bytes.Buffer
	if _, err := stdcopy.StdCopy(&out, &out, io.LimitReader(rc, 64<<10)); err != nil && out.Len() == 0 {
		return "(no log: " + err.Error() + ")"
	}
	return strings.TrimRight(out.String(), "\n")
}
