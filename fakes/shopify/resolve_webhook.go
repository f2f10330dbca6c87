package shopify

import (
	"github.com/peakready/peakready/fakes/shopify/gql"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/fakes/shopify/webhooks"
)

// subscriptions resolves QueryRoot.webhookSubscriptions, filtered by topics and
// callbackUrl.
func (r *gqlRequest) subscriptions(rc *gql.ResolveContext) (any, error) {
	topics, _ := rc.Args.Strings("topics")
	url, hasURL := rc.Args.String("callbackUrl")
	var subs []webhooks.Subscription
	for _, s := range r.s.registry.Subscriptions() {
		if hasURL && s.URL != url {
			continue
		}
		if len(topics) > 0 {
			match := false
			for _, t := range topics {
				match = match || topicEnumToREST[t] == s.Topic
			}
			if !match {
				continue
			}
		}
		subs = append(subs, s)
	}
	return sliceConnection(rc, len(subs), func(i int) int64 { _, id, _, _ := store.ParseGID(subs[i].ID); return id },
		func(i int) any { return &subscriptionValue{sub: subs[i]} })
}

// registerWebhookObjects registers WebhookSubscription and its endpoint.
func registerWebhookObjects(e *gql.Executor) {
	sub := func(p any) webhooks.Subscription { return p.(*subscriptionValue).sub }
	register(e, "WebhookSubscription", typeResolvers{
		"id":                  func(_ *gql.ResolveContext, p any) (any, error) { return sub(p).ID, nil },
		"topic":               func(_ *gql.ResolveContext, p any) (any, error) { return topicRESTToEnum(sub(p).Topic), nil },
		"format":              func(*gql.ResolveContext, any) (any, error) { return "JSON", nil },
		"endpoint":            func(_ *gql.ResolveContext, p any) (any, error) { return httpEndpoint{url: sub(p).URL}, nil },
		"callbackUrl":         func(_ *gql.ResolveContext, p any) (any, error) { return sub(p).URL, nil },
		"uri":                 func(_ *gql.ResolveContext, p any) (any, error) { return sub(p).URL, nil },
		"name":                func(_ *gql.ResolveContext, p any) (any, error) { return nonEmpty(sub(p).Name), nil },
		"includeFields":       func(*gql.ResolveContext, any) (any, error) { return []string{}, nil },
		"metafieldNamespaces": func(*gql.ResolveContext, any) (any, error) { return []string{}, nil },
		"createdAt":           func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(sub(p).CreatedAt), nil },
		"updatedAt":           func(_ *gql.ResolveContext, p any) (any, error) { return gqlTime(sub(p).CreatedAt), nil },
	})
	register(e, "WebhookHttpEndpoint", typeResolvers{
		"callbackUrl": func(_ *gql.ResolveContext, p any) (any, error) { return p.(httpEndpoint).url, nil },
	})
}
