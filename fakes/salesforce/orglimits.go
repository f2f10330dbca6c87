package salesforce

import "net/http"

// OrgLimit is one entry of GET /limits: the allocation and what is left of it.
type OrgLimit struct {
	Max       int64 `json:"Max"`
	Remaining int64 `json:"Remaining"`
}

// staticOrgLimits are the entries of GET /limits that the fake reports but does not
// enforce, with the allocations a Developer Edition org reported (a captured response
// in SwiftlySalesforce's test mocks; keys as listed by Salesforce's Limits resource and
// read by org-limit monitors). Each answers Remaining = Max.
var staticOrgLimits = []struct {
	name string
	max  int64
}{
	{"ActiveScratchOrgs", 3},
	{"AnalyticsExternalDataSizeMB", 40960},
	{"ConcurrentAsyncGetReportInstances", 200},
	{"ConcurrentEinsteinDataInsightsStoryCreation", 5},
	{"ConcurrentEinsteinDiscoveryStoryCreation", 2},
	{"ConcurrentSyncReportRuns", 20},
	{"DailyAnalyticsDataflowJobExecutions", 60},
	{"DailyAnalyticsUploadedFilesSizeMB", 51200},
	{"DailyAsyncApexExecutions", 250000},
	{"DailyAsyncApexTests", 500},
	{"DailyBulkV2QueryFileStorageMB", 976562},
	{"DailyBulkV2QueryJobs", 10000},
	{"DailyDeliveredPlatformEvents", 10000},
	{"DailyDurableGenericStreamingApiEvents", 10000},
	{"DailyDurableStreamingApiEvents", 10000},
	{"DailyEinsteinDataInsightsStoryCreation", 1000},
	{"DailyEinsteinDiscoveryPredictAPICalls", 50000},
	{"DailyEinsteinDiscoveryPredictionsByCDC", 500000},
	{"DailyEinsteinDiscoveryStoryCreation", 20},
	{"DailyGenericStreamingApiEvents", 10000},
	{"DailyScratchOrgs", 6},
	{"DailyStandardVolumePlatformEvents", 10000},
	{"DailyStreamingApiEvents", 10000},
	{"DailyWorkflowEmails", 195},
	{"DataStorageMB", 5},
	{"DurableStreamingApiConcurrentClients", 20},
	{"FileStorageMB", 20},
	{"HourlyAsyncReportRuns", 1200},
	{"HourlyDashboardRefreshes", 200},
	{"HourlyDashboardResults", 5000},
	{"HourlyDashboardStatuses", 999999999},
	{"HourlyLongTermIdMapping", 100000},
	{"HourlyManagedContentPublicRequests", 50000},
	{"HourlyODataCallout", 1000},
	{"HourlyPublishedPlatformEvents", 50000},
	{"HourlyPublishedStandardVolumePlatformEvents", 1000},
	{"HourlyShortTermIdMapping", 100000},
	{"HourlySyncReportRuns", 500},
	{"HourlyTimeBasedWorkflow", 50},
	{"MassEmail", 10},
	{"MonthlyEinsteinDiscoveryStoryCreation", 500},
	{"MonthlyPlatformEventsUsageEntitlement", 300000},
	{"Package2VersionCreates", 6},
	{"Package2VersionCreatesWithoutValidation", 500},
	{"PermissionSets", 1500},
	{"PrivateConnectOutboundCalloutHourlyLimitMB", 0},
	{"SingleEmail", 15},
	{"StreamingApiConcurrentClients", 20},
}

// OrgLimits is what GET /limits answers: every entry Salesforce's Limits resource
// lists. DailyApiRequests is the allocation the fake enforces (Sforce-Limit-Info's
// figures) and DailyBulkApiBatches the Bulk API batch allocation it enforces; the rest
// are static.
func (s *Server) OrgLimits() map[string]OrgLimit {
	st := s.settings.Load()
	u := s.APIUsage()
	out := make(map[string]OrgLimit, len(staticOrgLimits)+2)
	for _, l := range staticOrgLimits {
		out[l.name] = OrgLimit{Max: l.max, Remaining: l.max}
	}
	out["DailyApiRequests"] = OrgLimit{Max: u.Limit, Remaining: max(u.Limit-u.Used, 0)}
	batches := st.limits.BulkBatchAllocation
	out["DailyBulkApiBatches"] = OrgLimit{Max: batches, Remaining: max(batches-s.bulkBatches.Used(), 0)}
	return out
}

// serveLimits is GET /limits. Keys come out in alphabetical order, as Salesforce's do.
func (s *Server) serveLimits(w http.ResponseWriter) *apiError {
	limits := s.OrgLimits()
	writeJSON(w, http.StatusOK, limits)
	return nil
}
