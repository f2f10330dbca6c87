package salesforce

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func query(t *testing.T, b *testBundle, version, soql string, headers ...string) (*http.Response, []byte) {
	t.Helper()
	return b.do(t, http.MethodGet, version+"/query?q="+url.QueryEscape(soql), "", headers...)
}

func TestQueryOverHTTP(t *testing.T) {
	t.Parallel()
	b := setup(t)
	ada := b.createContact(t, `{"FirstName":"Ada","LastName":"Lovelace","Email":"ada@example.com","Shopify_Customer_Id__c":"1","Order_Count__c":3}`)
	grace := b.createContact(t, `{"FirstName":"Grace","LastName":"Hopper","Email":"grace@example.com","Shopify_Customer_Id__c":"2"}`)
	cases := []struct {
		soql string
		want string
	}{
		{"SELECT Id, Email, FirstName FROM Contact WHERE Email = 'ADA@example.com' AND Shopify_Customer_Id__c = '1' LIMIT 1",
			`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/` + ada + `"},"Id":"` + ada + `","Email":"ada@example.com","FirstName":"Ada"}]}`},
		{"select id from contact where email in ('grace@example.com','nobody@example.com')",
			`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/` + grace + `"},"Id":"` + grace + `"}]}`},
		{"SELECT Id FROM Contact WHERE Id = '" + grace[:15] + "'",
			`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/` + grace + `"},"Id":"` + grace + `"}]}`},
		{"SELECT Order_Count__c FROM Contact ORDER BY Order_Count__c DESC NULLS LAST",
			`{"totalSize":2,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/` + ada + `"},"Order_Count__c":3.0},{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/` + grace + `"},"Order_Count__c":null}]}`},
		{"SELECT COUNT() FROM Contact WHERE Email LIKE '%@example.com'", `{"totalSize":2,"done":true,"records":[]}`},
		{"SELECT Id FROM Contact WHERE Email = 'nobody@example.com'", `{"totalSize":0,"done":true,"records":[]}`},
		{"SELECT Id FROM Contact WHERE CreatedDate = TODAY AND Name = 'Ada Lovelace'",
			`{"totalSize":1,"done":true,"records":[{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/` + ada + `"},"Id":"` + ada + `"}]}`},
		{"SELECT Id FROM Account", `{"totalSize":0,"done":true,"records":[]}`},
	}
	for _, c := range cases {
		resp, body := query(t, b, "v60.0", c.soql)
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		assert.JSONEq(t, c.want, string(body), c.soql)
		assert.NotEmpty(t, resp.Header.Get("Sforce-Limit-Info"))
	}
	// "+" for spaces works as on Salesforce
	resp, body := b.do(t, http.MethodGet, "v60.0/query?q=SELECT+COUNT()+FROM+Contact", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.JSONEq(t, `{"totalSize":2,"done":true,"records":[]}`, string(body))
}

func TestQueryErrors(t *testing.T) {
	t.Parallel()
	b := setup(t)
	cases := []struct {
		soql, code, contains string
	}{
		{"SELECT Id FRM Contact", CodeMalformedQuery, "\nSELECT Id FRM Contact\n          ^\nERROR at Row:1:Column:11\nunexpected token: 'FRM'"},
		{"SELECT Id FROM Contact WHERE Email = 'a' OR Email = 'b' AND Id = 'c'", CodeMalformedQuery, "unexpected token: 'AND'"},
		{"SELECT Id FROM Contact WHERE Email = 'unterminated", CodeMalformedQuery, "mismatched character"},
		{"DELETE FROM Contact", CodeMalformedQuery, "unexpected token: 'DELETE'"},
		{"SELECT Nope FROM Contact", CodeInvalidField, "No such column 'Nope' on entity 'Contact'"},
		{"SELECT Id FROM Lead", "INVALID_TYPE", "sObject type 'Lead' is not supported"},
		{"SELECT Id FROM Contact WHERE Order_Count__c = '1'", "INVALID_QUERY_FILTER_OPERATOR", "must be of type double"},
		{"SELECT Id FROM Contact OFFSET 2001", CodeNumberOutsideValidRange, "Maximum SOQL offset allowed is 2000"},
	}
	for _, c := range cases {
		resp, body := query(t, b, "v60.0", c.soql)
		e := requireError(t, resp, body, http.StatusBadRequest, c.code)
		assert.Contains(t, e.Message, c.contains)
		assert.Nil(t, e.Fields)
	}
	resp, body := b.do(t, http.MethodGet, "v60.0/query", "")
	e := requireError(t, resp, body, http.StatusBadRequest, CodeMalformedQuery)
	assert.Equal(t, "A query string has to be specified", e.Message)
	for _, loc := range []string{"nope", "01g5g0000000001AAA-x", "01g5g0000000001AAA-200"} {
		resp, body = b.do(t, http.MethodGet, "v60.0/query/"+loc, "")
		requireError(t, resp, body, http.StatusBadRequest, CodeInvalidQueryLocator)
	}
}

func TestQueryBatches(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.QueryBatchSize = 200; o.Limits.DuplicateRule = "off" })
	for i := 0; i < 450; i++ {
		b.createContact(t, fmt.Sprintf(`{"LastName":"C%03d","Email":"c%03d@example.com"}`, i, i))
	}
	var got []string
	resp, body := query(t, b, "v60.0", "SELECT LastName FROM Contact ORDER BY LastName")
	next := ""
	for page := 0; ; page++ {
		require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
		var res struct {
			TotalSize      int    `json:"totalSize"`
			Done           bool   `json:"done"`
			NextRecordsURL string `json:"nextRecordsUrl"`
			Records        []struct {
				LastName string
			} `json:"records"`
		}
		require.NoError(t, jsonUnmarshal(body, &res))
		assert.Equal(t, 450, res.TotalSize)
		for _, r := range res.Records {
			got = append(got, r.LastName)
		}
		if page == 0 {
			// a write after the query does not change its cursor
			b.createContact(t, `{"LastName":"AAA"}`)
		}
		if res.Done {
			assert.Empty(t, res.NextRecordsURL)
			break
		}
		assert.Len(t, res.Records, 200)
		require.True(t, strings.HasPrefix(res.NextRecordsURL, "/services/data/v60.0/query/01g"), res.NextRecordsURL)
		next = res.NextRecordsURL
		resp, body = send(t, withToken(b, must(http.NewRequest(http.MethodGet, b.url+next, nil))))
	}
	require.Len(t, got, 450)
	assert.Equal(t, "C000", got[0])
	assert.Equal(t, "C449", got[449])
	assert.Equal(t, 1, b.srv.LimitStats().OpenQueryCursors)

	// Sforce-Query-Options lowers the batch size; outside 200-2000 it is ignored
	resp, body = query(t, b, "v60.0", "SELECT Id FROM Contact", "Sforce-Query-Options", "batchSize=300")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, 200, strings.Count(string(body), `"attributes"`), "never above the knob")

	// cursors are forgotten after 15 minutes idle
	b.clock.Advance(15 * time.Minute)
	b.token = b.login(t)
	resp, body = send(t, withToken(b, must(http.NewRequest(http.MethodGet, b.url+next, nil))))
	requireError(t, resp, body, http.StatusBadRequest, CodeInvalidQueryLocator)
}

func withToken(b *testBundle, r *http.Request) *http.Request {
	r.Header.Set("Authorization", "Bearer "+b.token)
	return r
}

func TestQueryRelationshipFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	resp, body := b.do(t, http.MethodPost, "v60.0/sobjects/Account", `{"Name":"Acme"}`)
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	acct := decode(t, body)["id"].(string)
	with := b.createContact(t, `{"LastName":"Lovelace","AccountId":"`+acct+`"}`)
	without := b.createContact(t, `{"LastName":"Hopper"}`)
	resp, body = b.do(t, http.MethodGet, "v60.0/query?q="+url.QueryEscape("SELECT Id, Account.Name, LastName, account.id FROM Contact ORDER BY Account.Name NULLS LAST"), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"totalSize":2,"done":true,"records":[
		{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/`+with+`"},"Id":"`+with+`",
		 "Account":{"attributes":{"type":"Account","url":"/services/data/v60.0/sobjects/Account/`+acct+`"},"Name":"Acme","Id":"`+acct+`"},
		 "LastName":"Lovelace"},
		{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/`+without+`"},"Id":"`+without+`",
		 "Account":null,"LastName":"Hopper"}]}`, string(body))

	// the cursor keeps the parent as it was when the query ran
	resp, body = b.do(t, http.MethodGet, "v60.0/query?q="+url.QueryEscape("SELECT Id FROM Contact WHERE Account.Name = 'ACME'"), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), with)
	assert.NotContains(t, string(body), without)
}

func TestQueryCountAggregatesAndFields(t *testing.T) {
	t.Parallel()
	b := setup(t)
	b.createContact(t, `{"LastName":"A","Email":"a@example.com"}`)
	b.createContact(t, `{"LastName":"B"}`)
	get := func(v, q string) (*http.Response, []byte) {
		return b.do(t, http.MethodGet, v+"/query?q="+url.QueryEscape(q), "")
	}
	resp, body := get("v60.0", "SELECT COUNT(Id), COUNT(Email) withEmail FROM Contact")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"totalSize":1,"done":true,"records":[{"attributes":{"type":"AggregateResult"},"expr0":2,"withEmail":1}]}`, string(body))
	resp, body = get("v60.0", "SELECT COUNT() FROM Contact WHERE Email = null")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"totalSize":1,"done":true,"records":[]}`, string(body))

	resp, body = get("v60.0", "SELECT FIELDS(STANDARD) FROM Contact WHERE LastName = 'A'")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	rec := decode(t, body)["records"].([]any)[0].(map[string]any)
	assert.Equal(t, "a@example.com", rec["Email"])
	assert.Equal(t, false, rec["IsDeleted"])
	assert.NotContains(t, rec, DefaultExternalIDField, "custom fields are not standard")
	resp, body = get("v60.0", "SELECT FIELDS(ALL) FROM Contact")
	e := requireError(t, resp, body, http.StatusBadRequest, CodeMalformedQuery)
	assert.Contains(t, e.Message, "The SOQL FIELDS function must have a LIMIT of at most 200")
	resp, body = get("v60.0", "SELECT FIELDS(CUSTOM) FROM Contact LIMIT 200")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), DefaultExternalIDField)
	resp, body = get("v50.0", "SELECT FIELDS(STANDARD) FROM Contact")
	requireError(t, resp, body, http.StatusBadRequest, CodeMalformedQuery)
}

func TestQueryAllIncludesDeletedRecords(t *testing.T) {
	t.Parallel()
	b := setup(t)
	keep := b.createContact(t, `{"LastName":"Keep"}`)
	gone := b.createContact(t, `{"LastName":"Gone"}`)
	resp, body := b.do(t, http.MethodDelete, "v60.0/sobjects/Contact/"+gone, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	q := url.QueryEscape("SELECT Id, IsDeleted FROM Contact ORDER BY LastName")
	resp, body = b.do(t, http.MethodGet, "v60.0/query?q="+q, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, 1.0, decode(t, body)["totalSize"])
	resp, body = b.do(t, http.MethodGet, "v60.0/queryAll?q="+q, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.JSONEq(t, `{"totalSize":2,"done":true,"records":[
		{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/`+gone+`"},"Id":"`+gone+`","IsDeleted":true},
		{"attributes":{"type":"Contact","url":"/services/data/v60.0/sobjects/Contact/`+keep+`"},"Id":"`+keep+`","IsDeleted":false}]}`, string(body))
	resp, body = b.do(t, http.MethodGet, "v60.0/queryAll?q="+url.QueryEscape("SELECT Id FROM Contact WHERE IsDeleted = true"), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Contains(t, string(body), gone)
	assert.NotContains(t, string(body), keep)

	// a QueryAll's nextRecordsUrl is under /query, as documented, and the locator
	// answers under /queryAll too
	for i := 0; i < 250; i++ {
		b.createContact(t, fmt.Sprintf(`{"LastName":"N%d"}`, i))
	}
	resp, body = b.do(t, http.MethodGet, "v60.0/queryAll?q="+url.QueryEscape("SELECT Id FROM Contact"), "", "Sforce-Query-Options", "batchSize=200")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	next := decode(t, body)["nextRecordsUrl"].(string)
	assert.True(t, strings.HasPrefix(next, "/services/data/v60.0/query/"), next)
	resp, body = b.do(t, http.MethodGet, strings.Replace(strings.TrimPrefix(next, dataPrefix), "/query/", "/queryAll/", 1), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Len(t, decode(t, body)["records"], 52) // 251 live records and the deleted one
	resp, body = b.do(t, http.MethodGet, strings.TrimPrefix(next, dataPrefix), "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Len(t, decode(t, body)["records"], 52)
}
