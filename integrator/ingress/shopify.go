// Package ingress receives the integrator's inbound events: Shopify's signed webhooks.
// Its one job is to turn a delivery into a durably stored queue message, fast: verify the
// signature over the raw body, check the body cheaply, enqueue the raw bytes, answer.
// Decoding the order is the workers' job.
//
// Answers to Shopify:
//
//	200  stored (or a duplicate X-Shopify-Webhook-Id already stored within the dedup window)
//	400  malformed JSON, a missing required header, a payload without its resource id
//	401  missing or wrong X-Shopify-Hmac-Sha256
//	405  not a POST
//	413  body over the limit
//	415  not application/json
//	503  the queue could not store it (Retry-After set); Shopify will retry
//
// A 200 is never sent for a message that is not stored.
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
	Observer   Observer
	Logger     *slog.Logger
}

// Shopify is the http.Handler for POST /webhooks/shopify.
type Shopify struct {
	cfg   Config
	queue Enqueuer
	macs  []*sync.Pool // one pool of HMAC states per accepted secret
	bufs  sync.Pool
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
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &Shopify{cfg: cfg, queue: q}
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
	topic, status := h.serve(w, r)
	if h.cfg.Observer != nil {
		h.cfg.Observer.ObserveWebhook(topic, status, time.Since(start))
	}
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

func (h *Shopify) serve(w http.ResponseWriter, r *http.Request) (topic string, status int) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuse(w, http.StatusMethodNotAllowed, "webhooks are delivered with POST")
		return "", http.StatusMethodNotAllowed
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		refuse(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
		return "", http.StatusUnsupportedMediaType
	}
	if r.ContentLength > h.cfg.MaxBody {
		refuse(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(h.cfg.MaxBody, 10)+" bytes")
		return "", http.StatusRequestEntityTooLarge
	}

	buf := h.bufs.Get().(*bytes.Buffer)
	buf.Reset()
	defer func() {
		if buf.Cap() <= 4*int(DefaultMaxBody) {
			h.bufs.Put(buf)
		}
	}()
	if r.ContentLength > 0 {
		buf.Grow(int(r.ContentLength))
	}
	if _, err := buf.ReadFrom(io.LimitReader(r.Body, h.cfg.MaxBody+1)); err != nil {
		refuse(w, http.StatusBadRequest, "could not read the body")
		return "", http.StatusBadRequest
	}
	body := buf.Bytes()
	if int64(len(body)) > h.cfg.MaxBody {
		refuse(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(h.cfg.MaxBody, 10)+" bytes")
		return "", http.StatusRequestEntityTooLarge
	}

	// Authenticate before looking at anything the sender controls.
	if !h.verify(body, header(r, "Hmac-Sha256")) {
		refuse(w, http.StatusUnauthorized, "missing or invalid X-Shopify-Hmac-Sha256")
		return "", http.StatusUnauthorized
	}

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
	if !json.Valid(body) {
		refuse(w, http.StatusBadRequest, "body is not valid JSON")
		return topic, http.StatusBadRequest
	}
	key, ok := messageKey(topic, body, webhookID)
	if !ok {
		refuse(w, http.StatusBadRequest, "payload has no resource id for "+topic)
		return topic, http.StatusBadRequest
	}

	msg := queue.Message{
		ID:      webhookID,
		Key:     key,
		Topic:   topic,
		Payload: body,
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

// verify checks the base64 HMAC-SHA256 of body against every accepted secret, in
// constant time.
func (h *Shopify) verify(body []byte, signature string) bool {
	if signature == "" || len(signature) > 128 {
		return false
	}
	var want [64]byte
	n, err := base64.StdEncoding.Decode(want[:], []byte(signature))
	if err != nil || n != sha256.Size {
		return false
	}
	ok := false
	var sum [sha256.Size]byte
	for _, pool := range h.macs {
		mac := pool.Get().(hash.Hash)
		mac.Reset()
		mac.Write(body)
		got := mac.Sum(sum[:0])
		pool.Put(mac)
		// Check every secret, even after a match, so timing does not tell which matched.
		if hmac.Equal(got, want[:n]) {
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
