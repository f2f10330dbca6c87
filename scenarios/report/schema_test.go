package report

import (
	"bytes"
	"cmp"
	"encoding/json"
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validateAgainstSchema checks a JSON report against JSONSchema.
func validateAgainstSchema(t *testing.T, doc []byte) error {
	t.Helper()
	schema, err := jsonschema.UnmarshalJSON(bytes.NewReader(JSONSchema))
	if err != nil {
		t.Fatalf("schema.json: %v", err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("schema.json", schema); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("schema.json")
	if err != nil {
		t.Fatalf("compile schema.json: %v", err)
	}
	inst, err := jsonschema.UnmarshalJSON(bytes.NewReader(doc))
	if err != nil {
		t.Fatal(err)
	}
	return sch.Validate(inst)
}

func TestSampleReportMatchesTheSchema(t *testing.T) {
	doc, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	if err := validateAgainstSchema(t, doc); err != nil {
		t.Fatalf("testdata/sample.json does not match schema.json: %v", err)
	}
	var buf bytes.Buffer
	if err := WriteJSON(&buf, &Report{Scenario: "x", Verdict: VerdictError, Error: "redis did not start"}); err != nil {
		t.Fatal(err)
	}
	if err := validateAgainstSchema(t, buf.Bytes()); err != nil {
		t.Fatalf("the report of a run that could not run does not match: %v\n%s", err, buf.String())
	}
}

func TestSchemaRejectsWhatIsNotAReport(t *testing.T) {
	doc, err := os.ReadFile(samplePath)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]any
	if err := json.Unmarshal(doc, &m); err != nil {
		t.Fatal(err)
	}
	for name, mutate := range map[string]func(map[string]any){
		"string duration": func(m map[string]any) { m["wall_seconds"] = "5m0s" },
		"unknown verdict": func(m map[string]any) { m["verdict"] = "maybe" },
		"no totals":       func(m map[string]any) { delete(m, "totals") },
	} {
		c := map[string]any{}
		for k, v := range m {
			c[k] = v
		}
		mutate(c)
		b, _ := json.Marshal(c)
		if err := validateAgainstSchema(t, b); err == nil {
			t.Errorf("%s: the schema accepted it", name)
		}
	}
}

// Every key the Go types write is described in schema.json, so the published schema
// cannot fall behind the report.
func TestSchemaDescribesEveryKey(t *testing.T) {
	var doc struct {
		Properties map[string]json.RawMessage `json:"properties"`
		Defs       map[string]struct {
			Properties map[string]json.RawMessage `json:"properties"`
		} `json:"$defs"`
	}
	if err := json.Unmarshal(JSONSchema, &doc); err != nil {
		t.Fatal(err)
	}
	for def, v := range map[string]any{"": Report{}, "point": Point{}, "totals": Totals{}, "window": Window{},
		"phase": Phase{}, "upstream": Upstream{}, "latency": Latency{}, "assertion": Assertion{}, "violation": Violation{},
		"inventory": Inventory{}, "propagation": Propagation{}} {
		props := doc.Properties
		if def != "" {
			props = doc.Defs[def].Properties
		}
		typ := reflect.TypeOf(v)
		for i := range typ.NumField() {
			name, _, _ := strings.Cut(typ.Field(i).Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if _, ok := props[name]; !ok {
				t.Errorf("schema.json: %s lacks %q (%s.%s)", cmp.Or(def, "the report"), name, typ.Name(), typ.Field(i).Name)
			}
		}
	}
}
