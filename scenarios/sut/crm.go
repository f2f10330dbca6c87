package sut

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strconv"
	"time"

	"github.com/peakready/peakready/integrator"
	"github.com/peakready/peakready/integrator/adminapi"
	"github.com/peakready/peakready/integrator/crm"
)

// CustomerTopics are the customer webhooks a system that syncs customers to a CRM is
// subscribed to, besides the order topics.
var CustomerTopics = []string{"customers/create", "customers/update"}

// CRMUpstream is the CRM fake a system under test syncs customers to.
type CRMUpstream struct {
	// Kind is "salesforce" or "hubspot".
	Kind string
	// URL is the fake's base URL: Salesforce's login URL (the token endpoint is under
	// it), or HubSpot's API base.
	URL string
	// SalesforceClientID and SalesforceClientSecret are the connected app the fake
	// accepts; HubSpotToken the private app token.
	SalesforceClientID, SalesforceClientSecret string
	HubSpotToken                               string
	// HubSpotBurst is the fake's burst per window, the bundled integrator's default.
	HubSpotBurst int
}

// LTVBatcher is implemented by systems the runner can ask to run their nightly
// lifetime-value batch now; RunLTVBatch returns once the batch has finished.
type LTVBatcher interface {
	RunLTVBatch(ctx context.Context) error
}

// BundledCRM configures the bundled integrator's customers → CRM flow.
type BundledCRM struct {
	// Segments maps Shopify tags to CRM segment values; Unmapped is "ignore" or "pass".
	Segments map[string]string
	Unmapped string
	// SalesforceHeadroom is --salesforce-headroom (0: the integrator's default);
	// HubSpotBurst --hubspot-burst (0: the fake's burst).
	SalesforceHeadroom float64
	HubSpotBurst       int
}

// crmConfig is the replicas' CRM configuration for the run's CRM fake.
func (b *bundled) crmConfig() integrator.CRMConfig {
	u := b.up.CRM
	if u == nil {
		return integrator.CRMConfig{}
	}
	seg := crm.SegmentMap{Segments: map[string]string{}, Unmapped: crm.UnmappedTags(b.cfg.CRM.Unmapped)}
	if seg.Unmapped == "" {
		seg.Unmapped = crm.IgnoreUnmapped
	}
	for k, v := range b.cfg.CRM.Segments {
		seg.Segments[crm.NormalizeEmail(k)] = v // tags compare trimmed and lower-cased, like e-mails
	}
	c := integrator.CRMConfig{Kind: u.Kind, Segments: &seg, SalesforceHeadroom: b.cfg.CRM.SalesforceHeadroom,
		HubSpotBurst: b.cfg.CRM.HubSpotBurst, LTVPoll: 2 * time.Second}
	if c.HubSpotBurst == 0 {
		c.HubSpotBurst = u.HubSpotBurst
	}
	switch u.Kind {
	case integrator.CRMSalesforce:
		c.SalesforceURL, c.SalesforceClientID, c.SalesforceClientSecret = u.URL, u.SalesforceClientID, u.SalesforceClientSecret
	case integrator.CRMHubSpot:
		c.HubSpotURL, c.HubSpotToken = u.URL, u.HubSpotToken
	}
	return c
}

// crmArgs are a process replica's CRM flags and environment (secrets).
func (b *bundled) crmArgs() (args, env []string) {
	c := b.crmConfig()
	if c.Kind == "" {
		return nil, nil
	}
	args = []string{"--crm", c.Kind, "--crm-unmapped-tags", string(c.Segments.Unmapped)}
	if len(c.Segments.Segments) > 0 {
		args = append(args, "--crm-segments", b.segmentsFile())
	}
	switch c.Kind {
	case integrator.CRMSalesforce:
		args = append(args, "--salesforce-url", c.SalesforceURL, "--salesforce-client-id", c.SalesforceClientID)
		if c.SalesforceHeadroom > 0 {
			args = append(args, "--salesforce-headroom", strconv.FormatFloat(c.SalesforceHeadroom, 'f', -1, 64))
		}
		env = append(env, "PEAKREADY_SALESFORCE_CLIENT_SECRET="+c.SalesforceClientSecret)
	case integrator.CRMHubSpot:
		args = append(args, "--hubspot-url", c.HubSpotURL)
		if c.HubSpotBurst > 0 {
			args = append(args, "--hubspot-burst", strconv.Itoa(c.HubSpotBurst))
		}
		env = append(env, "PEAKREADY_HUBSPOT_TOKEN="+c.HubSpotToken)
	}
	return args, env
}

// RunLTVBatch asks the replicas for a run of the nightly batch and waits for it.
func (b *bundled) RunLTVBatch(ctx context.Context) error {
	if b.up.CRM == nil {
		return errors.New("the system under test syncs no CRM")
	}
	return b.admin.runLTVBatch(ctx)
}

// RunLTVBatch asks the deployed integrator for a run of its nightly batch and waits for it.
func (x externalAdmin) RunLTVBatch(ctx context.Context) error { return x.admin.runLTVBatch(ctx) }

// runLTVBatch requests a run, then polls until that run is done.
func (o adminObserver) runLTVBatch(ctx context.Context) error {
	st, err := o.client.RunLTVBatch(ctx)
	if err != nil {
		return fmt.Errorf("LTV batch: %w", err)
	}
	want := st.Requested
	tick := time.NewTicker(100 * time.Millisecond)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return fmt.Errorf("LTV batch %s did not finish: %w (last state %q, error %q)", want, ctx.Err(), st.State, st.LastError)
		case <-tick.C:
		}
		if st, err = o.client.LTVBatch(ctx); err != nil {
			continue
		}
		if st.Run == want && st.State == "done" {
			return nil
		}
	}
}

// invalidEmails reads the invalid-email list; nil when the integrator has no CRM (404).
func (o adminObserver) invalidEmails(ctx context.Context) (map[int64]string, error) {
	list, err := o.client.InvalidEmails(ctx)
	var ae *adminapi.Error
	if errors.As(err, &ae) && ae.Status == 404 {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	out := make(map[int64]string, len(list))
	for _, e := range list {
		if id, err := strconv.ParseInt(e.CustomerID, 10, 64); err == nil {
			out[id] = e.Reason
		}
	}
	return out, nil
}

// segmentsFile writes the segment mapping for process replicas (once per run).
func (b *bundled) segmentsFile() string {
	b.segOnce.Do(func() {
		f, err := os.CreateTemp("", "peakready-segments-*.yaml")
		if err != nil {
			return
		}
		defer f.Close()
		for k, v := range b.cfg.CRM.Segments {
			fmt.Fprintf(f, "%q: %q\n", k, v)
		}
		b.segPath = f.Name()
	})
	return b.segPath
}
