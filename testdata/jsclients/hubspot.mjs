// Drives the fake HubSpot with HubSpot's official Node.js client, @hubspot/api-client,
// unmodified: basePath points at the fake, accessToken is a private-app token. It prints
// one JSON object on stdout for the Go test (fakes/hubspot, TestOfficialNodeClient) to
// check; the client's own retry messages go to stderr.
//
// Environment: HUBSPOT_BASE (the fake's base URL), HUBSPOT_TOKEN (a bearer token),
// HUBSPOT_SKIP_SLOW=1 to skip the one step that waits the client's fixed 10 s retry.
import hubspot from '@hubspot/api-client';

const { Client } = hubspot;
const base = process.env.HUBSPOT_BASE;
const token = process.env.HUBSPOT_TOKEN;
if (!base || !token) {
  console.error('HUBSPOT_BASE and HUBSPOT_TOKEN are required');
  process.exit(2);
}

// The client keeps its retry settings in a process-wide decorator service and applies
// them when an API object is first built, so each client's APIs are built right away.
function makeClient(extra = {}) {
  const c = new Client({ basePath: base, accessToken: token, ...extra });
  void c.crm.contacts;
  void c.crm.properties;
  return c;
}

// admin calls the fake's admin API (not HubSpot's) with plain fetch.
async function admin(method, path, body) {
  const res = await fetch(base + path, {
    method,
    headers: { 'Content-Type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : null;
}

// caught runs fn and returns what the client threw: the status, the parsed body and
// the headers of the failed answer.
async function caught(fn) {
  const started = Date.now();
  try {
    await fn();
    return { threw: false, ms: Date.now() - started };
  } catch (e) {
    return { threw: true, code: e.code, body: e.body, headers: e.headers, ms: Date.now() - started };
  }
}

async function timed(fn) {
  const started = Date.now();
  const value = await fn();
  return { value, ms: Date.now() - started };
}

const out = {};
const client = makeClient();
const contacts = client.crm.contacts;

// The integration's own properties: a unique Shopify id exists already (the fake
// creates it), the segments are a multiple checkbox property.
await client.crm.properties.coreApi.create('contacts', {
  name: 'shopify_segments', label: 'Shopify segments', type: 'enumeration', fieldType: 'checkbox',
  groupName: 'contactinformation',
  options: [
    { label: 'VIP', value: 'vip', displayOrder: 0, hidden: false },
    { label: 'Newsletter', value: 'newsletter', displayOrder: 1, hidden: false },
  ],
});
const prop = await client.crm.properties.coreApi.getByName('contacts', 'shopify_customer_id');
out.externalIdProperty = { name: prop.name, unique: prop.hasUniqueValue };

// create, get by id and by email (idProperty), update
const created = await contacts.basicApi.create({
  properties: { email: ' Ada@Example.com', firstname: 'Ada', shopify_customer_id: '7001', shopify_segments: 'vip' },
  associations: [],
});
out.create = {
  id: created.id, email: created.properties.email, segments: created.properties.shopify_segments,
  createdAtIsDate: created.createdAt instanceof Date && !Number.isNaN(created.createdAt.getTime()),
  archived: created.archived,
};
const byId = await contacts.basicApi.getById(created.id, ['email', 'shopify_customer_id']);
out.getById = { id: byId.id, email: byId.properties.email, shopifyId: byId.properties.shopify_customer_id };
const byEmail = await contacts.basicApi.getById('ADA@example.com', ['firstname'], undefined, undefined, false, 'email');
out.getByEmail = { id: byEmail.id, firstname: byEmail.properties.firstname };
const byShopifyId = await contacts.basicApi.getById('7001', undefined, undefined, undefined, false, 'shopify_customer_id');
out.getByShopifyId = { id: byShopifyId.id };
const updated = await contacts.basicApi.update(created.id, { properties: { lastname: 'Lovelace' } });
out.update = { lastname: updated.properties.lastname, firstname: updated.properties.firstname };
const updatedByEmail = await contacts.basicApi.update('ada@example.com', { properties: { shopify_segments: ';newsletter' } }, 'email');
out.updateByEmail = { segments: updatedByEmail.properties.shopify_segments };
const missing = await caught(() => contacts.basicApi.getById('nobody@example.com', undefined, undefined, undefined, false, 'email'));
out.notFound = { code: missing.code, category: missing.body && missing.body.category };

// batch upsert by email: one existing contact, four new ones
const upsert = await contacts.batchApi.upsert({
  inputs: [
    { idProperty: 'email', id: 'ada@example.com', properties: { firstname: 'Augusta' } },
    ...['grace', 'alan', 'edsger', 'barbara'].map((n) => ({
      idProperty: 'email', id: `${n}@example.com`, properties: { firstname: n },
    })),
  ],
});
out.upsert = {
  status: upsert.status,
  results: upsert.results.map((r) => ({ email: r.properties.email, new: r._new })),
  startedAtIsDate: upsert.startedAt instanceof Date,
};

// batch read by email, one missing: a 207 the client returns, not throws
const read = await contacts.batchApi.read({
  inputs: [{ id: 'ada@example.com' }, { id: 'grace@example.com' }, { id: 'nobody@example.com' }],
  idProperty: 'email', properties: ['email', 'firstname'], propertiesWithHistory: [],
});
out.batchRead = {
  status: read.status, found: read.results.map((r) => r.properties.email).sort(),
  numErrors: read.numErrors, errors: (read.errors || []).map((e) => ({ category: e.category, ids: e.context && e.context.ids })),
};

// search with a filter, sorted, two per page, following paging.next.after
const pages = [];
let after;
let total;
do {
  const res = await contacts.searchApi.doSearch({
    filterGroups: [{ filters: [{ propertyName: 'email', operator: 'CONTAINS_TOKEN', value: '*@example.com' }] }],
    sorts: [{ propertyName: 'email', direction: 'ASCENDING' }],
    properties: ['email'], limit: 2, after,
  });
  total = res.total;
  pages.push(res.results.map((r) => r.properties.email));
  after = res.paging && res.paging.next ? res.paging.next.after : undefined;
} while (after !== undefined && pages.length < 10);
out.search = { total, pages };

// a duplicate email: the client throws with HubSpot's 409 body
const dup = await caught(() => contacts.basicApi.create({ properties: { email: 'ADA@EXAMPLE.COM' }, associations: [] }));
const existing = dup.body && /Existing ID: (\d+)/.exec(dup.body.message);
out.duplicate = {
  threw: dup.threw, code: dup.code, status: dup.body && dup.body.status, category: dup.body && dup.body.category,
  message: dup.body && dup.body.message, existingId: existing && existing[1],
  correlationId: Boolean(dup.body && dup.body.correlationId),
};

// 429s. A burst of 2 per 10 s for the rest of the run.
await admin('PUT', '/_fake/faults', { limits: { burst: 2, search_per_second: 1 } });

// (a) without retries the client surfaces TEN_SECONDLY_ROLLING at once
const noRetry = makeClient();
await noRetry.crm.contacts.basicApi.getById(created.id);
await noRetry.crm.contacts.basicApi.getById(created.id);
const burst = await caught(() => noRetry.crm.contacts.basicApi.getById(created.id));
out.burstNoRetry = {
  threw: burst.threw, code: burst.code, policyName: burst.body && burst.body.policyName,
  message: burst.body && burst.body.message, errorType: burst.body && burst.body.errorType,
  remaining: burst.headers && burst.headers['x-hubspot-ratelimit-remaining'],
  max: burst.headers && burst.headers['x-hubspot-ratelimit-max'],
};

// (b) search's SECONDLY limit: the client retries after 1 s and succeeds
const retrying = makeClient({ numberOfApiCallRetries: 3 });
await retrying.crm.contacts.searchApi.doSearch({ limit: 1 });
const searchRetry = await timed(() => retrying.crm.contacts.searchApi.doSearch({ limit: 1 }));
out.searchRetry = { total: searchRetry.value.total, ms: searchRetry.ms };

// (c) TEN_SECONDLY_ROLLING with retries: the client waits its fixed 10 s and succeeds
if (process.env.HUBSPOT_SKIP_SLOW !== '1') {
  const burstRetry = await timed(() => retrying.crm.contacts.basicApi.getById(created.id));
  out.burstRetry = { id: burstRetry.value.id, ms: burstRetry.ms };
}

// (d) DAILY: the client does not retry; the 429 surfaces at once
const stats = await admin('GET', '/_fake/stats');
await admin('PUT', '/_fake/faults', { limits: { burst: 100, daily: stats.limits.daily.used + 1 } });
await retrying.crm.contacts.basicApi.getById(created.id);
const daily = await caught(() => retrying.crm.contacts.basicApi.getById(created.id));
out.daily = {
  threw: daily.threw, code: daily.code, policyName: daily.body && daily.body.policyName,
  message: daily.body && daily.body.message, ms: daily.ms,
  dailyRemaining: daily.headers && daily.headers['x-hubspot-ratelimit-daily-remaining'],
};

console.log(JSON.stringify(out));
