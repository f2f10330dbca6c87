// Package hubspottest runs the fake HubSpot against the fakes' conformance suite,
// fakehttptest. It imports testing: only test code may import it.
package hubspottest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
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
		Name: "hubspot",
		New: func(t *testing.T) fakehttptest.Server {
			srv, err := hubspot.New(hubspot.Options{Seed: 1, Limits: hubspot.Limits{Latency: "0"}})
			if err != nil {
				t.Fatal(err)
			}
			return srv
		},
		Args:          []string{"--latency", "0"},
		Effect:        createContact,
		EffectCreates: true,
		Unauthorized: fakehttptest.Unauthorized{
			Request: func(t *testing.T, baseURL string) *http.Request {
				return newRequest(t, http.MethodGet, baseURL+contactsPath+"/101", "")
			},
			Status: http.StatusUnauthorized,
			Body:   invalidAuthentication,
		},
		TightLimits: `{"burst":1}`,
	}
}

// createContact creates a contact with key as its Shopify customer id.
func createContact(t *testing.T, baseURL, key string) *http.Request {
	body, _ := json.Marshal(map[string]any{"properties": map[string]string{
		"email": key + "@example.com", "firstname": "Conformance", hubspot.DefaultExternalIDProperty: key,
	}})
	req := newRequest(t, http.MethodPost, baseURL+contactsPath, string(body))
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

func newRequest(t *testing.T, method, url, body string) *http.Request {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
