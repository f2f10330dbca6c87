package hubspot

import (
	"fmt"
	"regexp"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/latency"
)

// Limits are the fake's limit, latency and behaviour knobs. The JSON names are the
// command-line flag names with dashes turned into underscores; the same object is the
// "limits" part of PUT /_fake/faults and of a --profile file. A zero field means its
// default; Server.Limits returns every default filled in.
//
// Numbers the reference marks UNCONFIRMED or DISAGREE are knobs whose default is the
// reference's first value.
type Limits struct {
	// Tier is the account's subscription: free, starter, professional or enterprise. It
	// sets the private-app burst (100 per 10 s for free and starter, 190 otherwise) and
	// the daily limit (250,000; 625,000; 1,000,000). Default professional.
	Tier string `json:"tier"`
	// APILimitIncrease is the number of API Limit Increase packs, 0 to 2: each adds
	// 1,000,000 calls a day; any raises the burst to 250 (the burst does not stack).
	APILimitIncrease int `json:"api_limit_increase"`
	// Burst, when positive, is the private-app burst limit itself and wins over the tier.
	Burst int `json:"burst"`
	// BurstWindow is the rolling window of the burst limit. Default 10s.
	BurstWindow string `json:"burst_window"`
	// Daily, when positive, is the account's daily limit itself and wins over the tier.
	// Professional is 625,000 in the current docs, 650,000 in the changelog (DISAGREE).
	Daily int64 `json:"daily"`
	// OAuthBurst is the burst limit of a public (OAuth) app per installed account.
	// Default 100 (110 is widely cited, UNCONFIRMED).
	OAuthBurst int `json:"oauth_burst"`
	// SearchPerSecond is the CRM search limit per token. Default 4 (DISAGREE: 5).
	SearchPerSecond int `json:"search_per_second"`
	// SearchCountsDaily makes search requests count against the daily limit. Default
	// true (UNCONFIRMED).
	SearchCountsDaily *bool `json:"search_counts_daily"`
	// SendRetryAfter adds Retry-After (whole seconds until the limit admits a request)
	// to 429s. HubSpot does not document one. Default false.
	SendRetryAfter bool `json:"send_retry_after"`
	// Timezone is the account's time zone, whose midnight resets the daily limit.
	// Default America/New_York.
	Timezone string `json:"timezone"`
	// SearchIndexLag is how long a write takes to show in search results (eventual
	// consistency; UNCONFIRMED, commonly observed). Default 0 (off).
	SearchIndexLag string `json:"search_index_lag"`
	// ConflictCategory is the category of the 409 for a duplicate contact: CONFLICT
	// (default) or OBJECT_ALREADY_EXISTS (one fixture; DISAGREE).
	ConflictCategory string `json:"conflict_category"`
	// BatchMax is the most inputs a batch request takes. Default 100.
	BatchMax int `json:"batch_max"`
	// ListPageMax is the largest limit of GET /crm/v3/objects/contacts. Default 100.
	ListPageMax int `json:"list_page_max"`
	// SearchPageMax is the largest search limit. Default 200 (DISAGREE: 100).
	SearchPageMax int `json:"search_page_max"`
	// SearchTotalMax is how far a search can page. Default 10,000.
	SearchTotalMax int `json:"search_total_max"`
	// SearchFilterGroupsMax, SearchFiltersMax and SearchFiltersPerGroupMax cap a search's
	// filters. Default 5, 25 and 10 (since 2024-08-26).
	SearchFilterGroupsMax    int `json:"search_filter_groups_max"`
	SearchFiltersMax         int `json:"search_filters_max"`
	SearchFiltersPerGroupMax int `json:"search_filters_per_group_max"`
	// ExternalIDProperty is the unique contact property the ledger uses as external id
	// (the Shopify customer id); the fake creates it when the portal lacks it. "none"
	// records no external id. Default shopify_customer_id.
	ExternalIDProperty string `json:"external_id_property"`
	// Latency is the distribution of every admitted call's service time; "0" or "off"
	// turns it off. Default lognormal(120ms,900ms) (HubSpot publishes none; an
	// assumption).
	Latency string `json:"latency"`
}

// Defaults of the knobs whose zero value is not their default.
const (
	DefaultTier               = "professional"
	DefaultBurstWindow        = "10s"
	DefaultOAuthBurst         = 100
	DefaultSearchPerSecond    = 4
	DefaultTimezone           = "America/New_York"
	DefaultConflictCategory   = CategoryConflict
	DefaultBatchMax           = 100
	DefaultListPageMax        = 100
	DefaultSearchPageMax      = 200
	DefaultSearchTotalMax     = 10_000
	DefaultFilterGroupsMax    = 5
	DefaultFiltersMax         = 25
	DefaultFiltersPerGroupMax = 10
	DefaultExternalIDProperty = "shopify_customer_id"
	DefaultLatency            = "lognormal(120ms,900ms)"
	// PackBurst is the burst of an account with any API Limit Increase pack.
	PackBurst = 250
	// PackDaily is what each API Limit Increase pack adds to the daily limit.
	PackDaily = 1_000_000
	// MaxPacks is how many API Limit Increase packs an account can buy.
	MaxPacks = 2
	// MaxRate bounds burst, oauth_burst and search_per_second: a rolling window keeps
	// one timestamp per request it admitted, per app or token.
	MaxRate = 1 << 20
)

// tiers are the burst and daily limits by subscription (reference §3.1).
var tiers = map[string]struct {
	burst int
	daily int64
}{
	"free":         {burst: 100, daily: 250_000},
	"starter":      {burst: 100, daily: 250_000},
	"professional": {burst: 190, daily: 625_000},
	"enterprise":   {burst: 190, daily: 1_000_000},
}

// settings are Limits parsed and validated; immutable once built.
type settings struct {
	limits          Limits // every default filled in
	burst           int
	burstWindow     time.Duration
	daily           int64
	oauthBurst      int
	searchPerSecond int
	searchDaily     bool
	tz              *time.Location
	indexLag        time.Duration
	latency         latency.Distribution // nil: none
	externalID      string               // "" when none
}

var propertyNameRE = regexp.MustCompile(`^[a-z][a-z0-9_]{0,99}$`)

// resolve fills defaults and validates. Errors name the knob by its JSON name.
func (l Limits) resolve() (*settings, error) {
	def := func(v *string, d string) {
		if strings.TrimSpace(*v) == "" {
			*v = d
		}
	}
	defInt := func(v *int, d int) {
		if *v == 0 {
			*v = d
		}
	}
	def(&l.Tier, DefaultTier)
	def(&l.BurstWindow, DefaultBurstWindow)
	def(&l.Timezone, DefaultTimezone)
	def(&l.SearchIndexLag, "0")
	def(&l.ConflictCategory, DefaultConflictCategory)
	def(&l.ExternalIDProperty, DefaultExternalIDProperty)
	def(&l.Latency, DefaultLatency)
	if l.SearchCountsDaily == nil {
		t := true
		l.SearchCountsDaily = &t
	}
	l.Tier = strings.ToLower(strings.TrimSpace(l.Tier))
	tier, ok := tiers[l.Tier]
	if !ok {
		return nil, fmt.Errorf("tier %q: want free, starter, professional or enterprise", l.Tier)
	}
	for _, c := range []struct {
		knob string
		v    int64
	}{
		{"burst", int64(l.Burst)}, {"daily", l.Daily}, {"oauth_burst", int64(l.OAuthBurst)},
		{"search_per_second", int64(l.SearchPerSecond)}, {"batch_max", int64(l.BatchMax)},
		{"list_page_max", int64(l.ListPageMax)}, {"search_page_max", int64(l.SearchPageMax)},
		{"search_total_max", int64(l.SearchTotalMax)}, {"search_filter_groups_max", int64(l.SearchFilterGroupsMax)},
		{"search_filters_max", int64(l.SearchFiltersMax)}, {"search_filters_per_group_max", int64(l.SearchFiltersPerGroupMax)},
	} {
		if c.v < 0 {
			return nil, fmt.Errorf("%s %d must not be negative (0 means the default)", c.knob, c.v)
		}
	}
	for _, c := range []struct {
		knob string
		v    int
	}{{"burst", l.Burst}, {"oauth_burst", l.OAuthBurst}, {"search_per_second", l.SearchPerSecond}} {
		if c.v > MaxRate {
			return nil, fmt.Errorf("%s %d is above the fake's most, %d", c.knob, c.v, MaxRate)
		}
	}
	if l.APILimitIncrease < 0 || l.APILimitIncrease > MaxPacks {
		return nil, fmt.Errorf("api_limit_increase %d must be between 0 and %d packs", l.APILimitIncrease, MaxPacks)
	}
	defInt(&l.OAuthBurst, DefaultOAuthBurst)
	defInt(&l.SearchPerSecond, DefaultSearchPerSecond)
	defInt(&l.BatchMax, DefaultBatchMax)
	defInt(&l.ListPageMax, DefaultListPageMax)
	defInt(&l.SearchPageMax, DefaultSearchPageMax)
	defInt(&l.SearchTotalMax, DefaultSearchTotalMax)
	defInt(&l.SearchFilterGroupsMax, DefaultFilterGroupsMax)
	defInt(&l.SearchFiltersMax, DefaultFiltersMax)
	defInt(&l.SearchFiltersPerGroupMax, DefaultFiltersPerGroupMax)

	s := &settings{oauthBurst: l.OAuthBurst, searchPerSecond: l.SearchPerSecond, searchDaily: *l.SearchCountsDaily}
	s.burst, s.daily = tier.burst, tier.daily
	if l.APILimitIncrease > 0 {
		s.burst = PackBurst
		s.daily += int64(l.APILimitIncrease) * PackDaily
	}
	if l.Burst > 0 {
		s.burst = l.Burst
	}
	if l.Daily > 0 {
		s.daily = l.Daily
	}
	var err error
	if s.burstWindow, err = time.ParseDuration(strings.TrimSpace(l.BurstWindow)); err != nil || s.burstWindow <= 0 {
		return nil, fmt.Errorf("burst_window %q: want a positive duration like 10s", l.BurstWindow)
	}
	if s.tz, err = time.LoadLocation(strings.TrimSpace(l.Timezone)); err != nil {
		return nil, fmt.Errorf("timezone %q: want an IANA time zone like America/New_York (%v)", l.Timezone, err)
	}
	if s.indexLag, err = time.ParseDuration(strings.TrimSpace(l.SearchIndexLag)); err != nil || s.indexLag < 0 {
		return nil, fmt.Errorf("search_index_lag %q: want a duration like 2s, or 0 for none", l.SearchIndexLag)
	}
	switch strings.ToUpper(strings.TrimSpace(l.ConflictCategory)) {
	case CategoryConflict:
		l.ConflictCategory = CategoryConflict
	case CategoryObjectExists:
		l.ConflictCategory = CategoryObjectExists
	default:
		return nil, fmt.Errorf("conflict_category %q: want CONFLICT or OBJECT_ALREADY_EXISTS", l.ConflictCategory)
	}
	switch ext := strings.TrimSpace(l.ExternalIDProperty); {
	case strings.EqualFold(ext, "none"):
		l.ExternalIDProperty = "none"
	case propertyNameRE.MatchString(ext):
		l.ExternalIDProperty, s.externalID = ext, ext
	default:
		return nil, fmt.Errorf("external_id_property %q: want a property name (lower case letters, digits, _) or none", l.ExternalIDProperty)
	}
	if s.latency, err = latency.ParseKnob(l.Latency); err != nil {
		return nil, fmt.Errorf("latency: %w (or off)", err)
	}
	s.limits = l
	return s, nil
}

// secondly is the legacy X-HubSpot-RateLimit-Secondly: the burst spread evenly over the
// window's seconds, rounded up, at least 1.
func (s *settings) secondly(limit int) int {
	secs := int(s.burstWindow / time.Second)
	if secs <= 1 {
		return limit
	}
	return max(1, (limit+secs-1)/secs)
}

// limitsPatch is Limits as PUT /_fake/faults and a --profile file patch it
// (fakehttp.PatchLimits): decoding errors name this type.
type limitsPatch Limits

// following lets burst and daily follow the tier again when a patch changes the tier or
// the packs without naming them.
var following = map[string][]string{"tier": {"burst", "daily"}, "api_limit_increase": {"burst", "daily"}}

// platform is the fakehttp.Platform side of s.
func (s *Server) platform() fakehttp.Platform {
	return fakehttp.KnobPlatform[limitsPatch]{
		Current:    func() limitsPatch { return limitsPatch(s.Limits()) },
		Set:        func(l limitsPatch) error { return s.SetLimits(Limits(l)) },
		Following:  following,
		Stats:      func() (any, int) { return s.LimitStats(), -1 },
		ResetState: s.resetState,
	}
}
