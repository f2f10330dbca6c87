package main

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator"
)

// crmSettings are the integrator's CRM settings (inline in the config file).
type crmSettings struct {
	CRM                    string        `yaml:"crm"`
	SalesforceURL          string        `yaml:"salesforce_url"`
	SalesforceClientID     string        `yaml:"salesforce_client_id"`
	SalesforceClientSecret string        `yaml:"salesforce_client_secret"`
	SalesforceAPIVersion   string        `yaml:"salesforce_api_version"`
	SalesforceHeadroom     string        `yaml:"salesforce_headroom"`
	HubSpotURL             string        `yaml:"hubspot_url"`
	HubSpotToken           string        `yaml:"hubspot_token"`
	HubSpotBurst           int           `yaml:"hubspot_burst"`
	HubSpotSearchPerSecond int           `yaml:"hubspot_search_per_second"`
	HubSpotTimeZone        string        `yaml:"hubspot_timezone"`
	HubSpotWindowMargin    time.Duration `yaml:"hubspot_window_margin"`
	CRMSegments            string        `yaml:"crm_segments"`
	CRMUnmappedTags        string        `yaml:"crm_unmapped_tags"`
	CRMLTVAt               string        `yaml:"crm_ltv_at"`
	CRMLTVTimeZone         string        `yaml:"crm_ltv_timezone"`
}

func (s *crmSettings) table() []setting {
	return []setting{
		{flag: "crm", env: "PEAKREADY_CRM", help: "sync customers to this CRM: salesforce, hubspot or none", str: &s.CRM},
		{flag: "salesforce-url", env: "PEAKREADY_SALESFORCE_URL", help: "Salesforce login or My Domain URL (https://example.my.salesforce.com) or a fake's URL (with --crm salesforce)", str: &s.SalesforceURL},
		{flag: "salesforce-client-id", env: "PEAKREADY_SALESFORCE_CLIENT_ID", help: "the connected app's consumer key (OAuth 2.0 client credentials flow)", str: &s.SalesforceClientID},
		{flag: "salesforce-client-secret", env: "PEAKREADY_SALESFORCE_CLIENT_SECRET", help: "the connected app's consumer secret; prefer PEAKREADY_SALESFORCE_CLIENT_SECRET_FILE", secret: true, str: &s.SalesforceClientSecret},
		{flag: "salesforce-api-version", env: "PEAKREADY_SALESFORCE_API_VERSION", help: "Salesforce REST API version (v46.0 or later)", str: &s.SalesforceAPIVersion},
		{flag: "salesforce-headroom", env: "PEAKREADY_SALESFORCE_HEADROOM", help: "share of the org's daily API allocation left to other integrations, 0 to 0.99: the integration snoozes its work at 1 − headroom of it (default 0.10)", str: &s.SalesforceHeadroom},
		{flag: "hubspot-url", env: "PEAKREADY_HUBSPOT_URL", help: "HubSpot API base URL, or a fake's (default https://api.hubapi.com)", str: &s.HubSpotURL},
		{flag: "hubspot-token", env: "PEAKREADY_HUBSPOT_TOKEN", help: "HubSpot private app access token (pat-...); prefer PEAKREADY_HUBSPOT_TOKEN_FILE", secret: true, str: &s.HubSpotToken},
		{flag: "hubspot-burst", env: "PEAKREADY_HUBSPOT_BURST", help: "the app's calls per 10 seconds, shared by all replicas: 100 (Free, Starter), 190 (Professional, Enterprise), 250 (API add-on); default 100", num: &s.HubSpotBurst},
		{flag: "hubspot-search-per-second", env: "PEAKREADY_HUBSPOT_SEARCH_PER_SECOND", help: "CRM search requests per second (default 4)", num: &s.HubSpotSearchPerSecond},
		{flag: "hubspot-timezone", env: "PEAKREADY_HUBSPOT_TIMEZONE", help: "the HubSpot account's time zone (IANA name), where its daily limit resets at midnight (default UTC)", str: &s.HubSpotTimeZone},
		{flag: "hubspot-window-margin", env: "PEAKREADY_HUBSPOT_WINDOW_MARGIN", help: "added to the 10-second window the integrator counts calls in, against clock skew between replicas and HubSpot (default 100ms)", dur: &s.HubSpotWindowMargin},
		{flag: "crm-segments", env: "PEAKREADY_CRM_SEGMENTS", help: "YAML file mapping Shopify customer tags to CRM segment values (tag: segment)", str: &s.CRMSegments},
		{flag: "crm-unmapped-tags", env: "PEAKREADY_CRM_UNMAPPED_TAGS", help: "ignore (default): tags the mapping does not name are not segments; pass: they become segments of their own", str: &s.CRMUnmappedTags},
		{flag: "crm-ltv-at", env: "PEAKREADY_CRM_LTV_AT", help: "local time (HH:MM) of the nightly lifetime-value batch (default 03:00)", str: &s.CRMLTVAt},
		{flag: "crm-ltv-timezone", env: "PEAKREADY_CRM_LTV_TIMEZONE", help: "time zone (IANA name) of --crm-ltv-at (default UTC)", str: &s.CRMLTVTimeZone},
	}
}

// config turns the settings into the integrator's CRMConfig.
func (s *crmSettings) config() (integrator.CRMConfig, error) {
	c := integrator.CRMConfig{Kind: strings.ToLower(s.CRM),
		SalesforceURL: s.SalesforceURL, SalesforceClientID: s.SalesforceClientID, SalesforceClientSecret: s.SalesforceClientSecret,
		SalesforceAPIVersion: s.SalesforceAPIVersion,
		HubSpotURL:           s.HubSpotURL, HubSpotToken: s.HubSpotToken, HubSpotBurst: s.HubSpotBurst, HubSpotSearchPerSecond: s.HubSpotSearchPerSecond,
		HubSpotTimeZone: s.HubSpotTimeZone, HubSpotWindowMargin: s.HubSpotWindowMargin,
		SegmentsFile: s.CRMSegments, UnmappedTags: s.CRMUnmappedTags, LTVAt: s.CRMLTVAt, LTVTimeZone: s.CRMLTVTimeZone}
	if s.SalesforceHeadroom != "" {
		h, err := strconv.ParseFloat(s.SalesforceHeadroom, 64)
		if err != nil || h < 0 || h >= 1 {
			return c, fmt.Errorf("--salesforce-headroom %q must be a number from 0 to 0.99", s.SalesforceHeadroom)
		}
		c.SalesforceHeadroom = h
		if h == 0 {
			c.SalesforceHeadroom = -1 // throttle.NoHeadroom: keep none
		}
	}
	return c, nil
}
