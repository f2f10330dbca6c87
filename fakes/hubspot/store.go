package hubspot

import (
	"maps"
	"strconv"
	"time"
)

// firstContactID is the id of the first contact; ids then count up by one. HubSpot's ids
// are numeric strings too.
const firstContactID = 101

// contact is one version of a contact. Versions are immutable: a write stores a new
// version, so a reader holding one (a response being rendered, a search page) never sees
// it change.
type contact struct {
	id         int64
	props      map[string]string // values by property name; no empty values
	createdAt  time.Time
	updatedAt  time.Time
	archived   bool
	archivedAt time.Time
	// at is when this version became current: the search index sees it search_index_lag
	// later.
	at time.Time
	// prev is the version before, kept only while the search index may still show it.
	prev *contact
}

func (c *contact) idString() string { return strconv.FormatInt(c.id, 10) }

// store is every contact of the portal. It is not safe for concurrent use: the Server
// guards it with its mutex.
type store struct {
	next  int64
	byID  map[int64]*contact
	order []int64 // every id, archived ones included, in creation order
	// email maps a normalized email to the live contact holding it.
	email map[string]int64
	// unique maps a unique property to value to the live contact holding it.
	unique map[string]map[string]int64
	live   int
}

func newStore() *store {
	return &store{next: firstContactID, byID: map[int64]*contact{}, email: map[string]int64{}, unique: map[string]map[string]int64{}}
}

func (s *store) get(id int64) *contact { return s.byID[id] }

// getLive returns the live contact with id, or nil.
func (s *store) getLive(id int64) *contact {
	if c := s.byID[id]; c != nil && !c.archived {
		return c
	}
	return nil
}

// lookup finds the live contact whose idProperty (email or a unique property) has
// value; email is compared normalized.
func (s *store) lookup(idProperty, value string) *contact {
	if idProperty == propEmail {
		if id, ok := s.email[normalizeEmail(value)]; ok {
			return s.byID[id]
		}
		return nil
	}
	if id, ok := s.unique[idProperty][value]; ok {
		return s.byID[id]
	}
	return nil
}

// holder returns the id of another live contact that already holds props' email or one
// of the values of uniques, and whether there is one.
func (s *store) holder(props map[string]string, self int64, uniques []string) (int64, bool) {
	if e := props[propEmail]; e != "" {
		if id, ok := s.email[e]; ok && id != self {
			return id, true
		}
	}
	for _, u := range uniques {
		if v := props[u]; v != "" {
			if id, ok := s.unique[u][v]; ok && id != self {
				return id, true
			}
		}
	}
	return 0, false
}

// insert stores a new contact with props (system properties are added) and returns it.
func (s *store) insert(props map[string]string, uniques []string, now time.Time) *contact {
	id := s.next
	s.next++
	c := &contact{id: id, props: props, createdAt: now, updatedAt: now, at: now}
	props[propObjectID] = c.idString()
	if props[propCreateDate] == "" {
		props[propCreateDate] = formatTime(now)
	}
	props[propLastModifiedDate] = formatTime(now)
	s.byID[id] = c
	s.order = append(s.order, id)
	s.live++
	s.index(nil, c, uniques)
	return c
}

// replace stores props as the new version of old.
func (s *store) replace(old *contact, props map[string]string, uniques []string, now time.Time, lag time.Duration) *contact {
	props[propObjectID] = old.idString()
	props[propLastModifiedDate] = formatTime(now)
	if props[propCreateDate] == "" {
		props[propCreateDate] = old.props[propCreateDate]
	}
	c := &contact{id: old.id, props: props, createdAt: old.createdAt, updatedAt: now, at: now, prev: old}
	s.byID[old.id] = c
	s.index(old, c, uniques)
	trimHistory(c, now, lag)
	return c
}

// archive marks a contact archived; it frees its email and unique values.
func (s *store) archive(old *contact, uniques []string, now time.Time, lag time.Duration) *contact {
	c := &contact{id: old.id, props: old.props, createdAt: old.createdAt, updatedAt: now, archived: true, archivedAt: now, at: now, prev: old}
	s.byID[old.id] = c
	s.live--
	s.index(old, nil, uniques)
	trimHistory(c, now, lag)
	return c
}

// trimHistory drops the versions the search index can no longer show: it keeps c's
// predecessors back to the newest one that was current lag ago.
func trimHistory(c *contact, now time.Time, lag time.Duration) {
	cutoff := now.Add(-lag)
	if !c.at.After(cutoff) {
		c.prev = nil
		return
	}
	p := c.prev
	for p != nil && p.at.After(cutoff) {
		p = p.prev
	}
	if p != nil {
		p.prev = nil
	}
}

// index moves a contact's index entries from its old version to its new one (either may
// be nil).
func (s *store) index(old, cur *contact, uniques []string) {
	if old != nil {
		if e := old.props[propEmail]; e != "" && s.email[e] == old.id {
			delete(s.email, e)
		}
		for _, u := range uniques {
			if v := old.props[u]; v != "" && s.unique[u][v] == old.id {
				delete(s.unique[u], v)
			}
		}
	}
	if cur != nil {
		if e := cur.props[propEmail]; e != "" {
			s.email[e] = cur.id
		}
		for _, u := range uniques {
			if v := cur.props[u]; v != "" {
				if s.unique[u] == nil {
					s.unique[u] = map[string]int64{}
				}
				s.unique[u][v] = cur.id
			}
		}
	}
}

// reindexUnique builds the index of a property that just became an id property.
func (s *store) reindexUnique(name string) {
	idx := map[string]int64{}
	for _, id := range s.order {
		if c := s.byID[id]; !c.archived {
			if v := c.props[name]; v != "" {
				if _, taken := idx[v]; !taken {
					idx[v] = id
				}
			}
		}
	}
	s.unique[name] = idx
}

// visible is the version of c the search index shows at cutoff: the newest one current
// at cutoff, or nil when the contact did not exist then.
func visible(c *contact, cutoff time.Time) *contact {
	for v := c; v != nil; v = v.prev {
		if !v.at.After(cutoff) {
			return v
		}
	}
	return nil
}

// eachVisible calls fn with every contact the search index shows at cutoff, live ones
// only, in creation order, until fn returns false.
func (s *store) eachVisible(cutoff time.Time, fn func(*contact) bool) {
	for _, id := range s.order {
		v := visible(s.byID[id], cutoff)
		if v == nil || v.archived {
			continue
		}
		if !fn(v) {
			return
		}
	}
}

// copyProps returns a copy of a version's values to edit into a new version.
func copyProps(p map[string]string) map[string]string {
	if p == nil {
		return map[string]string{}
	}
	return maps.Clone(p)
}
