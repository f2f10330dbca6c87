package soql

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prow is a row with parents.
type prow struct {
	row
	parents map[string]Record
}

func (p prow) Parent(rel string) Record {
	if r, ok := p.parents[rel]; ok && r != nil {
		return r
	}
	return nil
}

func relSchema() Schema {
	s := testSchema()
	c := s["contact"]
	c.Fields["accountid"] = Field{"AccountId", TypeID}
	c.Relationships = map[string]Relationship{"account": {Name: "Account", Target: "account"}}
	c.Order = []string{"Id", "AccountId", "FirstName", "LastName", "Email", "Order_Count__c", "Segments__c", "HasOptedOutOfEmail", "Last_Order_Date__c", "CreatedDate"}
	s["account"] = &Object{Name: "Account", Fields: map[string]Field{
		"id": {"Id", TypeID}, "name": {"Name", TypeString}, "shopify_company_id__c": {"Shopify_Company_Id__c", TypeString},
	}}
	return s
}

func relRows() []Record {
	acme := row{"Id": "001000000000001AAA", "Name": "Acme", "Shopify_Company_Id__c": "c1"}
	globex := row{"Id": "001000000000002AAA", "Name": "Globex"}
	rows := testRows()
	out := make([]Record, len(rows))
	for i, r := range rows {
		p := prow{row: r.(row), parents: map[string]Record{}}
		switch i {
		case 0, 1:
			p.row["AccountId"] = acme["Id"]
			p.parents["Account"] = acme
		case 2:
			p.row["AccountId"] = globex["Id"]
			p.parents["Account"] = globex
		}
		out[i] = p
	}
	return out
}

func compileRel(t *testing.T, q string) *Plan {
	t.Helper()
	parsed, perr := Parse(q)
	require.Nil(t, perr, "parse %q", q)
	plan, cerr := Compile(parsed, relSchema())
	require.Nil(t, cerr, "compile %q: %v", q, cerr)
	return plan
}

func TestRelationshipFields(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q    string
		want string
	}{
		{"SELECT Id, Account.Name FROM Contact WHERE Account.Name = 'acme'", "12"},
		{"SELECT Id FROM Contact WHERE account.name != 'Acme'", "34"},
		{"SELECT Id FROM Contact WHERE Account.Name = null", "4"},
		{"SELECT Id FROM Contact WHERE Account.Name LIKE 'G%' OR Account.Shopify_Company_Id__c = 'c1'", "123"},
		{"SELECT Id FROM Contact WHERE Account.Name IN ('Globex')", "3"},
		{"SELECT Id FROM Contact ORDER BY Account.Name DESC NULLS LAST, Id", "3124"},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			t.Parallel()
			rows, total := compileRel(t, c.q).Run(relRows(), now)
			var ids []string
			for _, r := range rows {
				ids = append(ids, r.Value("Id").(string)[14:15])
			}
			assert.Equal(t, c.want, strings.Join(ids, ""))
			assert.Equal(t, len(c.want), total)
		})
	}
	p := compileRel(t, "SELECT Id, account.NAME, Account.Id FROM Contact")
	require.Len(t, p.Fields, 3)
	assert.Equal(t, "Account.Name", p.Fields[1].Key())
	assert.Equal(t, []string{"Account"}, p.Fields[1].Path)
	assert.Equal(t, "Name", p.Fields[1].Name)
}

func TestCountAggregates(t *testing.T) {
	t.Parallel()
	p := compileRel(t, "SELECT COUNT(Id), COUNT(Email) emails, count(Account.Name) FROM Contact WHERE Order_Count__c != 10")
	require.True(t, p.IsAggregate())
	rows, _ := p.Run(relRows(), now)
	assert.Equal(t, []AggregateValue{{"expr0", 3}, {"emails", 3}, {"expr1", 2}}, p.Aggregate(rows))
	assert.Empty(t, p.Fields)

	q, err := Parse("SELECT COUNT(Id) FROM Contact")
	require.Nil(t, err)
	assert.False(t, q.Count, "COUNT(Id) is an aggregate, not COUNT()")
	// fields named like the functions are still fields
	q, err = Parse("SELECT Fields, Count FROM Contact")
	require.Nil(t, err)
	assert.Len(t, q.Fields, 2)
}

func TestFieldsFunction(t *testing.T) {
	t.Parallel()
	names := func(p *Plan) string {
		var out []string
		for _, f := range p.Fields {
			out = append(out, f.Key())
		}
		return strings.Join(out, ",")
	}
	assert.Equal(t, "Id,AccountId,FirstName,LastName,Email,HasOptedOutOfEmail,CreatedDate", names(compileRel(t, "SELECT FIELDS(STANDARD) FROM Contact")))
	assert.Equal(t, "Order_Count__c,Segments__c,Last_Order_Date__c", names(compileRel(t, "SELECT fields(custom) FROM Contact LIMIT 200")))
	assert.Equal(t, "Account.Name,Id,AccountId,FirstName,LastName,Email,Order_Count__c,Segments__c,HasOptedOutOfEmail,Last_Order_Date__c,CreatedDate",
		names(compileRel(t, "SELECT Account.Name, FIELDS(ALL) FROM Contact LIMIT 1")))
	// the account object has no order: alphabetical
	assert.Equal(t, "Id,Name", names(compileRel(t, "SELECT FIELDS(STANDARD) FROM Account")))
}

func TestSelectListErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q, code, detail string
	}{
		{"SELECT FIELDS(ALL) FROM Contact", CodeMalformedQuery, "The SOQL FIELDS function must have a LIMIT of at most 200"},
		{"SELECT FIELDS(CUSTOM) FROM Contact LIMIT 201", CodeMalformedQuery, "must have a LIMIT of at most 200"},
		{"SELECT Id, FIELDS(ALL) FROM Contact LIMIT 200", CodeMalformedQuery, "duplicate field selected: Id"},
		{"SELECT Email, COUNT(Id) FROM Contact", CodeMalformedQuery, "Field must be grouped or aggregated: Email"},
		{"SELECT COUNT(Id) FROM Contact ORDER BY Email", CodeMalformedQuery, "Ordered field must be grouped or aggregated: Email"},
		{"SELECT COUNT(Id) FROM Contact LIMIT 1", CodeMalformedQuery, "LIMIT"},
		{"SELECT COUNT(Id) n, COUNT(Email) N FROM Contact", CodeMalformedQuery, "duplicate alias"},
		{"SELECT COUNT(Nope) FROM Contact", CodeInvalidField, "No such column 'Nope'"},
		{"SELECT Owner.Name FROM Contact", CodeInvalidField, "Didn't understand relationship 'Owner' in field path"},
		{"SELECT Account.Nme FROM Contact", CodeInvalidField, "No such column 'Nme' on entity 'Account'"},
		{"SELECT Id FROM Contact WHERE Account.Owner.Name = 'x'", CodeInvalidField, "Didn't understand relationship 'Owner'"},
		{"SELECT Id, Account.Name, account.name FROM Contact", CodeMalformedQuery, "duplicate field selected: Account.Name"},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			t.Parallel()
			q, perr := Parse(c.q)
			require.Nil(t, perr)
			_, err := Compile(q, relSchema())
			require.NotNil(t, err)
			assert.Equal(t, c.code, err.Code)
			assert.Contains(t, err.Detail, c.detail)
			assert.Contains(t, err.Message(c.q), "ERROR at Row:1")
		})
	}
	for _, q := range []string{"SELECT FIELDS(SOME) FROM Contact", "SELECT FIELDS() FROM Contact", "SELECT COUNT(Id) AS n FROM Contact", "SELECT COUNT(Id) n.x FROM Contact"} {
		_, err := Parse(q)
		require.NotNil(t, err, q)
		assert.Equal(t, CodeMalformedQuery, err.Code, q)
	}
}
