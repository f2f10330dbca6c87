package scenarios

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/integrator/crm"
)

// SalesforceFake configures the fake Salesforce org (fakes.salesforce).
type SalesforceFake struct {
	Edition  string `yaml:"edition"`
	Licenses int    `yaml:"licenses"`
	// DailyLimit is the org's daily API allocation (0: the edition's formula).
	DailyLimit int64 `yaml:"daily_limit"`
	// OtherUsage are calls other integrations made before the run, each batch leaving the
	// rolling 24 hours RollsOffAt after the start: the allocation is low when the run
	// begins and frees at a known moment.
	OtherUsage []OtherUsage  `yaml:"other_usage"`
	Latency    Dist          `yaml:"latency"`
	Addr       string        `yaml:"addr"`
	Faults     []faults.Rule `yaml:"faults"`
}

// OtherUsage is Calls made by other integrations that roll off RollsOffAt into the run.
type OtherUsage struct {
	Calls      int64    `yaml:"calls"`
	RollsOffAt Duration `yaml:"rolls_off_at"`
}

// HubSpotFake configures the fake HubSpot account (fakes.hubspot).
type HubSpotFake struct {
	Tier string `yaml:"tier"`
	// Burst is the private app's calls per 10 s (0: the tier's); Daily the account's
	// daily limit (0: the tier's); SearchPerSecond search's limit (0: 4).
	Burst           int           `yaml:"burst"`
	Daily           int64         `yaml:"daily"`
	SearchPerSecond int           `yaml:"search_per_second"`
	Latency         Dist          `yaml:"latency"`
	Addr            string        `yaml:"addr"`
	Faults          []faults.Rule `yaml:"faults"`
}

// CRMSUT is what a system under test does with customers: the CRM it syncs them to and
// the tag → segment rules the checker expects of it.
type CRMSUT struct {
	// CRM is salesforce, hubspot or none (default none: no CRM fake, no CRM checks).
	CRM string `yaml:"crm"`
	// CRMSegments maps Shopify tags to CRM segment values; CRMUnmappedTags says what
	// happens to other tags: ignore (default) or pass (they become segments of their own).
	CRMSegments     map[string]string `yaml:"crm_segments"`
	CRMUnmappedTags string            `yaml:"crm_unmapped_tags"`
	// SalesforceHeadroom and HubSpotBurst configure the bundled integrator's limiters
	// (0: its defaults; the burst then follows the fake's).
	SalesforceHeadroom float64 `yaml:"salesforce_headroom"`
	HubSpotBurst       int     `yaml:"hubspot_burst"`
}

// CRMAssertions are the CRM budgets of assertions.
type CRMAssertions struct {
	// CRMMaxThrottledShare budgets the CRM's refusals for its limits (429,
	// REQUEST_LIMIT_EXCEEDED) as a share of its requests.
	CRMMaxThrottledShare *float64 `yaml:"crm_max_throttled_share"`
	// CRMMinBurstUse is the least share of HubSpot's ten-second budget the system must use
	// over its busiest minute (HubSpot only).
	CRMMinBurstUse *float64 `yaml:"crm_min_burst_use"`
}

// crmSUT is the system under test's CRM section (builtin or external).
func (s *Scenario) crmSUT() CRMSUT {
	if x := s.SUT.External; x != nil {
		return x.CRMSUT
	}
	if b := s.SUT.Builtin; b != nil {
		return b.CRMSUT
	}
	return CRMSUT{}
}

// CRMKind is the run's CRM: salesforce, hubspot, or "" for none.
func (s *Scenario) CRMKind() string {
	k := strings.ToLower(s.crmSUT().CRM)
	if k == "none" {
		return ""
	}
	return k
}

// segmentMap is the tag → segment rule the checker expects.
func (s *Scenario) segmentMap() crm.SegmentMap {
	c := s.crmSUT()
	m := crm.SegmentMap{Segments: map[string]string{}, Unmapped: crm.UnmappedTags(c.CRMUnmappedTags)}
	if m.Unmapped == "" {
		m.Unmapped = crm.IgnoreUnmapped
	}
	for k, v := range c.CRMSegments {
		m.Segments[strings.ToLower(strings.TrimSpace(k))] = strings.TrimSpace(v)
	}
	return m
}

var salesforceEditions = []string{"", "developer", "enterprise", "professional", "unlimited", "performance", "sandbox"}
var hubspotTiers = []string{"", "free", "starter", "professional", "enterprise"}

// validateCRM checks the CRM sections.
func (s *Scenario) validateCRM(c *checker) {
	section := "builtin"
	if s.SUT.External != nil {
		section = "external"
	}
	cs := s.crmSUT()
	switch strings.ToLower(cs.CRM) {
	case "", "none", "salesforce", "hubspot":
	default:
		c.at(fmt.Sprintf("crm %q must be salesforce, hubspot or none", cs.CRM), "sut", section, "crm")
	}
	switch crm.UnmappedTags(cs.CRMUnmappedTags) {
	case "", crm.IgnoreUnmapped, crm.PassUnmapped:
	default:
		c.at(fmt.Sprintf("crm_unmapped_tags %q must be ignore or pass", cs.CRMUnmappedTags), "sut", section, "crm_unmapped_tags")
	}
	for k, v := range cs.CRMSegments {
		if strings.TrimSpace(k) == "" || strings.TrimSpace(v) == "" || strings.Contains(v, ";") {
			c.at(fmt.Sprintf("crm_segments %q: %q: tags and segments must not be empty, segments must not contain ';'", k, v), "sut", section, "crm_segments")
		}
	}
	if cs.SalesforceHeadroom < 0 || cs.SalesforceHeadroom >= 1 {
		c.at("salesforce_headroom must be from 0 to 0.99", "sut", section, "salesforce_headroom")
	}
	if cs.HubSpotBurst < 0 {
		c.at("hubspot_burst must not be negative", "sut", section, "hubspot_burst")
	}
	sf := &s.Fakes.Salesforce
	if !slices.Contains(salesforceEditions, sf.Edition) {
		c.at(fmt.Sprintf("salesforce edition %q must be developer, enterprise, professional, unlimited, performance or sandbox", sf.Edition), "fakes", "salesforce", "edition")
	}
	if sf.DailyLimit < 0 || sf.Licenses < 0 {
		c.at("salesforce: daily_limit and licenses must not be negative", "fakes", "salesforce")
	}
	for i, u := range sf.OtherUsage {
		if u.Calls <= 0 || u.RollsOffAt <= 0 || u.RollsOffAt.D() > 24*60*60*1e9 {
			c.at(fmt.Sprintf("salesforce other_usage[%d]: calls must be above 0 and rolls_off_at within 24h", i), "fakes", "salesforce", "other_usage", strconv.Itoa(i))
		}
	}
	hs := &s.Fakes.HubSpot
	if !slices.Contains(hubspotTiers, hs.Tier) {
		c.at(fmt.Sprintf("hubspot tier %q must be free, starter, professional or enterprise", hs.Tier), "fakes", "hubspot", "tier")
	}
	if hs.Burst < 0 || hs.Daily < 0 || hs.SearchPerSecond < 0 {
		c.at("hubspot: burst, daily and search_per_second must not be negative", "fakes", "hubspot")
	}
	for _, f := range []struct {
		name  string
		rules []faults.Rule
	}{{"salesforce", sf.Faults}, {"hubspot", hs.Faults}} {
		for i, r := range f.rules {
			if err := r.Validate(); err != nil {
				c.at(f.name+" faults: "+err.Error(), "fakes", f.name, "faults", strconv.Itoa(i))
			}
		}
	}
	for _, a := range []struct {
		name string
		v    *float64
	}{{"crm_max_throttled_share", s.Assertions.CRMMaxThrottledShare}, {"crm_min_burst_use", s.Assertions.CRMMinBurstUse}} {
		if a.v != nil && !share(*a.v) {
			c.at(a.name+" must be a share from 0 to 1", "assertions", a.name)
		}
	}
	if s.Traffic.Orders.InvalidEmailShare != nil && !share(*s.Traffic.Orders.InvalidEmailShare) {
		c.at("invalid_email_share must be a share from 0 to 1", "traffic", "orders", "invalid_email_share")
	}
	if s.Traffic.Mix.CustomerEdit < 0 {
		c.at("mix weight customer_edit must not be negative", "traffic", "mix", "customer_edit")
	}
	if k := s.CRMKind(); k != "" && s.SUT.External != nil {
		addr := sf.Addr
		if k == "hubspot" {
			addr = hs.Addr
		}
		if addr == "" {
			c.at(fmt.Sprintf("sut external crm %s: fakes.%s.addr is required, so your integrator knows where it is", k, k), "fakes", k, "addr")
		}
	}
	for name, addr := range map[string]string{"salesforce": sf.Addr, "hubspot": hs.Addr} {
		if addr == "" {
			continue
		}
		host, _, err := splitHostPort(addr)
		if err != nil || !loopback(host) {
			c.at(fmt.Sprintf("fakes.%s.addr %q must be a loopback HOST:PORT", name, addr), "fakes", name, "addr")
		}
	}
}
