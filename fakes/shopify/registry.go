package shopify

import (
	"errors"
	"strconv"
	"sync"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/ledger"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// WebhookRegistry keeps webhook subscriptions and delivers the store's events to them.
// The fake's store publishes every event to it (Sink) and the webhookSubscription*
// mutations manage subscriptions through it. Every method must be safe for concurrent
// use; Publish must not block the store for long and must not call back into the store.
//
// The deliverer in fakes/shopify/webhooks implements it. If it also has a Reset()
// method, the fake's reset calls it.
type WebhookRegistry interface {
	webhooks.Sink
	// Subscribe adds a subscription. An empty ID is assigned. It returns the stored
	// subscription, or ErrDuplicateSubscription for a topic and URL already subscribed.
	Subscribe(webhooks.Subscription) (webhooks.Subscription, error)
	// Unsubscribe removes a subscription by id; ErrNoSubscription if there is none.
	Unsubscribe(id string) error
	// Subscriptions lists the subscriptions, oldest first.
	Subscriptions() []webhooks.Subscription
}

// Errors a WebhookRegistry returns; an implementation may wrap them.
var (
	ErrDuplicateSubscription = errors.New("address for this topic has already been taken")
	ErrNoSubscription        = errors.New("webhook subscription does not exist")
)

// resetter is implemented by registries that can forget their state.
type resetter interface{ Reset() }

// subscriptionRegistry is the registry used when Options.Webhooks is nil: it keeps
// subscriptions so the GraphQL API works, delivers nothing, and records subscription
// changes in the ledger the way the deliverer does.
type subscriptionRegistry struct {
	clock  clock.Clock
	ledger *ledger.Ledger
	mu     sync.Mutex
	subs   []webhooks.Subscription
	next   int64
}

func newSubscriptionRegistry(c clock.Clock, l *ledger.Ledger) *subscriptionRegistry {
	return &subscriptionRegistry{clock: c, ledger: l}
}

func (r *subscriptionRegistry) Publish(webhooks.Event) {}

func (r *subscriptionRegistry) Subscribe(s webhooks.Subscription) (webhooks.Subscription, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, x := range r.subs {
		if x.Topic == s.Topic && x.URL == s.URL {
			return webhooks.Subscription{}, ErrDuplicateSubscription
		}
	}
	if s.ID == "" {
		r.next++
		s.ID = "gid://shopify/WebhookSubscription/" + strconv.FormatInt(1_000_000_000_000+r.next, 10)
	}
	if s.CreatedAt.IsZero() {
		s.CreatedAt = r.clock.Now()
	}
	r.subs = append(r.subs, s)
	r.ledger.Append(ledger.Effect{Action: ledger.Created, Record: recordSubscription, ID: s.ID, NaturalKey: s.Topic,
		Detail: detail(map[string]string{"topic": s.Topic, "callback_url": s.URL, "source": s.Source})})
	return s, nil
}

func (r *subscriptionRegistry) Unsubscribe(id string) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	for i, x := range r.subs {
		if x.ID == id {
			r.subs = append(r.subs[:i], r.subs[i+1:]...)
			r.ledger.Append(ledger.Effect{Action: ledger.Deleted, Record: recordSubscription, ID: id, NaturalKey: x.Topic})
			return nil
		}
	}
	return ErrNoSubscription
}

func (r *subscriptionRegistry) Subscriptions() []webhooks.Subscription {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]webhooks.Subscription(nil), r.subs...)
}

func (r *subscriptionRegistry) Reset() {
	r.mu.Lock()
	r.subs, r.next = nil, 0
	r.mu.Unlock()
}
