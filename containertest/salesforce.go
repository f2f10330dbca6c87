package containertest

import (
	"context"
	"net/http"
	"strconv"
)

// SalesforceContainer is a running `peakready fake salesforce`
// (docs/fake-salesforce.md): OAuth, Contacts and Accounts, SOQL, the daily API
// allocation and long-running request slots.
type SalesforceContainer struct{ *FakeContainer }

// RunSalesforce starts a fake Salesforce org and waits until it serves.
func RunSalesforce(ctx context.Context, opts ...SalesforceOption) (*SalesforceContainer, error) {
	r := &request{}
	for _, o := range opts {
		o.applySalesforce(r)
	}
	c, err := runFake(ctx, "salesforce", r)
	if err != nil {
		return nil, err
	}
	return &SalesforceContainer{c}, nil
}

// ExpireSessions invalidates every access token (POST /_fake/expire-sessions): the
// next call with one gets INVALID_SESSION_ID.
func (c *SalesforceContainer) ExpireSessions(ctx context.Context) error {
	return c.admin(ctx, http.MethodPost, "/_fake/expire-sessions", nil, nil)
}

// SalesforceEdition sets the org edition: developer, enterprise (the default),
// professional, unlimited, performance or sandbox (--edition).
func SalesforceEdition(edition string) SalesforceOption {
	return salesforceOption(func(r *request) { r.flag("edition", edition) })
}

// SalesforceDailyLimit sets the daily API request limit itself (--daily-limit).
func SalesforceDailyLimit(n int) SalesforceOption {
	return salesforceOption(func(r *request) { r.flag("daily-limit", strconv.Itoa(n)) })
}

// SalesforceLatency sets the service time of every data API call, a latency spec
// (--latency; default lognormal(150ms,2s)).
func SalesforceLatency(spec string) SalesforceOption {
	return salesforceOption(func(r *request) { r.flag("latency", spec) })
}

// SalesforceLockRowRate sets the probability that a write fails with
// UNABLE_TO_LOCK_ROW (--lock-row-rate).
func SalesforceLockRowRate(p float64) SalesforceOption {
	return salesforceOption(func(r *request) { r.flag("lock-row-rate", ftoa(p)) })
}

// SalesforceClient makes the token endpoint accept only this client id and secret
// (--client-id, and the secret through the environment).
func SalesforceClient(id, secret string) SalesforceOption {
	return salesforceOption(func(r *request) {
		r.flag("client-id", id)
		WithEnv("PEAKREADY_SALESFORCE_CLIENT_SECRET", secret)(r)
	})
}

// SalesforceSessionTimeout sets the access tokens' lifetime in platform time
// (--session-timeout; default 2h).
func SalesforceSessionTimeout(d string) SalesforceOption {
	return salesforceOption(func(r *request) { r.flag("session-timeout", d) })
}
