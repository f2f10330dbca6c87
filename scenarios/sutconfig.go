package scenarios

import (
	"time"

	"fmt"
	"os"

	"github.com/peakready/peakready/scenarios/sut"
)

// starter is the system under test the scenario's sut section describes.
func (sc *Scenario) starter(opts Options) (sut.Starter, error) {
	if x := sc.SUT.External; x != nil {
		secret := os.Getenv(x.SecretEnv)
		if secret == "" {
			return nil, fmt.Errorf("sut external: environment variable %s (secret_env) is empty: it must hold the webhook secret your integrator verifies", x.SecretEnv)
		}
		cfg := sut.ExternalConfig{WebhookURL: x.WebhookURL, Secret: secret, Topics: x.Topics, HoldsHighRisk: x.HoldsHighRisk}
		if sc.CRMKind() != "" && len(cfg.Topics) == 0 {
			cfg.Topics = append(append([]string{}, sut.OrderTopics...), sut.CustomerTopics...)
		}
		if a := x.Admin; a != nil {
			token := os.Getenv(a.TokenEnv)
			if token == "" {
				return nil, fmt.Errorf("sut external admin: environment variable %s (token_env) is empty: it must hold the integrator's admin token", a.TokenEnv)
			}
			cfg.Admin = &sut.AdminAPI{URL: a.URL, Token: token}
		}
		if f := x.Flow; f != nil && sc.Fakes.Shopify.Flow != nil {
			ep, err := f.endpoint()
			if err != nil {
				return nil, err
			}
			cfg.Flow = ep
		}
		return sut.External(cfg), nil
	}
	b := sc.SUT.Builtin
	if b == nil {
		b = &BuiltinSUT{}
	}
	redis := sc.Redis
	if opts.Redis != "" {
		redis = opts.Redis
	}
	return sut.Bundled(sut.BundledConfig{
		Replicas: b.Replicas, Workers: b.Workers, NetSuiteConcurrency: b.NetSuiteConcurrency,
		RiskCheck: b.RiskCheck == nil || *b.RiskCheck, Processes: b.Processes, Executable: opts.Executable, Redis: redis,
		RedisDurability: b.RedisDurability, PollerEvery: time.Duration(b.MissedWebhookPoller),
		CRM: sut.BundledCRM{Segments: b.CRMSegments, Unmapped: b.CRMUnmappedTags, SalesforceHeadroom: b.SalesforceHeadroom,
			HubSpotBurst: b.HubSpotBurst},
	}), nil
}

// crashes are the scenario's planned replica crashes.
func (sc *Scenario) crashes() []Crash {
	if b := sc.SUT.Builtin; b != nil && sc.SUT.External == nil {
		return b.allCrashes()
	}
	return nil
}

// redisRestarts are the scenario's planned Redis restarts.
func (sc *Scenario) redisRestarts() []RedisRestart {
	if b := sc.SUT.Builtin; b != nil && sc.SUT.External == nil {
		return b.RedisRestarts
	}
	return nil
}
