package hubspot_test

import (
	"encoding/json"
	"os"
	"strconv"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	"github.com/peakready/peakready/fakes/hubspot"
)

// nodeResult is what testdata/jsclients/hubspot.mjs prints.
type nodeResult struct {
	ExternalIDProperty struct {
		Name   string `json:"name"`
		Unique bool   `json:"unique"`
	} `json:"externalIdProperty"`
	Create struct {
		ID, Email, Segments string
		CreatedAtIsDate     bool `json:"createdAtIsDate"`
		Archived            bool
	} `json:"create"`
	GetByID struct {
		ID, Email string
		ShopifyID string `json:"shopifyId"`
	} `json:"getById"`
	GetByEmail     struct{ ID, Firstname string }       `json:"getByEmail"`
	GetByShopifyID struct{ ID string }                  `json:"getByShopifyId"`
	Update         struct{ Lastname, Firstname string } `json:"update"`
	UpdateByEmail  struct{ Segments string }            `json:"updateByEmail"`
	NotFound       struct {
		Code     int
		Category string
	} `json:"notFound"`
	Upsert struct {
		Status  string
		Results []struct {
			Email string
			New   bool
		}
		StartedAtIsDate bool `json:"startedAtIsDate"`
	} `json:"upsert"`
	BatchRead struct {
		Status    string
		Found     []string
		NumErrors int `json:"numErrors"`
		Errors    []struct {
			Category string
			IDs      []string `json:"ids"`
		}
	} `json:"batchRead"`
	Search struct {
		Total int
		Pages [][]string
	} `json:"search"`
	Duplicate struct {
		Threw                     bool
		Code                      int
		Status, Category, Message string
		ExistingID                string `json:"existingId"`
		CorrelationID             bool   `json:"correlationId"`
	} `json:"duplicate"`
	BurstNoRetry struct {
		Threw          bool
		Code           int
		PolicyName     string `json:"policyName"`
		Message        string
		ErrorType      string `json:"errorType"`
		Remaining, Max string
	} `json:"burstNoRetry"`
	SearchRetry struct {
		Total int
		MS    int64 `json:"ms"`
	} `json:"searchRetry"`
	BurstRetry *struct {
		ID string
		MS int64 `json:"ms"`
	} `json:"burstRetry"`
	Daily struct {
		Threw          bool
		Code           int
		PolicyName     string `json:"policyName"`
		Message        string
		MS             int64  `json:"ms"`
		DailyRemaining string `json:"dailyRemaining"`
	} `json:"daily"`
}

// HubSpot's official Node.js client works against the fake unmodified: create, get by
// id, email and a unique property, update, batch upsert and read, search with paging,
// the 409 for a duplicate, and the three 429s. With its retries on, the client retries
// SECONDLY after 1 s and TEN_SECONDLY_ROLLING after a fixed 10 s, both succeeding; it
// never retries DAILY. (The 10 s step is skipped under -short.)
func TestOfficialNodeClient(t *testing.T) {
	t.Parallel()
	fakehttptest.JSClientsDir(t)
	srv, err := hubspot.New(hubspot.Options{Seed: 3, Limits: hubspot.Limits{Latency: "0"}})
	require.NoError(t, err)
	base := fakehttptest.Start(t, srv)

	env := map[string]string{"HUBSPOT_BASE": base, "HUBSPOT_TOKEN": "pat-na1-node-client"}
	if testing.Short() {
		env["HUBSPOT_SKIP_SLOW"] = "1"
	}
	out := fakehttptest.Node(t, "hubspot.mjs", env, 2*time.Minute)
	var got nodeResult
	require.NoError(t, json.Unmarshal([]byte(out), &got), "stdout: %s", out)

	assert.Equal(t, "shopify_customer_id", got.ExternalIDProperty.Name)
	assert.True(t, got.ExternalIDProperty.Unique)
	assert.Equal(t, "101", got.Create.ID)
	assert.Equal(t, "ada@example.com", got.Create.Email)
	assert.Equal(t, "vip", got.Create.Segments)
	assert.True(t, got.Create.CreatedAtIsDate, "the client parses createdAt as a date")
	assert.Equal(t, "101", got.GetByID.ID)
	assert.Equal(t, "7001", got.GetByID.ShopifyID)
	assert.Equal(t, "101", got.GetByEmail.ID, "the client escapes @ in the path; the fake reads it back")
	assert.Equal(t, "Ada", got.GetByEmail.Firstname)
	assert.Equal(t, "101", got.GetByShopifyID.ID)
	assert.Equal(t, "Lovelace", got.Update.Lastname)
	assert.Equal(t, "Ada", got.Update.Firstname)
	assert.Equal(t, "vip;newsletter", got.UpdateByEmail.Segments)
	assert.Equal(t, 404, got.NotFound.Code)
	assert.Equal(t, hubspot.CategoryObjectNotFound, got.NotFound.Category)

	assert.Equal(t, "COMPLETE", got.Upsert.Status)
	require.Len(t, got.Upsert.Results, 5)
	assert.False(t, got.Upsert.Results[0].New, "ada existed")
	for _, r := range got.Upsert.Results[1:] {
		assert.True(t, r.New, r.Email)
	}
	assert.True(t, got.Upsert.StartedAtIsDate)

	assert.Equal(t, []string{"ada@example.com", "grace@example.com"}, got.BatchRead.Found)
	assert.Equal(t, 1, got.BatchRead.NumErrors)
	require.Len(t, got.BatchRead.Errors, 1)
	assert.Equal(t, hubspot.CategoryObjectNotFound, got.BatchRead.Errors[0].Category)
	assert.Equal(t, []string{"nobody@example.com"}, got.BatchRead.Errors[0].IDs)

	assert.Equal(t, 5, got.Search.Total)
	assert.Equal(t, [][]string{
		{"ada@example.com", "alan@example.com"}, {"barbara@example.com", "edsger@example.com"}, {"grace@example.com"},
	}, got.Search.Pages)

	assert.True(t, got.Duplicate.Threw)
	assert.Equal(t, 409, got.Duplicate.Code)
	assert.Equal(t, "error", got.Duplicate.Status)
	assert.Equal(t, hubspot.CategoryConflict, got.Duplicate.Category)
	assert.Equal(t, "Contact already exists. Existing ID: 101", got.Duplicate.Message)
	assert.Equal(t, "101", got.Duplicate.ExistingID)
	assert.True(t, got.Duplicate.CorrelationID)

	assert.True(t, got.BurstNoRetry.Threw)
	assert.Equal(t, 429, got.BurstNoRetry.Code)
	assert.Equal(t, hubspot.PolicyTenSecondly, got.BurstNoRetry.PolicyName)
	assert.Equal(t, "You have reached your ten_secondly_rolling limit.", got.BurstNoRetry.Message)
	assert.Equal(t, "RATE_LIMIT", got.BurstNoRetry.ErrorType)
	assert.Equal(t, "0", got.BurstNoRetry.Remaining)
	assert.Equal(t, "2", got.BurstNoRetry.Max)

	assert.Equal(t, 5, got.SearchRetry.Total)
	assert.GreaterOrEqual(t, got.SearchRetry.MS, int64(1000), "the client waited its 1 s after SECONDLY")
	if !testing.Short() {
		require.NotNil(t, got.BurstRetry)
		assert.Equal(t, "101", got.BurstRetry.ID)
		assert.GreaterOrEqual(t, got.BurstRetry.MS, int64(10_000), "the client waited its fixed 10 s after TEN_SECONDLY_ROLLING")
	}

	assert.True(t, got.Daily.Threw)
	assert.Equal(t, 429, got.Daily.Code)
	assert.Equal(t, hubspot.PolicyDaily, got.Daily.PolicyName)
	assert.Equal(t, "You have reached your daily limit.", got.Daily.Message)
	assert.Less(t, got.Daily.MS, int64(1000), "DAILY is not retried")
	assert.Equal(t, "0", got.Daily.DailyRemaining)

	stats := srv.Stats()
	assert.GreaterOrEqual(t, stats.Throttled[hubspot.PolicySecondly], int64(1))
	assert.GreaterOrEqual(t, stats.Throttled[hubspot.PolicyTenSecondly], int64(1))
	assert.Equal(t, int64(1), stats.Throttled[hubspot.PolicyDaily])
	counts := srv.Ledger().Counts(hubspot.RecordContact)
	assert.Equal(t, int64(2), counts.CreateAttemptsByNaturalKey["ada@example.com"], "the create and the refused duplicate")
	assert.Equal(t, int64(1), counts.RecordsByNaturalKey["ada@example.com"])
	if v := os.Getenv("PEAKREADY_VERBOSE_NODE"); v != "" {
		t.Log(out, strconv.Quote(v))
	}
}
