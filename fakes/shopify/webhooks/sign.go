package webhooks

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"hash"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/peakready/peakready/fakes/fakehttp"
)

// signer computes X-Shopify-Hmac-Sha256 with one secret: standard base64 (with padding)
// of HMAC-SHA256 over the exact body bytes. Safe for concurrent use.
type signer struct{ pool sync.Pool }

func newSigner(secret string) *signer {
	key := []byte(secret)
	return &signer{pool: sync.Pool{New: func() any { return hmac.New(sha256.New, key) }}}
}

func (s *signer) sign(body []byte) string {
	h := s.pool.Get().(hash.Hash)
	h.Reset()
	h.Write(body)
	var sum [sha256.Size]byte
	var out [44]byte // base64 of 32 bytes
	base64.StdEncoding.Encode(out[:], h.Sum(sum[:0]))
	s.pool.Put(h)
	return string(out[:])
}

// signers holds the current and, during a rotation, the previous secret.
type signers struct {
	current, previous *signer
}

func newSigners(current, previous string) signers {
	s := signers{current: newSigner(current)}
	if previous != "" {
		s.previous = newSigner(previous)
	}
	return s
}

// Which secret signed an attempt (Attempt.SignedWith).
const (
	SecretCurrent  = "current"
	SecretPrevious = "previous"
)

// signerAt picks the secret for an attempt made at platform time now: the previous one
// during the rotation window after New or Reset.
func (d *Deliverer) signerAt(now int64) (*signer, string) {
	if d.secrets.previous != nil && now < d.started.Load()+int64(d.cfg.RotationWindow) {
		return d.secrets.previous, SecretPrevious
	}
	return d.secrets.current, SecretCurrent
}

// newRand makes the dice for a seed.
func newRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
}

// newUUID draws a version 4 UUID from r.
func newUUID(r *rand.Rand) string {
	hi, lo := r.Uint64(), r.Uint64()
	return fakehttp.UUIDv4(hi, lo)
}

// TriggeredAtLayout is the layout of X-Shopify-Triggered-At: RFC 3339 in UTC with nine
// fractional digits.
const TriggeredAtLayout = "2006-01-02T15:04:05.000000000Z"

func formatTriggeredAt(t time.Time) string { return t.UTC().Format(TriggeredAtLayout) }

// Header names exactly as Shopify spells them. Values are set on the header map directly
// so they go on the wire in this spelling (receivers must match case-insensitively).
const (
	HeaderTopic       = "X-Shopify-Topic"
	HeaderHmac        = "X-Shopify-Hmac-Sha256"
	HeaderShopDomain  = "X-Shopify-Shop-Domain"
	HeaderAPIVersion  = "X-Shopify-API-Version"
	HeaderWebhookID   = "X-Shopify-Webhook-Id"
	HeaderTriggeredAt = "X-Shopify-Triggered-At"
	HeaderEventID     = "X-Shopify-Event-Id"
	HeaderName        = "X-Shopify-Name"

	EventsHeaderHmac        = "shopify-hmac-sha256"
	EventsHeaderTopic       = "shopify-topic"
	EventsHeaderShopDomain  = "shopify-shop-domain"
	EventsHeaderAPIVersion  = "shopify-api-version"
	EventsHeaderWebhookID   = "shopify-webhook-id"
	EventsHeaderEventID     = "shopify-event-id"
	EventsHeaderTriggeredAt = "shopify-triggered-at"
	EventsHeaderHandle      = "shopify-handle"
	EventsHeaderAction      = "shopify-action"
	EventsHeaderResourceID  = "shopify-resource-id"
)

// deliveryHeaders builds the headers of one attempt.
func (d *Deliverer) deliveryHeaders(ev *event, sub *subscription, webhookID, hmacB64 string) http.Header {
	h := make(http.Header, 12)
	h["Content-Type"] = []string{"application/json"}
	h["User-Agent"] = []string{d.cfg.UserAgent}
	if d.cfg.HeaderStyle == HeaderStyleEvents {
		h[EventsHeaderTopic] = []string{ev.Topic}
		h[EventsHeaderHmac] = []string{hmacB64}
		h[EventsHeaderShopDomain] = []string{d.cfg.ShopDomain}
		h[EventsHeaderAPIVersion] = []string{d.cfg.APIVersion}
		h[EventsHeaderWebhookID] = []string{webhookID}
		h[EventsHeaderEventID] = []string{ev.EventID}
		h[EventsHeaderTriggeredAt] = []string{ev.triggered}
		h[EventsHeaderAction] = []string{TopicAction(ev.Topic)}
		h[EventsHeaderResourceID] = []string{ResourceGID(ev.Topic, ev.ResourceID)}
		if sub.Name != "" {
			h[EventsHeaderHandle] = []string{sub.Name}
		}
		return h
	}
	h[HeaderTopic] = []string{ev.Topic}
	h[HeaderHmac] = []string{hmacB64}
	h[HeaderShopDomain] = []string{d.cfg.ShopDomain}
	h[HeaderAPIVersion] = []string{d.cfg.APIVersion}
	h[HeaderWebhookID] = []string{webhookID}
	h[HeaderTriggeredAt] = []string{ev.triggered}
	h[HeaderEventID] = []string{ev.EventID}
	if sub.Name != "" {
		h[HeaderName] = []string{sub.Name}
	}
	return h
}

// TopicAction is the shopify-action of a topic: "create" for */create, "delete" for
// */delete, "update" for everything else (updated, paid, fulfilled, cancelled...).
func TopicAction(topic string) string {
	_, ev, _ := strings.Cut(topic, "/")
	switch ev {
	case "create":
		return "create"
	case "delete":
		return "delete"
	}
	return "update"
}

// resourceTypes maps a topic's resource to its GraphQL type; others are camel-cased
// and singularised by dropping a trailing "s".
var resourceTypes = map[string]string{
	"orders": "Order", "customers": "Customer", "products": "Product", "inventory_levels": "InventoryLevel",
	"inventory_items": "InventoryItem", "fulfillments": "Fulfillment", "fulfillment_orders": "FulfillmentOrder",
	"refunds": "Refund", "draft_orders": "DraftOrder", "collections": "Collection", "locations": "Location",
	"bulk_operations": "BulkOperation", "app": "App", "shop": "Shop",
}

// ResourceGID is the shopify-resource-id of an event: gid://shopify/<Type>/<id>.
func ResourceGID(topic string, id int64) string {
	res, _, _ := strings.Cut(topic, "/")
	typ, ok := resourceTypes[res]
	if !ok {
		var b strings.Builder
		up := true
		for _, r := range strings.TrimSuffix(res, "s") {
			if r == '_' {
				up = true
				continue
			}
			if up && r >= 'a' && r <= 'z' {
				r -= 'a' - 'A'
			}
			up = false
			b.WriteRune(r)
		}
		typ = b.String()
	}
	return "gid://shopify/" + typ + "/" + strconv.FormatInt(id, 10)
}
