package inventory

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strings"
	"time"
)

// SignatureHeader carries the HMAC-SHA256 of a pushed change's raw body, hex, prefixed
// "sha256=" (what the ERP's afterSubmit user event sends; fakes/netsuite signs the same).
const SignatureHeader = "X-NetSuite-Signature"

// MaxPushBody bounds one pushed change's body.
const MaxPushBody = 64 << 10

// PushHandler takes the ERP's change pushes (POST, JSON {id, type, occurredAt, data}).
// An inventory.changed change puts its SKU's on hand into Pending (ignored when Pending
// is nil); a type with a sink in Sinks goes to it; other types are acknowledged and
// ignored. With a Secret, a body without its valid signature is refused with 401.
type PushHandler struct {
	Pending *Coalescer
	Secret  string
	// Latest, when set, records each change for every replica (see Latest); a change it
	// cannot record is refused with 503, so the ERP sends it again.
	Latest Latest
	// Sinks take the pushed events of other types (fulfillment.created...). A sink's
	// error answers 400 when it wraps ErrBadEvent (the ERP should not resend it), 503
	// otherwise (the ERP retries).
	Sinks map[string]EventSink
}

// EventSink takes one pushed event: its id and its raw data.
type EventSink func(ctx context.Context, id string, data json.RawMessage) error

// ErrBadEvent is wrapped by a sink's error for an event it cannot take.
var ErrBadEvent = errors.New("inventory: bad pushed event")

type pushEvent struct {
	ID         string          `json:"id"`
	Type       string          `json:"type"`
	OccurredAt string          `json:"occurredAt"`
	Raw        json.RawMessage `json:"data"`
	Data       struct {
		SKU            string `json:"sku"`
		QuantityOnHand *int64 `json:"quantityOnHand"`
	} `json:"-"`
}

// EventInventoryChanged is the type of a pushed stock change.
const EventInventoryChanged = "inventory.changed"

func (h *PushHandler) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPost {
		w.Header().Set("Allow", http.MethodPost)
		http.Error(w, "POST only", http.StatusMethodNotAllowed)
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxPushBody))
	if err != nil {
		http.Error(w, "body unreadable or larger than 64 KiB", http.StatusRequestEntityTooLarge)
		return
	}
	if h.Secret != "" && !validSignature(h.Secret, body, r.Header.Get(SignatureHeader)) {
		http.Error(w, "missing or invalid "+SignatureHeader, http.StatusUnauthorized)
		return
	}
	var e pushEvent
	if err := json.Unmarshal(body, &e); err != nil {
		http.Error(w, "body is not a change event: "+err.Error(), http.StatusBadRequest)
		return
	}
	if sink, ok := h.Sinks[e.Type]; ok {
		if err := sink(r.Context(), e.ID, e.Raw); err != nil {
			if errors.Is(err, ErrBadEvent) {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			http.Error(w, "could not take the event now; retry", http.StatusServiceUnavailable)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if e.Type != EventInventoryChanged || h.Pending == nil {
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if err := json.Unmarshal(e.Raw, &e.Data); err != nil {
		http.Error(w, "inventory.changed data: "+err.Error(), http.StatusBadRequest)
		return
	}
	c, err := e.change()
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	if h.Latest != nil {
		if err := h.Latest.Offer(r.Context(), c); err != nil {
			http.Error(w, "could not record the change now; retry", http.StatusServiceUnavailable)
			return
		}
	}
	h.Pending.Put(c)
	w.WriteHeader(http.StatusNoContent)
}

func (e pushEvent) change() (Change, error) {
	if e.Data.SKU == "" || e.Data.QuantityOnHand == nil {
		return Change{}, errors.New("inventory.changed needs data.sku and data.quantityOnHand")
	}
	at, err := time.Parse(time.RFC3339Nano, e.OccurredAt)
	if err != nil {
		return Change{}, errors.New("inventory.changed needs occurredAt as RFC 3339")
	}
	return Change{SKU: e.Data.SKU, OnHand: int(*e.Data.QuantityOnHand), At: at}, nil
}

func validSignature(secret string, body []byte, header string) bool {
	got, ok := strings.CutPrefix(header, "sha256=")
	if !ok {
		return false
	}
	sig, err := hex.DecodeString(got)
	if err != nil {
		return false
	}
	m := hmac.New(sha256.New, []byte(secret))
	m.Write(body)
	return hmac.Equal(sig, m.Sum(nil))
}
