package sut

import (
	"context"
	"errors"
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
