package salesforce

import (
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/ledger"
)

func TestVersionsAndResources(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.APIVersions = "v58.0-v60.0" })
	for _, p := range []string{"/services/data", "/services/data/"} {
		resp, body := send(t, must(http.NewRequest(http.MethodGet, b.url+p, nil)))
		require.Equal(t, http.StatusOK, resp.StatusCode)
		assert.JSONEq(t, `[{"label":"Summer '23","url":"/services/data/v58.0","version":"58.0"},
			{"label":"Winter '24","url":"/services/data/v59.0","version":"59.0"},
			{"label":"Spring '24","url":"/services/data/v60.0","version":"60.0"}]`, string(body))
	}
	resp, body := b.do(t, http.MethodGet, "v60.0", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"sobjects":"/services/data/v60.0/sobjects","query":"/services/data/v60.0/query",
		"queryAll":"/services/data/v60.0/queryAll","composite":"/services/data/v60.0/composite",
		"jobs":"/services/data/v60.0/jobs","limits":"/services/data/v60.0/limits"}`, string(body))
	for _, v := range []string{"v57.0", "v61.0", "v60.1", "60.0", "vx", "v99.0"} {
		resp, body = b.do(t, http.MethodGet, v+"/sobjects/Contact", "")
		e := requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
		assert.Equal(t, "The requested resource does not exist", e.Message)
		assert.NotEmpty(t, resp.Header.Get("Sforce-Limit-Info"))
	}
	// retired versions are gone, not missing (REST API End-of-Life Policy)
	for _, v := range []string{"v7.0", "v20.0", "v30.0"} {
		resp, body = b.do(t, http.MethodGet, v+"/sobjects/Contact", "")
		e := requireError(t, resp, body, http.StatusGone, CodeGone)
		assert.Contains(t, e.Message, "retired")
		assert.NotEmpty(t, resp.Header.Get("Sforce-Limit-Info"))
	}
	resp, body = send(t, must(http.NewRequest(http.MethodGet, b.url+"/services/apexrest/x", nil)))
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
	assert.Equal(t, "Summer '11", releaseLabel(22))
	assert.Equal(t, "Summer '14", releaseLabel(31))
	assert.Equal(t, "Spring '26", releaseLabel(66))
}

func TestRouteStatuses(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, `{"LastName":"Lovelace"}`)
	cases := []struct {
		method, path string
		status       int
		code         string
	}{
		{"PUT", "v60.0/sobjects/Contact/" + id, 405, CodeMethodNotAllowed},
		{"POST", "v60.0/sobjects/Contact/" + id, 405, CodeMethodNotAllowed},
		{"DELETE", "v60.0/sobjects/Contact", 405, CodeMethodNotAllowed},
		{"PATCH", "v60.0/sobjects/Contact/Id", 405, CodeMethodNotAllowed},
		{"POST", "v60.0/query?q=SELECT+Id+FROM+Contact", 405, CodeMethodNotAllowed},
		{"GET", "v60.0/sobjects/Lead/" + id, 404, CodeNotFound},
		{"GET", "v60.0/sobjects/Contact/0015g0000000001AAA", 400, CodeMalformedID},
		{"GET", "v60.0/sobjects/Contact/0035g0000000001AAB", 400, CodeMalformedID},
		{"GET", "v60.0/sobjects/Contact/0035g0000000099AAA", 404, CodeNotFound},
		{"GET", "v60.0/sobjects/Contact/nope", 404, CodeNotFound},
		{"GET", "v60.0/sobjects/Contact/Email/a@b.com", 404, CodeNotFound},
		{"PATCH", "v60.0/sobjects/Contact/Email/a@b.com", 404, CodeNotFound},
		{"GET", "v60.0/nothing", 404, CodeNotFound},
		{"GET", "v60.0/sobjects/Contact/a/b/c", 404, CodeNotFound},
	}
	for _, c := range cases {
		resp, body := b.do(t, c.method, c.path, `{"LastName":"X"}`)
		requireError(t, resp, body, c.status, c.code)
		assert.Equal(t, contentTypeJSON, resp.Header.Get("Content-Type"))
	}
	resp, body := b.do(t, "PATCH", "v60.0/sobjects/Contact/Id", `{}`)
	assert.JSONEq(t, `[{"message":"HTTP Method 'PATCH' not allowed. Allowed are GET,HEAD,POST","errorCode":"METHOD_NOT_ALLOWED"}]`, string(body), resp.Status)
	resp, body = b.do(t, "GET", "v60.0/sobjects/Contact/0015g0000000001AAA", "")
	assert.JSONEq(t, `[{"message":"Contact ID: id value of incorrect type: 0015g0000000001AAA","errorCode":"MALFORMED_ID","fields":["Id"]}]`, string(body), resp.Status)
	resp, body = b.do(t, "GET", "v60.0/sobjects/Contact/nope", "")
	assert.JSONEq(t, `[{"message":"Provided external ID field does not exist or is not accessible: nope","errorCode":"NOT_FOUND"}]`, string(body), resp.Status)
}

func TestContactLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", `{"attributes":{"type":"Contact"},"firstname":"Ada","LastName":"Lovelace","Email":"Ada@Example.com","Phone":"+44 20 7946 0000","MailingStreet":"12 St James's Square","MailingCity":"London","MailingState":"","MailingPostalCode":"SW1Y 4JH","MailingCountry":"GB","Shopify_Customer_Id__c":"7001","Lifetime_Value__c":"1234.50","Order_Count__c":4,"Segments__c":" vip ; newsletter;VIP;","Last_Order_Date__c":"2025-11-27"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	m := decode(t, body)
	id := m["id"].(string)
	assert.Equal(t, map[string]any{"id": id, "success": true, "errors": []any{}}, m)
	assert.Len(t, id, 18)
	assert.True(t, strings.HasPrefix(id, "003"))
	assert.Equal(t, "api-usage=1/100000", resp.Header.Get("Sforce-Limit-Info"))

	resp, body = b.do(t, http.MethodGet, "v60.0/sobjects/Contact/"+id[:15], "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.True(t, strings.HasPrefix(string(body), `{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/`+id+`"},"Id":"`+id+`"`), string(body))
	c := decode(t, body)
	assert.Equal(t, "Ada Lovelace", c["Name"])
	assert.Equal(t, "Ada@Example.com", c["Email"])
	assert.Nil(t, c["MailingState"], "blank strings are stored as null")
	assert.Equal(t, 1234.5, c["Lifetime_Value__c"])
	assert.Equal(t, 4.0, c["Order_Count__c"])
	assert.Contains(t, string(body), `"Order_Count__c":4.0`)
	assert.Equal(t, "vip;newsletter", c["Segments__c"])
	assert.Equal(t, false, c["HasOptedOutOfEmail"])
	assert.Equal(t, "2025-11-28T06:00:00.000+0000", c["CreatedDate"])

	b.clock.Advance(time.Minute)
	resp, body = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/"+id, `{"Order_Count__c":5,"Email":null,"HasOptedOutOfEmail":"TRUE"}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	assert.Empty(t, body)
	_, body = b.do(t, http.MethodGet, "v60.0/sobjects/Contact/"+id+"?fields=Email,Order_Count__c,LastModifiedDate,CreatedDate,HasOptedOutOfEmail", "")
	assert.JSONEq(t, `{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/`+id+`"},"Email":null,"Order_Count__c":5.0,"LastModifiedDate":"2025-11-28T06:01:00.000+0000","CreatedDate":"2025-11-28T06:00:00.000+0000","HasOptedOutOfEmail":true}`, string(body))
	resp, body = b.do(t, http.MethodGet, "v60.0/sobjects/Contact/"+id+"?fields=Nope", "")
	requireError(t, resp, body, http.StatusBadRequest, CodeInvalidField)

	resp, _ = b.do(t, http.MethodDelete, "v60.0/sobjects/Contact/"+id, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, body = b.do(t, http.MethodGet, "v60.0/sobjects/Contact/"+id, "")
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
	resp, body = b.do(t, http.MethodDelete, "v60.0/sobjects/Contact/"+id, "")
	requireError(t, resp, body, http.StatusNotFound, CodeEntityIsDeleted)
	resp, body = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/"+id, `{"LastName":"X"}`)
	requireError(t, resp, body, http.StatusNotFound, CodeEntityIsDeleted)

	counts := b.srv.Ledger().Counts(ObjectContact)
	assert.EqualValues(t, 1, counts.Created)
	assert.EqualValues(t, 1, counts.Updated)
	assert.EqualValues(t, 1, counts.Deleted)
	assert.EqualValues(t, 1, counts.CreateAttemptsByExternalID["7001"])
	assert.EqualValues(t, 1, counts.CreateAttemptsByNaturalKey["ada@example.com"])
	assert.Empty(t, counts.RecordsByExternalID, "deleted records leave the per-key counts")
	effects := b.srv.Ledger().Effects(ObjectContact)
	require.Len(t, effects, 3)
	assert.JSONEq(t, `{"ltv":1234.5,"order_count":4,"segments":"vip;newsletter"}`, string(effects[0].Detail))
}

func TestAccountsAndReferences(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Account", `{"Name":"Acme","Website":"https://acme.example"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	acct := decode(t, body)["id"].(string)
	assert.True(t, strings.HasPrefix(acct, "001"))
	b.createContact(t, `{"LastName":"A","AccountId":"`+acct+`"}`)
	resp, body = b.do(t, http.MethodPost, "v60.0/sobjects/Contact", `{"LastName":"B","AccountId":"0015g00000000ZZAAA"}`)
	requireError(t, resp, body, http.StatusBadRequest, CodeMalformedID)
	resp, body = b.do(t, http.MethodPost, "v60.0/sobjects/Contact", `{"LastName":"B","AccountId":"`+NewID(PrefixAccount, 99)+`"}`)
	requireError(t, resp, body, http.StatusBadRequest, CodeInvalidCrossReferenceKey)
	resp, body = b.do(t, http.MethodPost, "v60.0/sobjects/Account", `{"Website":"x"}`)
	requireError(t, resp, body, http.StatusBadRequest, CodeRequiredFieldMissing)
	assert.EqualValues(t, 1, b.srv.Ledger().Counts(ObjectAccount).RecordsByNaturalKey["acme"])
}

func TestCreateValidation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		body, code, message string
		fields              []string
	}{
		{`{"FirstName":"Ada"}`, CodeRequiredFieldMissing, "Required fields are missing: [LastName]", []string{"LastName"}},
		{`{"LastName":null}`, CodeRequiredFieldMissing, "Required fields are missing: [LastName]", []string{"LastName"}},
		{`{"LastName":"A","Bogus__c":1}`, CodeInvalidField, "No such column 'Bogus__c' on sobject of type Contact", nil},
		{`{"LastName":"A","Email":"not-an-email"}`, CodeInvalidEmailAddress, "Email: invalid email address: not-an-email", []string{"Email"}},
		{`{"LastName":"A","Email":"a@b"}`, CodeInvalidEmailAddress, "Email: invalid email address: a@b", []string{"Email"}},
		{`{"LastName":"A","FirstName":"` + strings.Repeat("x", 41) + `"}`, CodeStringTooLong, "First Name: data value too large:", []string{"FirstName"}},
		{`{"LastName":"A","Order_Count__c":"many"}`, CodeJSONParserError, "Cannot deserialize instance of double from VALUE_STRING value many or request may be missing a required field at [line:1, column:", nil},
		{`{"LastName":"A","Order_Count__c":true}`, CodeJSONParserError, "Cannot deserialize instance of double from VALUE_TRUE", nil},
		{`{"LastName":"A","Lifetime_Value__c":1e15}`, CodeNumberOutsideValidRange, "Lifetime Value: value outside of valid range on numeric field: 1E+15", []string{"Lifetime_Value__c"}},
		{`{"LastName":"A","HasOptedOutOfEmail":"yes"}`, CodeInvalidTypeOnFieldInRecord, "Email Opt Out: value not of required type: yes", []string{"HasOptedOutOfEmail"}},
		{`{"LastName":"A","Last_Order_Date__c":"28/11/2025"}`, CodeJSONParserError, "Cannot deserialize instance of date from VALUE_STRING", nil},
		{`{"LastName":{"a":1}}`, CodeJSONParserError, "Cannot deserialize instance of string from START_OBJECT", nil},
		{`{"LastName":"A","Segments__c":["vip"]}`, CodeJSONParserError, "from START_ARRAY", nil},
		{`{"LastName":"A","CreatedDate":"2025-01-01T00:00:00.000+0000"}`, CodeInvalidFieldForInsertUpdate, "Unable to create/update fields: CreatedDate.", []string{"CreatedDate"}},
		{`{"LastName":"A","Id":"0035g0000000001AAA"}`, CodeInvalidFieldForInsertUpdate, "cannot specify Id in an insert call", []string{"Id"}},
		{`{"LastName":"A","LastName":"B"}`, CodeJSONParserError, "Duplicate field 'LastName'", nil},
		{``, CodeJSONParserError, "The HTTP entity body is required, but this request has no entity body.", nil},
		{`[{"LastName":"A"}]`, CodeJSONParserError, "Cannot deserialize instance of Contact from START_ARRAY", nil},
		{`{"LastName":"A"`, CodeJSONParserError, "Unexpected end-of-input", nil},
		{`{"LastName":"A",}`, CodeJSONParserError, "Unexpected character", nil},
		{`{"LastName":"A"} x`, CodeJSONParserError, "Unexpected character", nil},
	}
	for _, c := range cases {
		t.Run(c.body, func(t *testing.T) {
			t.Parallel()
			resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", c.body, "Content-Type", "application/json")
			e := requireError(t, resp, body, http.StatusBadRequest, c.code)
			assert.Contains(t, e.Message, c.message)
			assert.Equal(t, c.fields, e.Fields)
		})
	}
	// several field errors come back together
	resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", `{"Email":"bad","FirstName":"`+strings.Repeat("x", 41)+`"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	var codes []string
	for _, e := range errorsOf(t, body) {
		codes = append(codes, e.ErrorCode)
	}
	assert.Equal(t, []string{CodeRequiredFieldMissing, CodeInvalidEmailAddress, CodeStringTooLong}, codes)
	assert.Zero(t, b.srv.Ledger().Counts(ObjectContact).Created)
}

func TestUpsert(t *testing.T) {
	t.Parallel()
	b := setup(t)
	path := "sobjects/Contact/Shopify_Customer_Id__c/9001"

	resp, body := b.do(t, http.MethodPatch, "v60.0/"+path, `{"LastName":"Hopper","Email":"grace@example.com"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	m := decode(t, body)
	id := m["id"].(string)
	assert.Equal(t, map[string]any{"id": id, "success": true, "errors": []any{}, "created": true}, m)

	resp, body = b.do(t, http.MethodPatch, "v60.0/"+path, `{"Order_Count__c":2}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"id":"`+id+`","success":true,"errors":[],"created":false}`, string(body))

	resp, body = b.do(t, http.MethodPatch, "v45.0/"+path, `{"Order_Count__c":3}`)
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	assert.Empty(t, body)

	resp, body = b.do(t, http.MethodPatch, "v45.0/sobjects/Contact/Shopify_Customer_Id__c/9002", `{"LastName":"Old"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode)
	assert.NotContains(t, decode(t, body), "created", "no created key before v46.0")

	// external id values are matched case-insensitively and the field name too
	resp, _ = b.do(t, http.MethodPatch, "v60.0/sobjects/contact/shopify_customer_id__c/9001", `{"Order_Count__c":4}`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	resp, body = b.do(t, http.MethodGet, "v60.0/"+path, "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 4.0, decode(t, body)["Order_Count__c"])

	resp, body = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/Nope__c/1", `{"LastName":"X"}`)
	e := requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
	assert.Equal(t, "The requested resource does not exist", e.Message)

	resp, body = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/Shopify_Customer_Id__c/9003?updateOnly=true", `{"LastName":"X"}`)
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)

	resp, body = b.do(t, http.MethodPatch, "v60.0/"+path, `{"Shopify_Customer_Id__c":"1234"}`)
	requireError(t, resp, body, http.StatusBadRequest, CodeInvalidField)
	resp, _ = b.do(t, http.MethodPatch, "v60.0/"+path, `{"Shopify_Customer_Id__c":"9001","Phone":"1"}`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)

	// upsert by Id updates, and never creates
	resp, _ = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/Id/"+id, `{"Phone":"2"}`)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, body = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/Id/"+NewID(PrefixContact, 77), `{"LastName":"X"}`)
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)

	counts := b.srv.Ledger().Counts(ObjectContact)
	assert.EqualValues(t, 2, counts.Created)
	assert.EqualValues(t, 1, counts.RecordsByExternalID["9001"])
}

func TestUpsertMultipleMatches(t *testing.T) {
	t.Parallel()
	f := false
	b := setup(t, func(o *Options) { o.Limits.UniqueExternalIDs = &f; o.Limits.DuplicateRule = "off" })
	a := b.createContact(t, `{"LastName":"A","Shopify_Customer_Id__c":"55"}`)
	c := b.createContact(t, `{"LastName":"B","Shopify_Customer_Id__c":"55"}`)
	for _, method := range []string{http.MethodPatch, http.MethodGet, http.MethodDelete} {
		resp, body := b.do(t, method, "v60.0/sobjects/Contact/Shopify_Customer_Id__c/55", `{"Phone":"1"}`)
		require.Equal(t, http.StatusMultipleChoices, resp.StatusCode, method)
		assert.JSONEq(t, `["/services/data/v60.0/sobjects/Contact/`+a+`","/services/data/v60.0/sobjects/Contact/`+c+`"]`, string(body))
	}
	assert.EqualValues(t, 0, b.srv.Ledger().Counts(ObjectContact).Updated, "nothing changes on 300")
	assert.EqualValues(t, 2, b.srv.Ledger().Counts(ObjectContact).RecordsByExternalID["55"], "the ledger shows the duplicate")
}

func TestDeleteByExternalID(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createContact(t, `{"LastName":"A","Shopify_Customer_Id__c":"66"}`)
	resp, _ := b.do(t, http.MethodDelete, "v60.0/sobjects/Contact/Shopify_Customer_Id__c/66", "")
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)
	resp, body := b.do(t, http.MethodDelete, "v60.0/sobjects/Contact/Shopify_Customer_Id__c/66", "")
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
}

func TestDuplicateValue(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.createContact(t, `{"LastName":"A","Shopify_Customer_Id__c":"77"}`)
	resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Contact", `{"LastName":"B","Shopify_Customer_Id__c":"77"}`, "Sforce-Duplicate-Rule-Header", "allowSave=true")
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `[{"message":"duplicate value found: Shopify_Customer_Id__c duplicates value on record with id: `+first+`","errorCode":"DUPLICATE_VALUE","fields":[]}]`, string(body), "the header cannot bypass a unique field")
	second := b.createContact(t, `{"LastName":"B","Shopify_Customer_Id__c":"78"}`)
	resp, body = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/"+second, `{"Shopify_Customer_Id__c":"77"}`)
	requireError(t, resp, body, http.StatusBadRequest, CodeDuplicateValue)

	rejected := b.srv.Ledger().Effects(ObjectContact)
	var reasons []string
	for _, e := range rejected {
		if e.Action == ledger.Rejected {
			reasons = append(reasons, e.Reason)
			assert.Equal(t, "77", e.ExternalID)
		}
	}
	assert.Equal(t, []string{CodeDuplicateValue, CodeDuplicateValue}, reasons)
	assert.EqualValues(t, 2, b.srv.Ledger().Counts(ObjectContact).CreateAttemptsByExternalID["77"])
}

func TestDuplicateRule(t *testing.T) {
	t.Parallel()
	b := setup(t)
	first := b.createContact(t, `{"LastName":"Lovelace","Email":"ada@example.com"}`)
	resp, body := b.do(t, http.MethodPost, "v54.0/sobjects/Contact", `{"LastName":"Byron","Email":"ADA@example.com"}`)
	require.Equal(t, http.StatusBadRequest, resp.StatusCode)
	assert.JSONEq(t, `[{"duplicateResut":{"allowSave":true,"duplicateRule":"Standard_Contact_Duplicate_Rule","duplicateRuleEntityType":"Contact",
		"errorMessage":"You're creating a duplicate record. We recommend you use an existing record instead.",
		"matchResults":[{"entityType":"Contact","errors":[],"matchEngine":"FuzzyMatchEngine",
		"matchRecords":[{"additionalInformation":[],"fieldDiffs":[],"matchConfidence":100.0,
		"record":{"attributes":{"type":"Contact","url":"/services/data/v54.0/sobjects/Contact/`+first+`"},"Id":"`+first+`"}}],
		"rule":"Standard_Contact_Match_Rule_v1_1","size":1,"success":true}]},
		"errorCode":"DUPLICATES_DETECTED",
		"message":"You're creating a duplicate record. We recommend you use an existing record instead."}]`, string(body))
	assert.Contains(t, string(body), `"matchConfidence":100.0`)

	// upsert inserts are checked too
	resp, _ = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/Shopify_Customer_Id__c/1", `{"LastName":"Byron","Email":"ada@example.com"}`)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	// and updates that change the email to a taken one
	other := b.createContact(t, `{"LastName":"Other","Email":"other@example.com"}`)
	resp, _ = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/"+other, `{"Email":"ada@EXAMPLE.com"}`)
	assert.Equal(t, http.StatusBadRequest, resp.StatusCode)
	// an update that keeps its own email is not a duplicate of itself
	resp, _ = b.do(t, http.MethodPatch, "v60.0/sobjects/Contact/"+first, `{"Email":"Ada@example.com"}`)
	assert.Equal(t, http.StatusNoContent, resp.StatusCode)

	resp, body = b.do(t, http.MethodPost, "v60.0/sobjects/Contact", `{"LastName":"Byron","Email":"ada@example.com"}`, "Sforce-Duplicate-Rule-Header", "allowSave=true, includeRecordDetails=true")
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))

	counts := b.srv.Ledger().Counts(ObjectContact)
	assert.EqualValues(t, 2, counts.RecordsByNaturalKey["ada@example.com"])
	assert.EqualValues(t, 4, counts.CreateAttemptsByNaturalKey["ada@example.com"])
	assert.EqualValues(t, 3, counts.Rejected)
	assert.EqualValues(t, 3, b.srv.LimitStats().DuplicatesDetected)
	for _, e := range b.srv.Ledger().Effects(ObjectContact) {
		if e.Action == ledger.Rejected {
			assert.Equal(t, CodeDuplicatesDetected, e.Reason)
		}
	}

	require.NoError(t, b.srv.SetLimits(func() Limits { l := b.srv.Limits(); l.DuplicateRule = "off"; return l }()))
	b.createContact(t, `{"LastName":"Third","Email":"ada@example.com"}`)
}

func TestDescribe(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.ExternalIDFields = "Shopify_Customer_Id__c,Account.Shopify_Company_Id__c" })
	resp, body := b.do(t, http.MethodGet, "v60.0/sobjects/Contact/describe", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	var d struct {
		Name   string          `json:"name"`
		Fields []describeField `json:"fields"`
	}
	require.NoError(t, json.Unmarshal(body, &d))
	assert.Equal(t, "Contact", d.Name)
	found := false
	for _, f := range d.Fields {
		if f.Name == "Shopify_Customer_Id__c" {
			found = f.ExternalID && f.Unique
		}
	}
	assert.True(t, found)
	resp, body = b.do(t, http.MethodPatch, "v60.0/sobjects/Account/Shopify_Company_Id__c/c1", `{"Name":"Acme"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	assert.EqualValues(t, 1, b.srv.Ledger().Counts(ObjectAccount).RecordsByExternalID["c1"])
	resp, _ = b.do(t, http.MethodGet, "v60.0/sobjects", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	resp, _ = b.do(t, http.MethodGet, "v60.0/sobjects/Account", "")
	assert.Equal(t, http.StatusOK, resp.StatusCode)
}
