package salesforce

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/peakready/peakready/clock"
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
			if _, err := marshal(e.errs); err != nil {
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
		if res.StatusCode == http.StatusNoContent || method == "HEAD" {
			return
		}
		if !json.Valid(w.Body.Bytes()) {
			t.Fatalf("%s %s: invalid JSON %q", method, path, w.Body.String())
		}
		if res.StatusCode >= 400 && !strings.HasPrefix(w.Body.String(), "[") {
			t.Fatalf("%s %s: error is not an array: %s", method, path, w.Body.String())
		}
	})
}
