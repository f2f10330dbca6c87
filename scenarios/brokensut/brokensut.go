// Package brokensut runs deliberately broken integrators, for the tests of the runner
// and the CLI (it is test support, not a product): a checker that cannot fail is
// worthless, so the tests point scenarios at systems that lose, duplicate or reorder
// work and require the run to fail naming the right orders.
// Each one verifies Shopify's webhook signature and answers like a real integrator; each
// records what it did so a test can tell which orders it broke. A broken integrator is
// a system under test like any other: Starter puts it behind the runner's sut seam, and
// Start runs it on its own for a scenario that names its URL.
package brokensut

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash/fnv"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	fakenetsuite "github.com/peakready/peakready/fakes/netsuite"
	"github.com/peakready/peakready/integrator/flows"
	"github.com/peakready/peakready/integrator/netsuite"
	"github.com/peakready/peakready/integrator/queue"
	"github.com/peakready/peakready/scenarios/sut"
)

// Mode is how the integrator is broken.
type Mode int

// String names the mode.
func (m Mode) String() string {
	switch m {
	case ArrivalOrder:
		return "arrival-order"
	case DropOnePercent:
		return "drop-one-percent"
	case PostWithoutExternalID:
		return "post-without-external-id"
	case ResendLinesWithoutReplace:
		return "resend-lines-without-replace"
	case CreateContactsWithoutLookup:
		return "create-contacts-without-lookup"
	case IgnoreERPStock:
		return "ignore-erp-stock"
	case FulfilTwice:
		return "fulfil-twice"
	case OverwriteAvailable:
		return "overwrite-available"
	case AuditIgnoresTotals:
		return "audit-ignores-totals"
	}
	return "mode-" + strconv.Itoa(int(m))
}

const (
	// ArrivalOrder applies every event in the order it arrives, with no last-writer-wins
	// guard: a reordered or late event overwrites newer state.
	ArrivalOrder Mode = iota
	// DropOnePercent acknowledges every webhook but never syncs about 1% of orders
	// (those whose id hashes to 0 mod 100).
	DropOnePercent
	// PostWithoutExternalID creates a sales order with POST and no externalId for every
	// event, and retries POSTs that time out: NetSuite then holds duplicates.
	PostWithoutExternalID
	// ResendLinesWithoutReplace upserts by external id, idempotently, but without
	// ?replace=item: NetSuite appends the lines of every update to the lines the order
	// already has, so an order synced twice holds its lines twice.
	ResendLinesWithoutReplace
)

// SUT is one running broken integrator.
type SUT struct {
	mode   Mode
	secret []byte
	flow   *flows.Orders
	srv    *http.Server
	url    string
	base   string // http://host:port
	// erp is the ERP → Shopify side of IgnoreERPStock, FulfilTwice and OverwriteAvailable.
	erp *erpSide

	locks sync.Map // order id → *sync.Mutex: one event per order at a time

	mu          sync.Mutex
	dropped     map[int64]bool
	resent      map[int64]int
	posts       map[int64]int
	created     map[int64]int
	lastApplied map[int64]time.Time
	latestSeen  map[int64]time.Time
	// contacts is CreateContactsWithoutLookup's CRM sync.
	contacts *contactPoster
	// audit is AuditIgnoresTotals' sales audit.
	audit *brokenAudit
}

// Start listens on loopback and syncs orders to the NetSuite at netsuiteURL.
func Start(mode Mode, secret, netsuiteURL string) (*SUT, error) {
	s := &SUT{mode: mode, secret: []byte(secret), dropped: map[int64]bool{}, resent: map[int64]int{}, posts: map[int64]int{},
		created: map[int64]int{}, lastApplied: map[int64]time.Time{}, latestSeen: map[int64]time.Time{}}
	client, err := netsuite.New(netsuiteURL, "broken-sut-token")
	if err != nil {
		return nil, err
	}
	var erp flows.SalesOrders = recordingERP{s: s, next: client}
	var versions flows.Versions = &memVersions{m: map[string]flows.Version{}}
	switch mode {
	case ArrivalOrder:
		versions = noVersions{}
	case PostWithoutExternalID:
		erp = &postingERP{s: s, base: netsuiteURL, http: &http.Client{Timeout: 80 * time.Millisecond}}
	case ResendLinesWithoutReplace:
		erp = &appendingERP{s: s, base: netsuiteURL, http: &http.Client{Timeout: 30 * time.Second}}
	}
	// Every broken integrator books its orders to the fake's web-store customer: NetSuite
	// refuses a sales order without one.
	s.flow = &flows.Orders{ERP: erp, Versions: versions, Customer: fakenetsuite.DefaultCustomerID}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	s.srv = &http.Server{Handler: http.HandlerFunc(s.serve), ReadHeaderTimeout: 5 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
	s.base = "http://" + ln.Addr().String()
	s.url = s.base + "/webhooks"
	return s, nil
}

// URL is where Shopify should deliver webhooks.
func (s *SUT) URL() string { return s.url }

// Close stops the server.
func (s *SUT) Close() error {
	if s.erp != nil {
		s.erp.close()
	}
	return s.srv.Close()
}

var _ sut.SUT = (*SUT)(nil)

// Webhooks implements sut.SUT.
func (s *SUT) Webhooks() sut.Webhooks {
	w := sut.Webhooks{URL: s.url, Secret: string(s.secret)}
	if s.contacts != nil {
		w.Topics = append(append([]string{}, sut.OrderTopics...), sut.CustomerTopics...)
	}
	return w
}

// Traits implements sut.SUT.
func (s *SUT) Traits() sut.Traits { return sut.Traits{Description: "broken: " + s.mode.String()} }

// Accounted implements sut.SUT: a broken integrator holds and dead-letters nothing.
func (s *SUT) Accounted(context.Context) (sut.Accounted, error) {
	return sut.Accounted{Held: map[int64]bool{}, DeadLettered: map[int64]string{}}, nil
}

// Starter starts a broken integrator as a run's system under test, against the run's
// fake NetSuite; after the run, SUT is the one it started.
type Starter struct {
	Mode Mode
	SUT  *SUT
}

var _ sut.Starter = (*Starter)(nil)

// Credentials implements sut.Starter: the fakes accept the broken integrator's token.
func (*Starter) Credentials() sut.Credentials { return sut.Credentials{} }

// Start implements sut.Starter.
func (st *Starter) Start(_ context.Context, up sut.Upstreams) (sut.SUT, error) {
	s, err := Start(st.Mode, "broken-sut-secret", up.NetSuiteURL)
	if err != nil {
		return nil, err
	}
	if st.Mode == CreateContactsWithoutLookup {
		if up.CRM == nil || up.CRM.Kind != "salesforce" {
			_ = s.Close()
			return nil, fmt.Errorf("broken integrator %s needs a scenario with crm: salesforce", st.Mode)
		}
		s.contacts = newContactPoster(up.CRM)
	}
	if st.Mode == AuditIgnoresTotals {
		if s.audit, err = newBrokenAudit(up); err != nil {
			_ = s.Close()
			return nil, err
		}
	}
	if err := startERP(s, up); err != nil {
		_ = s.Close()
		return nil, err
	}
	st.SUT = s
	return s, nil
}

func (s *SUT) serve(w http.ResponseWriter, r *http.Request) {
	if s.serveERP(w, r) {
		return
	}
	body, err := io.ReadAll(io.LimitReader(r.Body, 4<<20))
	if err != nil {
		http.Error(w, "read body", http.StatusBadRequest)
		return
	}
	mac := hmac.New(sha256.New, s.secret)
	mac.Write(body)
	got, _ := base64.StdEncoding.DecodeString(r.Header.Get("X-Shopify-Hmac-Sha256"))
	if !hmac.Equal(got, mac.Sum(nil)) {
		http.Error(w, "bad signature", http.StatusUnauthorized)
		return
	}
	if topic := r.Header.Get("X-Shopify-Topic"); strings.HasPrefix(topic, "customers/") {
		if s.contacts != nil {
			if err := s.contacts.create(body); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
		}
		w.WriteHeader(http.StatusOK)
		return
	}
	var head struct {
		ID        int64  `json:"id"`
		UpdatedAt string `json:"updated_at"`
	}
	if err := json.Unmarshal(body, &head); err != nil || head.ID == 0 {
		http.Error(w, "bad payload", http.StatusBadRequest)
		return
	}
	if s.mode == DropOnePercent && dropped(head.ID) {
		s.mu.Lock()
		s.dropped[head.ID] = true
		s.mu.Unlock()
		w.WriteHeader(http.StatusOK)
		return
	}
	lock, _ := s.locks.LoadOrStore(head.ID, &sync.Mutex{})
	lock.(*sync.Mutex).Lock()
	defer lock.(*sync.Mutex).Unlock()
	if at, err := time.Parse(time.RFC3339, head.UpdatedAt); err == nil {
		s.mu.Lock()
		if at.After(s.latestSeen[head.ID]) {
			s.latestSeen[head.ID] = at
		}
		s.mu.Unlock()
	}
	m := &queue.Message{Key: "order:" + strconv.FormatInt(head.ID, 10), Topic: r.Header.Get("X-Shopify-Topic"), Payload: body, Attempt: 1}
	if err := s.flow.Handle(r.Context(), m); err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.WriteHeader(http.StatusOK)
}

// dropped says whether DropOnePercent drops an order.
func dropped(id int64) bool {
	h := fnv.New32a()
	_, _ = h.Write([]byte(strconv.FormatInt(id, 10)))
	return h.Sum32()%100 == 0
}

// Dropped lists the orders DropOnePercent never synced.
func (s *SUT) Dropped() map[int64]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]bool, len(s.dropped))
	for k := range s.dropped {
		out[k] = true
	}
	return out
}

// Posts counts, per order, the POSTs PostWithoutExternalID sent, and Created those that
// NetSuite answered with success.
func (s *SUT) Posts() (posts, created map[int64]int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	posts, created = map[int64]int{}, map[int64]int{}
	for k, v := range s.posts {
		posts[k] = v
	}
	for k, v := range s.created {
		created[k] = v
	}
	return posts, created
}

// StaleOrders lists the orders whose last applied state is older than the newest state
// the integrator received: what ArrivalOrder left stale.
func (s *SUT) StaleOrders() map[int64]bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[int64]bool{}
	for id, seen := range s.latestSeen {
		if applied, ok := s.lastApplied[id]; ok && applied.Before(seen) {
			out[id] = true
		}
	}
	return out
}

// recordingERP upserts through the real client and remembers what it applied.
type recordingERP struct {
	s    *SUT
	next flows.SalesOrders
}

func (e recordingERP) UpsertSalesOrder(ctx context.Context, externalID string, so netsuite.SalesOrder) error {
	if err := e.next.UpsertSalesOrder(ctx, externalID, so); err != nil {
		return err
	}
	e.s.applied(externalID, so.ShopifyUpdatedAt)
	return nil
}

func (s *SUT) applied(externalID, updatedAt string) {
	id, _ := strconv.ParseInt(externalID, 10, 64)
	at, err := time.Parse(time.RFC3339, updatedAt)
	if err != nil {
		return
	}
	s.mu.Lock()
	s.lastApplied[id] = at
	s.mu.Unlock()
}

// postingERP creates a record per call with POST and no externalId, retrying timeouts.
type postingERP struct {
	s    *SUT
	base string
	http *http.Client
}

func (e *postingERP) UpsertSalesOrder(ctx context.Context, externalID string, so netsuite.SalesOrder) error {
	id, _ := strconv.ParseInt(externalID, 10, 64)
	so.ExternalID = ""
	body, err := json.Marshal(so)
	if err != nil {
		return err
	}
	var last error
	for attempt := 0; attempt < 5; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPost, e.base+"/services/rest/record/v1/salesOrder", bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer broken-sut-token")
		req.Header.Set("Content-Type", "application/json")
		e.s.mu.Lock()
		e.s.posts[id]++
		e.s.mu.Unlock()
		resp, err := e.http.Do(req)
		if err != nil {
			last = err
			continue // a timeout: "it probably failed", so send it again
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2:
			e.s.mu.Lock()
			e.s.created[id]++
			e.s.mu.Unlock()
			return nil
		case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
			last = fmt.Errorf("netsuite: %s", resp.Status)
			time.Sleep(20 * time.Millisecond)
		default:
			return fmt.Errorf("netsuite: %s", resp.Status)
		}
	}
	return errors.Join(errors.New("netsuite: giving up"), last)
}

// Resent counts, per order, the updates ResendLinesWithoutReplace sent to a sales order
// that already existed: each appended the order's lines once more.
func (s *SUT) Resent() map[int64]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[int64]int, len(s.resent))
	for k, v := range s.resent {
		out[k] = v
	}
	return out
}

// appendingERP upserts by external id without ?replace=item, retrying throttles and
// outages until NetSuite answers.
type appendingERP struct {
	s    *SUT
	base string
	http *http.Client

	mu      sync.Mutex
	created map[string]bool
}

func (e *appendingERP) UpsertSalesOrder(ctx context.Context, externalID string, so netsuite.SalesOrder) error {
	so.ExternalID = externalID
	body, err := json.Marshal(so)
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		req, err := http.NewRequestWithContext(ctx, http.MethodPut, e.base+"/services/rest/record/v1/salesOrder/eid:"+externalID, bytes.NewReader(body))
		if err != nil {
			return err
		}
		req.Header.Set("Authorization", "Bearer broken-sut-token")
		req.Header.Set("Content-Type", "application/json")
		resp, err := e.http.Do(req)
		if err != nil {
			if attempt >= 20 {
				return err
			}
			time.Sleep(20 * time.Millisecond)
			continue
		}
		_, _ = io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		switch {
		case resp.StatusCode/100 == 2:
			e.mu.Lock()
			if e.created == nil {
				e.created = map[string]bool{}
			}
			existed := e.created[externalID]
			e.created[externalID] = true
			e.mu.Unlock()
			if existed {
				id, _ := strconv.ParseInt(externalID, 10, 64)
				e.s.mu.Lock()
				e.s.resent[id]++
				e.s.mu.Unlock()
			}
			e.s.applied(externalID, so.ShopifyUpdatedAt)
			return nil
		case (resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500) && attempt < 200:
			time.Sleep(20 * time.Millisecond)
		default:
			return fmt.Errorf("netsuite: %s", resp.Status)
		}
	}
}

// noVersions is a last-writer-wins guard that remembers nothing.
type noVersions struct{}

func (noVersions) Applied(context.Context, string) (flows.Version, bool, error) {
	return flows.Version{}, false, nil
}
func (noVersions) Record(context.Context, string, flows.Version) error { return nil }

// memVersions is a working last-writer-wins guard in memory.
type memVersions struct {
	mu sync.Mutex
	m  map[string]flows.Version
}

func (v *memVersions) Applied(_ context.Context, key string) (flows.Version, bool, error) {
	v.mu.Lock()
	defer v.mu.Unlock()
	x, ok := v.m[key]
	return x, ok, nil
}

func (v *memVersions) Record(_ context.Context, key string, x flows.Version) error {
	v.mu.Lock()
	defer v.mu.Unlock()
	v.m[key] = x
	return nil
}
