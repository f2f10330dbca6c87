// Package webhooks delivers the fake Shopify store's events the way Shopify does: signed
// HTTPS-style POSTs with every real header, at least once, with retries, duplicates,
// reordering and late delivery, and subscription removal after repeated failure. It also
// sends the requests of the Shopify Flow workflows a merchant configures ("Send HTTP
// request" on an inventory change): the engine in fakes/shopify/flow decides them, the
// deliverer feeds it inventory events and sends them on its workers.
package webhooks

import (
	"time"

	"github.com/peakready/peakready/fakes/shopify/flow"
)

// Event is one thing that happened in the store that Shopify announces by webhook.
type Event struct {
	// Topic is the webhook topic, e.g. "orders/create".
	Topic string
	// EventID is sent as X-Shopify-Event-Id: shared by every topic fired by one merchant
	// action (creating a paid order fires orders/create and orders/paid with one id).
	EventID string
	// ResourceID is the id of the order, customer or inventory item the event is about.
	ResourceID int64
	// TriggeredAt is when the store changed; sent as X-Shopify-Triggered-At.
	TriggeredAt time.Time
	// Payload is the JSON body exactly as it is signed and sent.
	Payload []byte
	// Inventory is set on inventory changes so Flow's "Product variant inventory quantity
	// changed" trigger can run; nil otherwise.
	Inventory *flow.InventoryChange
}

// Subscription is one webhook subscription.
type Subscription struct {
	// ID is a GraphQL id, gid://shopify/WebhookSubscription/N.
	ID string `json:"id"`
	// Topic is the webhook topic in REST form, "orders/create".
	Topic string `json:"topic"`
	// URL is the callback URL deliveries are POSTed to.
	URL string `json:"callback_url"`
	// Name is sent as X-Shopify-Name when set.
	Name string `json:"name,omitempty"`
	// Source says how it was made: "graphql", "flag" or "admin".
	Source    string    `json:"source"`
	CreatedAt time.Time `json:"created_at"`
}

// Sink receives the store's events. Publish must be safe for concurrent use and must not
// block the store for long (delivery happens in the background).
type Sink interface {
	Publish(Event)
}
