package main

import (
	"context"
	"os"

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
		return fail(s, cmd, exitUsage, "%s", knobFlagNames(err.Error(), "salesforce", l))
	}
	if err := common.applyProfileUnderFlags(fs, srv.Fake(), "salesforce", l); err != nil {
		return fail(s, cmd, exitUsage, "%v", err)
	}
	return serveFake(ctx, s, "salesforce", srv, common.addr)
}
