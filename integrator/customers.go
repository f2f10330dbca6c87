package integrator

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/peakready/peakready/integrator/crm"
	"github.com/peakready/peakready/integrator/crm/hubspot"
	"github.com/peakready/peakready/integrator/crm/salesforce"
	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/integrator/throttle"
)

// CRM kinds.
const (
	CRMNone       = "none"
	CRMSalesforce = "salesforce"
	CRMHubSpot    = "hubspot"
)

// Defaults of CRMConfig.
const (
	DefaultHubSpotBurst           = 100
	DefaultHubSpotSearchPerSecond = 4
	// DefaultHubSpotWindowMargin lengthens the ten-second window the integrator counts
	// in, against clock skew between replicas and HubSpot (calls already count from their
	// answer, which absorbs latency jitter).
	DefaultHubSpotWindowMargin = 100 * time.Millisecond
)

// CRMConfig configures the customers → CRM flow (Config.CRM). Kind "" or CRMNone turns it
// off: customer webhooks are then a topic no flow handles.
type CRMConfig struct {
	// Kind is CRMSalesforce, CRMHubSpot or CRMNone.
	Kind string

	// SalesforceURL is the org's login or My Domain URL; SalesforceClientID and
	// SalesforceClientSecret the connected app's client credentials.
	SalesforceURL, SalesforceClientID, SalesforceClientSecret string
	SalesforceAPIVersion                                      string
	// SalesforceHeadroom is the share of the org's daily API allocation left to other
	// integrations: the integration stops (snoozing its work) at 1 − headroom of it
	// (default throttle.DefaultHeadroom, 0.10).
	SalesforceHeadroom float64

	// HubSpotURL (default https://api.hubapi.com) and HubSpotToken, a private app's
	// access token.
	HubSpotURL, HubSpotToken string
	// HubSpotBurst is the app's calls per ten seconds (100 on Free/Starter, 190 on
	// Professional/Enterprise, 250 with the API add-on; default DefaultHubSpotBurst);
	// HubSpotSearchPerSecond search's own limit (default 4).
	HubSpotBurst           int
	HubSpotSearchPerSecond int
	// HubSpotWindowMargin (default DefaultHubSpotWindowMargin) is added to the window.
	HubSpotWindowMargin time.Duration
	// HubSpotTimeZone is the account's time zone, where HubSpot's daily limit resets at
	// midnight (default UTC).
	HubSpotTimeZone string

	// Segments maps customer tags to CRM segments (see crm.ParseSegmentMap); SegmentsFile
	// is read when Segments is nil. UnmappedTags is crm.IgnoreUnmapped (default) or
	// crm.PassUnmapped.
	Segments     *crm.SegmentMap
	SegmentsFile string
	UnmappedTags string

	// LTVAt ("HH:MM", default 03:00) in LTVTimeZone (default UTC) is when the nightly
	// lifetime-value batch runs; LTVPoll how often replicas look for a due run (default
	// crm.DefaultLTVPoll).
	LTVAt       string
	LTVTimeZone string
	LTVPoll     time.Duration
}

// crmParts is the assembled CRM flow.
type crmParts struct {
	kind   string
	client crm.Client
	flow   *crm.Flow
	store  *crm.Store
	ltv    *crm.LTVBatch
	alloc  *throttle.DailyAllocation
	window *throttle.RollingWindow
	search *throttle.RollingWindow
}

// customerTopics are the customer webhooks the flow handles.
var customerTopics = []string{"customers/create", "customers/update"}

// registerCustomerFlows assembles the customers → CRM flow, when a CRM is configured, and
// routes its topics. Each order webhook is then also queued under its customer's key
// (crm.TopicOrderCustomer) before the orders flow handles it.
func (a *App) registerCustomerFlows() error {
	cc := a.cfg.CRM
	switch strings.ToLower(cc.Kind) {
	case "", CRMNone:
		return nil
	case CRMSalesforce, CRMHubSpot:
	default:
		return fmt.Errorf("integrator: crm %q must be salesforce, hubspot or none", cc.Kind)
	}
	p := &crmParts{kind: strings.ToLower(cc.Kind), store: crm.NewStore(a.cfg.Redis, a.cfg.Prefix)}
	seg := cc.Segments
	if seg == nil {
		m, err := crm.LoadSegmentMap(cc.SegmentsFile, crm.UnmappedTags(cc.UnmappedTags))
		if err != nil {
			return fmt.Errorf("integrator: %w", err)
		}
		seg = &m
	}
	limitPrefix := a.cfg.Prefix + ":limits"
	observe := a.metrics.crmCall(p.kind)
	var err error
	switch p.kind {
	case CRMSalesforce:
		if cc.SalesforceURL == "" || cc.SalesforceClientID == "" || cc.SalesforceClientSecret == "" {
			return errors.New("integrator: the Salesforce CRM needs a URL, a client id and a client secret")
		}
		headroom := cc.SalesforceHeadroom
		p.alloc, err = throttle.NewDailyAllocation(a.cfg.Redis, throttle.DailyAllocationConfig{Name: "salesforce", Headroom: headroom,
			Prefix: limitPrefix, Clock: a.cfg.Clock, Logger: a.cfg.Logger})
		if err != nil {
			return fmt.Errorf("integrator: %w", err)
		}
		p.client, err = salesforce.New(salesforce.Config{URL: cc.SalesforceURL, ClientID: cc.SalesforceClientID,
			ClientSecret: cc.SalesforceClientSecret, APIVersion: cc.SalesforceAPIVersion, Allocation: p.alloc,
			HTTP: a.cfg.HTTPClient, Observe: observe})
	case CRMHubSpot:
		if cc.HubSpotToken == "" {
			return errors.New("integrator: the HubSpot CRM needs a private app access token")
		}
		url := cc.HubSpotURL
		if url == "" {
			url = "https://api.hubapi.com"
		}
		loc := time.UTC
		if cc.HubSpotTimeZone != "" {
			if loc, err = time.LoadLocation(cc.HubSpotTimeZone); err != nil {
				return fmt.Errorf("integrator: HubSpot time zone: %w", err)
			}
		}
		burst := cc.HubSpotBurst
		if burst <= 0 {
			burst = DefaultHubSpotBurst
		}
		perSecond := cc.HubSpotSearchPerSecond
		if perSecond <= 0 {
			perSecond = DefaultHubSpotSearchPerSecond
		}
		margin := cc.HubSpotWindowMargin
		if margin == 0 {
			margin = DefaultHubSpotWindowMargin
		}
		margin = max(margin, 0)
		p.window, err = throttle.NewRollingWindow(a.cfg.Redis, throttle.RollingWindowConfig{Name: "hubspot", Limit: burst,
			Window: throttle.DefaultWindow + margin, DailyReset: loc, MaxWait: hubSpotMaxWait, Prefix: limitPrefix, Clock: a.cfg.Clock, Logger: a.cfg.Logger})
		if err != nil {
			return fmt.Errorf("integrator: %w", err)
		}
		p.search, err = throttle.NewRollingWindow(a.cfg.Redis, throttle.RollingWindowConfig{Name: "hubspot-search", Limit: perSecond,
			Window: time.Second + margin/10, DailyReset: loc, Prefix: limitPrefix, Clock: a.cfg.Clock, Logger: a.cfg.Logger})
		if err != nil {
			return fmt.Errorf("integrator: %w", err)
		}
		p.client, err = hubspot.New(hubspot.Config{URL: url, Token: cc.HubSpotToken, Window: p.window, Search: p.search,
			Segments: seg.Values(), HTTP: a.cfg.HTTPClient, Observe: observe})
	}
	if err != nil {
		return fmt.Errorf("integrator: %w", err)
	}
	p.flow = &crm.Flow{CRM: p.client, Store: p.store, Versions: flows.NewRedisVersions(a.cfg.Redis, a.cfg.Prefix+":crm:", 0),
		Segments: *seg, Now: a.cfg.Clock.Now, OnOutcome: func(o string) { a.metrics.outcomes.WithLabelValues("customers", o).Inc() }, Logger: a.cfg.Logger}
	loc := time.UTC
	if cc.LTVTimeZone != "" {
		if loc, err = time.LoadLocation(cc.LTVTimeZone); err != nil {
			return fmt.Errorf("integrator: LTV batch time zone: %w", err)
		}
	}
	p.ltv, err = crm.NewLTVBatch(crm.LTVBatchConfig{CRM: p.client, Store: p.store, Redis: a.cfg.Redis, Prefix: a.cfg.Prefix,
		At: cc.LTVAt, Location: loc, Poll: cc.LTVPoll, Clock: a.cfg.Clock, Logger: a.cfg.Logger,
		OnChunk: a.metrics.crmBatch(p.kind)})
	if err != nil {
		return fmt.Errorf("integrator: %w", err)
	}
	a.crm = p
	a.routes.add(p.flow, customerTopics...)
	a.routes.add(p.flow, crm.TopicOrderCustomer)
	for _, t := range orderTopics {
		if h, ok := a.routes[t]; ok {
			a.routes[t] = orderCustomerFanOut{a: a, next: h}
		}
	}
	a.registerCRMMetrics()
	return nil
}

// orderCustomerFanOut queues an order webhook's payload under its customer's key before
// the orders flow handles it, deduplicated by the order message's id, so a retried order
// message queues its customer once.
type orderCustomerFanOut struct {
	a    *App
	next queue.Handler
}

func (o orderCustomerFanOut) Handle(ctx context.Context, m *queue.Message) error {
	var p struct {
		Customer *struct {
			ID json.Number `json:"id"`
		} `json:"customer"`
	}
	if json.Unmarshal(m.Payload, &p) == nil && p.Customer != nil && p.Customer.ID != "" {
		if _, err := strconv.ParseInt(string(p.Customer.ID), 10, 64); err == nil {
			ttl := o.a.cfg.DedupWindow
			if ttl <= 0 {
				ttl = 48 * time.Hour
			}
			_, err := o.a.queue.Enqueue(ctx, queue.Message{Key: "customer:" + string(p.Customer.ID), Topic: crm.TopicOrderCustomer,
				Payload: m.Payload, Headers: map[string]string{"order_topic": m.Topic}}, queue.Dedup("order-message:"+m.ID, ttl))
			if err != nil {
				return fmt.Errorf("queueing the order's customer: %w", err)
			}
		}
	}
	return o.next.Handle(ctx, m)
}

// runCRM runs the nightly batch's loop until ctx ends (nothing without a CRM).
func (a *App) runCRM(ctx context.Context) {
	if a.crm != nil {
		a.crm.ltv.Run(ctx)
	}
}

// InvalidEmails lists the customers not synced for their e-mail address (nil without a CRM).
func (a *App) InvalidEmails(ctx context.Context) ([]crm.InvalidEmail, error) {
	if a.crm == nil {
		return nil, nil
	}
	return a.crm.store.InvalidEmails(ctx)
}

// hubSpotMaxWait is the longest a worker blocks for its turn in HubSpot's window; a turn
// further away (the window full with the turns of calls already waiting, or closed by a
// 429 or the daily limit) snoozes the message until then instead, so workers stay free
// for the other flows.
const hubSpotMaxWait = time.Second
