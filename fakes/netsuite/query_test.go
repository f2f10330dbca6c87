package netsuite

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestParseQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		q    string
		want []Condition
		err  string
	}{
		{q: `lastModifiedDate AFTER "2026-11-27T10:00:00Z"`, want: []Condition{{"lastModifiedDate", "AFTER", "2026-11-27T10:00:00Z"}}},
		{q: `lastModifiedDate on_or_after "2026-11-27T10:00:00Z" and externalId IS "50 01"`, want: []Condition{
			{"lastModifiedDate", "ON_OR_AFTER", "2026-11-27T10:00:00Z"}, {"externalId", "IS", "50 01"}}},
		{q: `itemId IS AB1234-001`, want: []Condition{{"itemId", "IS", "AB1234-001"}}},
		{q: `  email  START_WITH  "a\"b\\c"  `, want: []Condition{{"email", "START_WITH", `a"b\c`}}},
		{q: `itemId IS "x" AND`, err: "expected a field name"},
		{q: `itemId IS`, err: "expected a value"},
		{q: `itemId`, err: "expected an operator"},
		{q: `itemId IS "x" OR itemId IS "y"`, err: "OR is not supported"},
		{q: `itemId IS "x" itemId`, err: "expected AND"},
		{q: `itemId IS "x`, err: "unterminated string"},
		{q: `"itemId" IS x`, err: "expected a field name"},
		{q: `9x IS x`, err: "expected a field name"},
		{q: ``, err: "expected a field name"},
		{q: strings.Repeat(`itemId IS x AND `, maxQueryConditions) + `itemId IS x`, err: "at most"},
	}
	for _, tc := range cases {
		got, err := ParseQuery(tc.q)
		if tc.err != "" {
			require.Error(t, err, tc.q)
			assert.Contains(t, err.Error(), tc.err, tc.q)
			continue
		}
		require.NoError(t, err, tc.q)
		assert.Equal(t, tc.want, got.Conditions, tc.q)
	}
}

func TestCompileQuery(t *testing.T) {
	t.Parallel()
	cases := []struct {
		record, q, err string
	}{
		{RecordSalesOrder, `lastModifiedDate AFTER "2026-11-27T10:00:00Z"`, ""},
		{RecordSalesOrder, `custbody_shopify_order_id IS "5001"`, ""},
		{RecordInventoryItem, `itemId IS "X"`, ""},
		{RecordCustomer, `email IS "a@b.co"`, ""},
		{RecordItemFulfillment, `createdFrom IS "10001"`, ""},
		{RecordInventoryItem, `email IS "x"`, "UNRECOGNIZED_FIELD"},
		{RecordSalesOrder, `lastModifiedDate IS "x"`, "Operator 'IS' is not valid"},
		{RecordSalesOrder, `externalId AFTER "x"`, "Operator 'AFTER' is not valid"},
		{RecordSalesOrder, `lastModifiedDate AFTER "yesterday"`, "is not a date"},
	}
	for _, tc := range cases {
		q, err := ParseQuery(tc.q)
		require.NoError(t, err)
		_, err = compileQuery(tc.record, q)
		if tc.err == "" {
			assert.NoError(t, err, tc.q)
		} else {
			require.Error(t, err, tc.q)
			assert.Contains(t, err.Error(), tc.err)
		}
	}
}

// fakeRecord is a record with fixed fields for matcher tests.
type fakeRecord struct {
	mod time.Time
	s   map[string]string
}

func (f fakeRecord) timeField(string) time.Time     { return f.mod }
func (f fakeRecord) stringField(name string) string { return f.s[name] }

func TestQueryMatchesAtTheEdges(t *testing.T) {
	t.Parallel()
	at := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	rec := fakeRecord{mod: at.Add(400 * time.Millisecond), s: map[string]string{"externalId": "Order-5001"}}
	cases := []struct {
		q    string
		want bool
	}{
		{`lastModifiedDate AFTER "2026-11-27T10:00:00Z"`, false}, // same second: not after
		{`lastModifiedDate AFTER "2026-11-27T09:59:59Z"`, true},
		{`lastModifiedDate ON_OR_AFTER "2026-11-27T10:00:00Z"`, true},
		{`lastModifiedDate ON_OR_AFTER "2026-11-27T10:00:01Z"`, false},
		{`lastModifiedDate BEFORE "2026-11-27T10:00:00Z"`, false},
		{`lastModifiedDate ON_OR_BEFORE "2026-11-27T10:00:00Z"`, true},
		{`lastModifiedDate ON "2026-11-27T10:00:00Z"`, true},
		{`lastModifiedDate ON "2026-11-27"`, true},
		{`lastModifiedDate ON "11/27/2026"`, true},
		{`lastModifiedDate AFTER "2026-11-27"`, false},
		{`lastModifiedDate AFTER "2026-11-26"`, true},
		{`lastModifiedDate BEFORE "2026-11-28"`, true},
		{`lastModifiedDate ON_OR_BEFORE "2026-11-26"`, false},
		{`lastModifiedDate AFTER "2026-11-27T11:00:00+02:00"`, true},
		{`externalId IS "order-5001"`, true},
		{`externalId IS_NOT "order-5001"`, false},
		{`externalId START_WITH "Order"`, true},
		{`externalId CONTAIN "500"`, true},
		{`externalId IS "5001" AND lastModifiedDate ON "2026-11-27"`, false},
	}
	for _, tc := range cases {
		q, err := ParseQuery(tc.q)
		require.NoError(t, err, tc.q)
		m, err := compileQuery(RecordSalesOrder, q)
		require.NoError(t, err, tc.q)
		assert.Equal(t, tc.want, m.match(rec), tc.q)
	}
}

func FuzzParseQuery(f *testing.F) {
	for _, s := range []string{
		`lastModifiedDate AFTER "2026-11-27T10:00:00Z"`, `itemId IS "X" AND externalId IS y`, `a B "\"`, `"`, `x IS "\\"`,
		`lastModifiedDate ON 11/27/2026`, `a b c AND d e f OR`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, q string) {
		parsed, err := ParseQuery(q)
		if err != nil {
			var qe *QueryError
			if !asQueryError(err, &qe) || qe.Pos < 0 || qe.Pos > len(q) {
				t.Fatalf("error %v for %q", err, q)
			}
			return
		}
		if len(parsed.Conditions) == 0 || len(parsed.Conditions) > maxQueryConditions {
			t.Fatalf("%d conditions from %q", len(parsed.Conditions), q)
		}
		for _, c := range parsed.Conditions {
			if !isIdentifier(c.Field) || !isIdentifier(c.Op) {
				t.Fatalf("bad condition %+v from %q", c, q)
			}
		}
		for _, rec := range []string{RecordSalesOrder, RecordCustomer, RecordInventoryItem, RecordItemFulfillment} {
			if m, err := compileQuery(rec, parsed); err == nil {
				m.match(fakeRecord{mod: epoch})
			}
		}
	})
}

func asQueryError(err error, target **QueryError) bool {
	qe, ok := err.(*QueryError)
	*target = qe
	return ok
}
