// Package shopifytest runs the fake Shopify against the fakes' conformance suite,
// fakehttptest. It imports testing: only test code may import it.
package shopifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
)

const graphQLPath = "/admin/api/" + shopify.LatestVersion + "/graphql.json"

// adjust is the Effect's mutation: one unit more of the first SKU at the first location,
// idempotent under the key.
const adjust = `mutation adjust($input: InventoryAdjustQuantitiesInput!, $key: String!) {
  inventoryAdjustQuantities(input: $input) @idempotent(key: $key) {
    inventoryAdjustmentGroup { id }
    userErrors { code message }
  }
}`

// Target is the fake Shopify for fakehttptest.Run, in-process, with a small catalog and
// no customers (Args set the same on the command line). Set Command, and clear New, to
// run the command-line form.
//
// Its Effect is an inventoryAdjustQuantities mutation whose @idempotent key is the key
// (the ledger's external id of an inventory change; it creates no record); its tight
// limit is a GraphQL cost bucket of 20 points restored at 1 a second.
func Target() fakehttptest.Target {
	return fakehttptest.Target{
		Name:   "shopify",
		New:    fakehttptest.Build(shopify.New, shopify.Options{Seed: 1, CatalogSize: 20, Customers: -1}),
		Args:   []string{"--catalog-size", "20", "--customers", "0"},
		Effect: adjustInventory,
		Unauthorized: fakehttptest.Unauthorized{
			Request: func(t *testing.T, baseURL string) *http.Request {
				req := fakehttptest.NewRequest(t, http.MethodPost, baseURL+graphQLPath, `{"query":"{ shop { name } }"}`)
				req.Header.Set("Content-Type", "application/json")
				return req
			},
			Status: http.StatusUnauthorized,
			Body:   invalidToken,
		},
		TightLimits: `{"bucket":20,"restore-rate":1}`,
		Flags: []string{"-plan", "-bucket", "-restore-rate", "-rest-bucket", "-rest-leak-rate", "-throttle-status", "-access-token",
			"-api-version", "-catalog-size", "-locations", "-customers", "-returning-share", "-high-risk-share", "-latency",
			"-webhook-url", "-client-secret", "-previous-client-secret", "-webhook-duplicate-share", "-shop"},
		BadFlags: badFlags,
	}
}

// firstLevel is the GIDs of the first SKU's inventory item and the first location. Ids
// follow from positions in the catalog, not from the seed, so any store has them.
var firstLevel = sync.OnceValues(func() (item, location string) {
	s, err := store.New(store.Config{CatalogSize: 1, Locations: 1, Customers: -1})
	if err != nil {
		panic(err)
	}
	v, _ := s.VariantAt(0)
	return store.GID("InventoryItem", v.InventoryItemID), store.GID("Location", s.Locations()[0].ID)
})

func adjustInventory(t *testing.T, baseURL, key string) *http.Request {
	item, location := firstLevel()
	body, _ := json.Marshal(map[string]any{"query": adjust, "variables": map[string]any{
		"key": key,
		"input": map[string]any{"name": "available", "reason": "correction", "changes": []any{
			map[string]any{"inventoryItemId": item, "locationId": location, "delta": 1, "changeFromQuantity": nil},
		}},
	}})
	req := fakehttptest.NewRequest(t, http.MethodPost, baseURL+graphQLPath, string(body))
	req.Header.Set("X-Shopify-Access-Token", "shpat_conformance")
	req.Header.Set("Content-Type", "application/json")
	return req
}

// invalidToken checks Shopify's answer to a request without an access token.
func invalidToken(_ http.Header, body []byte) error {
	var e struct {
		Errors string `json:"errors"`
	}
	if err := json.Unmarshal(body, &e); err != nil {
		return err
	}
	if !strings.HasPrefix(e.Errors, "[API] Invalid API key or access token") {
		return fmt.Errorf("errors %q: want Shopify's invalid API key message", e.Errors)
	}
	return nil
}

// badFlags are the store's own flags the command refuses, and a profile whose limits name
// a plan that does not exist.
func badFlags(t *testing.T) []fakehttptest.BadFlag {
	badProfile := filepath.Join(t.TempDir(), "p.json")
	if err := os.WriteFile(badProfile, []byte(`{"limits":{"plan":"gold"}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return []fakehttptest.BadFlag{
		{Args: []string{"--plan", "gold"}, Want: "plan"},
		{Args: []string{"--throttle-status", "503"}, Want: "--throttle-status"},
		{Args: []string{"--returning-share", "1.5"}, Want: "--returning-share"},
		{Args: []string{"--high-risk-share", "-0.1"}, Want: "--high-risk-share"},
		{Args: []string{"--bucket", "-5"}, Want: "--bucket"},
		{Args: []string{"--locations", "9"}, Want: "--locations"},
		{Args: []string{"--catalog-size", "0"}, Want: "--catalog-size"},
		{Args: []string{"--customers", "-1"}, Want: "--customers"},
		{Args: []string{"--latency", "lognormal(2s,1s)"}, Want: "--latency"},
		{Args: []string{"--api-version", "2023-13"}, Want: "api version"},
		{Args: []string{"--webhook-url", "ftp://x"}, Want: "webhook-url"},
		{Args: []string{"--webhook-timeout", "soon"}, Want: "webhook-timeout"},
		{Args: []string{"--profile", badProfile}, Want: "gold"},
		{Args: []string{"--app", "erp"}, Want: "-app"},
		{Args: []string{"--connection-cost", "cubic"}, Want: "connection cost"},
		{Args: []string{"--bulk-concurrency", "-1"}, Want: "bulk concurrency"},
		{Args: []string{"--app", "a=t", "--app", "b=t"}, Want: "unique"},
	}
}
