package main

import (
	"fmt"
	"strings"

	"github.com/peakready/peakready/integrator"
)

// flowSettings are the integrator's Shopify Flow ingress settings (inline in the config
// file).
type flowSettings struct {
	Flow               string `yaml:"flow"`
	FlowSecret         string `yaml:"flow_secret"`
	PreviousFlowSecret string `yaml:"previous_flow_secret"`
	FlowSecretHeader   string `yaml:"flow_secret_header"`
}

func (s *flowSettings) table() []setting {
	return []setting{
		{flag: "flow", env: "PEAKREADY_FLOW", help: "on: take Shopify Flow's \"Send HTTP request\" at POST " + integrator.FlowPath + " and recheck the SKU's stock against NetSuite (needs --inventory on); off (default)", str: &s.Flow},
		{flag: "flow-secret", env: "PEAKREADY_FLOW_SECRET", help: "the secret the Flow action sends in --flow-secret-header (required with --flow on); prefer PEAKREADY_FLOW_SECRET_FILE", secret: true, str: &s.FlowSecret},
		{flag: "previous-flow-secret", env: "PEAKREADY_PREVIOUS_FLOW_SECRET", help: "previous Flow secret, accepted while workflows move to the new one", secret: true, str: &s.PreviousFlowSecret},
		{flag: "flow-secret-header", env: "PEAKREADY_FLOW_SECRET_HEADER", help: "header carrying the Flow secret: Authorization (default) as \"Bearer <secret>\", any other name as the bare secret", str: &s.FlowSecretHeader},
	}
}

// config turns the settings into the integrator's FlowConfig.
func (s *flowSettings) config() (integrator.FlowConfig, error) {
	c := integrator.FlowConfig{Secret: s.FlowSecret, PreviousSecret: s.PreviousFlowSecret, Header: s.FlowSecretHeader}
	switch strings.ToLower(strings.TrimSpace(s.Flow)) {
	case "", "off":
		return integrator.FlowConfig{}, nil
	case "on":
		c.Enabled = true
		return c, nil
	}
	return integrator.FlowConfig{}, fmt.Errorf("--flow %q must be on or off", s.Flow)
}
