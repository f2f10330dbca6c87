package ingress

import (
	"bytes"
	"cmp"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/peakready/peakready/integrator/queue"
)

// Shopify Flow's "Send HTTP request" carries no HMAC: the request has only the headers
// the merchant configured (shopify.md §5.2). FlowInventoryLow therefore authenticates it
// with a shared secret the merchant puts in a header of the action, and treats what
// Flow says as a hint, not a fact: the worker re-reads the SKU's stock from the ERP.
//
// Answers to Flow, which retries 429 and 5XX for up to 24 hours and, by default, fails a
// run on any other 4XX:
//
//	200  stored ({"status":"stored"}), or the same request stored within DedupWindow
//	     ({"status":"duplicate"})
//	400  the body is not JSON, or lacks sku or quantity, or a field has the wrong type
//	401  the secret header is missing or wrong
//	405  not a POST
//	413  body over MaxBody
//	500  the handler failed unexpectedly (nothing stored)
//	503  the queue could not store it, or MaxConcurrent requests are being handled
//	     (Retry-After set): Flow retries, nothing is lost
//
// 4XX answers are only for requests that can never succeed as sent.

// TopicFlowInventoryLow is the queue topic of a Flow inventory-low request.
const TopicFlowInventoryLow = "shopify_flow/inventory_low"

// Defaults of FlowConfig.
const (
	DefaultFlowHeader      = "Authorization"
	DefaultFlowMaxBody     = 16 << 10
	DefaultFlowDedupWindow = 10 * time.Minute
	DefaultFlowConcurrent  = 64
)

// MaxFlowSKU bounds the SKU a request may name (NetSuite's itemId is at most 250
// characters).
const MaxFlowSKU = 250

// FlowConfig configures the Flow handler.
type FlowConfig struct {
	// Secret is what the merchant's Flow action sends in Header. Required.
	Secret []byte
	// PreviousSecret, when set, is accepted too, while the workflows are being moved to
	// a new secret.
	PreviousSecret []byte
	// Header carries the secret (default DefaultFlowHeader). For "Authorization" the
	// value is "Bearer <secret>"; any other header's value is the secret itself.
	Header string
	// MaxBody is the largest body accepted (default DefaultFlowMaxBody, 16 KiB).
	MaxBody int64
	// DedupWindow is how long a request's body is remembered: the same bytes again
	// within it (Flow retrying a request whose answer it did not get) are acknowledged
	// without being stored (default DefaultFlowDedupWindow, 10 min: Flow's quick
	// retries). It is short because the body names no run: the same SKU reaching the same
	// quantity again later is a new signal. A later retry stored again is harmless: the
	// worker re-reads the ERP.
	DedupWindow time.Duration
	// EnqueueTimeout and RetryAfter are as in Config (defaults DefaultEnqueueTimeout,
	// DefaultRetryAfter).
	EnqueueTimeout time.Duration
	RetryAfter     time.Duration
	// MaxConcurrent caps the requests handled at once (default DefaultFlowConcurrent);
	// one more is answered 503 with Retry-After before its body is read.
	MaxConcurrent int
	// Observe, when set, receives every answer's status and how long it took.
	Observe func(status int, elapsed time.Duration)
	Logger  *slog.Logger
}

// InventoryLow is the body Flow sends, and the stored message's payload: the SKU, the
// variant's quantity Flow saw, and optionally the variant, inventory item and location.
// Ids are numbers or strings (Flow's legacyResourceId or a gid); unknown fields are
// ignored.
type InventoryLow struct {
	SKU             string `json:"sku"`
	Quantity        *int64 `json:"quantity"`
	VariantID       FlowID `json:"variant_id,omitempty"`
	InventoryItemID FlowID `json:"inventory_item_id,omitempty"`
	LocationID      FlowID `json:"location_id,omitempty"`
}

// FlowID is a resource id sent as a JSON number or string, kept as its text.
type FlowID string

// maxFlowID bounds an id's text (a gid is about 50 characters).
const maxFlowID = 200

// UnmarshalJSON accepts a number, a string or null.
func (id *FlowID) UnmarshalJSON(b []byte) error {
	b = bytes.TrimSpace(b)
	switch {
	case bytes.Equal(b, []byte("null")):
		*id = ""
		return nil
	case len(b) > 0 && b[0] == '"':
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		if len(s) > maxFlowID {
			return fmt.Errorf("an id longer than %d characters", maxFlowID)
		}
		*id = FlowID(s)
		return nil
	}
	var n json.Number
	if err := json.Unmarshal(b, &n); err != nil {
		return errors.New("an id must be a number or a string")
	}
	if len(n) > maxFlowID {
		return fmt.Errorf("an id longer than %d characters", maxFlowID)
	}
	*id = FlowID(n.String())
	return nil
}

// ParseInventoryLow decodes and checks a body: sku (1 to MaxFlowSKU characters of
// printable UTF-8) and quantity (an integer) are required.
func ParseInventoryLow(body []byte) (InventoryLow, error) {
	var in InventoryLow
	if err := json.Unmarshal(body, &in); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) && te.Field != "" {
			return in, fmt.Errorf("field %s must be %s, not a JSON %s", te.Field, te.Type, te.Value)
		}
		return in, fmt.Errorf("body is not a JSON object: %v", err)
	}
	switch {
	case strings.TrimSpace(in.SKU) == "":
		return in, errors.New(`"sku" is required (Flow: {{ productVariant.sku | json }})`)
	case len(in.SKU) > MaxFlowSKU:
		return in, fmt.Errorf(`"sku" is longer than %d characters`, MaxFlowSKU)
	case !utf8.ValidString(in.SKU) || strings.ContainsFunc(in.SKU, func(r rune) bool { return r < ' ' || r == 0x7f }):
		return in, errors.New(`"sku" holds control characters or invalid UTF-8`)
	case in.Quantity == nil:
		return in, errors.New(`"quantity" is required (Flow: {{ productVariant.inventoryQuantity }})`)
	}
	return in, nil
}

// FlowInventoryLow is the http.Handler for POST /shopify/flow/inventory-low: it stores
// each authenticated request as a message keyed by its SKU (one at a time per SKU, in
// arrival order).
type FlowInventoryLow struct {
	cfg     FlowConfig
	queue   Enqueuer
	secrets [][sha256.Size]byte // digests of the accepted secrets
	bearer  bool
	slots   chan struct{}
}

// NewFlowInventoryLow returns the handler; the secret is required.
func NewFlowInventoryLow(cfg FlowConfig, q Enqueuer) (*FlowInventoryLow, error) {
	if len(cfg.Secret) == 0 {
		return nil, errors.New("ingress: a Flow secret is required")
	}
	cfg.Header = cmp.Or(cfg.Header, DefaultFlowHeader)
	if !validHeaderName(cfg.Header) {
		return nil, fmt.Errorf("ingress: Flow secret header %q is not a valid header name", cfg.Header)
	}
	cfg.MaxBody = positiveOr(cfg.MaxBody, DefaultFlowMaxBody)
	cfg.DedupWindow = positiveOr(cfg.DedupWindow, DefaultFlowDedupWindow)
	cfg.EnqueueTimeout = positiveOr(cfg.EnqueueTimeout, DefaultEnqueueTimeout)
	cfg.RetryAfter = positiveOr(cfg.RetryAfter, DefaultRetryAfter)
	cfg.MaxConcurrent = positiveOr(cfg.MaxConcurrent, DefaultFlowConcurrent)
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	h := &FlowInventoryLow{cfg: cfg, queue: q, bearer: strings.EqualFold(cfg.Header, "Authorization"),
		slots: make(chan struct{}, cfg.MaxConcurrent)}
	for _, s := range [][]byte{cfg.Secret, cfg.PreviousSecret} {
		if len(s) > 0 {
			h.secrets = append(h.secrets, sha256.Sum256(s))
		}
	}
	return h, nil
}

// positiveOr is v, or d when v is not positive.
func positiveOr[T int | int64 | time.Duration](v, d T) T {
	if v <= 0 {
		return d
	}
	return v
}

func validHeaderName(s string) bool {
	if s == "" || len(s) > 256 {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("!#$%&'*+-.^_`|~", c) >= 0) {
			return false
		}
	}
	return true
}

// authorized compares the presented secret with every accepted one in constant time:
// both sides are hashed first, so neither the content nor the length of a secret shows
// in the time taken, and every accepted secret is compared.
func (h *FlowInventoryLow) authorized(r *http.Request) bool {
	got := r.Header.Get(h.cfg.Header)
	if h.bearer {
		scheme, token, ok := strings.Cut(got, " ")
		if !ok || !strings.EqualFold(scheme, "Bearer") {
			return false
		}
		got = strings.TrimSpace(token)
	}
	if got == "" {
		return false
	}
	sum := sha256.Sum256([]byte(got))
	match := 0
	for _, s := range h.secrets {
		match |= subtle.ConstantTimeCompare(sum[:], s[:])
	}
	return match == 1
}

func (h *FlowInventoryLow) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	status := h.serveSafely(w, r)
	if h.cfg.Observe != nil {
		h.cfg.Observe(status, time.Since(start))
	}
}

func (h *FlowInventoryLow) serveSafely(w http.ResponseWriter, r *http.Request) (status int) {
	defer func() {
		if v := recover(); v != nil {
			h.cfg.Logger.Error("flow handler failed", "panic", fmt.Sprint(v))
			refuse(w, http.StatusInternalServerError, "internal error")
			status = http.StatusInternalServerError
		}
	}()
	return h.serve(w, r)
}

func (h *FlowInventoryLow) serve(w http.ResponseWriter, r *http.Request) int {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		refuseUnread(w, http.StatusMethodNotAllowed, "configure the Flow action with method POST")
		return http.StatusMethodNotAllowed
	}
	if !h.authorized(r) {
		refuseUnread(w, http.StatusUnauthorized, "missing or wrong "+h.cfg.Header+" header")
		return http.StatusUnauthorized
	}
	if r.ContentLength > h.cfg.MaxBody {
		refuseUnread(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(h.cfg.MaxBody, 10)+" bytes")
		return http.StatusRequestEntityTooLarge
	}
	select {
	case h.slots <- struct{}{}:
		defer func() { <-h.slots }()
	default:
		h.retryLater(w)
		refuseUnread(w, http.StatusServiceUnavailable, "too many requests at once; retry later")
		return http.StatusServiceUnavailable
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.cfg.MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			refuse(w, http.StatusRequestEntityTooLarge, "body exceeds "+strconv.FormatInt(h.cfg.MaxBody, 10)+" bytes")
			return http.StatusRequestEntityTooLarge
		}
		// The connection failed mid-body: Flow retries a request it got no answer to.
		refuse(w, http.StatusBadRequest, "body unreadable")
		return http.StatusBadRequest
	}
	in, err := ParseInventoryLow(body)
	if err != nil {
		refuse(w, http.StatusBadRequest, err.Error())
		return http.StatusBadRequest
	}
	payload, _ := json.Marshal(in) // the checked fields only, never more than the body
	sum := sha256.Sum256(body)
	msg := queue.Message{Key: "sku:" + in.SKU, Topic: TopicFlowInventoryLow, Payload: payload}
	ctx, cancel := context.WithTimeout(r.Context(), h.cfg.EnqueueTimeout)
	res, err := h.queue.Enqueue(ctx, msg, queue.Dedup(hex.EncodeToString(sum[:16]), h.cfg.DedupWindow))
	cancel()
	if err != nil {
		h.cfg.Logger.Warn("flow request not stored", "err", err)
		h.retryLater(w)
		refuse(w, http.StatusServiceUnavailable, "the queue is unavailable; retry later")
		return http.StatusServiceUnavailable
	}
	if res.Duplicate {
		reply(w, http.StatusOK, `{"status":"duplicate"}`)
		return http.StatusOK
	}
	reply(w, http.StatusOK, `{"status":"stored"}`)
	return http.StatusOK
}

func (h *FlowInventoryLow) retryLater(w http.ResponseWriter) {
	w.Header().Set("Retry-After", strconv.Itoa(max(1, int(h.cfg.RetryAfter.Seconds()))))
}
