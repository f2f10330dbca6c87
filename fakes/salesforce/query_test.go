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
