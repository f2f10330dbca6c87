package salesforce

import "github.com/peakready/peakready/fakes/ledger"

// txn is a transaction over the store, for the requests Salesforce runs all or none:
// sObject Collections with allOrNone and Composite requests. It keeps how to undo each
// change, and holds the ledger effects back until it ends, so a rolled-back change is
// recorded as what it was: a refusal. A txn lives while its request holds s.mu for
// writing; it is not safe for concurrent use.
type txn struct {
	undo    []undoEntry
	effects []ledger.Effect
}

// undoEntry is one change: cur replaced prev (nil for an insert).
type undoEntry struct {
	t         *table
	prev, cur *record
}

// savepoint marks a point a transaction can roll back to.
type savepoint struct{ undo, effects int }

func (tx *txn) mark() savepoint { return savepoint{len(tx.undo), len(tx.effects)} }

// logChange records a change for the open transaction, if any.
func (s *store) logChange(t *table, prev, cur *record) {
	if s.tx != nil {
		s.tx.undo = append(s.tx.undo, undoEntry{t: t, prev: prev, cur: cur})
	}
}

// beginTx opens a transaction, or joins the one already open (a collection inside a
// composite request). own says whether the caller must end it. s.mu must be held.
func (s *Server) beginTx() (tx *txn, own bool) {
	if s.st.tx != nil {
		return s.st.tx, false
	}
	s.st.tx = &txn{}
	return s.st.tx, true
}

// endTx commits a transaction the caller owns: its effects go to the ledger.
func (s *Server) endTx(tx *txn, own bool) {
	if !own {
		return
	}
	s.st.tx = nil
	for _, e := range tx.effects {
		s.ledger.Append(e)
	}
}

// rollbackTo undoes every change made since sp, newest first, and turns the effects
// recorded since into refusals with reason ALL_OR_NONE_OPERATION_ROLLED_BACK (refusals
// stay as they were). Record ids are not reused. s.mu must be held.
func (s *Server) rollbackTo(tx *txn, sp savepoint) {
	for i := len(tx.undo) - 1; i >= sp.undo; i-- {
		u := tx.undo[i]
		if u.prev == nil {
			delete(u.t.byID, u.cur.id)
		} else {
			u.t.byID[u.cur.id] = u.prev
		}
		if !u.cur.deleted {
			u.t.reindex(u.cur, nil)
		}
		if u.prev != nil && !u.prev.deleted {
			u.t.reindex(nil, u.prev)
		}
	}
	tx.undo = tx.undo[:sp.undo]
	for i := sp.effects; i < len(tx.effects); i++ {
		if e := &tx.effects[i]; e.Action != ledger.Rejected {
			e.Action, e.Reason = ledger.Rejected, CodeAllOrNoneRolledBack
		}
	}
}
