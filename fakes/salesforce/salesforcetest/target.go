// Package salesforcetest runs the fake Salesforce against the fakes' conformance suite,
// fakehttptest. It imports testing: only test code may import it.
package salesforcetest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/salesforce"
)

const contactPath = "/services/data/v66.0/sobjects/Contact"

// Target is the fake Salesforce for fakehttptest.Run, in-process, with latency off (Args
// turn it off on the command line too). Set Command, and clear New, to run the
// command-line form.
//
// Its Effect gets a token with client credentials, then creates a Contact whose
// Shopify_Customer_Id__c (the external id) is the key; its tight limit is a daily API
// allocation of 1.
func Target() fakehttptest.Target {
	return fakehttptest.Target{
		Name:          "salesforce",
		New:           fakehttptest.Build(salesforce.New, salesforce.Options{Seed: 1, Limits: salesforce.Limits{Latency: "0"}}),
		Args:          []string{"--latency", "0"},
		Effect:        createContact,
		EffectCreates: true,
		Unauthorized: fakehttptest.Unauthorized{
			Request: func(t *testing.T, baseURL string) *http.Request {
				return fakehttptest.NewRequest(t, http.MethodGet, baseURL+contactPath+"/003000000000001AAA", "")
			},
			Status: http.StatusUnauthorized,
			Body:   invalidSession,
		},
		TightLimits: `{"daily_limit":1}`,
		Flags: []string{"-edition", "-licenses", "-daily-limit", "-long-running-limit", "-session-timeout", "-client-id", "-client-secret",
			"-external-id-fields", "-duplicate-rule", "-lock-row-rate", "-latency", "-api-versions", "-retired-api-versions",
			"-session-refresh", "-batch-counting", "-bulk-queue-delay", "-bulk-processing-rate", "-bulk-batch-allocation"},
		BadFlags: func(*testing.T) []fakehttptest.BadFlag {
			return []fakehttptest.BadFlag{
				{Args: []string{"--edition", "group"}, Want: "--edition"},
				{Args: []string{"--lock-row-rate", "2"}, Want: "--lock-row-rate"},
				{Args: []string{"--duplicate-rule", "maybe"}, Want: "--duplicate-rule"},
				{Args: []string{"--latency", "soon"}, Want: "--latency"},
				{Args: []string{"--api-versions", "v1.0"}, Want: "--api-versions"},
				{Args: []string{"--batch-counting", "per_record"}, Want: "--batch-counting"},
				{Args: []string{"--session-refresh", "never"}, Want: "--session-refresh"},
				{Args: []string{"--bulk-queue-delay", "soon"}, Want: "--bulk-queue-delay"},
				{Args: []string{"--session-timeout", "-1s"}, Want: "--session-timeout"},
				{Args: []string{"--external-id-fields", "Lead.X__c"}, Want: "--external-id-fields"},
				{Args: []string{"--licenses", "-3"}, Want: "--licenses"},
				{Args: []string{"--licenses", "many"}, Want: "invalid value"},
			}
		},
	}
}

// createContact creates a Contact with key as its external id, under a fresh token.
func createContact(t *testing.T, baseURL, key string) *http.Request {
	body, _ := json.Marshal(map[string]any{
		"LastName": "Conformance", "Email": key + "@example.com", salesforce.DefaultExternalIDField: key,
	})
	req := fakehttptest.NewRequest(t, http.MethodPost, baseURL+contactPath, string(body))
	req.Header.Set("Authorization", "Bearer "+token(t, baseURL))
	req.Header.Set("Content-Type", "application/json")
	return req
}

// token gets an access token with client credentials (the fake accepts any by default).
func token(t *testing.T, baseURL string) string {
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {"conformance"}, "client_secret": {"conformance"}}
	resp, err := http.PostForm(baseURL+salesforce.TokenPath, form)
	if err != nil {
		t.Fatalf("token: %v", err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	var tr salesforce.TokenResponse
	if resp.StatusCode != http.StatusOK || json.Unmarshal(raw, &tr) != nil || tr.AccessToken == "" {
		t.Fatalf("token: status %d, body %s", resp.StatusCode, raw)
	}
	return tr.AccessToken
}

// invalidSession checks Salesforce's answer to a request without a session: an error
// array holding INVALID_SESSION_ID, and a Token challenge.
func invalidSession(header http.Header, body []byte) error {
	var errs []salesforce.ErrorBody
	if err := json.Unmarshal(body, &errs); err != nil {
		return err
	}
	if len(errs) != 1 || errs[0].ErrorCode != salesforce.CodeInvalidSessionID || errs[0].Message == "" {
		return fmt.Errorf("errors %+v: want one %s with a message", errs, salesforce.CodeInvalidSessionID)
	}
	if header.Get("WWW-Authenticate") != "Token" {
		return fmt.Errorf("WWW-Authenticate %q, want Token", header.Get("WWW-Authenticate"))
	}
	return nil
}
