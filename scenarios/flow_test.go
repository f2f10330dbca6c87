package scenarios

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/shopify/flow"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// flowScenario is a short stock run with the low-stock workflow installed at a threshold
// every variant is under: every inventory change (sales, the ERP's moves carried to
// Shopify) makes a Flow request.
func flowScenario(t *testing.T) *Scenario {
	t.Helper()
	return parseString(t, `
name: flow-low-stock
speed: 20
seed: 7
traffic:
  phases:
    - {name: steady, constant: {rate: 4/s, duration: 30s}}
  mix: {new_order: 100}
  orders: {paid_share: 1, high_risk_share: 0, catalog_size: 50}
fakes:
  shopify:
    flow: {threshold: 100000, settle: 20s}
  netsuite:
    concurrency: 100
    latency: "lognormal(100ms,300ms)"
    stock: {adjustments_every: 3s, safety_stock: 2, settle: 30s}
drain: {timeout: 2m, quiet: 10s}
assertions:
  allow: [held]
`)
}

var flowNote = regexp.MustCompile(`^Shopify Flow: (\d+) runs of peakready-low-stock, (\d+) with the condition met`)

// flowRunsMet reads the run's Flow note: how many runs had their condition met.
func flowRunsMet(t *testing.T, rep *report.Report) int {
	t.Helper()
	for _, n := range rep.Notes {
		if m := flowNote.FindStringSubmatch(n); m != nil {
			met, err := strconv.Atoi(m[2])
			require.NoError(t, err)
			return met
		}
	}
	t.Fatalf("no Flow note in %v", rep.Notes)
	return 0
}

func TestBundledIntegratorHandlesFlowRequests(t *testing.T) {
	rep, err := Run(context.Background(), flowScenario(t), Options{})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	a, ok := assertion(rep, "flow_requests_handled")
	require.True(t, ok)
	assert.True(t, a.Passed, a.Detail)
	assert.Positive(t, flowRunsMet(t, rep), "the workflow made requests")
	conv, _ := assertion(rep, "inventory_converged")
	assert.True(t, conv.Passed, conv.Detail)
}

// wrongFlowSecret runs the bundled integrator but points the workflow at it with a
// secret it does not know.
type wrongFlowSecret struct{ sut.Starter }

func (w wrongFlowSecret) Start(ctx context.Context, up sut.Upstreams) (sut.SUT, error) {
	s, err := w.Starter.Start(ctx, up)
	if err != nil {
		return nil, err
	}
	return wrongSecretSUT{SUT: s}, nil
}

type wrongSecretSUT struct{ sut.SUT }

func (w wrongSecretSUT) FlowEndpoint() (sut.FlowEndpoint, bool) {
	e, ok := w.SUT.(sut.FlowReceiver).FlowEndpoint()
	e.Value = "Bearer not-the-integrators-secret"
	return e, ok
}

func (w wrongSecretSUT) ERPPushURL() string { return w.SUT.(sut.ERPPushReceiver).ERPPushURL() }

func (w wrongSecretSUT) QueueStats(ctx context.Context) (sut.QueueStats, error) {
	return w.SUT.(sut.QueueObserver).QueueStats(ctx)
}

func TestFlowRequestsWithTheWrongSecretFailNamingSKUs(t *testing.T) {
	sc := flowScenario(t)
	starter, err := sc.starter(Options{})
	require.NoError(t, err)
	rep, err := Run(context.Background(), sc, Options{SUT: wrongFlowSecret{starter}})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	assert.False(t, rep.Passed)
	a, _ := assertion(rep, "flow_requests_handled")
	assert.False(t, a.Passed)
	var skus []string
	for _, v := range rep.Violations {
		if v.Kind == FlowRequestUnhandled {
			skus = append(skus, v.Subject)
			assert.Contains(t, v.Detail, "failed (HTTP 401)", v.Subject)
		}
	}
	require.NotEmpty(t, skus)
	t.Logf("violation counts %v", rep.ViolationCounts)
	// The report lists at most MaxViolationsListed violations of every kind together: a
	// loaded machine's run may list others first.
	assert.Equal(t, strconv.Itoa(rep.ViolationCounts[FlowRequestUnhandled]), a.Measured, "one violation per SKU")
	assert.LessOrEqual(t, len(skus), rep.ViolationCounts[FlowRequestUnhandled])
	seen := map[string]bool{}
	for _, sku := range skus {
		assert.False(t, seen[sku], "%s is named once", sku)
		seen[sku] = true
	}
	if !rep.ViolationsCapped {
		assert.Len(t, skus, rep.ViolationCounts[FlowRequestUnhandled], "every one listed")
	}
	for _, sku := range skus {
		assert.Regexp(t, `^[A-Z]{2}\d{4}-\d{3}$`, sku, "violations name catalog SKUs")
	}
}

func TestCheckFlowRequestsHandled(t *testing.T) {
	t.Parallel()
	ok := flow.Run{ID: 1, SKU: "A", ConditionMet: true, Status: flow.RunSucceeded}
	notMet := flow.Run{ID: 2, SKU: "B", Status: flow.RunConditionNotMet}
	failed := flow.Run{ID: 3, SKU: "C", ConditionMet: true, Status: flow.RunFailed, Reason: "HTTP 401", Attempts: []flow.Attempt{{Status: 401}}}
	failedAgain := flow.Run{ID: 5, SKU: "C", ConditionMet: true, Status: flow.RunFailed, Reason: "HTTP 401"}
	pending := flow.Run{ID: 4, SKU: "D", ConditionMet: true, Status: flow.RunPending, Attempts: []flow.Attempt{{Error: "timeout"}, {Status: 503}}}
	refused := flow.Run{ID: 6, SKU: "E", ConditionMet: true, Status: flow.RunRefused, Reason: "queue_full"}
	assert.Empty(t, CheckFlowRequestsHandled([]flow.Run{ok, notMet}))
	vs := CheckFlowRequestsHandled([]flow.Run{ok, notMet, failed, pending, failedAgain, refused})
	require.Len(t, vs, 3)
	assert.Equal(t, report.Violation{Subject: "C", Kind: FlowRequestUnhandled, Count: 2,
		Detail: "2 Flow runs never got a 2XX; first: run 3 failed (HTTP 401) after 1 attempts, the last answered HTTP 401"}, vs[0])
	assert.Equal(t, "a Flow run never got a 2XX: run 4 pending after 2 attempts, the last answered HTTP 503", vs[1].Detail)
	assert.Equal(t, "E", vs[2].Subject)
	assert.True(t, strings.Contains(vs[2].Detail, "refused (queue_full)"))
}

func TestFlowKnobIsValidated(t *testing.T) {
	t.Parallel()
	const head = "name: f\ntraffic: {phases: [{name: s, constant: {rate: 1/s, duration: 10s}}]}\n"
	const external = `fakes:
  shopify: {addr: "127.0.0.1:18001", flow: {threshold: 5}}
  netsuite: {addr: "127.0.0.1:18002"}
sut: {external: {webhook_url: "http://127.0.0.1:9/webhooks", secret_env: X%s}}
`
	for _, tc := range []struct{ yaml, want string }{
		{"fakes: {shopify: {flow: {threshold: 5}}}\n", "fakes.shopify.flow: the bundled integrator takes Flow requests only with fakes.netsuite.stock"},
		{fmt.Sprintf(external, ""), "sut.external.flow must give the URL and secret_env"},
		{fmt.Sprintf(external, `, flow: {url: "ftp://x", secret_env: ""}`), `sut external flow: url "ftp://x" must be an http(s) URL (and 1 more problems)`},
	} {
		_, err := Parse("f.yaml", strings.NewReader(head+tc.yaml))
		require.ErrorContains(t, err, tc.want)
	}
}

// An external system's Flow endpoint comes from the sut block, its secret from the
// environment, as a bearer token unless another header is named.
func TestExternalFlowEndpoint(t *testing.T) {
	t.Setenv("PEAKREADY_TEST_FLOW_SECRET", "s3cret")
	e, err := (&ExternalFlow{URL: "http://127.0.0.1:9/flow", SecretEnv: "PEAKREADY_TEST_FLOW_SECRET"}).endpoint()
	require.NoError(t, err)
	assert.Equal(t, sut.FlowEndpoint{URL: "http://127.0.0.1:9/flow", Header: "Authorization", Value: "Bearer s3cret"}, *e)
	e, err = (&ExternalFlow{URL: "http://127.0.0.1:9/flow", SecretEnv: "PEAKREADY_TEST_FLOW_SECRET", Header: "X-Flow-Key"}).endpoint()
	require.NoError(t, err)
	assert.Equal(t, sut.FlowEndpoint{URL: "http://127.0.0.1:9/flow", Header: "X-Flow-Key", Value: "s3cret"}, *e)
	_, err = (&ExternalFlow{SecretEnv: "PEAKREADY_TEST_FLOW_UNSET"}).endpoint()
	require.ErrorContains(t, err, "PEAKREADY_TEST_FLOW_UNSET")
}

// Replicas run as `peakready integrator` processes take the workflow's requests too
// (--flow on, the secret through the environment).
func TestBundledIntegratorAsProcessesHandlesFlowRequests(t *testing.T) {
	exe := buildPeakready(t)
	sc := flowScenario(t)
	sc.SUT.Builtin.Processes, sc.SUT.Builtin.Replicas = true, 2
	rep, err := Run(context.Background(), sc, Options{Executable: exe})
	require.NoError(t, err)
	skipInconclusive(t, rep)
	assert.Equal(t, "builtin: 2 replicas as processes, redis embedded", rep.SUT)
	a, ok := assertion(rep, "flow_requests_handled")
	require.True(t, ok)
	assert.True(t, a.Passed, a.Detail)
	assert.Positive(t, flowRunsMet(t, rep), "the workflow made requests")
}
