package store

import (
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
)

// CustomerUpdate changes a customer; nil fields keep their value.
type CustomerUpdate struct {
	Email     *string  `json:"email,omitempty"`
	FirstName *string  `json:"first_name,omitempty"`
	LastName  *string  `json:"last_name,omitempty"`
	Phone     *string  `json:"phone,omitempty"`
	Note      *string  `json:"note,omitempty"`
	Tags      []string `json:"tags,omitempty"`
	// State is disabled, invited, enabled or declined.
	State   *string  `json:"state,omitempty"`
	Address *Address `json:"default_address,omitempty"`
}

// UpdateCustomer changes a customer as a merchant action and fires customers/update.
// Tags, when given, replace the customer's tags.
func (s *Store) UpdateCustomer(id int64, u CustomerUpdate) (Change, error) {
	out := Change{Events: []EventRecord{}}
	var addr *Address
	if u.Address != nil {
		a, err := checkAddress(*u.Address, "default_address")
		if err != nil {
			return out, err
		}
		addr = &a
	}
	var tags []string
	if u.Tags != nil {
		var err error
		if tags, err = normalizeTags(u.Tags, "tags"); err != nil {
			return out, err
		}
	}
	if u.Email != nil && !validEmail(*u.Email) {
		return out, invalid("INVALID", "email "+strconv.Quote(*u.Email)+" is not an e-mail address", "email")
	}
	if u.State != nil {
		switch *u.State {
		case "disabled", "invited", "enabled", "declined":
		default:
			return out, invalid("INVALID", "state "+strconv.Quote(*u.State)+" must be disabled, invited, enabled or declined", "state")
		}
	}
	for _, f := range []*string{u.FirstName, u.LastName, u.Phone} {
		if f != nil && len(*f) > 255 {
			return out, invalid("TOO_LONG", "a field is longer than 255 characters", "customer")
		}
	}
	if u.Note != nil && len(*u.Note) > 5000 {
		return out, invalid("TOO_LONG", "note is longer than 5000 characters", "note")
	}
	s.mu.Lock()
	defer s.unlock()
	idx, ok := customerIndex(id)
	if !ok || idx >= len(s.customers) {
		return out, notFound("NOT_FOUND", "customer "+itoa(id)+" not found", "id")
	}
	c := &s.customers[idx]
	if c.ext == nil {
		c.ext = &customerExt{}
	}
	if u.Email != nil {
		email := strings.ToLower(strings.TrimSpace(*u.Email))
		if other, taken := s.customerByEmail(email); taken && other != idx {
			return out, invalid("TAKEN", "email "+strconv.Quote(email)+" has already been taken", "email")
		}
		if old := s.customerSnap(idx).Email; old != email {
			delete(s.emailOwner, strings.ToLower(old))
		}
		c.ext.email = &email
		s.emailOwner[email] = int32(idx)
	}
	if u.FirstName != nil {
		c.ext.firstName = u.FirstName
	}
	if u.LastName != nil {
		c.ext.lastName = u.LastName
	}
	if u.Phone != nil {
		c.ext.phone = u.Phone
	}
	if u.Note != nil {
		c.ext.note = *u.Note
	}
	if u.Tags != nil {
		c.ext.tags = tags
	}
	if u.State != nil {
		c.ext.state = *u.State
	}
	if addr != nil {
		c.ext.address = addr
	}
	s.touchCustomer(idx, &out)
	return out, nil
}

// TagCustomer adds tags to a customer; nothing fires when it already had them all.
func (s *Store) TagCustomer(id int64, add []string) (Change, error) {
	out := Change{Events: []EventRecord{}}
	add, err := normalizeTags(add, "tags")
	if err != nil {
		return out, err
	}
	s.mu.Lock()
	defer s.unlock()
	idx, ok := customerIndex(id)
	if !ok || idx >= len(s.customers) {
		return out, notFound("NOT_FOUND", "customer "+itoa(id)+" not found", "id")
	}
	c := &s.customers[idx]
	var have []string
	if c.ext != nil {
		have = c.ext.tags
	}
	tags, changed := mergeTags(have, add, nil)
	if !changed {
		return out, nil
	}
	if c.ext == nil {
		c.ext = &customerExt{}
	}
	c.ext.tags = tags
	s.touchCustomer(idx, &out)
	return out, nil
}

func (s *Store) touchCustomer(idx int, out *Change) {
	a := s.begin(out)
	c := &s.customers[idx]
	c.updatedAt = nextUpdate(c.updatedAt, a.at.Unix())
	cs := s.customerSnap(idx)
	s.emitJSON(a, TopicCustomersUpdate, cs.ID, s.CustomerJSON(&cs))
	out.Customers = append(out.Customers, cs.ID)
}

func validEmail(e string) bool {
	e = strings.TrimSpace(e)
	local, domain, ok := strings.Cut(e, "@")
	return ok && local != "" && strings.Contains(domain, ".") && !strings.ContainsAny(e, " ,;<>") && len(e) <= 254
}

func checkAddress(a Address, field string) (Address, error) {
	a.CountryCode = strings.ToUpper(strings.TrimSpace(a.CountryCode))
	a.ProvinceCode = strings.ToUpper(strings.TrimSpace(a.ProvinceCode))
	if len(a.CountryCode) != 2 {
		return a, invalid("INVALID", field+".country_code "+strconv.Quote(a.CountryCode)+" must be a two-letter country code", field, "country_code")
	}
	if a.CountryCode == "US" && catalog.TaxRate("US", a.ProvinceCode) == 0 && !noSalesTax[a.ProvinceCode] {
		return a, invalid("INVALID", field+".province_code "+strconv.Quote(a.ProvinceCode)+" is not a US state code", field, "province_code")
	}
	if a.Country == "" {
		a.Country = a.CountryCode
		if a.CountryCode == "US" {
			a.Country = "United States"
		}
	}
	if a.Province == "" {
		a.Province = a.ProvinceCode
		for _, st := range usStates {
			if a.CountryCode == "US" && st[0] == a.ProvinceCode {
				a.Province = st[1]
			}
		}
	}
	for _, f := range []string{a.FirstName, a.LastName, a.Address1, a.Address2, a.City, a.Zip, a.Phone, a.Company, a.Country, a.Province} {
		if len(f) > 255 {
			return a, invalid("TOO_LONG", field+" has a field longer than 255 characters", field)
		}
	}
	return a, nil
}

var noSalesTax = map[string]bool{"AK": true, "DE": true, "MT": true, "NH": true, "OR": true}
