package salesforce

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp"
)

// FuzzDecodeRecord: any body either decodes into values of the fields' types or fails
// with a Salesforce error array, never a panic.
func FuzzDecodeRecord(f *testing.F) {
	for _, s := range []string{
		`{"LastName":"A","Email":"a@b.com","Order_Count__c":"3","HasOptedOutOfEmail":"true","Last_Order_Date__c":"2025-01-02"}`,
		`{"attributes":{"type":"Contact"},"lastname":1,"Segments__c":"a;b;;A"}`,
		`{"LastName":{"x":[1,2]}}`, `[]`, `"x"`, `{"LastName":"A",}`, `{"Lifetime_Value__c":1e400}`, ``, `{`, `{"Id":5}`,
	} {
		f.Add([]byte(s))
	}
	sc, err := buildSchema([]ExternalIDField{{Object: ObjectContact, Field: DefaultExternalIDField}}, true)
	if err != nil {
		f.Fatal(err)
	}
	obj, _ := sc.object(ObjectContact)
	f.Fuzz(func(t *testing.T, body []byte) {
		rb, e := decodeRecord(body, obj)
		if e != nil {
			if e.status < 400 || e.status > 499 || len(e.errs) != 1 || e.errs[0].ErrorCode == "" {
				t.Fatalf("bad error %+v", e)
			}
			if _, err := fakehttp.Marshal(e.errs); err != nil {
				t.Fatal(err)
			}
			return
		}
		for _, err := range validate(rb) {
			if err.ErrorCode == "" || len(err.Fields) != 1 {
				t.Fatalf("bad validation error %+v", err)
			}
		}
		for _, v := range rb.values {
			switch v.value.(type) {
			case nil, string, float64, bool:
			default:
				t.Fatalf("field %s has a %T", v.field.Name, v.value)
			}
		}
	})
}

// FuzzAPI sends arbitrary methods, paths, queries and bodies through the whole handler:
// every answer is a Salesforce-shaped JSON body (or an empty 204), never a 5xx, a panic or
// a Go error string.
func FuzzAPI(f *testing.F) {
	seeds := []struct{ method, path, body string }{
		{"POST", "v60.0/sobjects/Contact", `{"LastName":"A","Email":"a@example.com"}`},
		{"PATCH", "v60.0/sobjects/Contact/Shopify_Customer_Id__c/12", `{"LastName":"B"}`},
		{"GET", "v60.0/query?q=SELECT+Id+FROM+Contact+WHERE+Email+LIKE+'a%25'", ``},
		{"GET", "v60.0/query/01g5g0000000001AAA-2000", ``},
		{"DELETE", "v45.0/sobjects/Contact/0035g0000000001AAA", ``},
		{"GET", "v60.0/sobjects/Account/describe", ``},
		{"PUT", "v99.0/%zz", `{`},
		{"POST", "v60.0/composite/sobjects", `{"allOrNone":true,"records":[{"attributes":{"type":"Contact"},"LastName":"A"}]}`},
		{"PATCH", "v60.0/composite/sobjects/Contact/Shopify_Customer_Id__c", `{"records":[{"attributes":{"type":"Contact"},"Shopify_Customer_Id__c":"1","LastName":"A"}]}`},
		{"DELETE", "v60.0/composite/sobjects?ids=0035g0000000001AAA,x&allOrNone=true", ``},
		{"GET", "v60.0/composite/sobjects/Contact?ids=0035g0000000001AAA&fields=Id,Email", ``},
		{"POST", "v60.0/composite", `{"allOrNone":true,"compositeRequest":[{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"a","body":{"Name":"x"}},{"method":"GET","url":"/services/data/v60.0/sobjects/Account/@{a.id}","referenceId":"b"}]}`},
		{"POST", "v60.0/composite/batch", `{"haltOnError":true,"batchRequests":[{"method":"GET","url":"v60.0/limits"},{"method":"PATCH","url":"v60.0/sobjects/Contact/x","richInput":{"a":1}}]}`},
		{"GET", "v60.0/sobjects/Contact/updated/?start=2025-11-28T00:00:00Z&end=2025-11-28T05:00:00Z", ``},
		{"GET", "v30.0/limits", ``},
		{"POST", "v60.0/jobs/ingest", `{"object":"Contact","operation":"upsert","externalIdFieldName":"Shopify_Customer_Id__c"}`},
		{"PUT", "v60.0/jobs/ingest/7505g0000000001AAA/batches", "Shopify_Customer_Id__c,LastName\n1,A\n"},
		{"PATCH", "v60.0/jobs/ingest/7505g0000000001AAA", `{"state":"UploadComplete"}`},
		{"GET", "v60.0/jobs/ingest/7505g0000000001AAA/failedResults", ``},
		{"GET", "v60.0/queryAll?q=SELECT+COUNT(Id)+FROM+Contact", ``},
	}
	for _, s := range seeds {
		f.Add(s.method, s.path, s.body)
	}
	c := clock.NewManual(t0)
	srv, err := New(Options{Clock: c, Limits: Limits{Latency: "off", DailyLimit: 1 << 40}})
	if err != nil {
		f.Fatal(err)
	}
	h := srv.Handler()
	token, _ := srv.sessions.issue()
	var runs atomic.Int64
	f.Fuzz(func(t *testing.T, method, path, body string) {
		if runs.Add(1)%500 == 0 {
			srv.Reset() // keep the store small so every run stays fast
		}
		c.Advance(time.Second) // let Bulk API jobs move on
		switch method {
		case "GET", "POST", "PATCH", "DELETE", "PUT", "HEAD":
		default:
			method = "GET"
		}
		u, err := url.Parse(dataPrefix + path)
		if err != nil || strings.ContainsAny(path, " \t\r\n#") {
			return
		}
		r := httptest.NewRequest(method, "http://fake"+u.String(), strings.NewReader(body))
		r.Header.Set("Authorization", "Bearer "+token)
		w := httptest.NewRecorder()
		h.ServeHTTP(w, r)
		res := w.Result()
		if res.StatusCode >= 500 {
			t.Fatalf("%s %s: %d %s", method, path, res.StatusCode, w.Body.String())
		}
		if res.StatusCode == http.StatusNoContent || method == "HEAD" || (res.StatusCode == http.StatusCreated && w.Body.Len() == 0) {
			return
		}
		if strings.HasPrefix(res.Header.Get("Content-Type"), "text/csv") {
			return // Bulk API results
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: invalid JSON %q", method, path, w.Body.String())
		}
		if res.StatusCode >= 400 && !strings.HasPrefix(w.Body.String(), "[") {
			t.Fatalf("%s %s: error is not an array: %s", method, path, w.Body.String())
		}
	})
}

// FuzzCompositeBodies feeds arbitrary bodies to the parsers of sObject Collections,
// Composite and Composite Batch requests, and arbitrary references to the resolver:
// each either reads the body or fails with a 4xx Salesforce error, never a panic.
func FuzzCompositeBodies(f *testing.F) {
	for _, s := range []string{
		`{"allOrNone":true,"records":[{"attributes":{"type":"Contact"},"LastName":"A"}]}`,
		`{"compositeRequest":[{"method":"POST","url":"/services/data/v60.0/sobjects/Account","referenceId":"ref1","body":{"Name":"@{ref0.records[0].Name}"}}]}`,
		`{"batchRequests":[{"method":"GET","url":"v60.0/limits"}],"haltOnError":true}`,
		`{"records":[1,"x",null]}`, `{"compositeRequest":{}}`, `[`, ``, `{"ids":["a"],"fields":["Id"]}`,
	} {
		f.Add([]byte(s), "ref0.records[0].Name")
	}
	done := map[string]*subOutcome{"ref0": {body: []byte(`{"records":[{"Name":"n","Id":null}],"x":[[1]]}`)}}
	check := func(t *testing.T, e *apiError) {
		if e != nil && (e.status < 400 || e.status > 499 || len(e.errs) != 1 || e.errs[0].ErrorCode == "") {
			t.Fatalf("bad error %+v", e)
		}
	}
	f.Fuzz(func(t *testing.T, body []byte, expr string) {
		_, e := parseCollectionBody(body)
		check(t, e)
		_, e = parseBatchBody(body, 60)
		check(t, e)
		cb, e := parseCompositeBody(body)
		check(t, e)
		if cb != nil {
			for _, sub := range cb.CompositeRequest {
				url, b, _ := resolveReferences(sub, done, true)
				if b != nil && !json.Valid(b) {
					t.Fatalf("resolved body is not JSON: %q", b)
				}
				_ = url
			}
		}
		sub := compositeSubrequest{URL: "/services/data/v60.0/x/@{" + expr + "}", Body: json.RawMessage(`{"a":"@{` + strings.ReplaceAll(expr, `"`, "") + `}"}`)}
		if json.Valid(sub.Body) {
			_, b, _ := resolveReferences(sub, done, expr != "")
			if b != nil && !json.Valid(b) {
				t.Fatalf("resolved body is not JSON: %q", b)
			}
		}
	})
}

// FuzzBulkCSV feeds arbitrary job data to the Bulk API CSV reader: it reads rows of the
// header's width or fails with a line number, never a panic; and rows written back as
// Salesforce writes results read back the same.
func FuzzBulkCSV(f *testing.F) {
	for _, s := range []string{
		"FirstName,LastName\nAda,Lovelace\n", "a|b\r\n\"x|y\"|\"\"\"\"\r\n", "a\n\"unclosed\n", "\xef\xbb\xbfa,b\n1,2", "a\n\"x\" \n", "",
	} {
		f.Add([]byte(s), byte(','), false)
	}
	f.Fuzz(func(t *testing.T, data []byte, delim byte, crlf bool) {
		if delim == '"' || delim == '\n' || delim == '\r' {
			return
		}
		rows, err := parseBulkCSV(data, delim, crlf)
		if err != nil {
			if err.line < 1 || err.msg == "" {
				t.Fatalf("bad error %+v", err)
			}
			return
		}
		eol := "\n"
		if crlf {
			eol = "\r\n"
		}
		var out []byte
		for _, row := range rows {
			if len(row) != len(rows[0]) {
				t.Fatalf("row %q is not as wide as the header %q", row, rows[0])
			}
			for i, v := range row {
				if i > 0 {
					out = append(out, delim)
				}
				out = appendCSVValue(out, v)
			}
			out = append(out, eol...)
		}
		again, err := parseBulkCSV(out, delim, crlf)
		if err != nil {
			t.Fatalf("written rows do not read back: %v\n%q", err, out)
		}
		if len(again) != len(rows) {
			t.Fatalf("read back %d rows, wrote %d", len(again), len(rows))
		}
		for i := range rows {
			if strings.Join(again[i], "\x00") != strings.Join(rows[i], "\x00") {
				t.Fatalf("row %d: %q became %q", i, rows[i], again[i])
			}
		}
	})
}
