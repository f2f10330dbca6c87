package integrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"github.com/peakready/peakready/integrator/fulfillment"
	"github.com/peakready/peakready/integrator/inventory"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/shopify"
)

// FulfillmentConfig configures the ERP → Shopify fulfillment flow (off by default). It
// needs Shopify (Config.ShopifyURL) and the ERP push secret (Inventory.PushSecret):
// fulfillments arrive on the same POST /netsuite/changes as stock changes.
type FulfillmentConfig struct {
	// Enabled turns the flow on: each pushed fulfillment.created is queued under its
	// Shopify order's key and becomes one Shopify fulfillment with its tracking.
	Enabled bool
}

// TopicNetSuiteFulfillment is the queue topic of a pushed ERP item fulfillment.
const TopicNetSuiteFulfillment = "netsuite/fulfillment.created"

// newFulfillments registers the fulfillment flow; sc is nil without Shopify.
func (a *App) newFulfillments(sc *shopify.Client) error {
	if !a.cfg.Fulfillments.Enabled {
		return nil
	}
	if sc == nil {
		return errors.New("integrator: the fulfillment flow needs a Shopify URL and token")
	}
	if a.cfg.Inventory.PushSecret == "" {
		return errors.New("integrator: the fulfillment flow needs the ERP push secret (the ERP signs its pushes with it)")
	}
	m := &fulfillment.Mirror{Shopify: sc, Record: &fulfillment.RedisRecord{Redis: a.cfg.Redis, Prefix: a.cfg.Prefix}}
	a.routes.add(queue.HandlerFunc(func(ctx context.Context, msg *queue.Message) error {
		s, err := fulfillment.ParseShipment(msg.Payload)
		if err != nil {
			return queue.Permanent(err)
		}
		out, err := m.Apply(ctx, s)
		if err != nil {
			return err
		}
		a.log.Debug("fulfillment mirrored", "item_fulfillment", s.ID, "order", s.OrderID, "outcome", int(out))
		if out == fulfillment.Created && a.inventory != nil {
			// The fulfillment took its units off Shopify's on hand; the ERP's on hand,
			// already short of them, is written again (see inventory.Syncer.Refresh).
			if err := a.inventory.syncer.Refresh(ctx, shippedSKUs(s)); err != nil {
				a.log.Warn("inventory: refreshing shipped SKUs", "item_fulfillment", s.ID, "err", err)
			}
		}
		return nil
	}), TopicNetSuiteFulfillment)
	a.pushSinks()[fulfillment.EventFulfillmentCreated] = a.enqueueShipment
	return nil
}

// shippedSKUs lists a shipment's SKUs.
func shippedSKUs(s fulfillment.Shipment) []string {
	out := make([]string, 0, len(s.Lines))
	for _, l := range s.Lines {
		out = append(out, l.SKU)
	}
	return out
}

// enqueueShipment queues a pushed item fulfillment under its order's key, so it runs
// after the order's own messages and never beside another attempt at the same order.
func (a *App) enqueueShipment(ctx context.Context, _ string, data json.RawMessage) error {
	s, err := fulfillment.ParseShipment(data)
	if errors.Is(err, fulfillment.ErrNotAShopifyOrder) {
		a.log.Info("ignoring a fulfillment of a sales order that did not come from Shopify", "err", err)
		return nil
	}
	if err != nil {
		return fmt.Errorf("%w: %w", inventory.ErrBadEvent, err)
	}
	_, err = a.queue.Enqueue(ctx, queue.Message{ID: "netsuite-fulfillment-" + s.ID, Key: "order:" + strconv.FormatInt(s.OrderID, 10),
		Topic: TopicNetSuiteFulfillment, Payload: data})
	return err
}
