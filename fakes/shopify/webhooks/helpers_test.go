package webhooks

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/latency"
)

var epoch = time.Date(2026, 11, 27, 5, 0, 0, 0, time.UTC)

// verifyHMAC is the receiver's own check, written from the reference (base64 of
// HMAC-SHA256 over the raw body with the client secret), not with the package's signer.
func verifyHMAC(secret string, body []byte, header string) bool {
	mac := hmac.New(sha256.New, []byte(secret))
	mac.Write(body)
	want := mac.Sum(nil)
	got, err := base64.StdEncoding.DecodeString(header)
	return err == nil && hmac.Equal(want, got)
}

// received is one request a test receiver saw.
type received struct {
	Header  http.Header
	Body    []byte
	At      time.Time // platform time on arrival
	Method  string
	Path    string
	URI     string // the request URI as sent
	Seq     int    // payload "seq", if any
	ValidBy string
}

// receiver records requests and answers with respond (200 if nil). It checks HMACs with
// the secrets it is given and records which one matched.
type receiver struct {
	t       testing.TB
	clock   clock.Clock
	secrets map[string]string // name -> secret
	respond func(r *http.Request, body []byte, n int) int

	mu   sync.Mutex
	got  []received
	seen chan received
}

func newReceiver(t testing.TB, c clock.Clock, respond func(r *http.Request, body []byte, n int) int) *receiver {
	return &receiver{t: t, clock: c, respond: respond, secrets: map[string]string{SecretCurrent: testSecret},
		seen: make(chan received, 100_000)}
}

const testSecret = "test-secret-Ω" // not ASCII on purpose: the key is bytes

func (rc *receiver) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	rv := received{Header: r.Header.Clone(), Body: body, At: rc.clock.Now(), Method: r.Method, Path: r.URL.Path, URI: r.RequestURI, Seq: -1}
	var p struct {
		Seq *int `json:"seq"`
	}
	if json.Unmarshal(body, &p) == nil && p.Seq != nil {
		rv.Seq = *p.Seq
	}
	sig := r.Header.Get(HeaderHmac)
	if sig == "" {
		sig = r.Header.Get(EventsHeaderHmac)
	}
	for name, s := range rc.secrets {
		if verifyHMAC(s, body, sig) {
			rv.ValidBy = name
		}
	}
	rc.mu.Lock()
	rc.got = append(rc.got, rv)
	n := len(rc.got)
	rc.mu.Unlock()
	status := http.StatusOK
	if rc.respond != nil {
		status = rc.respond(r, body, n)
	}
	if status == 0 { // the respond func wrote the answer itself
		return
	}
	w.WriteHeader(status)
	select {
	case rc.seen <- rv:
	default:
	}
}

func (rc *receiver) all() []received {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return append([]received{}, rc.got...)
}

func (rc *receiver) count() int {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return len(rc.got)
}

// next waits for the next request (failing the test after 10 s of wall time).
func (rc *receiver) next() received {
	rc.t.Helper()
	select {
	case r := <-rc.seen:
		return r
	case <-time.After(10 * time.Second):
		rc.t.Fatal("no delivery arrived within 10s")
		return received{}
	}
}

// handlerTransport delivers requests to an http.Handler in process, honouring the
// request's context like a network client would.
type handlerTransport struct{ h http.Handler }

func (ht handlerTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	var body []byte
	if r.Body != nil {
		body, _ = io.ReadAll(r.Body)
		r.Body.Close()
	}
	in := httptest.NewRequestWithContext(r.Context(), r.Method, r.URL.String(), nil)
	in.Body = io.NopCloser(&byteReader{b: body})
	in.ContentLength = int64(len(body))
	in.Header = r.Header
	rec := httptest.NewRecorder()
	done := make(chan struct{})
	go func() { ht.h.ServeHTTP(rec, in); close(done) }()
	select {
	case <-done:
		return rec.Result(), nil
	case <-r.Context().Done():
		return nil, context.Cause(r.Context())
	}
}

type byteReader struct {
	b []byte
	i int
}

func (b *byteReader) Read(p []byte) (int, error) {
	if b.i >= len(b.b) {
		return 0, io.EOF
	}
	n := copy(p, b.b[b.i:])
	b.i += n
	return n, nil
}

// attempts collects OnAttempt calls.
type attempts struct {
	ch chan Attempt
}

func newAttempts() *attempts { return &attempts{ch: make(chan Attempt, 100_000)} }

func (a *attempts) hook(x Attempt) { a.ch <- x }

func (a *attempts) next(t testing.TB) Attempt {
	t.Helper()
	select {
	case x := <-a.ch:
		return x
	case <-time.After(10 * time.Second):
		t.Fatal("no attempt within 10s")
		return Attempt{}
	}
}

func (a *attempts) none(t testing.TB) {
	t.Helper()
	select {
	case x := <-a.ch:
		t.Fatalf("unexpected attempt %+v", x)
	default:
	}
}

// waitFor polls cond until it holds (failing after 60 s of wall time). It waits for the
// background goroutines to reach a state, never for time to pass on the platform clock.
func waitFor(t testing.TB, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting 60s for %s", what)
		}
		time.Sleep(200 * time.Microsecond)
	}
}

// idle reports whether nothing is queued or in flight and nothing scheduled is due on
// the deliverer's clock: the background goroutines have nothing left to do until the
// clock moves.
func idle(d *Deliverer) func() bool {
	return func() bool {
		s := d.Stats()
		if s.Queued != 0 || s.InFlight != 0 || s.Pending != s.Scheduled {
			return false
		}
		due, ok := d.sched.nextDue()
		return !ok || due > d.clock.Now().UnixNano()
	}
}

// syncTransport calls a handler on the caller's goroutine: the cheapest in-process
// receiver, for runs of thousands of deliveries to a receiver that answers at once.
type syncTransport struct{ h http.Handler }

func (st syncTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	rec := httptest.NewRecorder()
	in := r.Clone(r.Context())
	in.RequestURI = r.URL.RequestURI()
	st.h.ServeHTTP(rec, in)
	return rec.Result(), nil
}

// setup makes a deliverer on a manual clock with the test secret; mod adjusts the config.
func setup(t testing.TB, mod func(*Config)) (*Deliverer, *clock.Manual) {
	t.Helper()
	m := clock.NewManual(epoch)
	cfg := Config{Clock: m, Seed: 42, ClientSecret: testSecret}
	if mod != nil {
		mod(&cfg)
	}
	d, err := New(cfg)
	require.NoError(t, err)
	t.Cleanup(func() { _ = d.Close() })
	return d, m
}

func subscribe(t testing.TB, d *Deliverer, topic, url string) Subscription {
	t.Helper()
	s, err := d.Subscribe(Subscription{Topic: topic, URL: url})
	require.NoError(t, err)
	return s
}

func payload(seq int) []byte {
	return []byte(`{"id":820982911946154508,"seq":` + strconv.Itoa(seq) + `,"note":"caf\u00e9 \u2603"}`)
}

func clockScaled(speed float64) clock.Clock { return clock.NewScaled(speed) }

type latencyDistribution = latency.Distribution

func parseDist(s string) (latency.Distribution, error) { return latency.Parse(s) }
