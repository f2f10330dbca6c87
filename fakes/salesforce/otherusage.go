package salesforce

import "time"

// RecordOtherUsage counts calls that other integrations of the org made at a past instant
// at against the daily allocation: they show in Sforce-Limit-Info and /limits, leave
// the rolling 24 hours at at+24h, and appear in no ledger. A scenario uses it to start
// a run with the allocation nearly spent and a known moment when it frees.
func (s *Server) RecordOtherUsage(calls int64, at time.Time) { s.alloc.Record(calls, at) }
