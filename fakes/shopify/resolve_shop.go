package shopify

import (
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
)

// registerShop registers Shop and its plan.
func registerShop(e *gql.Executor) {
	register(e, "Shop", typeResolvers{
		"id": func(rc *gql.ResolveContext, _ any) (any, error) {
			return store.GID("Shop", reqOf(rc).s.store.ShopID()), nil
		},
		"name": func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.ShopName(), nil },
		"email": func(rc *gql.ResolveContext, _ any) (any, error) {
			return "owner@" + reqOf(rc).s.store.ShopName() + ".example.com", nil
		},
		"myshopifyDomain":      func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.Shop(), nil },
		"url":                  func(rc *gql.ResolveContext, _ any) (any, error) { return "https://" + reqOf(rc).s.store.Shop(), nil },
		"currencyCode":         func(rc *gql.ResolveContext, _ any) (any, error) { return reqOf(rc).s.store.Currency(), nil },
		"ianaTimezone":         func(*gql.ResolveContext, any) (any, error) { return "America/New_York", nil },
		"timezoneAbbreviation": func(*gql.ResolveContext, any) (any, error) { return "EST", nil },
		"plan": func(rc *gql.ResolveContext, _ any) (any, error) {
			return planValue{reqOf(rc).s.limits.config().Plan}, nil
		},
	})
	register(e, "ShopPlan", typeResolvers{
		"displayName": func(_ *gql.ResolveContext, p any) (any, error) {
			return map[string]string{"standard": "Basic", "advanced": "Advanced", "plus": "Shopify Plus", "enterprise": "Commerce Components"}[p.(planValue).plan], nil
		},
		"partnerDevelopment": func(*gql.ResolveContext, any) (any, error) { return false, nil },
		"shopifyPlus": func(_ *gql.ResolveContext, p any) (any, error) {
			pl := p.(planValue).plan
			return pl == "plus" || pl == "enterprise", nil
		},
	})
}
