// Drives the fake Shopify with Shopify's own Admin API client, @shopify/admin-api-client
// (pinned in package.json), unmodified, and prints one JSON object of what the client saw.
// Run by fakes/shopify's TestOfficialJSClient (fakehttptest.Node); not a test on its own.
//
// Env: SHOPIFY_URL (http://127.0.0.1:PORT of the fake), SHOPIFY_TOKEN, ORDER_GID (an
// order to tag), API_VERSION (default 2026-10).
//
// The client builds https://{storeDomain}/admin/api/{version}/graphql.json and forces the
// https scheme (validateDomainAndGetStoreUrl sets url.protocol = 'https'), so the
// GraphQL client reaches the plain-http fake through its documented customFetchApi
// option, which only swaps the scheme. The REST client has a documented `scheme` option.
import {createAdminApiClient, createAdminRestApiClient} from '@shopify/admin-api-client';

const base = process.env.SHOPIFY_URL;
const token = process.env.SHOPIFY_TOKEN;
const orderGID = process.env.ORDER_GID;
const apiVersion = process.env.API_VERSION || '2026-10';
const storeDomain = new URL(base).host;

const retries = [];
const logs = [];
const client = createAdminApiClient({
  storeDomain,
  apiVersion,
  accessToken: token,
  customFetchApi: (url, init) => fetch(url.replace(/^https:/, 'http:'), init),
  logger: (log) => {
    logs.push(log.type);
    if (log.type === 'HTTP-Retry') {
      retries.push({attempt: log.content.retryAttempt, status: log.content.lastResponse?.status ?? null});
    }
  },
});

const out = {apiUrl: client.config.apiUrl};

async function setLimits(limits) {
  const r = await fetch(`${base}/_fake/faults`, {method: 'PUT', body: JSON.stringify({limits})});
  if (!r.ok) throw new Error(`PUT /_fake/faults: ${r.status} ${await r.text()}`);
}

function errorCode(res) {
  return res.errors?.graphQLErrors?.[0]?.extensions?.code ?? null;
}

// A query, and the cost extension it carries.
{
  const res = await client.request(`query Orders { shop { myshopifyDomain } orders(first: 5) { nodes { id name } } }`);
  out.query = {
    errors: res.errors ?? null,
    shop: res.data?.shop?.myshopifyDomain ?? null,
    orders: res.data?.orders?.nodes?.length ?? null,
    cost: res.extensions?.cost ?? null,
    requestId: res.headers?.get('x-request-id') ?? null,
    version: res.headers?.get('x-shopify-api-version') ?? null,
  };
}

// A mutation with variables.
{
  const res = await client.request(
    `mutation Tag($id: ID!, $tags: [String!]!) { tagsAdd(id: $id, tags: $tags) { node { id } userErrors { field message } } }`,
    {variables: {id: orderGID, tags: ['checked-by-admin-api-client']}},
  );
  out.mutation = {
    errors: res.errors ?? null,
    node: res.data?.tagsAdd?.node?.id ?? null,
    userErrors: res.data?.tagsAdd?.userErrors ?? null,
    requested: res.extensions?.cost?.requestedQueryCost ?? null,
  };
}

// Introspection, as schema-fetching clients run it.
{
  const res = await client.request(
    `query Schema { __schema { queryType { name } mutationType { name } types { name kind } } order: __type(name: "Order") { fields { name } } }`,
  );
  out.introspection = {
    errors: res.errors ?? null,
    queryType: res.data?.__schema?.queryType?.name ?? null,
    mutationType: res.data?.__schema?.mutationType?.name ?? null,
    types: res.data?.__schema?.types?.length ?? 0,
    hasBulkOperation: (res.data?.__schema?.types ?? []).some((t) => t.name === 'BulkOperation'),
    orderFields: (res.data?.order?.fields ?? []).map((f) => f.name).includes('lineItems'),
  };
}

// A bulk query: run it, poll until it is done, read the JSONL it points to.
{
  const run = await client.request(
    `mutation Bulk($q: String!) { bulkOperationRunQuery(query: $q) { bulkOperation { id status } userErrors { field message code } } }`,
    {variables: {q: `{ orders { edges { node { id name lineItems { edges { node { id sku } } } } } } }`}},
  );
  const polls = [];
  let op = run.data?.bulkOperationRunQuery?.bulkOperation ?? null;
  for (let i = 0; i < 200 && op && !['COMPLETED', 'FAILED', 'CANCELED'].includes(op.status); i++) {
    await new Promise((r) => setTimeout(r, 50));
    const poll = await client.request(`query Poll { currentBulkOperation { id status objectCount rootObjectCount url } }`);
    op = poll.data?.currentBulkOperation ?? null;
    polls.push(op?.status ?? null);
  }
  let lines = [];
  if (op?.url) {
    const file = await fetch(op.url);
    lines = (await file.text()).split('\n').filter((l) => l !== '').map((l) => JSON.parse(l));
  }
  out.bulk = {
    userErrors: run.data?.bulkOperationRunQuery?.userErrors ?? null,
    created: run.data?.bulkOperationRunQuery?.bulkOperation?.status ?? null,
    status: op?.status ?? null,
    polls: polls.length,
    objectCount: op?.objectCount ?? null,
    rootObjectCount: op?.rootObjectCount ?? null,
    lines: lines.length,
    roots: lines.filter((l) => !('__parentId' in l)).length,
    children: lines.filter((l) => '__parentId' in l).length,
  };
}

// THROTTLED. With Shopify's status 200 the client hands the error back and does not
// retry (it retries 429 and 503 only); with the 429 knob its own retry recovers.
{
  await setLimits({bucket: 20, 'restore-rate': 20});
  const tag = () =>
    client.request(`mutation T($id: ID!) { tagsAdd(id: $id, tags: ["t"]) { userErrors { message } } }`, {
      variables: {id: orderGID},
    });
  await tag();
  await tag();
  const throttled = await tag();
  out.throttled200 = {
    networkStatusCode: throttled.errors?.networkStatusCode ?? null,
    code: errorCode(throttled),
    actualQueryCost: throttled.extensions?.cost ? throttled.extensions.cost.actualQueryCost : "absent",
    extensions: throttled.extensions ?? null,
    hasData: throttled.data !== undefined,
    retries: retries.length,
  };

  await setLimits({'throttle-status': 429});
  await new Promise((r) => setTimeout(r, 1100)); // refill, then empty again
  await tag();
  await tag();
  const before = retries.length;
  const recovered = await client.request(`mutation T($id: ID!) { tagsAdd(id: $id, tags: ["t"]) { userErrors { message } } }`, {
    variables: {id: orderGID},
    retries: 2,
  });
  out.throttled429 = {
    errors: recovered.errors ?? null,
    ok: recovered.data?.tagsAdd?.userErrors?.length === 0,
    retries: retries.slice(before),
  };
  await setLimits({'throttle-status': 200, bucket: 20000, 'restore-rate': 1000});
}

// The REST client against shop.json and a paged products.json.
{
  const rest = createAdminRestApiClient({storeDomain, apiVersion, accessToken: token, scheme: 'http'});
  const shop = await rest.get('shop');
  const shopBody = await shop.json();
  const products = await rest.get('products', {searchParams: {limit: 2}});
  const productsBody = await products.json();
  out.rest = {
    status: shop.status,
    myshopifyDomain: shopBody.shop?.myshopify_domain ?? null,
    callLimit: shop.headers.get('x-shopify-shop-api-call-limit'),
    products: productsBody.products?.length ?? null,
    link: products.headers.get('link'),
    productsCallLimit: products.headers.get('x-shopify-shop-api-call-limit'),
  };
}

out.logTypes = [...new Set(logs)].sort();
console.log(JSON.stringify(out));
