package scenarios

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"os"
	"sort"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/shopify/flow"
	"github.com/peakready/peakready/scenarios/report"
	"github.com/peakready/peakready/scenarios/sut"
)

// ShopifyFlow installs the merchant's low-stock workflow in the fake Shopify
// (fakes.shopify.flow), the field's "inventory low → Send HTTP request": on every
// inventory change of a variant whose total quantity is below Threshold, Flow POSTs the
// SKU and the quantity it saw to the system under test's Flow endpoint
// (sut.FlowReceiver), with Flow's retries and response policies. The run then checks
// flow_requests_handled.
type ShopifyFlow struct {
	// Threshold: the workflow's condition is "current < threshold".
	Threshold int64 `yaml:"threshold"`
	// Settle is how long (wall time) the checker waits, after the drain, for Flow runs
	// still retrying to end (default DefaultFlowSettle).
	Settle Duration `yaml:"settle"`
}

// ExternalFlow is the team's integrator's Flow endpoint (sut.external.flow).
type ExternalFlow struct {
	URL string `yaml:"url"`
	// SecretEnv names the environment variable holding the secret the workflow sends.
	SecretEnv string `yaml:"secret_env"`
	// Header carries it: Authorization (the default) as "Bearer <secret>", any other
	// header as the bare secret.
	Header string `yaml:"header"`
}

// DefaultFlowSettle is ShopifyFlow.Settle's default.
const DefaultFlowSettle = 30 * time.Second

// FlowWorkflowName names the workflow the run installs.
const FlowWorkflowName = "peakready-low-stock"

// Violation kind of flow_requests_handled.
const FlowRequestUnhandled = "flow_request_unhandled" // a Flow run whose condition held never got a 2XX

// validateFlow checks fakes.shopify.flow and sut.external.flow.
func (s *Scenario) validateFlow(c *checker) {
	f := s.Fakes.Shopify.Flow
	if f != nil && s.SUT.External == nil && s.Fakes.NetSuite.Stock == nil {
		c.at("fakes.shopify.flow: the bundled integrator takes Flow requests only with fakes.netsuite.stock (it writes the ERP's stock through its stock flow)", "fakes", "shopify", "flow")
	}
	x := s.SUT.External
	if x == nil || x.Flow == nil {
		if f != nil && x != nil {
			c.at("fakes.shopify.flow: sut.external.flow must give the URL and secret_env of your integrator's Flow endpoint", "sut", "external")
		}
		return
	}
	u, err := url.Parse(x.Flow.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		c.at(fmt.Sprintf("sut external flow: url %q must be an http(s) URL", x.Flow.URL), "sut", "external", "flow", "url")
	}
	if x.Flow.SecretEnv == "" {
		c.at("sut external flow: secret_env must name the environment variable holding the secret the workflow sends", "sut", "external", "flow")
	}
}

// endpoint reads the external Flow endpoint's secret from the environment.
func (x *ExternalFlow) endpoint() (*sut.FlowEndpoint, error) {
	secret := os.Getenv(x.SecretEnv)
	if secret == "" {
		return nil, fmt.Errorf("sut external flow: environment variable %s (secret_env) is empty: it must hold the secret your integrator expects from Flow", x.SecretEnv)
	}
	e := &sut.FlowEndpoint{URL: x.URL, Header: x.Header, Value: secret}
	if e.Header == "" || strings.EqualFold(e.Header, "Authorization") {
		e.Header, e.Value = "Authorization", "Bearer "+secret
	}
	return e, nil
}

// flowBody is the workflow's body, as docs/integrator.md documents it.
const flowBody = `{"sku": {{ productVariant.sku | json }}, "quantity": {{ productVariant.inventoryQuantity }}, ` +
	`"variant_id": {{ productVariant.legacyResourceId | json }}, "inventory_item_id": {{ productVariant.inventoryItem.legacyResourceId | json }}}`

// workflow is the low-stock workflow pointed at e, with Flow's default response policies.
func (f *ShopifyFlow) workflow(e sut.FlowEndpoint) flow.Workflow {
	threshold := f.Threshold
	return flow.Workflow{Name: FlowWorkflowName, Trigger: flow.TriggerInventoryQuantityChanged, Condition: "current < threshold",
		Threshold: &threshold, Action: flow.HTTPRequestAction{Method: "POST", URL: e.URL, Body: flowBody,
			Headers: []flow.HTTPHeader{{Key: "Content-Type", Value: "application/json"}, {Key: e.Header, Value: e.Value}}}}
}

// installFlow installs the workflow once the system under test runs.
func (e *env) installFlow() error {
	f := e.sc.Fakes.Shopify.Flow
	if f == nil {
		return nil
	}
	recv, ok := e.sut.(sut.FlowReceiver)
	var ep sut.FlowEndpoint
	if ok {
		ep, ok = recv.FlowEndpoint()
	}
	if !ok {
		return errors.New("fakes.shopify.flow: the system under test takes no Shopify Flow requests")
	}
	if err := e.deliv.Flow().SetWorkflows([]flow.Workflow{f.workflow(ep)}); err != nil {
		return fmt.Errorf("fakes.shopify.flow: %w", err)
	}
	return nil
}

// flowRuns reads every retained run of the workflow.
func flowRuns(eng *flow.Engine) (runs []flow.Run, total int64, retained int) {
	q := flow.RunQuery{Workflow: FlowWorkflowName, Limit: flow.MaxRunLimit}
	for {
		p := eng.Runs(q)
		runs = append(runs, p.Runs...)
		total, retained = p.Total, p.Retained
		if len(p.Runs) == 0 || p.NextSince <= q.Since {
			return runs, total, retained
		}
		q.Since = p.NextSince
	}
}

// CheckFlowRequestsHandled is flow_requests_handled: every Flow run whose condition held
// ended succeeded (a 2XX or 3XX in the end, after Flow's retries). One violation per SKU,
// naming its runs that did not, why, and their last answer.
func CheckFlowRequestsHandled(runs []flow.Run) []report.Violation {
	type bad struct {
		n      int
		detail string
	}
	bySKU := map[string]*bad{}
	for _, r := range runs {
		if !r.ConditionMet || r.Status == flow.RunSucceeded {
			continue
		}
		b := bySKU[r.SKU]
		if b == nil {
			b = &bad{}
			bySKU[r.SKU] = b
		}
		b.n++
		if b.detail == "" {
			b.detail = fmt.Sprintf("run %d %s", r.ID, r.Status)
			if r.Reason != "" {
				b.detail += " (" + r.Reason + ")"
			}
			if n := len(r.Attempts); n > 0 {
				a := r.Attempts[n-1]
				b.detail += fmt.Sprintf(" after %d attempts, the last answered %s", n, attemptAnswer(a))
			}
		}
	}
	skus := make([]string, 0, len(bySKU))
	for sku := range bySKU {
		skus = append(skus, sku)
	}
	sort.Strings(skus)
	out := make([]report.Violation, 0, len(skus))
	for _, sku := range skus {
		b := bySKU[sku]
		d := b.detail
		if b.n > 1 {
			d = fmt.Sprintf("%d Flow runs never got a 2XX; first: %s", b.n, d)
		} else {
			d = "a Flow run never got a 2XX: " + d
		}
		out = append(out, report.Violation{Subject: sku, Kind: FlowRequestUnhandled, Count: b.n, Detail: d})
	}
	return out
}

func attemptAnswer(a flow.Attempt) string {
	if a.Error != "" {
		return a.Error
	}
	return fmt.Sprintf("HTTP %d", a.Status)
}

// checkFlow judges flow_requests_handled when the run installed a Flow workflow: it waits
// up to Settle (wall time) for runs still pending (Flow retrying) to end, then checks.
func (r *runner) checkFlow(ctx context.Context) {
	f := r.sc.Fakes.Shopify.Flow
	if f == nil {
		return
	}
	eng := r.e.deliv.Flow()
	settle := time.Duration(f.Settle)
	if settle <= 0 {
		settle = DefaultFlowSettle
	}
	deadline := time.Now().Add(settle)
	pending := func() bool {
		return len(eng.Runs(flow.RunQuery{Workflow: FlowWorkflowName, Status: flow.RunPending, Limit: 1}).Runs) > 0
	}
	for pending() && time.Now().Before(deadline) && ctx.Err() == nil {
		select {
		case <-ctx.Done():
		case <-time.After(100 * time.Millisecond):
		}
	}
	runs, total, retained := flowRuns(eng)
	r.addInvariant("flow_requests_handled", "SKUs had Shopify Flow low-stock requests that never got a 2XX", CheckFlowRequestsHandled(runs), FlowRequestUnhandled)
	met := 0
	for _, run := range runs {
		if run.ConditionMet {
			met++
		}
	}
	note := fmt.Sprintf("Shopify Flow: %d runs of %s, %d with the condition met", total, FlowWorkflowName, met)
	if int64(retained) < total {
		note += fmt.Sprintf(" (only the last %d are kept and judged)", retained)
	}
	r.note(note)
}
