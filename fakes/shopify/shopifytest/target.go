// Package shopifytest runs the fake Shopify against the fakes' conformance suite,
// fakehttptest. It imports testing: only test code may import it.
package shopifytest

import (
	"encoding/json"
	"fmt"
	"net/http"
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
		Name: "shopify",
		New: func(t *testing.T) fakehttptest.Server {
			srv, err := shopify.New(shopify.Options{Seed: 1, CatalogSize: 20, Customers: -1})
			if err != nil {
				t.Fatal(err)
			}
			return srv
		},
		Args:   []string{"--catalog-size", "20", "--customers", "0"},
		Effect: adjustInventory,
		Unauthorized: fakehttptest.Unauthorized{
			Request: func(t *testing.T, baseURL string) *http.Request {
				req := newRequest(t, http.MethodPost, baseURL+graphQLPath, `{"query":"{ shop { name } }"}`)
				req.Header.Set("Content-Type", "application/json")
				return req
			},
			Status: http.StatusUnauthorized,
			Body:   invalidToken,
		},
		TightLimits: `{"bucket":20,"restore-rate":1}`,
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
	req := newRequest(t, http.MethodPost, baseURL+graphQLPath, string(body))
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

func newRequest(t *testing.T, method, url, body string) *http.Request {
	req, err := http.NewRequest(method, url, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	return req
}
