package salesforce

import (
	"slices"
	"strings"
	"time"
)

// record is one version of a record. Records are immutable: an update stores a new
// version, so a reader holding one (a GET being rendered, a query cursor) never sees it
// change.
type record struct {
	object  string
	id      string
	seq     uint64 // creation order within its object
	values  map[string]any
	deleted bool
}

// Value returns a field's value by canonical name, for SOQL and rendering. IsDeleted
// is the record's own flag.
func (r *record) Value(field string) any {
	if field == "IsDeleted" {
		return r.deleted
	}
	return r.values[field]
}

func (r *record) str(field string) string {
	s, _ := r.values[field].(string)
	return s
}

// table holds the records of one object type.
type table struct {
	prefix string
	seq    uint64
	byID   map[string]*record // every record, deleted ones included
	// index maps an indexed field to lower-cased value to the ids of live records.
	index map[string]map[string][]string
}

// store is every record of the fake. It is not safe for concurrent use: the Server
// guards it with its mutex.
type store struct {
	tables map[string]*table
	// born is when the store was made (the org's creation, or its last reset): no
	// record is older.
	born time.Time
	// tx, while a transaction is open, records how to undo each change.
	tx *txn
	// relationships maps an object and a relationship name to the lookup field and
	// the parent object, for SOQL parent fields.
	relationships map[string]map[string]lookupDef
}

// lookupDef is a relationship: the id field holding the parent's id, and the parent
// object.
type lookupDef struct{ field, target string }

func newStore(born time.Time) *store {
	return &store{born: born, tables: map[string]*table{
		ObjectContact: {prefix: PrefixContact, byID: map[string]*record{}, index: map[string]map[string][]string{}},
		ObjectAccount: {prefix: PrefixAccount, byID: map[string]*record{}, index: map[string]map[string][]string{}},
	}}
}

// ensureIndexes indexes Email (Contact) and every external-id field of sc, building an
// index from the records for a field that was not indexed before. It also learns the
// schema's relationships.
func (s *store) ensureIndexes(sc *schema) {
	s.relationships = map[string]map[string]lookupDef{}
	for _, o := range sc.objects {
		rels := map[string]lookupDef{}
		for _, f := range o.Fields {
			if rel := f.relationshipName(); rel != "" {
				rels[rel] = lookupDef{field: f.Name, target: f.RefObject}
			}
		}
		s.relationships[o.Name] = rels
	}
	for name, t := range s.tables {
		obj, _ := sc.object(name)
		fields := []string{}
		if name == ObjectContact {
			fields = append(fields, "Email")
		}
		for _, f := range obj.ExternalIDs {
			fields = append(fields, f.Name)
		}
		for _, f := range fields {
			if _, ok := t.index[f]; ok {
				continue
			}
			idx := map[string][]string{}
			for _, id := range t.idsInOrder() {
				r := t.byID[id]
				if v := r.str(f); v != "" && !r.deleted {
					k := strings.ToLower(v)
					idx[k] = append(idx[k], r.id)
				}
			}
			t.index[f] = idx
		}
	}
}

func (t *table) idsInOrder() []string {
	ids := make([]string, 0, len(t.byID))
	for id := range t.byID {
		ids = append(ids, id)
	}
	slices.SortFunc(ids, func(a, b string) int { return cmpSeq(t.byID[a].seq, t.byID[b].seq) })
	return ids
}

func (s *store) get(object, id string) *record { return s.tables[object].byID[id] }

// lookup returns the live records whose field equals value, case-insensitively, in
// creation order. It uses the field's index when there is one.
func (s *store) lookup(object, field, value string) []*record {
	t := s.tables[object]
	if strings.EqualFold(field, "Id") {
		if id, ok := canonicalID(value); ok {
			if r := t.byID[id]; r != nil && !r.deleted {
				return []*record{r}
			}
		}
		return nil
	}
	key := strings.ToLower(value)
	if idx, ok := t.index[field]; ok {
		ids := idx[key]
		out := make([]*record, 0, len(ids))
		for _, id := range ids {
			out = append(out, t.byID[id])
		}
		slices.SortFunc(out, func(a, b *record) int { return cmpSeq(a.seq, b.seq) })
		return out
	}
	var out []*record
	for _, r := range s.live(object) {
		if strings.ToLower(r.str(field)) == key && r.str(field) != "" {
			out = append(out, r)
		}
	}
	return out
}

// all returns every record, deleted ones included, in creation order.
func (s *store) all(object string) []*record {
	t := s.tables[object]
	out := make([]*record, 0, len(t.byID))
	for _, r := range t.byID {
		out = append(out, r)
	}
	slices.SortFunc(out, func(a, b *record) int { return cmpSeq(a.seq, b.seq) })
	return out
}

// live returns every record not deleted, in creation order.
func (s *store) live(object string) []*record {
	t := s.tables[object]
	out := make([]*record, 0, len(t.byID))
	for _, r := range t.byID {
		if !r.deleted {
			out = append(out, r)
		}
	}
	slices.SortFunc(out, func(a, b *record) int { return cmpSeq(a.seq, b.seq) })
	return out
}

// insert stores a new record with values (system fields are added) and returns it.
func (s *store) insert(object string, values map[string]any, now time.Time) *record {
	t := s.tables[object]
	t.seq++
	id := NewID(t.prefix, t.seq)
	values["Id"] = id
	values["CreatedDate"] = now
	values["LastModifiedDate"] = now
	values["SystemModstamp"] = now
	r := &record{object: object, id: id, seq: t.seq, values: values}
	t.byID[id] = r
	t.reindex(nil, r)
	s.logChange(t, nil, r)
	return r
}

// replace stores values as the new version of old.
func (s *store) replace(old *record, values map[string]any, now time.Time) *record {
	t := s.tables[old.object]
	values["LastModifiedDate"] = now
	values["SystemModstamp"] = now
	r := &record{object: old.object, id: old.id, seq: old.seq, values: values}
	t.byID[old.id] = r
	t.reindex(old, r)
	s.logChange(t, old, r)
	return r
}

// remove marks a record deleted.
func (s *store) remove(old *record, now time.Time) *record {
	t := s.tables[old.object]
	values := make(map[string]any, len(old.values))
	for k, v := range old.values {
		values[k] = v
	}
	values["SystemModstamp"] = now
	r := &record{object: old.object, id: old.id, seq: old.seq, values: values, deleted: true}
	t.byID[old.id] = r
	t.reindex(old, nil)
	s.logChange(t, old, r)
	return r
}

// reindex moves a record's index entries from its old version to its new one (either
// may be nil).
func (t *table) reindex(old, cur *record) {
	for field, idx := range t.index {
		var before, after string
		if old != nil {
			before = strings.ToLower(old.str(field))
		}
		if cur != nil {
			after = strings.ToLower(cur.str(field))
		}
		if old != nil && cur != nil && before == after {
			continue
		}
		if before != "" {
			ids := slices.DeleteFunc(idx[before], func(id string) bool { return id == old.id })
			if len(ids) == 0 {
				delete(idx, before)
			} else {
				idx[before] = ids
			}
		}
		if after != "" {
			idx[after] = append(idx[after], cur.id)
		}
	}
}

// purge forgets a record entirely (a hard delete): no query, not even QueryAll, and no
// replication call sees it again.
func (s *store) purge(object, id string) {
	t := s.tables[object]
	if r := t.byID[id]; r != nil && !r.deleted {
		t.reindex(r, nil)
	}
	delete(t.byID, id)
}
