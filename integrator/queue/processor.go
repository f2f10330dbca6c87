package queue

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"runtime/debug"
	"sync"
	"sync/atomic"
	"time"

	"github.com/peakready/peakready/integrator/queue/internal/crash"
)

// Handler processes one message. The Processor calls Handle from many goroutines at once,
// but never for two messages of the same Key at once, and for one Key in enqueue order
// (a handler that outlives a lost lease is the exception: see Processor). The returned
// error decides the message's fate: see Snooze, Permanent, Throttler and RetryAfterer.
// ctx is cancelled when the lease is lost, the HandlerTimeout passes, or shutdown's
// deadline passes; m is the handler's own copy.
type Handler interface {
	Handle(ctx context.Context, m *Message) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, m *Message) error

// Handle calls f(ctx, m).
func (f HandlerFunc) Handle(ctx context.Context, m *Message) error { return f(ctx, m) }

var _ Handler = HandlerFunc(nil)

// ProcessorOption configures NewProcessor.
type ProcessorOption func(*processorConfig)

type processorConfig struct {
	workers         int
	shutdownTimeout time.Duration
	handlerTimeout  time.Duration
	minPoll         time.Duration
	maxPoll         time.Duration
	heartbeat       time.Duration
	recoverEvery    time.Duration
	throttleSnooze  time.Duration
	onSnoozed       func(m *Message, cause error)
	logger          *slog.Logger
}

// Workers sets how many handlers run at once (default 16).
func Workers(n int) ProcessorOption { return func(c *processorConfig) { c.workers = n } }

// ShutdownTimeout sets how long Run waits, after its context ends, for running handlers
// to finish (default 10 s). Then their contexts are cancelled and their groups released
// to other workers without spending the attempt.
func ShutdownTimeout(d time.Duration) ProcessorOption {
	return func(c *processorConfig) { c.shutdownTimeout = d }
}

// HandlerTimeout bounds one Handle call through its context (default 2 min; <= 0: none).
// A timed-out handler's error is an ordinary error: the message is retried.
func HandlerTimeout(d time.Duration) ProcessorOption {
	return func(c *processorConfig) { c.handlerTimeout = d }
}

// PollInterval sets the bounds of idle polling (defaults 5 ms and 100 ms). After a sweep
// of every partition finds nothing due, the fetcher waits min, doubling up to max, until
// work appears. An Enqueue, Replay or settle through the same Queue value wakes it at
// once, so the worst-case pickup latency is max for messages enqueued by other processes
// or becoming due after a delay, and one round trip otherwise.
func PollInterval(min, max time.Duration) ProcessorOption {
	return func(c *processorConfig) { c.minPoll, c.maxPoll = min, max }
}

// HeartbeatInterval sets how often leases of running deliveries are extended (default
// Lease/3). It must stay well under Lease, or running handlers lose their leases.
func HeartbeatInterval(d time.Duration) ProcessorOption {
	return func(c *processorConfig) { c.heartbeat = d }
}

// RecoverInterval sets how often the Processor runs RecoverExpired (default Lease/4), so
// a crashed worker's message is redelivered at most Lease + RecoverInterval after its
// last heartbeat.
func RecoverInterval(d time.Duration) ProcessorOption {
	return func(c *processorConfig) { c.recoverEvery = d }
}

// ThrottleSnooze sets the snooze for a throttled error without a Retry-After (default 1 s).
func ThrottleSnooze(d time.Duration) ProcessorOption {
	return func(c *processorConfig) { c.throttleSnooze = d }
}

// OnSnoozed sets a function called once a snooze is written to Redis, with a copy of the
// message and the handler's error that asked for it. It runs on the settler's goroutine
// and must not block. It lets a caller notice a snooze that landed after what it waited
// for had already ended: a worker that saw an upstream down settles its snooze only after
// the handler returned, and by then the upstream may be back and the delayed groups
// already woken (see Queue.WakeDelayed).
func OnSnoozed(fn func(m *Message, cause error)) ProcessorOption {
	return func(c *processorConfig) { c.onSnoozed = fn }
}

// WithLogger sets the Processor's logger (default slog.Default()). Messages are logged by
// id and key, never with payloads.
func WithLogger(l *slog.Logger) ProcessorOption { return func(c *processorConfig) { c.logger = l } }

// Processor runs a Handler over a Queue with a pool of workers, asynq-style, with one
// loop per concern: a fetcher leasing groups for idle workers (fetcher.go), a settler
// recording outcomes in batches (settler.go), a heartbeat extending leases of running
// deliveries (heartbeat.go) and a recoverer handing expired leases on (recoverer.go).
//
// Delivery is at least once. A message is handled again after its handler's worker
// crashed, or when its lease was lost because heartbeats could not reach Redis for a
// whole Lease; in that case the handler's context is cancelled, its outcome is refused,
// but it may still be running while another worker handles the same message, and the
// message's key loses its one-at-a-time guarantee for that overlap. Handlers must be
// idempotent (external ids, last-writer-wins guards) for exactly-once effects.
type Processor struct {
	q   *Queue
	h   Handler
	cfg processorConfig
	log *slog.Logger

	started atomic.Bool

	slots    chan struct{}
	jobs     chan *job
	settles  chan *job
	draining atomic.Bool

	settlerGone chan struct{}
	settleStop  chan struct{}

	mu      sync.Mutex
	running map[*job]struct{} // fetched and not yet settled
}

// job is one delivery's life in the Processor.
type job struct {
	d      *Delivery
	op     settleOp
	cause  error // the handler's error, for OnSnoozed
	cancel context.CancelCauseFunc

	mu        sync.Mutex
	handling  bool // handler running
	abandoned bool
	released  bool // given back by shutdown; the handler's outcome is void
	lost      bool
}

// NewProcessor returns a Processor that runs h over q.
func NewProcessor(q *Queue, h Handler, opts ...ProcessorOption) *Processor {
	cfg := processorConfig{
		workers:         16,
		shutdownTimeout: 10 * time.Second,
		handlerTimeout:  2 * time.Minute,
		minPoll:         5 * time.Millisecond,
		maxPoll:         100 * time.Millisecond,
		heartbeat:       q.cfg.lease / 3,
		recoverEvery:    q.cfg.lease / 4,
		throttleSnooze:  time.Second,
		logger:          slog.Default(),
	}
	for _, o := range opts {
		o(&cfg)
	}
	cfg.workers = max(cfg.workers, 1)
	cfg.minPoll = max(cfg.minPoll, time.Millisecond)
	cfg.maxPoll = max(cfg.maxPoll, cfg.minPoll)
	if cfg.heartbeat <= 0 {
		cfg.heartbeat = q.cfg.lease / 3
	}
	if cfg.recoverEvery <= 0 {
		cfg.recoverEvery = q.cfg.lease / 4
	}
	return &Processor{
		q:           q,
		h:           h,
		cfg:         cfg,
		log:         cfg.logger.With("component", "queue.processor"),
		slots:       make(chan struct{}, cfg.workers),
		jobs:        make(chan *job, cfg.workers),
		settles:     make(chan *job, 4*cfg.workers),
		settlerGone: make(chan struct{}),
		settleStop:  make(chan struct{}),
		running:     make(map[*job]struct{}),
	}
}

// ErrAlreadyRunning is returned by a second call to Run.
var ErrAlreadyRunning = errors.New("queue: processor already ran")

// errShutdown cancels handlers still running at the shutdown deadline.
var errShutdown = errors.New("queue: processor shutdown deadline passed")

// Run processes messages until ctx ends, then shuts down gracefully: it stops leasing
// groups, gives back leased groups whose handlers had not started, waits up to
// ShutdownTimeout for running handlers, then cancels the rest and releases their groups
// (attempt refunded), flushes outcomes to Redis, and returns. It returns nil after a
// clean shutdown, and an error naming how many handlers were still running otherwise
// (their goroutines end when the handlers return). A Processor runs once.
func (p *Processor) Run(ctx context.Context) error {
	if !p.started.CompareAndSwap(false, true) {
		return ErrAlreadyRunning
	}
	bg := context.WithoutCancel(ctx)
	handlerBase, hardStop := context.WithCancelCause(bg)
	defer hardStop(nil)
	loops, stopLoops := context.WithCancel(bg)
	defer stopLoops()

	for range p.cfg.workers {
		p.slots <- struct{}{}
	}
	var workers, fetcher, settler, others sync.WaitGroup
	for range p.cfg.workers {
		workers.Go(func() { p.work(handlerBase) })
	}
	fetcher.Go(func() { p.fetch(ctx) })
	settler.Go(func() { p.settle(loops) })
	others.Go(func() { p.heartbeat(loops) })
	others.Go(func() { p.recoverLoop(ctx) })

	<-ctx.Done()
	p.draining.Store(true)
	fetcher.Wait()
	close(p.jobs)

	done := make(chan struct{})
	go func() { workers.Wait(); close(done) }()
	var stuck int
	timer := time.NewTimer(p.cfg.shutdownTimeout)
	select {
	case <-done:
		timer.Stop()
	case <-timer.C:
		hardStop(errShutdown)
		stuck = p.releaseRunning(bg)
	}
	p.finishSettling()
	settler.Wait()
	stopLoops()
	others.Wait()
	if stuck > 0 {
		return fmt.Errorf("queue: %d handlers still running at the shutdown deadline; their groups were released", stuck)
	}
	return nil
}

func (p *Processor) finishSettling()               { close(p.settleStop) }
func (p *Processor) stopSettling() <-chan struct{} { return p.settleStop }

func (p *Processor) track(j *job) {
	p.mu.Lock()
	p.running[j] = struct{}{}
	p.mu.Unlock()
}

func (p *Processor) untrack(j *job) {
	p.mu.Lock()
	delete(p.running, j)
	p.mu.Unlock()
}

func (p *Processor) snapshot() []*job {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := make([]*job, 0, len(p.running))
	for j := range p.running {
		out = append(out, j)
	}
	return out
}

// work runs handlers for jobs the fetcher leased.
func (p *Processor) work(base context.Context) {
	for j := range p.jobs {
		if p.draining.Load() {
			// Leased but not started: give it back untouched.
			j.op = settleOp{kind: opRelease, d: j.d, at: p.q.now()}
		} else {
			p.handle(base, j)
		}
		p.slots <- struct{}{}
		if j.op.kind == 0 {
			continue // abandoned or released at shutdown
		}
		select {
		case p.settles <- j:
		case <-p.settlerGone:
		}
	}
}

func (p *Processor) handle(base context.Context, j *job) {
	ctx, cancel := context.WithCancelCause(base)
	defer cancel(nil)
	if p.cfg.handlerTimeout > 0 {
		var stop context.CancelFunc
		ctx, stop = context.WithTimeout(ctx, p.cfg.handlerTimeout)
		defer stop()
	}
	ctx = crash.With(ctx, func() {
		j.mu.Lock()
		j.abandoned = true
		j.mu.Unlock()
	})
	j.mu.Lock()
	j.cancel = cancel
	j.handling = true
	lost := j.lost
	j.mu.Unlock()
	if lost {
		cancel(ErrLeaseLost)
	}

	m := j.d.Message
	err := p.call(ctx, &m)

	j.mu.Lock()
	j.handling = false
	abandoned, released := j.abandoned, j.released
	j.mu.Unlock()
	if abandoned || released {
		p.untrack(j)
		return
	}
	v := classify(err, j.d.Attempt, p.q.cfg.backoff, p.cfg.throttleSnooze)
	now := p.q.now()
	switch v.kind {
	case opAck:
		j.op = settleOp{kind: opAck, d: j.d}
	case opDead:
		j.op = settleOp{kind: opDead, d: j.d, reason: ReasonPermanent, err: errText(err)}
	case opSnooze:
		j.op = settleOp{kind: opSnooze, d: j.d, at: now.Add(v.delay)}
		j.cause = err
	default:
		j.op = settleOp{kind: opRetry, d: j.d, at: now.Add(v.delay), err: errText(err)}
	}
}

// call runs the handler, turning a panic into an error.
func (p *Processor) call(ctx context.Context, m *Message) (err error) {
	defer func() {
		if r := recover(); r != nil {
			p.log.Error("handler panicked", "id", m.ID, "key", m.Key, "panic", r, "stack", string(debug.Stack()))
			err = fmt.Errorf("queue: handler panic: %v", r)
		}
	}()
	return p.h.Handle(ctx, m)
}

// releaseRunning gives back the groups of handlers still running at the shutdown
// deadline and returns how many there were.
func (p *Processor) releaseRunning(ctx context.Context) int {
	var ops []settleOp
	for _, j := range p.snapshot() {
		j.mu.Lock()
		if j.handling && !j.abandoned {
			j.released = true
			ops = append(ops, settleOp{kind: opRelease, d: j.d, at: p.q.now()})
		}
		j.mu.Unlock()
	}
	if len(ops) == 0 {
		return 0
	}
	ctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for i, r := range p.q.settle(ctx, ops) {
		if r.err != nil {
			p.log.Warn("release at shutdown failed; the lease will expire instead", "id", ops[i].d.ID, "key", ops[i].d.Key, "err", r.err)
		}
	}
	for _, op := range ops {
		p.mu.Lock()
		for j := range p.running {
			if j.d == op.d {
				delete(p.running, j)
			}
		}
		p.mu.Unlock()
	}
	return len(ops)
}

// wait waits d on the queue's clock, or until wake fires (reporting true) or ctx ends.
// The timer is stopped before wait returns, so a manual clock counts only the loops
// that are really waiting.
func (p *Processor) wait(ctx context.Context, d time.Duration, wake <-chan struct{}) bool {
	t := p.q.cfg.clock.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C():
	case <-wake:
		return true
	case <-ctx.Done():
	}
	return false
}
