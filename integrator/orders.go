package integrator

import (
	"context"
	"encoding/json"
	"errors"
	"strconv"
	"strings"

	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
)

// registerOrderFlows assembles the orders → NetSuite flow and routes its topics.
func (a *App) registerOrderFlows(ns *netsuite.Client) {
	cfg := a.cfg
	a.holds = flows.NewRedisHolds(cfg.Redis, cfg.Prefix+":orders:")
	a.orders = &flows.Orders{
		ERP:       &guardedERP{erp: ns, gate: a.gate, breaker: a.breaker, m: a.metrics, outageSnooze: cfg.OutageSnooze},
		Shopify:   a.lookup,
		Versions:  flows.NewRedisVersions(cfg.Redis, cfg.Prefix+":orders:", 0),
		Holds:     a.holds,
		HoldRisk:  cfg.HoldRisk,
		Customer:  cfg.NetSuiteCustomer,
		OnOutcome: a.metrics.flowOutcome("orders"),
		Logger:    cfg.Logger,
	}
	a.routes.add(a.orders, orderTopics...)
	a.routes.add(queue.HandlerFunc(a.riskChanged), "orders/risk_assessment_changed")
}

// orderTopics are the order webhooks whose payload is an Order.
var orderTopics = []string{"orders/create", "orders/paid", "orders/updated", "orders/cancelled",
	"orders/fulfilled", "orders/partially_fulfilled", flows.TopicReleased}

// riskChanged re-evaluates a held order when Shopify's risk assessment changes: an order
// no longer at a held risk level goes through the orders flow again.
func (a *App) riskChanged(ctx context.Context, m *queue.Message) error {
	var p struct {
		OrderID *int64 `json:"order_id"`
	}
	if err := json.Unmarshal(m.Payload, &p); err != nil || p.OrderID == nil {
		return nil // the sample payload carries no order: nothing to re-evaluate
	}
	held, ok, err := a.holds.Get(ctx, *p.OrderID)
	if err != nil || !ok || a.lookup == nil {
		return err
	}
	d, err := a.lookup.OrderDetails(ctx, held.OrderID)
	if err != nil {
		return err
	}
	for _, lvl := range a.holdRisk() {
		if strings.EqualFold(lvl, d.RiskLevel) {
			return nil // still held
		}
	}
	return a.requeueHeld(ctx, held, "orders/updated")
}

func (a *App) holdRisk() []string {
	if a.cfg.HoldRisk != nil {
		return a.cfg.HoldRisk
	}
	return []string{"HIGH"}
}

func (a *App) requeueHeld(ctx context.Context, h flows.HeldOrder, topic string) error {
	_, err := a.queue.Enqueue(ctx, queue.Message{
		Key: "order:" + strconv.FormatInt(h.OrderID, 10), Topic: topic, Payload: h.Payload,
		Headers: map[string]string{"held_topic": h.Topic},
	})
	return err
}

// ReleaseHeld lets a held order sync: it is marked released and its latest payload is
// queued again. ErrNotHeld when the order is not held.
func (a *App) ReleaseHeld(ctx context.Context, orderID int64) error {
	h, ok, err := a.holds.Get(ctx, orderID)
	if err != nil {
		return err
	}
	if !ok {
		return ErrNotHeld
	}
	if err := a.holds.MarkReleased(ctx, orderID, 0); err != nil {
		return err
	}
	return a.requeueHeld(ctx, h, flows.TopicReleased)
}

// ErrNotHeld is returned for releasing an order that is not held.
var ErrNotHeld = errors.New("integrator: order is not held")
