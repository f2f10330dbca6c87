// Package alert tells an operations team when the integrator needs a person: a message
// dead-lettered after its retries, an order held for review too long, an upstream whose
// circuit breaker stays open, a Redis that lost its durability or its data, a
// reconciliation that found differences.
//
// A Notifier takes alerts from anywhere in the integrator without blocking, and sends
// at most one message per condition per interval, saying how many times the condition
// occurred since the last message. Replicas that share a Limiter in Redis share that
// budget, so a fleet of replicas sends one message, not one each. Senders deliver to a
// Slack-compatible incoming webhook and by SMTP email.
package alert

import (
	"context"
	"fmt"
	"strings"
	"time"
)

// Conditions the integrator raises.
const (
	DeadLetters               = "dead_letters"
	HeldTooLong               = "held_too_long"
	BreakerOpen               = "breaker_open"
	RedisDurability           = "redis_durability"
	ReconciliationDifferences = "reconciliation_differences"
	AuditDifferences          = "audit_differences"
)

// Severity of an alert.
type Severity string

const (
	Warning  Severity = "warning"
	Critical Severity = "critical"
)

// Alert is one occurrence of a condition.
type Alert struct {
	// Condition groups alerts for deduplication, e.g. DeadLetters.
	Condition string   `json:"condition"`
	Severity  Severity `json:"severity"`
	// Summary is one line for a person: what happened and what to look at.
	Summary string `json:"summary"`
	// Details are further lines (ids, reasons), at most a few.
	Details []string  `json:"details,omitempty"`
	At      time.Time `json:"at"`
}

// Message is what a Sender delivers: the latest alert of a condition and how many
// occurrences it stands for.
type Message struct {
	Alert
	// Count is the number of occurrences since the last message for the condition
	// (at least 1); First is when the first of them happened.
	Count int64
	First time.Time
	// Source names who sends it (the integrator's service name and replica).
	Source string
}

// Subject is the message's one-line title.
func (m Message) Subject() string {
	s := fmt.Sprintf("[peakready] %s %s: %s", m.Severity, m.Condition, m.Summary)
	if m.Count > 1 {
		s += fmt.Sprintf(" (×%d)", m.Count)
	}
	return s
}

// Text is the message's plain-text body.
func (m Message) Text() string {
	var b strings.Builder
	b.WriteString(m.Summary)
	b.WriteString("\n")
	for _, d := range m.Details {
		b.WriteString("  - ")
		b.WriteString(d)
		b.WriteString("\n")
	}
	if m.Count > 1 {
		fmt.Fprintf(&b, "%d occurrences since %s; this is the latest, at %s.\n", m.Count,
			m.First.UTC().Format(time.RFC3339), m.At.UTC().Format(time.RFC3339))
	} else {
		fmt.Fprintf(&b, "At %s.\n", m.At.UTC().Format(time.RFC3339))
	}
	if m.Source != "" {
		fmt.Fprintf(&b, "From %s.\n", m.Source)
	}
	return b.String()
}

// Sender delivers messages somewhere a person reads them. Send must be safe for
// concurrent use and honour ctx.
type Sender interface {
	Send(ctx context.Context, m Message) error
	// Name identifies the sender in logs ("slack", "email").
	Name() string
}
