package brokensut

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/scenarios/sut"
)

// CreateContactsWithoutLookup syncs orders correctly, and every customers/create and
// customers/update to Salesforce as a new Contact: a POST without the Shopify customer id
// and without looking for the customer's contact first, overriding the duplicate rule
// (Sforce-Duplicate-Rule-Header: allowSave=true) "to make the error go away". Salesforce
// then holds one contact per webhook of a customer.
const CreateContactsWithoutLookup Mode = 100

// contactPoster is the broken CRM sync of CreateContactsWithoutLookup.
type contactPoster struct {
	up   *sut.CRMUpstream
	http *http.Client

	mu      sync.Mutex
	token   string
	created map[string]int // normalised e-mail → contacts created
}

func (p *contactPoster) login() (string, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.token != "" {
		return p.token, nil
	}
	form := url.Values{"grant_type": {"client_credentials"}, "client_id": {p.up.SalesforceClientID}, "client_secret": {p.up.SalesforceClientSecret}}
	resp, err := p.http.PostForm(p.up.URL+"/services/oauth2/token", form)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tr struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tr); err != nil || tr.AccessToken == "" {
		return "", fmt.Errorf("salesforce login: %d", resp.StatusCode)
	}
	p.token = tr.AccessToken
	return p.token, nil
}

// create POSTs a Contact for the customer payload.
func (p *contactPoster) create(body []byte) error {
	var c struct {
		Email     string `json:"email"`
		FirstName string `json:"first_name"`
		LastName  string `json:"last_name"`
	}
	if err := json.Unmarshal(body, &c); err != nil {
		return err
	}
	if !strings.Contains(c.Email, "@") {
		return nil // not even this integrator sends an address without @
	}
	last := c.LastName
	if last == "" {
		last = "Unknown"
	}
	tok, err := p.login()
	if err != nil {
		return err
	}
	b, _ := json.Marshal(map[string]string{"Email": c.Email, "FirstName": c.FirstName, "LastName": last})
	req, err := http.NewRequest(http.MethodPost, p.up.URL+"/services/data/v60.0/sobjects/Contact", bytes.NewReader(b))
	if err != nil {
		return err
	}
	req.Header.Set("Authorization", "Bearer "+tok)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Set("Sforce-Duplicate-Rule-Header", "allowSave=true")
	resp, err := p.http.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	if resp.StatusCode != http.StatusCreated {
		return nil // a refusal is dropped: this integrator does not retry
	}
	p.mu.Lock()
	p.created[strings.ToLower(strings.TrimSpace(c.Email))]++
	p.mu.Unlock()
	return nil
}

// ContactsCreated counts, per normalised e-mail, the contacts CreateContactsWithoutLookup
// created.
func (s *SUT) ContactsCreated() map[string]int {
	out := map[string]int{}
	if s.contacts == nil {
		return out
	}
	s.contacts.mu.Lock()
	defer s.contacts.mu.Unlock()
	for k, v := range s.contacts.created {
		out[k] = v
	}
	return out
}

func newContactPoster(up *sut.CRMUpstream) *contactPoster {
	return &contactPoster{up: up, http: &http.Client{Timeout: 30 * time.Second}, created: map[string]int{}}
}
