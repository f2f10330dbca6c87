// Package ingress receives the integrator's inbound events: Shopify's signed webhooks.
// Its one job is to turn a delivery into a durably stored queue message, fast: verify the
// signature over the raw body, check the body cheaply, enqueue the raw bytes, answer.
// Decoding the order is the workers' job.
//
// Answers to Shopify:
//
//	200  stored (or a duplicate X-Shopify-Webhook-Id already stored within the dedup window,
//	     or a topic no flow handles: ignored, counted, not stored)
//	400  malformed JSON, a missing required header, a payload without its resource id
//	401  missing or wrong X-Shopify-Hmac-Sha256
//	405  not a POST
//	408  the body did not arrive within BodyTimeout
//	413  body over the limit
//	415  not application/json
//	500  the handler failed unexpectedly (a bug; the delivery is not stored)
//	503  the queue could not store it, or MaxConcurrent deliveries are already being
//	     handled (Retry-After set); Shopify will retry
//
// A 200 is never sent for a message that is not stored.
//
// Nothing a sender controls is trusted before it is bounded: the signature header's
// shape is checked before the body is read, the body is read into a pooled buffer that
// grows with the bytes that actually arrive (never to the announced Content-Length) while
// its HMAC is computed, and the number of deliveries being read at once is capped, so
// slow or oversized unsigned requests cost a goroutine each, not memory.
package ingress

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/peakready/peakready/integrator/queue"
)

// Enqueuer stores messages durably; *queue.Queue is one. Enqueue must be safe for
// concurrent use and return nil only once the message is stored.
type Enqueuer interface {
	Enqueue(ctx context.Context, m queue.Message, opts ...queue.EnqueueOption) (queue.EnqueueResult, error)
}

// Observer receives one observation per request, for metrics. It must be cheap and safe
// for concurrent use. topic is empty when the request was refused before its topic was
// known.
type Observer interface {
	ObserveWebhook(topic string, status int, elapsed time.Duration)
}

// Defaults of Config.
const (
	DefaultMaxBody        = 2 << 20 // 2 MiB: orders with hundreds of lines stay well under it
	DefaultDedupWindow    = 48 * time.Hour
	DefaultEnqueueTimeout = 2 * time.Second
	DefaultRetryAfter     = 10 * time.Second
	DefaultMaxConcurrent  = 256
	DefaultBodyTimeout    = 10 * time.Second
)

// Config configures the Shopify webhook handler.
type Config struct {
	// Secret is the app's client secret, the HMAC key. Required.
	Secret []byte
	// PreviousSecret, when set, is also accepted: during a client-secret rotation Shopify
	// keeps signing with the old secret for up to an hour.
	PreviousSecret []byte
	// MaxBody is the largest body accepted (DefaultMaxBody if zero).
	MaxBody int64
	// DedupWindow is how long a delivery's X-Shopify-Webhook-Id is remembered (default 48 h:
	// Shopify's 4 h retry schedule plus deliveries up to a day late, with margin).
	DedupWindow time.Duration
	// EnqueueTimeout bounds the wait for Redis, far below Shopify's 5 s timeout
	// (default 2 s); past it the answer is 503.
	EnqueueTimeout time.Duration
	// RetryAfter is sent with 503 answers (default 10 s).
	RetryAfter time.Duration
	// MaxConcurrent caps the deliveries handled at once (default 256); one more is
	// answered 503 with Retry-After at once, before its body is read.
	MaxConcurrent int
	// BodyTimeout bounds the time to receive a delivery's body once its headers are in
	// (default 10 s; Shopify itself gives up after 5 s); a slower body is answered 408.
	BodyTimeout time.Duration
	// Handles, when set, tells whether a flow handles a topic. A verified delivery of a
	// topic it does not handle is answered 200 {"status":"ignored"} and reported to
	// OnIgnored, without being stored: nothing would ever work it off.
	Handles   func(topic string) bool
	OnIgnored func(topic string)
	Observer  Observer
	Logger    *slog.Logger
}

// Shopify is the http.Handler for POST /webhooks/shopify.
type Shopify struct {
	cfg   Config
	queue Enqueuer
	macs  []*sync.Pool // one pool of HMAC states per accepted secret
	bufs  sync.Pool
	slots chan struct{} // one per delivery being handled
}

// ErrNoSecret is returned by NewShopify without a secret.
var ErrNoSecret = errors.New("ingress: a webhook secret is required")

// NewShopify returns the webhook handler.
func NewShopify(cfg Config, q Enqueuer) (*Shopify, error) {
	if len(cfg.Secret) == 0 {
		return nil, ErrNoSecret
	}
	if cfg.MaxBody <= 0 {
		cfg.MaxBody = DefaultMaxBody
	}
	if cfg.DedupWindow <= 0 {
		cfg.DedupWindow = DefaultDedupWindow
	}
	if cfg.EnqueueTimeout <= 0 {
		cfg.EnqueueTimeout = DefaultEnqueueTimeout
	}
	if cfg.RetryAfter <= 0 {
		cfg.RetryAfter = DefaultRetryAfter
	}
	if cfg.MaxConcurrent <= 0 {
		cfg.MaxConcurrent = DefaultMaxConcurrent
	}
	if cfg.BodyTimeout <= 0 {
		cfg.BodyTimeout = DefaultBodyTimeout
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Shopify{cfg: cfg, queue: q, slots: make(chan struct{}, cfg.MaxConcurrent)}
	for _, secret := range [][]byte{cfg.Secret, cfg.PreviousSecret} {
		if len(secret) == 0 {
			continue
		}
		key := bytes.Clone(secret)
		h.macs = append(h.macs, &sync.Pool{New: func() any { return hmac.New(sha256.New, key) }})
	}
	h.bufs.New = func() any { return new(bytes.Buffer) }
	return h, nil
}

// header reads a Shopify header in its classic X-Shopify-* form or the newer lowercase
// shopify-* form (header names are case-insensitive either way).
func header(r *http.Request, name string) string {
	if v := r.Header.Get("X-Shopify-" + name); v != "" {
		return v
	}
	return r.Header.Get("Shopify-" + name)
}

func (h *Shopify) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	topic, status := h.serveSafely(w, r)
	if h.cfg.Observer != nil {
		h.cfg.Observer.ObserveWebhook(topic, status, time.Since(start))
	}
}

// serveSafely turns a panic into a 500 that is counted like any other answer; the
// delivery is not stored, so Shopify retries it.
func (h *Shopify) serveSafely(w http.ResponseWriter, r *http.Request) (topic string, status int) {
	defer func() {
		if v := recover(); v != nil {
			h.cfg.Logger.Error("webhook handler failed", "panic", fmt.Sprint(v))
			refuse(w, http.StatusInternalServerError, "internal error")
			topic, status = "", http.StatusInternalServerError
		}
	}()
	return h.serve(w, r)
}

func reply(w http.ResponseWriter, status int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = io.WriteString(w, body)
}

func refuse(w http.ResponseWriter, status int, reason string) {
	b, _ := json.Marshal(map[string]string{"error": reason})
	reply(w, status, string(b))
}

// refuseUnread answers before the body was read. The connection is closed afterwards,
// and its read deadline set to now, so the server neither waits for the rest of a body
// nobody will use (it would otherwise try to drain up to 256 KiB of it to reuse the
// connection) nor lets a slow sender hold it.
func refuseUnread(w http.ResponseWriter, status int, reason string) {
	w.Header().Set("Connection", "close")
	_ = http.NewResponseController(w).SetReadDeadline(time.Now())
	refuse(w, status, reason)
}

func (h *Shopify) serve(w http.ResponseWriter, r *http.Request) (topic string, status int) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuseUnread(w, http.StatusMethodNotAllowed, "webhooks are delivered with POST")
		return "", http.StatusMethodNotAllowed
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		refuseUnread(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return "", http.StatusUnsupportedMediaType
	}
	if r.ContentLength > h.cfg.MaxBody {
		refuseUnread(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(h.cfg.MaxBody, 10)+" bytes")
		return "", http.StatusRequestEntityTooLarge
	}
	// A delivery without a well-formed signature cannot be authentic: refuse it before
	// reading a byte of its body.
	want, ok := decodeSignature(header(r, "Hmac-Sha256"))
	if !ok {
		refuseUnread(w, http.StatusUnauthorized, "missing or invalid X-Shopify-Hmac-Sha256")
		return "", http.StatusUnauthorized
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		w.Header().Set("Retry-After", strconv.Itoa(int(h.cfg.RetryAfter.Seconds())))
		refuseUnread(w, http.StatusServiceUnavailable, "too many deliveries at once; retry later")
		return "", http.StatusServiceUnavailable
	}

	body, macs, status, reason := h.readBody(w, r)
	defer h.release(body, macs)
	if status != 0 {
		refuse(w, status, reason)
		return "", status
	}

	// Authenticate before looking at anything the sender controls.
	if !h.verify(macs, want) {
		refuse(w, http.StatusUnauthorized, "missing or invalid X-Shopify-Hmac-Sha256")
		return "", http.StatusUnauthorized
	}
	data := body.Bytes()

	topic = header(r, "Topic")
	webhookID := header(r, "Webhook-Id")
	shop := header(r, "Shop-Domain")
	switch {
	case topic == "":
		refuse(w, http.StatusBadRequest, "missing X-Shopify-Topic")
		return "", http.StatusBadRequest
	case !validTopic(topic):
		refuse(w, http.StatusBadRequest, "X-Shopify-Topic is not a topic like orders/create")
		return "", http.StatusBadRequest
	case webhookID == "" || len(webhookID) > 128:
		refuse(w, http.StatusBadRequest, "missing or oversized X-Shopify-Webhook-Id")
		return topic, http.StatusBadRequest
	case shop == "":
		refuse(w, http.StatusBadRequest, "missing X-Shopify-Shop-Domain")
		return topic, http.StatusBadRequest
	}
	if h.cfg.Handles != nil && !h.cfg.Handles(topic) {
		if h.cfg.OnIgnored != nil {
			h.cfg.OnIgnored(topic)
		}
		reply(w, http.StatusOK, `{"status":"ignored"}`)
		return topic, http.StatusOK
	}
	if !json.Valid(data) {
		refuse(w, http.StatusBadRequest, "body is not valid JSON")
		return topic, http.StatusBadRequest
	}
	key, ok := messageKey(topic, data, webhookID)
	if !ok {
		refuse(w, http.StatusBadRequest, "payload has no resource id for "+topic)
		return topic, http.StatusBadRequest
	}

	msg := queue.Message{
		ID:      webhookID,
		Key:     key,
		Topic:   topic,
		Payload: data,
		Headers: map[string]string{
			"webhook_id":   webhookID,
			"shop_domain":  shop,
			"event_id":     header(r, "Event-Id"),
			"triggered_at": header(r, "Triggered-At"),
			"api_version":  header(r, "API-Version"),
		},
	}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.EnqueueTimeout)
	res, err := h.queue.Enqueue(ctx, msg, queue.Dedup(webhookID, h.cfg.DedupWindow))
	cancel()
	if err != nil {
		h.cfg.Logger.Warn("webhook not stored", "topic", topic, "webhook_id", webhookID, "err", err)
		w.Header().Set("Retry-After", strconv.Itoa(int(h.cfg.RetryAfter.Seconds())))
		refuse(w, http.StatusServiceUnavailable, "the queue is unavailable; retry later")
		return topic, http.StatusServiceUnavailable
	}
	if res.Duplicate {
		reply(w, http.StatusOK, `{"status":"duplicate"}`)
		return topic, http.StatusOK
	}
	reply(w, http.StatusOK, `{"status":"stored"}`)
	return topic, http.StatusOK
}

// readBody reads the body, within MaxBody and BodyTimeout, into a pooled buffer while
// every accepted secret's HMAC is computed over it. The buffer grows only with the bytes
// that arrive. A non-zero status says why the body was refused; body and macs are to be
// released either way.
func (h *Shopify) readBody(w http.ResponseWriter, r *http.Request) (body *bytes.Buffer, macs []hash.Hash, status int, reason string) {
	body = h.bufs.Get().(*bytes.Buffer)
	body.Reset()
	macs = make([]hash.Hash, len(h.macs))
	for i, pool := range h.macs {
		macs[i] = pool.Get().(hash.Hash)
		macs[i].Reset()
	}
	// Not every ResponseWriter can set a deadline (a test recorder cannot): then the
	// server's own ReadTimeout is the bound.
	_ = http.NewResponseController(w).SetReadDeadline(time.Now().Add(h.cfg.BodyTimeout))
	sink := signingWriter{buf: body, macs: macs}
	n, err := io.Copy(sink, io.LimitReader(r.Body, h.cfg.MaxBody+1))
	switch {
	case n > h.cfg.MaxBody:
		return body, macs, http.StatusRequestEntityTooLarge, "body exceeds " + strconv.FormatInt(h.cfg.MaxBody, 10) + " bytes"
	case isTimeout(err):
		return body, macs, http.StatusRequestTimeout, "the body did not arrive in time"
	case err != nil:
		return body, macs, http.StatusBadRequest, "could not read the body"
	}
	return body, macs, 0, ""
}

func isTimeout(err error) bool {
	var ne interface{ Timeout() bool }
	return errors.As(err, &ne) && ne.Timeout()
}

// release returns the buffer and HMAC states to their pools.
func (h *Shopify) release(body *bytes.Buffer, macs []hash.Hash) {
	if body.Cap() <= 4*int(DefaultMaxBody) {
		h.bufs.Put(body)
	}
	for i, mac := range macs {
		h.macs[i].Put(mac)
	}
}

// signingWriter stores what it is given and feeds it to every HMAC.
type signingWriter struct {
	buf  *bytes.Buffer
	macs []hash.Hash
}

func (s signingWriter) Write(p []byte) (int, error) {
	for _, m := range s.macs {
		m.Write(p)
	}
	return s.buf.Write(p)
}

// signatureLen is the length of a base64 (padded) HMAC-SHA256.
var signatureLen = base64.StdEncoding.EncodedLen(sha256.Size)

// decodeSignature decodes X-Shopify-Hmac-Sha256: exactly the 44 characters of a padded
// base64 SHA-256 digest. Its length is checked before it is decoded.
func decodeSignature(signature string) ([sha256.Size]byte, bool) {
	var want [sha256.Size]byte
	if len(signature) != signatureLen {
		return want, false
	}
	var buf [sha256.Size + 3]byte // DecodedLen(44) is 33
	n, err := base64.StdEncoding.Decode(buf[:], []byte(signature))
	if err != nil || n != sha256.Size {
		return want, false
	}
	copy(want[:], buf[:n])
	return want, true
}

// verify compares the HMAC computed with every accepted secret against want, in constant
// time.
func (h *Shopify) verify(macs []hash.Hash, want [sha256.Size]byte) bool {
	ok := false
	var sum [sha256.Size]byte
	for _, mac := range macs {
		got := mac.Sum(sum[:0])
		// Check every secret, even after a match, so timing does not tell which matched.
		if hmac.Equal(got, want[:]) {
			ok = true
		}
	}
	return ok
}

// messageKey derives a message's ordering key from its topic and payload.
func messageKey(topic string, body []byte, webhookID string) (string, bool) {
	rule, known := ruleFor(topic)
	if !known {
		// A topic no flow handles yet: keep it, keyed by topic and id, so it is recorded
		// (and dead-lettered as unhandled by the workers) rather than dropped.
		var v [1]string
		topLevelScalars(body, []string{"id"}, v[:])
		id := v[0]
		if !validID(id) {
			id = webhookID
		}
		return "topic:" + topic + ":" + id, true
	}
	var v [1]string
	topLevelScalars(body, []string{rule.field}, v[:])
	if !validID(v[0]) {
		return "", false
	}
	return fmt.Sprintf("%s:%s", rule.prefix, v[0]), true
}
