package flow

import (
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var sampleInv = InventoryChange{ProductID: 632910392, VariantID: 808950810, InventoryItemID: 39072856, LocationID: 1,
	SKU: "IPOD 2008/PINK", ProductTitle: `Café "Pink" iPod`, Prior: 12, Current: 3}

func TestConditions(t *testing.T) {
	t.Parallel()
	ten := int64(10)
	for _, tc := range []struct {
		expr      string
		threshold *int64
		want      bool
		err       string
	}{
		{"", nil, true, ""},
		{"   ", nil, true, ""},
		{"current < 10", nil, true, ""},
		{"current < 3", nil, false, ""},
		{"current <= 3", nil, true, ""},
		{"current < prior", nil, true, ""},
		{"current > prior", nil, false, ""},
		{"current >= prior", nil, false, ""},
		{"delta == -9", nil, true, ""},
		{"delta < 0 and current < 5", nil, true, ""},
		{"delta < 0 && current > 5", nil, false, ""},
		{"current > 5 or prior > 5", nil, true, ""},
		{"current > 5 || prior > 50", nil, false, ""},
		{"not current > 5", nil, true, ""},
		{"!(current < 5)", nil, false, ""},
		{"not (current < 5 and prior > 10)", nil, false, ""},
		{"true", nil, true, ""},
		{"false or true", nil, true, ""},
		{"current < threshold", &ten, true, ""},
		{"productVariant.inventoryQuantity <= threshold", &ten, true, ""},
		{"inventoryQuantityPrior == 12", nil, true, ""},
		{`sku == "IPOD 2008/PINK"`, nil, true, ""},
		{`sku != 'IPOD 2008/PINK'`, nil, false, ""},
		{`productVariant.sku == "IPOD"`, nil, false, ""},
		{`product.title == "Café \"Pink\" iPod"`, nil, true, ""},
		{"a or b and c", nil, false, "unknown variable"},
		{"(current < 5", nil, false, "expected )"},
		{"current <", nil, false, "expected a value at the end"},
		{"current", nil, false, "comparison operator"},
		{"current = 5", nil, false, "unexpected"},
		{"current < threshold", nil, false, "sets no threshold"},
		{`sku < "A"`, nil, false, "only with == and !="},
		{`sku == 5`, nil, false, "number with a string"},
		{`current == "5"`, nil, false, "number with a string"},
		{`sku == "open`, nil, false, "unterminated string"},
		{"current < 99999999999999999999", nil, false, "out of range"},
		{"current < 5 5", nil, false, "unexpected"},
		{"current < 5 and", nil, false, "expected a value"},
		{"current @ 5", nil, false, "unexpected"},
		{strings.Repeat("(", 40) + "true" + strings.Repeat(")", 40), nil, false, "nested deeper"},
		{strings.Repeat("not ", 40) + "true", nil, false, "nested deeper"},
		{strings.Repeat("x", maxConditionLen+1), nil, false, "longer than"},
	} {
		c, err := parseCondition(tc.expr, tc.threshold != nil)
		if tc.err != "" {
			if assert.Error(t, err, tc.expr) {
				assert.ErrorIs(t, err, ErrCondition)
				assert.Contains(t, err.Error(), tc.err, tc.expr)
			}
			continue
		}
		require.NoError(t, err, tc.expr)
		data := triggerData{inv: &sampleInv}
		if tc.threshold != nil {
			data.threshold = *tc.threshold
		}
		assert.Equal(t, tc.want, c.eval(&data), tc.expr)
	}
}

func TestTemplates(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		src, want, err string
	}{
		{"", "", ""},
		{"plain text }} and {", "plain text }} and {", ""},
		{"{{ productVariant.sku }}", "IPOD 2008/PINK", ""},
		{"{{productVariant.sku}}", "IPOD 2008/PINK", ""},
		{"/stock/{{ productVariant.sku | url_encode }}?q={{ inventoryQuantityPrior }}", "/stock/IPOD+2008%2FPINK?q=12", ""},
		{`{"sku": {{ productVariant.sku | json }}, "qty": {{ productVariant.inventoryQuantity | json }}}`, `{"sku": "IPOD 2008/PINK", "qty": 3}`, ""},
		{`{{ product.title | json }}`, `"Café \"Pink\" iPod"`, ""},
		{`{{ product.title | url_encode }}`, `Caf%C3%A9+%22Pink%22+iPod`, ""},
		{`{{ productVariant.sku | url_encode | json }}`, `"IPOD+2008%2FPINK"`, ""},
		{`{{ inventoryQuantityPrior | json | json }}`, `"12"`, ""},
		{"{{ product.id }} {{ product.legacyResourceId }}", "gid://shopify/Product/632910392 632910392", ""},
		{"{{ productVariant.id }}|{{ productVariant.legacyResourceId }}", "gid://shopify/ProductVariant/808950810|808950810", ""},
		{"{{ productVariant.inventoryItem.id }} {{ productVariant.inventoryItem.legacyResourceId }}", "gid://shopify/InventoryItem/39072856 39072856", ""},
		{"{{ shop.myshopifyDomain }}", "shop.myshopify.com", ""},
		{"a  {{- inventoryQuantityPrior -}}  b", "a12b", ""},
		{"{{ nope }}", "", "unknown variable"},
		{"{{ productVariant.sku | upcase }}", "", "unknown filter"},
		{"{{ productVariant.sku | }}", "", "empty filter"},
		{"{{ }}", "", "empty"},
		{"{{ productVariant.sku ", "", "not closed"},
		{"{% if x %}y{% endif %}", "", "tags"},
		{"{{ {{ x }} }}", "", "nested"},
	} {
		tpl, err := parseTemplate(tc.src)
		if tc.err != "" {
			if assert.Error(t, err, tc.src) {
				assert.ErrorIs(t, err, ErrTemplate)
				assert.Contains(t, err.Error(), tc.err, tc.src)
			}
			continue
		}
		require.NoError(t, err, tc.src)
		assert.Equal(t, tc.want, tpl.render(&triggerData{inv: &sampleInv, shop: "shop.myshopify.com"}), tc.src)
	}
}

func FuzzParseCondition(f *testing.F) {
	for _, s := range []string{"current < 10", "not (sku == 'a\\'b' or delta >= -3) && true", "current <", "((((", `"x`, "prior != threshold"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		c, err := parseCondition(src, true)
		if err != nil {
			if !strings.Contains(err.Error(), ErrCondition.Error()) {
				t.Fatalf("error does not wrap ErrCondition: %v", err)
			}
			return
		}
		data := triggerData{inv: &sampleInv, threshold: 5}
		first := c.eval(&data)
		if c.eval(&data) != first {
			t.Fatal("evaluation is not deterministic")
		}
	})
}

func FuzzParseTemplate(f *testing.F) {
	for _, s := range []string{"{{ productVariant.sku | url_encode | json }}", "{{-x-}}", "{{", "}}{{", "{%", "a {{ inventoryQuantityPrior }} b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		tpl, err := parseTemplate(src)
		if err != nil {
			return
		}
		data := triggerData{inv: &sampleInv, shop: "s"}
		if tpl.render(&data) != tpl.render(&data) {
			t.Fatal("rendering is not deterministic")
		}
		if !strings.Contains(src, "{{") && tpl.render(&data) != src {
			t.Fatalf("text without tags must render as itself: %q", src)
		}
	})
}

func FuzzParseWorkflows(f *testing.F) {
	f.Add(`[{"name":"low","condition":"current < 5","action":{"method":"POST","url":"https://x/{{ productVariant.sku | url_encode }}"}}]`)
	f.Add(`{"workflows":[]}`)
	f.Add(`{"workflows":[{"name":"x","action":{"method":"get","url":"http://h/","headers":[{"key":"A","value":"{{ product.title }}"}]}}]}`)
	f.Fuzz(func(t *testing.T, doc string) {
		ws, err := ParseWorkflows([]byte(doc))
		if err != nil {
			return
		}
		if _, err := compileWorkflows(ws); err != nil {
			t.Fatalf("ParseWorkflows accepted what compile refuses: %v", err)
		}
	})
}

func TestWorkflowValidation(t *testing.T) {
	t.Parallel()
	ok := HTTPRequestAction{Method: "POST", URL: "https://erp.test/stock"}
	for _, tc := range []struct {
		name string
		w    Workflow
		err  string
	}{
		{"ok", Workflow{Name: "a", Action: ok}, ""},
		{"lowercase method", Workflow{Name: "a", Action: HTTPRequestAction{Method: "patch", URL: "http://x/"}}, ""},
		{"templated url", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/{{ productVariant.sku | url_encode }}"}}, ""},
		{"no name", Workflow{Action: ok}, "name is required"},
		{"unknown trigger", Workflow{Name: "a", Trigger: "order_created", Action: ok}, "trigger"},
		{"bad condition", Workflow{Name: "a", Condition: "current <", Action: ok}, "flow condition"},
		{"bad method", Workflow{Name: "a", Action: HTTPRequestAction{Method: "TRACE", URL: "http://x/"}}, "method"},
		{"relative url", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "/x"}}, "absolute"},
		{"url template error", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/{{ y }}"}}, "unknown variable"},
		{"body template error", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", Body: "{{ a | b }}"}}, "action body"},
		{"bad header name", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", Headers: []HTTPHeader{{Key: "Bad Header", Value: "1"}}}}, "header name"},
		{"multi-line header", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", Headers: []HTTPHeader{{Key: "A", Value: "1\r\nB: 2"}}}}, "one line"},
		{"bad policy", Workflow{Name: "a", Action: HTTPRequestAction{Method: "GET", URL: "http://x/", OnClientError: "maybe"}}, "on_client_error"},
	} {
		_, err := compileWorkflow(tc.w)
		if tc.err == "" {
			assert.NoError(t, err, tc.name)
		} else if assert.Error(t, err, tc.name) {
			assert.Contains(t, err.Error(), tc.err, tc.name)
		}
	}
	_, err := compileWorkflows([]Workflow{{Name: "a", Action: ok}, {Name: "a", Action: ok}})
	assert.ErrorContains(t, err, "used twice")
}

func TestParseWorkflowsForms(t *testing.T) {
	t.Parallel()
	one := `{"name":"low","action":{"method":"POST","url":"http://x/"}}`
	for _, doc := range []string{"[" + one + "]", `{"workflows":[` + one + `]}`} {
		ws, err := ParseWorkflows([]byte(doc))
		require.NoError(t, err, doc)
		require.Len(t, ws, 1)
	}
	for _, bad := range []string{`{"workflow":[]}`, `[{"name":"x","action":{"method":"GET","url":"http://x/","extra":1}}]`, `[] []`, `nope`} {
		_, err := ParseWorkflows([]byte(bad))
		assert.Error(t, err, bad)
	}
}

func TestParseRetryAfter(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	for v, want := range map[string]time.Duration{
		"":                              -1,
		"2":                             2 * time.Second,
		"2.5":                           2500 * time.Millisecond,
		"-1":                            -1,
		"soon":                          -1,
		"Fri, 27 Nov 2026 12:01:00 GMT": time.Minute,
		"Fri, 27 Nov 2026 11:00:00 GMT": 0,
	} {
		assert.Equal(t, want, parseRetryAfter(v, now), v)
	}
}
