package containertest

import (
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/testcontainers/testcontainers-go"
	"github.com/testcontainers/testcontainers-go/network"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// request is what the options build: the subcommand's arguments and the container's
// settings.
type request struct {
	image       string
	args        []string
	env         map[string]string
	files       []testcontainers.ContainerFile
	customizers []testcontainers.ContainerCustomizer
	aliases     []string
	startup     time.Duration
	err         error // the first invalid option
}

func (r *request) flag(name, value string) { r.args = append(r.args, "--"+name+"="+value) }

func (r *request) fail(format string, a ...any) {
	if r.err == nil {
		r.err = fmt.Errorf(format, a...)
	}
}

// The option kinds. Each Run function takes its own kind; the common kinds satisfy
// every Run function they make sense for.
type (
	// NetSuiteOption configures RunNetSuite.
	NetSuiteOption interface{ applyNetSuite(*request) }
	// ShopifyOption configures RunShopify.
	ShopifyOption interface{ applyShopify(*request) }
	// SalesforceOption configures RunSalesforce.
	SalesforceOption interface{ applySalesforce(*request) }
	// HubSpotOption configures RunHubSpot.
	HubSpotOption interface{ applyHubSpot(*request) }
	// IntegratorOption configures RunIntegrator.
	IntegratorOption interface{ applyIntegrator(*request) }
)

// Option configures any container of this package.
type Option func(*request)

func (o Option) applyNetSuite(r *request)   { o(r) }
func (o Option) applyShopify(r *request)    { o(r) }
func (o Option) applySalesforce(r *request) { o(r) }
func (o Option) applyHubSpot(r *request)    { o(r) }
func (o Option) applyIntegrator(r *request) { o(r) }

// FakeOption configures any fake (the flags every `peakready fake` takes).
type FakeOption func(*request)

func (o FakeOption) applyNetSuite(r *request)   { o(r) }
func (o FakeOption) applyShopify(r *request)    { o(r) }
func (o FakeOption) applySalesforce(r *request) { o(r) }
func (o FakeOption) applyHubSpot(r *request)    { o(r) }

type (
	netSuiteOption   func(*request)
	shopifyOption    func(*request)
	salesforceOption func(*request)
	hubSpotOption    func(*request)
	integratorOption func(*request)
)

func (o netSuiteOption) applyNetSuite(r *request)     { o(r) }
func (o shopifyOption) applyShopify(r *request)       { o(r) }
func (o salesforceOption) applySalesforce(r *request) { o(r) }
func (o hubSpotOption) applyHubSpot(r *request)       { o(r) }
func (o integratorOption) applyIntegrator(r *request) { o(r) }

// WithImage runs image instead of PEAKREADY_IMAGE or the published one.
func WithImage(image string) Option { return func(r *request) { r.image = image } }

// WithFlag passes --name=value to the subcommand, for a flag without a typed option.
// Repeatable flags take one WithFlag each.
func WithFlag(name, value string) Option {
	return func(r *request) { r.flag(strings.TrimLeft(name, "-"), value) }
}

// WithEnv sets an environment variable in the container (the integrator reads every
// setting from PEAKREADY_* variables; secrets are better given this way than as flags).
func WithEnv(name, value string) Option {
	return func(r *request) {
		if r.env == nil {
			r.env = map[string]string{}
		}
		r.env[name] = value
	}
}

// WithNetwork attaches the container to nw under alias, so other containers of the
// network reach it at InternalURL (http://alias:8080).
func WithNetwork(nw *testcontainers.DockerNetwork, alias string) Option {
	return func(r *request) {
		r.customizers = append(r.customizers, network.WithNetwork([]string{alias}, nw))
		r.aliases = append(r.aliases, alias)
	}
}

// WithStartupTimeout bounds the wait for the container to serve (default 60 s).
func WithStartupTimeout(d time.Duration) Option { return func(r *request) { r.startup = d } }

// WithCustomizer passes a testcontainers-go customizer on, for anything else (log
// consumers, a name, host access...).
func WithCustomizer(c testcontainers.ContainerCustomizer) Option {
	return func(r *request) { r.customizers = append(r.customizers, c) }
}

// WithSpeed runs the fake's platform time n times faster than wall time (--speed).
func WithSpeed(n float64) FakeOption {
	return func(r *request) { r.flag("speed", strconv.FormatFloat(n, 'g', -1, 64)) }
}

// WithSeed seeds the fake's generated data and fault dice (--seed).
func WithSeed(seed uint64) FakeOption {
	return func(r *request) { r.flag("seed", strconv.FormatUint(seed, 10)) }
}

// WithFault adds a fault rule in the --fault syntax, NAME[:key=value,...], e.g.
// "commit-then-drop:p=0.02,method=POST" (`peakready fake --help` lists the faults).
func WithFault(rule string) FakeOption { return func(r *request) { r.flag("fault", rule) } }

// WithProfile applies a fault and limit profile at start (--profile; the body of
// PUT /_fake/faults, which SetFaults changes at run time).
func WithProfile(p fakehttp.Profile) FakeOption {
	return func(r *request) {
		data, err := json.Marshal(p)
		if err != nil {
			r.fail("containertest: profile: %w", err)
			return
		}
		const path = "/tmp/peakready-profile.json"
		r.files = append(r.files, testcontainers.ContainerFile{Reader: strings.NewReader(string(data)), ContainerFilePath: path, FileMode: 0o644})
		r.flag("profile", path)
	}
}

// WithLogLevel sets the fake's log level: debug, info, warn or error (--log-level).
func WithLogLevel(level string) FakeOption { return func(r *request) { r.flag("log-level", level) } }
