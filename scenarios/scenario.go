// Package scenarios runs peakready's scenarios: a YAML file (or a built-in) states the
// traffic, the faults, the fakes' limits, the system under test and the assertions; the
// runner starts what is needed, drives the traffic, waits for the system to drain,
// checks the invariants against the fakes' ground truth, and reports.
package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"

	"github.com/peakready/peakready/fakes/faults"
	"github.com/peakready/peakready/fakes/latency"
)

// Scenario is one scenario file. Durations are platform time: the runner compresses them
// by Speed, as it compresses the fakes' latencies and windows and the bundled
// integrator's timers; rates are events per second of platform time, so the wall rate
// is Rate × Speed.
type Scenario struct {
	Name        string `yaml:"name"`
	Description string `yaml:"description"`
	// Models says what real event the scenario models; Proves what a pass shows.
	Models string `yaml:"models"`
	Proves string `yaml:"proves"`
	// Speed runs platform time this many times faster than wall time (default 1).
	Speed float64 `yaml:"speed"`
	// Seed makes the run reproducible (default 1).
	Seed       uint64     `yaml:"seed"`
	Traffic    Traffic    `yaml:"traffic"`
	Delivery   Delivery   `yaml:"delivery"`
	Fakes      Fakes      `yaml:"fakes"`
	SUT        SUT        `yaml:"sut"`
	Redis      string     `yaml:"redis"`
	Drain      Drain      `yaml:"drain"`
	Assertions Assertions `yaml:"assertions"`
	// Audit, when set, has the system under test audit the run's sales after the drain
	// (invariant audit_clean).
	Audit *Audit `yaml:"audit"`

	// File is where the scenario came from ("builtin:NAME" for built-ins).
	File string `yaml:"-"`
	// Dir resolves relative paths in the file (replay timelines); empty for built-ins.
	Dir  string     `yaml:"-"`
	root *yaml.Node // for the line numbers of validation errors
	// nsTimeline and shopTimeline are fakes.netsuite.timeline and fakes.shopify.timeline,
	// read (see loadTimelines).
	nsTimeline, shopTimeline []TimelineRow
}

// Traffic is what the store does: phases of event arrival and the mix of events.
type Traffic struct {
	Phases []Phase    `yaml:"phases"`
	Mix    Mix        `yaml:"mix"`
	Orders OrderShape `yaml:"orders"`
}

// Phase is one span of traffic with one arrival shape. Exactly one shape is set.
type Phase struct {
	Name     string    `yaml:"name"`
	Constant *Constant `yaml:"constant"`
	Ramp     *Ramp     `yaml:"ramp"`
	Steps    *Steps    `yaml:"steps"`
	Spike    *Spike    `yaml:"spike"`
	Sine     *Sine     `yaml:"sine"`
	Replay   *Replay   `yaml:"replay"`
	// Line is where the phase starts in its file.
	Line int `yaml:"-"`
}

// Constant arrivals at Rate for Duration.
type Constant struct {
	Rate     Rate     `yaml:"rate"`
	Duration Duration `yaml:"duration"`
}

// Ramp arrivals rising (or falling) linearly From → To over Duration.
type Ramp struct {
	From     Rate     `yaml:"from"`
	To       Rate     `yaml:"to"`
	Duration Duration `yaml:"duration"`
}

// Steps arrivals at each rate in turn, Every long.
type Steps struct {
	Rates []Rate   `yaml:"rates"`
	Every Duration `yaml:"every"`
}

// Spike arrivals at Base, jumping to Peak from At for Width, within Duration.
type Spike struct {
	Base     Rate     `yaml:"base"`
	Peak     Rate     `yaml:"peak"`
	At       Duration `yaml:"at"`
	Width    Duration `yaml:"width"`
	Duration Duration `yaml:"duration"`
}

// Sine arrivals oscillating Mean ± Amplitude with Period, for Duration.
type Sine struct {
	Mean      Rate     `yaml:"mean"`
	Amplitude Rate     `yaml:"amplitude"`
	Period    Duration `yaml:"period"`
	Duration  Duration `yaml:"duration"`
}

// Replay arrivals at the instants of a recorded timeline (CSV or JSON; see loadtest),
// optionally stretched or compressed by Scale (default 1). With Orders instead of File
// the recorded orders themselves are placed again, each at its created_at (a JSONL file
// of Shopify order webhooks; see loadtest.ParseRecordedOrders).
type Replay struct {
	File   string  `yaml:"file"`
	Orders string  `yaml:"orders"`
	Scale  float64 `yaml:"scale"`
}

// Mix weighs the kinds of store events (relative weights, any scale).
type Mix struct {
	NewOrder       float64 `yaml:"new_order"`
	Pay            float64 `yaml:"pay"`
	Edit           float64 `yaml:"edit"`
	Cancel         float64 `yaml:"cancel"`
	CustomerUpdate float64 `yaml:"customer_update"`
	CustomerEdit   float64 `yaml:"customer_edit"`
}

// OrderShape shapes generated orders.
type OrderShape struct {
	MinLines int `yaml:"min_lines"`
	MaxLines int `yaml:"max_lines"`
	// PaidShare of new orders are created paid (orders/create + orders/paid).
	PaidShare      *float64 `yaml:"paid_share"`
	ReturningShare *float64 `yaml:"returning_share"`
	HighRiskShare  *float64 `yaml:"high_risk_share"`
	// InvalidEmailShare of new customers have a malformed e-mail address (default 0).
	InvalidEmailShare *float64 `yaml:"invalid_email_share"`
	// SKUs limits orders to the first N catalog SKUs (a flash sale of a few products).
	SKUs int `yaml:"skus"`
	// CatalogSize and Customers size the store (defaults 200 and 5000).
	CatalogSize int `yaml:"catalog_size"`
	Customers   int `yaml:"customers"`
}

// Delivery are the webhook delivery faults Shopify's at-least-once delivery shows.
type Delivery struct {
	DuplicateShare float64  `yaml:"duplicate_share"`
	ReorderShare   float64  `yaml:"reorder_share"`
	ReorderWindow  Duration `yaml:"reorder_window"`
	LateShare      float64  `yaml:"late_share"`
	LateDelay      Dist     `yaml:"late_delay"`
	DropShare      float64  `yaml:"drop_share"`
	// Workers is the number of delivery workers (default: the deliverer's).
	Workers int `yaml:"workers"`
}

// Fakes configures each fake platform.
type Fakes struct {
	Shopify  ShopifyFake  `yaml:"shopify"`
	NetSuite NetSuiteFake `yaml:"netsuite"`
	// Salesforce and HubSpot are the CRM fakes, started when the system under test syncs
	// customers to one of them (sut.builtin.crm or sut.external.crm).
	Salesforce SalesforceFake `yaml:"salesforce"`
	HubSpot    HubSpotFake    `yaml:"hubspot"`
}

// ShopifyFake configures the fake store.
type ShopifyFake struct {
	Plan string `yaml:"plan"`
	// Bucket and RestoreRate override the plan's GraphQL cost bucket: its size in points
	// and the points it restores per second of platform time (0: the plan's).
	Bucket      float64 `yaml:"bucket"`
	RestoreRate float64 `yaml:"restore_rate"`
	// RESTBucket and RESTLeakRate override the plan's REST request bucket: its size in
	// requests and the requests it leaks per second (0: the plan's).
	RESTBucket   int     `yaml:"rest_bucket"`
	RESTLeakRate float64 `yaml:"rest_leak_rate"`
	// LimitWindows change the buckets for spans of the run (see ShopifyLimitWindow).
	LimitWindows []ShopifyLimitWindow `yaml:"limit_windows"`
	Addr         string               `yaml:"addr"`
	Faults       []faults.Rule        `yaml:"faults"`
	// Timeline is a recorded timeline of Shopify's behaviour, as for NetSuite.
	Timeline string `yaml:"timeline"`
	// InventoryPolicy is the variants' policy when out of stock (see
	// inventoryPolicy): deny refuses a checkout beyond what is available,
	// continue sells past zero. Empty: deny when the ERP moves stock
	// (fakes.netsuite.stock), else continue.
	InventoryPolicy string `yaml:"inventory_policy"`
	// Flow installs the merchant's low-stock Shopify Flow workflow (see ShopifyFlow).
	Flow *ShopifyFlow `yaml:"flow"`
}

// NetSuiteFake configures the fake ERP.
type NetSuiteFake struct {
	Tier           string `yaml:"tier"`
	SuiteCloudPlus int    `yaml:"suitecloud_plus"`
	Concurrency    int    `yaml:"concurrency"`
	// Held slots are taken by another integration for the whole run (or see Competing).
	Held int `yaml:"held"`
	// Competing load on the account's pool: Held slots during Windows only.
	Competing []Competing   `yaml:"competing"`
	Latency   Dist          `yaml:"latency"`
	Addr      string        `yaml:"addr"`
	Faults    []faults.Rule `yaml:"faults"`
	// Timeline is a recorded timeline of NetSuite's behaviour (429 and 500 shares and
	// latency per interval, CSV; see ParseUpstreamTimeline) replayed as fault windows.
	Timeline string `yaml:"timeline"`
	// Stock makes the ERP move stock and ship orders on its own (see ERPStock).
	Stock *ERPStock `yaml:"stock"`
}

// Competing is another integration holding Slots of NetSuite's pool from From to To.
type Competing struct {
	Slots int      `yaml:"slots"`
	From  Duration `yaml:"from"`
	To    Duration `yaml:"to"`
}

// SUT is the system under test: the bundled integrator, or the team's own.
type SUT struct {
	Builtin  *BuiltinSUT  `yaml:"builtin"`
	External *ExternalSUT `yaml:"external"`
}

// BuiltinSUT runs the bundled integrator.
type BuiltinSUT struct {
	Replicas int `yaml:"replicas"`
	Workers  int `yaml:"workers"`
	// NetSuiteConcurrency is the integrator's share of NetSuite's pool (default: the
	// account limit).
	NetSuiteConcurrency int `yaml:"netsuite_concurrency"`
	// Processes runs each replica as a `peakready integrator` process on the run's Redis
	// instead of in this process; a crash is then a SIGKILL.
	Processes bool `yaml:"processes"`
	// Crash kills a replica mid-run; Crashes kills several, at their own times.
	Crash   *Crash  `yaml:"crash"`
	Crashes []Crash `yaml:"crashes"`
	// RedisRestarts kill the run's Redis (redis: local) and start it again on its files.
	RedisRestarts []RedisRestart `yaml:"redis_restarts"`
	// RiskCheck enables holding high-risk orders (default true).
	RiskCheck *bool `yaml:"risk_check"`
	// RedisDurability is the replicas' --redis-durability (default volatile-ok: a
	// scenario's Redis is usually a throw-away one; required refuses a volatile one).
	RedisDurability string `yaml:"redis_durability"`
	// CRMSUT: the CRM the integrator syncs customers to, and its rules.
	CRMSUT `yaml:",inline"`
	// MissedWebhookPoller runs the integrator's missed-webhook poller at this interval
	// (platform time); 0: off.
	MissedWebhookPoller Duration `yaml:"missed_webhook_poller"`
}

// Crash kills Replica (0-based) At a point of the run; with Restart it comes back after
// RestartAfter.
type Crash struct {
	Replica      int      `yaml:"replica"`
	At           Duration `yaml:"at"`
	RestartAfter Duration `yaml:"restart_after"`
}

// RedisRestart kills the run's Redis At a point of the run and starts it again after
// DownFor.
type RedisRestart struct {
	At      Duration `yaml:"at"`
	DownFor Duration `yaml:"down_for"`
}

// allCrashes is crash followed by crashes.
func (b *BuiltinSUT) allCrashes() []Crash {
	var out []Crash
	if b.Crash != nil {
		out = append(out, *b.Crash)
	}
	return append(out, b.Crashes...)
}

// ExternalSUT is the team's own integrator, already running.
type ExternalSUT struct {
	// WebhookURL receives Shopify webhooks.
	WebhookURL string `yaml:"webhook_url"`
	// SecretEnv names the environment variable holding the webhook secret (HMAC key).
	SecretEnv string `yaml:"secret_env"`
	// Topics the SUT subscribes to (default the order topics).
	Topics []string `yaml:"topics"`
	// HoldsHighRisk says the SUT holds high-risk orders: the checker then expects them
	// absent from the ERP instead of present.
	HoldsHighRisk bool `yaml:"holds_high_risk"`
	// Admin is the admin API of a peakready integrator deployed on its own; the runner
	// then watches its queue and reads what it held and dead-lettered.
	Admin *ExternalAdmin `yaml:"admin"`
	// CRMSUT: the CRM fake the team's integrator syncs customers to (its addr pinned),
	// and the rules the checker expects of it.
	CRMSUT `yaml:",inline"`
	// Flow is where the integrator takes Shopify Flow's low-stock requests, for
	// fakes.shopify.flow.
	Flow *ExternalFlow `yaml:"flow"`
}

// ExternalAdmin addresses a peakready integrator's admin API.
type ExternalAdmin struct {
	URL string `yaml:"url"`
	// TokenEnv names the environment variable holding the admin token.
	TokenEnv string `yaml:"token_env"`
}

// Drain bounds the wait, after the last phase, for the system to finish.
type Drain struct {
	Timeout Duration `yaml:"timeout"`
	// Quiet is how long the ERP must see no writes for an external SUT to count as
	// drained (default 30s).
	Quiet Duration `yaml:"quiet"`
}

// Assertions are the run's pass conditions. Zero-valued budgets are not checked, except
// the three invariants (lost, duplicated, stale), which default to 0.
type Assertions struct {
	Lost       *int `yaml:"lost"`
	Duplicated *int `yaml:"duplicated"`
	Stale      *int `yaml:"stale"`
	// WrongLines counts orders whose ERP lines differ from Shopify's latest (default 0).
	WrongLines *int `yaml:"wrong_lines"`
	// AckP99 budgets the 99th percentile of webhook ack latency (wall time).
	AckP99 Duration `yaml:"ack_p99"`
	// DrainTime budgets the time to drain after the last phase (platform time).
	DrainTime Duration `yaml:"drain_time"`
	// MaxThrottledShare budgets NetSuite's throttled answers as a share of its requests.
	MaxThrottledShare *float64 `yaml:"max_throttled_share"`
	// NetSuiteWithinLimit asserts NetSuite never saw more concurrency than its limit
	// (default true).
	NetSuiteWithinLimit *bool `yaml:"netsuite_within_limit"`
	// Allow lists the accounted outcomes: held (for review) and dead_lettered.
	Allow []string `yaml:"allow"`
	// MaxViolationsListed caps the violations named (default 50).
	MaxViolationsListed int `yaml:"max_violations_listed"`
	// CRM budgets, checked only when a CRM is in the run.
	CRMAssertions `yaml:",inline"`
}

// Rate is events per second of platform time, written "50/s", "3000/min", "120/h" or 50.
type Rate struct {
	PerSecond float64
	set       bool
}

func (r *Rate) UnmarshalYAML(n *yaml.Node) error {
	v, err := ParseRate(n.Value)
	if err != nil {
		return lineErr(n, err)
	}
	*r = Rate{PerSecond: v, set: true}
	return nil
}

func (r Rate) String() string { return FormatRate(r.PerSecond) }

// ParseRate reads "50/s", "3000/min", "120/h" or a bare number (per second).
func ParseRate(s string) (float64, error) {
	s = strings.TrimSpace(s)
	num, unit, hasUnit := strings.Cut(s, "/")
	per := 1.0
	if hasUnit {
		switch strings.TrimSpace(unit) {
		case "s", "sec", "second":
		case "m", "min", "minute":
			per = 60
		case "h", "hour":
			per = 3600
		default:
			return 0, fmt.Errorf("rate %q: unit must be /s, /min or /h", s)
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(num), 64)
	if err != nil || v < 0 || math.IsInf(v, 0) || math.IsNaN(v) {
		return 0, fmt.Errorf("rate %q is not like 50/s", s)
	}
	return v / per, nil
}

// FormatRate writes a per-second rate compactly, with at most four significant digits
// after the point ("3.333/s" for 200/min, never 3.3333333333333335/s).
func FormatRate(v float64) string {
	if v == math.Trunc(v) || math.Abs(v) >= 1e4 {
		return strconv.FormatFloat(math.Round(v), 'f', 0, 64) + "/s"
	}
	decimals := max(0, 3-int(math.Floor(math.Log10(math.Abs(v)))))
	out := strconv.FormatFloat(v, 'f', decimals, 64)
	if strings.Contains(out, ".") {
		out = strings.TrimRight(strings.TrimRight(out, "0"), ".")
	}
	return out + "/s"
}

// Duration is a time.Duration written "90s", "15m", "2h".
type Duration time.Duration

func (d *Duration) UnmarshalYAML(n *yaml.Node) error {
	v, err := time.ParseDuration(strings.TrimSpace(n.Value))
	if err != nil || v < 0 {
		return lineErr(n, fmt.Errorf("%q is not a non-negative duration like 90s or 15m", n.Value))
	}
	*d = Duration(v)
	return nil
}

func (d Duration) D() time.Duration { return time.Duration(d) }
func (d Duration) String() string   { return time.Duration(d).String() }

// Dist is a latency distribution spec (see fakes/latency), validated when read.
type Dist string

func (d *Dist) UnmarshalYAML(n *yaml.Node) error {
	if _, err := latency.Parse(n.Value); err != nil {
		return lineErr(n, err)
	}
	*d = Dist(n.Value)
	return nil
}

// Errors from Parse carry the file and line: "bfcm.yaml:12: ...".
type ParseError struct {
	File string
	Line int
	Msg  string
}

func (e *ParseError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Msg)
	}
	return fmt.Sprintf("%s: %s", e.File, e.Msg)
}

type lineError struct {
	line int
	err  error
}

func (e *lineError) Error() string { return e.err.Error() }

func lineErr(n *yaml.Node, err error) error { return &lineError{line: n.Line, err: err} }

func (p *Phase) UnmarshalYAML(n *yaml.Node) error {
	type plain Phase
	var v plain
	if err := decodeStrict(n, &v); err != nil {
		return err
	}
	*p = Phase(v)
	p.Line = n.Line
	return nil
}

// decodeStrict decodes a node refusing unknown fields (yaml.v3 applies KnownFields only
// at the top level of a Decoder, so nested custom unmarshalers re-encode).
func decodeStrict(n *yaml.Node, v any) error {
	var buf bytes.Buffer
	enc := yaml.NewEncoder(&buf)
	if err := enc.Encode(n); err != nil {
		return err
	}
	dec := yaml.NewDecoder(&buf)
	dec.KnownFields(true)
	if err := dec.Decode(v); err != nil {
		return shiftLines(err, n.Line-1)
	}
	return nil
}

// shiftLines rewrites "line N:" of a yaml error decoded from a re-encoded sub-document
// to the line in the original file.
func shiftLines(err error, by int) error {
	var te *yaml.TypeError
	if errors.As(err, &te) {
		out := make([]string, len(te.Errors))
		for i, e := range te.Errors {
			out[i] = shiftLine(e, by)
		}
		return &yaml.TypeError{Errors: out}
	}
	var le *lineError
	if errors.As(err, &le) {
		return &lineError{line: le.line + by, err: le.err}
	}
	return err
}

func shiftLine(msg string, by int) string {
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return msg
	}
	num, tail, ok := strings.Cut(rest, ":")
	n, err := strconv.Atoi(num)
	if !ok || err != nil {
		return msg
	}
	return "line " + strconv.Itoa(n+by) + ":" + tail
}

// Parse reads a scenario from YAML, refusing unknown fields, bad durations and
// impossible values with the file, the line and a plain message. Relative replay files
// are not checked; use Load for a file on disk.
func Parse(file string, r io.Reader) (*Scenario, error) { return parse(file, "", r) }

// Load reads a scenario file; relative paths in it resolve against its directory.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, &ParseError{File: path, Msg: err.Error()}
	}
	defer f.Close()
	return parse(path, filepath.Dir(path), f)
}

func parse(file, dir string, r io.Reader) (*Scenario, error) {
	data, err := io.ReadAll(io.LimitReader(r, 4<<20))
	if err != nil {
		return nil, &ParseError{File: file, Msg: err.Error()}
	}
	var s Scenario
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	if err := dec.Decode(&s); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &ParseError{File: file, Msg: "the file is empty"}
		}
		return nil, yamlError(file, err)
	}
	var root yaml.Node
	_ = yaml.Unmarshal(data, &root)
	s.root = &root
	s.File, s.Dir = file, dir
	if err := s.validate(); err != nil {
		return nil, err
	}
	return &s, nil
}

func yamlError(file string, err error) error {
	var le *lineError
	if errors.As(err, &le) {
		return &ParseError{File: file, Line: le.line, Msg: le.err.Error()}
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		msg := te.Errors[0]
		line := 0
		if rest, ok := strings.CutPrefix(msg, "line "); ok {
			if num, tail, ok := strings.Cut(rest, ":"); ok {
				line, _ = strconv.Atoi(num)
				msg = strings.TrimSpace(tail)
			}
		}
		msg = strings.ReplaceAll(msg, "in type scenarios.", "in ")
		msg = strings.ReplaceAll(msg, "in type scenarios.plain", "in phase")
		if len(te.Errors) > 1 {
			msg += fmt.Sprintf(" (and %d more problems)", len(te.Errors)-1)
		}
		return &ParseError{File: file, Line: line, Msg: msg}
	}
	msg := err.Error()
	line := 0
	if rest, ok := strings.CutPrefix(msg, "yaml: line "); ok {
		if num, tail, ok := strings.Cut(rest, ":"); ok {
			line, _ = strconv.Atoi(num)
			msg = strings.TrimSpace(tail)
		}
	}
	return &ParseError{File: file, Line: line, Msg: msg}
}
