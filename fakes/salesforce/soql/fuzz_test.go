package soql

import (
	"testing"
	"time"
)

// FuzzParse feeds arbitrary statements through Parse, Compile and Run: none may panic,
// every failure is an *Error with a known code and a position inside the statement, and
// a statement that parses re-parses to the same shape.
func FuzzParse(f *testing.F) {
	for _, s := range []string{
		"SELECT Id, Email FROM Contact WHERE Email = 'a@b.com' AND Order_Count__c > 1 LIMIT 1",
		"SELECT COUNT() FROM Contact WHERE (Email LIKE '%a\\_b%' OR Email = null) ORDER BY Email DESC NULLS LAST OFFSET 3",
		"SELECT Id FROM Contact WHERE Segments__c INCLUDES ('a;b','c') AND NOT Id IN ('003')",
		"SELECT Id FROM Contact WHERE CreatedDate = LAST_N_DAYS:3 AND Last_Order_Date__c >= 2024-02-29",
		"SELECT Id FROM Contact WHERE CreatedDate < 2024-02-29T10:00:00.5+01:00",
		"select id from contact where email = 'it\\'s'",
		"SELECT Id, Account.Name FROM Contact WHERE Account.Name LIKE 'A%' ORDER BY Account.Name DESC",
		"SELECT COUNT(Id), COUNT(Email) emails FROM Contact WHERE Account.Shopify_Company_Id__c != null",
		"SELECT FIELDS(ALL) FROM Contact LIMIT 200",
		"SELECT Name, FIELDS(STANDARD) FROM Account",
		"SELECT",
		"'",
	} {
		f.Add(s)
	}
	schema := relSchema()
	rows := relRows()
	codes := map[string]bool{CodeMalformedQuery: true, CodeInvalidField: true, CodeInvalidType: true, CodeInvalidQueryFilterOperator: true, CodeNumberOutsideValidRange: true}
	f.Fuzz(func(t *testing.T, src string) {
		q, err := Parse(src)
		if err != nil {
			if !codes[err.Code] || err.Pos < 0 || err.Pos > len(src) {
				t.Fatalf("bad error %+v for %q", err, src)
			}
			_ = err.Message(src)
			return
		}
		p, cerr := Compile(q, schema)
		if cerr != nil {
			if !codes[cerr.Code] || cerr.Pos < 0 || cerr.Pos > len(src) {
				t.Fatalf("bad error %+v for %q", cerr, src)
			}
			_ = cerr.Message(src)
			return
		}
		got, total := p.Run(rows, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
		if total != len(got) || total > len(rows) {
			t.Fatalf("total %d, rows %d", total, len(got))
		}
		if p.IsAggregate() {
			for _, a := range p.Aggregate(got) {
				if a.Value < 0 || a.Value > len(got) || a.Name == "" {
					t.Fatalf("aggregate %+v of %d rows", a, len(got))
				}
			}
		}
	})
}
