package store

import (
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"time"

	"github.com/peakready/peakready/fakes/shopify/flow"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// Topics the store emits, in REST form.
const (
	TopicOrdersCreate          = "orders/create"
	TopicOrdersUpdated         = "orders/updated"
	TopicOrdersPaid            = "orders/paid"
	TopicOrdersCancelled       = "orders/cancelled"
	TopicOrdersFulfilled       = "orders/fulfilled"
	TopicOrdersPartiallyFilled = "orders/partially_fulfilled"
	TopicOrdersRiskChanged     = "orders/risk_assessment_changed"
	TopicCustomersCreate       = "customers/create"
	TopicCustomersUpdate       = "customers/update"
	TopicInventoryLevelsUpdate = "inventory_levels/update"
	TopicFulfillmentsCreate    = "fulfillments/create"
)

// Topics lists every topic the store can emit.
var Topics = []string{
	TopicOrdersCreate, TopicOrdersUpdated, TopicOrdersPaid, TopicOrdersCancelled,
	TopicOrdersFulfilled, TopicOrdersPartiallyFilled, TopicOrdersRiskChanged,
	TopicCustomersCreate, TopicCustomersUpdate, TopicInventoryLevelsUpdate, TopicFulfillmentsCreate,
}

func topicCode(t string) uint8 {
	for i, n := range Topics {
		if n == t {
			return uint8(i)
		}
	}
	panic("store: unknown topic " + t)
}

// EventRecord is the ground-truth record of one event the store produced. The payload
// itself is not kept; PayloadHash identifies it.
type EventRecord struct {
	// Seq numbers events from 1 in the order they were produced.
	Seq         int64     `json:"seq"`
	Topic       string    `json:"topic"`
	EventID     string    `json:"event_id"`
	ResourceID  int64     `json:"resource_id"`
	TriggeredAt time.Time `json:"triggered_at"`
	// PayloadHash is the first 8 bytes of the payload's SHA-256, in hex.
	PayloadHash  string `json:"payload_hash"`
	PayloadBytes int    `json:"payload_bytes"`
}

// PayloadHash is how EventRecord identifies a payload: the first 8 bytes of its SHA-256
// in hex, e.g. for comparing what an endpoint received with what the store produced.
func PayloadHash(payload []byte) string {
	sum := sha256.Sum256(payload)
	return hex.EncodeToString(sum[:8])
}

// eventRec is the compact form of an EventRecord: 24 bytes. The resource is stored as its
// position (order, customer or catalog index, fulfillment number) and the time once per
// merchant action, since every event of an action shares it.
type eventRec struct {
	hash   uint64
	res    uint32 // resource position, see resourcePos
	action uint32 // merchant action number: the event id and time come from it
	size   uint32
	topic  uint8
}

const logChunk = 1 << 16

// chunkLog is an append-only log in fixed-size chunks, so growth never copies (or
// doubles the memory of) what is already stored.
type chunkLog[T any] struct {
	chunks [][]T
	n      int64
}

func (l *chunkLog[T]) add(v T) int64 {
	if l.n%logChunk == 0 {
		l.chunks = append(l.chunks, make([]T, 0, logChunk))
	}
	c := &l.chunks[len(l.chunks)-1]
	*c = append(*c, v)
	l.n++
	return l.n
}

func (l *chunkLog[T]) at(i int64) *T { return &l.chunks[i/logChunk][i%logChunk] }

// eventLog holds every event and the time of every merchant action.
type eventLog struct {
	chunkLog[eventRec]
	actionAt chunkLog[int64] // unix nanoseconds, by action number - 1
}

// resourcePos turns a resource id into the position the event log stores, by topic.
func resourcePos(topic string, id int64) uint32 {
	switch topic {
	case TopicCustomersCreate, TopicCustomersUpdate:
		i, _ := customerIndex(id)
		return uint32(i)
	case TopicInventoryLevelsUpdate:
		i, _ := catalogIndex(id, itemBase)
		return uint32(i)
	case TopicFulfillmentsCreate:
		return uint32(id - fulfillmentBase)
	}
	i, _ := orderIndex(id)
	return uint32(i)
}

func resourceID(topic string, pos uint32) int64 {
	switch topic {
	case TopicCustomersCreate, TopicCustomersUpdate:
		return customerID(int(pos))
	case TopicInventoryLevelsUpdate:
		return inventoryItemID(int(pos))
	case TopicFulfillmentsCreate:
		return fulfillmentBase + int64(pos)
	}
	return orderID(int(pos))
}

// action is one merchant action in progress: every event it emits shares its event id.
type action struct {
	s   *Store
	n   int64
	id  string
	at  time.Time
	out *Change
}

// begin starts a merchant action. Callers hold mu.
func (s *Store) begin(out *Change) *action {
	s.actions++
	t := s.clock.Now()
	s.events.actionAt.add(t.UnixNano())
	return &action{s: s, n: s.actions, id: eventUUID(s.cfg.Seed, s.actions), at: t, out: out}
}

// emit records an event and queues it for the sink. Callers hold mu.
func (a *action) emit(topic string, resource int64, payload []byte, hash uint64, inv *flow.InventoryChange) {
	s := a.s
	seq := s.events.add(eventRec{
		hash: hash, res: resourcePos(topic, resource), action: uint32(a.n),
		size: uint32(len(payload)), topic: topicCode(topic),
	})
	if a.out != nil {
		a.out.Events = append(a.out.Events, EventRecord{
			Seq: seq, Topic: topic, EventID: a.id, ResourceID: resource, TriggeredAt: a.at,
			PayloadHash: hashHex(hash), PayloadBytes: len(payload),
		})
	}
	if s.cfg.Sink != nil {
		s.pending = append(s.pending, webhooks.Event{
			Topic: topic, EventID: a.id, ResourceID: resource, TriggeredAt: a.at, Payload: payload, Inventory: inv,
		})
	}
}

// emitJSON emits an event whose payload is v as JSON. Callers hold mu.
func (s *Store) emitJSON(a *action, topic string, resource int64, v any) {
	p := marshal(v)
	a.emit(topic, resource, p, payloadHash64(p), nil)
}

func payloadHash64(p []byte) uint64 {
	sum := sha256.Sum256(p)
	return binary.BigEndian.Uint64(sum[:8])
}

func hashHex(h uint64) string {
	var b [8]byte
	binary.BigEndian.PutUint64(b[:], h)
	return hex.EncodeToString(b[:])
}

// unlock releases mu and publishes the events the change produced, in order. Holding
// pubMu across the hand-over keeps publication in change order between writers.
func (s *Store) unlock() {
	events := s.pending
	s.pending = nil
	if len(events) == 0 || s.cfg.Sink == nil {
		s.mu.Unlock()
		return
	}
	s.pubMu.Lock()
	s.mu.Unlock()
	defer s.pubMu.Unlock()
	for _, e := range events {
		s.cfg.Sink.Publish(e)
	}
}

func (s *Store) record(i int64) EventRecord {
	e := s.events.at(i)
	topic := Topics[e.topic]
	return EventRecord{
		Seq: i + 1, Topic: topic, EventID: eventUUID(s.cfg.Seed, int64(e.action)), ResourceID: resourceID(topic, e.res),
		TriggeredAt: time.Unix(0, *s.events.actionAt.at(int64(e.action) - 1)).UTC(), PayloadHash: hashHex(e.hash), PayloadBytes: int(e.size),
	}
}

// Events returns up to limit events with Seq > since, oldest first (limit <= 0: all).
func (s *Store) Events(since int64, limit int) []EventRecord {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if since < 0 {
		since = 0
	}
	n := s.events.n - since
	if n <= 0 {
		return []EventRecord{}
	}
	if limit > 0 && int64(limit) < n {
		n = int64(limit)
	}
	out := make([]EventRecord, 0, n)
	for i := since; i < since+n; i++ {
		out = append(out, s.record(i))
	}
	return out
}

// EventCount is the number of events produced since the last reset.
func (s *Store) EventCount() int64 {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.events.n
}
