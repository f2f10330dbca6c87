package netsuite

import (
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/limits"
)

// Limits are the fake's governance, latency and behaviour knobs. The JSON names are the
// command-line flag names with dashes turned into underscores; the same object is the
// "limits" part of PUT /_fake/faults and of a --profile file. A zero field means its
// default.
type Limits struct {
	// Tier is the service tier whose base concurrency applies: standard (5), premium (15),
	// enterprise (20) or ultimate (20); the pre-2020 names shared, tier1 and tier2 are
	// accepted too. Default premium.
	Tier string `json:"tier"`
	// TierBase overrides the tier's base limit (sources disagree on the ladder). 0 keeps
	// the table's value.
	TierBase int `json:"tier_base"`
	// SuiteCloudPlus is the number of SuiteCloud Plus licences: +10 concurrency each.
	SuiteCloudPlus int `json:"suitecloud_plus"`
	// Concurrency, when positive, is the account limit itself and wins over tier and
	// licences.
	Concurrency int `json:"concurrency"`
	// Held is the number of slots another integration occupies for as long as it is set.
	Held int `json:"held"`
	// Latency is the distribution of write latency (POST, PUT, PATCH, DELETE); "0" turns it
	// off. Default lognormal(700ms,2.5s).
	Latency string `json:"latency"`
	// ReadLatency is the distribution of GET latency; "0" turns it off. Default
	// lognormal(300ms,1.2s).
	ReadLatency string `json:"read_latency"`
	// OverLimit401Share is the share (0 to 1) of over-limit requests answered, after
	// OverLimit401Delay, with 401 INVALID_LOGIN instead of 429. Default 0.
	OverLimit401Share float64 `json:"overlimit_401_share"`
	// OverLimit401Delay is how long such a 401 takes. Default 60s.
	OverLimit401Delay string `json:"overlimit_401_delay"`
	// DuplicateExternalID is the STATUS:CODE answered to a POST whose externalId exists.
	// Default 400:DUP_RCRD.
	DuplicateExternalID string `json:"duplicate_external_id"`
	// TaxFields is what happens to tax fields in a sales-order body: reject (400
	// INVALID_CONTENT, the default) or ignore.
	TaxFields string `json:"tax_fields"`
	// FulfillAfter is the distribution of the delay between a sales order becoming
	// Pending Fulfillment and its item fulfillment, or "off". Default lognormal(2h,12h).
	FulfillAfter string `json:"fulfill_after"`
	// ReceiptsEvery is the platform-time interval between stock receipts, or "off" (the
	// default).
	ReceiptsEvery string `json:"receipts_every"`
	// AdjustmentsEvery is the platform-time interval between inventory adjustments
	// (cycle counts, write-offs: -20 to +20 units of a random SKU), or "off" (the default).
	AdjustmentsEvery string `json:"adjustments_every"`
	// OtherSalesEvery is the platform-time interval between item fulfilments of other
	// channels (wholesale, retail: 1 to 5 units of a random SKU leave the warehouse), or
	// "off" (the default).
	OtherSalesEvery string `json:"other_sales_every"`
	// MassUpdateAt schedules one mass update (a batch job rewriting the stock of many SKUs
	// in the same second): a platform-time duration after the fake started (or after
	// this knob was set), or "off" (the default).
	MassUpdateAt string `json:"mass_update_at"`
	// MassUpdateSKUs is how many SKUs the mass update changes; 0 means every SKU.
	MassUpdateSKUs int `json:"mass_update_skus"`
	// MissingEntity is the answer to a sales order created without entity: reject (400
	// USER_ERROR "Please enter value(s) for: Customer.", the default: the customer is a
	// mandatory field) or default-customer (book it to the web customer, DefaultCustomerID).
	MissingEntity string `json:"missing_entity"`
	// ItemLineKey says how the item sublist is keyed: line (the default: a sent line
	// with a "line" that exists updates that line) or none (every sent line is a new one).
	ItemLineKey string `json:"item_line_key"`
	// TokenLifetime is how long an OAuth 2.0 access token from the token endpoint is
	// valid. Default 60m.
	TokenLifetime string `json:"token_lifetime"`
	// IdempotencyWindow is how long an X-NetSuite-Idempotency-Key of an asynchronous
	// request is remembered. Default 24h.
	IdempotencyWindow string `json:"idempotency_window"`
	// AsyncDelay is the distribution of the time an asynchronous job waits before it runs.
	// Default lognormal(2s,30s).
	AsyncDelay string `json:"async_delay"`
	// SuiteQLPreferTransient is what happens to a SuiteQL request without "Prefer:
	// transient": require (400, the default) or ignore.
	SuiteQLPreferTransient string `json:"suiteql_prefer_transient"`
}

// Defaults of the knobs whose zero value is not their default.
const (
	DefaultTier                = "premium"
	DefaultLatency             = "lognormal(700ms,2.5s)"
	DefaultReadLatency         = "lognormal(300ms,1.2s)"
	DefaultOverLimit401Delay   = "60s"
	DefaultDuplicateExternalID = "400:DUP_RCRD"
	DefaultTaxFields           = "reject"
	DefaultFulfillAfter        = "lognormal(2h,12h)"
	DefaultReceiptsEvery       = "off"
	DefaultMissingEntity       = "reject"
	DefaultItemLineKey         = "line"
	DefaultTokenLifetime       = "60m"
	DefaultIdempotencyWindow   = "24h"
	DefaultAsyncDelay          = "lognormal(2s,30s)"
	DefaultSuiteQLTransient    = "require"
)

// tierBases are the base account concurrency limits by service tier.
var tierBases = map[string]int{"standard": 5, "premium": 15, "enterprise": 20, "ultimate": 20}

var tierAliases = map[string]string{"shared": "standard", "tier1": "premium", "tier2": "enterprise"}

// TierBase returns the base concurrency of a service tier and whether the tier is known.
func TierBase(tier string) (int, bool) {
	t := strings.ToLower(strings.TrimSpace(tier))
	if a, ok := tierAliases[t]; ok {
		t = a
	}
	b, ok := tierBases[t]
	return b, ok
}

// AccountLimit is the account concurrency limit these knobs give: Concurrency if set,
// otherwise base(tier) + 10 × SuiteCloudPlus.
func (l Limits) AccountLimit() int {
	if l.Concurrency > 0 {
		return l.Concurrency
	}
	base := l.TierBase
	if base <= 0 {
		base, _ = TierBase(l.tierOrDefault())
	}
	return base + 10*l.SuiteCloudPlus
}

func (l Limits) tierOrDefault() string {
	if strings.TrimSpace(l.Tier) == "" {
		return DefaultTier
	}
	return l.Tier
}

// settings are Limits parsed and validated; a value is immutable once built.
type settings struct {
	limits        Limits // with every default filled in
	accountLimit  int
	writeLatency  latency.Distribution // nil: none
	readLatency   latency.Distribution // nil: none
	share401      float64
	delay401      time.Duration
	dupStatus     int
	dupCode       string
	acceptTax     bool
	fulfillAfter  latency.Distribution // nil: off
	receiptsEvery time.Duration        // 0: off

	adjustmentsEvery time.Duration // 0: off
	otherSalesEvery  time.Duration // 0: off
	massUpdateAt     time.Duration // -1: off
	defaultCustomer  bool          // missing_entity=default-customer
	keyedLines       bool          // item_line_key=line
	tokenLifetime    time.Duration
	idemWindow       time.Duration
	asyncDelay       latency.Distribution // nil: none
	requireTransient bool
}

var errorCodePattern = regexp.MustCompile(`^[A-Z][A-Z0-9_]*$`)

// resolve fills defaults and validates. Errors name the knob by its flag name.
func (l Limits) resolve() (*settings, error) {
	def := func(v *string, d string) {
		if strings.TrimSpace(*v) == "" {
			*v = d
		}
	}
	def(&l.Tier, DefaultTier)
	def(&l.Latency, DefaultLatency)
	def(&l.ReadLatency, DefaultReadLatency)
	def(&l.OverLimit401Delay, DefaultOverLimit401Delay)
	def(&l.DuplicateExternalID, DefaultDuplicateExternalID)
	def(&l.TaxFields, DefaultTaxFields)
	def(&l.FulfillAfter, DefaultFulfillAfter)
	def(&l.ReceiptsEvery, DefaultReceiptsEvery)
	def(&l.AdjustmentsEvery, "off")
	def(&l.OtherSalesEvery, "off")
	def(&l.MassUpdateAt, "off")
	def(&l.MissingEntity, DefaultMissingEntity)
	def(&l.ItemLineKey, DefaultItemLineKey)
	def(&l.TokenLifetime, DefaultTokenLifetime)
	def(&l.IdempotencyWindow, DefaultIdempotencyWindow)
	def(&l.AsyncDelay, DefaultAsyncDelay)
	def(&l.SuiteQLPreferTransient, DefaultSuiteQLTransient)

	s := &settings{}
	if _, ok := TierBase(l.Tier); !ok {
		return nil, knobErrorf("tier", "%q: want standard, premium, enterprise or ultimate", l.Tier)
	}
	l.Tier = strings.ToLower(strings.TrimSpace(l.Tier))
	if a, ok := tierAliases[l.Tier]; ok {
		l.Tier = a
	}
	switch {
	case l.TierBase < 0:
		return nil, knobErrorf("tier_base", "%d must not be negative", l.TierBase)
	case l.SuiteCloudPlus < 0:
		return nil, knobErrorf("suitecloud_plus", "%d must not be negative", l.SuiteCloudPlus)
	case l.Concurrency < 0:
		return nil, knobErrorf("concurrency", "%d must not be negative (0 derives it from the tier and SuiteCloud Plus licences)", l.Concurrency)
	case l.Held < 0:
		return nil, knobErrorf("held", "%d must not be negative", l.Held)
	case !(l.OverLimit401Share >= 0 && l.OverLimit401Share <= 1):
		return nil, knobErrorf("overlimit_401_share", "%v must be between 0 and 1", l.OverLimit401Share)
	}
	s.accountLimit = l.AccountLimit()
	s.share401 = l.OverLimit401Share
	var err error
	if s.writeLatency, err = parseLatency("latency", l.Latency); err != nil {
		return nil, err
	}
	if s.readLatency, err = parseLatency("read_latency", l.ReadLatency); err != nil {
		return nil, err
	}
	if s.delay401, err = parseDurationKnob("overlimit_401_delay", l.OverLimit401Delay, false); err != nil {
		return nil, err
	}
	if s.dupStatus, s.dupCode, err = ParseStatusCode(l.DuplicateExternalID); err != nil {
		return nil, knobErrorf("duplicate_external_id", "%v", err)
	}
	switch l.TaxFields {
	case "reject":
	case "ignore":
		s.acceptTax = true
	default:
		return nil, knobErrorf("tax_fields", "%q: want reject or ignore", l.TaxFields)
	}
	if l.FulfillAfter != "off" {
		d, err := latency.Parse(l.FulfillAfter)
		if err != nil {
			return nil, knobErrorf("fulfill_after", "%v (or off)", err)
		}
		s.fulfillAfter = d
	}
	if s.receiptsEvery, err = parseDurationKnob("receipts_every", l.ReceiptsEvery, true); err != nil {
		return nil, err
	}
	if s.adjustmentsEvery, err = parseDurationKnob("adjustments_every", l.AdjustmentsEvery, true); err != nil {
		return nil, err
	}
	if s.otherSalesEvery, err = parseDurationKnob("other_sales_every", l.OtherSalesEvery, true); err != nil {
		return nil, err
	}
	s.massUpdateAt = -1
	if l.MassUpdateAt != "off" {
		if s.massUpdateAt, err = parseDurationKnob("mass_update_at", l.MassUpdateAt, false); err != nil {
			return nil, err
		}
	}
	if l.MassUpdateSKUs < 0 {
		return nil, knobErrorf("mass_update_skus", "%d must not be negative (0 changes every SKU)", l.MassUpdateSKUs)
	}
	switch l.MissingEntity {
	case "reject":
	case "default-customer":
		s.defaultCustomer = true
	default:
		return nil, knobErrorf("missing_entity", "%q: want reject or default-customer", l.MissingEntity)
	}
	switch l.ItemLineKey {
	case "line":
		s.keyedLines = true
	case "none":
	default:
		return nil, knobErrorf("item_line_key", "%q: want line or none", l.ItemLineKey)
	}
	if s.tokenLifetime, err = parseDurationKnob("token_lifetime", l.TokenLifetime, false); err != nil {
		return nil, err
	}
	if s.tokenLifetime <= 0 {
		return nil, knobErrorf("token_lifetime", "%q must be above 0", l.TokenLifetime)
	}
	if s.idemWindow, err = parseDurationKnob("idempotency_window", l.IdempotencyWindow, false); err != nil {
		return nil, err
	}
	if s.asyncDelay, err = parseLatency("async_delay", l.AsyncDelay); err != nil {
		return nil, err
	}
	switch l.SuiteQLPreferTransient {
	case "require":
		s.requireTransient = true
	case "ignore":
	default:
		return nil, knobErrorf("suiteql_prefer_transient", "%q: want require or ignore", l.SuiteQLPreferTransient)
	}
	s.limits = l
	return s, nil
}

func parseLatency(knob, spec string) (latency.Distribution, error) {
	d, err := latency.ParseKnob(spec)
	if err != nil {
		return nil, knobErrorf(knob, "%v", err)
	}
	return d, nil
}

func parseDurationKnob(knob, v string, allowOff bool) (time.Duration, error) {
	if allowOff && v == "off" {
		return 0, nil
	}
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d < 0 {
		if allowOff {
			return 0, knobErrorf(knob, "%q: want a duration like 10m, or off", v)
		}
		return 0, knobErrorf(knob, "%q: want a non-negative duration like 60s", v)
	}
	return d, nil
}

// KnobError is an invalid value of one knob. Knob is the JSON name (read_latency); the
// command-line flag is the same with dashes (--read-latency).
type KnobError struct {
	Knob string
	Msg  string
}

func (e *KnobError) Error() string { return e.Knob + " " + e.Msg }

// Flag is the command-line flag the knob is set with.
func (e *KnobError) Flag() string { return "--" + strings.ReplaceAll(e.Knob, "_", "-") }

func knobErrorf(knob, format string, a ...any) error {
	return &KnobError{Knob: knob, Msg: fmt.Sprintf(format, a...)}
}

// ParseStatusCode reads "STATUS:CODE", e.g. "400:DUP_RCRD" or "409:DUP_RCRD".
func ParseStatusCode(v string) (int, string, error) {
	st, code, ok := strings.Cut(strings.TrimSpace(v), ":")
	if !ok {
		return 0, "", fmt.Errorf("%q: want STATUS:CODE, e.g. 400:DUP_RCRD", v)
	}
	n, err := strconv.Atoi(st)
	if err != nil || n < 400 || n > 599 {
		return 0, "", fmt.Errorf("%q: status %q must be an HTTP error status (400-599)", v, st)
	}
	if !errorCodePattern.MatchString(code) {
		return 0, "", fmt.Errorf("%q: code %q must be upper-case letters, digits and _", v, code)
	}
	return n, code, nil
}

// limitsPatch is Limits as PUT /_fake/faults and a --profile file patch it
// (fakehttp.PatchLimits): decoding errors name this type.
type limitsPatch Limits

// platform is the fakehttp.Platform side of s.
func (s *Server) platform() fakehttp.Platform {
	return fakehttp.KnobPlatform[limitsPatch]{
		Current: func() limitsPatch { return limitsPatch(s.Limits()) },
		Set:     func(l limitsPatch) error { return s.SetLimits(Limits(l)) },
		Stats: func() (any, int) {
			st := s.GovernanceStats()
			return st, st.Gate.MaxObserved
		},
		ResetState: s.resetState,
	}
}

// GovernanceStats is the platform part of GET /_fake/stats.
type GovernanceStats struct {
	// AccountLimit is the account concurrency limit in force.
	AccountLimit int `json:"account_limit"`
	// Gate counts admissions and rejections; max_observed is the peak the account admitted
	// at once (held slots excluded).
	Gate limits.GateStats `json:"gate"`
	// RejectedAs401 counts over-limit requests answered with the delayed 401 quirk.
	RejectedAs401 int64 `json:"rejected_as_401"`
	// PendingFulfillments counts sales orders waiting for their item fulfillment.
	PendingFulfillments int `json:"pending_fulfillments"`
	// Push reports change-notification deliveries.
	Push PushStats `json:"push"`
	// OAuth2 reports the token endpoint's work.
	OAuth2 OAuth2Stats `json:"oauth2"`
	// StockMoves counts the stock moves the account made on its own.
	StockMoves StockMoveStats `json:"stock_moves"`
}

// admit takes an account concurrency slot for r or answers the refusal: 429
// CONCURRENCY_LIMIT_EXCEEDED, or for the configured share a 401 INVALID_LOGIN after a
// delay spent without holding a slot.
func (s *Server) admit(w http.ResponseWriter, r *http.Request, st *settings) (func(), bool) {
	release, ok := s.gate.TryAcquire()
	if ok {
		return release, true
	}
	s.fake.Throttled(CodeConcurrencyLimitExceeded)
	if st.share401 > 0 && s.dice.Float64() < st.share401 {
		s.rejectedAs401.Add(1)
		if s.clock.Sleep(r.Context(), st.delay401) != nil {
			return nil, false
		}
		writeError(w, invalidLogin(s.opts.Account, isBearer(r)))
		return nil, false
	}
	writeConcurrencyLimit(w)
	return nil, false
}

func isBearer(r *http.Request) bool {
	_, bearer := authenticate(r.Header.Get("Authorization"), "")
	return bearer
}

// governanceLimits is GET /services/rest/system/v1/governanceLimits. The property names
// follow the SOAP getAccountGovernanceInfo elements; NetSuite's REST names are unconfirmed.
func (s *Server) serveGovernanceLimits(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet {
		writeError(w, methodNotAllowed(r.Method, "governanceLimits"))
		return
	}
	n := s.settings.Load().accountLimit
	writeJSON(w, http.StatusOK, governanceLimitsView{
		Links: selfLinks(fakehttp.BaseURL(r) + governancePath), AccountConcurrencyLimit: n, UnallocatedConcurrencyLimit: n, LimitType: "accountLimit",
	})
}

// governanceLimitsView is the body of GET /services/rest/system/v1/governanceLimits.
type governanceLimitsView struct {
	Links                       []link `json:"links"`
	AccountConcurrencyLimit     int    `json:"accountConcurrencyLimit"`
	UnallocatedConcurrencyLimit int    `json:"unallocatedConcurrencyLimit"`
	LimitType                   string `json:"limitType"`
}
