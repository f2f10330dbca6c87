package salesforce

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"github.com/peakready/peakready/fakes/salesforce/soql"
)

// Object names the fake serves.
const (
	ObjectContact = "Contact"
	ObjectAccount = "Account"
)

// DefaultExternalIDField is the Contact field that holds the Shopify customer id.
const DefaultExternalIDField = "Shopify_Customer_Id__c"

// fieldKind is a Salesforce field type.
type fieldKind int

const (
	kindID fieldKind = iota
	kindReference
	kindString
	kindTextArea
	kindEmail
	kindPhone
	kindURL
	kindDouble
	kindCurrency
	kindBoolean
	kindDate
	kindDateTime
	kindMultiPicklist
)

var kindNames = map[fieldKind]string{
	kindID: "id", kindReference: "reference", kindString: "string", kindTextArea: "textarea",
	kindEmail: "email", kindPhone: "phone", kindURL: "url", kindDouble: "double", kindCurrency: "currency",
	kindBoolean: "boolean", kindDate: "date", kindDateTime: "datetime", kindMultiPicklist: "multipicklist",
}

// fieldDef describes one field of an sObject.
type fieldDef struct {
	Name      string
	Label     string
	Kind      fieldKind
	Length    int // text length limit; 0 for non-text
	Precision int // digits for numbers
	Scale     int
	// Required on create (and may not be cleared by an update).
	Required bool
	// ReadOnly fields are maintained by the platform.
	ReadOnly   bool
	ExternalID bool
	Unique     bool
	// RefPrefix is the key prefix a reference field points to.
	RefPrefix string
	RefObject string
}

// relationshipName is the name a lookup field's parent goes by in SOQL: AccountId's is
// Account, a custom Parent__c's Parent__r; "" for other fields.
func (f *fieldDef) relationshipName() string {
	if f.Kind != kindReference {
		return ""
	}
	if base, ok := strings.CutSuffix(f.Name, "__c"); ok {
		return base + "__r"
	}
	return strings.TrimSuffix(f.Name, "Id")
}

func (f *fieldDef) soqlType() soql.Type {
	switch f.Kind {
	case kindID, kindReference:
		return soql.TypeID
	case kindDouble, kindCurrency:
		return soql.TypeNumber
	case kindBoolean:
		return soql.TypeBool
	case kindDate:
		return soql.TypeDate
	case kindDateTime:
		return soql.TypeDateTime
	case kindMultiPicklist:
		return soql.TypeMultiPicklist
	}
	return soql.TypeString
}

// objectDef is an sObject type: its fields in the order GET returns them.
type objectDef struct {
	Name      string
	Label     string
	KeyPrefix string
	Fields    []*fieldDef
	byLower   map[string]*fieldDef
	// ExternalIDs are the external-id fields, primary first (its value is the ledger's
	// external id for the record).
	ExternalIDs []*fieldDef
	// fieldNames are the field names in order; shared, never modified.
	fieldNames []string
	soql       *soql.Object
}

func (o *objectDef) field(name string) (*fieldDef, bool) {
	f, ok := o.byLower[strings.ToLower(name)]
	return f, ok
}

// externalID returns the external-id field named name, case-insensitively.
func (o *objectDef) externalID(name string) (*fieldDef, bool) {
	f, ok := o.field(name)
	if !ok || !f.ExternalID {
		return nil, false
	}
	return f, true
}

// schema is the set of objects one configuration serves; immutable once built.
type schema struct {
	objects map[string]*objectDef // lower-case name
	soql    soql.Schema
}

func (s *schema) object(name string) (*objectDef, bool) {
	o, ok := s.objects[strings.ToLower(name)]
	return o, ok
}

func systemFields() []*fieldDef {
	return []*fieldDef{
		{Name: "CreatedDate", Label: "Created Date", Kind: kindDateTime, ReadOnly: true},
		{Name: "LastModifiedDate", Label: "Last Modified Date", Kind: kindDateTime, ReadOnly: true},
		{Name: "SystemModstamp", Label: "System Modstamp", Kind: kindDateTime, ReadOnly: true},
	}
}

// isDeletedField is the read-only flag of a deleted record, which only QueryAll sees
// set.
func isDeletedField() *fieldDef {
	return &fieldDef{Name: "IsDeleted", Label: "Deleted", Kind: kindBoolean, ReadOnly: true}
}

func contactFields() []*fieldDef {
	f := []*fieldDef{
		{Name: "Id", Label: "Contact ID", Kind: kindID, ReadOnly: true},
		isDeletedField(),
		{Name: "AccountId", Label: "Account ID", Kind: kindReference, RefPrefix: PrefixAccount, RefObject: ObjectAccount},
		{Name: "LastName", Label: "Last Name", Kind: kindString, Length: 80, Required: true},
		{Name: "FirstName", Label: "First Name", Kind: kindString, Length: 40},
		{Name: "Name", Label: "Full Name", Kind: kindString, Length: 121, ReadOnly: true},
		{Name: "Email", Label: "Email", Kind: kindEmail, Length: 80},
		{Name: "Phone", Label: "Business Phone", Kind: kindPhone, Length: 40},
		{Name: "MailingStreet", Label: "Mailing Street", Kind: kindTextArea, Length: 255},
		{Name: "MailingCity", Label: "Mailing City", Kind: kindString, Length: 40},
		{Name: "MailingState", Label: "Mailing State/Province", Kind: kindString, Length: 80},
		{Name: "MailingPostalCode", Label: "Mailing Zip/Postal Code", Kind: kindString, Length: 20},
		{Name: "MailingCountry", Label: "Mailing Country", Kind: kindString, Length: 80},
		{Name: "HasOptedOutOfEmail", Label: "Email Opt Out", Kind: kindBoolean},
		{Name: "Lifetime_Value__c", Label: "Lifetime Value", Kind: kindCurrency, Precision: 16, Scale: 2},
		{Name: "Order_Count__c", Label: "Order Count", Kind: kindDouble, Precision: 18, Scale: 0},
		{Name: "Segments__c", Label: "Segments", Kind: kindMultiPicklist, Length: 4099},
		{Name: "Last_Order_Date__c", Label: "Last Order Date", Kind: kindDate},
	}
	return append(f, systemFields()...)
}

func accountFields() []*fieldDef {
	f := []*fieldDef{
		{Name: "Id", Label: "Account ID", Kind: kindID, ReadOnly: true},
		isDeletedField(),
		{Name: "Name", Label: "Account Name", Kind: kindString, Length: 255, Required: true},
		{Name: "AccountNumber", Label: "Account Number", Kind: kindString, Length: 40},
		{Name: "Phone", Label: "Account Phone", Kind: kindPhone, Length: 40},
		{Name: "Website", Label: "Website", Kind: kindURL, Length: 255},
		{Name: "BillingStreet", Label: "Billing Street", Kind: kindTextArea, Length: 255},
		{Name: "BillingCity", Label: "Billing City", Kind: kindString, Length: 40},
		{Name: "BillingState", Label: "Billing State/Province", Kind: kindString, Length: 80},
		{Name: "BillingPostalCode", Label: "Billing Zip/Postal Code", Kind: kindString, Length: 20},
		{Name: "BillingCountry", Label: "Billing Country", Kind: kindString, Length: 80},
	}
	return append(f, systemFields()...)
}

var customFieldName = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9_]*__c$`)

// ExternalIDField is one entry of the external_id_fields knob: Object.Field, or Field
// for a Contact field.
type ExternalIDField struct {
	Object string
	Field  string
}

// ParseExternalIDFields reads the external_id_fields knob: a comma-separated list of
// Field (a Contact field) or Object.Field. The field is Email or a custom field name
// (ending __c); a custom field the object does not have is added as a text field of 255
// characters.
func ParseExternalIDFields(v string) ([]ExternalIDField, error) {
	var out []ExternalIDField
	for _, part := range strings.Split(v, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			continue
		}
		obj, field, ok := strings.Cut(part, ".")
		if !ok {
			obj, field = ObjectContact, part
		}
		switch strings.ToLower(obj) {
		case "contact":
			obj = ObjectContact
		case "account":
			obj = ObjectAccount
		default:
			return nil, fmt.Errorf("external id field %q: object %q is not Contact or Account", part, obj)
		}
		if !customFieldName.MatchString(field) && !strings.EqualFold(field, "Email") {
			return nil, fmt.Errorf("external id field %q: %q is not Email or a custom field name like Shopify_Customer_Id__c", part, field)
		}
		e := ExternalIDField{Object: obj, Field: field}
		if slices.ContainsFunc(out, func(o ExternalIDField) bool {
			return o.Object == e.Object && strings.EqualFold(o.Field, e.Field)
		}) {
			return nil, fmt.Errorf("external id field %q is listed twice", part)
		}
		out = append(out, e)
	}
	return out, nil
}

// buildSchema makes the Contact and Account objects with the given external-id fields.
// unique makes every external-id field unique (a second record with the same value is
// refused with DUPLICATE_VALUE); otherwise several records may share a value and an
// upsert by it answers 300.
func buildSchema(ext []ExternalIDField, unique bool) (*schema, error) {
	s := &schema{objects: map[string]*objectDef{}, soql: soql.Schema{}}
	for _, o := range []*objectDef{
		{Name: ObjectContact, Label: "Contact", KeyPrefix: PrefixContact, Fields: contactFields()},
		{Name: ObjectAccount, Label: "Account", KeyPrefix: PrefixAccount, Fields: accountFields()},
	} {
		o.byLower = map[string]*fieldDef{}
		for _, f := range o.Fields {
			o.byLower[strings.ToLower(f.Name)] = f
		}
		for _, e := range ext {
			if e.Object != o.Name {
				continue
			}
			f, ok := o.byLower[strings.ToLower(e.Field)]
			if !ok {
				f = &fieldDef{Name: e.Field, Label: strings.ReplaceAll(strings.TrimSuffix(e.Field, "__c"), "_", " "), Kind: kindString, Length: 255}
				// custom fields go before the system fields
				o.Fields = slices.Insert(o.Fields, len(o.Fields)-3, f)
				o.byLower[strings.ToLower(f.Name)] = f
			} else if f.Kind != kindString && f.Kind != kindEmail {
				return nil, fmt.Errorf("external id field %s.%s: only text and email fields can be external ids here, it is %s", o.Name, f.Name, kindNames[f.Kind])
			}
			f.ExternalID, f.Unique = true, unique
			o.ExternalIDs = append(o.ExternalIDs, f)
		}
		for _, f := range o.Fields {
			o.fieldNames = append(o.fieldNames, f.Name)
		}
		so := &soql.Object{Name: o.Name, Fields: map[string]soql.Field{}, Relationships: map[string]soql.Relationship{}}
		for _, f := range o.Fields {
			so.Fields[strings.ToLower(f.Name)] = soql.Field{Name: f.Name, Type: f.soqlType()}
			so.Order = append(so.Order, f.Name)
			if rel := f.relationshipName(); rel != "" {
				so.Relationships[strings.ToLower(rel)] = soql.Relationship{Name: rel, Target: strings.ToLower(f.RefObject)}
			}
		}
		o.soql = so
		s.objects[strings.ToLower(o.Name)] = o
		s.soql[strings.ToLower(o.Name)] = so
	}
	return s, nil
}
