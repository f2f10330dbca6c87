// Drives the fake Salesforce with jsforce, unmodified, the way an integration would,
// and prints what it saw as one JSON object for the Go test (fakes/salesforce) to check.
//
// Environment: SF_URL (the fake's base URL, used as loginUrl), SF_CLIENT_ID and
// SF_CLIENT_SECRET (the connected app the fake accepts).
import jsforce from 'jsforce';

const loginUrl = process.env.SF_URL;
const clientId = process.env.SF_CLIENT_ID;
const clientSecret = process.env.SF_CLIENT_SECRET;
const version = '60.0';
const out = {};

// OAuth 2.0 username-password flow: login() uses it when the client has a secret.
const conn = new jsforce.Connection({ loginUrl, version, oauth2: { loginUrl, clientId, clientSecret } });
const user = await conn.login('integration@example.com', 'password');
out.login = { organizationId: user.organizationId, userId: user.id, instanceUrl: conn.instanceUrl };

// OAuth 2.0 client credentials flow.
const cc = new jsforce.Connection({ version, oauth2: { loginUrl, clientId, clientSecret } });
await cc.authorize({ grant_type: 'client_credentials' });
out.clientCredentials = { instanceUrl: cc.instanceUrl, identity: (await cc.query('SELECT COUNT() FROM Contact')).totalSize };

const acme = await conn.sobject('Account').create({ Name: 'Acme' });

// upsert of one record: PATCH /sobjects/Contact/Shopify_Customer_Id__c/7001
const first = await conn.sobject('Contact').upsert(
  { Shopify_Customer_Id__c: '7001', LastName: 'Lovelace', Email: 'ada@example.com', AccountId: acme.id },
  'Shopify_Customer_Id__c');
const again = await conn.sobject('Contact').upsert({ Shopify_Customer_Id__c: '7001', FirstName: 'Ada' }, 'Shopify_Customer_Id__c');
out.upsertOne = [first, again].map((r) => ({ id: r.id, success: r.success, created: r.created }));

// upsert of several: PATCH /composite/sobjects/Contact/Shopify_Customer_Id__c
const many = await conn.sobject('Contact').upsert([
  { Shopify_Customer_Id__c: '7001', LastName: 'Lovelace', Order_Count__c: 2 },
  { Shopify_Customer_Id__c: '7002', LastName: 'Hopper', Email: 'grace@example.com' },
  { Shopify_Customer_Id__c: '7003', LastName: 'Copy', Email: 'ADA@example.com' },
], 'Shopify_Customer_Id__c');
out.upsertMany = many.map((r) => ({
  id: r.id || null, success: r.success, created: r.created === undefined ? null : r.created,
  errors: r.errors.map((e) => e.statusCode),
}));

// SOQL: a relationship field, COUNT() and COUNT(Id)
const q = await conn.query("SELECT Id, Email, Account.Name FROM Contact WHERE Shopify_Customer_Id__c = '7001'");
out.query = { totalSize: q.totalSize, email: q.records[0].Email, accountName: q.records[0].Account.Name };
out.count = (await conn.query('SELECT COUNT() FROM Contact')).totalSize;
out.countId = (await conn.query('SELECT COUNT(Id) FROM Contact')).records[0].expr0;

// retrieve several by id: POST /composite/sobjects/Contact (after a describe)
const ids = many.filter((r) => r.success).map((r) => r.id);
const retrieved = await conn.sobject('Contact').retrieve(ids, { fields: ['Id', 'LastName'] });
out.retrieve = retrieved.map((r) => r.LastName);

// Composite: jsforce has no composite method, so through its generic requestPost
const composite = await conn.requestPost('/composite', {
  allOrNone: true,
  compositeRequest: [
    { method: 'POST', url: `/services/data/v${version}/sobjects/Account`, referenceId: 'newAccount', body: { Name: 'Globex' } },
    { method: 'PATCH', url: `/services/data/v${version}/sobjects/Contact/Shopify_Customer_Id__c/7002`, referenceId: 'link',
      body: { AccountId: '@{newAccount.id}' } },
  ],
});
out.composite = composite.compositeResponse.map((r) => r.httpStatusCode);

// /limits, and the usage jsforce reads from Sforce-Limit-Info
const limits = await conn.limits();
out.limits = { DailyApiRequests: limits.DailyApiRequests, DailyBulkApiBatches: limits.DailyBulkApiBatches };
out.limitInfo = conn.limitInfo.apiUsage;

// Bulk API 2.0: create, upload CSV, close, poll, results
const bulk = await conn.bulk2.loadAndWaitForResults({
  object: 'Contact',
  operation: 'upsert',
  externalIdFieldName: 'Shopify_Customer_Id__c',
  input: [
    { Shopify_Customer_Id__c: '8001', LastName: 'Bulk One', Email: 'bulk1@example.com' },
    { Shopify_Customer_Id__c: '8002', LastName: 'Bulk Two', Email: 'bulk2@example.com' },
    { Shopify_Customer_Id__c: '7002', LastName: 'Hopper', Email: 'grace@example.com' },
    { Shopify_Customer_Id__c: '8003', LastName: '', Email: 'nolast@example.com' },
  ],
  pollInterval: 100,
  pollTimeout: 30000,
});
out.bulk = {
  successful: bulk.successfulResults.map((r) => [r.Shopify_Customer_Id__c, r.sf__Created]),
  failed: bulk.failedResults.map((r) => [r.Shopify_Customer_Id__c, r.sf__Error.split(':')[0]]),
  unprocessed: bulk.unprocessedRecords.length,
};
const jobs = await conn.request(`/services/data/v${version}/jobs/ingest`);
out.bulkJobs = jobs.records.map((j) => j.state);

console.log(JSON.stringify(out));
