package fulfillment

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/integrator/shopify"
)

// Shopify is what the Mirror asks of Shopify. *shopify.Client is one.
type Shopify interface {
	OrderShipping(ctx context.Context, orderID int64) (shopify.OrderShipping, error)
	CreateFulfillment(ctx context.Context, lines []shopify.ShipLine, t shopify.Tracking) (string, error)
}

// Record remembers the shipments mirrored, durably: Mirrored returns the Shopify
// fulfillment of an ERP shipment id ("" when none is known), Remember records one.
type Record interface {
	Mirrored(ctx context.Context, shipmentID string) (string, error)
	Remember(ctx context.Context, shipmentID, fulfillmentID string) error
}

// Outcome says what Apply did.
type Outcome int

const (
	// Created: the shipment is now a Shopify fulfillment.
	Created Outcome = iota + 1
	// AlreadyRecorded: the Record knew it (a duplicate push).
	AlreadyRecorded
	// AlreadyInShopify: Shopify had a fulfillment with its tracking number (a retry after
	// a call whose answer was lost, or after the Record could not be written).
	AlreadyInShopify
)

// Mirror turns ERP shipments into Shopify fulfillments, exactly once per shipment id:
//
//  1. a shipment the Record knows is done;
//  2. otherwise the order's fulfillments are read, and one carrying the shipment's
//     tracking number means it was created by an earlier attempt (whose answer was
//     lost): it is recorded and done;
//  3. otherwise its lines are matched by SKU to the open fulfillment order lines with
//     quantity remaining, fulfilled with the tracking, and recorded.
//
// Two attempts at one shipment must not run at the same time (the queue runs one message
// per order at a time: shipments are keyed by their order). A shipment without a tracking
// number cannot be recognised in Shopify, so only the Record protects it from a retry
// after a lost answer.
type Mirror struct {
	Shopify Shopify
	Record  Record
}

// ErrUnmatched is wrapped by Apply's error when the shipment's lines are not open on the
// order's fulfillment orders (a SKU the order lacks, more than remains): retrying cannot
// help.
var ErrUnmatched = errors.New("fulfillment: the shipment's lines are not open in Shopify")

// unmatched is a permanent failure (the queue dead-letters it with its reason).
type unmatched struct{ err error }

func (e *unmatched) Error() string   { return e.err.Error() }
func (e *unmatched) Unwrap() error   { return e.err }
func (e *unmatched) Permanent() bool { return true }

// Apply mirrors s. Errors keep the classes Shopify's client gave them (throttled,
// transient, permanent); a shipment that does not match the order is permanent and
// wraps ErrUnmatched.
func (m *Mirror) Apply(ctx context.Context, s Shipment) (Outcome, error) {
	if id, err := m.Record.Mirrored(ctx, s.ID); err != nil {
		return 0, err
	} else if id != "" {
		return AlreadyRecorded, nil
	}
	sh, err := m.Shopify.OrderShipping(ctx, s.OrderID)
	if err != nil {
		return 0, err
	}
	for _, n := range s.TrackingNumbers {
		if id, ok := sh.TrackingNumbers[n]; ok {
			return AlreadyInShopify, m.Record.Remember(ctx, s.ID, id)
		}
	}
	lines, err := match(s, sh.FulfillmentOrders)
	if err != nil {
		return 0, &unmatched{err: fmt.Errorf("item fulfillment %s of order %d: %w", s.ID, s.OrderID, err)}
	}
	company := ShopifyCompany(s.Carrier)
	t := shopify.Tracking{Company: company, Numbers: s.TrackingNumbers}
	for _, n := range s.TrackingNumbers {
		if u := TrackingURL(company, n); u != "" {
			t.URLs = append(t.URLs, u)
		}
	}
	if len(t.URLs) != len(t.Numbers) {
		t.URLs = nil
	}
	id, err := m.Shopify.CreateFulfillment(ctx, lines, t)
	if err != nil {
		return 0, err
	}
	return Created, m.Record.Remember(ctx, s.ID, id)
}

// match assigns each shipped SKU's quantity to open fulfillment order lines of that SKU,
// in the order Shopify lists them.
func match(s Shipment, fos []shopify.FulfillmentOrder) ([]shopify.ShipLine, error) {
	left := map[string]int{} // line gid → remaining after what this shipment takes
	var out []shopify.ShipLine
	for _, l := range s.Lines {
		need := l.Quantity
		for _, fo := range fos {
			if fo.Status != "OPEN" && fo.Status != "IN_PROGRESS" {
				continue
			}
			for _, fl := range fo.Lines {
				if fl.SKU != l.SKU || need == 0 {
					continue
				}
				rem, seen := left[fl.ID]
				if !seen {
					rem = fl.RemainingQuantity
				}
				take := min(rem, need)
				if take <= 0 {
					continue
				}
				left[fl.ID] = rem - take
				need -= take
				out = appendShip(out, shopify.ShipLine{FulfillmentOrderID: fo.ID, LineID: fl.ID, Quantity: take})
			}
		}
		if need > 0 {
			return nil, fmt.Errorf("%w: %d of %s shipped, %d not open", ErrUnmatched, l.Quantity, l.SKU, need)
		}
	}
	return out, nil
}

// appendShip adds l, merging it into an earlier entry of the same line (a SKU listed on
// two ERP lines).
func appendShip(out []shopify.ShipLine, l shopify.ShipLine) []shopify.ShipLine {
	for i := range out {
		if out[i].LineID == l.LineID {
			out[i].Quantity += l.Quantity
			return out
		}
	}
	return append(out, l)
}

// RedisRecord is a Record in Redis: one string key per shipment, kept for TTL.
type RedisRecord struct {
	Redis  redis.UniversalClient
	Prefix string        // keys are Prefix + ":fulfillment:" + shipment id
	TTL    time.Duration // default DefaultRecordTTL
}

// DefaultRecordTTL is how long a mirrored shipment is remembered: longer than the ERP
// retries a push, and than any replay from the dead-letter queue.
const DefaultRecordTTL = 90 * 24 * time.Hour

func (r *RedisRecord) key(id string) string { return r.Prefix + ":fulfillment:" + id }

// Mirrored returns the recorded Shopify fulfillment of the shipment, "" when none.
func (r *RedisRecord) Mirrored(ctx context.Context, id string) (string, error) {
	v, err := r.Redis.Get(ctx, r.key(id)).Result()
	if errors.Is(err, redis.Nil) {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("fulfillment: reading the record of %s: %w", id, err)
	}
	return v, nil
}

// Remember records the shipment's Shopify fulfillment.
func (r *RedisRecord) Remember(ctx context.Context, id, fulfillmentID string) error {
	ttl := r.TTL
	if ttl <= 0 {
		ttl = DefaultRecordTTL
	}
	if err := r.Redis.Set(ctx, r.key(id), fulfillmentID, ttl).Err(); err != nil {
		return fmt.Errorf("fulfillment: recording %s: %w", id, err)
	}
	return nil
}
