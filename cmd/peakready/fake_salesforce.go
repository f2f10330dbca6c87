package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strings"

	"github.com/peakready/peakready/fakes/fakehttp"
	"github.com/peakready/peakready/fakes/salesforce"
)

// envSalesforceSecret supplies --client-secret when the flag is not given, so the secret
// need not appear in a process list.
const envSalesforceSecret = "PEAKREADY_SALESFORCE_CLIENT_SECRET"

// envSalesforceRefreshToken supplies --refresh-token when the flag is not given.
const envSalesforceRefreshToken = "PEAKREADY_SALESFORCE_REFRESH_TOKEN"

func init() {
	registerFake("salesforce", "Salesforce REST: OAuth, Contacts/Accounts, upsert, SOQL, collections, composite, Bulk API 2.0, daily API allocation, long-running slots", runFakeSalesforce)
}

// salesforceLimitFlags are the flags that map to salesforce.Limits, by JSON knob name.
var salesforceLimitFlags = []string{
	"edition", "licenses", "base_allocation", "per_license", "daily_limit", "daily_overage",
	"long_running_limit", "long_running_threshold", "session_timeout", "duplicate_rule",
	"external_id_fields", "unique_external_ids", "lock_row_rate", "latency", "api_versions", "query_batch_size",
	"session_refresh", "retired_api_versions", "batch_counting", "bulk_queue_delay", "bulk_processing_rate",
	"bulk_records_per_batch", "bulk_batch_allocation", "bulk_daily_records", "bulk_max_upload",
}

func runFakeSalesforce(ctx context.Context, args []string, s streams) int {
	const cmd = "fake salesforce"
	fs := newFlagSet(cmd, "Serves a fake Salesforce org: OAuth tokens, Contacts and Accounts, upsert by external id,\n"+
		"SOQL, sObject Collections, Composite, Bulk API 2.0 ingest, the daily API allocation\n"+
		"(Sforce-Limit-Info) and long-running request slots.\n"+
		"Reference: docs/fake-salesforce.md", s)
	var common fakeFlags
	common.register(fs, "127.0.0.1:8083")
	var l salesforce.Limits
	unique := true
	fs.StringVar(&l.Edition, "edition", salesforce.DefaultEdition, "org edition: developer, enterprise, professional, unlimited, performance or sandbox")
	fs.IntVar(&l.Licenses, "licenses", 0, "Salesforce user licences (each adds --per-license calls a day)")
	fs.Int64Var(&l.BaseAllocation, "base-allocation", salesforce.DefaultBaseAllocation, "base of the daily allocation formula (not used by developer and sandbox)")
	fs.Int64Var(&l.PerLicense, "per-license", 0, "daily calls per licence; 0 means the edition's (1000 enterprise/professional, 5000 unlimited/performance)")
	fs.Int64Var(&l.DailyLimit, "daily-limit", 0, "daily API request limit; overrides the edition formula when positive")
	fs.Int64Var(&l.DailyOverage, "daily-overage", 0, "calls allowed past the daily limit before REQUEST_LIMIT_EXCEEDED")
	fs.IntVar(&l.LongRunningLimit, "long-running-limit", 0, "concurrent long-running request slots; 0 means the edition's (25, or 5 for developer)")
	fs.StringVar(&l.LongRunningThreshold, "long-running-threshold", salesforce.DefaultLongRunningThreshold, "how long a request runs before it occupies a long-running slot (platform time)")
	fs.StringVar(&l.SessionTimeout, "session-timeout", salesforce.DefaultSessionTimeout, "the org's session timeout: a session ends after this long without activity (platform time)")
	fs.StringVar(&l.SessionRefresh, "session-refresh", salesforce.DefaultSessionRefresh, "which calls restart the session timer: half (past half the timeout, as Salesforce does) or each_call")
	clientID := fs.String("client-id", "", "the only client id the token endpoint accepts (default: any)")
	clientSecret := fs.String("client-secret", "", "the only client secret accepted (default: any; also from $"+envSalesforceSecret+")")
	refreshToken := fs.String("refresh-token", "", "a refresh token to honour as if issued earlier (also from $"+envSalesforceRefreshToken+")")
	fs.StringVar(&l.ExternalIDFields, "external-id-fields", salesforce.DefaultExternalIDField, "external id fields, comma-separated: Field (of Contact) or Object.Field; none for none")
	fs.BoolVar(&unique, "unique-external-ids", true, "external id fields are unique (DUPLICATE_VALUE on a second record); false allows duplicates and 300 answers")
	fs.StringVar(&l.DuplicateRule, "duplicate-rule", "on", "standard Contact duplicate rule on email: on or off")
	fs.Float64Var(&l.LockRowRate, "lock-row-rate", 0, "probability (0-1) that a write fails with 400 UNABLE_TO_LOCK_ROW")
	fs.StringVar(&l.Latency, "latency", salesforce.DefaultLatency, "service time of every data API call: 300ms, uniform(a,b), normal(m,sd), lognormal(p50,p99), or 0")
	fs.StringVar(&l.APIVersions, "api-versions", salesforce.DefaultAPIVersions, "API versions served, e.g. v31.0-v66.0")
	fs.StringVar(&l.RetiredAPIVersions, "retired-api-versions", salesforce.DefaultRetiredAPIVersions, "API versions that answer 410 GONE, or none")
	fs.IntVar(&l.QueryBatchSize, "query-batch-size", salesforce.DefaultQueryBatchSize, "most records per query response (200-2000)")
	fs.StringVar(&l.BatchCounting, "batch-counting", salesforce.DefaultBatchCounting, "how a composite batch counts against the daily allocation: subrequests, request or both")
	fs.StringVar(&l.BulkQueueDelay, "bulk-queue-delay", salesforce.DefaultBulkQueueDelay, "how long a closed Bulk API job waits before processing (platform time)")
	fs.IntVar(&l.BulkProcessingRate, "bulk-processing-rate", salesforce.DefaultBulkProcessingRate, "Bulk API records processed per second of platform time")
	fs.IntVar(&l.BulkRecordsPerBatch, "bulk-records-per-batch", salesforce.DefaultBulkRecordsPerBatch, "records per internal Bulk API batch")
	fs.Int64Var(&l.BulkBatchAllocation, "bulk-batch-allocation", salesforce.DefaultBulkBatchAllocation, "Bulk API batches per rolling 24 hours (DailyBulkApiBatches)")
	fs.Int64Var(&l.BulkDailyRecords, "bulk-daily-records", salesforce.DefaultBulkDailyRecords, "Bulk API records per rolling 24 hours")
	fs.Int64Var(&l.BulkMaxUpload, "bulk-max-upload", salesforce.DefaultBulkMaxUpload, "largest Bulk API upload in bytes, counted base64-encoded")
	if code, done := parse(fs, args); done {
		return code
	}
	if err := common.validate(); err != nil {
		return fail(s, cmd, exitUsage, "%v", err)
	}
	l.UniqueExternalIDs = &unique
	if *clientSecret == "" {
		*clientSecret = os.Getenv(envSalesforceSecret)
	}
	if *refreshToken == "" {
		*refreshToken = os.Getenv(envSalesforceRefreshToken)
	}
	srv, err := salesforce.New(salesforce.Options{
		Clock: common.clock(), Seed: common.seed, Limits: l,
		ClientID: *clientID, ClientSecret: *clientSecret, RefreshToken: *refreshToken,
		Logger: common.logger(s.err),
	})
	if err != nil {
		return fail(s, cmd, exitUsage, "%s", flagNames(err.Error()))
	}
	if err := common.applyProfile(srv.Fake()); err != nil {
		return fail(s, cmd, exitUsage, "%v", err)
	}
	// limit flags given on the command line win over the profile's limits
	if common.profile != "" {
		if err := reapplySalesforceFlags(fs, srv.Fake(), l, unique); err != nil {
			return fail(s, cmd, exitUsage, "%s", flagNames(err.Error()))
		}
	}
	return serveFake(ctx, s, "salesforce", srv, common.addr)
}

// reapplySalesforceFlags applies the limit flags that were set explicitly.
func reapplySalesforceFlags(fs *flag.FlagSet, fake *fakehttp.Server, l salesforce.Limits, unique bool) error {
	all, err := json.Marshal(l)
	if err != nil {
		return err
	}
	var byKnob map[string]json.RawMessage
	if err := json.Unmarshal(all, &byKnob); err != nil {
		return err
	}
	byKnob["unique_external_ids"], _ = json.Marshal(unique)
	set := map[string]json.RawMessage{}
	fs.Visit(func(f *flag.Flag) {
		knob := strings.ReplaceAll(f.Name, "-", "_")
		if v, ok := byKnob[knob]; ok {
			set[knob] = v
		}
	})
	if len(set) == 0 {
		return nil
	}
	raw, err := json.Marshal(set)
	if err != nil {
		return err
	}
	return fake.ApplyProfile(fakehttp.Profile{Limits: raw})
}

// flagNames rewrites knob names in a library error (lock_row_rate) as the flags that set
// them (--lock-row-rate).
func flagNames(msg string) string {
	msg = strings.TrimPrefix(msg, "salesforce: ")
	for _, k := range salesforceLimitFlags {
		if strings.HasPrefix(msg, k) {
			return "--" + strings.ReplaceAll(k, "_", "-") + strings.TrimPrefix(msg, k)
		}
	}
	return fmt.Sprint(msg)
}
