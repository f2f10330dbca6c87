package soql

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type row map[string]any

func (r row) Value(f string) any { return r[f] }

func testSchema() Schema {
	fields := map[string]Field{}
	for _, f := range []Field{
		{"Id", TypeID}, {"FirstName", TypeString}, {"LastName", TypeString}, {"Email", TypeString},
		{"Order_Count__c", TypeNumber}, {"Segments__c", TypeMultiPicklist}, {"HasOptedOutOfEmail", TypeBool},
		{"Last_Order_Date__c", TypeDate}, {"CreatedDate", TypeDateTime},
	} {
		fields[strings.ToLower(f.Name)] = f
	}
	return Schema{"contact": {Name: "Contact", Fields: fields}}
}

var now = time.Date(2025, 11, 28, 15, 0, 0, 0, time.UTC)

func testRows() []Record {
	return []Record{
		row{"Id": "003000000000001AAA", "FirstName": "Ada", "LastName": "Lovelace", "Email": "ada@example.com", "Order_Count__c": 3.0, "Segments__c": "vip;newsletter", "HasOptedOutOfEmail": false, "Last_Order_Date__c": "2025-11-28", "CreatedDate": now.Add(-48 * time.Hour)},
		row{"Id": "003000000000002AAA", "FirstName": "Grace", "LastName": "Hopper", "Email": "GRACE@example.com", "Order_Count__c": 0.0, "Segments__c": "newsletter", "HasOptedOutOfEmail": true, "CreatedDate": now.Add(-time.Hour)},
		row{"Id": "003000000000003AAA", "FirstName": nil, "LastName": "O'Brien", "Email": nil, "Order_Count__c": 10.0, "Segments__c": nil, "HasOptedOutOfEmail": false, "Last_Order_Date__c": "2025-01-02", "CreatedDate": now.Add(-400 * 24 * time.Hour)},
		row{"Id": "003000000000004AAA", "FirstName": "Alan", "LastName": "100%_Turing", "Email": "alan@example.org", "Order_Count__c": nil, "HasOptedOutOfEmail": false, "CreatedDate": now},
	}
}

func run(t *testing.T, q string) ([]string, int) {
	t.Helper()
	parsed, perr := Parse(q)
	require.Nil(t, perr, "parse %q", q)
	plan, cerr := Compile(parsed, testSchema())
	require.Nil(t, cerr, "compile %q", q)
	rows, total := plan.Run(testRows(), now)
	ids := make([]string, len(rows))
	for i, r := range rows {
		ids[i] = r.Value("Id").(string)[14:15]
	}
	return ids, total
}

func TestQueries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q    string
		want string // last significant id digits, in order
	}{
		{"SELECT Id FROM Contact", "1234"},
		{"select id from contact", "1234"},
		{"SELECT Id, Email, FirstName FROM Contact WHERE Email = 'ada@example.com' LIMIT 1", "1"},
		{"SELECT Id FROM Contact WHERE Email = 'grace@EXAMPLE.com'", "2"},
		{"SELECT Id FROM Contact WHERE Email != 'grace@example.com'", "134"},
		{"SELECT Id FROM Contact WHERE Email <> 'grace@example.com'", "134"},
		{"SELECT Id FROM Contact WHERE Email = null", "3"},
		{"SELECT Id FROM Contact WHERE Email != NULL", "124"},
		{"SELECT Id FROM Contact WHERE Email IN ('alan@example.org', 'ada@example.com')", "14"},
		{"SELECT Id FROM Contact WHERE Email NOT IN ('alan@example.org')", "123"},
		{"SELECT Id FROM Contact WHERE Email LIKE '%@example.com'", "12"},
		{"SELECT Id FROM Contact WHERE FirstName LIKE 'a__'", "1"},
		{"SELECT Id FROM Contact WHERE LastName LIKE '100\\%\\_%'", "4"},
		{"SELECT Id FROM Contact WHERE LastName LIKE '100%'", "4"},
		{"SELECT Id FROM Contact WHERE LastName = 'O\\'Brien'", "3"},
		{"SELECT Id FROM Contact WHERE Order_Count__c > 0 AND Order_Count__c <= 3", "1"},
		{"SELECT Id FROM Contact WHERE Order_Count__c >= 3 OR Email = 'grace@example.com'", "123"},
		{"SELECT Id FROM Contact WHERE (Order_Count__c >= 3 OR FirstName = 'Alan') AND Email != null", "14"},
		{"SELECT Id FROM Contact WHERE NOT Order_Count__c > 0", "24"},
		{"SELECT Id FROM Contact WHERE Order_Count__c = -1.5", ""},
		{"SELECT Id FROM Contact WHERE Segments__c INCLUDES ('vip')", "1"},
		{"SELECT Id FROM Contact WHERE Segments__c INCLUDES ('vip', 'newsletter')", "12"},
		{"SELECT Id FROM Contact WHERE Segments__c INCLUDES ('vip;newsletter')", "1"},
		{"SELECT Id FROM Contact WHERE Segments__c EXCLUDES ('vip')", "234"},
		{"SELECT Id FROM Contact WHERE Segments__c = 'newsletter;vip'", "1"},
		{"SELECT Id FROM Contact WHERE HasOptedOutOfEmail = TRUE", "2"},
		{"SELECT Id FROM Contact WHERE Last_Order_Date__c = 2025-11-28", "1"},
		{"SELECT Id FROM Contact WHERE Last_Order_Date__c < 2025-11-28", "3"},
		{"SELECT Id FROM Contact WHERE Last_Order_Date__c = TODAY", "1"},
		{"SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:7", "124"},
		{"SELECT Id FROM Contact WHERE CreatedDate = YESTERDAY", ""},
		{"SELECT Id FROM Contact WHERE CreatedDate > 2025-11-27T00:00:00Z", "24"},
		{"SELECT Id FROM Contact WHERE CreatedDate < 2025-11-28T16:30:00+02:00", "123"},
		{"SELECT Id FROM Contact WHERE Id = '003000000000002'", "2"},
		{"SELECT Id FROM Contact ORDER BY Order_Count__c", "4213"},
		{"SELECT Id FROM Contact ORDER BY Order_Count__c DESC", "3124"},
		{"SELECT Id FROM Contact ORDER BY Order_Count__c ASC NULLS LAST", "2134"},
		{"SELECT Id FROM Contact ORDER BY FirstName DESC NULLS FIRST, LastName", "3241"},
		{"SELECT Id FROM Contact ORDER BY Email LIMIT 2 OFFSET 1", "14"},
		{"SELECT Id FROM Contact LIMIT 0", ""},
		{"SELECT Id FROM Contact OFFSET 10", ""},
		{"SELECT Id FROM Contact WHERE ((Email = 'ada@example.com'))", "1"},
		{"SELECT Id FROM Contact\nWHERE Email LIKE 'A%'\n", "14"},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			t.Parallel()
			ids, total := run(t, c.q)
			assert.Equal(t, c.want, strings.Join(ids, ""))
			assert.Equal(t, len(c.want), total)
		})
	}
}

func TestCount(t *testing.T) {
	t.Parallel()
	q, err := Parse("SELECT COUNT() FROM Contact WHERE Email != null")
	require.Nil(t, err)
	assert.True(t, q.Count)
	assert.Empty(t, q.Fields)
	p, cerr := Compile(q, testSchema())
	require.Nil(t, cerr)
	_, total := p.Run(testRows(), now)
	assert.Equal(t, 3, total)

	// a field named Count is still a field
	q, err = Parse("SELECT Count FROM Contact")
	require.Nil(t, err)
	assert.False(t, q.Count)
	assert.Equal(t, "Count", q.Fields[0].Name)
}

func TestCompiledFieldsAreCanonical(t *testing.T) {
	t.Parallel()
	q, err := Parse("SELECT id, EMAIL, firstname FROM CONTACT")
	require.Nil(t, err)
	p, cerr := Compile(q, testSchema())
	require.Nil(t, cerr)
	assert.Equal(t, "Contact", p.Object.Name)
	var names []string
	for _, f := range p.Fields {
		names = append(names, f.Name)
	}
	assert.Equal(t, []string{"Id", "Email", "FirstName"}, names)
}

func TestMalformedQueries(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q, detail string
	}{
		{"", "unexpected token: '<EOF>'"},
		{"SELECT", "unexpected token: '<EOF>'"},
		{"SELECT FROM Contact", "unexpected token: 'FROM'"},
		{"SELECT Id FRM Contact", "unexpected token: 'FRM'"},
		{"SELECT Id, FROM Contact", "unexpected token: 'FROM'"},
		{"SELECT Id FROM", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact WHERE", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact WHERE Email", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact WHERE Email = ", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact WHERE Email = 'a", "mismatched character '<EOF>' expecting '''"},
		{"SELECT Id FROM Contact WHERE Email = 'a\\'", "mismatched character '<EOF>' expecting '''"},
		{"SELECT Id FROM Contact WHERE Email = 'a\\q'", "Illegal character sequence '\\q'"},
		{"SELECT Id FROM Contact WHERE Email = \"a\"", "no viable alternative at character '\"'"},
		{"SELECT Id FROM Contact WHERE Email = 'a' AND LastName = 'b' OR FirstName = 'c'", "unexpected token: 'OR'"},
		{"SELECT Id FROM Contact WHERE (Email = 'a'", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact WHERE Email = 'a')", "unexpected token: ')'"},
		{"SELECT Id FROM Contact WHERE Email IN 'a'", "unexpected token: 'a'"},
		{"SELECT Id FROM Contact WHERE Email IN ()", "unexpected token: ')'"},
		{"SELECT Id FROM Contact WHERE Email NOT 'a'", "unexpected token: 'a'"},
		{"SELECT Id FROM Contact WHERE Email == 'a'", "unexpected token: '='"},
		{"SELECT Id FROM Contact LIMIT", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact LIMIT -1", "unexpected token: '-1'"},
		{"SELECT Id FROM Contact LIMIT 1.5", "unexpected token: '1.5'"},
		{"SELECT Id FROM Contact LIMIT 1 LIMIT 2", "unexpected token: 'LIMIT'"},
		{"SELECT Id FROM Contact OFFSET 1 LIMIT 2", "unexpected token: 'LIMIT'"},
		{"SELECT Id FROM Contact ORDER Id", "unexpected token: 'Id'"},
		{"SELECT Id FROM Contact ORDER BY", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact ORDER BY Id NULLS", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact WHERE CreatedDate = 2025-13-01", "is not a valid date"},
		{"SELECT Id FROM Contact WHERE CreatedDate = 2025-01-01T00:00:00", "unexpected token"},
		{"SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS", "unexpected token: '<EOF>'"},
		{"SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:x", "unexpected token: 'x'"},
		{"SELECT Id FROM Contact WHERE CreatedDate = SOMEDAY", "unexpected token: 'SOMEDAY'"},
		{"SELECT Id FROM Contact WHERE Email = 'a' extra", "unexpected token: 'extra'"},
		{"SELECT Id FROM Contact;", "no viable alternative at character ';'"},
		{"SELECT Id FROM Contact WHERE Id IN (SELECT Id FROM Contact)", "unexpected token: 'SELECT'"},
		{"SELECT COUNT( FROM Contact", "unexpected token: 'FROM'"},
		{"SELECT Account. FROM Contact", "unexpected token: 'Account.'"},
		{"SELECT Id FROM Contact WHERE Order_Count__c = 1x", "unexpected token: '1x'"},
		{"SELECT Id FROM Contact WHERE " + strings.Repeat("(", 200) + "Email = 'a'" + strings.Repeat(")", 200), "nested too deeply"},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			t.Parallel()
			_, err := Parse(c.q)
			require.NotNil(t, err)
			assert.Equal(t, CodeMalformedQuery, err.Code)
			assert.Contains(t, err.Detail, c.detail)
			assert.Contains(t, err.Message(c.q), "ERROR at Row:")
		})
	}
}

func TestOffsetOverMaximum(t *testing.T) {
	t.Parallel()
	_, err := Parse("SELECT Id FROM Contact OFFSET 2001")
	require.NotNil(t, err)
	assert.Equal(t, CodeNumberOutsideValidRange, err.Code)
	_, err = Parse("SELECT Id FROM Contact OFFSET 2000")
	assert.Nil(t, err)
}

func TestCompileErrors(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q, code, detail string
	}{
		{"SELECT Id FROM Lead", CodeInvalidType, "sObject type 'Lead' is not supported"},
		{"SELECT Id, Nme FROM Contact", CodeInvalidField, "No such column 'Nme' on entity 'Contact'"},
		{"SELECT Id FROM Contact WHERE Foo__c = 'x'", CodeInvalidField, "No such column 'Foo__c'"},
		{"SELECT Id FROM Contact ORDER BY Bar", CodeInvalidField, "No such column 'Bar'"},
		{"SELECT Id, id FROM Contact", CodeMalformedQuery, "duplicate field selected: Id"},
		{"SELECT Id FROM Contact WHERE Order_Count__c = '3'", CodeInvalidQueryFilterOperator, "must be of type double and should not be enclosed in quotes"},
		{"SELECT Id FROM Contact WHERE Email = 3", CodeInvalidQueryFilterOperator, "must be of type string and should be enclosed in quotes"},
		{"SELECT Id FROM Contact WHERE Last_Order_Date__c = '2025-01-01'", CodeInvalidQueryFilterOperator, "must be of type date"},
		{"SELECT Id FROM Contact WHERE CreatedDate = 2025-01-01", CodeInvalidQueryFilterOperator, "must be of type datetime"},
		{"SELECT Id FROM Contact WHERE HasOptedOutOfEmail = 'true'", CodeInvalidQueryFilterOperator, "must be of type boolean"},
		{"SELECT Id FROM Contact WHERE Order_Count__c LIKE '1%'", CodeInvalidQueryFilterOperator, "invalid operator"},
		{"SELECT Id FROM Contact WHERE Email INCLUDES ('a')", CodeInvalidQueryFilterOperator, "invalid operator"},
		{"SELECT Id FROM Contact WHERE Email > null", CodeInvalidQueryFilterOperator, "invalid operator"},
		{"SELECT Id FROM Contact WHERE HasOptedOutOfEmail > TRUE", CodeInvalidQueryFilterOperator, "invalid operator"},
		{"SELECT Id FROM Contact ORDER BY Segments__c", CodeInvalidField, "can not be sorted"},
	}
	for _, c := range cases {
		t.Run(c.q, func(t *testing.T) {
			t.Parallel()
			q, perr := Parse(c.q)
			require.Nil(t, perr)
			_, err := Compile(q, testSchema())
			require.NotNil(t, err)
			assert.Equal(t, c.code, err.Code)
			assert.Contains(t, err.Detail, c.detail)
		})
	}
}

func TestErrorMessagePointsAtColumn(t *testing.T) {
	t.Parallel()
	q := "SELECT Id FRM Contact"
	_, err := Parse(q)
	require.NotNil(t, err)
	assert.Equal(t, "\nSELECT Id FRM Contact\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'", err.Message(q))

	q = "SELECT Id\nFROM Contact\nWHERE Nope = 1"
	pq, perr := Parse(q)
	require.Nil(t, perr)
	_, cerr := Compile(pq, testSchema())
	require.NotNil(t, cerr)
	assert.True(t, strings.HasPrefix(cerr.Message(q), "\nWHERE Nope = 1\n      ^\nERROR at Row:3:Column:7\nNo such column 'Nope'"), cerr.Message(q))
}

func TestLikeIsLinear(t *testing.T) {
	t.Parallel()
	m := compileLike(strings.Repeat("%a", 50) + "b")
	start := time.Now()
	assert.False(t, m(strings.Repeat("a", 5000)))
	assert.Less(t, time.Since(start), 2*time.Second)
}
