// Package queue is a message-group queue on Redis: messages that share a key (a Shopify
// order id, a SKU) run one at a time in arrival order, while different keys run in
// parallel on any number of workers and replicas.
//
// # Model
//
// A group is one key: a Redis list of its messages in arrival order. A *ready* sorted set
// holds the groups whose head may run, scored by the time it may run (the head's enqueue
// time, or the end of a retry/snooze delay). Dequeue atomically takes the lowest-scored
// ready group whose time has come, moves it to an *in-flight* sorted set scored by its
// lease deadline, and returns the head with a lease token. A group in flight is not ready,
// so no two workers ever hold the same key. Every step is one Lua script, so each state
// change is atomic.
//
//   - Ack pops the head; the group is ready again if it has more messages.
//   - Retry keeps the head and makes the group ready at now+delay: that key waits, every
//     other key flows. The attempt was counted at delivery. After MaxAttempts the head
//     goes to the dead-letter stream (reason "max-attempts") and the group continues.
//   - Snooze is a retry that gives the attempt back: for upstreams that said slow down.
//   - DeadLetter moves the head to the dead-letter stream now ("permanent" errors).
//   - A lease that expires (worker crashed) is found by RecoverExpired, which makes the
//     group ready again; the redelivery counts as a new attempt, and a head whose last
//     attempt expired is dead-lettered with reason "lease-expired".
//   - Replay moves dead letters back to the front of their group.
//
// Every operation on a delivery carries its lease token; a worker whose lease expired and
// whose group was handed to another worker gets ErrLeaseLost and changes nothing.
//
// # Redis layout and Cluster
//
// Keys are spread over Partitions partitions; a key's partition is FNV-1a-32(key) mod
// Partitions. All keys of partition N share the hash tag {Prefix:pN}, and every script
// touches the keys of one partition only, so the queue runs unchanged on Redis Cluster.
// Changing Partitions remaps keys: drain the queue before changing it.
//
//	{P:pN}:g:<key>   list    the group's messages
//	{P:pN}:ready     zset    groups that may run, by time they may run
//	{P:pN}:inflight  zset    leased groups, by lease deadline
//	{P:pN}:lease     hash    group → lease token
//	{P:pN}:att       hash    message id → attempts+snoozes; id:e → last error
//	{P:pN}:heads     zset    group → enqueue time of its head (oldest-message age)
//	{P:pN}:stats     hash    cumulative counters
//	{P:pN}:dlq       stream  dead letters
//	{P:pN}:d:<key>:<dedup id>  string  ingress dedup mark
//
// # Time
//
// Scores are milliseconds of the queue's clock (see WithClock), passed into the scripts;
// Redis's own clock is used only to garbage-collect dedup marks. Replicas sharing a queue
// must have synchronised clocks: a skew of s shifts due times and lease deadlines by s.
//
// # Durability
//
// Enqueue returns nil once Redis has applied the write. What survives a Redis crash is
// Redis's persistence setting: with AOF appendfsync everysec (what peakready assumes), up
// to one second of acknowledged writes can be lost.
package queue

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"github.com/peakready/peakready/clock"
)

// Defaults of the options of New.
const (
	DefaultPrefix     = "peakready:q"
	DefaultPartitions = 16
	// DefaultLease is short so that a killed replica's messages are redelivered within
	// seconds (Lease + Lease/4 at most); the Processor's heartbeat (Lease/3) keeps a live
	// handler's lease however long it runs.
	DefaultLease       = 10 * time.Second
	DefaultMaxAttempts = 10
)

// Errors returned by Queue methods.
var (
	// ErrEmpty: no group is due in any partition.
	ErrEmpty = errors.New("queue: nothing due")
	// ErrLeaseLost: the delivery's lease token no longer holds its group (the lease
	// expired and was recovered, or the delivery was already settled). Nothing changed.
	ErrLeaseLost = errors.New("queue: lease lost")
	// ErrNotFound: no dead letter has that id.
	ErrNotFound = errors.New("queue: not found")
)

// Option configures New.
type Option func(*config)

type config struct {
	prefix      string
	partitions  int
	lease       time.Duration
	maxAttempts int
	backoff     BackoffFunc
	clock       clock.Clock
}

// Prefix sets the prefix of every Redis key of the queue (default "peakready:q"). It must
// not contain '{' or '}'. Queues with different prefixes are independent.
func Prefix(p string) Option { return func(c *config) { c.prefix = p } }

// Partitions sets the number of partitions (default 16). More partitions spread a
// Cluster's load over more slots; each idle poll visits every partition.
func Partitions(n int) Option { return func(c *config) { c.partitions = n } }

// Lease sets how long a delivery holds its group before RecoverExpired may hand it to
// another worker (default 10 s). The Processor extends leases while handlers run.
func Lease(d time.Duration) Option { return func(c *config) { c.lease = d } }

// MaxAttempts sets how many deliveries a message gets before a failing one is
// dead-lettered (default 10). Snoozes and releases do not count.
func MaxAttempts(n int) Option { return func(c *config) { c.maxAttempts = n } }

// Backoff sets the retry delay the Processor uses for ordinary errors (default
// ExponentialBackoff(time.Second, 10*time.Minute, nil)).
func Backoff(f BackoffFunc) Option { return func(c *config) { c.backoff = f } }

// WithClock sets the queue's clock (default clock.Real(), wall time). Its Now gives every
// score and lease deadline; its timers pace the Processor's polling, heartbeats and
// recovery, so a sped-up clock compresses leases, heartbeats and polling alike. A nil
// clock makes New fail.
func WithClock(clk clock.Clock) Option { return func(c *config) { c.clock = clk } }

// Queue is a message-group queue. Its methods are safe for concurrent use by any number
// of goroutines and processes sharing the same Redis and prefix.
type Queue struct {
	rdb   redis.UniversalClient
	cfg   config
	parts []partition
	next  atomic.Uint32 // dequeue cursor: partitions are visited round-robin

	wakeMu   sync.Mutex
	wakers   atomic.Pointer[[]chan struct{}]
	idEntro  *idSource
	coalesce coalescer
	// singleNode: rdb is one Redis (not a Cluster or Ring), so one script may carry
	// messages of several partitions.
	singleNode bool
}

type partition struct {
	n       int
	tag     string   // {prefix:pN}
	gprefix string   // {prefix:pN}:g:
	dprefix string   // {prefix:pN}:d:
	stats   string   // {prefix:pN}:stats
	keys    []string // ready, inflight, lease, att, stats, heads, dlq
}

// Indexes into partition.keys, in the order the scripts expect them.
const (
	kReady = iota
	kInflight
	kLease
	kAtt
	kStats
	kHeads
	kDLQ
)

// New returns a queue on rdb. It does not contact Redis; scripts are loaded on first use.
func New(rdb redis.UniversalClient, opts ...Option) (*Queue, error) {
	cfg := config{
		prefix:      DefaultPrefix,
		partitions:  DefaultPartitions,
		lease:       DefaultLease,
		maxAttempts: DefaultMaxAttempts,
		clock:       clock.Real(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	switch {
	case rdb == nil:
		return nil, errors.New("queue: nil redis client")
	case cfg.prefix == "" || strings.ContainsAny(cfg.prefix, "{}"):
		return nil, fmt.Errorf("queue: prefix %q must be non-empty and contain no '{' or '}'", cfg.prefix)
	case cfg.partitions < 1:
		return nil, fmt.Errorf("queue: partitions %d < 1", cfg.partitions)
	case cfg.lease < 10*time.Millisecond:
		return nil, fmt.Errorf("queue: lease %v < 10ms", cfg.lease)
	case cfg.maxAttempts < 1:
		return nil, fmt.Errorf("queue: max attempts %d < 1", cfg.maxAttempts)
	case cfg.clock == nil:
		return nil, errors.New("queue: nil clock")
	}
	if cfg.backoff == nil {
		cfg.backoff = ExponentialBackoff(time.Second, 10*time.Minute, nil)
	}
	q := &Queue{rdb: rdb, cfg: cfg, idEntro: newIDSource()}
	q.coalesce.q = q
	_, q.singleNode = rdb.(*redis.Client)
	q.parts = make([]partition, cfg.partitions)
	for i := range q.parts {
		tag := "{" + cfg.prefix + ":p" + strconv.Itoa(i) + "}"
		p := partition{n: i, tag: tag, gprefix: tag + ":g:", dprefix: tag + ":d:", stats: tag + ":stats"}
		p.keys = []string{tag + ":ready", tag + ":inflight", tag + ":lease", tag + ":att", p.stats, tag + ":heads", tag + ":dlq"}
		q.parts[i] = p
	}
	empty := []chan struct{}{}
	q.wakers.Store(&empty)
	return q, nil
}

// Partition returns the partition of key: FNV-1a-32(key) mod Partitions.
func (q *Queue) Partition(key string) int {
	h := uint32(2166136261)
	for i := 0; i < len(key); i++ {
		h ^= uint32(key[i])
		h *= 16777619
	}
	return int(h % uint32(len(q.parts)))
}

// Lease is the lease duration of deliveries.
func (q *Queue) Lease() time.Duration { return q.cfg.lease }

// MaxAttempts is the number of deliveries a message gets before it is dead-lettered.
func (q *Queue) MaxAttempts() int { return q.cfg.maxAttempts }

// Backoff is the retry delay after the given failed attempt (1 = first delivery).
func (q *Queue) Backoff(attempt int) time.Duration { return q.cfg.backoff(attempt) }

func (q *Queue) now() time.Time { return q.cfg.clock.Now() }

func ms(t time.Time) int64 { return t.UnixMilli() }

// subscribe returns a channel that receives (without blocking the sender, at most one
// pending signal) whenever this Queue value makes a group ready: an enqueue, a replay,
// or a settle that left more messages. Processors use it to pick work up at once.
func (q *Queue) subscribe() (<-chan struct{}, func()) {
	ch := make(chan struct{}, 1)
	q.wakeMu.Lock()
	old := *q.wakers.Load()
	next := append(append([]chan struct{}{}, old...), ch)
	q.wakers.Store(&next)
	q.wakeMu.Unlock()
	return ch, func() {
		q.wakeMu.Lock()
		defer q.wakeMu.Unlock()
		cur := *q.wakers.Load()
		keep := make([]chan struct{}, 0, len(cur))
		for _, c := range cur {
			if c != ch {
				keep = append(keep, c)
			}
		}
		q.wakers.Store(&keep)
	}
}

func (q *Queue) wake() {
	for _, ch := range *q.wakers.Load() {
		select {
		case ch <- struct{}{}:
		default:
		}
	}
}
