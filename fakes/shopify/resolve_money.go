package shopify

import (
	"encoding/json"
	"strings"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// money is a MoneyV2 in the shop's currency.
func money(rc *gql.ResolveContext, cents int64) any {
	return map[string]any{"amount": catalog.Money(cents), "currencyCode": reqOf(rc).s.store.Currency()}
}

// registerMoney registers MoneyBag, an amount in shop and presentment currency (always
// the shop's).
func registerMoney(e *gql.Executor) {
	register(e, "MoneyBag", typeResolvers{
		"shopMoney":        func(rc *gql.ResolveContext, p any) (any, error) { return money(rc, int64(p.(moneyBag))), nil },
		"presentmentMoney": func(rc *gql.ResolveContext, p any) (any, error) { return money(rc, int64(p.(moneyBag))), nil },
	})
}

// registerTransactions registers OrderTransaction.
func registerTransactions(e *gql.Executor) {
	register(e, "OrderTransaction", typeResolvers{
		"id": func(_ *gql.ResolveContext, p any) (any, error) {
			return store.GID("OrderTransaction", p.(*store.Transaction).ID), nil
		},
		"kind": func(_ *gql.ResolveContext, p any) (any, error) {
			return strings.ToUpper(p.(*store.Transaction).Kind), nil
		},
		"status": func(_ *gql.ResolveContext, p any) (any, error) {
			return strings.ToUpper(p.(*store.Transaction).Status), nil
		},
		"gateway": func(_ *gql.ResolveContext, p any) (any, error) { return p.(*store.Transaction).Gateway, nil },
		"formattedGateway": func(_ *gql.ResolveContext, p any) (any, error) {
			return formattedGateway(p.(*store.Transaction).Gateway), nil
		},
		"authorizationCode": func(_ *gql.ResolveContext, p any) (any, error) {
			return nonEmpty(p.(*store.Transaction).Authorization), nil
		},
		"amountSet": func(_ *gql.ResolveContext, p any) (any, error) {
			return moneyBag(p.(*store.Transaction).AmountCents), nil
		},
		"createdAt":   func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Transaction).CreatedAt), nil },
		"processedAt": func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(p.(*store.Transaction).CreatedAt), nil },
		"test":        func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"receiptJson": func(_ *gql.ResolveContext, p any) (any, error) {
			t := p.(*store.Transaction)
			if t.Authorization == "" {
				return "{}", nil
			}
			b, _ := json.Marshal(map[string]string{"payment_id": t.Authorization})
			return string(b), nil
		},
	})
}

// formattedGateway is the name a gateway is shown with.
func formattedGateway(g string) string {
	switch g {
	case "shopify_payments":
		return "Shopify Payments"
	case "bank_deposit":
		return "Bank Deposit"
	case "paypal":
		return "PayPal Express Checkout"
	}
	return "Manual"
}
