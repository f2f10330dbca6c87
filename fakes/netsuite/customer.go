package netsuite

import (
	"encoding/json"
	"net/http"
	"strings"

	"github.com/peakready/peakready/fakes/ledger"
)

// customerInput is a decoded customer body; nil fields were not sent.
type customerInput struct {
	ExternalID  *string
	Email       *string
	FirstName   *string
	LastName    *string
	CompanyName *string
	Phone       *string
	IsPerson    *bool
	Custom      map[string]json.RawMessage
}

var readOnlyCustomerFields = map[string]bool{
	"id": true, "entityId": true, "dateCreated": true, "lastModifiedDate": true, "links": true,
}

// decodeCustomer reads a customer body, checking types and refusing unknown fields;
// custentity_* fields are kept.
func decodeCustomer(body []byte) (*customerInput, *apiError) {
	d := newBodyDecoder(body)
	in := &customerInput{}
	str := func(dst **string, path string) *apiError {
		v, e := d.str(path)
		if e == nil {
			*dst = &v
		}
		return e
	}
	present, e := d.object("", "a JSON object", func(key, path string) *apiError {
		switch key {
		case "externalId":
			v, e := d.idValue(path)
			if e != nil {
				return e
			}
			if !validExternalID(v) {
				return invalidExternalID(path, v)
			}
			in.ExternalID = &v
			return nil
		case "email":
			if e := str(&in.Email, path); e != nil {
				return e
			}
			if v := *in.Email; v != "" && !plausibleEmail(v) {
				return invalidFieldValue(path, v, "email")
			}
			return nil
		case "firstName":
			return str(&in.FirstName, path)
		case "lastName":
			return str(&in.LastName, path)
		case "companyName":
			return str(&in.CompanyName, path)
		case "phone":
			return str(&in.Phone, path)
		case "isPerson":
			v, e := d.boolean(path)
			if e == nil {
				in.IsPerson = &v
			}
			return e
		}
		switch {
		case strings.HasPrefix(key, "custentity"):
			return d.customField(path, key, &in.Custom)
		case readOnlyCustomerFields[key]:
			return readOnlyField(path)
		}
		return unknownField(path)
	})
	if e != nil {
		return nil, e
	}
	if !present {
		return nil, invalidContent("", detailInvalidBody+" The request body must be a JSON object.")
	}
	if e := d.end(); e != nil {
		return nil, e
	}
	return in, nil
}

// plausibleEmail is NetSuite's email check as far as a fake needs it: one @ with text on
// both sides and a dot in the domain, no spaces.
func plausibleEmail(v string) bool {
	local, domain, ok := strings.Cut(v, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(v, " \t\r\n,;<>") &&
		!strings.Contains(domain, "@") && !strings.HasPrefix(domain, ".") && !strings.HasSuffix(domain, ".")
}

func (c *customer) displayName() string {
	name := strings.TrimSpace(c.FirstName + " " + c.LastName)
	if c.CompanyName != "" {
		name = c.CompanyName
	}
	if name == "" {
		name = c.Email
	}
	return strings.TrimSpace(c.EntityID + " " + name)
}

func (c *customer) apply(in *customerInput) {
	set := func(dst *string, v *string) {
		if v != nil {
			*dst = *v
		}
	}
	set(&c.ExternalID, in.ExternalID)
	set(&c.Email, in.Email)
	set(&c.FirstName, in.FirstName)
	set(&c.LastName, in.LastName)
	set(&c.CompanyName, in.CompanyName)
	set(&c.Phone, in.Phone)
	if in.IsPerson != nil {
		c.IsPerson = *in.IsPerson
	} else if in.FirstName != nil || in.LastName != nil {
		c.IsPerson = c.CompanyName == ""
	}
	c.Custom = mergeCustom(c.Custom, in.Custom)
	if c.NaturalKey == "" {
		c.NaturalKey = c.ExternalID
		if c.NaturalKey == "" {
			c.NaturalKey = strings.ToLower(c.Email)
		}
	}
}

// customerLedgerKeys reads the keys of a customer body leniently for a refused create.
func customerLedgerKeys(body []byte) (eid, natural string) {
	var m map[string]json.RawMessage
	if len(body) == 0 || json.Unmarshal(body, &m) != nil {
		return "", ""
	}
	eid = fieldKey(m["externalId"])
	natural = eid
	if natural == "" {
		natural = strings.ToLower(fieldKey(m["email"]))
	}
	return eid, natural
}

func (s *Server) createCustomer(w http.ResponseWriter, r *http.Request) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		s.rejectCreate(RecordCustomer, nil, e)
		return e
	}
	in, e := decodeCustomer(body)
	if e != nil {
		s.rejectCreate(RecordCustomer, body, e)
		return e
	}
	s.mu.Lock()
	if in.ExternalID != nil {
		if _, dup := s.st.customers.byEID[*in.ExternalID]; dup {
			s.mu.Unlock()
			e := duplicateExternalID(s.settings.Load(), "externalId")
			s.rejectCreate(RecordCustomer, body, e)
			return e
		}
	}
	id := s.insertCustomer(in)
	s.mu.Unlock()
	writeCreated(w, recordURL(r, RecordCustomer, id))
	return nil
}

// insertCustomer creates a customer; call with s.mu held.
func (s *Server) insertCustomer(in *customerInput) int64 {
	now := s.clock.Now()
	c := &customer{Created: now, Modified: now}
	c.apply(in)
	c.ID = s.st.customers.nextID()
	c.EntityID = "CUS" + itoa(c.ID)
	s.st.customers.insert(c.ID, c.ExternalID, c)
	s.ledger.Append(ledger.Effect{Action: ledger.Created, Record: RecordCustomer, ID: itoa(c.ID), ExternalID: c.ExternalID, NaturalKey: c.NaturalKey, CreateAttempt: true})
	return c.ID
}

func (s *Server) upsertCustomer(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		s.rejectCreate(RecordCustomer, nil, e)
		return e
	}
	in, e := decodeCustomer(body)
	if e == nil && in.ExternalID != nil && *in.ExternalID != rid.eid {
		e = invalidContent("externalId", "The externalId in the body ("+*in.ExternalID+") differs from the one in the URL ("+rid.eid+").")
	}
	if e != nil {
		s.rejectCreate(RecordCustomer, body, e)
		return e
	}
	eid := rid.eid
	in.ExternalID = &eid
	s.mu.Lock()
	c, exists := s.st.customers.byEID[eid]
	if !exists {
		id := s.insertCustomer(in)
		s.mu.Unlock()
		writeCreated(w, recordURL(r, RecordCustomer, id))
		return nil
	}
	s.updateCustomer(c, in)
	id := c.ID
	s.mu.Unlock()
	writeCreated(w, recordURL(r, RecordCustomer, id))
	return nil
}

func (s *Server) patchCustomer(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	body, e := readBody(w, r)
	if e != nil {
		return e
	}
	in, e := decodeCustomer(body)
	if e != nil {
		s.rejectUpdate(RecordCustomer, rid, e)
		return e
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.findCustomer(rid)
	if !ok {
		return notFound()
	}
	if in.ExternalID != nil && *in.ExternalID != c.ExternalID {
		if _, dup := s.st.customers.byEID[*in.ExternalID]; dup {
			e := duplicateExternalID(s.settings.Load(), "externalId")
			s.rejectUpdate(RecordCustomer, rid, e)
			return e
		}
	}
	s.updateCustomer(c, in)
	writeCreated(w, recordURL(r, RecordCustomer, c.ID))
	return nil
}

// updateCustomer applies in to c; call with s.mu held.
func (s *Server) updateCustomer(c *customer, in *customerInput) {
	old := c.ExternalID
	c.apply(in)
	if c.ExternalID != old {
		if old != "" {
			delete(s.st.customers.byEID, old)
		}
		s.st.customers.byEID[c.ExternalID] = c
	}
	c.Modified = s.clock.Now()
	s.ledger.Append(ledger.Effect{Action: ledger.Updated, Record: RecordCustomer, ID: itoa(c.ID), ExternalID: c.ExternalID, NaturalKey: c.NaturalKey})
}

// customerView is a customer in NetSuite's REST shape.
type customerView struct {
	Links            []link `json:"links"`
	ID               string `json:"id"`
	EntityID         string `json:"entityId"`
	ExternalID       string `json:"externalId,omitempty"`
	IsPerson         bool   `json:"isPerson"`
	CompanyName      string `json:"companyName,omitempty"`
	FirstName        string `json:"firstName,omitempty"`
	LastName         string `json:"lastName,omitempty"`
	Email            string `json:"email,omitempty"`
	Phone            string `json:"phone,omitempty"`
	DateCreated      string `json:"dateCreated"`
	LastModifiedDate string `json:"lastModifiedDate"`
}

func (s *Server) getCustomer(w http.ResponseWriter, r *http.Request, rid recordID) *apiError {
	s.mu.Lock()
	c, ok := s.st.findCustomer(rid)
	if !ok {
		s.mu.Unlock()
		return notFound()
	}
	v := customerView{
		Links: selfLinks(recordURL(r, RecordCustomer, c.ID)), ID: itoa(c.ID), EntityID: c.EntityID, ExternalID: c.ExternalID,
		IsPerson: c.IsPerson, CompanyName: c.CompanyName, FirstName: c.FirstName, LastName: c.LastName,
		Email: c.Email, Phone: c.Phone, DateCreated: formatTime(c.Created), LastModifiedDate: formatTime(c.Modified),
	}
	custom := c.Custom
	s.mu.Unlock()
	b, e := marshalRecord(v, custom)
	if e != nil {
		return e
	}
	writeRecord(w, b)
	return nil
}

func (s *Server) deleteCustomer(w http.ResponseWriter, _ *http.Request, rid recordID) *apiError {
	s.mu.Lock()
	defer s.mu.Unlock()
	c, ok := s.st.findCustomer(rid)
	if !ok {
		return notFound()
	}
	inUse := c.ID == defaultCustomerID
	s.st.orders.each(func(o *salesOrder) bool {
		inUse = inUse || o.CustomerID == c.ID
		return !inUse
	})
	if inUse {
		return userError("This record cannot be deleted because it has dependent records.")
	}
	s.st.customers.remove(c.ID, c.ExternalID)
	s.ledger.Append(ledger.Effect{Action: ledger.Deleted, Record: RecordCustomer, ID: itoa(c.ID), ExternalID: c.ExternalID, NaturalKey: c.NaturalKey})
	writeNoContent(w)
	return nil
}

func (st *store) findCustomer(rid recordID) (*customer, bool) {
	if rid.isExternal() {
		c, ok := st.customers.byEID[rid.eid]
		return c, ok
	}
	c, ok := st.customers.byID[rid.id]
	return c, ok
}
