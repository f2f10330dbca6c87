package containertest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/wait"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/ledger"
)

// Port is the port every container of this package serves on, inside the container.
const Port = "8080/tcp"

// Label is set on every container (value: the subcommand, e.g. "fake netsuite").
const Label = "org.peakready.role"

// ErrNotInImage is returned (wrapped) when the image's peakready does not have the
// subcommand asked for: an image older than the fake.
var ErrNotInImage = errors.New("containertest: the image's peakready lacks this subcommand")

const defaultStartup = 60 * time.Second

// start runs `peakready SUBCOMMAND... --addr 0.0.0.0:8080 ARGS` and waits for the
// "listening on" line and a 200 from readyPath.
func start(ctx context.Context, r *request, subcommand []string, readyPath string) (testcontainers.Container, string, error) {
	if r.err != nil {
		return nil, "", r.err
	}
	image := r.image
	if image == "" {
		image = Image()
	}
	startup := r.startup
	if startup <= 0 {
		startup = defaultStartup
	}
	role := strings.Join(subcommand, " ")
	cmd := append(append(append([]string{}, subcommand...), "--addr=0.0.0.0:8080"), r.args...)
	opts := []testcontainers.ContainerCustomizer{
		testcontainers.WithCmd(cmd...),
		testcontainers.WithExposedPorts(Port),
		testcontainers.WithLabels(map[string]string{Label: role}),
		testcontainers.WithWaitStrategyAndDeadline(startup,
			wait.ForLog("listening on ").WithStartupTimeout(startup),
			wait.ForHTTP(readyPath).WithPort(Port).WithStartupTimeout(startup).
				WithStatusCodeMatcher(func(s int) bool { return s == http.StatusOK })),
	}
	if len(r.env) > 0 {
		opts = append(opts, testcontainers.WithEnv(r.env))
	}
	if len(r.files) > 0 {
		opts = append(opts, testcontainers.WithFiles(r.files...))
	}
	opts = append(opts, r.customizers...)
	ctr, err := testcontainers.Run(ctx, image, opts...)
	if err != nil {
		logs := containerLogs(ctr)
		if msg := err.Error(); strings.Contains(msg, "pull") || strings.Contains(msg, "No such image") {
			err = fmt.Errorf("%w (set %s to a local image on machines that cannot pull)", err, EnvImage)
		}
		err = fmt.Errorf("containertest: %s from %s: %w", role, image, err)
		if strings.Contains(logs, "unknown platform") || strings.Contains(logs, "unknown command") {
			err = fmt.Errorf("%w: %w", ErrNotInImage, err)
		}
		if logs != "" {
			err = fmt.Errorf("%w\ncontainer log:\n%s", err, logs)
		}
		return nil, "", errors.Join(err, terminate(ctr))
	}
	base, err := ctr.PortEndpoint(ctx, Port, "http")
	if err != nil {
		return nil, "", errors.Join(fmt.Errorf("containertest: %s: port: %w", role, err), terminate(ctr))
	}
	return ctr, base, nil
}

// containerLogs is the end of a failed container's output, or "".
func containerLogs(ctr testcontainers.Container) string {
	if ctr == nil {
		return ""
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	rc, err := ctr.Logs(ctx)
	if err != nil {
		return ""
	}
	defer rc.Close()
	data, _ := io.ReadAll(io.LimitReader(rc, 1<<20))
	// The cause is often first (a flag error before the usage) or last (a panic).
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > 25 {
		lines = append(append(lines[:10:10], "  ..."), lines[len(lines)-15:]...)
	}
	return strings.Join(lines, "\n")
}

func terminate(ctr testcontainers.Container) error {
	if ctr == nil {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	return ctr.Terminate(ctx)
}

// FakeContainer is a running fake: its URL and its admin API under /_fake/, the same
// for every platform. Terminate (of the embedded Container) removes it.
type FakeContainer struct {
	testcontainers.Container
	platform string
	url      string
	aliases  []string
	http     *http.Client
}

func runFake(ctx context.Context, platform string, r *request) (*FakeContainer, error) {
	ctr, base, err := start(ctx, r, []string{"fake", platform}, "/_fake/stats")
	if err != nil {
		return nil, err
	}
	return &FakeContainer{Container: ctr, platform: platform, url: base, aliases: r.aliases,
		http: &http.Client{Timeout: 30 * time.Second}}, nil
}

// Platform is the fake's platform: netsuite, shopify, salesforce or hubspot.
func (c *FakeContainer) Platform() string { return c.platform }

// URL is the fake's base URL from the host running the test, e.g.
// http://127.0.0.1:32768.
func (c *FakeContainer) URL() string { return c.url }

// InternalURL is the fake's base URL for other containers of the network given with
// WithNetwork (http://ALIAS:8080), or "" without one.
func (c *FakeContainer) InternalURL() string { return internalURL(c.aliases) }

func internalURL(aliases []string) string {
	if len(aliases) == 0 {
		return ""
	}
	return "http://" + aliases[0] + ":8080"
}

// Stats is GET /_fake/stats: requests, answers by status, throttles by reason, peak
// concurrency, faults injected, and the platform's limit state (Limits, decoded as
// generic JSON).
func (c *FakeContainer) Stats(ctx context.Context) (fakehttp.Stats, error) {
	var s fakehttp.Stats
	return s, c.admin(ctx, http.MethodGet, "/_fake/stats", nil, &s)
}

// Ledger is GET /_fake/ledger: every effect the fake had and the exact counts per
// record type, external id and natural key (the Shopify order id). q selects the record
// type, effects after a sequence number, a limit, counts only (NoEffects) or duplicated
// keys only.
func (c *FakeContainer) Ledger(ctx context.Context, q ledger.Query) (ledger.Snapshot, error) {
	v := url.Values{}
	if q.Record != "" {
		v.Set("record", q.Record)
	}
	if q.Since > 0 {
		v.Set("since", strconv.FormatInt(q.Since, 10))
	}
	if q.Limit > 0 {
		v.Set("limit", strconv.Itoa(q.Limit))
	}
	if q.NoEffects {
		v.Set("effects", "false")
	}
	if q.DuplicatesOnly {
		v.Set("duplicates", "true")
	}
	path := "/_fake/ledger"
	if len(v) > 0 {
		path += "?" + v.Encode()
	}
	var s ledger.Snapshot
	return s, c.admin(ctx, http.MethodGet, path, nil, &s)
}

// Reset is POST /_fake/reset: the fake forgets its records, ledger and stats.
func (c *FakeContainer) Reset(ctx context.Context) error {
	return c.admin(ctx, http.MethodPost, "/_fake/reset", nil, nil)
}

// SetFaults is PUT /_fake/faults: it replaces the fault rules and changes the limits
// the profile names, at run time.
func (c *FakeContainer) SetFaults(ctx context.Context, p fakehttp.Profile) error {
	return c.admin(ctx, http.MethodPut, "/_fake/faults", p, nil)
}

// AdminError is a non-2xx answer of an admin route.
type AdminError struct {
	Method, Path string
	Status       int
	Message      string
}

func (e *AdminError) Error() string {
	return fmt.Sprintf("containertest: %s %s: %d %s", e.Method, e.Path, e.Status, e.Message)
}

// admin calls an admin route with an optional JSON body and decodes a JSON answer into
// out (when not nil).
func (c *FakeContainer) admin(ctx context.Context, method, path string, body, out any) error {
	return callJSON(ctx, c.http, c.url, method, path, body, out)
}

func callJSON(ctx context.Context, hc *http.Client, base, method, path string, body, out any) error {
	var rd io.Reader
	if body != nil {
		data, err := json.Marshal(body)
		if err != nil {
			return fmt.Errorf("containertest: %s %s: %w", method, path, err)
		}
		rd = bytes.NewReader(data)
	}
	req, err := http.NewRequestWithContext(ctx, method, base+path, rd)
	if err != nil {
		return err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := hc.Do(req)
	if err != nil {
		return fmt.Errorf("containertest: %s %s: %w", method, path, err)
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, 256<<20))
	if err != nil {
		return fmt.Errorf("containertest: %s %s: %w", method, path, err)
	}
	if resp.StatusCode/100 != 2 {
		var e struct {
			Error string `json:"error"`
		}
		msg := strings.TrimSpace(string(data))
		if json.Unmarshal(data, &e) == nil && e.Error != "" {
			msg = e.Error
		}
		return &AdminError{Method: method, Path: path, Status: resp.StatusCode, Message: msg}
	}
	if out == nil {
		return nil
	}
	if err := json.Unmarshal(data, out); err != nil {
		return fmt.Errorf("containertest: %s %s: decode: %w", method, path, err)
	}
	return nil
}
