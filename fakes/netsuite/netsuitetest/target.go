// Package netsuitetest runs the fake NetSuite against the fakes' conformance suite,
// fakehttptest. It imports testing: only test code may import it.
package netsuitetest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/netsuite"
)

const salesOrderPath = "/services/rest/record/v1/salesOrder"

// Target is the fake NetSuite for fakehttptest.Run, in-process, with latency, automatic
// fulfilments and stock receipts off (Args turn them off on the command line too). Set
// Command, and clear New, to run the command-line form.
//
// Its Effect is a sales order POSTed with the key as externalId; its tight limit is an
// account concurrency of 1.
func Target() fakehttptest.Target {
	return fakehttptest.Target{
		Name: "netsuite",
		New: fakehttptest.Build(netsuite.New, netsuite.Options{
			Seed:   1,
			Limits: netsuite.Limits{Latency: "0", ReadLatency: "0", FulfillAfter: "off", ReceiptsEvery: "off"},
		}),
		Args:          []string{"--latency", "0", "--read-latency", "0", "--fulfill-after", "off", "--receipts-every", "off"},
		Effect:        salesOrder,
		EffectCreates: true,
		Unauthorized: fakehttptest.Unauthorized{
			Request: func(t *testing.T, baseURL string) *http.Request {
				return fakehttptest.NewRequest(t, http.MethodGet, baseURL+"/services/rest/record/v1/inventoryItem", "")
			},
			Status: http.StatusUnauthorized,
			Body:   invalidLogin,
		},
		TightLimits: `{"concurrency":1}`,
		Flags: []string{"-tier", "-suitecloud-plus", "-concurrency", "-held", "-latency", "-token", "-duplicate-external-id",
			"-catalog-size", "-locations", "-fulfill-after", "-receipts-every", "-push-url", "-push-secret", "-account"},
		BadFlags: func(*testing.T) []fakehttptest.BadFlag {
			return []fakehttptest.BadFlag{
				{Args: []string{"--tier", "gold"}, Want: "--tier"},
				{Args: []string{"--latency", "fast"}, Want: "--latency"},
				{Args: []string{"--read-latency", "lognormal(2s,1s)"}, Want: "--read-latency"},
				{Args: []string{"--duplicate-external-id", "409"}, Want: "--duplicate-external-id"},
				{Args: []string{"--tax-fields", "keep"}, Want: "--tax-fields"},
				{Args: []string{"--fulfill-after", "later"}, Want: "--fulfill-after"},
				{Args: []string{"--receipts-every", "-1m"}, Want: "--receipts-every"},
				{Args: []string{"--overlimit-401-share", "2"}, Want: "--overlimit-401-share"},
				{Args: []string{"--held", "-1"}, Want: "--held"},
				{Args: []string{"--concurrency", "-5"}, Want: "--concurrency"},
				{Args: []string{"--locations", "9"}, Want: "--locations"},
				{Args: []string{"--catalog-size", "0"}, Want: "--catalog-size"},
				{Args: []string{"--push-url", "ftp://x"}, Want: "push URL"},
				{Args: []string{"--push-secret", "x"}, Want: "--push-url"},
				{Args: []string{"--suitecloud-plus", "many"}, Want: "suitecloud-plus"},
			}
		},
	}
}

// salesOrder is a one-line sales order for the seeded catalog's first item.
func salesOrder(t *testing.T, baseURL, key string) *http.Request {
	body, _ := json.Marshal(map[string]any{
		"externalId": key,
		"entity":     map[string]any{"id": netsuite.DefaultCustomerID},
		"item":       map[string]any{"items": []any{map[string]any{"item": map[string]any{"id": "1001"}, "quantity": 1}}},
	})
	req := fakehttptest.NewRequest(t, http.MethodPost, baseURL+salesOrderPath, string(body))
	req.Header.Set("Authorization", "Bearer conformance")
	req.Header.Set("Content-Type", "application/json")
	return req
}

// invalidLogin checks NetSuite's answer to a request without credentials: its error
// envelope with INVALID_LOGIN, and a Bearer challenge naming the account.
func invalidLogin(header http.Header, body []byte) error {
	var e netsuite.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		return err
	}
	switch {
	case e.Status != http.StatusUnauthorized || e.Type == "" || e.Title == "":
		return fmt.Errorf("envelope %+v: want status 401, a type and a title", e)
	case len(e.Details) != 1 || e.Details[0].Code != netsuite.CodeInvalidLogin:
		return fmt.Errorf("o:errorDetails %+v: want one %s", e.Details, netsuite.CodeInvalidLogin)
	case !strings.HasPrefix(header.Get("WWW-Authenticate"), `Bearer realm="`+netsuite.DefaultAccount+`"`):
		return fmt.Errorf("WWW-Authenticate %q: want a Bearer challenge for the account", header.Get("WWW-Authenticate"))
	}
	return nil
}
