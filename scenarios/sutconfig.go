package scenarios

import (
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
		return sut.External(sut.ExternalConfig{WebhookURL: x.WebhookURL, Secret: secret, Topics: x.Topics, HoldsHighRisk: x.HoldsHighRisk}), nil
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
	}), nil
}

// crash is the scenario's planned replica crash, if any.
func (sc *Scenario) crash() *Crash {
	if b := sc.SUT.Builtin; b != nil && sc.SUT.External == nil {
		return b.Crash
	}
	return nil
}
