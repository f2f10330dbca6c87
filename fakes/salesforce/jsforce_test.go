package salesforce_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/salesforce"
)

// jsforce, Salesforce's JavaScript client (pinned in testdata/jsclients), is the judge:
// testdata/jsclients/salesforce.mjs logs in, upserts, queries, retrieves, sends a
// composite request, reads the limits and loads a Bulk API 2.0 job against the fake,
// unmodified, and prints what it saw.
func TestJSForceAgainstFakeSalesforce(t *testing.T) {
	t.Parallel()
	srv, err := salesforce.New(salesforce.Options{
		Seed: 3, ClientID: "peakready-app", ClientSecret: "s3cret",
		Limits: salesforce.Limits{Latency: "off", BulkQueueDelay: "200ms", BulkProcessingRate: 100},
	})
	require.NoError(t, err)
	base := fakehttptest.Start(t, srv)

	raw := fakehttptest.Node(t, "salesforce.mjs", map[string]string{
		"SF_URL": base, "SF_CLIENT_ID": "peakready-app", "SF_CLIENT_SECRET": "s3cret",
	}, 2*time.Minute)
	var out struct {
		Login struct {
			OrganizationID string `json:"organizationId"`
			InstanceURL    string `json:"instanceUrl"`
		} `json:"login"`
		ClientCredentials struct {
			InstanceURL string `json:"instanceUrl"`
		} `json:"clientCredentials"`
		UpsertOne []struct {
			ID      string `json:"id"`
			Success bool   `json:"success"`
			Created bool   `json:"created"`
		} `json:"upsertOne"`
		UpsertMany []struct {
			ID      *string  `json:"id"`
			Success bool     `json:"success"`
			Created *bool    `json:"created"`
			Errors  []string `json:"errors"`
		} `json:"upsertMany"`
		Query struct {
			TotalSize   int    `json:"totalSize"`
			Email       string `json:"email"`
			AccountName string `json:"accountName"`
		} `json:"query"`
		Count     int                            `json:"count"`
		CountID   int                            `json:"countId"`
		Retrieve  []string                       `json:"retrieve"`
		Composite []int                          `json:"composite"`
		Limits    map[string]salesforce.OrgLimit `json:"limits"`
		LimitInfo struct {
			Used  int64 `json:"used"`
			Limit int64 `json:"limit"`
		} `json:"limitInfo"`
		Bulk struct {
			Successful  [][]string `json:"successful"`
			Failed      [][]string `json:"failed"`
			Unprocessed int        `json:"unprocessed"`
		} `json:"bulk"`
		BulkJobs []string `json:"bulkJobs"`
	}
	require.NoError(t, json.Unmarshal([]byte(raw), &out), raw)

	assert.Equal(t, srv.OrgID()[:15], out.Login.OrganizationID[:15])
	assert.Equal(t, base, out.Login.InstanceURL)
	assert.Equal(t, base, out.ClientCredentials.InstanceURL)

	require.Len(t, out.UpsertOne, 2)
	assert.True(t, out.UpsertOne[0].Success && out.UpsertOne[0].Created, "the first upsert creates")
	assert.Equal(t, out.UpsertOne[0].ID, out.UpsertOne[1].ID)
	assert.False(t, out.UpsertOne[1].Created, "the second updates (200 with created false on v60.0)")

	require.Len(t, out.UpsertMany, 3)
	assert.Equal(t, out.UpsertOne[0].ID, *out.UpsertMany[0].ID)
	assert.False(t, *out.UpsertMany[0].Created)
	assert.True(t, out.UpsertMany[1].Success)
	assert.True(t, *out.UpsertMany[1].Created)
	assert.False(t, out.UpsertMany[2].Success)
	assert.Equal(t, []string{salesforce.CodeDuplicatesDetected}, out.UpsertMany[2].Errors, "the duplicate rule holds in collections")

	assert.Equal(t, 1, out.Query.TotalSize)
	assert.Equal(t, "ada@example.com", out.Query.Email)
	assert.Equal(t, "Acme", out.Query.AccountName)
	assert.Equal(t, 2, out.Count)
	assert.Equal(t, 2, out.CountID)
	assert.Equal(t, []string{"Lovelace", "Hopper"}, out.Retrieve)
	assert.Equal(t, []int{201, 200}, out.Composite)

	u := srv.APIUsage()
	assert.Equal(t, salesforce.OrgLimit{Max: 100_000, Remaining: 100_000 - out.LimitInfo.Used}, out.Limits["DailyApiRequests"])
	assert.Equal(t, salesforce.OrgLimit{Max: 15_000, Remaining: 15_000}, out.Limits["DailyBulkApiBatches"])
	assert.EqualValues(t, 100_000, out.LimitInfo.Limit)

	assert.ElementsMatch(t, [][]string{{"8001", "true"}, {"8002", "true"}, {"7002", "false"}}, out.Bulk.Successful)
	assert.Equal(t, [][]string{{"8003", "REQUIRED_FIELD_MISSING"}}, out.Bulk.Failed)
	assert.Zero(t, out.Bulk.Unprocessed)
	assert.Equal(t, []string{salesforce.JobComplete}, out.BulkJobs)

	// what the org holds: no duplicate contacts, one call per request
	counts := srv.ContactCounts()
	assert.Equal(t, map[string]int{"7001": 1, "7002": 1, "8001": 1, "8002": 1}, counts.ByExternalID)
	for email, n := range counts.ByEmail {
		assert.Equal(t, 1, n, email)
	}
	assert.Greater(t, u.Used, out.LimitInfo.Used, "the Bulk API calls came after /limits")
	assert.EqualValues(t, 1, srv.OrgLimits()["DailyBulkApiBatches"].Max-srv.OrgLimits()["DailyBulkApiBatches"].Remaining)
}
