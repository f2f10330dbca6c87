package salesforce

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

type compositeAnswer struct {
	CompositeResponse []struct {
		Body           json.RawMessage   `json:"body"`
		HTTPHeaders    map[string]string `json:"httpHeaders"`
		HTTPStatusCode int               `json:"httpStatusCode"`
		ReferenceID    *string           `json:"referenceId"`
	} `json:"compositeResponse"`
}

func (b *testBundle) composite(t *testing.T, body string) compositeAnswer {
	t.Helper()
	resp, raw := b.do(t, http.MethodPost, "v60.0/composite", body)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var out compositeAnswer
	require.NoError(t, json.Unmarshal(raw, &out), string(raw))
	return out
}

func bodyErrorCode(t *testing.T, raw json.RawMessage) string {
	t.Helper()
	var errs []ErrorBody
	require.NoError(t, json.Unmarshal(raw, &errs), string(raw))
	require.NotEmpty(t, errs)
	return errs[0].ErrorCode
}

func TestCompositeReferencesAndCounting(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out := b.composite(t, `{"allOrNone":true,"compositeRequest":[
		{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"refAccount","body":{"Name":"Acme"}},
		{"method":"POST","url":"/services/data/v60.0/sobjects/Contact","referenceId":"refContact",
		 "body":{"LastName":"Lovelace","AccountId":"@{refAccount.id}","Description__x":null}},
		{"method":"GET","url":"/services/data/v60.0/sobjects/Contact/@{refContact.id}?fields=AccountId,LastName","referenceId":"readBack"},
		{"method":"GET","url":"/services/data/v60.0/query?q=SELECT+Id,Account.Name+FROM+Contact+WHERE+Id='@{refContact.id}'","referenceId":"q"},
		{"method":"PATCH","url":"/services/data/v60.0/sobjects/Contact/@{q.records[0].Id}","referenceId":"rename",
		 "body":{"FirstName":"@{q.records[0].Account.Name} person"}}]}`)
	require.Len(t, out.CompositeResponse, 5)
	res := out.CompositeResponse
	// an unknown field fails the subrequest: the composite request is all or none
	assert.Equal(t, 400, res[1].HTTPStatusCode)
	assert.Equal(t, CodeInvalidField, bodyErrorCode(t, res[1].Body))
	for _, i := range []int{0, 2, 3, 4} {
		assert.Equal(t, 400, res[i].HTTPStatusCode, i)
		assert.Equal(t, CodeProcessingHalted, bodyErrorCode(t, res[i].Body), i)
		assert.Contains(t, string(res[i].Body), msgRolledBackComposite)
	}
	assert.Empty(t, b.srv.Records(ObjectAccount), "rolled back")

	out = b.composite(t, strings.ReplaceAll(`{"allOrNone":true,"compositeRequest":[
		{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"refAccount","body":{"Name":"Acme"}},
		{"method":"POST","url":"/services/data/v60.0/sobjects/Contact","referenceId":"refContact",
		 "body":{"LastName":"Lovelace","AccountId":"@{refAccount.id}"}},
		{"method":"GET","url":"/services/data/v60.0/sobjects/Contact/@{refContact.id}?fields=AccountId,LastName","referenceId":"readBack"},
		{"method":"GET","url":"/services/data/v60.0/query?q=SELECT+Id,Account.Name+FROM+Contact+WHERE+Id='@{refContact.id}'","referenceId":"q"},
		{"method":"PATCH","url":"/services/data/v60.0/sobjects/Contact/@{q.records[0].Id}","referenceId":"rename",
		 "body":{"FirstName":"@{q.records[0].Account.Name} person"}}]}`, "\t", ""))
	res = out.CompositeResponse
	for i, code := range []int{201, 201, 200, 200, 204} {
		assert.Equal(t, code, res[i].HTTPStatusCode, "%d: %s", i, res[i].Body)
		assert.Equal(t, []string{"refAccount", "refContact", "readBack", "q", "rename"}[i], *res[i].ReferenceID)
	}
	assert.Equal(t, "null", string(res[4].Body), "204 has a null body")
	var created SaveResult
	require.NoError(t, json.Unmarshal(res[0].Body, &created))
	assert.Equal(t, map[string]string{"Location": "/services/data/v60.0/sobjects/Account/" + created.ID}, res[0].HTTPHeaders)
	contacts := b.srv.Contacts()
	require.Len(t, contacts, 1)
	accounts := b.srv.Records(ObjectAccount)
	require.Len(t, accounts, 1)
	assert.Equal(t, accounts[0].ID, contacts[0].Fields["AccountId"])
	assert.Equal(t, "Acme person", contacts[0].Fields["FirstName"])
	assert.Contains(t, string(res[2].Body), `"AccountId":"`+accounts[0].ID+`"`)
	// two composite requests of five subrequests each: two calls
	assert.EqualValues(t, 2, b.srv.APIUsage().Used, "a composite request is one call, whatever it holds")
}

func TestCompositeWithoutAllOrNoneSkipsDependents(t *testing.T) {
	t.Parallel()
	b := setup(t)
	out := b.composite(t, `{"compositeRequest":[
		{"method":"POST","url":"/services/data/v60.0/sobjects/Contact","referenceId":"bad","body":{"FirstName":"no last name"}},
		{"method":"GET","url":"/services/data/v60.0/sobjects/Contact/@{bad.id}","referenceId":"dependent"},
		{"method":"POST","url":"/services/data/v60.0/sobjects/Contact","referenceId":"good","body":{"LastName":"Fine"}},
		{"method":"GET","url":"/services/data/v60.0/sobjects/Contact/@{good.nope}","referenceId":"missingField"},
		{"method":"GET","url":"/services/data/v60.0/limits","referenceId":"notSupported"}]}`)
	res := out.CompositeResponse
	assert.Equal(t, 400, res[0].HTTPStatusCode)
	assert.Equal(t, CodeRequiredFieldMissing, bodyErrorCode(t, res[0].Body))
	assert.Equal(t, 400, res[1].HTTPStatusCode)
	assert.Equal(t, CodeProcessingHalted, bodyErrorCode(t, res[1].Body))
	assert.Contains(t, string(res[1].Body), "Invalid reference specified. No value for bad.id found in bad.")
	assert.Equal(t, 201, res[2].HTTPStatusCode)
	assert.Equal(t, CodeProcessingHalted, bodyErrorCode(t, res[3].Body))
	assert.Equal(t, 404, res[4].HTTPStatusCode, "Composite serves sObject, query and collection resources only")
	assert.Len(t, b.srv.Contacts(), 1)
}

func TestCompositeNullReferencesByVersion(t *testing.T) {
	t.Parallel()
	b := setup(t)
	id := b.createContact(t, `{"LastName":"Wong"}`)
	req := func(v string) compositeAnswer {
		resp, raw := b.do(t, http.MethodPost, v+"/composite", `{"compositeRequest":[
			{"method":"GET","url":"/services/data/v51.0/sobjects/Contact/`+id+`?fields=FirstName,LastName","referenceId":"refContact"},
			{"method":"POST","url":"/services/data/v51.0/sobjects/Contact","referenceId":"newContact",
			 "body":{"FirstName":"@{refContact.FirstName}","LastName":"@{refContact.LastName}"}}]}`)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
		var out compositeAnswer
		require.NoError(t, json.Unmarshal(raw, &out))
		return out
	}
	assert.Equal(t, 400, req("v51.0").CompositeResponse[1].HTTPStatusCode, "v51.0: a null field can't be referenced")
	assert.Equal(t, 201, req("v52.0").CompositeResponse[1].HTTPStatusCode, "v52.0: it resolves to null")
}

func TestCompositeLimitsAndMalformedRequests(t *testing.T) {
	t.Parallel()
	b := setup(t)
	sub := func(i int) string {
		return fmt.Sprintf(`{"method":"GET","url":"/services/data/v60.0/sobjects/Contact/describe","referenceId":"r%d"}`, i)
	}
	query := func(i int) string {
		return fmt.Sprintf(`{"method":"GET","url":"/services/data/v60.0/query?q=SELECT+Id+FROM+Contact","referenceId":"q%d"}`, i)
	}
	many := func(n int, f func(int) string) string {
		s := make([]string, n)
		for i := range s {
			s[i] = f(i)
		}
		return `{"compositeRequest":[` + strings.Join(s, ",") + `]}`
	}
	assert.Len(t, b.composite(t, many(25, sub)).CompositeResponse, 25)
	out := b.composite(t, many(26, sub))
	require.Len(t, out.CompositeResponse, 1)
	assert.Nil(t, out.CompositeResponse[0].ReferenceID)
	assert.Equal(t, 400, out.CompositeResponse[0].HTTPStatusCode)
	assert.JSONEq(t, `[{"errorCode":"LIMIT_EXCEEDED","message":"The request can’t contain more than 25 operations."}]`, string(out.CompositeResponse[0].Body))
	assert.Len(t, b.composite(t, many(5, query)).CompositeResponse, 5)
	out = b.composite(t, many(6, query))
	require.Len(t, out.CompositeResponse, 1)
	assert.Equal(t, CodeLimitExceeded, bodyErrorCode(t, out.CompositeResponse[0].Body))

	for _, body := range []string{
		``, `{`, `{"compositeRequest":[]}`, `{"compositeRequest":{}}`,
		`{"compositeRequest":[{"method":"get","url":"/services/data/v60.0/limits","referenceId":"a"}]}`,
		`{"compositeRequest":[{"method":"GET","url":"v60.0/limits","referenceId":"a"}]}`,
		`{"compositeRequest":[{"method":"GET","url":"/services/data/v60.0/limits","referenceId":"a[1]"}]}`,
		`{"compositeRequest":[{"method":"GET","url":"/services/data/v60.0/limits","referenceId":"a"},{"method":"GET","url":"/services/data/v60.0/limits","referenceId":"a"}]}`,
		`{"compositeRequest":[{"method":"GET","url":"/services/data/v60.0/limits","referenceId":"a","httpHeaders":{"Authorization":"x"}}]}`,
	} {
		resp, raw := b.do(t, http.MethodPost, "v60.0/composite", body)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		assert.NotEmpty(t, errorsOf(t, raw), body)
	}
	resp, raw := b.do(t, http.MethodGet, "v60.0/composite", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"batch":"/services/data/v60.0/composite/batch","sobjects":"/services/data/v60.0/composite/sobjects"}`, string(raw))
}

func TestCompositeCollectionsAllOrNone(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createContact(t, `{"LastName":"Taken","Email":"taken@example.com"}`)
	// outer true, inner false (the documented "case 4"): the collection answers its
	// partial success, and the whole request is rolled back
	out := b.composite(t, `{"allOrNone":true,"collateSubrequests":false,"compositeRequest":[
		{"method":"POST","url":"/services/data/v60.0/composite/sobjects","referenceId":"newContacts","body":{"allOrNone":false,"records":[
			{"attributes":{"type":"Contact"},"LastName":"New"},
			{"attributes":{"type":"Contact"},"LastName":"Dup","Email":"taken@example.com"}]}},
		{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"newAccount","body":{"Name":"Acme"}}]}`)
	res := out.CompositeResponse
	assert.Equal(t, 200, res[0].HTTPStatusCode)
	var items []CollectionResult
	require.NoError(t, json.Unmarshal(res[0].Body, &items))
	assert.True(t, items[0].Success)
	assert.Equal(t, CodeDuplicatesDetected, items[1].Errors[0].StatusCode)
	assert.Equal(t, CodeProcessingHalted, bodyErrorCode(t, res[1].Body))
	assert.Len(t, b.srv.Contacts(), 1)
	assert.Empty(t, b.srv.Records(ObjectAccount))

	// outer false, inner true: only the collection is rolled back
	out = b.composite(t, `{"allOrNone":false,"compositeRequest":[
		{"method":"POST","url":"/services/data/v60.0/composite/sobjects","referenceId":"newContacts","body":{"allOrNone":true,"records":[
			{"attributes":{"type":"Contact"},"LastName":"New"},
			{"attributes":{"type":"Contact"},"LastName":"Dup","Email":"taken@example.com"}]}},
		{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"newAccount","body":{"Name":"Acme"}}]}`)
	res = out.CompositeResponse
	require.NoError(t, json.Unmarshal(res[0].Body, &items))
	assert.Equal(t, CodeAllOrNoneRolledBack, items[0].Errors[0].StatusCode)
	assert.Equal(t, 201, res[1].HTTPStatusCode)
	assert.Len(t, b.srv.Contacts(), 1)
	assert.Len(t, b.srv.Records(ObjectAccount), 1)
}

func TestBatchCountsEachSubrequest(t *testing.T) {
	t.Parallel()
	cases := []struct {
		counting string
		calls    int64
	}{{"subrequests", 3}, {"request", 1}, {"both", 4}}
	for _, c := range cases {
		t.Run(c.counting, func(t *testing.T) {
			t.Parallel()
			b := setup(t, func(o *Options) { o.Limits.BatchCounting = c.counting })
			resp, raw := b.do(t, http.MethodPost, "v60.0/composite/batch", `{"batchRequests":[
				{"method":"POST","url":"v60.0/sobjects/Contact","richInput":{"LastName":"A"}},
				{"method":"GET","url":"v60.0/query?q=SELECT+COUNT()+FROM+Contact"},
				{"method":"GET","url":"/services/data/v60.0/limits"}]}`)
			require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
			var out struct {
				HasErrors bool          `json:"hasErrors"`
				Results   []BatchResult `json:"results"`
			}
			require.NoError(t, json.Unmarshal(raw, &out))
			assert.False(t, out.HasErrors)
			assert.Equal(t, 201, out.Results[0].StatusCode)
			assert.JSONEq(t, `{"totalSize":1,"done":true,"records":[]}`, string(out.Results[1].Result), "the first subrequest committed")
			assert.Equal(t, fmt.Sprintf("api-usage=%d/100000", c.calls), resp.Header.Get("Sforce-Limit-Info"))
			assert.Equal(t, c.calls, b.srv.APIUsage().Used)
		})
	}
}

func TestBatchHaltsAndRunsOutOfAllocation(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, raw := b.do(t, http.MethodPost, "v60.0/composite/batch", `{"haltOnError":true,"batchRequests":[
		{"method":"POST","url":"v60.0/sobjects/Contact","richInput":{"FirstName":"no last name"}},
		{"method":"POST","url":"v60.0/sobjects/Contact","richInput":{"LastName":"never"}}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	assert.JSONEq(t, `{"hasErrors":true,"results":[
		{"statusCode":400,"result":[{"message":"Required fields are missing: [LastName]","errorCode":"REQUIRED_FIELD_MISSING","fields":["LastName"]}]},
		{"statusCode":412,"result":[{"message":"Batch processing halted per request","errorCode":"BATCH_PROCESSING_HALTED"}]}]}`, string(raw))
	assert.Empty(t, b.srv.Contacts())

	b2 := setup(t, func(o *Options) { o.Limits.DailyLimit = 2 })
	resp, raw = b2.do(t, http.MethodPost, "v60.0/composite/batch", `{"batchRequests":[
		{"method":"GET","url":"v60.0/limits"},{"method":"GET","url":"v60.0/limits"},{"method":"GET","url":"v60.0/limits"}]}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(raw))
	var out struct {
		HasErrors bool          `json:"hasErrors"`
		Results   []BatchResult `json:"results"`
	}
	require.NoError(t, json.Unmarshal(raw, &out))
	assert.True(t, out.HasErrors)
	assert.Equal(t, []int{200, 200, 403}, []int{out.Results[0].StatusCode, out.Results[1].StatusCode, out.Results[2].StatusCode})
	assert.Equal(t, CodeRequestLimitExceeded, bodyErrorCode(t, out.Results[2].Result))
	assert.Equal(t, "api-usage=2/2", resp.Header.Get("Sforce-Limit-Info"))

	for _, body := range []string{
		`{"batchRequests":[{"method":"GET","url":"v33.0/limits"}]}`,
		`{"batchRequests":[{"method":"GET","url":"v61.0/limits"}]}`,
		`{"batchRequests":[{"method":"GET","url":"limits"}]}`,
		`{"batchRequests":[]}`,
	} {
		resp, raw = b.do(t, http.MethodPost, "v60.0/composite/batch", body)
		assert.Equal(t, http.StatusBadRequest, resp.StatusCode, body)
		assert.NotEmpty(t, errorsOf(t, raw))
	}
	many := strings.Repeat(`{"method":"GET","url":"v60.0/limits"},`, 26)
	resp, raw = b.do(t, http.MethodPost, "v60.0/composite/batch", `{"batchRequests":[`+strings.TrimSuffix(many, ",")+`]}`)
	requireError(t, resp, raw, http.StatusBadRequest, CodeLimitExceeded)
}
