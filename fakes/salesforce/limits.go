package salesforce

import (
	"fmt"
	"strings"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/latency"
	"github.com/peakready/peakready/fakes/limits"
)

// Limits are the fake's limit, latency and behaviour knobs. The JSON names are the
// command-line flag names with dashes turned into underscores; the same object is the
// "limits" part of PUT /_fake/faults and of a --profile file. A zero field means its
// default; Server.Limits returns every default filled in.
type Limits struct {
	// Edition sets the daily allocation and long-running slots: developer (15,000 a day,
	// 5 slots), enterprise or professional (base + 1,000 per licence, 25 slots),
	// unlimited or performance (base + 5,000 per licence, 25 slots), sandbox (5,000,000,
	// 25 slots). Default enterprise.
	Edition string `json:"edition"`
	// Licenses is the number of Salesforce user licences. Default 0.
	Licenses int `json:"licenses"`
	// BaseAllocation is the per-org base of the edition formula. Default 100,000 (one
	// source says 500,000 for unlimited/performance).
	BaseAllocation int64 `json:"base_allocation"`
	// PerLicense is the calls each licence adds. Default 1,000 (enterprise,
	// professional) or 5,000 (unlimited, performance).
	PerLicense int64 `json:"per_license"`
	// DailyLimit, when positive, is the allocation itself and wins over the formula.
	DailyLimit int64 `json:"daily_limit"`
	// DailyOverage lets usage run this many calls past the limit before refusals start
	// (Salesforce lets usage exceed the limit by an unpublished margin). Default 0.
	DailyOverage int64 `json:"daily_overage"`
	// LongRunningLimit is how many requests running for LongRunningThreshold or more
	// may exist before new requests are refused. Default 25 (5 for developer).
	LongRunningLimit int `json:"long_running_limit"`
	// LongRunningThreshold is when a running request starts to occupy a slot. Default 20s.
	LongRunningThreshold string `json:"long_running_threshold"`
	// SessionTimeout is the org's session timeout: how long an access token lives
	// without activity. Default 2h.
	SessionTimeout string `json:"session_timeout"`
	// SessionRefresh says which calls restart a session's inactivity timer: "half" (a
	// call made when more than half the timeout has passed since the last recorded
	// activity, as Salesforce's session settings describe) or "each_call" (every
	// authenticated call, as the SOAP API guide words it). Default half.
	SessionRefresh string `json:"session_refresh"`
	// DuplicateRule is "on" (the standard Contact duplicate rule: same email,
	// case-insensitively) or "off". Default on.
	DuplicateRule string `json:"duplicate_rule"`
	// ExternalIDFields lists the external-id fields, comma-separated: Field (of Contact)
	// or Object.Field; "none" for none. Default Shopify_Customer_Id__c.
	ExternalIDFields string `json:"external_id_fields"`
	// UniqueExternalIDs makes external-id fields unique. Default true.
	UniqueExternalIDs *bool `json:"unique_external_ids"`
	// LockRowRate is the probability (0 to 1) that a write fails with 400
	// UNABLE_TO_LOCK_ROW. Default 0.
	LockRowRate float64 `json:"lock_row_rate"`
	// Latency is the distribution of every data API call's service time; "0" or "off"
	// turns it off. Default lognormal(150ms,2s).
	Latency string `json:"latency"`
	// APIVersions is the range of versions served. Default v31.0-v66.0.
	APIVersions string `json:"api_versions"`
	// RetiredAPIVersions is the range of versions that answer 410 GONE; other versions
	// that are not served answer 404. "none" for none. Default v7.0-v30.0.
	RetiredAPIVersions string `json:"retired_api_versions"`
	// QueryBatchSize is the most records one query response carries (200 to 2,000);
	// a Sforce-Query-Options: batchSize=N header asks for fewer. Default 2,000.
	QueryBatchSize int `json:"query_batch_size"`
	// BatchCounting is how a /composite/batch request counts against the daily
	// allocation: "subrequests" (one call per subrequest, as Salesforce documents:
	// "Each subrequest counts against rate limits"), "request" (one call) or "both"
	// (the request and each subrequest). Default subrequests.
	BatchCounting string `json:"batch_counting"`
	// BulkQueueDelay is how long a Bulk API 2.0 ingest job waits in UploadComplete
	// before it is InProgress. Default 1s.
	BulkQueueDelay string `json:"bulk_queue_delay"`
	// BulkProcessingRate is how many records an ingest job processes per second of
	// platform time. Default 2,000.
	BulkProcessingRate int `json:"bulk_processing_rate"`
	// BulkRecordsPerBatch is how many records make one internal batch of an ingest
	// job; each batch counts against BulkBatchAllocation. Default 10,000.
	BulkRecordsPerBatch int `json:"bulk_records_per_batch"`
	// BulkBatchAllocation is how many batches Bulk API jobs may process per rolling
	// 24 hours (DailyBulkApiBatches). Default 15,000.
	BulkBatchAllocation int64 `json:"bulk_batch_allocation"`
	// BulkDailyRecords is how many records ingest jobs may process per rolling 24
	// hours. Default 150,000,000.
	BulkDailyRecords int64 `json:"bulk_daily_records"`
	// BulkMaxUpload is the largest upload of job data, counted as Salesforce counts it:
	// the size of the data once base64-encoded. Default 157286400 (150 MB).
	BulkMaxUpload int64 `json:"bulk_max_upload"`
}

// Defaults of the knobs whose zero value is not their default.
const (
	DefaultEdition              = "enterprise"
	DefaultBaseAllocation       = 100_000
	DefaultLongRunningLimit     = 25
	DeveloperLongRunningLimit   = 5
	DefaultLongRunningThreshold = "20s"
	DefaultSessionTimeout       = "2h"
	DefaultLatency              = "lognormal(150ms,2s)"
	DefaultQueryBatchSize       = 2000
	DefaultSessionRefresh       = "half"
	DefaultBatchCounting        = "subrequests"
	DefaultBulkQueueDelay       = "1s"
	DefaultBulkProcessingRate   = 2000
	DefaultBulkRecordsPerBatch  = 10_000
	DefaultBulkBatchAllocation  = 15_000
	DefaultBulkDailyRecords     = 150_000_000
	DefaultBulkMaxUpload        = 150 << 20
)

// editions are the allocation rules by edition: a flat allocation, or the per-licence
// default of the base + licences formula.
var editions = map[string]struct {
	flat       int64
	perLicense int64
	slots      int
}{
	"developer":    {flat: 15_000, slots: DeveloperLongRunningLimit},
	"enterprise":   {perLicense: 1_000, slots: DefaultLongRunningLimit},
	"professional": {perLicense: 1_000, slots: DefaultLongRunningLimit},
	"unlimited":    {perLicense: 5_000, slots: DefaultLongRunningLimit},
	"performance":  {perLicense: 5_000, slots: DefaultLongRunningLimit},
	"sandbox":      {flat: 5_000_000, slots: DefaultLongRunningLimit},
}

// settings are Limits parsed and validated; immutable once built.
type settings struct {
	limits     Limits // every default filled in
	dailyLimit int64
	threshold  time.Duration
	session    time.Duration
	duplicates bool
	latency    latency.Distribution // nil: none
	versions   Versions
	// retired answers 410 GONE; its zero value (Min 0) retires nothing.
	retired Versions
	// refreshEachCall: every authenticated call restarts the session timer.
	refreshEachCall bool
	// batchOwnCall and batchPerSub say how a composite batch counts.
	batchOwnCall, batchPerSub bool
	bulkQueueDelay            time.Duration
	// prefixes[v-versions.Min] is "/services/data/vV.0".
	prefixes    []string
	schema      *schema
	lockRowRate float64
}

// resolve fills defaults and validates. Errors name the knob by its JSON name.
func (l Limits) resolve() (*settings, error) {
	def := func(v *string, d string) {
		if strings.TrimSpace(*v) == "" {
			*v = d
		}
	}
	def(&l.Edition, DefaultEdition)
	def(&l.LongRunningThreshold, DefaultLongRunningThreshold)
	def(&l.SessionTimeout, DefaultSessionTimeout)
	def(&l.DuplicateRule, "on")
	def(&l.ExternalIDFields, DefaultExternalIDField)
	def(&l.Latency, DefaultLatency)
	def(&l.APIVersions, DefaultAPIVersions)
	def(&l.RetiredAPIVersions, DefaultRetiredAPIVersions)
	def(&l.SessionRefresh, DefaultSessionRefresh)
	def(&l.BatchCounting, DefaultBatchCounting)
	def(&l.BulkQueueDelay, DefaultBulkQueueDelay)
	if l.UniqueExternalIDs == nil {
		t := true
		l.UniqueExternalIDs = &t
	}
	l.Edition = strings.ToLower(strings.TrimSpace(l.Edition))
	ed, ok := editions[l.Edition]
	if !ok {
		return nil, fmt.Errorf("edition %q: want developer, enterprise, professional, unlimited, performance or sandbox", l.Edition)
	}
	switch {
	case l.Licenses < 0:
		return nil, fmt.Errorf("licenses %d must not be negative", l.Licenses)
	case l.BaseAllocation < 0:
		return nil, fmt.Errorf("base_allocation %d must not be negative", l.BaseAllocation)
	case l.PerLicense < 0:
		return nil, fmt.Errorf("per_license %d must not be negative", l.PerLicense)
	case l.DailyLimit < 0:
		return nil, fmt.Errorf("daily_limit %d must not be negative (0 derives it from edition and licenses)", l.DailyLimit)
	case l.DailyOverage < 0:
		return nil, fmt.Errorf("daily_overage %d must not be negative", l.DailyOverage)
	case l.LongRunningLimit < 0:
		return nil, fmt.Errorf("long_running_limit %d must not be negative", l.LongRunningLimit)
	case !(l.LockRowRate >= 0 && l.LockRowRate <= 1):
		return nil, fmt.Errorf("lock_row_rate %v must be between 0 and 1", l.LockRowRate)
	case l.QueryBatchSize != 0 && (l.QueryBatchSize < 200 || l.QueryBatchSize > 2000):
		return nil, fmt.Errorf("query_batch_size %d must be between 200 and 2000", l.QueryBatchSize)
	case l.BulkProcessingRate < 0:
		return nil, fmt.Errorf("bulk_processing_rate %d must not be negative", l.BulkProcessingRate)
	case l.BulkRecordsPerBatch < 0:
		return nil, fmt.Errorf("bulk_records_per_batch %d must not be negative", l.BulkRecordsPerBatch)
	case l.BulkBatchAllocation < 0:
		return nil, fmt.Errorf("bulk_batch_allocation %d must not be negative", l.BulkBatchAllocation)
	case l.BulkDailyRecords < 0:
		return nil, fmt.Errorf("bulk_daily_records %d must not be negative", l.BulkDailyRecords)
	case l.BulkMaxUpload < 0:
		return nil, fmt.Errorf("bulk_max_upload %d must not be negative", l.BulkMaxUpload)
	}
	if l.BaseAllocation == 0 {
		l.BaseAllocation = DefaultBaseAllocation
	}
	if l.PerLicense == 0 {
		l.PerLicense = ed.perLicense
	}
	if l.LongRunningLimit == 0 {
		l.LongRunningLimit = ed.slots
	}
	if l.QueryBatchSize == 0 {
		l.QueryBatchSize = DefaultQueryBatchSize
	}
	defInt(&l.BulkProcessingRate, DefaultBulkProcessingRate)
	defInt(&l.BulkRecordsPerBatch, DefaultBulkRecordsPerBatch)
	defInt(&l.BulkBatchAllocation, DefaultBulkBatchAllocation)
	defInt(&l.BulkDailyRecords, DefaultBulkDailyRecords)
	defInt(&l.BulkMaxUpload, DefaultBulkMaxUpload)
	s := &settings{lockRowRate: l.LockRowRate}
	switch {
	case l.DailyLimit > 0:
		s.dailyLimit = l.DailyLimit
	case ed.flat > 0:
		s.dailyLimit = ed.flat
	default:
		s.dailyLimit = l.BaseAllocation + int64(l.Licenses)*l.PerLicense
	}
	if s.dailyLimit <= 0 {
		return nil, fmt.Errorf("daily allocation works out at %d; set daily_limit or base_allocation", s.dailyLimit)
	}
	var err error
	if s.threshold, err = positiveDuration("long_running_threshold", l.LongRunningThreshold); err != nil {
		return nil, err
	}
	if s.session, err = positiveDuration("session_timeout", l.SessionTimeout); err != nil {
		return nil, err
	}
	switch l.SessionRefresh = strings.ToLower(strings.TrimSpace(l.SessionRefresh)); l.SessionRefresh {
	case "half":
	case "each_call":
		s.refreshEachCall = true
	default:
		return nil, fmt.Errorf("session_refresh %q: want half or each_call", l.SessionRefresh)
	}
	switch l.BatchCounting = strings.ToLower(strings.TrimSpace(l.BatchCounting)); l.BatchCounting {
	case "subrequests":
		s.batchPerSub = true
	case "request":
		s.batchOwnCall = true
	case "both":
		s.batchOwnCall, s.batchPerSub = true, true
	default:
		return nil, fmt.Errorf("batch_counting %q: want subrequests, request or both", l.BatchCounting)
	}
	if s.bulkQueueDelay, err = time.ParseDuration(strings.TrimSpace(l.BulkQueueDelay)); err != nil || s.bulkQueueDelay < 0 {
		return nil, fmt.Errorf("bulk_queue_delay %q: want a duration like 1s (0 for none)", l.BulkQueueDelay)
	}
	switch strings.ToLower(l.DuplicateRule) {
	case "on", "true":
		s.duplicates, l.DuplicateRule = true, "on"
	case "off", "false":
		l.DuplicateRule = "off"
	default:
		return nil, fmt.Errorf("duplicate_rule %q: want on or off", l.DuplicateRule)
	}
	if s.latency, err = latency.ParseKnob(l.Latency); err != nil {
		return nil, fmt.Errorf("latency: %w (or off)", err)
	}
	if s.versions, err = ParseVersions(l.APIVersions); err != nil {
		return nil, fmt.Errorf("api_versions: %w", err)
	}
	l.APIVersions = s.versions.String()
	if !strings.EqualFold(strings.TrimSpace(l.RetiredAPIVersions), "none") {
		if s.retired, err = parseVersionRange(l.RetiredAPIVersions); err != nil {
			return nil, fmt.Errorf("retired_api_versions: %w", err)
		}
		if s.retired.Min <= s.versions.Max && s.versions.Min <= s.retired.Max {
			return nil, fmt.Errorf("retired_api_versions %s overlaps api_versions %s", s.retired, s.versions)
		}
		l.RetiredAPIVersions = s.retired.String()
	} else {
		l.RetiredAPIVersions = "none"
	}
	for v := s.versions.Min; v <= s.versions.Max; v++ {
		s.prefixes = append(s.prefixes, fmt.Sprintf("%sv%d.0", dataPrefix, v))
	}
	var ext []ExternalIDField
	if !strings.EqualFold(strings.TrimSpace(l.ExternalIDFields), "none") {
		if ext, err = ParseExternalIDFields(l.ExternalIDFields); err != nil {
			return nil, fmt.Errorf("external_id_fields: %w", err)
		}
	}
	if s.schema, err = buildSchema(ext, *l.UniqueExternalIDs); err != nil {
		return nil, fmt.Errorf("external_id_fields: %w", err)
	}
	s.limits = l
	return s, nil
}

// defInt sets a zero knob to its default.
func defInt[T int | int64](v *T, d T) {
	if *v == 0 {
		*v = d
	}
}

func positiveDuration(knob, v string) (time.Duration, error) {
	d, err := time.ParseDuration(strings.TrimSpace(v))
	if err != nil || d <= 0 {
		return 0, fmt.Errorf("%s %q: want a positive duration like 20s", knob, v)
	}
	return d, nil
}

// DailyAllocation is the daily API request limit these knobs give: DailyLimit if set,
// otherwise the edition's formula.
func (l Limits) DailyAllocation() (int64, error) {
	s, err := l.resolve()
	if err != nil {
		return 0, err
	}
	return s.dailyLimit, nil
}

// limitsPatch is Limits as PUT /_fake/faults and a --profile file patch it
// (fakehttp.PatchLimits): decoding errors name this type.
type limitsPatch Limits

// following lets per_license and long_running_limit follow the new edition's defaults
// when a patch changes the edition without naming them.
var following = map[string][]string{"edition": {"per_license", "long_running_limit"}}

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

// LimitStats is the platform part of GET /_fake/stats.
type LimitStats struct {
	Edition string `json:"edition"`
	// APIUsage is what Sforce-Limit-Info reports: calls in the last 24 h and the limit.
	APIUsage limits.Usage `json:"api_usage"`
	// DailyRefused counts calls refused with TotalRequests Limit exceeded.
	DailyRefused int64            `json:"daily_refused"`
	LongRunning  LongRunningStats `json:"long_running"`
	// Sessions counts live access tokens; SessionsIssued every token issued.
	Sessions       int   `json:"sessions"`
	SessionsIssued int64 `json:"sessions_issued"`
	// SessionsRefused counts data API calls answered 401 INVALID_SESSION_ID.
	SessionsRefused int64 `json:"sessions_refused"`
	// LockRowFailures counts writes failed by lock_row_rate.
	LockRowFailures int64 `json:"lock_row_failures"`
	// DuplicatesDetected counts saves blocked by the duplicate rule.
	DuplicatesDetected int64 `json:"duplicates_detected"`
	// OpenQueryCursors counts query locators that can still be fetched.
	OpenQueryCursors int `json:"open_query_cursors"`
	// BulkJobs are the Bulk API 2.0 ingest jobs and allocations.
	BulkJobs BulkJobStats `json:"bulk_jobs"`
}

// BulkJobStats counts Bulk API 2.0 ingest jobs by state, and the Bulk API allocations
// used in the last 24 hours.
type BulkJobStats struct {
	ByState         map[string]int `json:"by_state"`
	BatchesUsed     int64          `json:"batches_used"`
	BatchAllocation int64          `json:"batch_allocation"`
	RecordsUsed     int64          `json:"records_used"`
}
