// Package adminapi is the reference integrator's admin API: the JSON shapes its routes
// answer with, shared by the server (package integrator encodes them) and by Client,
// which peakready's dlq, queue and held commands and the scenario runner use.
//
// Every route is under /admin/ and needs "Authorization: Bearer <admin token>". An
// integrator started without an admin token answers 403 on every route; a missing or
// wrong token is 401. Answers are JSON objects; failures are an Error body. Each Client
// method names the route it calls.
//
// Ids that can exceed 2^53 (Shopify order ids) are JSON strings, or sit inside a payload
// kept as raw JSON, so no client that decodes numbers as float64 can round them.
//
// Field order is wire order: the integrator's answers are byte for byte what they were
// before these types existed (a list's count comes before the list), so keep it.
package adminapi

import (
	"encoding/json"
	"time"

	"github.com/peakready/peakready/integrator/throttle"
)

// QueueStats is the shared queue's state (GET /admin/queue/stats), the same from every
// replica. Counters count since the queue's keys were created, all replicas together.
type QueueStats struct {
	Messages             int64   `json:"messages"`                   // messages waiting or in flight
	GroupsReady          int64   `json:"groups_ready"`               // keys whose head may run now
	GroupsDelayed        int64   `json:"groups_delayed"`             // keys waiting for a retry or snooze time
	GroupsInFlight       int64   `json:"groups_in_flight"`           // keys a worker holds
	OldestMessageSeconds float64 `json:"oldest_message_age_seconds"` // age of the oldest queued message; 0 when empty
	DeadLetters          int64   `json:"dead_letters"`               // entries in the dead-letter queue now
	Enqueued             int64   `json:"enqueued"`
	Duplicates           int64   `json:"duplicates"` // enqueues dropped by deduplication
	Acked                int64   `json:"acked"`
	Retried              int64   `json:"retried"`
	Snoozed              int64   `json:"snoozed"` // waits that spent no attempt (upstream said slow down)
	DeadLettered         int64   `json:"dead_lettered"`
	Recovered            int64   `json:"recovered"` // expired leases given back
	Replayed             int64   `json:"replayed"`
	Woken                int64   `json:"woken"`       // delayed keys woken at once when an upstream came back
	DLQTrimmed           int64   `json:"dlq_trimmed"` // dead letters dropped past their retention
	Held                 int     `json:"held_orders"` // orders held for review now
}

// DeadLetter is one entry of the dead-letter queue. Payload is set only by
// GET /admin/dlq/{id}; lists leave it out.
type DeadLetter struct {
	ID         string            `json:"id"`         // the dead letter's own id, for show, replay and discard
	MessageID  string            `json:"message_id"` // the queued message's id
	Key        string            `json:"key"`        // its ordering key, e.g. "order:820982911946154508"
	Topic      string            `json:"topic"`      // e.g. "orders/create"
	Reason     string            `json:"reason"`     // "max-attempts", "lease-expired" or "permanent"
	Attempts   int               `json:"attempts"`   // attempts made, snoozes not counted
	LastError  string            `json:"last_error"` // the last attempt's error, cut to 2 KiB
	EnqueuedAt time.Time         `json:"enqueued_at"`
	DeadAt     time.Time         `json:"dead_at"`
	Headers    map[string]string `json:"headers,omitempty"`
	// Payload is the message body as raw JSON, so numbers (order ids) and key order are
	// as received; the integrator re-indents it and escapes <, > and & in strings. A
	// body that was not valid JSON comes as a JSON string.
	Payload json.RawMessage `json:"payload,omitempty"`
}

// Bounds of GET /admin/dlq's limit parameter.
const (
	DefaultDeadLetterLimit = 100   // when the request gives none
	MaxDeadLetterLimit     = 10000 // larger (or below 1) is a 400
)

// DeadLetterList answers GET /admin/dlq: the matching dead letters, oldest first, at most
// the request's limit, without payloads.
type DeadLetterList struct {
	Count       int          `json:"count"`
	DeadLetters []DeadLetter `json:"dead_letters"`
}

// DLQFilter selects dead letters. Set fields must all match; empty ones match anything.
// As query parameters (id, message_id, key, topic, reason) it filters GET /admin/dlq,
// where All means nothing. As the JSON body of POST /admin/dlq/replay and
// /admin/dlq/discard it must select something: a field, or All to take every dead letter;
// the integrator refuses the zero DLQFilter (400), so nothing is replayed by accident,
// and refuses unknown body fields (400).
type DLQFilter struct {
	ID        string `json:"id,omitempty"`
	MessageID string `json:"message_id,omitempty"`
	Key       string `json:"key,omitempty"`
	Topic     string `json:"topic,omitempty"`
	Reason    string `json:"reason,omitempty"`
	All       bool   `json:"all,omitempty"`
}

// ReplayResult answers POST /admin/dlq/replay: how many dead letters went back to the
// front of their key's group, bypassing deduplication.
type ReplayResult struct {
	Replayed int `json:"replayed"`
}

// DiscardResult answers POST /admin/dlq/discard: how many dead letters were deleted.
type DiscardResult struct {
	Discarded int `json:"discarded"`
}

// HeldOrder is an order held for review instead of synced (its risk level is one the
// integrator holds), until it is released.
type HeldOrder struct {
	OrderID   int64     `json:"order_id,string"` // Shopify's order id, a string on the wire
	Name      string    `json:"name"`            // e.g. "#1001"
	Risk      string    `json:"risk"`            // Shopify's risk level, e.g. "HIGH"
	Reason    string    `json:"reason"`          // why the risk check held it
	HeldAt    time.Time `json:"held_at"`         // when it was first held
	UpdatedAt time.Time `json:"updated_at"`      // Shopify's updated_at of the payload kept
}

// HeldList answers GET /admin/held, oldest hold first.
type HeldList struct {
	Count int         `json:"count"`
	Held  []HeldOrder `json:"held"`
}

// ReleaseResult answers POST /admin/held/{order_id}/release: the order id exactly as the
// path gave it. The order's latest payload is queued again and syncs.
type ReleaseResult struct {
	Released string `json:"released"`
}

// Limits is the shared limiters' state (GET /admin/limits). A limiter whose state could
// not be read is left out, as is the Shopify cost bucket of an integrator without a shop
// URL. Each field is its throttle type's JSON, documented there.
type Limits struct {
	NetSuiteBreaker     *throttle.BreakerStatus   `json:"netsuite_breaker,omitempty"`
	NetSuiteConcurrency *throttle.GateStats       `json:"netsuite_concurrency,omitempty"`
	ShopifyCostBucket   *throttle.CostBucketStats `json:"shopify_cost_bucket,omitempty"`
}
