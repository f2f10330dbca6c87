// Package hubspottest runs the fake HubSpot against the fakes' conformance suite,
// fakehttptest. It imports testing: only test code may import it.
package hubspottest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/hubspot"
)

const contactsPath = "/crm/v3/objects/contacts"

// Token is the private-app token the Effect sends; the fake accepts any by default.
const Token = "pat-na1-conformance"

// Target is the fake HubSpot for fakehttptest.Run, in-process, with latency off (Args
// turn it off on the command line too). Set Command, and clear New, to run the
// command-line form.
//
// Its Effect creates a contact whose shopify_customer_id (the external id, a unique
// property the fake creates at start) is the key; its tight limit is a burst of one
// request per ten seconds.
func Target() fakehttptest.Target {
	return fakehttptest.Target{
		Name:          "hubspot",
		New:           fakehttptest.Build(hubspot.New, hubspot.Options{Seed: 1, Limits: hubspot.Limits{Latency: "0"}}),
		Args:          []string{"--latency", "0"},
		Effect:        createContact,
		EffectCreates: true,
		Unauthorized: fakehttptest.Unauthorized{
			Request: func(t *testing.T, baseURL string) *http.Request {
				return fakehttptest.NewRequest(t, http.MethodGet, baseURL+contactsPath+"/101", "")
			},
			Status: http.StatusUnauthorized,
			Body:   invalidAuthentication,
		},
		TightLimits: `{"burst":1}`,
		Flags: []string{"-tier", "-api-limit-increase", "-burst", "-burst-window", "-daily", "-oauth-burst", "-search-per-second",
			"-timezone", "-search-index-lag", "-conflict-category", "-batch-max", "-external-id-property", "-latency", "-token", "-portal-id"},
		BadFlags: func(*testing.T) []fakehttptest.BadFlag {
			return []fakehttptest.BadFlag{
				{Args: []string{"--tier", "gold"}, Want: `--tier "gold": want free, starter, professional or enterprise`},
				{Args: []string{"--api-limit-increase", "3"}, Want: "--api-limit-increase 3 must be between 0 and 2"},
				{Args: []string{"--burst-window", "0s"}, Want: "--burst-window"},
				{Args: []string{"--timezone", "Mars/Base"}, Want: "--timezone"},
				{Args: []string{"--search-index-lag", "soon"}, Want: "--search-index-lag"},
				{Args: []string{"--conflict-category", "NOPE"}, Want: "--conflict-category"},
				{Args: []string{"--latency", "quick"}, Want: "--latency"},
				{Args: []string{"--daily", "-5"}, Want: "--daily -5 must not be negative"},
				{Args: []string{"--token", "a b"}, Want: "token"},
				{Args: []string{"--portal-id", "0"}, Want: "--portal-id"},
				{Args: []string{"--burst", "x"}, Want: "invalid value"},
			}
		},
	}
}

// createContact creates a contact with key as its Shopify customer id.
func createContact(t *testing.T, baseURL, key string) *http.Request {
	body, _ := json.Marshal(map[string]any{"properties": map[string]string{
		"email": key + "@example.com", "firstname": "Conformance", hubspot.DefaultExternalIDProperty: key,
	}})
	req := fakehttptest.NewRequest(t, http.MethodPost, baseURL+contactsPath, string(body))
	req.Header.Set("Authorization", "Bearer "+Token)
	req.Header.Set("Content-Type", "application/json")
	return req
}

// invalidAuthentication checks HubSpot's answer to a request without a token: status
// "error", a message, a correlation id, category INVALID_AUTHENTICATION.
func invalidAuthentication(header http.Header, body []byte) error {
	var e hubspot.ErrorBody
	if err := json.Unmarshal(body, &e); err != nil {
		return err
	}
	if e.Status != "error" || e.Category != hubspot.CategoryInvalidAuth || e.Message == "" || e.CorrelationID == "" {
		return fmt.Errorf("body %+v: want status error, category %s, a message and a correlationId", e, hubspot.CategoryInvalidAuth)
	}
	if header.Get("X-HubSpot-Correlation-Id") != e.CorrelationID {
		return fmt.Errorf("X-HubSpot-Correlation-Id %q differs from the body's %q", header.Get("X-HubSpot-Correlation-Id"), e.CorrelationID)
	}
	return nil
}
