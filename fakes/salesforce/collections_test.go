package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/ledger"
)

func results(t *testing.T, body []byte) []CollectionResult {
	t.Helper()
	var out []CollectionResult
	require.NoError(t, json.Unmarshal(body, &out), string(body))
	return out
}

func contactRecords(n int, extra func(i int) string) string {
	recs := make([]string, n)
	for i := range recs {
		x := ""
		if extra != nil {
			x = extra(i)
		}
		recs[i] = fmt.Sprintf(`{"attributes":{"type":"Contact"},"LastName":"L%d"%s}`, i, x)
	}
	return strings.Join(recs, ",")
}

func TestCollectionCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.do(t, http.MethodPost, "v60.0/composite/sobjects", `{"allOrNone":false,"records":[
		{"attributes":{"type":"Account"},"Name":"Acme"},
		{"attributes":{"type":"Contact"},"FirstName":"No last name"},
		{"attributes":{"type":"Contact"},"LastName":"Lovelace","Email":"ada@example.com"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "api-usage=1/100000", resp.Header.Get("Sforce-Limit-Info"), "one call for the request")
	out := results(t, body)
	require.Len(t, out, 3)
	assert.True(t, out[0].Success)
	assert.True(t, strings.HasPrefix(out[0].ID, PrefixAccount))
	assert.False(t, out[1].Success)
	assert.Empty(t, out[1].ID, "a failed create has no id")
	assert.Equal(t, []CollectionError{{StatusCode: CodeRequiredFieldMissing, Message: "Required fields are missing: [LastName]", Fields: []string{"LastName"}}}, out[1].Errors)
	assert.True(t, out[2].Success)
	assert.JSONEq(t, `{"id":"`+out[2].ID+`","success":true,"errors":[]}`, mustJSON(t, out[2]))
	// the raw shape: statusCode, not errorCode, and an empty errors array on success
	assert.Contains(t, string(body), `"errors":[{"statusCode":"REQUIRED_FIELD_MISSING"`)
	assert.Equal(t, 1, len(b.srv.Contacts()))
}

func mustJSON(t *testing.T, v any) string {
	t.Helper()
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func TestCollectionAllOrNoneRollsBack(t *testing.T) {
	t.Parallel()
	b := setup(t)
	existing := b.createContact(t, `{"LastName":"Keep","Email":"keep@example.com"}`)
	resp, body := b.do(t, http.MethodPost, "v60.0/composite/sobjects", `{"allOrNone":true,"records":[
		{"attributes":{"type":"Contact"},"LastName":"One","Email":"one@example.com","Shopify_Customer_Id__c":"1"},
		{"attributes":{"type":"Contact"},"LastName":"Dup","Email":"KEEP@example.com"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	out := results(t, body)
	require.Len(t, out, 2)
	assert.Equal(t, CollectionResult{Errors: []CollectionError{{StatusCode: CodeAllOrNoneRolledBack, Message: msgRolledBack, Fields: []string{}}}}, out[0])
	assert.Equal(t, CodeDuplicatesDetected, out[1].Errors[0].StatusCode)
	contacts := b.srv.Contacts()
	require.Len(t, contacts, 1, "nothing of the request was kept")
	assert.Equal(t, existing, contacts[0].ID)
	c := b.srv.Ledger().Counts(ObjectContact)
	assert.EqualValues(t, 1, c.Created)
	assert.EqualValues(t, 2, c.Rejected)
	assert.Empty(t, c.RecordsByExternalID, "the rolled-back create is not a record")
	assert.EqualValues(t, 1, c.CreateAttemptsByExternalID["1"], "but it was an attempt")
	var reasons []string
	for _, e := range b.srv.Ledger().Effects(ObjectContact) {
		if e.Action == ledger.Rejected {
			reasons = append(reasons, e.Reason)
		}
	}
	assert.ElementsMatch(t, []string{CodeAllOrNoneRolledBack, CodeDuplicatesDetected}, reasons)

	// the id sequence moves on: a rolled-back id is never handed out again
	again := b.createContact(t, `{"LastName":"After"}`)
	assert.NotEqual(t, NewID(PrefixContact, 2), again)
	// the indexes were rolled back too: the email is free again
	b.createContact(t, `{"LastName":"One","Email":"one@example.com"}`)
}

func TestCollectionRecordLimit(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.do(t, http.MethodPost, "v60.0/composite/sobjects", `{"records":[`+contactRecords(201, nil)+`]}`)
	e := requireError(t, resp, body, http.StatusBadRequest, CodeExceededIDLimit)
	assert.Contains(t, e.Message, "200")
	assert.Empty(t, b.srv.Contacts())
	resp, body = b.do(t, http.MethodPost, "v60.0/composite/sobjects", `{"records":[`+contactRecords(200, nil)+`]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Len(t, results(t, body), 200)
	assert.Equal(t, "api-usage=2/100000", resp.Header.Get("Sforce-Limit-Info"), "200 records, one call")
}

func TestCollectionMalformedRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		method, path, body string
		status             int
		code               string
	}{
		{"POST", "v60.0/composite/sobjects", ``, 400, CodeJSONParserError},
		{"POST", "v60.0/composite/sobjects", `{"records":[`, 400, CodeJSONParserError},
		{"POST", "v60.0/composite/sobjects", `{"records":{}}`, 400, CodeJSONParserError},
		{"POST", "v60.0/composite/sobjects", `{"records":[1]}`, 400, CodeJSONParserError},
		{"POST", "v60.0/composite/sobjects", `{"records":[{"LastName":"x"}]}`, 400, CodeInvalidType},
		{"POST", "v60.0/composite/sobjects", `{"records":[{"attributes":{"type":"Lead"},"LastName":"x"}]}`, 400, CodeInvalidType},
		{"POST", "v60.0/composite/sobjects", `{"records":[{"attributes":{"type":"Contact"},"Nope__c":"x"}]}`, 400, CodeInvalidField},
		{"PUT", "v60.0/composite/sobjects", `{}`, 405, CodeMethodNotAllowed},
		{"POST", "v41.0/composite/sobjects", `{"records":[]}`, 404, CodeNotFound},
		{"PATCH", "v45.0/composite/sobjects/Contact/Shopify_Customer_Id__c", `{"records":[]}`, 404, CodeNotFound},
		{"PATCH", "v60.0/composite/sobjects/Contact/Email__c", `{"records":[]}`, 404, CodeNotFound},
		{"PATCH", "v60.0/composite/sobjects/Contact/Shopify_Customer_Id__c", `{"records":[{"attributes":{"type":"Account"},"Name":"x"}]}`, 400, CodeInvalidType},
		{"DELETE", "v60.0/composite/sobjects", ``, 400, CodeMissingArgument},
		{"GET", "v60.0/composite/sobjects/Contact?ids=003", ``, 400, CodeMissingArgument},
		{"GET", "v60.0/composite/sobjects/Contact?ids=003&fields=Nope", ``, 400, CodeInvalidField},
	}
	for _, c := range cases {
		resp, body := b.do(t, c.method, c.path, c.body)
		requireError(t, resp, body, c.status, c.code)
	}
}

func TestCollectionUpdateAndDelete(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.createContact(t, `{"LastName":"A"}`)
	c := b.createContact(t, `{"LastName":"C"}`)
	resp, body := b.do(t, http.MethodPatch, "v60.0/composite/sobjects", `{"records":[
		{"attributes":{"type":"Contact"},"id":"`+a+`","FirstName":"Ada"},
		{"attributes":{"type":"Contact"},"FirstName":"No id"},
		{"attributes":{"type":"Contact"},"Id":"0035g0000000099AAA","FirstName":"Nobody"},
		{"attributes":{"type":"Contact"},"Id":"`+c+`","LastName":null}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	out := results(t, body)
	assert.Equal(t, succeeded(a, nil), out[0])
	assert.Equal(t, CodeMissingArgument, out[1].Errors[0].StatusCode)
	assert.Equal(t, failed("0035g0000000099AAA", CodeInvalidCrossReferenceKey, "invalid cross reference id"), out[2])
	assert.Equal(t, c, out[3].ID, "a failed update names its record")
	assert.Equal(t, CodeRequiredFieldMissing, out[3].Errors[0].StatusCode)
	assert.Equal(t, "Ada", b.srv.Contact(a).Fields["FirstName"])

	resp, body = b.do(t, http.MethodDelete, "v60.0/composite/sobjects?ids="+a+",nope,"+c+"&allOrNone=true", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	out = results(t, body)
	assert.Equal(t, []CollectionResult{
		failed(a, CodeAllOrNoneRolledBack, msgRolledBack),
		failed("nope", CodeMalformedID, "malformed id nope"),
		failed(c, CodeAllOrNoneRolledBack, msgRolledBack),
	}, out)
	assert.Len(t, b.srv.Contacts(), 2)
	resp, body = b.do(t, http.MethodDelete, "v60.0/composite/sobjects?ids="+a+","+c, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, []CollectionResult{succeeded(a, nil), succeeded(c, nil)}, results(t, body))
	assert.Empty(t, b.srv.Contacts())
	resp, body = b.do(t, http.MethodDelete, "v60.0/composite/sobjects?ids="+a, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, []CollectionResult{failed(a, CodeEntityIsDeleted, "entity is deleted")}, results(t, body))
}

func TestCollectionRetrieve(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.createContact(t, `{"LastName":"Lovelace","Email":"ada@example.com"}`)
	resp, body := b.do(t, http.MethodGet, "v60.0/composite/sobjects/Contact?ids="+a+",0035g0000000099AAA,001xx&fields=email,LastName", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `[{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/`+a+`"},
		"Email":"ada@example.com","LastName":"Lovelace"},null,null]`, string(body))
	resp, body2 := b.do(t, http.MethodPost, "v60.0/composite/sobjects/Contact", `{"ids":["`+a+`","0035g0000000099AAA","001xx"],"fields":["email","LastName"]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body2))
	assert.JSONEq(t, string(body), string(body2), "GET and POST answer alike")
}

func TestCollectionUpsertByExternalID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	existing := b.createContact(t, `{"LastName":"Old","Email":"old@example.com","Shopify_Customer_Id__c":"7001"}`)
	b.createContact(t, `{"LastName":"Taken","Email":"taken@example.com"}`)
	resp, body := b.do(t, http.MethodPatch, "v60.0/composite/sobjects/Contact/Shopify_Customer_Id__c", `{"allOrNone":false,"records":[
		{"attributes":{"type":"Contact"},"Shopify_Customer_Id__c":"7001","LastName":"Updated"},
		{"attributes":{"type":"Contact"},"Shopify_Customer_Id__c":"7002","LastName":"New","Email":"new@example.com"},
		{"attributes":{"type":"Contact"},"LastName":"No key"},
		{"attributes":{"type":"Contact"},"Shopify_Customer_Id__c":"7003","LastName":"Twice"},
		{"attributes":{"type":"Contact"},"Shopify_Customer_Id__c":"7003","LastName":"Twice again"},
		{"attributes":{"type":"Contact"},"Shopify_Customer_Id__c":"7004","LastName":"Dup","Email":"TAKEN@example.com"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "api-usage=3/100000", resp.Header.Get("Sforce-Limit-Info"))
	out := results(t, body)
	require.Len(t, out, 6)
	assert.Equal(t, succeeded(existing, boolPtr(false)), out[0])
	assert.True(t, out[1].Success)
	assert.Equal(t, boolPtr(true), out[1].Created)
	assert.JSONEq(t, `{"id":"`+out[1].ID+`","success":true,"errors":[],"created":true}`, mustJSON(t, out[1]))
	assert.Equal(t, CodeMissingArgument, out[2].Errors[0].StatusCode)
	for _, r := range out[3:5] {
		assert.Equal(t, []CollectionError{{StatusCode: CodeDuplicateValue, Message: "Duplicate external id specified: 7003", Fields: []string{}}}, r.Errors)
	}
	assert.Equal(t, CodeDuplicatesDetected, out[5].Errors[0].StatusCode)
	assert.Equal(t, "Updated", b.srv.Contact(existing).Fields["LastName"])
	assert.Equal(t, map[string]int{"7001": 1, "7002": 1}, b.srv.ContactCounts().ByExternalID)

	// one record, twice: the same answer shape each time, never a second contact
	for i := 0; i < 2; i++ {
		resp, body = b.do(t, http.MethodPatch, "v60.0/composite/sobjects/Contact/Shopify_Customer_Id__c",
			`{"records":[{"attributes":{"type":"Contact"},"Shopify_Customer_Id__c":"8000","LastName":"Once"}]}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.Equal(t, boolPtr(i == 0), results(t, body)[0].Created)
	}
	assert.Equal(t, 1, b.srv.ContactCounts().ByExternalID["8000"])
}

func TestCollectionUpsertByID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	a := b.createContact(t, `{"LastName":"A"}`)
	resp, body := b.do(t, http.MethodPatch, "v60.0/composite/sobjects/Contact/Id", `{"records":[
		{"attributes":{"type":"Contact"},"Id":"`+a+`","FirstName":"Ada"},
		{"attributes":{"type":"Contact"},"LastName":"Fresh"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	out := results(t, body)
	assert.Equal(t, succeeded(a, boolPtr(false)), out[0])
	assert.True(t, out[1].Success)
	assert.Equal(t, boolPtr(true), out[1].Created)
	assert.Len(t, b.srv.Contacts(), 2)
}
