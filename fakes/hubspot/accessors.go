package hubspot

import (
	"maps"
	"time"
)

// Contact is a contact as the fake holds it, for checks in Go: what a scenario's checker
// reads instead of going through the API.
type Contact struct {
	ID string
	// Email is the normalized (trimmed, lower-cased) email; empty if the contact has none.
	Email string
	// Properties are every value the contact has, system properties included
	// (hs_object_id, createdate, lastmodifieddate).
	Properties map[string]string
	CreatedAt  time.Time
	UpdatedAt  time.Time
	Archived   bool
	ArchivedAt time.Time
}

func exportContact(c *contact) Contact {
	return Contact{
		ID: c.idString(), Email: c.props[propEmail], Properties: maps.Clone(c.props),
		CreatedAt: c.createdAt, UpdatedAt: c.updatedAt, Archived: c.archived, ArchivedAt: c.archivedAt,
	}
}

// snapshot returns the current versions of the live contacts (or of all, with archived
// ones) in creation order. Versions are immutable, so they can be read after the lock.
func (s *Server) snapshot(withArchived bool) []*contact {
	s.mu.RLock()
	defer s.mu.RUnlock()
	out := make([]*contact, 0, len(s.st.order))
	for _, id := range s.st.order {
		if c := s.st.byID[id]; withArchived || !c.archived {
			out = append(out, c)
		}
	}
	return out
}

// Contacts returns every live (not archived) contact in creation order.
func (s *Server) Contacts() []Contact {
	cs := s.snapshot(false)
	out := make([]Contact, len(cs))
	for i, c := range cs {
		out[i] = exportContact(c)
	}
	return out
}

// EachContact calls fn with every live contact in creation order until fn returns
// false. fn may call the Server: no lock is held while it runs.
func (s *Server) EachContact(fn func(Contact) bool) {
	for _, c := range s.snapshot(false) {
		if !fn(exportContact(c)) {
			return
		}
	}
}

// AllContacts returns every contact, archived ones included, in creation order.
func (s *Server) AllContacts() []Contact {
	cs := s.snapshot(true)
	out := make([]Contact, len(cs))
	for i, c := range cs {
		out[i] = exportContact(c)
	}
	return out
}

// ContactsByEmail returns the live contacts whose email is email, compared normalized:
// at most one, since the fake refuses a second one, but a slice so a checker reads
// duplicates the same way on every fake.
func (s *Server) ContactsByEmail(email string) []Contact {
	key := normalizeEmail(email)
	var out []Contact
	s.EachContact(func(c Contact) bool {
		if c.Email == key && key != "" {
			out = append(out, c)
		}
		return true
	})
	return out
}

// ContactByID returns a contact by id, archived or not.
func (s *Server) ContactByID(id string) (Contact, bool) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	c := s.find(idLookup{value: id}, false)
	if c == nil {
		c = s.find(idLookup{value: id}, true)
	}
	if c == nil {
		return Contact{}, false
	}
	return exportContact(c), true
}

// ContactCount is the number of live contacts.
func (s *Server) ContactCount() int {
	s.mu.RLock()
	defer s.mu.RUnlock()
	return s.st.live
}

// Properties returns the contact property definitions, HubSpot's and the custom ones,
// in creation order.
func (s *Server) Properties() []Property {
	s.mu.RLock()
	defer s.mu.RUnlock()
	ps := s.sc.all()
	out := make([]Property, len(ps))
	for i, p := range ps {
		out[i] = *p
		out[i].Options = append([]Option(nil), p.Options...)
	}
	return out
}
