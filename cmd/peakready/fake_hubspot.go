package main

import (
	"context"
	"os"
	"strings"

	"github.com/peakready/peakready/fakes/hubspot"
)

// envHubSpotTokens supplies --token when the flag is not given (comma-separated), so
// tokens need not appear in a process list.
const envHubSpotTokens = "PEAKREADY_HUBSPOT_TOKENS"

func init() {
	registerFake("hubspot", "HubSpot CRM v3: contacts, batch upsert, search, properties, burst/daily/search limits", runFakeHubSpot)
}

// stringList is a repeatable string flag.
type stringList []string

func (l *stringList) String() string { return strings.Join(*l, ",") }

func (l *stringList) Set(v string) error {
	*l = append(*l, v)
	return nil
}

func runFakeHubSpot(ctx context.Context, args []string, s streams) int {
	const cmd = "fake hubspot"
	fs := newFlagSet(cmd, "Serves a fake HubSpot account (CRM v3): contacts by id, email or a unique property, batch\n"+
		"read/create/update/upsert, search, the properties API, HubSpot's error bodies, and its limits:\n"+
		"the 10-second burst per app, the daily limit per account (reset at midnight in --timezone) and\n"+
		"search's own limit per second, with X-HubSpot-RateLimit-* headers and 429 policyName bodies.\n"+
		"Reference: docs/fake-hubspot.md", s)
	var common fakeFlags
	common.register(fs, "127.0.0.1:8085")
	var l hubspot.Limits
	searchDaily := true
	fs.StringVar(&l.Tier, "tier", hubspot.DefaultTier, "subscription: free, starter, professional or enterprise (burst 100/100/190/190 per 10 s, 250k/250k/625k/1M a day)")
	fs.IntVar(&l.APILimitIncrease, "api-limit-increase", 0, "API Limit Increase packs, 0-2: each adds 1,000,000 a day; any raises the burst to 250")
	fs.IntVar(&l.Burst, "burst", 0, "private-app burst limit per --burst-window; 0 means the tier's")
	fs.StringVar(&l.BurstWindow, "burst-window", hubspot.DefaultBurstWindow, "rolling window of the burst limit (platform time)")
	fs.Int64Var(&l.Daily, "daily", 0, "daily limit of the account; 0 means the tier's (professional: 625,000; the changelog says 650,000)")
	fs.IntVar(&l.OAuthBurst, "oauth-burst", hubspot.DefaultOAuthBurst, "burst of a public (OAuth) app per --burst-window (110 is also cited, unconfirmed)")
	fs.IntVar(&l.SearchPerSecond, "search-per-second", hubspot.DefaultSearchPerSecond, "search requests per second per token (some sources say 5)")
	fs.BoolVar(&searchDaily, "search-counts-daily", true, "search requests count against the daily limit (unconfirmed)")
	fs.BoolVar(&l.SendRetryAfter, "send-retry-after", false, "add Retry-After to 429s (HubSpot documents none)")
	fs.StringVar(&l.Timezone, "timezone", hubspot.DefaultTimezone, "the account's time zone; the daily limit resets at its midnight")
	fs.StringVar(&l.SearchIndexLag, "search-index-lag", "0", "how long a write takes to show in search results (platform time); 0 for none")
	fs.StringVar(&l.ConflictCategory, "conflict-category", hubspot.DefaultConflictCategory, "category of the 409 for a duplicate contact: CONFLICT or OBJECT_ALREADY_EXISTS")
	fs.IntVar(&l.BatchMax, "batch-max", hubspot.DefaultBatchMax, "most inputs per batch request")
	fs.IntVar(&l.ListPageMax, "list-page-max", hubspot.DefaultListPageMax, "largest limit of a contact list page")
	fs.IntVar(&l.SearchPageMax, "search-page-max", hubspot.DefaultSearchPageMax, "largest search limit (some connectors cap it at 100)")
	fs.IntVar(&l.SearchTotalMax, "search-total-max", hubspot.DefaultSearchTotalMax, "how far a search can page; paging past it answers 400")
	fs.IntVar(&l.SearchFilterGroupsMax, "search-filter-groups-max", hubspot.DefaultFilterGroupsMax, "most filter groups in a search")
	fs.IntVar(&l.SearchFiltersMax, "search-filters-max", hubspot.DefaultFiltersMax, "most filters in a search, all groups together")
	fs.IntVar(&l.SearchFiltersPerGroupMax, "search-filters-per-group-max", hubspot.DefaultFiltersPerGroupMax, "most filters in one filter group")
	fs.StringVar(&l.ExternalIDProperty, "external-id-property", hubspot.DefaultExternalIDProperty, "unique contact property the ledger uses as external id, created at start if missing; none for none")
	fs.StringVar(&l.Latency, "latency", hubspot.DefaultLatency, "service time of every admitted call: 300ms, uniform(a,b), normal(m,sd), lognormal(p50,p99), or 0")
	var tokens stringList
	fs.Var(&tokens, "token", "a bearer token to accept, repeatable; pat-... is a private app's, anything else an OAuth access token (default: accept any; also $"+envHubSpotTokens+", comma-separated)")
	portalID := fs.Int64("portal-id", hubspot.DefaultPortalID, "the account id in rate-limit group names and validation errors")
	if code, done := parse(fs, args); done {
		return code
	}
	if err := common.validate(); err != nil {
		return fail(s, cmd, exitUsage, "%v", err)
	}
	l.SearchCountsDaily = &searchDaily
	if len(tokens) == 0 {
		for _, t := range strings.Split(os.Getenv(envHubSpotTokens), ",") {
			if t = strings.TrimSpace(t); t != "" {
				tokens = append(tokens, t)
			}
		}
	}
	if *portalID <= 0 {
		return fail(s, cmd, exitUsage, "--portal-id %d must be positive", *portalID)
	}
	srv, err := hubspot.New(hubspot.Options{
		Clock: common.clock(), Seed: common.seed, Limits: l, Tokens: tokens, PortalID: *portalID,
		Logger: common.logger(s.err),
	})
	if err != nil {
		return fail(s, cmd, exitUsage, "%s", knobFlagNames(err.Error(), "hubspot", l))
	}
	if err := common.applyProfileUnderFlags(fs, srv.Fake(), "hubspot", l); err != nil {
		return fail(s, cmd, exitUsage, "%v", err)
	}
	return serveFake(ctx, s, "hubspot", srv, common.addr)
}
