// Package ledger records every effect a fake had: each record created, updated, deleted
// or refused, so a test can prove what happened upstream, not what the integration
// believes happened.
//
// Besides the effect log it keeps exact counts per record type: records and create
// attempts per external id and per natural key. The natural key is the identity of the
// business object outside the platform (the Shopify order id a NetSuite sales order was
// made for), so a duplicate made by a POST without externalId still shows up as two
// records for one order.
package ledger

import (
	"encoding/json"
	"sort"
	"sync"
	"time"

	"github.com/peakready/peakready/clock"
)

// Actions every fake uses; a fake may add its own (fulfilled, adjusted, delivered...).
const (
	Created  = "created"
	Updated  = "updated"
	Deleted  = "deleted"
	Rejected = "rejected"
)

// Effect is one thing that happened to a fake's state, or one thing it refused.
type Effect struct {
	Seq        int64     `json:"seq"`
	At         time.Time `json:"at"`
	Action     string    `json:"action"`
	Record     string    `json:"record"`
	ID         string    `json:"id,omitempty"`
	ExternalID string    `json:"external_id,omitempty"`
	NaturalKey string    `json:"natural_key,omitempty"`
	// CreateAttempt marks an effect that came from an attempt to create a record, whether
	// it created one or was refused (a duplicate externalId, an unknown item).
	CreateAttempt bool `json:"create_attempt,omitempty"`
	// Reason says why a request was refused (the platform's error code).
	Reason string `json:"reason,omitempty"`
	// Detail is a small summary of the record (never a whole payload).
	Detail json.RawMessage `json:"detail,omitempty"`
}

// DefaultRetain is how many effects a ledger keeps by default; counts are kept for every
// key regardless.
const DefaultRetain = 1_000_000

// Ledger is safe for concurrent use.
type Ledger struct {
	mu      sync.Mutex
	clock   clock.Clock
	retain  int
	effects []Effect // ring once full
	start   int      // index of the oldest effect when the ring is full
	seq     int64
	counts  map[string]*RecordCounts
}

// RecordCounts are the exact counters of one record type.
type RecordCounts struct {
	Created                    int64            `json:"created"`
	Updated                    int64            `json:"updated"`
	Deleted                    int64            `json:"deleted"`
	Rejected                   int64            `json:"rejected"`
	RecordsByExternalID        map[string]int64 `json:"records_by_external_id"`
	RecordsByNaturalKey        map[string]int64 `json:"records_by_natural_key"`
	CreateAttemptsByExternalID map[string]int64 `json:"create_attempts_by_external_id"`
	CreateAttemptsByNaturalKey map[string]int64 `json:"create_attempts_by_natural_key"`
}

func newRecordCounts() *RecordCounts {
	return &RecordCounts{
		RecordsByExternalID: map[string]int64{}, RecordsByNaturalKey: map[string]int64{},
		CreateAttemptsByExternalID: map[string]int64{}, CreateAttemptsByNaturalKey: map[string]int64{},
	}
}

// New returns a ledger keeping the last retain effects (DefaultRetain if retain <= 0).
func New(c clock.Clock, retain int) *Ledger {
	if retain <= 0 {
		retain = DefaultRetain
	}
	return &Ledger{clock: c, retain: retain, counts: map[string]*RecordCounts{}}
}

// Append records an effect, stamping its sequence number and time, and returns it.
func (l *Ledger) Append(e Effect) Effect {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	e.Seq = l.seq
	if e.At.IsZero() {
		e.At = l.clock.Now()
	}
	c, ok := l.counts[e.Record]
	if !ok {
		c = newRecordCounts()
		l.counts[e.Record] = c
	}
	switch e.Action {
	case Created:
		c.Created++
		bump(c.RecordsByExternalID, e.ExternalID, 1)
		bump(c.RecordsByNaturalKey, e.NaturalKey, 1)
	case Updated:
		c.Updated++
	case Deleted:
		c.Deleted++
		bump(c.RecordsByExternalID, e.ExternalID, -1)
		bump(c.RecordsByNaturalKey, e.NaturalKey, -1)
	case Rejected:
		c.Rejected++
	}
	if e.CreateAttempt {
		bump(c.CreateAttemptsByExternalID, e.ExternalID, 1)
		bump(c.CreateAttemptsByNaturalKey, e.NaturalKey, 1)
	}
	if len(l.effects) < l.retain {
		l.effects = append(l.effects, e)
	} else {
		l.effects[l.start] = e
		l.start = (l.start + 1) % l.retain
	}
	return e
}

func bump(m map[string]int64, key string, by int64) {
	if key == "" {
		return
	}
	if m[key] += by; m[key] <= 0 {
		delete(m, key)
	}
}

// Query selects what a snapshot includes.
type Query struct {
	// Since returns only effects with Seq > Since.
	Since int64
	// Limit caps the number of effects returned (0: all retained).
	Limit int
	// NoEffects omits the effect log, for counts only.
	NoEffects bool
	// DuplicatesOnly keeps only keys counted more than once in the per-key maps.
	DuplicatesOnly bool
	// Record limits the snapshot to one record type.
	Record string
}

// Snapshot is the JSON served at GET /_fake/ledger.
type Snapshot struct {
	Effects []Effect `json:"effects"`
	// TotalEffects counts every effect ever appended; Dropped of them are no longer retained.
	TotalEffects int64                    `json:"total_effects"`
	Dropped      int64                    `json:"dropped"`
	Records      map[string]*RecordCounts `json:"records"`
}

// Snapshot copies the ledger's state.
func (l *Ledger) Snapshot(q Query) Snapshot {
	l.mu.Lock()
	defer l.mu.Unlock()
	s := Snapshot{TotalEffects: l.seq, Dropped: l.seq - int64(len(l.effects)), Records: map[string]*RecordCounts{}, Effects: []Effect{}}
	if !q.NoEffects {
		n := len(l.effects)
		for i := 0; i < n; i++ {
			e := l.effects[(l.start+i)%n]
			if e.Seq <= q.Since || (q.Record != "" && e.Record != q.Record) {
				continue
			}
			s.Effects = append(s.Effects, e)
			if q.Limit > 0 && len(s.Effects) >= q.Limit {
				break
			}
		}
	}
	for rec, c := range l.counts {
		if q.Record != "" && rec != q.Record {
			continue
		}
		cp := *c
		cp.RecordsByExternalID = copyCounts(c.RecordsByExternalID, q.DuplicatesOnly)
		cp.RecordsByNaturalKey = copyCounts(c.RecordsByNaturalKey, q.DuplicatesOnly)
		cp.CreateAttemptsByExternalID = copyCounts(c.CreateAttemptsByExternalID, q.DuplicatesOnly)
		cp.CreateAttemptsByNaturalKey = copyCounts(c.CreateAttemptsByNaturalKey, q.DuplicatesOnly)
		s.Records[rec] = &cp
	}
	return s
}

func copyCounts(m map[string]int64, dupOnly bool) map[string]int64 {
	out := make(map[string]int64, len(m))
	for k, v := range m {
		if !dupOnly || v > 1 {
			out[k] = v
		}
	}
	return out
}

// Counts returns a copy of one record type's counters (zero counters if none).
func (l *Ledger) Counts(record string) RecordCounts {
	s := l.Snapshot(Query{NoEffects: true, Record: record})
	if c, ok := s.Records[record]; ok {
		return *c
	}
	return *newRecordCounts()
}

// Effects returns the retained effects of one record type (all types if record is empty).
func (l *Ledger) Effects(record string) []Effect {
	return l.Snapshot(Query{Record: record}).Effects
}

// Reset forgets everything.
func (l *Ledger) Reset() {
	l.mu.Lock()
	l.effects, l.start, l.seq, l.counts = nil, 0, 0, map[string]*RecordCounts{}
	l.mu.Unlock()
}

// RecordTypes lists the record types seen, sorted.
func (l *Ledger) RecordTypes() []string {
	l.mu.Lock()
	defer l.mu.Unlock()
	out := make([]string, 0, len(l.counts))
	for k := range l.counts {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
