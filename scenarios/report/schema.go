package report

import _ "embed"

// JSONSchema is the JSON Schema (draft 2020-12) of what WriteJSON writes; docs/cli.md
// publishes it as scenarios/report/schema.json.
//
//go:embed schema.json
var JSONSchema []byte
