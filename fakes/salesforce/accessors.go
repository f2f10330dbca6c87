package salesforce

import (
	"maps"
	"strings"
)

// Record is a copy of one record as the org holds it, for checks made in-process:
// Fields maps canonical field names to values (string, float64, bool or time.Time;
// absent when null), system fields included.
type Record struct {
	ID      string
	Object  string
	Deleted bool
	Fields  map[string]any
}

func snapshot(r *record) Record {
	fields := maps.Clone(r.values)
	fields["IsDeleted"] = r.deleted
	return Record{ID: r.id, Object: r.object, Deleted: r.deleted, Fields: fields}
}

// Records returns the live records of an object ("Contact" or "Account"), in creation
// order. Bulk API jobs due by now are processed first, so their records are included.
func (s *Server) Records(object string) []Record {
	s.advanceBulk()
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.st.tables[object] == nil {
		return nil
	}
	live := s.st.live(object)
	out := make([]Record, len(live))
	for i, r := range live {
		out[i] = snapshot(r)
	}
	return out
}

// Contacts returns every live Contact with its fields, in creation order.
func (s *Server) Contacts() []Record { return s.Records(ObjectContact) }

// Contact returns the Contact with an id (15 or 18 characters), deleted or not, or nil.
func (s *Server) Contact(id string) *Record {
	cid, ok := canonicalID(id)
	if !ok {
		return nil
	}
	s.advanceBulk()
	s.mu.RLock()
	defer s.mu.RUnlock()
	r := s.st.get(ObjectContact, cid)
	if r == nil {
		return nil
	}
	snap := snapshot(r)
	return &snap
}

// ContactCounts counts the live Contacts per key, for the no-duplicate-contacts check.
type ContactCounts struct {
	// ByExternalID counts Contacts per value of the primary external-id field
	// (Shopify_Customer_Id__c by default), trimmed and lower-cased as Salesforce
	// matches external ids. Contacts without one are not counted.
	ByExternalID map[string]int
	// ByEmail counts Contacts per email, trimmed and lower-cased. Contacts without an
	// email are not counted.
	ByEmail map[string]int
}

// ContactCounts counts the live Contacts per external id and per normalised email. A
// count above 1 is a duplicate.
func (s *Server) ContactCounts() ContactCounts {
	s.advanceBulk()
	out := ContactCounts{ByExternalID: map[string]int{}, ByEmail: map[string]int{}}
	obj, _ := s.settings.Load().schema.object(ObjectContact)
	s.mu.RLock()
	defer s.mu.RUnlock()
	for _, r := range s.st.live(ObjectContact) {
		if len(obj.ExternalIDs) > 0 {
			if k := normalizeKey(r.str(obj.ExternalIDs[0].Name)); k != "" {
				out.ByExternalID[k]++
			}
		}
		if k := normalizeKey(r.str("Email")); k != "" {
			out.ByEmail[k]++
		}
	}
	return out
}

func normalizeKey(v string) string { return strings.ToLower(strings.TrimSpace(v)) }
