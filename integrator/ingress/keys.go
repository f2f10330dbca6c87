package ingress

import (
	"strings"
)

// keyRule says which payload field orders a topic's messages, and under which key prefix.
// Messages with the same key run one at a time, in arrival order.
type keyRule struct {
	prefix string // "order", "customer", ...
	field  string // top-level payload field holding the resource id
}

// keyRules maps topic prefixes (the part before the slash) to their ordering key. Events
// of an order (orders/*, fulfillments/*, refunds/*, risk assessments) share the order's
// key so they apply in arrival order.
var keyRules = map[string]keyRule{
	"orders":           {prefix: "order", field: "id"},
	"fulfillments":     {prefix: "order", field: "order_id"},
	"refunds":          {prefix: "order", field: "order_id"},
	"customers":        {prefix: "customer", field: "id"},
	"inventory_levels": {prefix: "inventory_item", field: "inventory_item_id"},
	"inventory_items":  {prefix: "inventory_item", field: "id"},
	"products":         {prefix: "product", field: "id"},
}

// exceptions whose id lives elsewhere than their family's.
var topicRules = map[string]keyRule{
	"orders/risk_assessment_changed":             {prefix: "order", field: "order_id"},
	"orders/shopify_protect_eligibility_changed": {prefix: "order", field: "order_id"},
}

// ruleFor returns the key rule of a topic. Topics of an unknown family are keyed by the
// topic and their top-level "id" (if any), so they are still stored in order.
func ruleFor(topic string) (keyRule, bool) {
	if r, ok := topicRules[topic]; ok {
		return r, true
	}
	family, _, _ := strings.Cut(topic, "/")
	r, ok := keyRules[family]
	return r, ok
}

// validTopic accepts Shopify topic names: lowercase words joined by one slash
// ("orders/create", "inventory_levels/update").
func validTopic(t string) bool {
	if len(t) == 0 || len(t) > 128 {
		return false
	}
	slash := 0
	for i := 0; i < len(t); i++ {
		c := t[i]
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9', c == '_':
		case c == '/':
			slash++
			if i == 0 || i == len(t)-1 {
				return false
			}
		default:
			return false
		}
	}
	return slash == 1
}

// validID accepts a resource id as Shopify writes it: a positive integer.
func validID(s string) bool {
	if len(s) == 0 || len(s) > 20 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != "0"
}
