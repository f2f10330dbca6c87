package hubspot

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Property types and field types (HubSpot's properties guide: "Property type and
// fieldType values").
const (
	TypeString      = "string"
	TypeNumber      = "number"
	TypeEnumeration = "enumeration"
	TypeBool        = "bool"
	TypeDate        = "date"
	TypeDatetime    = "datetime"

	FieldText            = "text"
	FieldTextarea        = "textarea"
	FieldNumber          = "number"
	FieldSelect          = "select"
	FieldRadio           = "radio"
	FieldCheckbox        = "checkbox"
	FieldBooleanCheckbox = "booleancheckbox"
	FieldDate            = "date"
	FieldPhone           = "phonenumber"
	FieldFile            = "file"
	FieldHTML            = "html"
)

// fieldTypes are the field types each type allows (calculation_equation is left out:
// the fake has no calculated properties).
var fieldTypes = map[string][]string{
	TypeString:      {FieldText, FieldTextarea, FieldPhone, FieldFile, FieldHTML},
	TypeNumber:      {FieldNumber},
	TypeEnumeration: {FieldBooleanCheckbox, FieldCheckbox, FieldRadio, FieldSelect},
	TypeBool:        {FieldBooleanCheckbox},
	TypeDate:        {FieldDate},
	TypeDatetime:    {FieldDate},
}

// maxStringLength is the longest string property value (65,536 characters).
const maxStringLength = 65_536

// maxUniqueProperties is how many unique identifier properties an object may have.
const maxUniqueProperties = 10

// Option is one choice of an enumeration property.
type Option struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder int    `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
	Description  string `json:"description,omitempty"`
}

// ModificationMetadata says what of a property may change.
type ModificationMetadata struct {
	Archivable         bool `json:"archivable"`
	ReadOnlyDefinition bool `json:"readOnlyDefinition"`
	ReadOnlyValue      bool `json:"readOnlyValue"`
}

// Property is a contact property definition as the properties API returns it.
type Property struct {
	Name                 string               `json:"name"`
	Label                string               `json:"label"`
	Type                 string               `json:"type"`
	FieldType            string               `json:"fieldType"`
	Description          string               `json:"description"`
	GroupName            string               `json:"groupName"`
	Options              []Option             `json:"options"`
	DisplayOrder         int                  `json:"displayOrder"`
	Calculated           bool                 `json:"calculated"`
	ExternalOptions      bool                 `json:"externalOptions"`
	HasUniqueValue       bool                 `json:"hasUniqueValue"`
	Hidden               bool                 `json:"hidden"`
	HubspotDefined       bool                 `json:"hubspotDefined,omitempty"`
	ModificationMetadata ModificationMetadata `json:"modificationMetadata"`
	FormField            bool                 `json:"formField"`
	CreatedAt            time.Time            `json:"createdAt"`
	UpdatedAt            time.Time            `json:"updatedAt"`
	Archived             bool                 `json:"archived"`
	DataSensitivity      string               `json:"dataSensitivity"`

	// readOnlyValue marks a value the fake maintains (hs_object_id, lastmodifieddate).
	readOnlyValue bool
}

// multiple reports whether the property holds several semicolon-separated options.
func (p *Property) multiple() bool { return p.Type == TypeEnumeration && p.FieldType == FieldCheckbox }

func (p *Property) option(v string) bool {
	for _, o := range p.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

func (p *Property) optionValues() string {
	vs := make([]string, len(p.Options))
	for i, o := range p.Options {
		vs[i] = o.Value
	}
	return "[" + strings.Join(vs, ", ") + "]"
}

// System properties every contact has, maintained by the fake.
const (
	propEmail            = "email"
	propObjectID         = "hs_object_id"
	propCreateDate       = "createdate"
	propLastModifiedDate = "lastmodifieddate"
)

// defaultProperties are returned by GET, list and search when the request names none
// (the search guide's default contact properties).
var defaultProperties = []string{propCreateDate, propEmail, "firstname", propObjectID, propLastModifiedDate, "lastname"}

// alwaysProperties come back whatever the request names.
var alwaysProperties = []string{propCreateDate, propObjectID, propLastModifiedDate}

// standardContactProperties are the HubSpot-defined contact properties the fake knows,
// a subset of HubSpot's.
func standardContactProperties(now time.Time) []*Property {
	text := func(name, label, group string) *Property {
		return &Property{Name: name, Label: label, Type: TypeString, FieldType: FieldText, GroupName: group}
	}
	ps := []*Property{
		text(propEmail, "Email", "contactinformation"),
		text("firstname", "First Name", "contactinformation"),
		text("lastname", "Last Name", "contactinformation"),
		{Name: "phone", Label: "Phone Number", Type: TypeString, FieldType: FieldPhone, GroupName: "contactinformation"},
		{Name: "mobilephone", Label: "Mobile Phone Number", Type: TypeString, FieldType: FieldPhone, GroupName: "contactinformation"},
		text("company", "Company Name", "contactinformation"),
		text("jobtitle", "Job Title", "contactinformation"),
		text("website", "Website URL", "contactinformation"),
		text("address", "Street Address", "contactinformation"),
		text("city", "City", "contactinformation"),
		text("state", "State/Region", "contactinformation"),
		text("zip", "Postal Code", "contactinformation"),
		text("country", "Country/Region", "contactinformation"),
		{Name: "lifecyclestage", Label: "Lifecycle Stage", Type: TypeEnumeration, FieldType: FieldRadio, GroupName: "contactinformation",
			Options: options("subscriber", "lead", "marketingqualifiedlead", "salesqualifiedlead", "opportunity", "customer", "evangelist", "other")},
		{Name: "hs_marketable_status", Label: "Marketing contact status", Type: TypeBool, FieldType: FieldBooleanCheckbox, GroupName: "contactinformation",
			Options: options("true", "false")},
		{Name: propObjectID, Label: "Record ID", Type: TypeNumber, FieldType: FieldNumber, GroupName: "contactinformation", readOnlyValue: true},
		{Name: propCreateDate, Label: "Create Date", Type: TypeDatetime, FieldType: FieldDate, GroupName: "contactinformation"},
		{Name: propLastModifiedDate, Label: "Last Modified Date", Type: TypeDatetime, FieldType: FieldDate, GroupName: "contactinformation", readOnlyValue: true},
	}
	for _, p := range ps {
		p.HubspotDefined, p.DisplayOrder, p.CreatedAt, p.UpdatedAt = true, -1, now, now
		p.ModificationMetadata = ModificationMetadata{ReadOnlyDefinition: true, ReadOnlyValue: p.readOnlyValue}
		p.DataSensitivity = "non_sensitive"
		if p.Options == nil {
			p.Options = []Option{}
		}
	}
	return ps
}

func options(values ...string) []Option {
	out := make([]Option, len(values))
	for i, v := range values {
		out[i] = Option{Label: v, Value: v, DisplayOrder: i}
	}
	return out
}

// schema is the contact properties of the portal. It is not safe for concurrent use:
// the Server guards it.
type schema struct {
	byName map[string]*Property
	order  []string // names in creation order
}

func newSchema(now time.Time) *schema {
	s := &schema{byName: map[string]*Property{}}
	for _, p := range standardContactProperties(now) {
		s.add(p)
	}
	return s
}

func (s *schema) add(p *Property) {
	if _, ok := s.byName[p.Name]; !ok {
		s.order = append(s.order, p.Name)
	}
	s.byName[p.Name] = p
}

func (s *schema) get(name string) *Property { return s.byName[name] }

func (s *schema) all() []*Property {
	out := make([]*Property, 0, len(s.order))
	for _, n := range s.order {
		out = append(out, s.byName[n])
	}
	return out
}

// uniques lists the names of the unique-value properties.
func (s *schema) uniques() []string {
	var out []string
	for _, n := range s.order {
		if s.byName[n].HasUniqueValue {
			out = append(out, n)
		}
	}
	return out
}

// idProperty reports whether name can identify a contact: email, or a unique property.
func (s *schema) idProperty(name string) bool {
	if name == propEmail {
		return true
	}
	p := s.byName[name]
	return p != nil && p.HasUniqueValue
}

// ensureExternalID creates the external-id property as a unique string, unless a
// property of that name exists.
func (s *schema) ensureExternalID(name string, now time.Time) {
	if name == "" || s.byName[name] != nil {
		return
	}
	s.add(&Property{
		Name: name, Label: "Shopify customer ID", Type: TypeString, FieldType: FieldText, GroupName: "contactinformation",
		Description: "The customer's id in Shopify.", HasUniqueValue: true, FormField: false, Options: []Option{},
		ModificationMetadata: ModificationMetadata{Archivable: true}, CreatedAt: now, UpdatedAt: now, DataSensitivity: "non_sensitive",
	})
}

// propertyInput is the body of POST and PATCH /crm/v3/properties/contacts.
type propertyInput struct {
	Name           *string        `json:"name"`
	Label          *string        `json:"label"`
	Type           *string        `json:"type"`
	FieldType      *string        `json:"fieldType"`
	GroupName      *string        `json:"groupName"`
	Description    *string        `json:"description"`
	Options        *[]optionInput `json:"options"`
	DisplayOrder   *int           `json:"displayOrder"`
	HasUniqueValue *bool          `json:"hasUniqueValue"`
	Hidden         *bool          `json:"hidden"`
	FormField      *bool          `json:"formField"`
}

type optionInput struct {
	Label        string `json:"label"`
	Value        string `json:"value"`
	DisplayOrder *int   `json:"displayOrder"`
	Hidden       bool   `json:"hidden"`
	Description  string `json:"description"`
}

// createProperty validates a property create and returns the new property.
func (s *schema) createProperty(in propertyInput, now time.Time) (*Property, *apiError) {
	missing := []string{}
	for _, f := range []struct {
		name string
		v    *string
	}{{"name", in.Name}, {"label", in.Label}, {"type", in.Type}, {"fieldType", in.FieldType}, {"groupName", in.GroupName}} {
		if f.v == nil || strings.TrimSpace(*f.v) == "" {
			missing = append(missing, f.name)
		}
	}
	if len(missing) > 0 {
		e := validationError("Missing required fields: %s", strings.Join(missing, ", "))
		e.context = map[string][]string{"missingFields": missing}
		return nil, e
	}
	name := *in.Name
	if !propertyNameRE.MatchString(name) {
		return nil, validationError("Property name %q is invalid: it must start with a lower case letter and hold only lower case letters, digits and underscores", name)
	}
	if s.byName[name] != nil {
		e := newError(409, CategoryObjectExists, fmt.Sprintf("A property named '%s' already exists.", name))
		e.context = map[string][]string{"name": {name}}
		return nil, e
	}
	p := &Property{
		Name: name, Label: *in.Label, Type: *in.Type, FieldType: *in.FieldType, GroupName: *in.GroupName,
		Options: []Option{}, CreatedAt: now, UpdatedAt: now, DataSensitivity: "non_sensitive",
		ModificationMetadata: ModificationMetadata{Archivable: true}, FormField: true,
	}
	if in.Description != nil {
		p.Description = *in.Description
	}
	if in.DisplayOrder != nil {
		p.DisplayOrder = *in.DisplayOrder
	}
	if in.Hidden != nil {
		p.Hidden = *in.Hidden
	}
	if in.FormField != nil {
		p.FormField = *in.FormField
	}
	if in.HasUniqueValue != nil && *in.HasUniqueValue {
		if p.Type != TypeString && p.Type != TypeNumber {
			return nil, validationError("Only string and number properties can have unique values, not %s", p.Type)
		}
		if len(s.uniques()) >= maxUniqueProperties {
			return nil, validationError("An object can have at most %d unique value properties", maxUniqueProperties)
		}
		p.HasUniqueValue = true
	}
	if in.Options != nil {
		p.Options = buildOptions(*in.Options)
	}
	if e := checkDefinition(p); e != nil {
		return nil, e
	}
	s.add(p)
	return p, nil
}

// setIf sets *dst to *v when v is given.
func setIf[T any](dst *T, v *T) {
	if v != nil {
		*dst = *v
	}
}

// updateProperty applies a PATCH. Options given replace the whole list, as HubSpot's
// property update does; name and hasUniqueValue cannot change.
func (s *schema) updateProperty(p *Property, in propertyInput, now time.Time) (*Property, *apiError) {
	if p.HubspotDefined {
		return nil, validationError("Property %s is a HubSpot-defined property; its definition is read-only", p.Name)
	}
	if in.Name != nil && *in.Name != p.Name {
		return nil, validationError("A property's name cannot change (%s)", p.Name)
	}
	if in.HasUniqueValue != nil && *in.HasUniqueValue != p.HasUniqueValue {
		return nil, validationError("hasUniqueValue of %s cannot change", p.Name)
	}
	np := *p
	setIf(&np.Label, in.Label)
	setIf(&np.Type, in.Type)
	setIf(&np.FieldType, in.FieldType)
	setIf(&np.GroupName, in.GroupName)
	setIf(&np.Description, in.Description)
	setIf(&np.DisplayOrder, in.DisplayOrder)
	setIf(&np.Hidden, in.Hidden)
	setIf(&np.FormField, in.FormField)
	if in.Options != nil {
		np.Options = buildOptions(*in.Options)
	}
	if np.HasUniqueValue && np.Type != TypeString && np.Type != TypeNumber {
		return nil, validationError("Only string and number properties can have unique values, not %s", np.Type)
	}
	if e := checkDefinition(&np); e != nil {
		return nil, e
	}
	np.UpdatedAt = now
	s.add(&np)
	return &np, nil
}

func buildOptions(in []optionInput) []Option {
	out := make([]Option, 0, len(in))
	for i, o := range in {
		order := i
		if o.DisplayOrder != nil {
			order = *o.DisplayOrder
		}
		out = append(out, Option{Label: o.Label, Value: o.Value, DisplayOrder: order, Hidden: o.Hidden, Description: o.Description})
	}
	return out
}

// checkDefinition checks type, fieldType and options agree.
func checkDefinition(p *Property) *apiError {
	allowed, ok := fieldTypes[p.Type]
	if !ok {
		return validationError("Invalid property type %q: want string, number, enumeration, bool, date or datetime", p.Type)
	}
	if !slices.Contains(allowed, p.FieldType) {
		return validationError("fieldType %q is not valid for type %s: want one of %s", p.FieldType, p.Type, strings.Join(allowed, ", "))
	}
	if p.Type != TypeEnumeration && p.Type != TypeBool {
		if len(p.Options) > 0 {
			return validationError("Options are only allowed on enumeration and bool properties, not %s", p.Type)
		}
		return nil
	}
	if p.Type == TypeEnumeration && len(p.Options) == 0 {
		return validationError("An enumeration property needs at least one option")
	}
	seen := map[string]bool{}
	for _, o := range p.Options {
		switch {
		case o.Value == "" || o.Label == "":
			return validationError("Every option needs a label and a value")
		case strings.Contains(o.Value, ";"):
			return validationError("Option value %q cannot contain ';', the separator of multiple checkbox values", o.Value)
		case seen[o.Value]:
			return validationError("Option value %q appears twice", o.Value)
		}
		seen[o.Value] = true
	}
	return nil
}

// normalizeValue validates a value written to property p and returns what is stored.
// old is the current value, for a checkbox value that starts with ";" (which adds to
// the values already checked). An empty result clears the property.
func normalizeValue(p *Property, v, old string) (string, *propertyError) {
	bad := func(code, msg string) (string, *propertyError) {
		return "", &propertyError{Name: p.Name, Error: code, Message: msg}
	}
	if v == "" {
		return "", nil
	}
	switch p.Type {
	case TypeString:
		if len(v) > maxStringLength {
			return bad("STRING_TOO_LONG", fmt.Sprintf("%s is %d characters; the limit is %d", p.Name, len(v), maxStringLength))
		}
		if p.Name == propEmail {
			e := normalizeEmail(v)
			if !validEmail(e) {
				return bad("INVALID_EMAIL", fmt.Sprintf("Email address %s is invalid", v))
			}
			return e, nil
		}
		return v, nil
	case TypeNumber:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
			return bad("INVALID_NUMBER", fmt.Sprintf("%s was not a valid number.", v))
		}
		return strings.TrimSpace(v), nil
	case TypeBool:
		switch strings.ToLower(strings.TrimSpace(v)) {
		case "true":
			return "true", nil
		case "false":
			return "false", nil
		}
		return bad("INVALID_BOOLEAN", fmt.Sprintf("%s was not a valid boolean; want true or false", v))
	case TypeDate, TypeDatetime:
		t, ok := parseTime(v)
		if !ok {
			return bad("INVALID_DATE", fmt.Sprintf("%s was not a valid date: want an ISO 8601 string or epoch milliseconds", v))
		}
		if p.Type == TypeDate {
			if !t.Equal(t.Truncate(24 * time.Hour)) {
				return bad("INVALID_DATE", fmt.Sprintf("%s is not midnight UTC; date properties hold whole days", v))
			}
			return t.Format(time.DateOnly), nil
		}
		return formatTime(t), nil
	case TypeEnumeration:
		if !p.multiple() {
			if !p.option(v) {
				return bad("INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: %s", v, p.optionValues()))
			}
			return v, nil
		}
		var values []string
		if strings.HasPrefix(v, ";") {
			values = splitMulti(old)
		}
		for _, part := range splitMulti(v) {
			if !p.option(part) {
				return bad("INVALID_OPTION", fmt.Sprintf("%s was not one of the allowed options: %s", part, p.optionValues()))
			}
			if !slices.Contains(values, part) {
				values = append(values, part)
			}
		}
		return strings.Join(values, ";"), nil
	}
	return v, nil
}

// splitMulti splits a multiple checkbox value on ";", trimming each part and dropping
// empty ones.
func splitMulti(v string) []string {
	var out []string
	for _, p := range strings.Split(v, ";") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

// normalizeEmail is the dedupe key of an email: trimmed and lower-cased. HubSpot stores
// email addresses lower-cased.
func normalizeEmail(e string) string { return strings.ToLower(strings.TrimSpace(e)) }

// validEmail is a plain check: one @, a local part, a dotted domain, no spaces.
func validEmail(e string) bool {
	local, domain, ok := strings.Cut(e, "@")
	if !ok || local == "" || domain == "" || strings.Contains(domain, "@") || strings.ContainsAny(e, " \t\r\n,;<>()[]\\\"") {
		return false
	}
	dot := strings.LastIndexByte(domain, '.')
	return dot > 0 && dot < len(domain)-1 && !strings.Contains(domain, "..")
}

// parseTime reads epoch milliseconds or an ISO 8601 date or date-time.
func parseTime(v string) (time.Time, bool) {
	v = strings.TrimSpace(v)
	if ms, err := strconv.ParseInt(v, 10, 64); err == nil {
		if ms < -62135596800000 || ms > 253402300799999 {
			return time.Time{}, false
		}
		return time.UnixMilli(ms).UTC(), true
	}
	for _, layout := range []string{time.RFC3339Nano, "2006-01-02T15:04:05.999Z0700", time.DateOnly} {
		if t, err := time.Parse(layout, v); err == nil {
			return t.UTC(), true
		}
	}
	return time.Time{}, false
}

// formatTime is HubSpot's timestamp format: UTC, milliseconds, Z.
func formatTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z") }
