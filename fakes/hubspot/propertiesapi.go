package hubspot

import (
	"net/http"
)

// propertyList is the answer of GET /crm/v3/properties/contacts.
type propertyList struct {
	Results []*Property `json:"results"`
}

// serveProperties routes /crm/v3/properties/contacts[/{name}].
func (s *Server) serveProperties(w http.ResponseWriter, r *http.Request, method string, parts []string) *apiError {
	switch len(parts) {
	case 0:
		switch method {
		case http.MethodGet:
			s.mu.RLock()
			list := propertyList{Results: s.sc.all()}
			writeJSON(w, http.StatusOK, list)
			s.mu.RUnlock()
			return nil
		case http.MethodPost:
			return s.serveCreateProperty(w, r)
		}
		return methodNotAllowed(r.Method, http.MethodGet, http.MethodPost)
	case 1:
		switch method {
		case http.MethodGet:
			s.mu.RLock()
			defer s.mu.RUnlock()
			p := s.sc.get(parts[0])
			if p == nil {
				return propertyNotFound(parts[0])
			}
			writeJSON(w, http.StatusOK, p)
			return nil
		case http.MethodPatch:
			return s.serveUpdateProperty(w, r, parts[0])
		}
		return methodNotAllowed(r.Method, http.MethodGet, http.MethodPatch)
	}
	return notFound()
}

func propertyNotFound(name string) *apiError {
	e := newError(http.StatusNotFound, CategoryObjectNotFound, "Unable to find property "+name+" for object type contacts")
	e.context = map[string][]string{"name": {name}}
	return e
}

func (s *Server) serveCreateProperty(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	var in propertyInput
	if e := decodeBody(body, &in); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	p, e := s.sc.createProperty(in, s.now())
	if e != nil {
		return e
	}
	if p.HasUniqueValue {
		s.st.reindexUnique(p.Name)
	}
	s.log.Info("property created", "platform", "hubspot", "name", p.Name, "type", p.Type, "field_type", p.FieldType, "unique", p.HasUniqueValue)
	writeJSON(w, http.StatusCreated, p)
	return nil
}

func (s *Server) serveUpdateProperty(w http.ResponseWriter, r *http.Request, name string) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	var in propertyInput
	if e := decodeBody(body, &in); e != nil {
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	old := s.sc.get(name)
	if old == nil {
		return propertyNotFound(name)
	}
	p, e := s.sc.updateProperty(old, in, s.now())
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, p)
	return nil
}
