package integrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/ingress"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
)

// FlowConfig configures the Shopify Flow ingress (off by default): a merchant's Flow
// workflow ("Product variant inventory quantity changed" → a low-stock condition →
// "Send HTTP request") posts to POST /shopify/flow/inventory-low, and the integrator
// rechecks the SKU against NetSuite. It needs the stock flow (Inventory.Enabled), whose
// safety stock and Shopify writes it uses.
type FlowConfig struct {
	Enabled bool
	// Secret is what the workflow's action sends in Header. Required with Enabled: Flow
	// signs nothing, so the secret is the only proof a request comes from the merchant's
	// workflow.
	Secret string
	// PreviousSecret is accepted too, while workflows move to a new secret.
	PreviousSecret string
	// Header carries the secret: "Authorization" (the default) as "Bearer <secret>", any
	// other header name as the bare secret.
	Header string
}

// FlowPath is where Flow's inventory-low requests are taken.
const FlowPath = "/shopify/flow/inventory-low"

// flowName labels the Flow requests' outcomes in peakready_flow_outcomes_total:
// corrected, same, unknown_sku, invalid.
const flowName = "shopify_flow_inventory_low"

// newFlow assembles the Flow ingress and routes its messages; ns reads the ERP's stock.
func (a *App) newFlow(ns *netsuite.Client) error {
	c := a.cfg.Flow
	if !c.Enabled {
		return nil
	}
	if a.inventory == nil {
		return errors.New("integrator: the Flow ingress needs the inventory flow (it writes the ERP's stock to Shopify)")
	}
	if c.Secret == "" {
		return errors.New("integrator: the Flow ingress needs a secret (the merchant puts it in the workflow's request header)")
	}
	requests := prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "peakready_flow_requests_total", Help: "Shopify Flow HTTP requests received, by HTTP status answered.",
	}, []string{"status"})
	if err := a.metrics.registry.Register(requests); err != nil {
		return fmt.Errorf("integrator: %w", err)
	}
	h, err := ingress.NewFlowInventoryLow(ingress.FlowConfig{
		Secret: []byte(c.Secret), PreviousSecret: []byte(c.PreviousSecret), Header: c.Header, Logger: a.log,
		Observe: func(status int, _ time.Duration) { requests.WithLabelValues(strconv.Itoa(status)).Inc() },
	}, a.queue)
	if err != nil {
		return fmt.Errorf("integrator: %w", err)
	}
	a.flowLow = h
	guard := &guardedERP{gate: a.gate, breaker: a.breaker, m: a.metrics, outageSnooze: a.cfg.OutageSnooze}
	rc := &inventory.Recheck{ERP: erpStock{guard: guard, ns: ns}, Safety: a.inventory.syncer.Safety,
		Pending: a.inventory.syncer.Pending, Latest: a.inventory.syncer.Latest, Clock: a.cfg.Clock}
	outcome := a.metrics.flowOutcome(flowName)
	a.routes.add(queue.HandlerFunc(func(ctx context.Context, m *queue.Message) error {
		var in ingress.InventoryLow
		if err := json.Unmarshal(m.Payload, &in); err != nil || in.Quantity == nil {
			outcome(flows.Rejected)
			return queue.Permanent(fmt.Errorf("flow request payload: %v", err))
		}
		out, err := rc.Apply(ctx, in.SKU, *in.Quantity)
		if out == inventory.RecheckUnknownSKU {
			outcome(flows.Outcome(out))
			a.log.Warn("Shopify Flow named a SKU NetSuite does not have", "sku", in.SKU)
			return queue.Permanent(err)
		}
		if err != nil {
			return err
		}
		outcome(flows.Outcome(out))
		a.log.Info("Shopify Flow: low stock rechecked against NetSuite", "sku", in.SKU, "shopify", *in.Quantity, "outcome", string(out))
		return nil
	}), ingress.TopicFlowInventoryLow)
	return nil
}

// mountFlow adds POST /shopify/flow/inventory-low when the Flow ingress is on.
func (a *App) mountFlow(mux *http.ServeMux) {
	if a.flowLow != nil {
		mux.Handle(FlowPath, a.flowLow)
	}
}

// erpStock reads a SKU's on hand from NetSuite behind the shared breaker and
// concurrency gate, like every NetSuite call.
type erpStock struct {
	guard *guardedERP
	ns    *netsuite.Client
}

func (e erpStock) OnHand(ctx context.Context, sku string) (int, time.Time, error) {
	var st netsuite.ItemStock
	err := e.guard.do(ctx, func(ctx context.Context) error {
		var err error
		st, err = e.ns.InventoryStock(ctx, sku)
		return err
	})
	if netsuite.IsNotFound(err) {
		return 0, time.Time{}, fmt.Errorf("%w: %s: %w", inventory.ErrNotInERP, sku, err)
	}
	return st.OnHand, st.Modified, err
}
