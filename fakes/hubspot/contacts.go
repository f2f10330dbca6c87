package hubspot

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/ledger"
)

// objectJSON is a contact as HubSpot renders it (SimplePublicObject).
type objectJSON struct {
	ID         string             `json:"id"`
	Properties map[string]*string `json:"properties"`
	CreatedAt  string             `json:"createdAt"`
	UpdatedAt  string             `json:"updatedAt"`
	Archived   bool               `json:"archived"`
	ArchivedAt string             `json:"archivedAt,omitempty"`
	// New says whether an upsert created the contact.
	New *bool `json:"new,omitempty"`
	// ObjectWriteTraceID echoes the input's trace id in a batch create's results.
	ObjectWriteTraceID string `json:"objectWriteTraceId,omitempty"`
}

// render shows a contact with the properties asked for (plus createdate, hs_object_id
// and lastmodifieddate, always), absent ones as null; with none asked for, the default
// set. all shows every property that has a value, as a write's answer does.
func render(c *contact, props []string, all bool) objectJSON {
	o := objectJSON{ID: c.idString(), CreatedAt: formatTime(c.createdAt), UpdatedAt: formatTime(c.updatedAt), Archived: c.archived}
	if c.archived {
		o.ArchivedAt = formatTime(c.archivedAt)
	}
	o.Properties = map[string]*string{}
	if all {
		for k, v := range c.props {
			o.Properties[k] = &v
		}
		return o
	}
	if len(props) == 0 {
		props = defaultProperties
	}
	for _, name := range slices.Concat(props, alwaysProperties) {
		if v, ok := c.props[name]; ok {
			o.Properties[name] = &v
		} else {
			o.Properties[name] = nil
		}
	}
	return o
}

// objectInput is the body of a create or update, and one input of a batch.
type objectInput struct {
	ID                 *scalar           `json:"id"`
	IDProperty         string            `json:"idProperty"`
	Properties         map[string]scalar `json:"properties"`
	Associations       []json.RawMessage `json:"associations"`
	ObjectWriteTraceID string            `json:"objectWriteTraceId"`
}

// contactTypes are the object type names of contacts in a path.
func isContacts(objectType string) bool {
	return objectType == "contacts" || objectType == "contact" || objectType == "0-1"
}

// dispatch routes an admitted call under /crm/v3/.
func (s *Server) dispatch(w http.ResponseWriter, r *http.Request) *apiError {
	escaped := r.URL.EscapedPath()
	raw, ok := strings.CutPrefix(escaped, apiPrefix)
	if !ok {
		return notFound()
	}
	raw = strings.TrimSuffix(raw, "/")
	var parts []string
	for seg := range strings.SplitSeq(raw, "/") {
		u, err := url.PathUnescape(seg)
		if err != nil || u == "" {
			return notFound()
		}
		parts = append(parts, u)
	}
	if len(parts) < 2 {
		return notFound()
	}
	method := r.Method
	if method == http.MethodHead {
		method = http.MethodGet
	}
	if !isContacts(parts[1]) {
		e := newError(http.StatusNotFound, CategoryObjectNotFound, fmt.Sprintf("Unable to infer object type from: %s", parts[1]))
		return e
	}
	switch parts[0] {
	case "objects":
		return s.serveObjects(w, r, method, parts[2:])
	case "properties":
		return s.serveProperties(w, r, method, parts[2:])
	}
	return notFound()
}

func (s *Server) serveObjects(w http.ResponseWriter, r *http.Request, method string, parts []string) *apiError {
	switch {
	case len(parts) == 0:
		switch method {
		case http.MethodGet:
			return s.serveList(w, r)
		case http.MethodPost:
			return s.serveCreate(w, r)
		}
		return methodNotAllowed(r.Method, http.MethodGet, http.MethodPost)
	case len(parts) == 1 && parts[0] == "search":
		if method != http.MethodPost {
			return methodNotAllowed(r.Method, http.MethodPost)
		}
		return s.serveSearch(w, r)
	case len(parts) == 1 && parts[0] == "batch":
		return notFound()
	case len(parts) == 1:
		switch method {
		case http.MethodGet:
			return s.serveGet(w, r, parts[0])
		case http.MethodPatch:
			return s.serveUpdate(w, r, parts[0])
		case http.MethodDelete:
			return s.serveArchive(w, r, parts[0])
		}
		return methodNotAllowed(r.Method, http.MethodGet, http.MethodPatch, http.MethodDelete)
	case len(parts) == 2 && parts[0] == "batch":
		op, ok := batchOps[parts[1]]
		if !ok {
			return notFound()
		}
		if method != http.MethodPost {
			return methodNotAllowed(r.Method, http.MethodPost)
		}
		return op(s, w, r)
	}
	return notFound()
}

// idLookup is how a path or batch input names a contact: by id, or by the value of an
// id property.
type idLookup struct {
	property string // "" for the record id
	value    string
}

// resolveIDProperty checks an idProperty parameter: empty or hs_object_id means the
// record id; otherwise email or a unique property.
func (s *Server) resolveIDProperty(name string) (string, *apiError) {
	if name == "" || name == propObjectID {
		return "", nil
	}
	if !s.sc.idProperty(name) {
		return "", validationError("%s is not a unique identifier property; idProperty must be email, hs_object_id or a property with unique values", name)
	}
	return name, nil
}

// find returns the contact a lookup names: live ones, or archived ones when archived.
func (s *Server) find(l idLookup, archived bool) *contact {
	if l.property == "" {
		id, err := strconv.ParseInt(l.value, 10, 64)
		if err != nil {
			return nil
		}
		c := s.st.get(id)
		if c == nil || c.archived != archived {
			return nil
		}
		return c
	}
	if archived {
		return nil // archived contacts hold no id property values
	}
	return s.st.lookup(l.property, l.value)
}

func (s *Server) serveGet(w http.ResponseWriter, r *http.Request, id string) *apiError {
	archived, e := queryBool(r, "archived")
	if e != nil {
		return e
	}
	s.mu.RLock()
	prop, e := s.resolveIDProperty(r.URL.Query().Get("idProperty"))
	if e != nil {
		s.mu.RUnlock()
		return e
	}
	c := s.find(idLookup{property: prop, value: id}, archived)
	s.mu.RUnlock()
	if c == nil {
		return objectNotFound(id)
	}
	writeJSON(w, http.StatusOK, render(c, queryList(r, "properties"), false))
	return nil
}

// listPage is the answer of a list: results and the cursor to the next page.
type listPage struct {
	Results []objectJSON `json:"results"`
	Paging  *paging      `json:"paging,omitempty"`
}

type paging struct {
	Next nextPage `json:"next"`
}

type nextPage struct {
	After string `json:"after"`
	Link  string `json:"link,omitempty"`
}

// serveList is GET /crm/v3/objects/contacts: contacts in id order, limit (default 10)
// per page, after = the id to start at.
func (s *Server) serveList(w http.ResponseWriter, r *http.Request) *apiError {
	st := s.settings.Load()
	q := r.URL.Query()
	limit := 10
	if v := q.Get("limit"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > st.limits.ListPageMax {
			return validationError("limit=%q: want a number from 1 to %d", v, st.limits.ListPageMax)
		}
		limit = n
	}
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			return validationError("after=%q is not a paging cursor from this API", v)
		}
		after = n
	}
	archived, e := queryBool(r, "archived")
	if e != nil {
		return e
	}
	props := queryList(r, "properties")
	page := listPage{Results: []objectJSON{}}
	s.mu.RLock()
	i := sort.Search(len(s.st.order), func(i int) bool { return s.st.order[i] >= after })
	for ; i < len(s.st.order); i++ {
		c := s.st.byID[s.st.order[i]]
		if c.archived != archived {
			continue
		}
		if len(page.Results) == limit {
			next := c.idString()
			page.Paging = &paging{Next: nextPage{After: next, Link: listLink(r, next)}}
			break
		}
		page.Results = append(page.Results, render(c, props, false))
	}
	s.mu.RUnlock()
	writeJSON(w, http.StatusOK, page)
	return nil
}

// listLink is the next page's URL on the address the request came in on.
func listLink(r *http.Request, after string) string {
	q := r.URL.Query()
	q.Set("after", after)
	return fakehttp.BaseURL(r) + r.URL.Path + "?" + q.Encode()
}

func (s *Server) serveCreate(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	var in objectInput
	if e := decodeBody(body, &in); e != nil {
		return e
	}
	st := s.settings.Load()
	s.mu.Lock()
	c, e := s.createLocked(st, in.Properties)
	s.mu.Unlock()
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusCreated, render(c, nil, true))
	return nil
}

func (s *Server) serveUpdate(w http.ResponseWriter, r *http.Request, id string) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	var in objectInput
	if e := decodeBody(body, &in); e != nil {
		return e
	}
	st := s.settings.Load()
	s.mu.Lock()
	defer s.mu.Unlock()
	prop, e := s.resolveIDProperty(r.URL.Query().Get("idProperty"))
	if e != nil {
		return e
	}
	old := s.find(idLookup{property: prop, value: id}, false)
	if old == nil {
		return objectNotFound(id)
	}
	c, e := s.updateLocked(st, old, in.Properties)
	if e != nil {
		return e
	}
	writeJSON(w, http.StatusOK, render(c, nil, true))
	return nil
}

// serveArchive is DELETE: 204 whether or not the contact existed (archiving is
// idempotent).
func (s *Server) serveArchive(w http.ResponseWriter, r *http.Request, id string) *apiError {
	st := s.settings.Load()
	s.mu.Lock()
	if old := s.find(idLookup{value: id}, false); old != nil {
		s.archiveLocked(st, old)
	}
	s.mu.Unlock()
	w.WriteHeader(http.StatusNoContent)
	return nil
}

// applyValues lays values over base (nil for a new contact) and returns the contact's
// new values, with every refused value explained. Names are applied in sorted order so
// the errors come in a stable order.
func (s *Server) applyValues(base map[string]string, values map[string]scalar) (map[string]string, []propertyError) {
	props := copyProps(base)
	var errs []propertyError
	names := make([]string, 0, len(values))
	for n := range values {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, name := range names {
		v := values[name]
		p := s.sc.get(name)
		if p == nil {
			errs = append(errs, propertyError{Name: name, Error: "PROPERTY_DOESNT_EXIST", Message: fmt.Sprintf("Property \"%s\" does not exist", name)})
			continue
		}
		if p.readOnlyValue {
			if v.s == props[name] {
				continue // sending a record's own read-only value back is harmless
			}
			errs = append(errs, propertyError{Name: name, Error: "READ_ONLY_VALUE", Message: fmt.Sprintf("Property \"%s\" is read-only", name)})
			continue
		}
		norm, perr := normalizeValue(p, v.s, props[name])
		if perr != nil {
			errs = append(errs, *perr)
			continue
		}
		if norm == "" {
			delete(props, name)
		} else {
			props[name] = norm
		}
	}
	return props, errs
}

// createLocked creates a contact from values, or refuses it: 400 for refused values,
// 409 when its email or a unique value belongs to another contact. Every attempt is in
// the ledger. The caller holds s.mu.
func (s *Server) createLocked(st *settings, values map[string]scalar) (*contact, *apiError) {
	props, errs := s.applyValues(nil, values)
	if len(errs) > 0 {
		e := invalidProperties(s.portalID, errs)
		s.recordLocked(st, ledger.Rejected, 0, attemptKeys(values, props), true, e.reason(), nil)
		return nil, e
	}
	uniques := s.sc.uniques()
	if holder, taken := s.st.holder(props, 0, uniques); taken {
		s.conflicts.Add(1)
		e := conflict(st.limits.ConflictCategory, strconv.FormatInt(holder, 10))
		s.recordLocked(st, ledger.Rejected, 0, props, true, e.reason(), nil)
		return nil, e
	}
	c := s.st.insert(props, uniques, s.clock.Now())
	s.recordLocked(st, ledger.Created, c.id, c.props, true, "", values)
	return c, nil
}

// updateLocked writes values over old: 400 for refused values, 409 when the new email
// or a new unique value belongs to another contact. The caller holds s.mu.
func (s *Server) updateLocked(st *settings, old *contact, values map[string]scalar) (*contact, *apiError) {
	props, errs := s.applyValues(old.props, values)
	if len(errs) > 0 {
		e := invalidProperties(s.portalID, errs)
		s.recordLocked(st, ledger.Rejected, old.id, old.props, false, e.reason(), nil)
		return nil, e
	}
	uniques := s.sc.uniques()
	if holder, taken := s.st.holder(props, old.id, uniques); taken {
		s.conflicts.Add(1)
		e := conflict(st.limits.ConflictCategory, strconv.FormatInt(holder, 10))
		s.recordLocked(st, ledger.Rejected, old.id, old.props, false, e.reason(), nil)
		return nil, e
	}
	c := s.st.replace(old, props, uniques, s.clock.Now(), st.indexLag)
	s.recordLocked(st, ledger.Updated, c.id, c.props, false, "", values)
	return c, nil
}

func (s *Server) archiveLocked(st *settings, old *contact) {
	c := s.st.archive(old, s.sc.uniques(), s.clock.Now(), st.indexLag)
	s.recordLocked(st, ledger.Deleted, c.id, c.props, false, "", nil)
}

// attemptKeys are the keys a refused create is counted under: the values that were
// accepted, plus the email and external id as sent even when they were refused.
func attemptKeys(values map[string]scalar, accepted map[string]string) map[string]string {
	out := copyProps(accepted)
	if v, ok := values[propEmail]; ok && out[propEmail] == "" {
		out[propEmail] = normalizeEmail(v.s)
	}
	for k, v := range values {
		if _, ok := out[k]; !ok && v.s != "" {
			out[k] = v.s
		}
	}
	return out
}

// maxDetail bounds the ledger detail: at most this many values of this many characters.
const (
	maxDetailValues = 10
	maxDetailChars  = 100
)

// recordLocked appends an effect: external id = the external-id property's value,
// natural key = the normalized email. The detail holds the email and the custom
// (not HubSpot-defined) values the request wrote, truncated.
func (s *Server) recordLocked(st *settings, action string, id int64, props map[string]string, createAttempt bool, reason string, written map[string]scalar) {
	e := ledger.Effect{Action: action, Record: RecordContact, NaturalKey: normalizeEmail(props[propEmail]), CreateAttempt: createAttempt, Reason: reason}
	if id != 0 {
		e.ID = strconv.FormatInt(id, 10)
	}
	if st.externalID != "" {
		e.ExternalID = props[st.externalID]
	}
	detail := map[string]string{}
	if em := props[propEmail]; em != "" {
		detail[propEmail] = truncate(em)
	}
	names := make([]string, 0, len(written))
	for n := range written {
		if p := s.sc.get(n); p != nil && !p.HubspotDefined {
			names = append(names, n)
		}
	}
	slices.Sort(names)
	for _, n := range names {
		if len(detail) >= maxDetailValues {
			break
		}
		detail[n] = truncate(props[n])
	}
	if len(detail) > 0 {
		e.Detail, _ = json.Marshal(detail)
	}
	s.ledger.Append(e)
}

func truncate(v string) string {
	if len(v) <= maxDetailChars {
		return v
	}
	return strings.ToValidUTF8(v[:maxDetailChars], "")
}

// now is the server's platform time.
func (s *Server) now() time.Time { return s.clock.Now() }
