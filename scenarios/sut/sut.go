// Package sut is the seam between the scenario runner and a system under test: the
// bundled integrator (replicas in the runner's process or as processes), a team's own
// integrator reached by URL, or a deliberately broken one in a test all sit behind the
// one small SUT interface. What only some systems can do (show their queue, crash and
// restart a replica) is an optional interface the runner looks for; nothing in the runner
// or the checker branches on which system it is.
//
// A Starter is given the fakes' addresses once they are up and starts the system; the
// runner then delivers Shopify's webhooks to it, watches the fakes, and asks it at the
// end what it accounted for without syncing.
package sut

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/peakready/peakready/clock"
)

// SUT is a running system under test. Its methods are safe for concurrent use.
type SUT interface {
	// Webhooks says where the fake Shopify delivers webhooks, with which secret, for
	// which topics.
	Webhooks() Webhooks
	// Traits are what the checker may expect of the system and how the report names it.
	Traits() Traits
	// Accounted reports what the system accounted for without syncing it to the ERP:
	// orders held for review and orders dead-lettered, with reasons. A system that cannot
	// tell leaves the maps nil; the checker then requires every order in the ERP.
	Accounted(ctx context.Context) (Accounted, error)
	// Close stops everything Start started. It is called once.
	Close() error
}

// Webhooks is a system's webhook endpoint.
type Webhooks struct {
	// URL receives Shopify's webhooks.
	URL string
	// Secret is the HMAC key the system verifies (the Shopify app's client secret).
	Secret string
	// Topics the system subscribes to; empty means OrderTopics.
	Topics []string
}

// OrderTopics are the webhook topics a system is subscribed to unless it says otherwise.
var OrderTopics = []string{"orders/create", "orders/paid", "orders/updated", "orders/cancelled"}

// SubscribedTopics returns w.Topics, or OrderTopics when it is empty.
func (w Webhooks) SubscribedTopics() []string {
	if len(w.Topics) > 0 {
		return w.Topics
	}
	return OrderTopics
}

// Traits describe a system to the runner and the checker.
type Traits struct {
	// Description names the system in one line of the report, e.g.
	// "builtin: 2 replicas, redis embedded" or "external: http://...".
	Description string
	// HoldsHighRisk says the system holds high-risk orders for review: the checker then
	// expects them absent from the ERP instead of present.
	HoldsHighRisk bool
}

// Accounted is what a system accounted for without syncing. Nil maps mean unknown.
type Accounted struct {
	Held         map[int64]bool
	DeadLettered map[int64]string // order id → reason
	// InvalidEmails are the customers the system did not sync to the CRM because of their
	// e-mail address (customer id → reason); nil when it cannot tell.
	InvalidEmails map[int64]string
}

// Known reports whether the system told anything about what it accounted for.
func (a Accounted) Known() bool { return a.Held != nil || a.DeadLettered != nil }

// QueueObserver is implemented by systems whose queue the runner can see. The runner then
// counts the system drained when its queue is empty (instead of when the ERP has been
// quiet for a while) and charts its depth, dead letters, retries and snoozes.
type QueueObserver interface {
	QueueStats(ctx context.Context) (QueueStats, error)
}

// QueueStats is a system's queue at one moment; counters only grow.
type QueueStats struct {
	// Messages waiting or in flight.
	Messages int64
	// DeadLetters stored now.
	DeadLetters int64
	// Retried and Snoozed count, since the queue was created, attempts that failed and
	// were retried later, and attempts put off without spending an attempt.
	Retried, Snoozed int64
	// OldestAge is the age of the oldest message queued, in the system's clock (platform
	// time for the bundled integrator); 0 when the queue is empty.
	OldestAge time.Duration
}

// LimitObserver is implemented by systems that show their own view of the upstream
// limits they share: the runner then charts their waits next to what the fakes saw.
type LimitObserver interface {
	LimitStats(ctx context.Context) (LimitStats, error)
}

// LimitStats is a system's own limiters at one moment. A part it does not know is -1.
type LimitStats struct {
	// NetSuiteWaiters are workers waiting for a NetSuite concurrency permit, and
	// NetSuiteShare the permits the system allows itself now (its configured share after
	// adaptive decreases).
	NetSuiteWaiters, NetSuiteShare int
	// ShopifyOwed is the points the system's calls wait for in its mirror of Shopify's
	// cost bucket (0 when none wait).
	ShopifyOwed float64
}

// Crasher is implemented by systems made of replicas the runner can kill and restart.
type Crasher interface {
	// Replicas is how many replicas the system runs.
	Replicas() int
	// Crash kills replica i (0-based) the way a process dies: it hands nothing back, so
	// what it held waits for its leases to expire. Crashing a dead replica does nothing.
	Crash(i int) error
	// Restart brings replica i back as a new process would.
	Restart(i int) error
}

// RedisRestarter is implemented by systems whose Redis the runner started and can
// restart: killed as in a crash, started again on its own files after down.
type RedisRestarter interface {
	RestartRedis(ctx context.Context, down time.Duration) error
}

// RedisProber is implemented by systems whose Redis the runner started (embedded,
// docker, local, or one it was given): the runner times a round trip to it every sample,
// so a run can tell when that Redis, not the system, set the pace.
type RedisProber interface {
	// ProbeRedis is the wall time of one PING.
	ProbeRedis(ctx context.Context) (time.Duration, error)
	// RedisMode names the Redis (embedded, docker, local, url).
	RedisMode() string
}

// Starter starts a system under test once the fakes are up.
type Starter interface {
	// Credentials are the tokens the fakes demand of this system; an empty token makes
	// that fake accept any (a team's integrator brings its own).
	Credentials() Credentials
	// Start starts the system against the fakes. On error it leaves nothing running.
	Start(ctx context.Context, up Upstreams) (SUT, error)
}

// Credentials are the fakes' API tokens.
type Credentials struct {
	ShopifyToken  string
	NetSuiteToken string
	// NetSuiteClientID, NetSuiteCertificateID and the PEM key pair set up an OAuth 2.0
	// client credentials integration on the fake NetSuite: it verifies assertions with
	// the public key, the system signs them with the private one. Empty: none.
	NetSuiteClientID      string
	NetSuiteCertificateID string
	NetSuitePublicKey     string
	NetSuitePrivateKey    string
}

// Upstreams are the fakes a system under test talks to.
type Upstreams struct {
	ShopifyURL  string
	NetSuiteURL string
	// Credentials are what the Starter asked for.
	Credentials Credentials
	// NetSuiteCustomer is the internal id of the fake NetSuite's web-store customer, the
	// entity a system can book its sales orders to.
	NetSuiteCustomer string
	// Clock is the run's platform time, shared by the fakes; systems that can run on it
	// (the bundled integrator) do, so their leases, backoffs and breakers run as fast as
	// the fakes' limits.
	Clock *clock.Scaled
	// Logger receives the system's logs.
	Logger *slog.Logger
	// CRM is the CRM fake the system syncs customers to, when the scenario has one.
	CRM *CRMUpstream
	// ERP is set when the scenario's ERP moves stock and ships orders: the system is to
	// carry them to Shopify. It then receives the ERP's signed change pushes if it
	// implements ERPPushReceiver.
	ERP *ERPUpstream
	// ShopifyFlow is set when the run installs the merchant's low-stock Flow workflow in
	// the fake Shopify: the system is to take its requests (FlowReceiver).
	ShopifyFlow bool
	// AuditReportURL is set when the scenario audits: a system that implements Auditor
	// POSTs its audit reports there. ShopTimeZone is the fake shop's IANA time zone, the
	// days of its orders.
	AuditReportURL string
	ShopTimeZone   string
}

// ERPUpstream is what a system needs to carry the ERP's stock and shipments to Shopify.
type ERPUpstream struct {
	// PushSecret is the HMAC-SHA256 key of the ERP's X-NetSuite-Signature.
	PushSecret string
	// SafetyStock is the units per SKU Shopify must hold back from the ERP's on hand.
	SafetyStock int
	// Overwrite says the runner will ask the system for the nightly stock overwrite
	// (StockOverwriter), and PeakWindows are the platform-time spans in which the system
	// must refuse to run it.
	Overwrite   bool
	PeakWindows []TimeSpan
}

// TimeSpan is [From, To) in platform time.
type TimeSpan struct{ From, To time.Time }

// StockOverwriter is implemented by systems the runner can ask for the nightly stock
// overwrite (the ERP's stock overwriting Shopify's where they differ). Overwrite returns
// once the run is done; in a peak window it returns an error wrapping
// ErrOverwritePeakWindow and writes nothing.
type StockOverwriter interface {
	Overwrite(ctx context.Context) error
}

// ErrOverwritePeakWindow is the error of an overwrite the system refused because of a
// peak window.
var ErrOverwritePeakWindow = errors.New("the system refused the stock overwrite in a peak window")

// ERPPushReceiver is implemented by systems that take the ERP's change pushes
// (inventory.changed, fulfillment.created) at a URL.
type ERPPushReceiver interface {
	ERPPushURL() string
}
