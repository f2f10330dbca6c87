package salesforce

import (
	"bytes"
	"encoding/json"
	"mime/multipart"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
)

func (b *testBundle) createJob(t *testing.T, def string) JobInfo {
	t.Helper()
	resp, body := b.do(t, http.MethodPost, "v60.0/jobs/ingest", def)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var info JobInfo
	require.NoError(t, json.Unmarshal(body, &info))
	return info
}

func (b *testBundle) jobInfo(t *testing.T, id string) JobInfo {
	t.Helper()
	resp, body := b.do(t, http.MethodGet, "v60.0/jobs/ingest/"+id, "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var info JobInfo
	require.NoError(t, json.Unmarshal(body, &info))
	return info
}

func (b *testBundle) upload(t *testing.T, id, csv string) {
	t.Helper()
	resp, body := b.do(t, http.MethodPut, "v60.0/jobs/ingest/"+id+"/batches", csv, "Content-Type", "text/csv")
	require.Equal(t, http.StatusCreated, resp.StatusCode, string(body))
	assert.Empty(t, body)
}

func (b *testBundle) closeJob(t *testing.T, id string) JobInfo {
	t.Helper()
	resp, body := b.do(t, http.MethodPatch, "v60.0/jobs/ingest/"+id, `{"state":"UploadComplete"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var info JobInfo
	require.NoError(t, json.Unmarshal(body, &info))
	return info
}

func (b *testBundle) results(t *testing.T, id, which string) string {
	t.Helper()
	resp, body := b.do(t, http.MethodGet, "v60.0/jobs/ingest/"+id+"/"+which+"/", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, "text/csv;charset=UTF-8", resp.Header.Get("Content-Type"))
	assert.NotEmpty(t, resp.Header.Get("Sforce-Limit-Info"))
	return string(body)
}

func TestBulkInsertLifecycle(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.BulkProcessingRate = 1 })
	start := b.clock.Now()
	info := b.createJob(t, `{"object":"Contact","operation":"insert","contentType":"CSV","lineEnding":"LF"}`)
	assert.Equal(t, JobOpen, info.State)
	assert.True(t, strings.HasPrefix(info.ID, prefixJob))
	assert.Equal(t, "services/data/v60.0/jobs/ingest/"+info.ID+"/batches", info.ContentURL)
	assert.Equal(t, json.Number("60.0"), info.APIVersion)
	assert.Equal(t, "COMMA", info.ColumnDelimiter)
	assert.Nil(t, info.NumberRecordsProcessed, "the create answer has no counters")
	b.upload(t, info.ID, "FirstName,LastName,Email,Order_Count__c\n"+
		"Ada,Lovelace,ada@example.com,3\n"+
		"\"Grace, Admiral\",Hopper,,#N/A\n"+
		"No,,nolast@example.com,1\n"+
		"Bad,Number,,many\n")
	resp, body := b.do(t, http.MethodPut, "v60.0/jobs/ingest/"+info.ID+"/batches", "LastName\nx\n")
	e := requireError(t, resp, body, http.StatusBadRequest, CodeBulkAPIError)
	assert.Contains(t, e.Message, "Found multiple contents for job")
	closed := b.closeJob(t, info.ID)
	assert.Equal(t, JobUploadComplete, closed.State)
	assert.Empty(t, closed.ContentURL)

	got := b.jobInfo(t, info.ID)
	assert.Equal(t, JobUploadComplete, got.State)
	assert.Equal(t, "V2Ingest", got.JobType)
	assert.Equal(t, 0, *got.NumberRecordsProcessed)
	resp, body = b.do(t, http.MethodGet, "v60.0/jobs/ingest/"+info.ID+"/successfulResults", "")
	requireError(t, resp, body, http.StatusBadRequest, CodeInvalidJobState)

	// the queue delay, then one record a second: the first batch of 4 completes at 4 s
	b.clock.Advance(time.Second)
	assert.Equal(t, JobInProgress, b.jobInfo(t, info.ID).State)
	assert.Empty(t, b.srv.Contacts(), "the batch has not completed")
	b.clock.Advance(4 * time.Second)
	got = b.jobInfo(t, info.ID)
	assert.Equal(t, JobComplete, got.State)
	assert.Equal(t, 4, *got.NumberRecordsProcessed)
	assert.Equal(t, 2, *got.NumberRecordsFailed)
	assert.EqualValues(t, 4000, *got.TotalProcessingTime)
	assert.Equal(t, start.Add(5*time.Second).UTC().Format(sfTime), got.SystemModstamp)

	contacts := b.srv.Contacts()
	require.Len(t, contacts, 2)
	assert.Equal(t, 3.0, contacts[0].Fields["Order_Count__c"])
	assert.Equal(t, "Grace, Admiral", contacts[1].Fields["FirstName"])
	assert.NotContains(t, contacts[1].Fields, "Order_Count__c", "#N/A is null")
	assert.Equal(t, `"sf__Id","sf__Created",FirstName,LastName,Email,Order_Count__c
"`+contacts[0].ID+`","true","Ada","Lovelace","ada@example.com","3"
"`+contacts[1].ID+`","true","Grace, Admiral","Hopper","","#N/A"
`, b.results(t, info.ID, "successfulResults"))
	assert.Equal(t, `"sf__Id","sf__Error",FirstName,LastName,Email,Order_Count__c
"","REQUIRED_FIELD_MISSING:Required fields are missing: [LastName]:LastName --","No","","nolast@example.com","1"
"","INVALID_FIELD:Failed to deserialize field at col 4. Due to, 'many' is not a valid value for the type xsd:double:Order_Count__c --","Bad","Number","","many"
`, b.results(t, info.ID, "failedResults"))
	assert.Equal(t, "FirstName,LastName,Email,Order_Count__c\n", b.results(t, info.ID, "unprocessedrecords"))

	// every request was one call; the job took one batch of the Bulk API allocation
	lim := b.srv.OrgLimits()
	assert.Equal(t, OrgLimit{Max: 15000, Remaining: 14999}, lim["DailyBulkApiBatches"])
	assert.EqualValues(t, 11, b.srv.APIUsage().Used)
	assert.Equal(t, map[string]int{JobComplete: 1}, b.srv.LimitStats().BulkJobs.ByState)
	assert.EqualValues(t, 2, b.srv.Ledger().Counts(ObjectContact).Created)
}

func TestBulkUpsertByExternalID(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.BulkQueueDelay = "0s" })
	existing := b.createContact(t, `{"LastName":"Old","Email":"old@example.com","Shopify_Customer_Id__c":"7001"}`)
	b.createContact(t, `{"LastName":"Taken","Email":"taken@example.com"}`)
	info := b.createJob(t, `{"object":"Contact","operation":"upsert","externalIdFieldName":"shopify_customer_id__c","lineEnding":"CRLF","columnDelimiter":"PIPE"}`)
	assert.Equal(t, "Shopify_Customer_Id__c", info.ExternalIDFieldName)
	b.upload(t, info.ID, "Shopify_Customer_Id__c|LastName|Email\r\n"+
		"7001|Updated|\r\n"+
		"7002|New|new@example.com\r\n"+
		"7003|Twice|\r\n"+
		"7003|Twice again|\r\n"+
		"7004|Dup|TAKEN@example.com\r\n"+
		"|NoKey|\r\n")
	b.closeJob(t, info.ID)
	b.clock.Advance(time.Second)
	assert.Equal(t, JobComplete, b.jobInfo(t, info.ID).State)
	assert.Equal(t, "Updated", b.srv.Contact(existing).Fields["LastName"])
	assert.Equal(t, "old@example.com", b.srv.Contact(existing).Fields["Email"], "an empty value leaves the field alone")
	counts := b.srv.ContactCounts()
	assert.Equal(t, map[string]int{"7001": 1, "7002": 1}, counts.ByExternalID)
	success := b.results(t, info.ID, "successfulResults")
	assert.True(t, strings.HasPrefix(success, `"sf__Id"|"sf__Created"|Shopify_Customer_Id__c|LastName|Email`+"\r\n"), success)
	assert.Contains(t, success, `"`+existing+`"|"false"|"7001"|"Updated"|""`+"\r\n")
	assert.Contains(t, success, `|"true"|"7002"|"New"|"new@example.com"`)
	failed := b.results(t, info.ID, "failedResults")
	assert.Equal(t, 2, strings.Count(failed, "DUPLICATE_VALUE:Duplicate external id specified: 7003:Shopify_Customer_Id__c --"), failed)
	assert.Contains(t, failed, "DUPLICATES_DETECTED:")
	assert.Contains(t, failed, "MISSING_ARGUMENT:Shopify_Customer_Id__c not specified")
}

func TestBulkDeleteAndHardDelete(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.BulkQueueDelay = "0s" })
	a := b.createContact(t, `{"LastName":"A"}`)
	c := b.createContact(t, `{"LastName":"C"}`)
	for op, id := range map[string]string{"delete": a, "hardDelete": c} {
		info := b.createJob(t, `{"object":"Contact","operation":"`+op+`"}`)
		b.upload(t, info.ID, "Id\n"+id+"\n0035g0000000099AAA\n")
		b.closeJob(t, info.ID)
		b.clock.Advance(time.Second)
		assert.Equal(t, `"sf__Id","sf__Created",Id`+"\n"+`"`+id+`","false","`+id+`"`+"\n", b.results(t, info.ID, "successfulResults"))
		assert.Contains(t, b.results(t, info.ID, "failedResults"), `"0035g0000000099AAA","INVALID_CROSS_REFERENCE_KEY:invalid cross reference id: --"`)
	}
	assert.Empty(t, b.srv.Contacts())
	resp, body := b.do(t, http.MethodGet, "v60.0/queryAll?q=SELECT+Id+FROM+Contact", "")
	require.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Contains(t, string(body), a, "a deleted record stays for QueryAll")
	assert.NotContains(t, string(body), c, "a hard-deleted one does not")
}

func TestBulkAllocationsFailJobs(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.Limits.BulkQueueDelay, o.Limits.BulkRecordsPerBatch, o.Limits.BulkBatchAllocation = "0s", 2, 2
	})
	info := b.createJob(t, `{"object":"Contact","operation":"insert"}`)
	b.upload(t, info.ID, "LastName\na\nb\nc\nd\ne\n")
	b.closeJob(t, info.ID)
	b.clock.Advance(time.Minute)
	got := b.jobInfo(t, info.ID)
	assert.Equal(t, JobFailed, got.State)
	assert.Contains(t, got.ErrorMessage, "ExceededQuota")
	assert.Equal(t, 4, *got.NumberRecordsProcessed, "two batches of two went through")
	assert.Len(t, b.srv.Contacts(), 4)
	assert.Equal(t, "LastName\n\"e\"\n", b.results(t, info.ID, "unprocessedrecords"))
	assert.Equal(t, OrgLimit{Max: 2, Remaining: 0}, b.srv.OrgLimits()["DailyBulkApiBatches"])
	// the allocation rolls: a day later batches are allowed again
	b.clock.Advance(24 * time.Hour)
	assert.Equal(t, OrgLimit{Max: 2, Remaining: 2}, b.srv.OrgLimits()["DailyBulkApiBatches"])
}

func TestBulkJobFailures(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) { o.Limits.BulkQueueDelay = "0s" })
	cases := []struct {
		def, csv, want string
	}{
		{`{"object":"Contact","operation":"insert"}`, "LastName\r\nA\r\n", "LineEnding is invalid on user data. Current LineEnding setting is LF"},
		{`{"object":"Contact","operation":"insert","lineEnding":"CRLF"}`, "LastName\nA\n", "Current LineEnding setting is CRLF"},
		{`{"object":"Contact","operation":"insert"}`, "LastName,Nope__c\nA,b\n", "InvalidBatch : Field name not found : Nope__c"},
		{`{"object":"Contact","operation":"insert"}`, "LastName,FirstName\nA\n", "ClientInputError"},
		{`{"object":"Contact","operation":"insert"}`, "LastName\n\"A\" \n", "ClientInputError"},
		{`{"object":"Contact","operation":"update"}`, "LastName\nA\n", "Id column"},
		{`{"object":"Contact","operation":"upsert","externalIdFieldName":"Shopify_Customer_Id__c"}`, "LastName\nA\n", "external id column"},
	}
	for _, c := range cases {
		info := b.createJob(t, c.def)
		b.upload(t, info.ID, c.csv)
		b.closeJob(t, info.ID)
		got := b.jobInfo(t, info.ID)
		assert.Equal(t, JobFailed, got.State, c.csv)
		assert.Contains(t, got.ErrorMessage, c.want)
	}
	for _, def := range []string{
		`{"object":"Lead","operation":"insert"}`,
		`{"object":"Contact","operation":"merge"}`,
		`{"object":"Contact","operation":"upsert"}`,
		`{"object":"Contact","operation":"upsert","externalIdFieldName":"Email__c"}`,
		`{"object":"Contact","operation":"insert","contentType":"JSON"}`,
		`{"object":"Contact","operation":"insert","lineEnding":"CR"}`,
		`{"object":"Contact","operation":"insert","columnDelimiter":"COLON"}`,
	} {
		resp, body := b.do(t, http.MethodPost, "v60.0/jobs/ingest", def)
		requireError(t, resp, body, http.StatusBadRequest, CodeInvalidJob)
	}
	resp, body := b.do(t, http.MethodPost, "v40.0/jobs/ingest", `{"object":"Contact","operation":"insert"}`)
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
}

func TestBulkAbortDeleteAndList(t *testing.T) {
	t.Parallel()
	b := setup(t)
	open := b.createJob(t, `{"object":"Contact","operation":"insert"}`)
	resp, body := b.do(t, http.MethodDelete, "v60.0/jobs/ingest/"+open.ID, "")
	requireError(t, resp, body, http.StatusBadRequest, CodeInvalidJobState)
	b.upload(t, open.ID, "LastName\nA\nB\n")
	resp, body = b.do(t, http.MethodPatch, "v60.0/jobs/ingest/"+open.ID, `{"state":"Aborted"}`)
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	assert.Equal(t, JobAborted, b.jobInfo(t, open.ID).State)
	assert.Equal(t, "LastName\n\"A\"\n\"B\"\n", b.results(t, open.ID, "unprocessedrecords"))
	resp, body = b.do(t, http.MethodPatch, "v60.0/jobs/ingest/"+open.ID, `{"state":"UploadComplete"}`)
	requireError(t, resp, body, http.StatusBadRequest, CodeInvalidJobState)
	second := b.createJob(t, `{"object":"Account","operation":"insert"}`)

	resp, body = b.do(t, http.MethodGet, "v60.0/jobs/ingest", "")
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var list struct {
		Done           bool      `json:"done"`
		Records        []JobInfo `json:"records"`
		NextRecordsURL *string   `json:"nextRecordsUrl"`
	}
	require.NoError(t, json.Unmarshal(body, &list))
	assert.True(t, list.Done)
	assert.Nil(t, list.NextRecordsURL)
	require.Len(t, list.Records, 2)
	assert.Equal(t, []string{open.ID, second.ID}, []string{list.Records[0].ID, list.Records[1].ID})
	assert.Equal(t, "V2Ingest", list.Records[0].JobType)

	resp, body = b.do(t, http.MethodDelete, "v60.0/jobs/ingest/"+open.ID, "")
	require.Equal(t, http.StatusNoContent, resp.StatusCode, string(body))
	resp, body = b.do(t, http.MethodGet, "v60.0/jobs/ingest/"+open.ID, "")
	requireError(t, resp, body, http.StatusNotFound, CodeNotFound)
	assert.Empty(t, b.srv.Contacts(), "an aborted job writes nothing")
}

func TestBulkMultipartCreate(t *testing.T) {
	t.Parallel()
	b := setup(t)
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	job, _ := mw.CreateFormField("job")
	_, _ = job.Write([]byte(`{"object":"Contact","contentType":"CSV","operation":"insert","lineEnding":"LF"}`))
	content, _ := mw.CreateFormFile("content", "content")
	_, _ = content.Write([]byte("FirstName,LastName,MailingCity\nAstro,Nomical,San Francisco\n"))
	require.NoError(t, mw.Close())
	resp, body := b.do(t, http.MethodPost, "v60.0/jobs/ingest", buf.String(), "Content-Type", mw.FormDataContentType())
	require.Equal(t, http.StatusOK, resp.StatusCode, string(body))
	var info JobInfo
	require.NoError(t, json.Unmarshal(body, &info))
	assert.Equal(t, JobUploadComplete, info.State, "a multipart job is closed for you")
	b.clock.Advance(2 * time.Second)
	assert.Equal(t, JobComplete, b.jobInfo(t, info.ID).State)
	require.Len(t, b.srv.Contacts(), 1)
	assert.Equal(t, "San Francisco", b.srv.Contacts()[0].Fields["MailingCity"])
}

func TestBulkJobsAdvanceWithoutCalls(t *testing.T) {
	t.Parallel()
	b := setup(t, func(o *Options) {
		o.Clock = clock.NewScaled(100)
		o.Limits.BulkQueueDelay = "1s"
	})
	info := b.createJob(t, `{"object":"Contact","operation":"insert"}`)
	b.upload(t, info.ID, "LastName\nA\nB\n")
	b.closeJob(t, info.ID)
	// nothing calls the fake: the background loop processes the job on platform time,
	// which the ledger (read without advancing jobs) shows
	require.Eventually(t, func() bool { return b.srv.Ledger().Counts(ObjectContact).Created == 2 }, 5*time.Second, 10*time.Millisecond)
}

func TestParseBulkCSV(t *testing.T) {
	t.Parallel()
	cases := []struct {
		in   string
		crlf bool
		want [][]string
		err  string
	}{
		{"a,b\n1,2\n", false, [][]string{{"a", "b"}, {"1", "2"}}, ""},
		{"\xef\xbb\xbfa,b\n1,2", false, [][]string{{"a", "b"}, {"1", "2"}}, ""},
		{"a,b\n\n1,\n", false, [][]string{{"a", "b"}, {"1", ""}}, ""},
		{"a,b\n\"x, \"\"y\"\"\nz\",\"\"\n", false, [][]string{{"a", "b"}, {"x, \"y\"\nz", ""}}, ""},
		{"a\r\nx\r\n", true, [][]string{{"a"}, {"x"}}, ""},
		{"a\nx \n", false, [][]string{{"a"}, {"x "}}, ""},
		{"a\n\"x\" \n", false, nil, "after a closing quote"},
		{"a\n\"x\n", false, nil, "not closed"},
		{"a,b\n1\n", false, nil, "the row has 1 fields, the header 2"},
		{"a\r\nb\r\n", false, nil, "LineEnding is invalid"},
		{"a\nb\n", true, nil, "LineEnding is invalid"},
	}
	for _, c := range cases {
		got, err := parseBulkCSV([]byte(c.in), ',', c.crlf)
		if c.err != "" {
			require.NotNil(t, err, c.in)
			assert.Contains(t, err.msg, c.err)
			continue
		}
		require.Nil(t, err, c.in)
		assert.Equal(t, c.want, got, c.in)
	}
}

func TestBulkUploadSizeCountsBase64(t *testing.T) {
	t.Parallel()
	// 40 bytes of base64 hold 30 bytes of data
	b := setup(t, func(o *Options) { o.Limits.BulkMaxUpload = 40 })
	info := b.createJob(t, `{"object":"Contact","operation":"insert"}`)
	resp, body := b.do(t, http.MethodPut, "v60.0/jobs/ingest/"+info.ID+"/batches", "LastName\n"+strings.Repeat("x", 22), "Content-Type", "text/csv")
	requireError(t, resp, body, http.StatusRequestEntityTooLarge, "REQUEST_ENTITY_TOO_LARGE")
	b.upload(t, info.ID, "LastName\n"+strings.Repeat("x", 21))
}
