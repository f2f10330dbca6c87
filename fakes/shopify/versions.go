package shopify

import (
	"bytes"
	_ "embed"
	"fmt"
	"strconv"
	"strings"
	"text/template"

	"github.com/vektah/gqlparser/v2/ast"

	"github.com/peakready/peakready/fakes/shopify/gql"
)

// Versions are the API versions the fake serves: the quarterly releases from 2024-10 to
// 2026-10 and unstable (which behaves like the newest).
var Versions = []string{
	"2024-10", "2025-01", "2025-04", "2025-07", "2025-10",
	"2026-01", "2026-04", "2026-07", "2026-10", "unstable",
}

// LatestVersion is the newest stable version, the default of Options.APIVersion.
const LatestVersion = "2026-10"

// resolveVersion maps a requested version to the one served. A supported version is
// served as is. A well-formed quarterly version older than the oldest supported one is
// served as the oldest supported version, as Shopify does for versions past their
// support window (the X-Shopify-API-Version header tells the client). Anything else,
// including future versions, is not found.
func resolveVersion(v string) (string, bool) {
	for _, s := range Versions {
		if v == s {
			return v, true
		}
	}
	y, m, ok := strings.Cut(v, "-")
	if !ok || len(y) != 4 || len(m) != 2 {
		return "", false
	}
	year, err1 := strconv.Atoi(y)
	month, err2 := strconv.Atoi(m)
	if err1 != nil || err2 != nil || year < 2017 || (month != 1 && month != 4 && month != 7 && month != 10) {
		return "", false
	}
	if v < Versions[0] {
		return Versions[0], true
	}
	return "", false
}

// versionRules are the version-dependent behaviours of the inventory mutations
// (shopify.md §4.1).
type versionRules struct {
	// CompareQuantity: inventorySetQuantities takes compareQuantity and
	// ignoreCompareQuantity (up to 2026-01).
	CompareQuantity bool
	// ChangeFrom: changeFromQuantity exists (from 2026-01).
	ChangeFrom bool
	// ChangeFromRequired: every quantity and change must carry changeFromQuantity, null
	// to opt out (from 2026-04).
	ChangeFromRequired bool
	// Idempotent: the @idempotent directive exists (from 2026-01).
	Idempotent bool
	// IdempotentRequired: the inventory mutations fail without @idempotent (from 2026-04).
	IdempotentRequired bool
}

func rulesFor(version string) versionRules {
	switch {
	case version == "unstable" || version >= "2026-04":
		return versionRules{ChangeFrom: true, ChangeFromRequired: true, Idempotent: true, IdempotentRequired: true}
	case version >= "2026-01":
		return versionRules{CompareQuantity: true, ChangeFrom: true, Idempotent: true}
	}
	return versionRules{CompareQuantity: true}
}

//go:embed schema.graphql
var schemaTemplate string

// schemas holds one schema per distinct set of version rules.
type schemas map[versionRules]*ast.Schema

func loadSchemas() (schemas, error) {
	tmpl, err := template.New("schema").Parse(schemaTemplate)
	if err != nil {
		return nil, err
	}
	out := schemas{}
	for _, v := range Versions {
		r := rulesFor(v)
		if out[r] != nil {
			continue
		}
		var buf bytes.Buffer
		if err := tmpl.Execute(&buf, r); err != nil {
			return nil, err
		}
		s, err := gql.LoadSchema("shopify-"+v, buf.String())
		if err != nil {
			return nil, fmt.Errorf("schema for %s: %w", v, err)
		}
		out[r] = s
	}
	return out, nil
}
