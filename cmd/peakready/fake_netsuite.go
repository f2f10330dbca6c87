package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"

	"github.com/peakready/peakready/fakes/catalog"
	"github.com/peakready/peakready/fakes/netsuite"
)

func init() {
	registerFake("netsuite", "NetSuite SuiteTalk REST record API: account concurrency governance, upsert by external id, fulfilments", runFakeNetSuite)
}

// netsuiteFlags are the flags of `peakready fake netsuite`.
type netsuiteFlags struct {
	common          fakeFlags
	account         string
	limits          netsuite.Limits
	token           string
	catalogSize     int
	locations       int
	naturalKeyField string
	pushURL         string
	pushSecret      string
	oauth2ClientID  string
	oauth2CertID    string
	oauth2PublicKey string
}

func (f *netsuiteFlags) register(fs *flag.FlagSet) {
	f.common.register(fs, "127.0.0.1:0")
	fs.StringVar(&f.account, "account", netsuite.DefaultAccount, "account id (the realm in WWW-Authenticate)")
	fs.StringVar(&f.limits.Tier, "tier", netsuite.DefaultTier, "service tier: standard (base 5), premium (15), enterprise (20), ultimate (20)")
	fs.IntVar(&f.limits.TierBase, "tier-base", 0, "override the tier's base concurrency (0 keeps the table's value)")
	fs.IntVar(&f.limits.SuiteCloudPlus, "suitecloud-plus", 0, "SuiteCloud Plus licences: +10 concurrency each")
	fs.IntVar(&f.limits.Concurrency, "concurrency", 0, "account concurrency limit; wins over --tier and --suitecloud-plus (0 derives it)")
	fs.IntVar(&f.limits.Held, "held", 0, "slots held by another integration sharing the account pool")
	fs.StringVar(&f.limits.Latency, "latency", netsuite.DefaultLatency, "write latency (POST, PUT, PATCH, DELETE): 300ms | uniform(a,b) | normal(m,sd) | lognormal(p50,p99); 0 turns it off")
	fs.StringVar(&f.limits.ReadLatency, "read-latency", netsuite.DefaultReadLatency, "GET latency, same syntax; 0 turns it off")
	fs.Float64Var(&f.limits.OverLimit401Share, "overlimit-401-share", 0, "share (0-1) of over-limit requests answered with a delayed 401 INVALID_LOGIN instead of 429")
	fs.StringVar(&f.limits.OverLimit401Delay, "overlimit-401-delay", netsuite.DefaultOverLimit401Delay, "how long such a 401 takes (platform time)")
	fs.StringVar(&f.limits.DuplicateExternalID, "duplicate-external-id", netsuite.DefaultDuplicateExternalID, "STATUS:CODE answered to a POST whose externalId exists")
	fs.StringVar(&f.limits.TaxFields, "tax-fields", netsuite.DefaultTaxFields, "tax fields in a sales-order body: reject (400 INVALID_CONTENT) or ignore")
	fs.StringVar(&f.limits.FulfillAfter, "fulfill-after", netsuite.DefaultFulfillAfter, "delay from Pending Fulfillment to the item fulfillment (latency spec, platform time), or off")
	fs.StringVar(&f.limits.ReceiptsEvery, "receipts-every", netsuite.DefaultReceiptsEvery, "a stock receipt of 1-100 units of a random SKU every DUR of platform time, or off")
	fs.StringVar(&f.limits.AdjustmentsEvery, "adjustments-every", "off", "an inventory adjustment of -20 to +20 units of a random SKU every DUR of platform time, or off")
	fs.StringVar(&f.limits.OtherSalesEvery, "other-sales-every", "off", "a fulfilment of another channel (1-5 units of a random SKU leave) every DUR of platform time, or off")
	fs.StringVar(&f.limits.MassUpdateAt, "mass-update-at", "off", "one mass update of many SKUs' stock in one second, DUR of platform time after start, or off")
	fs.IntVar(&f.limits.MassUpdateSKUs, "mass-update-skus", 0, "SKUs the mass update changes (0: every SKU)")
	fs.StringVar(&f.limits.MissingEntity, "missing-entity", netsuite.DefaultMissingEntity, "a sales order without entity: reject (400 USER_ERROR) or default-customer")
	fs.StringVar(&f.limits.ItemLineKey, "item-line-key", netsuite.DefaultItemLineKey, "item sublist key: line (a sent line with an existing line number updates it) or none")
	fs.StringVar(&f.limits.TokenLifetime, "token-lifetime", netsuite.DefaultTokenLifetime, "lifetime of OAuth 2.0 access tokens from the token endpoint (platform time)")
	fs.StringVar(&f.limits.IdempotencyWindow, "idempotency-window", netsuite.DefaultIdempotencyWindow, "how long an X-NetSuite-Idempotency-Key of an async request is remembered")
	fs.StringVar(&f.limits.AsyncDelay, "async-delay", netsuite.DefaultAsyncDelay, "time an async job waits before it runs (latency spec, platform time); 0 runs it at once")
	fs.StringVar(&f.limits.SuiteQLPreferTransient, "suiteql-prefer-transient", netsuite.DefaultSuiteQLTransient, "a SuiteQL request without 'Prefer: transient': require (400) or ignore")
	fs.StringVar(&f.oauth2ClientID, "oauth2-client-id", "", "client id of an OAuth 2.0 client credentials integration (with --oauth2-certificate-id and --oauth2-public-key)")
	fs.StringVar(&f.oauth2CertID, "oauth2-certificate-id", "", "certificate id (JWT kid) of the client credentials mapping")
	fs.StringVar(&f.oauth2PublicKey, "oauth2-public-key", "", "PEM file with the mapped certificate or its public key (RSA or EC)")
	fs.StringVar(&f.token, "token", "", "accept only this Bearer token / OAuth 1.0 oauth_token (env PEAKREADY_NETSUITE_TOKEN); empty accepts any credential")
	fs.IntVar(&f.catalogSize, "catalog-size", catalog.DefaultSize, "number of SKUs in the seeded catalog")
	fs.IntVar(&f.locations, "locations", 2, "number of stock locations (1-5)")
	fs.StringVar(&f.naturalKeyField, "natural-key-field", netsuite.DefaultNaturalKeyField, "body field with the Shopify order id of a sales order sent without externalId (ledger natural key)")
	fs.StringVar(&f.pushURL, "push-url", "", "POST inventory.changed and fulfillment.created events to this URL")
	fs.StringVar(&f.pushSecret, "push-secret", "", "HMAC-SHA256 key signing pushed events (env PEAKREADY_NETSUITE_PUSH_SECRET)")
}

// options turns the flags into library options; errors name the flag.
func (f *netsuiteFlags) options(s streams) (netsuite.Options, error) {
	if err := f.common.validate(); err != nil {
		return netsuite.Options{}, err
	}
	if f.catalogSize < 1 {
		return netsuite.Options{}, fmt.Errorf("--catalog-size %d must be at least 1", f.catalogSize)
	}
	if f.locations < 1 || f.locations > 5 {
		return netsuite.Options{}, fmt.Errorf("--locations %d must be between 1 and 5", f.locations)
	}
	if f.token == "" {
		f.token = os.Getenv("PEAKREADY_NETSUITE_TOKEN")
	}
	if f.pushSecret == "" {
		f.pushSecret = os.Getenv("PEAKREADY_NETSUITE_PUSH_SECRET")
	}
	if f.pushSecret != "" && f.pushURL == "" {
		return netsuite.Options{}, fmt.Errorf("--push-secret is set but --push-url is not")
	}
	var clients []netsuite.OAuth2Client
	if f.oauth2ClientID != "" || f.oauth2CertID != "" || f.oauth2PublicKey != "" {
		if f.oauth2ClientID == "" || f.oauth2CertID == "" || f.oauth2PublicKey == "" {
			return netsuite.Options{}, fmt.Errorf("--oauth2-client-id, --oauth2-certificate-id and --oauth2-public-key go together")
		}
		data, err := os.ReadFile(f.oauth2PublicKey)
		if err != nil {
			return netsuite.Options{}, fmt.Errorf("--oauth2-public-key: %v", err)
		}
		key, err := netsuite.ParsePublicKey(data)
		if err != nil {
			return netsuite.Options{}, fmt.Errorf("--oauth2-public-key %s: %v", f.oauth2PublicKey, err)
		}
		clients = append(clients, netsuite.OAuth2Client{ClientID: f.oauth2ClientID, CertificateID: f.oauth2CertID, PublicKey: key})
	}
	return netsuite.Options{
		OAuth2Clients: clients,
		Account:       f.account, Clock: f.common.clock(), Seed: f.common.seed,
		CatalogSize: f.catalogSize, Locations: f.locations, Limits: f.limits, Token: f.token,
		NaturalKeyField: f.naturalKeyField,
		Push:            netsuite.PushOptions{URL: f.pushURL, Secret: f.pushSecret},
		Logger:          f.common.logger(s.err),
	}, nil
}

func runFakeNetSuite(ctx context.Context, args []string, s streams) int {
	const name = "fake netsuite"
	fs := newFlagSet(name, "Serve a fake NetSuite REST record API (reference: docs/fake-netsuite.md).", s)
	var f netsuiteFlags
	f.register(fs)
	if code, done := parse(fs, args); done {
		return code
	}
	opts, err := f.options(s)
	if err != nil {
		return fail(s, name, exitUsage, "%v", err)
	}
	srv, err := netsuite.New(opts)
	if err != nil {
		return fail(s, name, exitUsage, "%v", flagWording(err))
	}
	if err := f.common.applyProfile(srv.Fake()); err != nil {
		_ = srv.Close()
		return fail(s, name, exitUsage, "%v", err)
	}
	return serveFake(ctx, s, "netsuite", srv, f.common.addr)
}

// flagWording names the flag of an invalid knob: the library names knobs as a profile
// file does (read_latency), the command line as --read-latency.
func flagWording(err error) error {
	var ke *netsuite.KnobError
	if errors.As(err, &ke) {
		return fmt.Errorf("%s %s", ke.Flag(), ke.Msg)
	}
	return err
}
