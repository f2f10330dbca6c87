package sut

import (
	"context"
	"errors"
	"fmt"
	"net/url"
)

// ExternalConfig describes a team's own integrator, already running.
type ExternalConfig struct {
	// WebhookURL receives Shopify webhooks.
	WebhookURL string
	// Secret is the webhook secret the integrator verifies.
	Secret string
	// Topics it subscribes to (default OrderTopics).
	Topics []string
	// HoldsHighRisk says it keeps high-risk orders out of the ERP.
	HoldsHighRisk bool
	// Admin, when set, is a peakready integrator's admin API (the reference integrator
	// deployed on its own, e.g. in a staging cluster): the runner then sees its queue and
	// what it held and dead-lettered.
	Admin *AdminAPI
	// Flow, when set, is where the integrator takes Shopify Flow's low-stock requests.
	Flow *FlowEndpoint
}

// AdminAPI addresses a peakready integrator's admin API.
type AdminAPI struct {
	URL   string
	Token string
}

// External returns a Starter for an integrator that runs on its own: the runner only
// delivers webhooks to it. It brings its own credentials, so the fakes accept any.
func External(cfg ExternalConfig) Starter { return external{cfg: cfg} }

type external struct{ cfg ExternalConfig }

func (external) Credentials() Credentials { return Credentials{} }

func (x external) Start(context.Context, Upstreams) (SUT, error) {
	u, err := url.Parse(x.cfg.WebhookURL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, errors.New("external system: the webhook URL must be http(s)://host/path")
	}
	if x.cfg.Secret == "" {
		return nil, errors.New("external system: a webhook secret is required")
	}
	if a := x.cfg.Admin; a != nil {
		obs, err := newAdminObserver(a.URL, a.Token)
		if err != nil {
			return nil, fmt.Errorf("external system: admin API: %w", err)
		}
		return externalAdmin{external: x, admin: obs}, nil
	}
	return x, nil
}

func (x external) Webhooks() Webhooks {
	return Webhooks{URL: x.cfg.WebhookURL, Secret: x.cfg.Secret, Topics: x.cfg.Topics}
}

func (x external) Traits() Traits {
	return Traits{Description: "external: " + x.cfg.WebhookURL, HoldsHighRisk: x.cfg.HoldsHighRisk}
}

// Accounted is unknown: an external system does not say what it held or dead-lettered.
func (external) Accounted(context.Context) (Accounted, error) { return Accounted{}, nil }

func (external) Close() error { return nil }

// externalAdmin is an external peakready integrator whose admin API the runner reads.
type externalAdmin struct {
	external
	admin adminObserver
}

var (
	_ QueueObserver   = externalAdmin{}
	_ LimitObserver   = externalAdmin{}
	_ StockOverwriter = externalAdmin{}
)

func (x externalAdmin) QueueStats(ctx context.Context) (QueueStats, error) {
	return x.admin.QueueStats(ctx)
}

func (x externalAdmin) LimitStats(ctx context.Context) (LimitStats, error) {
	return x.admin.LimitStats(ctx)
}

func (x externalAdmin) Accounted(ctx context.Context) (Accounted, error) {
	return x.admin.accounted(ctx)
}

// Overwrite asks the integrator's admin API for a stock overwrite.
func (x externalAdmin) Overwrite(ctx context.Context) error { return x.admin.overwrite(ctx) }
