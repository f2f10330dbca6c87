package inventory

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/peakready/peakready/clock"
	"github.com/peakready/peakready/fakes/fakehttp/fakehttptest"
	fakeshopify "github.com/peakready/peakready/fakes/shopify"
	"github.com/peakready/peakready/fakes/shopify/store"
	"github.com/peakready/peakready/integrator/shopify"
)

func sign(secret, body string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte(body))
	return "sha256=" + hex.EncodeToString(m.Sum(nil))
}

func push(h http.Handler, method, body, sig string) int {
	r := httptest.NewRequest(method, "/netsuite/changes", strings.NewReader(body))
	if sig != "" {
		r.Header.Set(SignatureHeader, sig)
	}
	w := httptest.NewRecorder()
	h.ServeHTTP(w, r)
	return w.Code
}

func change(sku, at string, onHand int) string {
	return `{"id":"e","type":"inventory.changed","occurredAt":"` + at + `","data":{"sku":"` + sku + `","quantityOnHand":` + itoa(onHand) + `,"reason":"receipt"}}`
}

func itoa(n int) string { return strconv.Itoa(n) }

func TestPushHandlerCoalescesSignedChanges(t *testing.T) {
	t.Parallel()
	h := &PushHandler{Pending: NewCoalescer(), Secret: "s3cret"}
	b1 := change("A", "2026-11-27T09:00:00Z", 5)
	b2 := change("A", "2026-11-27T09:00:02Z", 8)
	b3 := change("A", "2026-11-27T09:00:01Z", 6) // arrives late
	for _, b := range []string{b1, b2, b3} {
		assert.Equal(t, http.StatusNoContent, push(h, http.MethodPost, b, sign("s3cret", b)))
	}
	other := `{"type":"fulfillment.created","occurredAt":"2026-11-27T09:00:00Z","data":{}}`
	assert.Equal(t, http.StatusNoContent, push(h, http.MethodPost, other, sign("s3cret", other)))
	assert.Equal(t, []Change{{SKU: "A", OnHand: 8, At: time.Date(2026, 11, 27, 9, 0, 2, 0, time.UTC)}}, h.Pending.Take(10))

	assert.Equal(t, http.StatusUnauthorized, push(h, http.MethodPost, b1, ""))
	assert.Equal(t, http.StatusUnauthorized, push(h, http.MethodPost, b1, sign("other", b1)))
	assert.Equal(t, http.StatusUnauthorized, push(h, http.MethodPost, b1, "sha256=zz"))
	assert.Equal(t, http.StatusMethodNotAllowed, push(h, http.MethodGet, "", ""))
	bad := `{"type":"inventory.changed","occurredAt":"yesterday","data":{"sku":"A","quantityOnHand":1}}`
	assert.Equal(t, http.StatusBadRequest, push(h, http.MethodPost, bad, sign("s3cret", bad)))
	bad = `{"type":"inventory.changed","occurredAt":"2026-11-27T09:00:00Z","data":{"sku":"A"}}`
	assert.Equal(t, http.StatusBadRequest, push(h, http.MethodPost, bad, sign("s3cret", bad)))
	assert.Equal(t, http.StatusBadRequest, push(h, http.MethodPost, "{", sign("s3cret", "{")))
	huge := strings.Repeat(" ", MaxPushBody+1)
	assert.Equal(t, http.StatusRequestEntityTooLarge, push(h, http.MethodPost, huge, sign("s3cret", huge)))
	assert.Equal(t, 0, h.Pending.Len())
}

// From a pushed ERP change to the fake Shopify's level, through the Syncer and the client.
func TestPushedChangeReachesTheFakeShopify(t *testing.T) {
	t.Parallel()
	fake, err := fakeshopify.New(fakeshopify.Options{Seed: 3, AccessToken: "shpat_x", Clock: clock.NewManual(t0)})
	require.NoError(t, err)
	c, err := shopify.New(fakehttptest.Start(t, fake), "shpat_x", "", nil, nil)
	require.NoError(t, err)
	v, _ := fake.Store().VariantAt(0)
	loc := fake.Store().Locations()[0]
	locator := MapLocator{v.SKU: {InventoryItemID: store.GID("InventoryItem", v.InventoryItemID), LocationID: store.GID("Location", loc.ID)}}
	safety, _ := ParseSafetyStock("3")
	h := &PushHandler{Pending: NewCoalescer()}
	s := &Syncer{Pending: h.Pending, Safety: safety, Shopify: c, Levels: locator, Clock: clock.NewManual(t0)}
	for i, onHand := range []int{50, 40, 31} {
		b := change(v.SKU, "2026-11-27T09:00:0"+itoa(i)+"Z", onHand)
		require.Equal(t, http.StatusNoContent, push(h, http.MethodPost, b, ""))
	}
	n, err := s.Drain(context.Background())
	require.NoError(t, err)
	assert.Equal(t, 1, n, "three changes of one SKU, one write")
	got, _ := fake.Store().VariantBySKU(v.SKU)
	assert.Equal(t, 28, got.Levels[0].Available, "the latest on hand, 31, minus 3 of safety stock")
}

func TestPushHandlerSendsOtherEventsToTheirSinks(t *testing.T) {
	t.Parallel()
	var got []string
	fail := error(nil)
	h := &PushHandler{Secret: "s", Sinks: map[string]EventSink{"fulfillment.created": func(_ context.Context, id string, data json.RawMessage) error {
		got = append(got, id+" "+string(data))
		return fail
	}}}
	b := `{"id":"ev1","type":"fulfillment.created","occurredAt":"2026-11-27T09:00:00Z","data":{"id":"88"}}`
	assert.Equal(t, http.StatusNoContent, push(h, http.MethodPost, b, sign("s", b)))
	assert.Equal(t, []string{`ev1 {"id":"88"}`}, got)
	fail = errors.New("redis down")
	assert.Equal(t, http.StatusServiceUnavailable, push(h, http.MethodPost, b, sign("s", b)), "the ERP retries")
	fail = fmt.Errorf("%w: no lines", ErrBadEvent)
	assert.Equal(t, http.StatusBadRequest, push(h, http.MethodPost, b, sign("s", b)))
	assert.Equal(t, http.StatusUnauthorized, push(h, http.MethodPost, b, ""), "sinks are behind the signature too")
	assert.Len(t, got, 3)
	inv := change("A", "2026-11-27T09:00:00Z", 5)
	assert.Equal(t, http.StatusNoContent, push(h, http.MethodPost, inv, sign("s", inv)), "stock changes without a Coalescer are ignored")
}
