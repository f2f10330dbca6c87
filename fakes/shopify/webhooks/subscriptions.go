package webhooks

import (
	"errors"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/fakes/ledger"
)

// Subscription sources.
const (
	SourceGraphQL = "graphql"
	SourceFlag    = "flag"
	SourceAdmin   = "admin"
)

// SubscriptionIDPrefix starts every subscription id.
const SubscriptionIDPrefix = "gid://shopify/WebhookSubscription/"

// Ledger record types written by the Deliverer.
const (
	RecordSubscription = "webhook_subscription"
	RecordDelivery     = "webhook_delivery"
)

// Errors of Subscribe and Unsubscribe; they wrap the detail.
var (
	ErrInvalidSubscription = errors.New("invalid webhook subscription")
	ErrUnknownSubscription = errors.New("unknown webhook subscription")
	// ErrDuplicateSubscription is Shopify's "Address for this topic has already been
	// taken": the same topic and callback URL from the same source.
	ErrDuplicateSubscription = errors.New("address for this topic has already been taken")
)

// subscription is a live subscription. Its Subscription part never changes.
type subscription struct {
	Subscription
	u *url.URL

	removed   atomic.Bool
	successes atomic.Uint64 // 2xx answers
	// streak counts failed attempts since the last 2xx, for reporting.
	streak      atomic.Int64
	lastSuccess atomic.Int64 // platform unix nanos
}

// subscriptionSet holds the live subscriptions; Publish reads a per-topic snapshot
// without copying.
type subscriptionSet struct {
	mu      sync.RWMutex
	byID    map[string]*subscription
	byTopic map[string][]*subscription // replaced, never modified in place
	order   []string                   // ids in creation order
	nextID  int64
	flagged []Subscription // made with Source "flag": restored by Reset
}

func (s *subscriptionSet) init() {
	s.order = nil
	s.byID = map[string]*subscription{}
	s.byTopic = map[string][]*subscription{}
	s.nextID = 1
}

func (s *subscriptionSet) forTopic(topic string) []*subscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byTopic[topic]
}

func (s *subscriptionSet) get(id string) *subscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.byID[id]
}

func (s *subscriptionSet) list() []*subscription {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*subscription, 0, len(s.order))
	for _, id := range s.order {
		out = append(out, s.byID[id])
	}
	return out
}

// validTopic reports whether t looks like a REST webhook topic: lowercase resource and
// event separated by one slash ("orders/create", "inventory_levels/update").
func validTopic(t string) bool {
	res, ev, ok := strings.Cut(t, "/")
	if !ok || res == "" || ev == "" || len(t) > 100 {
		return false
	}
	for _, part := range []string{res, ev} {
		for _, r := range part {
			if (r < 'a' || r > 'z') && (r < '0' || r > '9') && r != '_' {
				return false
			}
		}
	}
	return true
}

// validName reports whether n is a subscription name Shopify accepts: letters, digits,
// '-' and '_', at most 50 characters.
func validName(n string) bool {
	if len(n) > 50 {
		return false
	}
	for _, r := range n {
		if (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9') && r != '-' && r != '_' {
			return false
		}
	}
	return true
}

// checkSubscription validates what a caller supplies.
func checkSubscription(sub Subscription) (*url.URL, error) {
	if !validTopic(sub.Topic) {
		return nil, fmt.Errorf("%w: topic %q is not of the form resource/event (e.g. orders/create)", ErrInvalidSubscription, sub.Topic)
	}
	u, err := url.Parse(sub.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: callback url %q must be an absolute http or https URL", ErrInvalidSubscription, sub.URL)
	}
	if u.User != nil {
		return nil, fmt.Errorf("%w: callback url must not carry credentials", ErrInvalidSubscription)
	}
	if !validName(sub.Name) {
		return nil, fmt.Errorf("%w: name %q may hold only letters, digits, '-' and '_', at most 50", ErrInvalidSubscription, sub.Name)
	}
	switch sub.Source {
	case "", SourceGraphQL, SourceFlag, SourceAdmin:
	default:
		return nil, fmt.Errorf("%w: source %q must be graphql, flag or admin", ErrInvalidSubscription, sub.Source)
	}
	if sub.ID != "" && !strings.HasPrefix(sub.ID, SubscriptionIDPrefix) {
		return nil, fmt.Errorf("%w: id %q must start with %s", ErrInvalidSubscription, sub.ID, SubscriptionIDPrefix)
	}
	return u, nil
}

// Subscribe adds a subscription. An empty ID gets the next
// gid://shopify/WebhookSubscription/N, an empty Source means "graphql", a zero CreatedAt
// means now. A given ID must be new. The same topic and URL from the same source is
// refused with ErrDuplicateSubscription; from two sources (a flag, like an app-config
// subscription, and a GraphQL one) both are kept and each gets its own delivery, as on
// Shopify. Every later Publish of the topic is delivered to it; events published before
// are not. Subscriptions with Source "flag" are restored by Reset.
func (d *Deliverer) Subscribe(sub Subscription) (Subscription, error) {
	if d.closed.Load() {
		return Subscription{}, ErrClosed
	}
	u, err := checkSubscription(sub)
	if err != nil {
		return Subscription{}, err
	}
	if sub.Source == "" {
		sub.Source = SourceGraphQL
	}
	if sub.CreatedAt.IsZero() {
		sub.CreatedAt = d.clock.Now()
	}
	s := &d.subs
	s.mu.Lock()
	for _, x := range s.byTopic[sub.Topic] {
		if x.URL == sub.URL && x.Source == sub.Source {
			s.mu.Unlock()
			return Subscription{}, fmt.Errorf("%w: %s %s (%s)", ErrDuplicateSubscription, sub.Topic, sub.URL, x.ID)
		}
	}
	if sub.ID == "" {
		for {
			sub.ID = SubscriptionIDPrefix + strconv.FormatInt(s.nextID, 10)
			s.nextID++
			if s.byID[sub.ID] == nil {
				break
			}
		}
	} else if s.byID[sub.ID] != nil {
		s.mu.Unlock()
		return Subscription{}, fmt.Errorf("%w: id %s already exists", ErrInvalidSubscription, sub.ID)
	}
	if n, err := strconv.ParseInt(strings.TrimPrefix(sub.ID, SubscriptionIDPrefix), 10, 64); err == nil && n >= s.nextID {
		s.nextID = n + 1
	}
	live := &subscription{Subscription: sub, u: u}
	s.addLocked(live)
	if sub.Source == SourceFlag {
		s.flagged = append(s.flagged, sub)
	}
	s.mu.Unlock()
	d.ledger.Append(ledger.Effect{Action: ledger.Created, Record: RecordSubscription, ID: sub.ID, NaturalKey: sub.Topic,
		Detail: detailJSON("topic", sub.Topic, "callback_url", sub.URL, "source", sub.Source)})
	d.log.Info("webhook subscription created", "id", sub.ID, "topic", sub.Topic, "url", redactURL(u), "source", sub.Source)
	return sub, nil
}

func (s *subscriptionSet) addLocked(live *subscription) {
	s.byID[live.ID] = live
	s.order = append(s.order, live.ID)
	old := s.byTopic[live.Topic]
	next := make([]*subscription, len(old), len(old)+1)
	copy(next, old)
	s.byTopic[live.Topic] = append(next, live)
}

// removeLocked takes a subscription out of the set; false if it was not in it.
func (s *subscriptionSet) removeLocked(live *subscription) bool {
	if s.byID[live.ID] != live {
		return false
	}
	delete(s.byID, live.ID)
	for i, id := range s.order {
		if id == live.ID {
			s.order = append(s.order[:i:i], s.order[i+1:]...)
			break
		}
	}
	old := s.byTopic[live.Topic]
	next := make([]*subscription, 0, len(old))
	for _, x := range old {
		if x != live {
			next = append(next, x)
		}
	}
	if len(next) == 0 {
		delete(s.byTopic, live.Topic)
	} else {
		s.byTopic[live.Topic] = next
	}
	return true
}

// Unsubscribe deletes a subscription by id (the full gid, or just its number). Its
// scheduled deliveries are abandoned; an attempt in flight finishes but is not retried.
func (d *Deliverer) Unsubscribe(id string) error {
	if _, err := strconv.ParseInt(id, 10, 64); err == nil {
		id = SubscriptionIDPrefix + id
	}
	live := d.subs.get(id)
	if live == nil {
		return fmt.Errorf("%w: %s", ErrUnknownSubscription, id)
	}
	if !d.remove(live, "unsubscribed") {
		return fmt.Errorf("%w: %s", ErrUnknownSubscription, id)
	}
	return nil
}

// remove takes a subscription away once, records why and abandons its scheduled jobs.
func (d *Deliverer) remove(live *subscription, reason string) bool {
	if !live.removed.CompareAndSwap(false, true) {
		return false
	}
	d.subs.mu.Lock()
	d.subs.removeLocked(live)
	d.subs.mu.Unlock()
	if reason == reasonConsecutiveFailures {
		d.counters.subscriptionsRemoved.Add(1)
		d.log.Warn("webhook subscription removed after consecutive failures", "id", live.ID, "topic", live.Topic,
			"url", redactURL(live.u), "failures", live.streak.Load())
	} else {
		d.log.Info("webhook subscription deleted", "id", live.ID, "topic", live.Topic, "reason", reason)
	}
	d.ledger.Append(ledger.Effect{Action: ledger.Deleted, Record: RecordSubscription, ID: live.ID, NaturalKey: live.Topic,
		Reason: reason, Detail: detailJSON("topic", live.Topic, "callback_url", live.URL, "source", live.Source)})
	for _, j := range d.sched.removeWhere(func(j *job) bool { return j.sub == live }) {
		d.abandon(j, reason)
	}
	return true
}

// reasonConsecutiveFailures is the ledger reason of a removal after failures.
const reasonConsecutiveFailures = "consecutive_failures"

// Subscriptions lists the live subscriptions in creation order.
func (d *Deliverer) Subscriptions() []Subscription {
	live := d.subs.list()
	out := make([]Subscription, len(live))
	for i, s := range live {
		out[i] = s.Subscription
	}
	return out
}

// SubscriptionState is a subscription with its delivery health, as the admin API shows it.
type SubscriptionState struct {
	Subscription
	// FailuresSinceSuccess counts failed attempts since the last 2xx.
	FailuresSinceSuccess int64 `json:"failures_since_success"`
	// Succeeded counts 2xx answers.
	Succeeded uint64 `json:"succeeded"`
	// LastSuccessAt is the platform time of the last 2xx, if any.
	LastSuccessAt *time.Time `json:"last_success_at,omitempty"`
}

// SubscriptionStates lists the live subscriptions with their delivery health.
func (d *Deliverer) SubscriptionStates() []SubscriptionState {
	live := d.subs.list()
	out := make([]SubscriptionState, len(live))
	for i, s := range live {
		out[i] = SubscriptionState{Subscription: s.Subscription, FailuresSinceSuccess: s.streak.Load(), Succeeded: s.successes.Load()}
		if ns := s.lastSuccess.Load(); ns != 0 {
			t := time.Unix(0, ns).UTC()
			out[i].LastSuccessAt = &t
		}
	}
	return out
}

// reset forgets every subscription and restores the flag ones.
func (s *subscriptionSet) reset(d *Deliverer) {
	s.mu.Lock()
	old := s.byID
	flagged := s.flagged
	s.init()
	s.flagged = nil
	seen := map[string]bool{}
	for _, live := range old {
		live.removed.Store(true)
	}
	for _, sub := range flagged {
		if seen[sub.ID] {
			continue
		}
		seen[sub.ID] = true
		u, _ := url.Parse(sub.URL)
		s.addLocked(&subscription{Subscription: sub, u: u})
		s.flagged = append(s.flagged, sub)
		if n, err := strconv.ParseInt(strings.TrimPrefix(sub.ID, SubscriptionIDPrefix), 10, 64); err == nil && n >= s.nextID {
			s.nextID = n + 1
		}
	}
	s.mu.Unlock()
}

// redactURL renders a callback URL for logs without its query string, which may carry
// tokens.
func redactURL(u *url.URL) string {
	if u == nil {
		return ""
	}
	return u.Scheme + "://" + u.Host + u.Path
}
