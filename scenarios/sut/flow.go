package sut

import (
	"github.com/peakready/peakready/integrator"
)

// FlowEndpoint is where a system takes Shopify Flow's "Send HTTP request" for low stock,
// and the header that proves a request comes from the merchant's workflow (Flow signs
// nothing: the request carries only the headers the workflow sets).
type FlowEndpoint struct {
	// URL receives the workflow's POST.
	URL string
	// Header and Value are the header the workflow sends, e.g. Authorization and
	// "Bearer <secret>".
	Header, Value string
}

// FlowReceiver is implemented by systems that may take Shopify Flow's low-stock
// requests. ok is false when this one takes none (the runner then cannot run a scenario
// with fakes.shopify.flow).
type FlowReceiver interface {
	FlowEndpoint() (e FlowEndpoint, ok bool)
}

// bundledFlowSecret is the secret of the bundled integrator's Flow ingress.
const bundledFlowSecret = "peakready-scenario-flow-secret"

var (
	_ FlowReceiver = (*bundled)(nil)
	_ FlowReceiver = external{}
)

// flowOn: the run installs a Flow workflow, and the ERP flows it works through are on.
func (b *bundled) flowOn() bool { return b.up.ShopifyFlow && b.up.ERP != nil }

// FlowEndpoint is the replicas' Flow ingress behind the load balancer, when the run
// installs a workflow.
func (b *bundled) FlowEndpoint() (FlowEndpoint, bool) {
	if !b.flowOn() {
		return FlowEndpoint{}, false
	}
	return FlowEndpoint{URL: b.url + integrator.FlowPath, Header: "Authorization", Value: "Bearer " + bundledFlowSecret}, true
}

// FlowEndpoint is the team's Flow endpoint, when the scenario names one.
func (x external) FlowEndpoint() (FlowEndpoint, bool) {
	if x.cfg.Flow == nil {
		return FlowEndpoint{}, false
	}
	return *x.cfg.Flow, true
}
