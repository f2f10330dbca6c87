package alert

import (
	"context"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"
)

// Defaults of NotifierConfig.
const (
	DefaultInterval    = 15 * time.Minute
	DefaultSendTimeout = 10 * time.Second
	queueSize          = 1024
)

// NotifierConfig configures a Notifier.
type NotifierConfig struct {
	// Senders deliver every message; none makes the Notifier count alerts only.
	Senders []Sender
	// Interval is the least time between two messages for one condition (default 15 min):
	// occurrences in between are counted into the next message.
	Interval time.Duration
	// Limiter holds the counts and the last send times (default: this process only).
	Limiter Limiter
	// Source names the sender of messages, e.g. "peakready integrator on host-1".
	Source string
	// Now tells the time (default time.Now); scenario runs pass their sped-up clock.
	Now func() time.Time
	// SendTimeout bounds one delivery by one sender (default 10 s).
	SendTimeout time.Duration
	Logger      *slog.Logger
}

// Notifier deduplicates and rate-limits alerts and sends them. Notify never blocks;
// sending happens in Run.
type Notifier struct {
	cfg   NotifierConfig
	queue chan Alert
	wake  chan struct{}

	dropped atomic.Int64
	mu      sync.Mutex
	stats   Stats
}

// Stats counts what a Notifier did.
type Stats struct {
	Alerts  int64 // alerts taken in (recorded, and sent when their window was open)
	Dropped int64 // alerts lost because Run fell behind
	Sent    int64 // messages delivered (one per sender)
	Failed  int64 // deliveries that failed
}

// NewNotifier returns a Notifier; call Run to make it send.
func NewNotifier(cfg NotifierConfig) *Notifier {
	if cfg.Interval <= 0 {
		cfg.Interval = DefaultInterval
	}
	if cfg.Limiter == nil {
		cfg.Limiter = NewMemoryLimiter()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.SendTimeout <= 0 {
		cfg.SendTimeout = DefaultSendTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	return &Notifier{cfg: cfg, queue: make(chan Alert, queueSize), wake: make(chan struct{}, 1)}
}

// Notify records one occurrence of a condition. It never blocks: when Run has fallen
// far behind, the alert is counted as dropped.
func (n *Notifier) Notify(a Alert) {
	if a.At.IsZero() {
		a.At = n.cfg.Now()
	}
	if a.Severity == "" {
		a.Severity = Warning
	}
	select {
	case n.queue <- a:
	default:
		n.dropped.Add(1)
	}
}

// Stats reports what the Notifier did so far.
func (n *Notifier) Stats() Stats {
	n.mu.Lock()
	defer n.mu.Unlock()
	s := n.stats
	s.Dropped = n.dropped.Load()
	return s
}

// Flush asks Run to send whatever may be sent now, without waiting for its tick.
func (n *Notifier) Flush() {
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// Run records alerts and sends messages until ctx ends. Every condition's pending
// occurrences are looked at whenever an alert arrives and on a tick of a quarter of the
// interval, so a count that arrived within a closed window is sent when it opens.
func (n *Notifier) Run(ctx context.Context) {
	tick := time.NewTicker(max(n.cfg.Interval/4, 10*time.Millisecond))
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case a := <-n.queue:
			if err := n.cfg.Limiter.Record(ctx, a, 1); err != nil {
				n.cfg.Logger.Warn("alert not recorded", "condition", a.Condition, "err", err)
			} else {
				n.trySend(ctx, a.Condition)
			}
			n.count(func(s *Stats) { s.Alerts++ })
		case <-n.wake:
			n.sendDue(ctx)
		case <-tick.C:
			n.sendDue(ctx)
		}
	}
}

func (n *Notifier) count(fn func(*Stats)) {
	n.mu.Lock()
	fn(&n.stats)
	n.mu.Unlock()
}

func (n *Notifier) sendDue(ctx context.Context) {
	conds, err := n.cfg.Limiter.Conditions(ctx)
	if err != nil {
		n.cfg.Logger.Warn("alert conditions not read", "err", err)
		return
	}
	for _, c := range conds {
		n.trySend(ctx, c)
	}
}

// trySend sends cond's pending occurrences if its window is open. A message no sender
// could deliver is counted back, to go out with the next one.
func (n *Notifier) trySend(ctx context.Context, cond string) {
	if len(n.cfg.Senders) == 0 {
		return // a replica that sends nothing must not use up the fleet's window
	}
	p, ok, err := n.cfg.Limiter.Claim(ctx, cond, n.cfg.Interval, n.cfg.Now())
	if err != nil {
		n.cfg.Logger.Warn("alert not claimed", "condition", cond, "err", err)
		return
	}
	if !ok {
		return
	}
	m := Message{Alert: p.Latest, Count: p.Count, First: p.First, Source: n.cfg.Source}
	delivered := false
	for _, s := range n.cfg.Senders {
		sctx, cancel := context.WithTimeout(ctx, n.cfg.SendTimeout)
		err := s.Send(sctx, m)
		cancel()
		if err != nil {
			n.count(func(st *Stats) { st.Failed++ })
			n.cfg.Logger.Warn("alert not delivered", "sender", s.Name(), "condition", cond, "err", err)
			continue
		}
		delivered = true
		n.count(func(st *Stats) { st.Sent++ })
	}
	if !delivered {
		if err := n.cfg.Limiter.Record(ctx, p.Latest, p.Count); err != nil {
			n.cfg.Logger.Warn("undelivered alert lost", "condition", cond, "err", err)
		}
	}
}
